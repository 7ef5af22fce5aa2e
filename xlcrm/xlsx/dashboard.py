"""The dashboard specification: key figures, counts by class, tier and segment, the
Pareto curve and the customers to return to the pool.

Pure, like :mod:`xlcrm.xlsx.sheets`: :func:`build_dashboard` gives plain
values; :mod:`xlcrm.xlsx.dashsheet` lays them out with tables and charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import playbook, schema
from xlcrm.core.currency import Currency
from xlcrm.core.plan import CallPlan, build_plan
from xlcrm.locale import t, tn, tp
from xlcrm.palette import ACCENT, CLASS_COLOURS, TIER_COLOURS
from xlcrm.xlsx.columns import header
from xlcrm.xlsx.sheets import AnalysisLike, attention_texts


@dataclass
class Block:
    """A small table on the dashboard."""

    key: str
    table: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[str | float]]
    title: str = ""  # the heading above the table
    colours: list[str] = field(default_factory=list)  # each row's bar in the charts
    note: str = ""  # a line under the table


@dataclass
class Dashboard:
    title: str
    subtitle: str
    figures: list[tuple[str, float | str, str]]  # label, value (a number or text), kind
    blocks: list[Block]
    curve: list[tuple[float, float]] = field(default_factory=list)  # Pareto: customers, revenue
    currency: Currency = field(default_factory=Currency)

    def block(self, key: str) -> Block | None:
        """The block ``key`` (``"rfm_class"``, ``"tier"``, ``"segment"``, ``"pool"``), if any."""
        return next((b for b in self.blocks if b.key == key), None)


#: Customers to return to the pool listed on the dashboard (the biggest first).
POOL_ROWS: Final = 25


def build_dashboard(
    analysis: AnalysisLike, *, lang: str = "en", plan: CallPlan | None = None
) -> Dashboard:
    """Key figures (the call plan and the pool included), counts, revenue and shares by
    class, segment (with its meaning) and tier, the Pareto curve, and the customers
    to return to the pool."""
    c = analysis.customers
    if plan is None:
        plan = build_plan(c, as_of=analysis.as_of, settings=analysis.settings)
    revenue = c["monetary"].fillna(0.0).astype(float)
    total_rev = float(revenue.sum())
    customers = tp("count", "Customers", lang)
    customer_share, revenue_share = t("Share of customers", lang), t("Share of revenue", lang)

    def block(
        key: str,
        title: str,
        codes: Sequence[str],
        fn: Callable[[str, str], str],
        colours: dict[str, str],
        heading: str,
    ) -> Block:
        counts = c[key].value_counts()
        rev = revenue.groupby(c[key]).sum()
        # shares of the customers in this table (buyers for classes), adding up to 100 %
        n = int(sum(int(counts.get(code, 0)) for code in codes))
        rows: list[list[str | float]] = []
        for code in codes:
            k = int(counts.get(code, 0))
            r = float(rev.get(code, 0.0))
            rows.append(
                [fn(code, lang), k, k / n if n else 0.0, r, r / total_rev if total_rev else 0.0]
            )
        return Block(
            key,
            f"xlcrm_dashboard_{key}",
            [title, customers, customer_share, t("Revenue", lang), revenue_share],
            ["text", "int", "pct", "money", "pct"],
            rows,
            heading,
            [colours.get(code, ACCENT) for code in codes],
        )

    segments = block(
        "segment",
        t("Segment", lang),
        schema.SEGMENTS,
        schema.label,
        {},
        t("Customers who bought, by segment", lang),
    )
    segments.note = t(
        "Segments split the buyers finer than the RFM classes: by the R score and the mean "
        "of the F and M scores. The RFM sheet gives each customer's segment.",
        lang,
    )
    # what each segment means, from the playbook: segments are explained, not just named
    segments.headers.append(t("Meaning", lang))
    segments.kinds.append("text")
    for row, code in zip(segments.rows, schema.SEGMENTS, strict=True):
        row.append(playbook.entry("segment", code, lang)["who"])
    blocks = [
        block(
            "rfm_class",
            t("RFM class", lang),
            schema.RFM_CLASSES,
            schema.label,
            CLASS_COLOURS,
            t("Customers who bought, by RFM class", lang),
        ),
        block(
            "tier",
            t("Tier", lang),
            schema.TIERS,
            schema.tier_label,
            TIER_COLOURS,
            t("All customers, by lifecycle tier", lang),
        ),
        segments,
    ]
    curve: list[tuple[float, float]] = []
    points = getattr(analysis.pareto, "curve", None)
    if points is not None and len(points):
        curve = [
            (float(a), float(b))
            for a, b in zip(points["customer_share"], points["revenue_share"], strict=True)
        ]
    from xlcrm.core.analysis import summary  # the same key figures as the PDF brief

    figures_of = summary(analysis)  # type: ignore[arg-type]
    pct = f"{figures_of['top_fraction']:.0%}"
    top_share = figures_of["top_share"]
    figures: list[tuple[str, float | str, str]] = [
        (customers, figures_of["customers"], "int"),
        (t("Purchasing customers", lang), figures_of["purchasing_customers"], "int"),
        (t("Revenue", lang), figures_of["revenue"], "money"),
        (
            t("Revenue share of top {pct} customers", lang, pct=pct),
            float("nan") if top_share is None else top_share,
            "pct",
        ),
        (
            t("Customers making {pct} of revenue", lang, pct="80%"),
            figures_of["customers_for_80"],
            "int",
        ),
        (t("Follow-ups due now (incl. overdue)", lang), figures_of["needs_followup"], "int"),
        (t("Overdue follow-ups", lang), figures_of["overdue"], "int"),
        (t("Churn warnings", lang), figures_of["churn_warnings"], "int"),
        (t("Calls planned today", lang), _calls_on_first_day(plan), "int"),
        (t("Due but not planned (backlog)", lang), len(plan.backlog), "int"),
        (t("Grades to re-qualify", lang), figures_of.get("requalify", 0), "int"),
        (t("Return to the pool (公海)", lang), figures_of.get("pool", 0), "int"),
        *_value_figures(figures_of, lang),
    ]
    pool = _pool_block(analysis, lang)
    if pool is not None:
        blocks.append(pool)
    from xlcrm.xlsx.insight_sheets import dashboard_parts  # loyalty, funnel, long tail ...

    more_figures, more_blocks = dashboard_parts(analysis, lang)
    figures += more_figures
    blocks += more_blocks
    as_of = pd.Timestamp(analysis.as_of).date().isoformat()
    subtitle = t(
        "{company} · Analysis date {date}", lang, company=analysis.settings.company, date=as_of
    )
    money = getattr(analysis.settings, "money", Currency())
    return Dashboard(t("Customer dashboard", lang), subtitle, figures, blocks, curve, money)


def _value_figures(figures: dict[str, Any], lang: str) -> list[tuple[str, float | str, str]]:
    """The value model's lines on the dashboard: its totals, or why it is missing."""
    from xlcrm.core.value import describe_reason

    reason = figures.get("value_reason")
    rows: list[tuple[str, float | str, str]] = []
    if reason is not None:
        rows.append((t("Value model", lang), describe_reason(reason, lang) or "", "text"))
    if figures.get("expected_value") is not None:
        expected = t("Expected value, next 12 months", lang)
        rows.append((expected, figures["expected_value"], "money"))
        at_risk = t("Value at risk (customers with a churn warning)", lang)
        rows.append((at_risk, figures["value_at_risk"], "money"))
    if figures.get("expected_margin") is not None:
        n = int(figures["margin_customers"])
        label = tn(
            "Expected margin, next 12 months ({count} customer whose margin is known)",
            "Expected margin, next 12 months ({count} customers whose margin is known)",
            n,
            lang,
            count=f"{n:,}",
        )
        rows.append((label, figures["expected_margin"], "money"))
        at_risk = t("Margin at risk (customers with a churn warning)", lang)
        rows.append((at_risk, figures["margin_at_risk"], "money"))
    return rows


def _calls_on_first_day(plan: CallPlan) -> int:
    return int((plan.calls["date"] == plan.days[0]).sum()) if len(plan.days) else 0


def _pool_block(analysis: AnalysisLike, lang: str) -> Block | None:
    """The customers to return to the pool, the most valuable first, with the reason."""
    c = analysis.customers
    if "pool" not in c.columns or not c["pool"].fillna(False).astype(bool).any():
        return None
    pooled = c.loc[c["pool"].fillna(False).astype(bool)]
    spend = pooled["monetary"].fillna(0.0).to_numpy()
    top = pooled.iloc[np.argsort(-spend, kind="stable")[:POOL_ROWS]]
    reasons = attention_texts(top, lang, analysis.settings, analysis.as_of)
    rows: list[list[str | float]] = [
        [str(rec["customer_id"]), str(rec["name"] or ""), str(rec["owner"] or ""), str(reason)]
        for rec, reason in zip(top.to_dict("records"), reasons, strict=True)
    ]
    if len(pooled) > len(top):
        more = t(
            "… and {n} more: filter Attention on the Follow-ups sheet",
            lang,
            n=len(pooled) - len(top),
        )
        rows.append([more, "", "", ""])
    return Block(
        "pool",
        "xlcrm_dashboard_pool",
        [header(k, lang) for k in ("customer_id", "name", "owner", "attention")],
        ["text", "text", "text", "text"],
        rows,
        t("Return to the pool (公海)", lang),
    )
