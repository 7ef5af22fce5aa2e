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
from xlcrm.xlsx.columns import text
from xlcrm.xlsx.sheets import AnalysisLike


@dataclass
class Block:
    """A small table on the dashboard."""

    key: str
    table: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]]


@dataclass
class Dashboard:
    title: str
    subtitle: str
    figures: list[tuple[str, Any, str]]  # label, value, kind
    blocks: list[Block]


def build_dashboard(analysis: AnalysisLike, *, lang: str = "en") -> Dashboard:
    """Counts, revenue and shares by class, segment and tier, plus Pareto figures."""
    c = analysis.customers
    revenue = c["monetary"].fillna(0.0).astype(float)
    total_rev = float(revenue.sum())
    n = len(c)

    def block(key: str, col: str, codes: Sequence[str], fn: Callable[[str, str], str]) -> Block:
        counts = c[col].value_counts()
        rev = revenue.groupby(c[col]).sum()
        rows = []
        for code in codes:
            k = int(counts.get(code, 0))
            r = float(rev.get(code, 0.0))
            rows.append(
                [fn(code, lang), k, k / n if n else 0.0, r, r / total_rev if total_rev else 0.0]
            )
        return Block(
            key,
            f"xlcrm_dashboard_{key}",
            [
                text(key, lang),
                text("customers", lang),
                text("customer_share", lang),
                text("revenue", lang),
                text("revenue_share", lang),
            ],
            ["text", "int", "pct", "money", "pct"],
            rows,
        )

    blocks = [
        block("rfm_class", "rfm_class", schema.RFM_CLASSES, schema.label),
        block("segment", "segment", schema.SEGMENTS, schema.label),
        block("tier", "tier", schema.TIERS, schema.tier_label),
    ]
    pareto = analysis.pareto
    curve = getattr(pareto, "curve", None)
    if curve is not None and len(curve):
        blocks.append(
            Block(
                "pareto",
                "xlcrm_dashboard_pareto",
                [text("customer_share", lang), text("revenue_share", lang)],
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
    figures: list[tuple[str, Any, str]] = [
        (text("customers", lang), figures_of["customers"], "int"),
        (text("purchasing", lang), figures_of["purchasing_customers"], "int"),
        (text("revenue", lang), figures_of["revenue"], "money"),
        (
            text("top_share", lang).format(pct=pct),
            float("nan") if top_share is None else top_share,
            "pct",
        ),
        (text("customers_for_80", lang), figures_of["customers_for_80"], "int"),
        (text("due_now", lang), figures_of["needs_followup"], "int"),
        (text("overdue", lang), figures_of["overdue"], "int"),
        (text("churn", lang), figures_of["churn_warnings"], "int"),
        *_value_figures(figures_of, lang),
    ]
    as_of = pd.Timestamp(analysis.as_of).date().isoformat()
    subtitle = f"{analysis.settings.company} · {text('as_of', lang)} {as_of}"
    return Dashboard(text("dashboard_title", lang), subtitle, figures, blocks)


def _value_figures(figures: dict[str, Any], lang: str) -> list[tuple[str, Any, str]]:
    """The value model's lines on the dashboard: its totals, or why it is missing."""
    from xlcrm.core.value import describe_reason

    reason = figures.get("value_reason")
    rows: list[tuple[str, Any, str]] = []
    if reason is not None:
        rows.append((text("value_model", lang), describe_reason(reason, lang), "text"))
    if figures.get("expected_value") is not None:
        rows.append((text("expected_value", lang), figures["expected_value"], "money"))
        rows.append((text("value_at_risk", lang), figures["value_at_risk"], "money"))
    return rows
