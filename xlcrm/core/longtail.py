"""The long tail: the many small customers after the first 80 % of revenue.

Customers with positive net revenue are ranked biggest first; the head is
those making the first ``abc_a_share`` (80 %) of revenue, the one who
crosses the line included and equal revenues together (ABC class A); the
tail is everyone after them (classes B and C). :func:`long_tail` gives the
tail's share of those customers and of their revenue, and, when purchases
span more than a year, the same per calendar year (each year ranked on its
own revenue). Money is summed in cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import OrderBook
from xlcrm.locale import t

__all__ = [
    "YEAR_COLUMNS",
    "LongTail",
    "long_tail",
    "long_tail_of_net",
    "tail_label",
    "tail_mask",
]

#: Columns of :attr:`LongTail.years`.
YEAR_COLUMNS: Final = (
    "year",
    "to_date",
    "customers",
    "tail_customers",
    "customer_share",
    "revenue",
    "tail_revenue",
    "revenue_share",
)


@dataclass(frozen=True)
class LongTail:
    """Size of the tail (see the module docstring).

    ``customers`` and ``revenue`` are those of customers with positive net
    revenue; the shares are NaN without any. ``years`` has one row per
    calendar year (:data:`YEAR_COLUMNS`; ``to_date`` marks the year of
    ``as_of`` when it is not over), empty when purchases span a year or less.
    """

    customers: int
    tail_customers: int
    revenue: float
    tail_revenue: float
    years: pd.DataFrame
    #: per customer of the book (``book.ids`` order): in the tail
    in_tail: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def customer_share(self) -> float:
        return self.tail_customers / self.customers if self.customers else float("nan")

    @property
    def revenue_share(self) -> float:
        return self.tail_revenue / self.revenue if self.revenue > 0 else float("nan")


def tail_mask(group: np.ndarray, cents: np.ndarray, head_share: float) -> np.ndarray:
    """Within each group, which positive amounts are in the tail.

    ``group`` (int codes) and ``cents`` (int64) are aligned; amounts <= 0 are
    in neither head nor tail (False). Ranked biggest first within a group; an
    amount is in the head when the revenue before it (before the first of
    its equals) is below ``head_share`` of the group's positive revenue.
    """
    n = len(cents)
    out = np.zeros(n, dtype=bool)
    positive = np.flatnonzero(cents > 0)
    if positive.size == 0:
        return out
    g, c = group[positive], cents[positive]
    # one group (the whole history): one key to sort on, not two; equal amounts fare
    # alike whatever their order, so no stable sort (3 times slower)
    order = np.argsort(-c) if g.min() == g.max() else np.lexsort((-c, g))
    g, c = g[order], c[order]
    starts = np.r_[True, g[1:] != g[:-1]]
    start_at = np.maximum.accumulate(np.where(starts, np.arange(len(g)), 0))
    running = np.cumsum(c)
    before = running - c - np.where(start_at > 0, running[start_at - 1], 0)
    totals = np.bincount(g, weights=c)  # exact: sums of whole cents below 2**53
    # equal amounts take the revenue before the first of them
    first_equal = np.r_[True, (c[1:] != c[:-1]) | starts[1:]]
    before = before[np.maximum.accumulate(np.where(first_equal, np.arange(len(g)), 0))]
    head = before < head_share * totals[g] - 1e-9
    out[positive[order]] = ~head
    return out


def long_tail(book: OrderBook, *, head_share: float = 0.8) -> LongTail:
    """The tail of the customers in ``book`` (orders up to its ``as_of``)."""
    cents = np.round(book.amount * 100).astype(np.int64)
    n = book.n_customers
    net = np.bincount(book.code, weights=cents, minlength=n).round().astype(np.int64)
    return long_tail_of_net(net, head_share=head_share, years=_years(book, cents, head_share))


def long_tail_of_net(
    net: np.ndarray, *, head_share: float = 0.8, years: pd.DataFrame | None = None
) -> LongTail:
    """The tail of customers with net revenue ``net`` (int64 cents); ``years`` empty
    unless given (they need the order rows)."""
    n = len(net)
    tail = tail_mask(np.zeros(n, dtype=np.int64), net, head_share)
    positive = net > 0
    if years is None:
        years = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in YEAR_COLUMNS})
    return LongTail(
        customers=int(positive.sum()),
        tail_customers=int(tail.sum()),
        revenue=float(net[positive].sum()) / 100,
        tail_revenue=float(net[tail].sum()) / 100,
        years=years,
        in_tail=tail,
    )


def _years(book: OrderBook, cents: np.ndarray, head_share: float) -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in YEAR_COLUMNS})
    bought = book.purchase
    if not bought.any():
        return empty
    days = book.day[bought]
    if int(days.max()) - int(days.min()) <= 365:
        return empty
    year = book.day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    first_year = int(year.min())
    key = (year - first_year) * book.n_customers + book.code
    codes, uniques = pd.factorize(key)
    net = np.bincount(codes, weights=cents).round().astype(np.int64)
    which = (uniques // book.n_customers).astype(np.int64)
    tail = tail_mask(which, net, head_share)
    positive = net > 0
    n_years = int(which.max()) + 1
    customers = np.bincount(which[positive], minlength=n_years)
    tail_customers = np.bincount(which[tail], minlength=n_years)
    revenue = np.bincount(which[positive], weights=net[positive], minlength=n_years)
    tail_revenue = np.bincount(which[tail], weights=net[tail], minlength=n_years)
    as_of = np.datetime64(book.as_of_day, "D")
    as_of_year = int(as_of.astype("datetime64[Y]").astype(np.int64)) + 1970
    year_end = np.datetime64(f"{as_of_year}-12-31")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame(
            {
                "year": np.arange(first_year, first_year + n_years, dtype=np.int64),
                "to_date": np.arange(first_year, first_year + n_years) == as_of_year
                if as_of < year_end
                else np.zeros(n_years, dtype=bool),
                "customers": customers.astype(np.int64),
                "tail_customers": tail_customers.astype(np.int64),
                "customer_share": np.where(customers > 0, tail_customers / customers, np.nan),
                "revenue": revenue / 100,
                "tail_revenue": tail_revenue / 100,
                "revenue_share": np.where(revenue > 0, tail_revenue / revenue, np.nan),
            }
        )
    return frame


def tail_label(lang: str = "en") -> str:
    """The name of the long tail, in ``lang``."""
    return t("Long tail", lang)
