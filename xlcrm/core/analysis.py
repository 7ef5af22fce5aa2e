"""Run the whole analytics core in order: :func:`analyze` -> :class:`Analysis`.

``Analysis.customers`` has one row per customer (from the Customers sheet
and from orders) with R/F/M, scores, RFM class, named segment, lifecycle
tier, churn warning, grade, follow-up schedule, ABC class and the playbook
action. :func:`summary` condenses it into the key figures the report and
mail use. See ``docs/architecture.md`` for the column contract and
``docs/definitions.md`` for every rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import followup, lifecycle, pareto, playbook, rfm
from xlcrm.core.schema import RFM_CLASSES, SEGMENTS, TIERS, URGENCIES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__all__ = ["COLUMNS", "Analysis", "analyze", "summary"]

#: Columns of ``Analysis.customers``, in order.
COLUMNS: Final = (
    "customer_id",
    "name",
    "owner",
    "created",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_class",
    "segment",
    "tier",
    "churn_warning",
    "churn_reason",
    "median_gap_days",
    "recent_events",
    "prior_events",
    "grade",
    "grade_source",
    "cadence_days",
    "last_contact",
    "next_followup",
    "days_until_due",
    "overdue_days",
    "urgency",
    "abc_class",
    "revenue_share",
    "action_key",
    "needs_followup",
)


_CLASS_CODES: Final = np.array(RFM_CLASSES, dtype=object)
_TIER_CODES: Final = np.array(TIERS, dtype=object)


@dataclass(frozen=True)
class Analysis:
    """The result of :func:`analyze` (see ``docs/architecture.md``)."""

    as_of: pd.Timestamp
    settings: Settings
    customers: pd.DataFrame
    thresholds: dict[str, float]
    pareto: pareto.ParetoSummary
    #: Orders counted (order lines merged by order number, dated on or before as_of)
    #: and how many of them are purchases (not refunds).
    orders: int = 0
    purchases: int = 0


def _sheet(customers: pd.DataFrame | None) -> pd.DataFrame:
    """Customers sheet rows with an id, first row per id, indexed by the id."""
    if customers is None:
        return pd.DataFrame(index=pd.Index([], dtype=object, name="customer_id"))
    rfm.require_columns(customers, ("customer_id",), "Customers")
    ids = rfm.customer_ids(customers["customer_id"])
    keep = ids.notna().to_numpy()
    frame = customers.drop(columns="customer_id").loc[keep]
    frame.index = pd.Index(ids.to_numpy(dtype=object)[keep], name="customer_id")
    return frame[~frame.index.duplicated()]


def _universe(
    book: rfm.OrderBook, sheet: pd.DataFrame
) -> tuple[pd.Index, np.ndarray, pd.DataFrame]:
    """All customers (sorted ids), where each order customer sits in it, and
    the Customers sheet aligned to it (index 0..n-1, rows of missing ones NA)."""
    ids = book.ids
    if len(sheet):
        pos = pd.Index(ids).get_indexer(sheet.index)
        prospects = pos < 0
        pos[prospects] = len(ids) + np.arange(int(prospects.sum()))
        ids = np.concatenate([ids, np.asarray(sheet.index, dtype=object)[prospects]])
    try:
        order = np.argsort(ids, kind="stable")  # the one sort of customer ids
    except TypeError:  # ids of mixed types (text and numbers): sort them as text
        ids = ids.astype(str).astype(object)
        order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    universe = pd.Index(ids[order], dtype=object, name="customer_id")
    at = rank[: book.n_customers]
    if not len(sheet):
        return universe, at, pd.DataFrame(index=range(len(universe)))
    take = np.full(len(universe), -1, dtype=np.int64)
    take[rank[pos]] = np.arange(len(sheet))
    aligned = sheet.reset_index(drop=True).reindex(take).reset_index(drop=True)
    return universe, at, aligned


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), dtype=str)
    values = frame[column]
    return pd.Series(values.astype(object).where(values.notna(), None).to_numpy(), dtype=str)


def _spread(values: np.ndarray, where: np.ndarray, n: int, fill: Any) -> np.ndarray:
    """Values known for some customers, placed at ``where`` in an array of ``n``."""
    if where.size == n and (where == np.arange(n)).all():
        return values
    out = np.full(n, fill, dtype=values.dtype)
    out[where] = values
    return out


def analyze(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    *,
    as_of: Any,
    settings: Settings = DEFAULT_SETTINGS,
) -> Analysis:
    """Every customer's value, tier, churn warning, grade and next follow-up.

    Parameters
    ----------
    orders
        ``customer_id``, ``order_date``, ``amount`` (optional ``order_id``).
    customers
        The Customers sheet (``customer_id`` plus any of ``name``, ``owner``,
        ``created``, ``grade``, ``expected_close``, ``deal_status``,
        ``need_status``, ``last_contact``). Customers found only in orders
        are added; customers without a purchase are prospects.
    activities
        ``customer_id``, ``date`` (and ``kind``): the contact log.
    as_of
        The day of the analysis; orders and activities after it are ignored.
    settings
        Thresholds and cadences.

    Returns
    -------
    Analysis
        ``customers`` has the columns of :data:`COLUMNS`, sorted by
        ``customer_id``, index 0..n-1.
    """
    stamp = rfm.to_timestamp(as_of)
    as_of_day = rfm.day_number(stamp)
    book = rfm.prepare_orders(orders, as_of=stamp)
    stats = rfm.purchase_stats(book)
    sheet = _sheet(customers)
    if activities is not None:
        rfm.require_columns(activities, ("customer_id", "date"), "Activities")

    universe, at, aligned = _universe(book, sheet)
    n = len(universe)

    # R, F, M over purchases; scores over customers with one
    columns = rfm.rfm_columns(stats, book.as_of_day)
    first_day = _spread(stats.first_day, at, n, 0)
    last_day = _spread(stats.last_day, at, n, 0)
    frequency = _spread(columns["frequency"], at, n, 0)
    bought = frequency > 0
    recency = _spread(columns["recency_days"], at, n, np.nan)
    monetary = _spread(columns["monetary"], at, n, np.nan)
    r_score = rfm.quantile_scores(recency, higher_is_better=False)
    f_score = rfm.quantile_scores(np.where(bought, frequency, np.nan))
    m_score = rfm.quantile_scores(monetary)
    score_frame = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "r_score": r_score,
            "f_score": f_score,
            "m_score": m_score,
        }
    )
    thresholds = rfm.rfm_thresholds(score_frame, settings=settings)
    class_index = rfm.class_index(recency, frequency, monetary, thresholds=thresholds)
    rfm_class = _CLASS_CODES[class_index]
    rfm_class[class_index < 0] = None
    segment = rfm.segment_codes(r_score, f_score, m_score)

    # first seen: the earlier of the sheet's created date and the first order
    first_order = np.full(book.n_customers, np.iinfo(np.int64).max)
    np.minimum.at(first_order, book.code, book.day)
    first_order_day = _spread(first_order, at, n, np.iinfo(np.int64).max)
    created_day, has_created = followup.dates_column(aligned, "created")
    created_day = np.where(has_created, created_day, np.iinfo(np.int64).max)
    created_day = np.minimum(created_day, first_order_day)
    has_seen = created_day < np.iinfo(np.int64).max
    tenure = np.where(has_seen, as_of_day - created_day, np.nan)

    # tiers and churn
    rhythm = lifecycle.rhythm_columns(book, stats, settings)
    median_gap = _spread(rhythm["median_gap_days"], at, n, np.nan)
    active = _spread(rhythm["active_windows"], at, n, 0)
    tier_index = lifecycle.tier_index(frequency, recency, tenure, active, settings=settings)
    tier = _TIER_CODES[tier_index]
    act_where, act_day = followup.locate_activities(activities, universe)
    act_windows = lifecycle.window_counts(act_where, act_day, n, as_of_day, settings.window_days, 2)
    recent_acts, prior_acts = act_windows[:, 0], act_windows[:, 1]
    recent_events = _spread(rhythm["recent_purchases"], at, n, 0) + recent_acts
    prior_events = _spread(rhythm["prior_purchases"], at, n, 0) + prior_acts
    churn = lifecycle.churn_warning(
        recency, frequency, median_gap, recent_events, prior_events, settings=settings
    )

    # grades and follow-ups
    aligned_ids = pd.Series(np.asarray(universe, dtype=object), dtype=object)
    grades = followup.derive_grades(aligned, as_of=stamp, settings=settings)
    plan_input = pd.DataFrame({"customer_id": aligned_ids, "grade": grades["grade"]})
    if "last_contact" in aligned.columns:
        plan_input["last_contact"] = aligned["last_contact"]
    plan = followup.plan_followups(
        plan_input, act_where, act_day, as_of_day=as_of_day, settings=settings
    )

    # concentration
    summary_ = pareto.pareto_summary(monetary, settings=settings)
    revenue = summary_.revenue
    share = np.where(bought & (revenue != 0), np.nan_to_num(monetary) / (revenue or 1.0), 0.0)

    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(aligned_ids, dtype=str),
            "name": _text(aligned, "name"),
            "owner": _text(aligned, "owner"),
            "created": rfm.dates_from_days(created_day, has_seen),
            "first_purchase": rfm.dates_from_days(first_day, bought),
            "last_purchase": rfm.dates_from_days(last_day, bought),
            "recency_days": recency,
            "frequency": frequency.astype(np.int64),
            "monetary": monetary,
            "r_score": pd.array(r_score, dtype="Int64"),
            "f_score": pd.array(f_score, dtype="Int64"),
            "m_score": pd.array(m_score, dtype="Int64"),
            "rfm_class": pd.Series(rfm_class, dtype=str),
            "segment": pd.Series(segment, dtype=str),
            "tier": pd.Series(tier, dtype=str),
            "churn_warning": churn["churn_warning"].to_numpy(),
            "churn_reason": churn["churn_reason"].reset_index(drop=True),
            "median_gap_days": median_gap,
            "recent_events": recent_events.astype(np.int64),
            "prior_events": prior_events.astype(np.int64),
            "grade": grades["grade"].reset_index(drop=True),
            "grade_source": grades["grade_source"].reset_index(drop=True),
            "cadence_days": plan["cadence_days"].to_numpy(),
            "last_contact": plan["last_contact"].to_numpy(),
            "next_followup": plan["next_followup"].to_numpy(),
            "days_until_due": plan["days_until_due"].to_numpy(),
            "overdue_days": plan["overdue_days"].to_numpy(),
            "urgency": plan["urgency"].reset_index(drop=True),
            "abc_class": pd.Series(pareto.abc_classes(monetary, settings=settings), dtype=str),
            "revenue_share": share,
            "action_key": pd.Series(
                playbook.keys_by_index(
                    tier_index,
                    (class_index >= 0) & (class_index < 4),
                    churn["churn_warning"].to_numpy(),
                ),
                dtype=str,
            ),
            "needs_followup": plan["needs_followup"].to_numpy(),
        }
    )
    return Analysis(
        as_of=stamp,
        settings=settings,
        customers=frame,
        thresholds=thresholds,
        pareto=summary_,
        orders=len(book.code),
        purchases=int(stats.frequency.sum()),
    )


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def summary(analysis: Analysis, owner: str | None = None) -> dict[str, Any]:
    """Key figures of an analysis, as plain Python values.

    Parameters
    ----------
    analysis
        The result of :func:`analyze`.
    owner
        Only this owner's customers (compared case-insensitively, spaces
        trimmed); ``None`` for everyone.

    Returns
    -------
    dict
        ``as_of`` (``datetime.date``), ``owner``, ``customers``,
        ``purchasing_customers``, ``revenue``, ``top_share`` (revenue share of
        the top ``pareto_top_share`` of purchasing customers, ``None`` without
        revenue), ``top_fraction`` (that fraction, 0.2), ``customers_for_80``,
        ``needs_followup`` (due within ``urgent_days``, overdue included),
        ``overdue``, ``churn_warnings``, and counts per code: ``tiers``,
        ``classes``, ``segments``, ``urgency``, ``grades``.
    """
    frame = analysis.customers
    if owner is not None:
        wanted = str(owner).strip().casefold()
        owners = frame["owner"].astype(object).where(frame["owner"].notna(), "")
        frame = frame[owners.astype(str).str.strip().str.casefold() == wanted]
    settings = analysis.settings
    concentration = pareto.pareto_summary(frame["monetary"], settings=settings)

    def counts(column: str, codes: tuple[str, ...]) -> dict[str, int]:
        found = frame[column].value_counts()
        return {code: int(found.get(code, 0)) for code in codes}

    return {
        "as_of": analysis.as_of.date(),
        "owner": owner,
        "customers": len(frame),
        "purchasing_customers": int((frame["frequency"] > 0).sum()),
        "revenue": float(concentration.revenue),
        "top_share": _number(concentration.top_share),
        "top_fraction": float(settings.pareto_top_share),
        "customers_for_80": concentration.customers_for_80,
        "needs_followup": int(frame["needs_followup"].sum()),
        "overdue": int((frame["overdue_days"] > 0).sum()),
        "churn_warnings": int(frame["churn_warning"].sum()),
        "tiers": counts("tier", tuple(TIERS)),
        "classes": counts("rfm_class", tuple(RFM_CLASSES)),
        "segments": counts("segment", tuple(SEGMENTS)),
        "urgency": counts("urgency", tuple(URGENCIES)),
        "grades": counts("grade", ("A", "B", "C", "D", "E")),
    }
