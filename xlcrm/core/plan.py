"""The daily call plan: whom each owner calls on each of the next working days.

:func:`working_days` lists the plan's days (Mon-Fri unless ``work_days``
says otherwise, without ``holidays``, plus ``extra_workdays`` such as 调休
Saturdays). :func:`build_plan` places every follow-up that is due by the last
plan day, overdue ones included, into those days, owner by owner: at most
``daily_calls`` (or the owner's ``owner_calls``) a day, most important first
(grade A before E, then value, then days overdue), never before the day it
is due. What does not fit is the backlog. The work is one sort and a few
whole-array passes per plan day; there is no loop over customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.followup import dates_column, describe_requalify
from xlcrm.core.rfm import day_number, ids_in_text_order, to_timestamp
from xlcrm.core.schema import GRADES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import t, tn

__all__ = [
    "CALL_COLUMNS",
    "CallPlan",
    "build_plan",
    "describe_calls",
    "priority_order",
    "value_column",
    "working_days",
]

#: Columns of ``CallPlan.calls`` and ``CallPlan.backlog``, in order.
CALL_COLUMNS: Final = (
    "date",
    "owner",
    "priority",
    "customer_id",
    "name",
    "grade",
    "value",
    "next_followup",
    "overdue_days",
    "requalify",
    "expected_close",
    "churn_warning",
    "pool",
    "action_key",
    "open_complaint",
    "stuck_deal",
)

# Days searched for working days: enough for any holiday list of a year.
_SEARCH_DAYS: Final = 800
_EPOCH: Final = dt.date(1970, 1, 1)
_LAST: Final = "\uffff"  # sorts after every owner name


def _day_numbers(dates: tuple[dt.date, ...]) -> np.ndarray:
    return np.array([(d - _EPOCH).days for d in dates], dtype=np.int64)


def working_days(*, as_of: Any, settings: Settings = DEFAULT_SETTINGS) -> pd.DatetimeIndex:
    """The ``plan_days`` working days of the plan, from ``as_of`` on.

    A day is a working day when its weekday is in ``work_days`` (Monday = 0)
    or it is listed in ``extra_workdays``, and it is not in ``holidays`` (a
    listed holiday is never worked). ``as_of`` itself is the first day when
    it is a working day.
    """
    start = day_number(to_timestamp(as_of))
    days = start + np.arange(_SEARCH_DAYS, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    working = np.isin(weekday, np.array(settings.work_days, dtype=np.int64))
    working |= np.isin(days, _day_numbers(settings.extra_workdays))
    working &= ~np.isin(days, _day_numbers(settings.holidays))
    chosen = days[working][: settings.plan_days]
    return pd.DatetimeIndex(chosen.astype("datetime64[D]").astype("datetime64[ns]"))


def _column(frame: pd.DataFrame, name: str, default: Any) -> pd.Series:
    """``frame[name]``, or ``default`` on every row (an array of its own type: a
    Python list of ten million took seconds)."""
    if name in frame.columns:
        return frame[name]
    n = len(frame)
    if default is None or isinstance(default, str):
        values = np.full(n, default, dtype=object)
    elif default is pd.NaT:
        values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    else:
        values = np.full(n, default)
    return pd.Series(values, index=frame.index)


def _cents(values: pd.Series) -> np.ndarray:
    """Money as whole cents (int64), missing as 0: equal amounts rank alike."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.round(np.nan_to_num(numbers, nan=0.0) * 100).astype(np.int64)


def value_column(customers: pd.DataFrame) -> pd.Series:
    """What a customer is worth to the plan: ``expected_value`` when a value model
    gave one (the column exists and is not all blank), else ``monetary`` (net
    spend); a missing value counts as 0."""
    name = "monetary"
    if "expected_value" in customers.columns and customers["expected_value"].notna().any():
        name = "expected_value"  # a value model was fitted: rank by what is still to come
    cents = _cents(_column(customers, name, np.nan))
    return pd.Series(cents / 100, index=customers.index, dtype=np.float64, name="value")


def priority_order(
    customers: pd.DataFrame, *, rows: np.ndarray | None = None, value: np.ndarray | None = None
) -> np.ndarray:
    """Positions of ``customers`` (of ``customers`` at positions ``rows``, when given)
    from most to least important.

    Customers with an open complaint first (``open_complaint``, from the
    Feedback sheet), ahead of the grades; then grade A first ... E, then no
    grade; within a grade the higher value (:func:`value_column`, compared in
    whole cents), then the more days overdue, then the customer id. ``value``:
    :func:`value_column` of ``customers`` when known already.
    """
    at = np.arange(len(customers)) if rows is None else rows
    worth = value_column(customers).to_numpy() if value is None else value
    complaint = _column(customers, "open_complaint", False).take(at).fillna(False)
    grade = pd.Index(GRADES).get_indexer(pd.Index(_column(customers, "grade", None).take(at)))
    grade = np.where(grade < 0, len(GRADES), grade)
    cents = np.round(worth[at] * 100).astype(np.int64)  # value_column's whole cents
    overdue = pd.to_numeric(_column(customers, "overdue_days", 0).take(at), errors="coerce")
    overdue_days = overdue.fillna(0).to_numpy(dtype=np.int64)
    ids = _id_ranks(_column(customers, "customer_id", "")).take(at)
    order: np.ndarray = np.lexsort(
        (ids, -overdue_days, -cents, grade, ~complaint.to_numpy(dtype=bool))
    )
    return order


def _id_ranks(ids: pd.Series) -> np.ndarray:
    """Each id's place among the ids compared as text: its position when the ids are
    text already in order (an analysis's customers: ten million ranked in 0.2 s
    where sorting them takes 6 s)."""
    if ids_in_text_order(ids.to_numpy(dtype=object)):
        return np.arange(len(ids))
    ranks: np.ndarray = pd.factorize(ids.astype(str), sort=True)[0]
    return ranks


@dataclass(frozen=True)
class CallPlan:
    """The result of :func:`build_plan`.

    Attributes
    ----------
    as_of
        The day the plan is made on.
    days
        The plan's working days (``plan_days`` of them).
    calls
        One row per planned call, columns :data:`CALL_COLUMNS`, sorted by
        date, owner (no owner last) and priority. ``priority`` is the
        call's place in the owner's day (1 = first); ``overdue_days`` counts
        to the call's date.
    backlog
        Follow-ups due by the last plan day that did not fit, same columns
        (``date`` and ``priority`` empty), most important first.
    capacity
        ``owner`` and ``calls`` a day, one row per owner in the plan.
    """

    as_of: pd.Timestamp
    days: pd.DatetimeIndex
    calls: pd.DataFrame
    backlog: pd.DataFrame
    capacity: pd.DataFrame

    def backlog_by_grade(self, owner: str | None = None) -> dict[str, int]:
        """Backlog counts per grade A-E (and "" for no grade), for one owner or all."""
        frame = self.backlog if owner is None else self.backlog[_same_owner(self.backlog, owner)]
        counts = frame["grade"].fillna("").value_counts()
        return {g: int(counts.get(g, 0)) for g in (*GRADES, "")}

    def for_owner(self, owner: str | None) -> CallPlan:
        """The plan of one owner (``None``: customers without an owner)."""
        return CallPlan(
            self.as_of,
            self.days,
            self.calls[_same_owner(self.calls, owner)].reset_index(drop=True),
            self.backlog[_same_owner(self.backlog, owner)].reset_index(drop=True),
            self.capacity[_same_owner(self.capacity, owner)].reset_index(drop=True),
        )


def _owner_keys(owner: pd.Series) -> pd.Series:
    """Each owner name without case or surrounding spaces ("" when blank); worked
    out once per distinct name."""
    codes, uniques = pd.factorize(owner)
    names = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    keys = np.append(names.astype(str).str.strip().str.casefold().to_numpy(dtype=object), "")
    return pd.Series(keys[codes], index=owner.index, dtype=object)  # code -1 (blank): ""


def _same_owner(frame: pd.DataFrame, owner: str | None) -> np.ndarray:
    wanted = "" if owner is None else str(owner).strip().casefold()
    found: np.ndarray = (_owner_keys(frame["owner"]) == wanted).to_numpy()
    return found


def build_plan(
    customers: pd.DataFrame,
    *,
    as_of: Any,
    settings: Settings = DEFAULT_SETTINGS,
    backlog_rows: bool = True,
) -> CallPlan:
    """Place the due and overdue follow-ups into each owner's working days.

    Parameters
    ----------
    customers
        ``Analysis.customers``: ``customer_id``, ``owner``, ``grade``,
        ``next_followup`` and ``overdue_days`` are used, and when present
        ``name``, ``monetary`` (or ``expected_value``), ``requalify``,
        ``expected_close``, ``churn_warning``, ``pool``, ``action_key``,
        ``open_complaint`` and ``stuck_deal`` (``insights.with_insights``).
    as_of
        The day of the plan; the first plan day is as_of or the next working day.
    settings
        ``plan_days``, ``daily_calls``, ``owner_calls``, ``work_days``,
        ``holidays``, ``extra_workdays``.
    backlog_rows
        False: the backlog keeps only ``owner`` and ``grade``, enough to count
        it by owner and grade (a summary of ten million customers has a backlog
        of millions that no sheet lists).

    Rules: a follow-up is a candidate when its next follow-up falls on or
    before the last plan day; a customer with an open complaint or a stuck
    deal is a candidate due on as_of, whatever its next follow-up. Owners
    are filled independently. On each plan day, the owner's candidates that
    are due by that day and not yet placed are taken in
    :func:`priority_order` up to the owner's calls a day. The
    rest is the backlog. Owners are matched ignoring case and spaces at the
    ends; customers without an owner form one more queue (``owner`` empty)
    at ``daily_calls``.
    """
    stamp = to_timestamp(as_of)
    days = working_days(as_of=stamp, settings=settings)
    day_numbers = days.to_numpy(dtype="datetime64[D]").astype(np.int64)
    due_day, has_due = dates_column(customers, "next_followup")
    last = int(day_numbers[-1]) if len(day_numbers) else day_number(stamp) - 1
    urgent = _column(customers, "open_complaint", False).fillna(False).to_numpy(
        dtype=bool
    ) | _column(customers, "stuck_deal", False).fillna(False).to_numpy(dtype=bool)
    due_day = np.where(
        urgent & ~(has_due & (due_day <= day_number(stamp))), day_number(stamp), due_day
    )
    candidate = (has_due | urgent) & (due_day <= last)
    # the candidates can be millions: their rows are never copied whole, each column
    # is read at their positions (calls and backlog apart)
    rows = np.flatnonzero(candidate)
    due_day = due_day[rows]

    value = value_column(customers).to_numpy(dtype=np.float64)
    order = priority_order(customers, rows=rows, value=value)
    keys = _owner_keys(_column(customers, "owner", None)).to_numpy(dtype=object)[rows]
    # sorted by owner name, customers without an owner ("") last
    owner_code, owner_keys = pd.factorize(np.where(keys != "", keys, _LAST), sort=True)
    del keys
    order = order[np.argsort(owner_code[order], kind="stable")]  # by owner, then priority
    sorted_owner = owner_code[order]
    earliest = np.searchsorted(day_numbers, due_day[order], side="left")

    n_owners = len(owner_keys)
    starts = np.searchsorted(sorted_owner, np.arange(n_owners), side="left")
    shown = _column(customers, "owner", None).to_numpy(dtype=object)[rows[order[starts]]]
    names = [
        None if key == _LAST else str(name).strip()
        for key, name in zip(owner_keys, shown, strict=True)
    ]
    calls_a_day = np.array([settings.calls_for(name) for name in names], dtype=np.int64)

    placed_on = np.full(len(order), -1, dtype=np.int64)
    for d in range(len(day_numbers)):  # a handful of plan days, never customers
        free = (placed_on < 0) & (earliest <= d)
        taken = np.cumsum(free)
        before = np.r_[0, taken][starts]
        place = free & (taken - before[sorted_owner] <= calls_a_day[sorted_owner])
        placed_on[place] = d

    placed = placed_on >= 0
    at = rows[order]  # positions in ``customers``, in owner and priority order
    due_sorted = due_day[order]
    calls = _call_table(customers, at[placed], due_sorted[placed], value)
    on = placed_on[placed]
    calls["date"] = days[on] if len(on) else pd.DatetimeIndex([])
    call_day = day_numbers[on]
    overdue = np.maximum(0, call_day - due_sorted[placed])
    calls["overdue_days"] = overdue.astype(np.int64)
    calls["priority"] = (
        pd.Series(np.ones(len(calls), dtype=np.int64))
        .groupby([on, sorted_owner[placed]])
        .cumsum()
        .to_numpy()
    )
    sort = np.lexsort((np.arange(len(calls)), sorted_owner[placed], on))
    calls = calls.iloc[sort].reset_index(drop=True)
    if backlog_rows:
        backlog = _call_table(customers, at[~placed], due_sorted[~placed], value)
        backlog = backlog[list(CALL_COLUMNS)]
    else:
        rest = at[~placed]
        backlog = pd.DataFrame(
            {
                "owner": _column(customers, "owner", None).take(rest).to_numpy(dtype=object),
                "grade": _column(customers, "grade", None).take(rest).to_numpy(dtype=object),
            }
        )
    capacity = pd.DataFrame({"owner": pd.Series(names, dtype=object), "calls": calls_a_day})
    return CallPlan(stamp, days, calls[list(CALL_COLUMNS)], backlog, capacity)


def _call_table(
    frame: pd.DataFrame, rows: np.ndarray, due_day: np.ndarray, value: np.ndarray
) -> pd.DataFrame:
    """The rows at positions ``rows`` of ``frame`` as call rows (``due_day``: theirs;
    ``value``: :func:`value_column` of ``frame``)."""
    n = len(rows)

    def text(name: str) -> np.ndarray:  # the rows taken first (of categories: their codes)
        return _column(frame, name, None).take(rows).to_numpy(dtype=object)

    def flag(name: str) -> np.ndarray:
        return _column(frame, name, False).take(rows).fillna(False).to_numpy(dtype=bool)

    overdue = pd.to_numeric(_column(frame, "overdue_days", 0).take(rows), errors="coerce")
    close = pd.to_datetime(_column(frame, "expected_close", pd.NaT).take(rows), errors="coerce")
    return pd.DataFrame(
        {
            "date": pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")),
            "owner": text("owner"),
            "priority": pd.arrays.IntegerArray(
                np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
            ),  # all blank (a list of ten million NA took a second)
            "customer_id": text("customer_id"),
            "name": text("name"),
            "grade": text("grade"),
            "value": value[rows],
            "next_followup": due_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "overdue_days": overdue.fillna(0).to_numpy(dtype=np.int64),
            "requalify": flag("requalify"),
            "expected_close": close.to_numpy(dtype="datetime64[ns]"),
            "churn_warning": flag("churn_warning"),
            "pool": flag("pool"),
            "action_key": text("action_key"),
            "open_complaint": flag("open_complaint"),
            "stuck_deal": flag("stuck_deal"),
        }
    )


def describe_calls(
    calls: pd.DataFrame,
    lang: str = "en",
    *,
    pool_reason: pd.Series | None = None,
) -> pd.DataFrame:
    """Why each call is planned and what to do, in ``lang``.

    ``why`` joins: "open complaint", "due" or "overdue by n days" (to the
    call's date), "deal stuck", "expected close … passed: re-qualify",
    "churn warning" and, for
    customers to return to the pool, ``pool_reason`` (by customer id; "return
    to pool" without it). ``action`` is the playbook's recommended action.

    Returns
    -------
    DataFrame
        ``why`` and ``action`` (text), indexed like ``calls``.
    """
    from xlcrm.core import playbook  # package data, read on first use

    overdue = pd.Series(calls["overdue_days"].to_numpy(dtype=np.int64), index=calls.index)
    late = overdue.map(
        {
            n: tn("overdue by {n} day", "overdue by {n} days", int(n), lang)
            for n in overdue.unique()
            if n > 0
        }
    )
    why = late.where(overdue > 0, t("due", lang)).astype(object)
    sep = t("; ", lang)
    if "open_complaint" in calls.columns:
        complaint = calls["open_complaint"].fillna(False).to_numpy(dtype=bool)
        why = why.where(~complaint, t("open complaint", lang) + sep + why)
    if "stuck_deal" in calls.columns:
        stuck = calls["stuck_deal"].fillna(False).to_numpy(dtype=bool)
        why = why.where(~stuck, why + sep + t("deal stuck", lang))
    requalify = calls["requalify"].to_numpy(dtype=bool)
    if requalify.any():
        words = describe_requalify(calls["expected_close"], lang)
        why = why.where(~requalify, why + sep + words.to_numpy(dtype=object))
    churn = calls["churn_warning"].to_numpy(dtype=bool)
    why = why.where(~churn, why + sep + t("churn warning", lang))
    pool = calls["pool"].to_numpy(dtype=bool)
    if pool.any():
        reason = pd.Series(t("return to pool", lang), index=calls.index, dtype=object)
        if pool_reason is not None:
            found = calls["customer_id"].map(pool_reason)
            reason = found.where(found.notna(), reason).astype(object)
        why = why.where(~pool, why + sep + reason)
    keys = calls["action_key"]
    action = keys.map({k: playbook.action_text(str(k), lang) for k in keys.dropna().unique()})
    return pd.DataFrame({"why": why.astype(object), "action": action.astype(object)})
