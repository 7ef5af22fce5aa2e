"""The analysis stages for the funnel, feedback, loyalty, referrals, relationship
levels and the long tail, and their result :class:`Insights`.

Each stage reads the run (:class:`xlcrm.core.analysis.Run`) and what earlier
stages found, like the other stages of :func:`xlcrm.core.analysis.analyze`,
and adds the per-customer columns of :data:`COLUMNS`. Every input they use is
optional: without Deals, Feedback or the new Customers columns the columns
are still there (loyalty from the repeat history, relationship levels from
the default margin rate, the long tail), blank or false where nothing is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import feedback as fb
from xlcrm.core import loyalty, relationship
from xlcrm.core.changes import Changes
from xlcrm.core.funnel import Funnel, build_funnel, open_deal_close
from xlcrm.core.issues import concat_issues, empty_issues
from xlcrm.core.longtail import LongTail, long_tail, long_tail_of_net
from xlcrm.core.reduced import repurchase_history
from xlcrm.core.referrals import Referrals, summarise_referrals
from xlcrm.core.rfm import as_floats, coded

if TYPE_CHECKING:
    from xlcrm.core.analysis import Run

__all__ = ["COLUMNS", "STAGES", "Insights", "collect", "open_deal_close", "with_insights"]

#: Per-customer columns of :attr:`Insights.customers`, in order (after ``customer_id``).
COLUMNS: Final = (
    "open_deals",
    "stuck_deal",
    "open_complaint",
    "satisfaction",
    "satisfaction_level",
    "repurchase_level",
    "repurchase_basis",
    "recommend_level",
    "loyalty_level",
    "loyalty_missing",
    "dissatisfied_loyal",
    "referred_by",
    "referrals",
    "referred_revenue",
    "margin",
    "margin_source",
    "relationship",
    "long_tail",
)

Found = dict[str, Any]


@dataclass(frozen=True)
class Insights:
    """What the funnel, feedback, referral, relationship and long-tail stages found.

    ``customers`` is aligned with ``Analysis.customers`` (same index and
    order): ``customer_id`` and the columns of :data:`COLUMNS`
    (:func:`with_insights` joins the two). ``funnel``, ``feedback`` and
    ``referrals`` are None without their inputs (Deals sheet, Feedback
    sheet, ``referred_by`` column). ``relationship`` is
    :func:`~xlcrm.core.relationship.relationship_table`; ``issues`` rows for
    the Data quality list; ``changes`` is set by ``--compare-as-of``.
    """

    customers: pd.DataFrame
    funnel: Funnel | None
    feedback: fb.Feedback | None
    referrals: Referrals | None
    relationship: pd.DataFrame
    long_tail: LongTail
    issues: pd.DataFrame = field(default_factory=empty_issues)
    changes: Changes | None = None


def _sheet_column(run: Run, name: str) -> np.ndarray:
    if name in run.sheet.columns:
        return run.sheet[name].to_numpy(dtype=object)
    return np.full(run.n, None, dtype=object)


def _sheet_numbers(run: Run, name: str) -> np.ndarray:
    """A number column of the Customers sheet (NaN where blank or missing)."""
    if name in run.sheet.columns:
        return as_floats(run.sheet[name].to_numpy(dtype=object))
    return np.full(run.n, np.nan)


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype=str)


def _codes(values: np.ndarray) -> pd.Series:
    """A text column of a few codes, as categories (read back as text by every stage,
    :func:`xlcrm.core.analysis.plain_text`): ten million customers' text took 180 MB
    a column, their codes take 10 MB."""
    return pd.Series(pd.Categorical(np.asarray(values, dtype=object)))


def deals(run: Run, found: Found) -> Found:
    """The funnel from the Deals sheet: open and stuck deals per customer."""
    if run.deals is None:
        return {
            "open_deals": np.zeros(run.n, dtype=np.int64),
            "stuck_deal": np.zeros(run.n, dtype=bool),
            "funnel": None,
        }
    owners = pd.Series(found["owner"].to_numpy(dtype=object), index=run.ids)
    funnel = build_funnel(
        run.deals,
        run.stage_history,
        as_of=run.as_of,
        stages=run.settings.stages,
        stuck_days=run.settings.funnel_stuck_days,
        customer_owner=owners.dropna(),
    )
    where = run.ids.get_indexer(pd.Index(funnel.deals["customer_id"].to_numpy(dtype=object)))
    is_open = (funnel.deals["status"] == "open").to_numpy() & (where >= 0)
    stuck = funnel.deals["stuck"].to_numpy(dtype=bool) & (where >= 0)
    open_deals = np.bincount(where[is_open], minlength=run.n).astype(np.int64)
    stuck_deal = np.bincount(where[stuck], minlength=run.n) > 0
    return {"open_deals": open_deals, "stuck_deal": stuck_deal, "funnel": funnel}


def feedback(run: Run, found: Found) -> Found:
    """Feedback items on as_of; customers with an open complaint."""
    items = fb.read_feedback(run.feedback, as_of=run.as_of) if run.feedback is not None else None
    return {
        "open_complaint": fb.open_complaints(items, run.ids),
        "feedback_items": items,
    }


def loyalty_levels(run: Run, found: Found) -> Found:
    """Satisfaction, repurchase and recommendation indicators and the loyalty level.

    Satisfaction: the Customers sheet's, else the latest rated feedback item.
    Repurchase: the value model's probability, else the customer's own
    repeat history (:func:`~xlcrm.core.loyalty.repurchase_from_history`).
    """
    score, _ = loyalty.satisfaction_scores(_sheet_column(run, "satisfaction"))
    score = np.where(
        np.isnan(score), fb.latest_satisfaction(found["feedback_items"], run.ids), score
    )
    # loyalty.repurchase_from_history, kept per customer in the reduced table
    history = run.spread(repurchase_history(run.reduced), np.nan)
    model = as_floats(found["repurchase_prob"])
    recommend = _sheet_column(run, "recommend")
    loyal_tier = found["tier"].isin(("loyal",)).to_numpy(dtype=bool)
    n = len(score)
    # positions in small tables, a million customers at a time, made categories at the
    # end: text for ten million customers took gigabytes, their codes 10 MB a column
    at = {name: np.empty(n, dtype=np.int8) for name, _ in _LOYALTY_TEXT}
    unhappy = np.zeros(n, dtype=bool)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        from_model = ~np.isnan(model[part])
        probability = np.where(from_model, model[part], history[part])
        sat = loyalty.satisfaction_index(score[part])
        rep = loyalty.repurchase_index(probability)
        rec = loyalty.recommend_index(recommend[part])[0]
        which, pattern = loyalty.level_index(sat, rep, rec)
        at["satisfaction_level"][part] = sat
        at["repurchase_level"][part] = rep
        at["repurchase_basis"][part] = np.select([from_model, ~np.isnan(history[part])], [0, 1], -1)
        at["recommend_level"][part] = rec
        at["loyalty_level"][part] = which - 1
        at["loyalty_missing"][part] = pattern - 1
        unhappy[part] = loyalty.dissatisfied_index(sat, loyal_tier[part], rep)
        del sat, rep, rec, which, pattern, probability
    found_now: Found = {"satisfaction": score}
    for name, categories in _LOYALTY_TEXT:
        codes = at.pop(name)
        found_now[name] = coded(codes, categories)
    found_now["dissatisfied_loyal"] = unhappy
    return found_now


#: The loyalty stage's text columns and their values by position (-1: blank).
_LOYALTY_TEXT: Final = (
    ("satisfaction_level", loyalty.LEVEL_TABLE),
    ("repurchase_level", loyalty.LEVEL_TABLE),
    ("repurchase_basis", ("model", "history")),
    ("recommend_level", loyalty.LEVEL_TABLE),
    ("loyalty_level", tuple(loyalty.LOYALTY_TABLE[1:])),
    ("loyalty_missing", tuple(loyalty.MISSING_TABLE[1:])),
)
#: Customers a stage that works customer by customer takes at a time.
_CHUNK: Final = 1_000_000


def referrals(run: Run, found: Found) -> Found:
    """Referrals made and referred revenue, when the Customers sheet has ``referred_by``."""
    if "referred_by" not in run.sheet.columns:
        return {
            "referred_by": _text(np.full(run.n, None, dtype=object)),
            "referrals": np.zeros(run.n, dtype=np.int64),
            "referred_revenue": np.zeros(run.n, dtype=np.float64),
            "referral_summary": None,
        }
    created = pd.Series(pd.to_datetime(found["created"]))
    seen = np.where(
        created.notna(),
        created.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64),
        np.nan,
    )
    frame = pd.DataFrame(
        {
            "customer_id": found["customer_id"].to_numpy(dtype=object),
            "name": found["name"].to_numpy(dtype=object),
            "owner": found["owner"].to_numpy(dtype=object),
            "referred_by": _sheet_column(run, "referred_by"),
            "frequency": found["frequency"],
            "monetary": found["monetary"],
        }
    )
    summary = summarise_referrals(
        frame, first_seen_day=seen, top=run.settings.top_customers, rows=_sheet_column(run, "row")
    )
    per = summary.per_customer
    return {
        "referred_by": _text(per["referrer"].to_numpy(dtype=object)),
        "referrals": per["referrals"].to_numpy(dtype=np.int64),
        "referred_revenue": per["referred_revenue"].to_numpy(dtype=np.float64),
        "referral_summary": summary,
    }


def relationship_levels(run: Run, found: Found) -> Found:
    """Margin per customer and Kotler's relationship level of its RFM class."""
    settings = run.settings
    margin, source = relationship.customer_margins(
        found["monetary"],
        _sheet_numbers(run, "margin"),
        _sheet_numbers(run, "cost"),
        _sheet_numbers(run, "margin_rate"),
        default_rate=settings.default_margin_rate,
    )
    rfm_class = found["rfm_class"].to_numpy(dtype=object)
    table = relationship.relationship_table(
        rfm_class,
        margin,
        few_share=settings.relationship_few_share,
        many_share=settings.relationship_many_share,
        low_margin=settings.relationship_low_margin,
        high_margin=settings.relationship_high_margin,
    )
    by_class = np.r_[table["level"].to_numpy(dtype=object), None]  # 8 classes, then none
    level = by_class[np.where(found["class_index"] < 0, 8, found["class_index"])]
    return {
        "margin": margin,
        "margin_source": _codes(source),
        "relationship": _codes(level),
        "relationship_table": table,
    }


def tail(run: Run, found: Found) -> Found:
    """The long tail: customers after the first ``abc_a_share`` of revenue."""
    share = run.settings.abc_a_share
    if run.book is not None:
        summary = long_tail(run.book, head_share=share)
    else:  # a reduced table: the tail from net spend; the years need the order rows
        summary = long_tail_of_net(run.reduced.columns["net_cents"], head_share=share)
    in_tail = run.spread(summary.in_tail, False).astype(bool)
    return {"long_tail": in_tail, "long_tail_summary": summary}


def collect(run: Run, found: Found) -> Insights:
    """The :class:`Insights` of a finished run."""
    funnel = found["funnel"]
    items = found["feedback_items"]
    summary = found["referral_summary"]
    issues = [
        funnel.issues if funnel is not None else empty_issues(),
        items.issues if items is not None else empty_issues(),
        summary.issues if summary is not None else empty_issues(),
    ]
    # in parts (many customers) the text columns come as categories on their codes
    take = getattr(found, "categorical", found.__getitem__)
    return Insights(
        customers=pd.DataFrame(
            {"customer_id": found["customer_id"], **{name: take(name) for name in COLUMNS}}
        ),
        funnel=funnel,
        feedback=items,
        referrals=summary,
        relationship=found["relationship_table"],
        long_tail=found["long_tail_summary"],
        issues=concat_issues(issues),
    )


#: The stages, in the order they run (after the value model and the classes).
STAGES: Final = (deals, feedback, loyalty_levels, referrals, relationship_levels, tail)


def with_insights(analysis: Any) -> pd.DataFrame:
    """``analysis.customers`` with the columns of :data:`COLUMNS` after its own
    (blank or false for an analysis made without them)."""
    frame = analysis.customers
    found = getattr(analysis, "insights", None)
    if found is None:
        return frame.reindex(columns=[*frame.columns, *COLUMNS])
    return pd.concat([frame, found.customers.drop(columns="customer_id")], axis=1)
