"""A-E customer grades, follow-up cadence, next follow-up date, urgency and
the customer pool (公海).

Grades follow the sales pipeline: A closes within 30 days, B within 90, C
within 180, D later or with an unclear need, E has no need; an expected close
that has passed asks for a re-qualification. A grade typed into the Customers
sheet always wins over the derived one. Leads and open deals are followed at
the cadence of their grade (A daily ... E yearly); buying customers at the
cadence of their lifecycle tier or RFM class. The next follow-up is the last
contact (an activity, the sheet's date or a purchase) plus the cadence, and
its distance from ``as_of`` gives the urgency. Owners who neither sell to nor
contact a customer for long return it to the shared pool.
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
from xlcrm.core.schema import GRADES, RFM_CLASSES, URGENCIES
from xlcrm.core.settings import CADENCE_TIERS, DEFAULT_SETTINGS, Settings
from xlcrm.locale import N_, t, tn, tp

__all__ = [
    "CADENCE_BASES",
    "CONTACT_SOURCES",
    "GRADE_SOURCES",
    "NO_NEED_WORDS",
    "UNCLEAR_NEED_WORDS",
    "WON_WORDS",
    "cadence_for",
    "derive_grades",
    "nearest_open_close",
    "pool_flags",
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


#: ``deal_status`` values (case-insensitive) of a deal that is won: the deal is closed.
WON_WORDS: Final = frozenset(
    {"won", "closed won", "closed-won", "win", "signed", "成交", "已成交", "赢单", "签约", "已签约"}
)

#: Where a grade comes from: typed on the Customers sheet, derived from the
#: pipeline (need, deal status, expected close), or the default D when nothing
#: is known.
GRADE_SOURCES: Final = ("given", "derived", "default")


def derive_grades(
    customers: pd.DataFrame, *, as_of: Any, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """Grade A-E per customer, where it came from, and whether to re-qualify.

    A valid ``grade`` (A-E, any case, "A级"/"A类" accepted) is kept
    (``grade_source`` "given"). Otherwise, first match wins: ``need_status``
    or ``deal_status`` in :data:`NO_NEED_WORDS` -> E; ``need_status`` in
    :data:`UNCLEAR_NEED_WORDS` -> D; ``expected_close`` before ``as_of``
    (passed) -> D; within ``grade_a_days`` of ``as_of`` -> A, within
    ``grade_b_days`` -> B, within ``grade_c_days`` -> C, later -> D (all
    "derived"). Nothing known -> D ("default").

    An expected close before ``as_of`` flags ``requalify`` unless the grade is
    E: a derived grade has become D, a typed grade is kept (with its cadence)
    but is stale all the same.

    Returns
    -------
    DataFrame
        ``grade``, ``grade_source`` (text), ``requalify`` (bool) and
        ``expected_close`` (datetime64, NaT when none), indexed like ``customers``.
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
    no_need = _member(need, NO_NEED_WORDS) | _member(deal, NO_NEED_WORDS)
    unclear = _member(need, UNCLEAR_NEED_WORDS)
    passed = has_close & (until < 0)
    derived = np.select(
        [
            no_need,
            unclear,
            passed,
            has_close & (until <= settings.grade_a_days),
            has_close & (until <= settings.grade_b_days),
            has_close & (until <= settings.grade_c_days),
        ],
        [4, 3, 3, 0, 1, 2],
        default=3,
    )
    grade = np.where(valid_given, given, _GRADE_CODES[derived])
    known = no_need | unclear | has_close
    source = np.where(valid_given, "given", np.where(known, "derived", "default")).astype(object)
    return pd.DataFrame(
        {
            "grade": pd.Series(grade, index=customers.index, dtype=str),
            "grade_source": pd.Series(source, index=customers.index, dtype=str),
            "requalify": passed & (grade != "E"),
            "expected_close": dates_from_days(close_day, has_close),
        },
        index=customers.index,
    )


def nearest_open_close(deals: pd.DataFrame | None, ids: pd.Index, *, as_of: Any) -> np.ndarray:
    """The nearest expected close among each customer's open deals (datetime64, NaT if none).

    A deal is open unless its ``deal_status`` says won (:data:`WON_WORDS`) or
    lost (:data:`NO_NEED_WORDS`). Nearest: the earliest expected close on or
    after ``as_of``; when all have passed, the latest one (which then asks
    for a re-qualification).

    Parameters
    ----------
    deals
        ``customer_id``, ``expected_close`` and optionally ``deal_status``.
    ids
        The customers, in the order of the result.
    """
    n = len(ids)
    if deals is None or deals.empty or "expected_close" not in deals.columns:
        return dates_from_days(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))
    as_of_day = day_number(to_timestamp(as_of))
    where = ids.get_indexer(pd.Index(customer_ids(deals["customer_id"])))
    day, valid = dates_column(deals, "expected_close")
    status = _words(deals, "deal_status")
    closed = _member(status, WON_WORDS) | _member(status, NO_NEED_WORDS)
    keep = valid & (where >= 0) & ~closed
    where, day = where[keep], day[keep]
    ahead = day >= as_of_day
    big = np.iinfo(np.int64).max
    soonest = np.full(n, big)
    np.minimum.at(soonest, where[ahead], day[ahead])
    latest = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(latest, where[~ahead], day[~ahead])
    has_ahead = soonest < big
    chosen = np.where(has_ahead, soonest, latest)
    return dates_from_days(chosen, has_ahead | (latest > np.iinfo(np.int64).min))


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


#: Where the last contact comes from.
CONTACT_SOURCES: Final = ("activity", "customers", "purchase")
#: What the cadence follows: the A-E grade, the lifecycle tier, or an RFM class override.
CADENCE_BASES: Final = ("grade", "tier", "class")

_NONE: Final = np.iinfo(np.int64).min


def schedule_followups(
    frame: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: Any,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Last contact, cadence, next follow-up date and urgency per customer.

    Parameters
    ----------
    frame
        ``customer_id`` (unique) and ``grade``; optionally ``grade_source``
        (see :func:`derive_grades`; missing means "given"),
        ``last_contact`` (the Customers sheet field), ``last_purchase``,
        ``tier``, ``rfm_class`` and ``expected_close``.
    activities
        ``customer_id``, ``date``: the contact log. Entries after ``as_of``
        are ignored.

    Returns
    -------
    DataFrame
        Indexed like ``frame``, see :func:`plan_followups`.
    """
    stamp = to_timestamp(as_of)
    as_of_day = day_number(stamp)
    ids = pd.Index(customer_ids(frame["customer_id"]))
    if not ids.is_unique:
        dup = ids[ids.duplicated()][0]
        raise InputError(
            N_("customer {customer} appears twice"), column="customer_id", args={"customer": dup}
        )
    where, day = locate_activities(activities, ids)
    return plan_followups(frame, where, day, as_of_day=as_of_day, settings=settings)


def _text_codes(frame: pd.DataFrame, column: str, codes: tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``codes`` (-1: missing or unknown)."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64)
    found: np.ndarray = pd.Index(codes).get_indexer(pd.Index(frame[column].astype(object)))
    return found


def _buyer_cadence(
    tier: np.ndarray, rfm_class: np.ndarray, settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Cadence of a buying customer without a grade, and whether a class override gave it.

    The tier's cadence (``cadence_<tier>``), unless the RFM class has one
    (``cadence_<class>``): the override wins. A lost customer is never
    called more often than ``cadence_lost``.
    """
    tiers = ("potential", *CADENCE_TIERS)
    by_tier = np.array(
        [
            settings.cadence_d,
            *(settings.tier_cadence[t] for t in CADENCE_TIERS),
            settings.cadence_d,
        ],
        dtype=np.int64,
    )
    cadence = by_tier[np.where(tier < 0, len(tiers), tier)]
    overrides = settings.class_cadence
    by_class = np.array([overrides.get(code, 0) for code in RFM_CLASSES] + [0], dtype=np.int64)[
        np.where(rfm_class < 0, len(RFM_CLASSES), rfm_class)
    ]
    overridden = by_class > 0
    cadence = np.where(overridden, by_class, cadence)
    lost = tier == tiers.index("lost")
    cadence = np.where(lost, np.maximum(cadence, settings.cadence_lost), cadence)
    return cadence, overridden & ~(lost & (by_class < settings.cadence_lost))


def plan_followups(
    frame: pd.DataFrame,
    activity_where: np.ndarray,
    activity_day: np.ndarray,
    *,
    as_of_day: int,
    settings: Settings,
) -> pd.DataFrame:
    """:func:`schedule_followups` on activities found by :func:`locate_activities`.

    Rules (``docs/definitions.md``, "Follow-up"):

    * last contact: the latest of an activity, the Customers sheet's
      ``last_contact`` and, with ``purchase_is_contact``, the last purchase
      (all on or before as_of); ``contact_source`` says which (an activity
      wins a tie, then the sheet);
    * cadence: leads and open deals (no purchase, or a grade that is given or
      derived from the pipeline) follow their grade (``cadence_a`` ...).
      Buying customers without one, and any buyer whose last purchase is on
      the day of the latest contact or later, follow their tier
      (``cadence_new`` ...) or RFM class override; a lost customer never
      more often than ``cadence_lost`` unless it has an open deal (an
      expected close on or after as_of);
    * next follow-up: last contact + cadence, as_of when never contacted; a
      sleeping customer not contacted since falling asleep (last purchase +
      ``sleep_days``) is due for a win-back contact on that day.

    Returns
    -------
    DataFrame
        Indexed like ``frame``: ``last_contact``, ``contact_source``,
        ``cadence_days``, ``cadence_basis`` (one of :data:`CADENCE_BASES`),
        ``next_followup``, ``days_until_due`` (negative when overdue),
        ``overdue_days``, ``urgency`` and ``needs_followup`` (due within
        ``urgent_days``, overdue included).
    """
    n = len(frame)
    activity_day = latest_day(activity_where, activity_day, n, as_of_day)
    field_day, has_field = dates_column(frame, "last_contact")
    field_day = np.where(has_field & (field_day <= as_of_day), field_day, _NONE)
    purchase_day, bought = dates_column(frame, "last_purchase")
    bought &= purchase_day <= as_of_day
    purchase_day = np.where(bought, purchase_day, _NONE)
    counted = purchase_day if settings.purchase_is_contact else np.full(n, _NONE)
    contact_day = np.maximum(np.maximum(activity_day, field_day), counted)
    contacted = contact_day > _NONE
    source_index = np.select(
        [activity_day == contact_day, field_day == contact_day], [0, 1], default=2
    )
    source = np.array([*CONTACT_SOURCES, None], dtype=object)[
        np.where(contacted, source_index, len(CONTACT_SOURCES))
    ]

    grade_cadence = cadence_for(frame["grade"], settings)
    if "grade_source" in frame.columns:
        graded = frame["grade_source"].astype(object).to_numpy() != "default"
    else:
        graded = np.ones(n, dtype=bool)
    # a purchase on the day of the latest contact answers the follow-up too
    just_bought = contacted & (counted == contact_day)
    by_grade = ~bought | (graded & ~just_bought)
    tier = _text_codes(frame, "tier", ("potential", *CADENCE_TIERS))
    rfm_class = _text_codes(frame, "rfm_class", tuple(RFM_CLASSES))
    buyer_cadence, by_class = _buyer_cadence(tier, rfm_class, settings)
    cadence = np.where(by_grade, grade_cadence, buyer_cadence)
    close_day, has_close = dates_column(frame, "expected_close")
    open_deal = has_close & (close_day >= as_of_day)
    lost = tier == CADENCE_TIERS.index("lost") + 1
    cadence = np.where(
        by_grade & lost & ~open_deal, np.maximum(cadence, settings.cadence_lost), cadence
    )
    basis = np.where(by_grade, 0, np.where(by_class, 2, 1))

    due_day = np.where(contacted, contact_day + cadence, as_of_day)
    sleeping = (tier == CADENCE_TIERS.index("sleeping") + 1) & ~by_grade & bought
    asleep_since = purchase_day + settings.sleep_days
    win_back = sleeping & contacted & (contact_day < asleep_since)
    due_day = np.where(win_back, np.minimum(due_day, asleep_since), due_day)
    until = due_day - as_of_day
    index = frame.index
    return pd.DataFrame(
        {
            "last_contact": dates_from_days(contact_day, contacted),
            "contact_source": pd.Series(source, index=index, dtype=str),
            "cadence_days": cadence.astype(np.int64),
            "cadence_basis": pd.Series(
                np.array(CADENCE_BASES, dtype=object)[basis], index=index, dtype=str
            ),
            "next_followup": dates_from_days(due_day, np.ones(n, dtype=bool)),
            "days_until_due": until.astype(np.int64),
            "overdue_days": np.maximum(0, -until).astype(np.int64),
            "urgency": pd.Series(urgency_codes(until, settings=settings), index=index, dtype=str),
            "needs_followup": until <= settings.urgent_days,
        },
        index=index,
    )


def pool_flags(
    owner: Any,
    recency_days: Any,
    days_since_contact: Any,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """Customers to return to the shared pool (公海), as a bool array.

    A customer with an owner is returned when there is no purchase within
    ``pool_no_deal_days`` (days since the last purchase greater than it, or
    no purchase at all) and no contact within ``pool_no_contact_days`` (the
    same for the last contact). A limit left blank (None) is not checked;
    with both blank nobody is returned.

    Parameters
    ----------
    owner
        The owner per customer (missing or blank: no owner).
    recency_days, days_since_contact
        Days since the last purchase and since the last contact (NaN: never).
    """
    owners = pd.Series(np.asarray(owner, dtype=object).reshape(-1), dtype=object)
    has_owner = owners.notna().to_numpy() & (owners.astype(str).str.strip() != "").to_numpy()
    deal_days = np.nan_to_num(as_floats(recency_days), nan=np.inf)
    contact_days = np.nan_to_num(as_floats(days_since_contact), nan=np.inf)
    limits = (settings.pool_no_deal_days, settings.pool_no_contact_days)
    if limits == (None, None):
        return np.zeros(len(owners), dtype=bool)
    out = has_owner.copy()
    for limit, days in zip(limits, (deal_days, contact_days), strict=True):
        if limit is not None:
            out &= days > limit
    return out


# --- in words ------------------------------------------------------------------------


def _by_value(values: pd.Series, render: Any) -> pd.Series:
    """``render(value)`` for each distinct value of ``values`` (missing stays missing)."""
    distinct = values.dropna().unique()
    return values.map({v: render(v) for v in distinct})


def _day_text(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def describe_requalify(expected_close: Any, lang: str = "en") -> pd.Series:
    """ "expected close 2026-03-01 passed: re-qualify" per customer (missing where NaT)."""
    dates = pd.Series(pd.to_datetime(pd.Series(expected_close), errors="coerce").to_numpy())
    return _by_value(
        dates,
        lambda d: t("expected close {date} passed: re-qualify", lang, date=_day_text(d)),
    ).astype(object)


def describe_pool(
    recency_days: Any, days_since_contact: Any, lang: str = "en", *, settings: Settings
) -> pd.Series:
    """Why a customer returns to the pool, e.g. "return to pool: no purchase for 200
    days, no contact for 95 days", for every customer (:func:`pool_flags` says
    for whom it applies). Only the limits that are set are named."""
    bought = pd.Series(as_floats(recency_days))
    contact = pd.Series(as_floats(days_since_contact))
    parts: list[pd.Series] = []
    if settings.pool_no_deal_days is not None:
        text = _by_value(
            bought,
            lambda v: tn("no purchase for {n} day", "no purchase for {n} days", int(v), lang),
        )
        parts.append(text.where(bought.notna(), t("never bought", lang)).astype(object))
    if settings.pool_no_contact_days is not None:
        text = _by_value(
            contact, lambda v: tn("no contact for {n} day", "no contact for {n} days", int(v), lang)
        )
        parts.append(text.where(contact.notna(), t("never contacted", lang)).astype(object))
    if not parts:
        return pd.Series([None] * len(bought), dtype=object)
    reason = parts[0] if len(parts) == 1 else parts[0] + t(", ", lang) + parts[1]
    # the sentence around the reason, filled once and wrapped around the whole column
    head, _, tail = t("return to pool: {reason}", lang, reason="\x00").partition("\x00")
    return (head + reason + tail).astype(object)


def contact_source_labels(codes: Any, lang: str = "en") -> pd.Series:
    """Where the last contact comes from, in words ("activity log", "purchase" ...)."""
    words = {
        "activity": tp("last contact from", "activity log", lang),
        "customers": tp("last contact from", "Customers sheet", lang),
        "purchase": tp("last contact from", "purchase", lang),
    }
    return pd.Series(codes, dtype=object).map(words).astype(object)
