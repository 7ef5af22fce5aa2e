"""Referrals: who brought whom, what the referred customers are worth, who refers most.

The Customers sheet's ``referred_by`` column holds the id of the customer
who referred this one. Rules (also in ``docs/definitions.md``):

- Only direct referrals count: a referrer is credited with the customers it
  referred, not with the customers those referred in turn.
- A customer naming itself is a self-referral: ignored, with a Data quality
  row. An id that is no customer is ignored the same way.
- A loop (A referred by B, B referred by A; or longer, A -> B -> C -> A)
  cannot be true: someone in it came first. The customer of the loop first
  seen earliest keeps no referrer; when the dates cannot tell (missing, or
  the earliest shared), every referral of the loop is ignored. Each ignored
  referral is a Data quality row.
- Referred revenue: the net revenue (``monetary``) of the customers a
  referrer brought, summed in cents. Conversion: the share of referred
  customers with at least one purchase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.issues import concat_issues, empty_issues, issue_rows
from xlcrm.core.rfm import customer_ids
from xlcrm.locale import t

__all__ = [
    "Referrals",
    "cycle_members",
    "referral_links",
    "summarise_referrals",
    "top_referrers_label",
]

_NEVER: Final = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Referrals:
    """The result of :func:`summarise_referrals`.

    ``per_customer`` is aligned with the customers given: ``referrer`` (the
    id kept, else None), ``referrals`` (customers it referred), ``referred_buyers``
    (of those, with a purchase) and ``referred_revenue``. ``top`` lists the
    referrers with their figures, most referred revenue first.
    """

    per_customer: pd.DataFrame
    top: pd.DataFrame
    referred: int
    referred_buyers: int
    referred_revenue: float
    others: int
    other_buyers: int
    issues: pd.DataFrame = field(default_factory=empty_issues)

    @property
    def conversion(self) -> float | None:
        """Share of referred customers with a purchase (None without referrals)."""
        return self.referred_buyers / self.referred if self.referred else None

    @property
    def others_conversion(self) -> float | None:
        """The same share for the customers nobody referred."""
        return self.other_buyers / self.others if self.others else None


def cycle_members(pointer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which nodes of a functional graph lie on a cycle, and the smallest node of
    each node's cycle.

    ``pointer[i]`` is the node ``i`` points to, or -1. Pointer doubling: after
    ``2**k >= n`` steps every walk has entered its cycle, so the nodes reached
    are exactly those on cycles; the minimum over ``2**k`` steps from a node
    on a cycle covers the whole cycle. O(n log n), no loop over nodes.
    """
    n = len(pointer)
    nxt = np.r_[np.where(pointer < 0, n, pointer), n].astype(np.int64)  # n: a sink
    jump = nxt.copy()
    low = np.minimum(np.arange(n + 1), nxt)
    steps = max(1, int(np.ceil(np.log2(n + 2))))
    for _ in range(steps):
        low = np.minimum(low, low[jump])
        jump = jump[jump]
    on = np.zeros(n + 1, dtype=bool)
    on[jump] = True
    return on[:n], low[:n]


def referral_links(
    ids: Any, referred_by: Any, first_seen_day: Any = None, rows: Any = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """The referrer kept for each customer (position in ``ids``, -1 for none) and
    the ignored referrals as issue rows (see the module docstring).

    Parameters
    ----------
    ids
        Customer ids (unique).
    referred_by
        The referrer's id per customer (blank for none).
    first_seen_day
        Day number each customer was first seen (missing: NaN/None), to break loops.
    rows
        The Excel row of each customer, for the issues (None: unknown).
    """
    id_index = pd.Index(
        customer_ids(pd.Series(np.asarray(ids, dtype=object))).to_numpy(dtype=object)
    )
    n = len(id_index)
    given = customer_ids(pd.Series(np.asarray(referred_by, dtype=object), dtype=object))
    given = given.where(given.astype(str).str.strip() != "", None) if n else given
    named = given.notna().to_numpy()
    pointer = id_index.get_indexer(pd.Index(given.to_numpy(dtype=object)))
    pointer = np.where(named, pointer, -1)
    where = np.full(n, None, dtype=object) if rows is None else np.asarray(rows, dtype=object)
    issues: list[pd.DataFrame] = []
    unknown = named & (pointer < 0)
    self_ref = named & (pointer == np.arange(n))
    for mask, reason in ((unknown, "unknown_referrer"), (self_ref, "self_referral")):
        if mask.any():
            issues.append(
                issue_rows(
                    "customers",
                    where[mask],
                    "referred_by",
                    given[mask],
                    reason,
                    left_out=False,
                    detail=id_index.to_numpy(dtype=object)[mask],
                )
            )
    pointer = np.where(self_ref, -1, pointer)
    on_cycle, cycle = cycle_members(pointer)
    if on_cycle.any():
        if first_seen_day is None:
            seen = np.full(n, np.nan)
        else:
            seen = pd.to_numeric(
                pd.Series(np.asarray(first_seen_day, dtype=object)), errors="coerce"
            ).to_numpy(dtype=np.float64, na_value=np.nan)
        members = pd.DataFrame({"cycle": cycle[on_cycle], "seen": seen[on_cycle]})
        grouped = members.groupby("cycle")["seen"]
        earliest = grouped.transform("min").to_numpy()
        ties = members.assign(first=members["seen"] == earliest).groupby("cycle")["first"]
        unknown_date = members["seen"].isna().groupby(members["cycle"]).transform("any")
        clear = unknown_date.to_numpy(dtype=bool) | (ties.transform("sum").to_numpy() != 1)
        drop_local = clear | (members["seen"].to_numpy() == earliest)
        dropped = np.flatnonzero(on_cycle)[drop_local]
        issues.append(
            issue_rows(
                "customers",
                where[dropped],
                "referred_by",
                id_index.to_numpy(dtype=object)[pointer[dropped]],
                "referral_loop",
                left_out=False,
                detail=id_index.to_numpy(dtype=object)[dropped],
            )
        )
        pointer = pointer.copy()
        pointer[dropped] = -1
    return pointer, concat_issues(issues)


def summarise_referrals(
    customers: pd.DataFrame, *, first_seen_day: Any = None, top: int = 10, rows: Any = None
) -> Referrals:
    """Referrals made, referred revenue, top referrers and conversion.

    Parameters
    ----------
    customers
        ``customer_id``, ``referred_by``, ``frequency`` and ``monetary``
        (``name``, ``owner`` are carried into ``top`` when present).
    first_seen_day
        Day number each customer was first seen, to break loops.
    top
        How many referrers ``top`` lists.
    rows
        The Excel row of each customer, for the issues.
    """
    n = len(customers)
    ids = customers["customer_id"].to_numpy(dtype=object)
    referred_by = (
        customers["referred_by"].to_numpy(dtype=object)
        if "referred_by" in customers.columns
        else np.full(n, None, dtype=object)
    )
    pointer, issues = referral_links(ids, referred_by, first_seen_day, rows)
    bought = customers["frequency"].to_numpy(dtype=np.float64) > 0
    money = pd.to_numeric(customers["monetary"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    cents = np.round(np.nan_to_num(money, nan=0.0) * 100).astype(np.int64)
    has = pointer >= 0
    made = np.bincount(pointer[has], minlength=n).astype(np.int64)
    buyers = np.bincount(pointer[has & bought], minlength=n).astype(np.int64)
    revenue_cents = np.zeros(n, dtype=np.int64)
    np.add.at(revenue_cents, pointer[has], cents[has])
    per_customer = pd.DataFrame(
        {
            "referrer": pd.Series(ids[np.maximum(pointer, 0)], dtype=object).where(has, None),
            "referrals": made,
            "referred_buyers": buyers,
            "referred_revenue": revenue_cents / 100,
        },
        index=customers.index,
    )
    referrers = np.flatnonzero(made > 0)
    order = np.lexsort((ids[referrers].astype(str), -made[referrers], -revenue_cents[referrers]))
    chosen = referrers[order][:top]
    top_frame = pd.DataFrame(
        {
            "customer_id": ids[chosen],
            "name": customers["name"].to_numpy(dtype=object)[chosen]
            if "name" in customers.columns
            else np.full(len(chosen), None, dtype=object),
            "owner": customers["owner"].to_numpy(dtype=object)[chosen]
            if "owner" in customers.columns
            else np.full(len(chosen), None, dtype=object),
            "referrals": made[chosen],
            "referred_buyers": buyers[chosen],
            "referred_revenue": revenue_cents[chosen] / 100,
        }
    )
    return Referrals(
        per_customer=per_customer,
        top=top_frame,
        referred=int(has.sum()),
        referred_buyers=int((has & bought).sum()),
        referred_revenue=float(cents[has].sum()) / 100,
        others=int((~has).sum()),
        other_buyers=int((~has & bought).sum()),
        issues=issues,
    )


def top_referrers_label(lang: str = "en") -> str:
    """The name of the top referrers, in ``lang``."""
    return t("Top referrers", lang)
