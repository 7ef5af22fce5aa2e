"""The dashboard specification: key figures, counts by class, tier and segment, the Pareto curve.

Pure, like :mod:`xlcrm.xlsx.sheets`: :func:`build_dashboard` gives plain
values; :mod:`xlcrm.xlsx.dashsheet` lays them out with tables and charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlcrm.core import schema
from xlcrm.core.currency import Currency
from xlcrm.locale import t
from xlcrm.palette import ACCENT, CLASS_COLOURS, TIER_COLOURS
from xlcrm.xlsx.columns import text
from xlcrm.xlsx.sheets import AnalysisLike


@dataclass
class Block:
    """A small table on the dashboard, with a heading and the colour of each row's bar."""

    key: str
    table: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    title: str = ""
    colours: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Dashboard:
    title: str
    subtitle: str
    figures: list[tuple[str, Any, str]]  # label, value, kind
    blocks: list[Block]
    curve: list[tuple[float, float]] = field(default_factory=list)  # Pareto: customers, revenue
    currency: Currency = field(default_factory=Currency)

    def block(self, key: str) -> Block | None:
        """The block ``key`` (``"rfm_class"``, ``"tier"``, ``"segment"``), if any."""
        return next((b for b in self.blocks if b.key == key), None)


def build_dashboard(analysis: AnalysisLike, *, lang: str = "en") -> Dashboard:
    """Counts, revenue and shares by class, tier and segment, plus Pareto figures."""
    c = analysis.customers
    revenue = c["monetary"].fillna(0.0).astype(float)
    total_rev = float(revenue.sum())

    def block(
        key: str,
        col: str,
        codes: Sequence[str],
        fn: Callable[[str, str], str],
        colours: dict[str, str],
        title: str,
    ) -> Block:
        counts = c[col].value_counts()
        rev = revenue.groupby(c[col]).sum()
        # shares of the customers in this table (buyers for classes), adding up to 100 %
        n = int(sum(int(counts.get(code, 0)) for code in codes))
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
            title,
            [colours.get(code, ACCENT) for code in codes],
        )

    blocks = [
        block(
            "rfm_class",
            "rfm_class",
            schema.RFM_CLASSES,
            schema.label,
            CLASS_COLOURS,
            t("Customers who bought, by RFM class", lang),
        ),
        block(
            "tier",
            "tier",
            schema.TIERS,
            schema.tier_label,
            TIER_COLOURS,
            t("All customers, by lifecycle tier", lang),
        ),
        block(
            "segment",
            "segment",
            schema.SEGMENTS,
            schema.label,
            {},
            t("Customers who bought, by segment", lang),
        ),
    ]
    blocks[-1].note = t(
        "Segments split the buyers finer than the RFM classes: by the R score and the mean "
        "of the F and M scores. The RFM sheet gives each customer's segment.",
        lang,
    )
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
    money = getattr(analysis.settings, "money", Currency())
    return Dashboard(text("dashboard_title", lang), subtitle, figures, blocks, curve, money)


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
