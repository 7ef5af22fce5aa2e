"""A-E customer grades, follow-up cadence, next follow-up date and urgency.

Grades follow the sales pipeline: A closes within 30 days, B within 90, C
within 180, D later or with an unclear need, E has no need. A grade typed
into the Customers sheet always wins over the derived one. Every grade has
a cadence (A daily ... E yearly); the next follow-up is the last contact plus
the cadence, and its distance from ``as_of`` gives the urgency.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.errors import InputError
from xlcrm.core.rfm import (
    as_floats,
    customer_ids,
    dates_from_days,
    day_number,
    days_of,
    to_timestamp,
)
from xlcrm.core.schema import GRADES, URGENCIES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "NO_NEED_WORDS",
    "UNCLEAR_NEED_WORDS",
    "cadence_for",
    "derive_grades",
    "schedule_followups",
    "urgency_codes",
]

#: ``need_status`` / ``deal_status`` values (case-insensitive) meaning "no need": grade E.
NO_NEED_WORDS: Final = frozenset(
    {
        "none",
        "no",
        "no need",
        "dead",
        "lost",
        "closed lost",
        "closed-lost",
        "无",
        "无需求",
        "没有需求",
        "死亡",
        "死亡客户",
        "输单",
        "丢单",
        "失败",
    }
)

#: ``need_status`` values meaning the need is unclear or only in the future: grade D.
UNCLEAR_NEED_WORDS: Final = frozenset(
    {
        "unclear",
        "unknown",
        "not clear",
        "future",
        "potential",
        "不明",
        "需求不明",
        "不清楚",
        "未知",
        "潜在",
        "潜在需求",
        "未来",
    }
)

_GRADE_CODES: Final = np.array(GRADES, dtype=object)
_URGENCY_CODES: Final = np.array(URGENCIES, dtype=object)


def normalised_text(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes and the distinct values stripped and case-folded, for whole-column lookups.

    ``values[i]`` normalised is ``uniques[codes[i]]``; missing values have
    code -1. Text functions then run once per distinct value, not per row.
    """
    if isinstance(values, str) or np.isscalar(values) or values is None:
        values = [values]
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(np.asarray(array, dtype=object))
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    return codes, text.str.strip().str.casefold().to_numpy(dtype=object)


def _words(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64), np.array([], dtype=object)
    return normalised_text(frame[column])


def _member(words: tuple[np.ndarray, np.ndarray], vocabulary: frozenset[str]) -> np.ndarray:
    codes, uniques = words
    hit = np.r_[np.isin(uniques, list(vocabulary)), False]
    return hit[codes]


def dates_column(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    if column not in frame.columns:
        n = len(frame)
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    values = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce")
    elif isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return days_of(values)


def derive_grades(
    customers: pd.DataFrame, *, as_of: Any, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """Grade A-E per customer and where it came from.

    A valid ``grade`` (A-E, any case, "A级"/"A类" accepted) is kept
    (``grade_source`` "given"). Otherwise, first match wins: ``need_status``
    or ``deal_status`` in :data:`NO_NEED_WORDS` -> E; ``need_status`` in
    :data:`UNCLEAR_NEED_WORDS` -> D; ``expected_close`` within
    ``grade_a_days`` of ``as_of`` (or already past) -> A, within
    ``grade_b_days`` -> B, within ``grade_c_days`` -> C, later -> D; no
    expected close -> D.

    Returns
    -------
    DataFrame
        ``grade`` and ``grade_source`` (text), indexed like ``customers``.
    """
    as_of_day = day_number(to_timestamp(as_of))
    grade_codes, grade_words = _words(customers, "grade")
    grade_words = np.array(
        [w.upper().removesuffix("级").removesuffix("类").strip() for w in grade_words]
        + [""],  # missing
        dtype=object,
    )
    given = grade_words[grade_codes]
    valid_given = np.isin(given, GRADES)
    need = _words(customers, "need_status")
    deal = _words(customers, "deal_status")
    close_day, has_close = dates_column(customers, "expected_close")
    until = close_day - as_of_day
    derived = np.select(
        [
            _member(need, NO_NEED_WORDS) | _member(deal, NO_NEED_WORDS),
            _member(need, UNCLEAR_NEED_WORDS),
            has_close & (until <= settings.grade_a_days),
            has_close & (until <= settings.grade_b_days),
            has_close & (until <= settings.grade_c_days),
        ],
        [4, 3, 0, 1, 2],
        default=3,
    )
    grade = np.where(valid_given, given, _GRADE_CODES[derived])
    source = np.where(valid_given, "given", "derived").astype(object)
    return pd.DataFrame(
        {
            "grade": pd.Series(grade, index=customers.index, dtype=str),
            "grade_source": pd.Series(source, index=customers.index, dtype=str),
        }
    )


def cadence_for(grades: Any, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """Follow-up cadence in days (int64) per grade A-E.

    Accepts a 1-D array, list, Series or one grade; an unknown grade raises
    :class:`~xlcrm.core.errors.InputError`.
    """
    codes, words = normalised_text(grades)
    table = settings.cadence
    known = np.array([w.upper() in table for w in words] + [False])
    if not known[codes].all():
        bad = ([*words, ""])[int(codes[~known[codes]][0])]
        raise InputError(f"unknown grade {bad!r}; use A, B, C, D or E", column="grade")
    days = np.array([table.get(w.upper(), 0) for w in words] + [0], dtype=np.int64)
    return days[codes]


def urgency_codes(days_until_due: Any, *, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """Urgency code (one of ``schema.URGENCIES``) from days until a follow-up is due.

    <= ``urgent_days`` (overdue included) -> urgent; <= ``soon_days`` ->
    soon; <= ``not_urgent_days`` -> not_urgent; later -> slow. Missing -> None.
    """
    days = as_floats(days_until_due)
    index = np.select(
        [
            days <= settings.urgent_days,
            days <= settings.soon_days,
            days <= settings.not_urgent_days,
        ],
        [0, 1, 2],
        default=3,
    )
    out = _URGENCY_CODES[index]
    out[np.isnan(days)] = None
    return out


def locate_activities(
    activities: pd.DataFrame | None, ids: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Position in ``ids`` and day number of every dated activity of a known customer."""
    if activities is None or activities.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    where = ids.get_indexer(pd.Index(customer_ids(activities["customer_id"])))
    day, valid = dates_column(activities, "date")
    keep = valid & (where >= 0)
    return where[keep], day[keep]


def latest_day(where: np.ndarray, day: np.ndarray, n: int, as_of_day: int) -> np.ndarray:
    """Latest day on or before ``as_of_day`` per position; int64 min where none."""
    latest = np.full(n, np.iinfo(np.int64).min)
    keep = day <= as_of_day
    np.maximum.at(latest, where[keep], day[keep])
    return latest


def schedule_followups(
    frame: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: Any,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Next follow-up date and urgency per customer.

    Parameters
    ----------
    frame
        ``customer_id`` (unique) and ``grade``; optionally ``last_contact``
        (the Customers sheet field).
    activities
        ``customer_id``, ``date``: the contact log. Entries after ``as_of``
        are ignored.

    Returns
    -------
    DataFrame
        Indexed like ``frame``: ``last_contact`` (the later of the latest
        activity and the sheet's field, both on or before ``as_of``),
        ``cadence_days``, ``next_followup`` (last contact + cadence; ``as_of``
        when never contacted), ``days_until_due`` (negative when overdue),
        ``overdue_days``, ``urgency`` and ``needs_followup`` (due within
        ``urgent_days``, overdue included).
    """
    stamp = to_timestamp(as_of)
    as_of_day = day_number(stamp)
    ids = pd.Index(customer_ids(frame["customer_id"]))
    if not ids.is_unique:
        dup = ids[ids.duplicated()][0]
        raise InputError(f"customer {dup!r} appears twice", column="customer_id")
    where, day = locate_activities(activities, ids)
    return plan_followups(frame, where, day, as_of_day=as_of_day, settings=settings)


def plan_followups(
    frame: pd.DataFrame,
    activity_where: np.ndarray,
    activity_day: np.ndarray,
    *,
    as_of_day: int,
    settings: Settings,
) -> pd.DataFrame:
    """:func:`schedule_followups` on activities found by :func:`locate_activities`."""
    activity_day = latest_day(activity_where, activity_day, len(frame), as_of_day)
    has_activity = activity_day > np.iinfo(np.int64).min
    field_day, has_field = dates_column(frame, "last_contact")
    has_field &= field_day <= as_of_day
    contact_day = np.maximum(
        np.where(has_activity, activity_day, np.iinfo(np.int64).min),
        np.where(has_field, field_day, np.iinfo(np.int64).min),
    )
    contacted = has_activity | has_field
    cadence = cadence_for(frame["grade"], settings)
    due_day = np.where(contacted, contact_day + cadence, as_of_day)
    until = due_day - as_of_day
    index = frame.index
    return pd.DataFrame(
        {
            "last_contact": dates_from_days(contact_day, contacted),
            "cadence_days": cadence,
            "next_followup": dates_from_days(due_day, np.ones(len(frame), dtype=bool)),
            "days_until_due": until.astype(np.int64),
            "overdue_days": np.maximum(0, -until).astype(np.int64),
            "urgency": pd.Series(urgency_codes(until, settings=settings), index=index, dtype=str),
            "needs_followup": until <= settings.urgent_days,
        },
        index=index,
    )
