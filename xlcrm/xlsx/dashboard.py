"""The dashboard specification: key figures and counts by class, segment and tier.

Pure, like :mod:`xlcrm.xlsx.sheets`: :func:`build_dashboard` gives plain
values; :mod:`xlcrm.xlsx.layout` adds the tables and charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from xlcrm.core import schema
from xlcrm.locale import t, tp
from xlcrm.xlsx.sheets import AnalysisLike


@dataclass
class Block:
    """A small table on the dashboard."""

    key: str
    table: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[str | float]]


@dataclass
class Dashboard:
    title: str
    subtitle: str
    figures: list[tuple[str, float | str, str]]  # label, value (a number or text), kind
    blocks: list[Block]


def build_dashboard(analysis: AnalysisLike, *, lang: str = "en") -> Dashboard:
    """Counts, revenue and shares by class, segment and tier, plus Pareto figures."""
    c = analysis.customers
    revenue = c["monetary"].fillna(0.0).astype(float)
    total_rev = float(revenue.sum())
    n = len(c)
    customers = tp("count", "Customers", lang)
    customer_share, revenue_share = t("Share of customers", lang), t("Share of revenue", lang)

    def block(key: str, title: str, codes: Sequence[str], fn: Callable[[str, str], str]) -> Block:
        counts = c[key].value_counts()
        rev = revenue.groupby(c[key]).sum()
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
        )

    blocks = [
        block("rfm_class", t("RFM class", lang), schema.RFM_CLASSES, schema.label),
        block("segment", t("Segment", lang), schema.SEGMENTS, schema.label),
        block("tier", t("Tier", lang), schema.TIERS, schema.tier_label),
    ]
    pareto = analysis.pareto
    curve = getattr(pareto, "curve", None)
    if curve is not None and len(curve):
        blocks.append(
            Block(
                "pareto",
                "xlcrm_dashboard_pareto",
                [customer_share, revenue_share],
                ["pct", "pct"],
                [
                    [float(a), float(b)]
                    for a, b in zip(curve["customer_share"], curve["revenue_share"], strict=True)
                ],
            )
        )
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
        *_value_figures(figures_of, lang),
    ]
    as_of = pd.Timestamp(analysis.as_of).date().isoformat()
    subtitle = t(
        "{company} · Analysis date {date}", lang, company=analysis.settings.company, date=as_of
    )
    return Dashboard(t("Customer dashboard", lang), subtitle, figures, blocks)


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
    return rows
