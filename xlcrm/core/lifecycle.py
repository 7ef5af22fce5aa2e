"""Lifecycle tiers (potential, new, repeat, mature, loyal, sleeping, lost) and
the churn warning.

Tiers and warnings are computed from per-customer numbers, so
:func:`assign_tiers` and :func:`churn_warning` take plain 1-D arrays (or
Series, or scalars) and the Excel worksheet functions can call them per cell.
:func:`purchase_rhythm` derives those numbers from orders.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import (
    OrderBook,
    PurchaseStats,
    as_floats,
    compact_key,
    day_number,
    prepare_orders,
    purchase_stats,
    sorted_by_id,
    to_timestamp,
)
from xlcrm.core.schema import TIERS
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import t, tn

__all__ = [
    "assign_tiers",
    "churn_warning",
    "describe_churn",
    "purchase_rhythm",
]

_TIER_CODES: Final = np.array(TIERS, dtype=object)


# --- per-customer rhythm -------------------------------------------------------------


def rhythm_columns(
    book: OrderBook, stats: PurchaseStats, settings: Settings
) -> dict[str, np.ndarray]:
    """median_gap_days, active_windows, recent_purchases, prior_purchases (arrays by code).

    The median gap is taken between distinct purchase days, so orders placed
    on the same day never make a zero-day gap.
    """
    n = book.n_customers
    code, day = stats.sorted_code, stats.sorted_day
    median_gap = np.full(n, np.nan)
    # gaps between purchase days: several orders on one day are one buying day
    first_of_day = np.r_[code.size > 0, (code[1:] != code[:-1]) | (day[1:] != day[:-1])]
    first_of_day = first_of_day[: code.size]
    day_code, buy_day = code[first_of_day], day[first_of_day]
    if day_code.size > 1:
        same = day_code[1:] == day_code[:-1]
        gap_code = day_code[1:][same]
        gap = (buy_day[1:] - buy_day[:-1])[same]
        if gap.size:
            span = int(gap.max()) + 1
            key = np.sort(compact_key(gap_code, span, gap, n))
            gap_code, gap = key // span, key % span
            starts = np.flatnonzero(np.r_[True, gap_code[1:] != gap_code[:-1]])
            counts = np.diff(np.r_[starts, gap.size])
            lower = gap[starts + (counts - 1) // 2]
            upper = gap[starts + counts // 2]
            median_gap[gap_code[starts]] = (lower + upper) / 2
    windows = window_counts(
        code, day, n, book.as_of_day, settings.window_days, max(settings.loyal_windows, 2)
    )
    return {
        "median_gap_days": median_gap,
        "active_windows": (windows[:, : settings.loyal_windows] > 0).sum(axis=1),
        "recent_purchases": windows[:, 0],
        "prior_purchases": windows[:, 1],
    }


def window_counts(
    code: np.ndarray, day: np.ndarray, n: int, as_of_day: int, window_days: int, windows: int
) -> np.ndarray:
    """Events per customer in consecutive ``window_days`` windows ending on ``as_of``.

    Column 0 counts days in (as_of - window_days, as_of], column 1 the window
    before, and so on. Events after ``as_of`` are not counted.
    """
    age = as_of_day - day
    which = age // window_days
    keep = (age >= 0) & (which < windows)
    flat = np.bincount(code[keep] * windows + which[keep], minlength=n * windows)
    return flat.reshape(n, windows).astype(np.int64)


def purchase_rhythm(
    orders: pd.DataFrame, *, as_of: Any, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """How regularly each customer buys.

    Returns
    -------
    DataFrame
        One row per customer with an order on or before ``as_of``, sorted by
        ``customer_id``: ``median_gap_days`` (median days between consecutive
        purchases, NaN with fewer than two), ``active_windows`` (how many of
        the last ``loyal_windows`` windows of ``window_days`` have a
        purchase), ``recent_purchases`` and ``prior_purchases`` (purchases in
        the last window and in the one before).
    """
    book = prepare_orders(orders, as_of=as_of)
    columns = rhythm_columns(book, purchase_stats(book), settings)
    return sorted_by_id(book.ids, columns)


def activity_windows(
    activities: pd.DataFrame | None,
    ids: pd.Index,
    *,
    as_of: Any,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[np.ndarray, np.ndarray]:
    """Activities per customer of ``ids`` in the last window and the one before."""
    from xlcrm.core.followup import locate_activities

    where, day = locate_activities(activities, ids)
    counts = window_counts(
        where, day, len(ids), day_number(to_timestamp(as_of)), settings.window_days, 2
    )
    return counts[:, 0], counts[:, 1]


# --- tiers -------------------------------------------------------------------------------


def assign_tiers(
    frequency: Any,
    recency_days: Any,
    tenure_days: Any = None,
    active_windows: Any = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """Lifecycle tier code per customer (one of ``schema.TIERS``), never missing.

    Parameters
    ----------
    frequency
        Purchases; 0 or missing means a prospect (``potential``).
    recency_days
        Days since the last purchase.
    tenure_days
        Days since the customer was first seen (for ``loyal``); missing -> not loyal.
    active_windows
        How many of the last ``loyal_windows`` windows have a purchase (for ``loyal``).

    Rules, first match wins: no purchase -> potential; recency >= lost_days
    -> lost; recency >= sleep_days -> sleeping; mature with tenure >=
    loyal_days and a purchase in each of the last loyal_windows windows ->
    loyal; frequency >= mature_orders -> mature; frequency >= 2 -> repeat;
    else new.
    """
    return _TIER_CODES[
        tier_index(frequency, recency_days, tenure_days, active_windows, settings=settings)
    ]


def tier_index(
    frequency: Any,
    recency_days: Any,
    tenure_days: Any = None,
    active_windows: Any = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """Position in ``schema.TIERS`` per customer (see :func:`assign_tiers`)."""
    f = np.nan_to_num(as_floats(frequency), nan=0.0)
    r = as_floats(recency_days)
    t = as_floats(tenure_days) if tenure_days is not None else np.full(f.shape, np.nan)
    w = as_floats(active_windows) if active_windows is not None else np.zeros(f.shape)
    f, r, t, w = np.broadcast_arrays(f, r, t, w)
    mature = f >= settings.mature_orders
    with np.errstate(invalid="ignore"):
        conditions = [
            f <= 0,
            r >= settings.lost_days,
            r >= settings.sleep_days,
            mature & (t >= settings.loyal_days) & (w >= settings.loyal_windows),
            mature,
            f >= 2,
        ]
    choices = [TIERS.index(c) for c in ("potential", "lost", "sleeping", "loyal", "mature")]
    choices.append(TIERS.index("repeat"))
    index: np.ndarray = np.select(conditions, choices, default=TIERS.index("new"))
    return index


# --- churn warning -------------------------------------------------------------------------


def churn_warning(
    recency_days: Any,
    frequency: Any,
    median_gap_days: Any,
    recent_events: Any = 0,
    prior_events: Any = 0,
    p_alive: Any = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Churn warning for customers who bought but are not yet sleeping or lost.

    Flagged for ``"gap"`` when the days since the last purchase exceed
    ``churn_gap_factor`` times the customer's median gap between purchases
    (at least ``churn_min_purchases`` purchases), and for ``"drop"`` when
    purchases plus activities in the last window fell to ``1 - churn_drop``
    of the window before or less (the window before must have some), and for
    ``"alive"`` when the value model's P(alive) is below ``churn_p_alive``.

    Returns
    -------
    DataFrame
        ``churn_warning`` (bool) and ``churn_reason`` (the signals joined by
        ``+`` in the order gap, drop, alive, e.g. ``"gap+alive"``, or missing),
        indexed like ``recency_days`` when it is a Series, else 0..n-1.
    """
    r = as_floats(recency_days)
    f = np.nan_to_num(as_floats(frequency), nan=0.0)
    g = as_floats(median_gap_days)
    recent = np.nan_to_num(as_floats(recent_events), nan=0.0)
    prior = np.nan_to_num(as_floats(prior_events), nan=0.0)
    r, f, g, recent, prior = np.broadcast_arrays(r, f, g, recent, prior)
    with np.errstate(invalid="ignore"):
        eligible = (f > 0) & (r < settings.sleep_days)
        gap = eligible & (f >= settings.churn_min_purchases) & (r > settings.churn_gap_factor * g)
        drop = eligible & (prior > 0) & (recent <= prior * (1 - settings.churn_drop))
        alive = np.zeros_like(gap)
        if p_alive is not None:
            alive = eligible & (
                np.broadcast_to(as_floats(p_alive), r.shape) < settings.churn_p_alive
            )
    reason = _REASON_CODES[gap.astype(np.int64) + 2 * drop.astype(np.int64) + 4 * alive]
    index = recency_days.index if isinstance(recency_days, pd.Series) else None
    return pd.DataFrame(
        {
            "churn_warning": gap | drop | alive,
            "churn_reason": pd.Series(reason, dtype=str, index=index),
        },
        index=index,
    )


# signal sets by bit (gap 1, drop 2, alive 4) -> reason code
_REASON_CODES: Final = np.array(
    [
        None,
        *(
            "+".join(s for b, s in ((1, "gap"), (2, "drop"), (4, "alive")) if i & b)
            for i in range(1, 8)
        ),
    ],
    dtype=object,
)


def _number_text(values: np.ndarray) -> pd.Series:
    """Numbers as text: whole numbers without decimals, others with one."""
    rounded = np.round(values.astype(np.float64), 1)
    text = pd.Series(rounded.astype(str), dtype=object).str.replace(r"\.0$", "", regex=True)
    return text.where(~np.isnan(rounded), "")


def _days_text(values: np.ndarray, lang: str) -> pd.Series:
    """ "1 day", "39 days", "1.5 days" (plural by the catalogue), once per distinct value."""
    numbers = _number_text(values)
    words = {
        text: tn("{count} day", "{count} days", 1 if text == "1" else 2, lang, count=text)
        for text in numbers.unique()
    }
    return numbers.map(words)


def _events_text(values: np.ndarray, lang: str) -> pd.Series:
    numbers = np.nan_to_num(values, nan=0.0).astype(np.int64)
    words = {
        n: tn("{n} purchase or contact", "{n} purchases and contacts", int(n), lang)
        for n in np.unique(numbers)
    }
    return pd.Series(numbers).map(words)


def describe_churn(
    frame: pd.DataFrame, lang: str = "en", *, settings: Settings = DEFAULT_SETTINGS
) -> pd.Series:
    """The churn reason in words, with the numbers, in ``lang`` (``"en"`` or ``"zh"``).

    ``frame`` needs ``churn_reason``, ``recency_days``, ``median_gap_days``,
    ``recent_events`` and ``prior_events`` (as in ``Analysis.customers``), and
    ``p_alive`` for the value model's signal.
    Customers without a warning get a missing value. Example: "no purchase
    for 120 days, 3.1× the usual gap of 39 days". Every phrase comes from the
    message catalogue, plurals included, once per distinct number.
    """
    reason = frame["churn_reason"].astype(object).to_numpy()
    reason = np.where(pd.isna(reason), "", reason).astype(str)
    has_gap = np.char.find(reason, "gap") >= 0
    has_drop = np.char.find(reason, "drop") >= 0
    r = as_floats(frame["recency_days"])
    g = as_floats(frame["median_gap_days"])
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(g > 0, r / g, np.nan)
    days = _days_text(r, lang)
    parts_gap = np.where(
        g > 0,
        _fill(
            t("no purchase for {days}, {times}× the usual gap of {gap}", lang),
            days=days,
            times=_number_text(x),
            gap=_days_text(g, lang),
        ),
        _fill(t("no purchase for {days}; earlier purchases all came on one day", lang), days=days),
    )
    parts_drop = _fill(
        t("{events} in the last {window}, down from {before} in the {window} before", lang),
        events=_events_text(as_floats(frame["recent_events"]), lang),
        before=_number_text(as_floats(frame["prior_events"])),
        window=_days_text(np.full(len(frame), float(settings.window_days)), lang),
    )
    parts = [(has_gap, parts_gap), (has_drop, parts_drop)]
    if "p_alive" in frame.columns:
        percent = np.round(as_floats(frame["p_alive"]) * 100)
        parts_alive = _fill(
            t(
                "the value model gives only a {p} chance that this customer still buys "
                "(warning below {t})",
                lang,
            ),
            p=_number_text(percent) + "%",
            t=pd.Series([f"{settings.churn_p_alive:.0%}"] * len(frame)),
        )
        parts.append((np.char.find(reason, "alive") >= 0, parts_alive))
    text = np.full(len(frame), "", dtype=object)
    for present, part in parts:
        joined = np.where(text == "", part, text + t("; ", lang) + part)
        text = np.where(present, joined, text)
    text = np.where(text == "", np.array(None, dtype=object), text)
    return pd.Series(text, index=frame.index, dtype=str, name="churn_text")


def _fill(template: str, **columns: pd.Series) -> np.ndarray:
    """Vectorised ``template.format(**row)`` for text columns of equal length."""
    n = len(next(iter(columns.values())))
    out = pd.Series([""] * n, dtype=object)
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out = out + head + columns[name].to_numpy(dtype=object)
    return (out + rest).to_numpy(dtype=object)
