"""The brief's lists of customers to act on: the call plan, the pool, the churn warnings.

:func:`build_agenda` turns a :class:`~xlcrm.core.plan.CallPlan` into plain,
formatted values. The agenda is short by design, whatever the number of
customers: per owner the :data:`AGENDA_CALLS` most important calls of the
first plan day and a count per later day; then the backlog by grade per
owner and the :data:`BACKLOG_ROWS` most valuable overdue follow-ups that did
not fit. The whole plan is on the Call plan sheet. :func:`build_pool` lists
the customers to return to the pool, :func:`build_churn` those with a churn
warning; every list is capped and says how many were left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import lifecycle, schema
from xlcrm.core.followup import describe_pool
from xlcrm.core.owners import owner_keys, owner_spellings
from xlcrm.core.plan import CallPlan, describe_calls
from xlcrm.locale import N_, t, tn
from xlcrm.report.format import DASH, fmt_date, fmt_int, fmt_money, fmt_name, is_missing
from xlcrm.report.sections import (
    code_label,
    customer_name,
    days_text,
    more_text,
    owner_name,
    spend_order,
)

if TYPE_CHECKING:
    from xlcrm.core.settings import Settings

__all__ = [
    "AGENDA_CALLS",
    "AGENDA_OWNERS",
    "BACKLOG_ROWS",
    "CHURN_ROWS",
    "POOL_ROWS",
    "Due",
    "build_agenda",
    "build_churn",
    "build_pool",
]

#: Calls of the first plan day listed per owner.
AGENDA_CALLS: Final = 10
#: Owners with a list of their own (and bars in the owner chart); the rest are summed up.
AGENDA_OWNERS: Final = 12
#: Most valuable overdue follow-ups of the backlog listed.
BACKLOG_ROWS: Final = 10
#: Customers to return to the pool listed (the most valuable first).
POOL_ROWS: Final = 10
#: Rows in the churn-warning list.
CHURN_ROWS: Final = 25
#: Short weekday names, Monday first.
WEEKDAYS: Final = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


class Due:
    """Customers due within the agenda window, with integer owner codes.

    Owners are told apart by :func:`~xlcrm.core.owners.owner_key`: two
    spellings of one name are one owner, shown as first written.
    """

    def __init__(self, frame: pd.DataFrame, days: int, no_owner: str) -> None:
        self.frame = frame.loc[frame["days_until_due"].to_numpy() <= days]
        codes, keys = pd.factorize(owner_keys(self.frame["owner"]))
        spelled = owner_spellings(self.frame["owner"])
        #: owner names by code; the last one stands for customers without an owner
        self.names = [spelled[str(k)] for k in keys] + [no_owner]
        self.owner = np.where(codes < 0, len(keys), codes)
        self.counts = np.bincount(self.owner, minlength=len(self.names))
        busiest = np.argsort(-self.counts, kind="stable")[:AGENDA_OWNERS]
        #: owners shown, busiest first (at most AGENDA_OWNERS, each with something due)
        self.shown = [int(i) for i in busiest if self.counts[i] > 0]


#: Month names as the agenda's day headings show them (zh: 7月).
MONTHS: Final = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def _day(value: Any, lang: str) -> str:
    """A plan day as "Wed 2026-07-01" / "2026-07-01 周三": the brief's one date style,
    with the weekday a call plan needs."""
    stamp = pd.Timestamp(value)
    weekday = t(WEEKDAYS[stamp.day_of_week], lang)
    return t("{weekday} {date}", lang, weekday=weekday, date=fmt_date(stamp))


def _owners(frame: pd.DataFrame, no_owner: str) -> tuple[np.ndarray, list[str]]:
    """Owner code per row (sorted by name, no owner last) and the owners' names."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64), [no_owner]
    spelled = owner_spellings(frame["owner"])
    names = sorted(spelled, key=lambda k: spelled[k].casefold())
    where = pd.Series(np.arange(len(names)), index=pd.Index(names, dtype=object))
    found = owner_keys(frame["owner"]).astype(object).map(where)
    codes = found.fillna(len(names)).to_numpy(dtype=np.int64)
    return codes, [spelled[k] for k in names] + [no_owner]


def build_agenda(plan: CallPlan, *, lang: str, currency: str = "") -> dict[str, Any]:
    """The agenda of ``plan`` (already limited to one owner's customers, or the team's).

    Returns
    -------
    dict
        ``title``, ``intro``, ``day`` (the first plan day), ``groups`` (per
        owner: ``owner``, ``count`` of calls on the first day, ``rows`` of up
        to :data:`AGENDA_CALLS` calls: ``priority``, ``name``, ``id``,
        ``grade``, ``why``, ``value``; ``more`` and ``week``: the later days
        with their counts), ``more_owners``, ``backlog`` (``intro``,
        ``grades`` header, ``rows`` per owner, ``top`` most valuable overdue).
    """
    days = plan.days
    calls = plan.calls
    no_owner = t("(no owner)", lang)
    first = days[0] if len(days) else pd.Timestamp(plan.as_of)
    today = calls[calls["date"] == first]
    owner_of, names = _owners(calls, no_owner)
    counts = np.bincount(owner_of, minlength=len(names)) if len(calls) else np.zeros(len(names))
    shown = [int(i) for i in np.flatnonzero(counts)[:AGENDA_OWNERS]]
    first_rows = (calls["date"] == first).to_numpy()
    groups = []
    for i in shown:
        mine = owner_of == i
        rows = today.loc[mine[first_rows]] if len(today) else today
        top = rows.head(AGENDA_CALLS)
        why = describe_calls(top, lang)["why"] if len(top) else pd.Series([], dtype=object)
        later = [
            {
                "day": _day(day, lang),
                "count": fmt_int(int(((calls["date"] == day).to_numpy() & mine).sum())),
            }
            for day in days[1:]
        ]
        groups.append(
            {
                "owner": fmt_name(names[i]),
                "count": fmt_int(len(rows)),
                "rows": [
                    {
                        "priority": fmt_int(rec["priority"]),
                        "name": fmt_name(customer_name(rec)),
                        "id": str(rec["customer_id"]),
                        "grade": DASH if is_missing(rec["grade"]) else str(rec["grade"]),
                        "why": str(reason),
                        "value": fmt_money(rec["value"], currency),
                    }
                    for rec, reason in zip(top.to_dict("records"), why, strict=True)
                ],
                "more": tn(
                    "… and {n} more call today",
                    "… and {n} more calls today",
                    len(rows) - len(top),
                    lang,
                )
                if len(rows) > len(top)
                else "",
                "week": later,
            }
        )
    hidden = [int(c) for i, c in enumerate(counts) if c > 0 and i not in shown]
    last = days[-1] if len(days) else first
    intro = (
        t(
            "{today} calls on {day}, {week} in the {days} working days to {last} "
            "(at most {calls} a day per owner, most important first).",
            lang,
            today=fmt_int(len(today)),
            day=_day(first, lang),
            week=fmt_int(len(calls)),
            days=len(days),
            last=_day(last, lang),
            calls=fmt_int(plan.capacity["calls"].max()) if len(plan.capacity) else DASH,
        )
        if len(calls)
        else t("No follow-ups are due in the next {days} working days.", lang, days=len(days))
    )
    return {
        "title": t("Call plan: {day} and the week", lang, day=_day(first, lang)),
        "intro": intro,
        "day": _day(first, lang),
        "groups": groups,
        "more_owners": tn(
            "… and {calls} calls for {n} other owner",
            "… and {calls} calls for {n} other owners",
            len(hidden),
            lang,
            calls=fmt_int(sum(hidden)),
        )
        if hidden
        else "",
        "backlog": _backlog(plan, lang=lang, currency=currency, no_owner=no_owner),
    }


def _backlog(plan: CallPlan, *, lang: str, currency: str, no_owner: str) -> dict[str, Any]:
    backlog = plan.backlog
    grades = [*schema.GRADES, ""]
    if not len(backlog):
        return {
            "intro": t("Every follow-up due this week fits in the plan.", lang),
            "grades": [],
            "rows": [],
            "total": [],
            "top_title": "",
            "top": [],
        }
    owner_of, names = _owners(backlog, no_owner)
    grade = pd.Index(grades).get_indexer(pd.Index(backlog["grade"].fillna("").astype(str)))
    grade = np.where(grade < 0, len(grades) - 1, grade)
    table = np.bincount(owner_of * len(grades) + grade, minlength=len(names) * len(grades))
    table = table.reshape(len(names), len(grades))
    used = [j for j in range(len(grades)) if table[:, j].any()]
    rows = [
        {
            "owner": fmt_name(names[i]),
            "counts": [fmt_int(table[i, j]) for j in used],
            "total": fmt_int(table[i].sum()),
        }
        for i in range(len(names))
        if table[i].sum()
    ]
    overdue = backlog[backlog["overdue_days"].to_numpy() > 0]
    order = np.lexsort((-overdue["overdue_days"].to_numpy(), -overdue["value"].to_numpy()))
    top = overdue.iloc[order[:BACKLOG_ROWS]]
    return {
        "intro": t(
            "{n} follow-ups are due by {last} but do not fit in the plan; {overdue} of them are "
            "overdue. By grade:",
            lang,
            n=fmt_int(len(backlog)),
            last=_day(plan.days[-1], lang),
            overdue=fmt_int(len(overdue)),
        ),
        "grades": [grades[j] or t("no grade", lang) for j in used],
        "rows": rows,
        "total": [fmt_int(table[:, j].sum()) for j in used] + [fmt_int(table.sum())],
        "top_title": t("The most valuable overdue follow-ups not planned", lang),
        "top": [
            {
                "name": fmt_name(customer_name(rec)),
                "id": str(rec["customer_id"]),
                "owner": no_owner
                if is_missing(rec["owner"])
                else fmt_name(" ".join(str(rec["owner"]).split())),
                "grade": DASH if is_missing(rec["grade"]) else str(rec["grade"]),
                "overdue": tn("{n} day", "{n} days", int(rec["overdue_days"]), lang),
                "value": fmt_money(rec["value"], currency),
            }
            for rec in top.to_dict("records")
        ],
    }


def build_pool(
    frame: pd.DataFrame, *, as_of: Any, lang: str, settings: Settings, currency: str = ""
) -> dict[str, Any]:
    """Customers to return to the pool: how many, and the most valuable with the reason."""
    flagged = frame["pool"].fillna(False).astype(bool) if "pool" in frame.columns else None
    if flagged is None or not flagged.any():
        return {"count": 0, "intro": "", "rows": [], "more": ""}
    pooled = frame.loc[flagged.to_numpy()]
    spend = pooled["monetary"].to_numpy(dtype="float64", na_value=-np.inf)
    top = pooled.iloc[np.argsort(-spend, kind="stable")[:POOL_ROWS]]
    since = (pd.Timestamp(as_of) - top["last_contact"]).dt.days
    reasons = describe_pool(top["recency_days"], since, lang, settings=settings)
    rows = [
        {
            "name": fmt_name(customer_name(rec)),
            "id": str(rec["customer_id"]),
            "owner": fmt_name(" ".join(str(rec["owner"]).split())),
            "value": fmt_money(rec["monetary"], currency),
            "reason": str(reason),
        }
        for rec, reason in zip(top.to_dict("records"), reasons, strict=True)
    ]
    return {
        "count": len(pooled),
        "intro": tn(
            "{n} customer has an owner who neither sold to nor contacted them for long: "
            "return them to the shared pool (公海) or work them now.",
            "{n} customers have an owner who neither sold to nor contacted them for long: "
            "return them to the shared pool (公海) or work them now.",
            len(pooled),
            lang,
        ),
        "rows": rows,
        "more": tn("… and {n} more", "… and {n} more", len(pooled) - len(rows), lang)
        if len(pooled) > len(rows)
        else "",
    }


def _churn_texts(frame: pd.DataFrame, lang: str, settings: Settings) -> list[str]:
    words = lifecycle.describe_churn(frame, lang, settings=settings)
    return [DASH if is_missing(w) else str(w) for w in words]


def build_churn(
    frame: pd.DataFrame, *, lang: str, money: str, settings: Settings
) -> dict[str, Any]:
    """Customers with a churn warning, biggest spenders first, with the reason in words."""
    flagged = frame.loc[frame["churn_warning"].fillna(False).to_numpy(dtype=bool)]
    top = flagged.iloc[spend_order(flagged)[:CHURN_ROWS]]
    reasons = _churn_texts(top, lang, settings) if len(top) else []
    rows = []
    for rec, reason in zip(top.to_dict("records"), reasons, strict=True):
        rows.append(
            {
                "name": customer_name(rec),
                "id": str(rec["customer_id"]),
                "owner": owner_name(rec),
                "tier": code_label(rec["tier"], "tier", lang),
                "revenue": fmt_money(rec["monetary"], money),
                "last_purchase": fmt_date(rec["last_purchase"]),
                "recency": fmt_int(rec["recency_days"]),
                "median_gap": days_text(rec["median_gap_days"], lang),
                "reason": reason,
            }
        )
    if len(flagged):
        intro = tn(
            "{n} customer who is not yet sleeping or lost shows warning signs.",
            "{n} customers who are not yet sleeping or lost show warning signs, "
            "largest spenders first.",
            len(flagged),
            lang,
            n=fmt_int(len(flagged)),
        )
    else:
        intro = t("No customer shows a churn warning.", lang)
    return {"intro": intro, "rows": rows, "more": more_text(len(flagged), len(rows), lang)}
