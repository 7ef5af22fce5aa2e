"""Run the whole analytics core in order: :func:`analyze` -> :class:`Analysis`.

``Analysis.customers`` has one row per customer (from the Customers sheet
and from orders) with R/F/M, scores, RFM class, named segment, lifecycle
tier, churn warning, grade, follow-up schedule, ABC class and the playbook
action. :func:`summary` condenses it into the key figures the report and
mail use. See ``docs/architecture.md`` for the column contract and
``docs/definitions.md`` for every rule.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import followup, insights, lifecycle, pareto, playbook, rfm, value, value_check
from xlcrm.core.owners import owner_key, owner_keys
from xlcrm.core.reduced import Reduced, reduce_book, value_inputs
from xlcrm.core.schema import ABC_CLASSES, RFM_CLASSES, SEGMENTS, TIERS, URGENCIES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "COLUMNS",
    "STAGES",
    "Analysis",
    "Run",
    "analyze",
    "finish",
    "prepare",
    "summary",
    "value_summary",
]

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
    "expected_close",
    "requalify",
    "cadence_days",
    "cadence_basis",
    "last_contact",
    "contact_source",
    "next_followup",
    "days_until_due",
    "overdue_days",
    "urgency",
    "abc_class",
    "revenue_share",
    "action_key",
    "needs_followup",
    "pool",
    # value model (xlcrm.core.value): its inputs, then its numbers (blank without a fit)
    "repeat_days",
    "span_days",
    "age_days",
    "mean_repeat_spend",
    "p_alive",
    "expected_purchases",
    "repurchase_prob",
    "repurchase_band",
    "expected_aov",
    "expected_value",
    "expected_margin",
)


@dataclass(frozen=True)
class Analysis:
    """The result of :func:`analyze` (see ``docs/architecture.md``)."""

    as_of: pd.Timestamp
    settings: Settings
    customers: pd.DataFrame
    thresholds: dict[str, float]
    pareto: pareto.ParetoSummary
    value: value.ValueModel = value.MODEL_OFF
    #: makes :attr:`value_check` when it is first asked for (None: no check)
    holdout: Callable[[], value_check.HoldoutCheck] | None = field(
        default=None, repr=False, compare=False
    )
    #: Orders counted (order lines merged by order number, dated on or before as_of)
    #: and how many of them are purchases (not refunds).
    orders: int = 0
    purchases: int = 0
    #: funnel, feedback, referrals, relationship levels, long tail (None for analyses
    #: made elsewhere)
    insights: insights.Insights | None = None

    @cached_property
    def value_check(self) -> value_check.HoldoutCheck | None:
        """The model refitted without the last ``value_horizon_days`` and checked on
        them; fitted when first asked for, since only the brief shows it."""
        return self.holdout() if self.holdout is not None else None


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


def _universe(book: Reduced, sheet: pd.DataFrame) -> tuple[pd.Index, np.ndarray, pd.DataFrame]:
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
    if column not in frame.columns:  # blank for everyone: codes of no text (plain_text)
        return rfm.coded(np.full(len(frame), -1, dtype=np.int8), ())
    values = frame[column]
    return pd.Series(values.astype(object).where(values.notna(), None).to_numpy(), dtype=str)


def _spread(values: np.ndarray, where: np.ndarray, n: int, fill: float | None) -> np.ndarray:
    """Values known for some customers, placed at ``where`` in an array of ``n``."""
    if where.size == n and (where == np.arange(n)).all():
        return values
    out = np.full(n, fill, dtype=values.dtype)
    out[where] = values
    return out


_NEVER: Final = np.iinfo(np.int64).max


# --- the run: inputs reduced and aligned to one row per customer ---------------------


@dataclass(frozen=True)
class Run:
    """What every stage of :func:`analyze` reads.

    ``ids`` are all customers (Customers sheet and orders), sorted; every
    array a stage returns is aligned to them. ``sheet`` is the Customers
    sheet in that order (rows of customers known only from orders are
    missing); ``activity_at``/``activity_day`` locate the dated activities.
    ``reduced`` holds the orders reduced to one row per customer
    (:mod:`xlcrm.core.reduced`: the same table every engine computes);
    ``book`` the orders themselves when they were given as rows (the value
    model's holdout check and the long tail's years need them), None for a
    reduced table.
    """

    as_of: pd.Timestamp
    as_of_day: int
    settings: Settings
    reduced: Reduced
    ids: pd.Index
    at: np.ndarray  # position in ``ids`` of each customer of ``reduced``
    sheet: pd.DataFrame
    activity_at: np.ndarray
    activity_day: np.ndarray
    deals: pd.DataFrame | None = None
    stage_history: pd.DataFrame | None = None
    feedback: pd.DataFrame | None = None
    book: rfm.OrderBook | None = None

    @property
    def n(self) -> int:
        return len(self.ids)

    def spread(self, values: np.ndarray, fill: float | None) -> np.ndarray:
        """Per-customer values of ``reduced`` (customers with an order) aligned to ``ids``."""
        return _spread(values, self.at, self.n, fill)

    def column(self, name: str, fill: float | None) -> np.ndarray:
        """Column ``name`` of the per-customer table aligned to ``ids``."""
        return self.spread(self.reduced.columns[name], fill)


def prepare(
    orders: pd.DataFrame | Reduced,
    customers: pd.DataFrame | None,
    activities: pd.DataFrame | None,
    *,
    as_of: rfm.DateLike,
    settings: Settings,
    deals: pd.DataFrame | None = None,
    stage_history: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
) -> Run:
    """Orders reduced to one row per customer (unless ``orders`` already is that table),
    the Customers sheet and activities aligned to all ids."""
    stamp = rfm.to_timestamp(as_of)
    order_book = None
    if isinstance(orders, Reduced):
        book = orders
        book.check(rfm.day_number(stamp), settings)
    else:
        order_book = rfm.prepare_orders(orders, as_of=stamp)
        book = reduce_book(order_book, settings)
    sheet = _sheet(customers)
    if activities is not None:
        rfm.require_columns(activities, ("customer_id", "date"), "Activities")
    ids, at, aligned = _universe(book, sheet)
    activity_at, activity_day = followup.locate_activities(activities, ids)
    return Run(
        as_of=stamp,
        as_of_day=rfm.day_number(stamp),
        settings=settings,
        reduced=book,
        ids=ids,
        at=at,
        sheet=aligned,
        activity_at=activity_at,
        activity_day=activity_day,
        deals=deals,
        stage_history=stage_history,
        feedback=feedback,
        book=order_book,
    )


# --- the stages ------------------------------------------------------------------------
#
# A stage reads the run and what earlier stages found, and returns new
# columns of ``Analysis.customers`` (names in COLUMNS, final dtypes) and
# working values for later stages (other names).

Found = dict[str, Any]


def identity(run: Run, found: Found) -> Found:
    """The customer id, name and owner."""
    return {
        "customer_id": pd.Series(np.asarray(run.ids, dtype=object), dtype=str),
        "name": _text(run.sheet, "name"),
        "owner": _text(run.sheet, "owner"),
    }


def purchases(run: Run, found: Found) -> Found:
    """First and last purchase, recency, frequency and monetary value (net, whole cents)."""
    frequency = run.column("frequency", 0).astype(np.int64)
    bought = frequency > 0
    last_day = run.column("last_day", 0)
    return {
        "first_purchase": rfm.dates_from_days(run.column("first_day", 0), bought),
        "last_purchase": rfm.dates_from_days(last_day, bought),
        "recency_days": np.where(bought, (run.as_of_day - last_day).astype(np.float64), np.nan),
        "frequency": frequency,
        "monetary": np.where(bought, run.column("net_cents", 0) / 100, np.nan),
        "bought": bought,
    }


def scores(run: Run, found: Found) -> Found:
    """R, F and M scores 1-5 of customers with a purchase (the one rule: rfm.rfm_scores)."""
    r, f, m = rfm.rfm_scores(found["recency_days"], found["frequency"], found["monetary"])
    return {
        "r_score": pd.array(r, dtype="Int64"),
        "f_score": pd.array(f, dtype="Int64"),
        "m_score": pd.array(m, dtype="Int64"),
        "scores": (r, f, m),
    }


def classes(run: Run, found: Found) -> Found:
    """RFM class from the high/low cut points, and the named segment from the scores."""
    recency, frequency, monetary = (
        found["recency_days"],
        found["frequency"],
        found["monetary"],
    )
    r, f, m = found["scores"]
    score_frame = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "r_score": r,
            "f_score": f,
            "m_score": m,
        }
    )
    thresholds = rfm.rfm_thresholds(score_frame, settings=run.settings)
    class_index = rfm.class_index(recency, frequency, monetary, thresholds=thresholds)
    return {
        # categories on the class codes (read back as text, plain_text): no text made
        "rfm_class": rfm.coded(class_index, RFM_CLASSES),
        "segment": rfm.coded(rfm.segment_index(r, f, m), SEGMENTS),
        "thresholds": thresholds,
        "class_index": class_index,
    }


def first_seen(run: Run, found: Found) -> Found:
    """First seen: the earlier of the sheet's created date and the first order."""
    created_day, has_created = followup.dates_column(run.sheet, "created")
    created_day = np.where(has_created, created_day, _NEVER)
    created_day = np.minimum(created_day, run.column("first_order_day", _NEVER))
    seen = created_day < _NEVER
    return {
        "created": rfm.dates_from_days(created_day, seen),
        "tenure_days": np.where(seen, run.as_of_day - created_day, np.nan),
    }


def tiers(run: Run, found: Found) -> Found:
    """Lifecycle tier from purchases, recency, tenure and active windows; buying rhythm."""
    tier_index = lifecycle.tier_index(
        found["frequency"],
        found["recency_days"],
        found["tenure_days"],
        run.column("active_windows", 0),
        settings=run.settings,
    )
    return {
        "tier": rfm.coded(tier_index, TIERS),
        "median_gap_days": run.column("median_gap_days", np.nan),
        "tier_index": tier_index,
    }


def _int64_where(values: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers where ``valid``, missing elsewhere (nullable Int64)."""
    out = pd.array(np.where(valid, values, 0), dtype="Int64")
    out[~valid] = pd.NA
    return out


def customer_value(run: Run, found: Found) -> Found:
    """The value model: who will buy again and what each customer is worth."""
    settings = run.settings
    inputs = value_inputs(run.reduced)
    histories = value.distinct_histories(inputs)
    model = value.fit_value_model(inputs, enabled=settings.value_model, histories=histories)
    scores = value.score_customers(
        model,
        inputs,
        horizon_days=settings.value_horizon_days,
        monthly_discount=settings.value_monthly_discount,
        histories=histories,
    )
    check = None
    if model.bgnbd is not None and run.book is not None:
        check = functools.partial(
            value_check.holdout_check,
            run.book,
            calibration_end=run.as_of - pd.Timedelta(days=settings.value_horizon_days),
            near=model.bgnbd,
        )
    out: Found = {
        "repeat_days": _int64_where(run.spread(inputs["repeat_days"], 0), found["bought"]),
        "value": model,
        "holdout": check,
    }
    for name, column in {**inputs, **scores}.items():
        if name == "repeat_days":
            continue
        if column.dtype == object:
            out[name] = pd.Series(run.spread(column, None), dtype=str)
        else:
            out[name] = run.spread(column, np.nan)
    return out


def value_margin(run: Run, found: Found) -> Found:
    """Expected value in margin, for customers whose margin is known (after the
    relationship stage has found every customer's margin and its source)."""
    margin = value.expected_margin(
        found["expected_value"], found["margin"], found["monetary"], found["margin_source"]
    )
    return {"expected_margin": margin}


def churn(run: Run, found: Found) -> Found:
    """Churn warning: a long gap against the rhythm, fewer purchases and contacts, or a
    low P(alive)."""
    windows = lifecycle.window_counts(
        run.activity_at, run.activity_day, run.n, run.as_of_day, run.settings.window_days, 2
    )
    recent = run.column("recent_purchases", 0) + windows[:, 0]
    prior = run.column("prior_purchases", 0) + windows[:, 1]
    warning = lifecycle.churn_warning(
        found["recency_days"],
        found["frequency"],
        found["median_gap_days"],
        recent,
        prior,
        found["p_alive"],
        settings=run.settings,
    )
    return {
        "churn_warning": warning["churn_warning"].to_numpy(),
        "churn_reason": warning["churn_reason"].reset_index(drop=True),
        "recent_events": recent.astype(np.int64),
        "prior_events": prior.astype(np.int64),
    }


def grades(run: Run, found: Found) -> Found:
    """Grade A-E: the sheet's, else derived from need, deal status and expected close
    (the sheet's, else the nearest of the customer's open deals)."""
    sheet = run.sheet
    if found.get("funnel") is not None:
        from_deals = pd.Series(insights.open_deal_close(found["funnel"], run.ids, as_of=run.as_of))
        sheet = sheet.copy()
        typed = (
            pd.to_datetime(sheet["expected_close"], errors="coerce")
            if "expected_close" in sheet.columns
            else pd.Series(pd.NaT, index=sheet.index)
        )
        sheet["expected_close"] = typed.fillna(from_deals)
    derived = followup.derive_grades(sheet, as_of=run.as_of, settings=run.settings)
    return {
        "grade": derived["grade"].reset_index(drop=True),
        "grade_source": derived["grade_source"].reset_index(drop=True),
        "expected_close": derived["expected_close"].to_numpy(),
        "requalify": derived["requalify"].to_numpy(),
    }


def followups(run: Run, found: Found) -> Found:
    """Last contact, cadence by situation, next follow-up, days overdue, urgency, pool."""
    plan_input = pd.DataFrame(
        {
            "customer_id": pd.Series(np.asarray(run.ids, dtype=object), dtype=object),
            "grade": found["grade"],
            "grade_source": found["grade_source"],
            "expected_close": found["expected_close"],
            "last_purchase": found["last_purchase"],
            "tier": found["tier"],
            "rfm_class": found["rfm_class"],
        }
    )
    if "last_contact" in run.sheet.columns:
        plan_input["last_contact"] = run.sheet["last_contact"]
    plan = followup.plan_followups(
        plan_input,
        run.activity_at,
        run.activity_day,
        as_of_day=run.as_of_day,
        settings=run.settings,
    )
    contact = plan["last_contact"]
    contact_age = (run.as_of - contact).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    pool = followup.pool_flags(
        found["owner"], found["recency_days"], contact_age, settings=run.settings
    )
    return {
        "cadence_days": plan["cadence_days"].to_numpy(),
        "cadence_basis": plan["cadence_basis"].reset_index(drop=True),
        "last_contact": contact.to_numpy(),
        "contact_source": plan["contact_source"].reset_index(drop=True),
        "next_followup": plan["next_followup"].to_numpy(),
        "days_until_due": plan["days_until_due"].to_numpy(),
        "overdue_days": plan["overdue_days"].to_numpy(),
        "urgency": plan["urgency"].reset_index(drop=True),
        "needs_followup": plan["needs_followup"].to_numpy(),
        "pool": pool,
    }


def concentration(run: Run, found: Found) -> Found:
    """ABC class and share of revenue; the Pareto summary."""
    monetary = found["monetary"]
    summary_ = pareto.pareto_summary(monetary, settings=run.settings)
    revenue = summary_.revenue
    share = np.where(
        found["bought"] & (revenue != 0), np.nan_to_num(monetary) / (revenue or 1.0), 0.0
    )
    return {
        "abc_class": rfm.coded(pareto.abc_index(monetary, settings=run.settings), ABC_CLASSES),
        "revenue_share": share,
        "pareto": summary_,
    }


def actions(run: Run, found: Found) -> Found:
    """The playbook's recommended action for tier, class importance and churn warning."""
    class_index = found["class_index"]
    keys = playbook.keys_by_index(
        found["tier_index"], (class_index >= 0) & (class_index < 4), found["churn_warning"]
    )
    return {"action_key": pd.Series(keys, dtype=str)}


#: The stages of :func:`analyze`, in order.
STAGES: Final[tuple[Callable[[Run, Found], Found], ...]] = (
    identity,
    purchases,
    scores,
    classes,
    first_seen,
    tiers,
    customer_value,
    churn,
    insights.deals,
    grades,
    followups,
    concentration,
    actions,
    *insights.STAGES[1:],
    value_margin,
)


def analyze(
    orders: pd.DataFrame | Reduced,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    *,
    as_of: rfm.DateLike,
    settings: Settings = DEFAULT_SETTINGS,
    deals: pd.DataFrame | None = None,
    stage_history: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
) -> Analysis:
    """Every customer's value, tier, churn warning, grade and next follow-up.

    Runs :data:`STAGES` in order on the inputs :func:`prepare` aligned.

    Parameters
    ----------
    orders
        ``customer_id``, ``order_date``, ``amount`` (optional ``order_id``),
        or those orders already reduced to one row per customer
        (:class:`~xlcrm.core.reduced.Reduced`, e.g. by ``xlcrm.engine``).
    customers
        The Customers sheet (``customer_id`` plus any of ``name``, ``owner``,
        ``created``, ``grade``, ``expected_close``, ``deal_status``,
        ``need_status``, ``last_contact``). Customers found only in orders
        are added; customers without a purchase are prospects.
    activities
        ``customer_id``, ``date`` (and ``kind``): the contact log.
    deals, stage_history, feedback
        The Deals sheet, its stage history and the Feedback sheet
        (:mod:`xlcrm.core.funnel`, :mod:`xlcrm.core.feedback`); open deals give
        the expected close of customers whose sheet has none.
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
    run = prepare(
        orders,
        customers,
        activities,
        as_of=as_of,
        settings=settings,
        deals=deals,
        stage_history=stage_history,
        feedback=feedback,
    )
    found: Found = {}
    for stage in STAGES:
        found.update(plain_text(stage(run, found)))
    return finish(run, found)


def plain_text(found: Found) -> Found:
    """What a stage found, its categorical columns (text of a few codes, which a
    stage may give to save memory) as text columns, as every stage reads them."""
    return {
        key: (
            pd.Series(
                pd.Index(value.cat.categories, dtype=str).array.take(
                    value.cat.codes.to_numpy(), allow_fill=True
                )
            )
            if isinstance(value, pd.Series) and isinstance(value.dtype, pd.CategoricalDtype)
            else value
        )
        for key, value in found.items()
    }


def finish(run: Run, found: Found, customers: pd.DataFrame | None = None) -> Analysis:
    """The :class:`Analysis` of a run whose stages have run (``customers``: the frame
    to hold, by default every customer's :data:`COLUMNS` from ``found``)."""
    if customers is None:
        customers = pd.DataFrame({name: found[name] for name in COLUMNS})
    return Analysis(
        as_of=run.as_of,
        settings=run.settings,
        customers=customers,
        thresholds=found["thresholds"],
        pareto=found["pareto"],
        value=found["value"],
        holdout=found["holdout"],
        orders=int(run.reduced.columns["orders"].sum()),
        purchases=int(run.reduced.columns["frequency"].sum()),
        insights=insights.collect(run, found),
    )


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _flags(frame: pd.DataFrame, column: str) -> int:
    """How many rows have ``column`` set (0 for a frame made before the column existed)."""
    return int(frame[column].fillna(False).astype(bool).sum()) if column in frame.columns else 0


def summary(analysis: Analysis, owner: str | None = None) -> dict[str, Any]:
    """Key figures of an analysis, as plain Python values.

    Parameters
    ----------
    analysis
        The result of :func:`analyze`.
    owner
        Only this owner's customers (matched by :func:`~xlcrm.core.owners.owner_key`);
        ``None`` for everyone.

    Returns
    -------
    dict
        ``as_of`` (``datetime.date``), ``owner``, ``customers``,
        ``purchasing_customers``, ``revenue``, ``top_share`` (revenue share of
        the top ``pareto_top_share`` of purchasing customers, ``None`` without
        revenue), ``top_fraction`` (that fraction, 0.2), ``customers_for_80``,
        ``needs_followup`` (due within ``urgent_days``, overdue included),
        ``overdue``, ``churn_warnings``, ``pool`` (to return to the pool),
        ``requalify`` (expected close passed), and counts per code: ``tiers``,
        ``classes``, ``segments``, ``urgency``, ``grades``.
    """
    frame = analysis.customers
    if owner is not None:
        mine = owner_keys(frame["owner"]) == owner_key(owner)
        frame = frame[mine.fillna(False).to_numpy(dtype=bool)]
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
        "pool": _flags(frame, "pool"),
        "requalify": _flags(frame, "requalify"),
        "tiers": counts("tier", tuple(TIERS)),
        "classes": counts("rfm_class", tuple(RFM_CLASSES)),
        "segments": counts("segment", tuple(SEGMENTS)),
        "urgency": counts("urgency", tuple(URGENCIES)),
        "grades": counts("grade", ("A", "B", "C", "D", "E")),
        **value_summary(analysis, frame),
    }


def value_summary(analysis: Analysis, frame: pd.DataFrame | None = None) -> dict[str, Any]:
    """The value model's key figures (of ``frame``, default all customers).

    ``value_reason`` (why the model is missing, else None), ``expected_value``
    (sum of every customer's expected value over the next 12 months) and
    ``value_at_risk`` (the same for customers with a churn warning); both None
    without a spend model. ``expected_margin`` and ``margin_at_risk``: the same
    in margin, over the ``margin_customers`` whose margin is known (None when
    no customer's is).
    """
    frame = analysis.customers if frame is None else frame
    model = getattr(analysis, "value", None)  # analysis-like objects may not carry it
    out: dict[str, Any] = {
        "value_reason": model.reason if model is not None else None,
        "expected_value": None,
        "value_at_risk": None,
        "expected_margin": None,
        "margin_at_risk": None,
        "margin_customers": 0,
    }
    if model is None or model.gamma_gamma is None or "expected_value" not in frame:
        return out
    warned = frame["churn_warning"].fillna(False).astype(bool).to_numpy()
    worth = frame["expected_value"].fillna(0.0)
    out["expected_value"] = float(worth.sum())
    out["value_at_risk"] = float(worth[warned].sum())
    if "expected_margin" in frame:
        margin = pd.to_numeric(frame["expected_margin"], errors="coerce").to_numpy(np.float64)
        known = np.isfinite(margin)
        if known.any():
            out["expected_margin"] = float(margin[known].sum())
            out["margin_at_risk"] = float(margin[known & warned].sum())
            out["margin_customers"] = int(known.sum())
    return out
