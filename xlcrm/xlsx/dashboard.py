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
from xlcrm.locale import t, tp
from xlcrm.palette import ACCENT, CLASS_COLOURS, TIER_COLOURS
from xlcrm.xlsx.sheets import AnalysisLike


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
        """The block ``key`` (``"rfm_class"``, ``"tier"``, ``"segment"``), if any."""
        return next((b for b in self.blocks if b.key == key), None)


def build_dashboard(analysis: AnalysisLike, *, lang: str = "en") -> Dashboard:
    """Counts, revenue and shares by class, segment and tier, plus Pareto figures."""
    c = analysis.customers
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
        block(
            "segment",
            t("Segment", lang),
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
    return rows
