"""The brief's strategy sections: Kotler's relationship levels as a 3 x 3 matrix,
the long tail with low-cost actions, and what changed since an earlier day.

Each ``*_context`` function returns plain formatted values for ``_insights.html``.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import playbook, relationship, schema
from xlcrm.core.changes import NONE, Changes, moves_matrix
from xlcrm.core.longtail import tail_label
from xlcrm.locale import t, tn
from xlcrm.report.format import fmt_date, fmt_int, fmt_money, fmt_pct
from xlcrm.report.sections import customer_name, more_text, owner_name

__all__ = ["changes_context", "relationship_context", "tail_context"]

#: Rows of the lists of new churn warnings and newly lost customers.
LIST_ROWS: Final = 12


def relationship_context(analysis: Any, *, lang: str) -> dict[str, Any] | None:
    """The 3 x 3 matrix (how many customers x how much margin) with the RFM classes
    placed in it, and the playbook's action for each level that occurs."""
    insights = getattr(analysis, "insights", None)
    if insights is None:
        return None
    table = insights.relationship
    placed = table[table["level"].notna()]
    if placed.empty:
        return None
    settings = analysis.settings
    cells: dict[tuple[str, str], list[str]] = {
        (s, m): [] for s in relationship.SHARE_LEVELS for m in relationship.MARGIN_LEVELS
    }
    for r in placed.to_dict("records"):
        cells[(r["share_level"], r["margin_level"])].append(
            f"{schema.label(r['rfm_class'], lang)} ({fmt_pct(r['customer_share'], 0)})"
        )
    matrix = [
        {
            "row": relationship.share_label(s, lang),
            "cells": [
                {
                    "level": relationship.level_label(relationship.MATRIX[s][m], lang),
                    "code": relationship.MATRIX[s][m],
                    "classes": cells[(s, m)],
                }
                for m in relationship.MARGIN_LEVELS
            ],
        }
        for s in relationship.SHARE_LEVELS
    ]
    used = [code for code in relationship.LEVELS if (placed["level"] == code).any()]
    levels = []
    for code in reversed(used):
        entry = playbook.entry("relationship", code, lang)
        classes = placed[placed["level"] == code]["rfm_class"]
        levels.append(
            {
                "level": entry["title"],
                "classes": t(", ", lang).join(schema.label(c, lang) for c in classes),
                "who": entry["who"],
                "actions": entry["actions"][:2],
            }
        )
    frame = insights.customers
    default_only = (frame["margin_source"].dropna() == "default").all()
    return {
        "title": t("Relationship levels (Kotler)", lang),
        "intro": t(
            "Each RFM class is placed by its share of buying customers (many from {many}, "
            "few below {few}) and its margin per customer against the average (high from "
            "{high}×, low below {low}×). Few customers with a high margin call for a "
            "partnership; many with a low margin for a basic relationship.",
            lang,
            many=fmt_pct(settings.relationship_many_share, 0),
            few=fmt_pct(settings.relationship_few_share, 0),
            high=f"{settings.relationship_high_margin:g}",
            low=f"{settings.relationship_low_margin:g}",
        ),
        "columns": [relationship.margin_label(m, lang) for m in relationship.MARGIN_LEVELS],
        "matrix": matrix,
        "levels": levels,
        "note": t(
            "No margin or cost was given: every customer's margin is {rate} of revenue "
            "(setting default_margin_rate), so the margin level follows revenue.",
            lang,
            rate=fmt_pct(settings.default_margin_rate, 0),
        )
        if default_only
        else "",
        "w": {
            "level": t("Level", lang),
            "classes": t("RFM classes", lang),
            "who": t("What it means", lang),
            "actions": t("Recommended actions", lang),
        },
    }


def tail_context(analysis: Any, frame: pd.DataFrame, *, lang: str, money: str) -> dict | None:
    """The tail's share of customers and revenue (of the customers in scope), its
    trend by year (whole team) and the playbook's low-cost actions."""
    insights = getattr(analysis, "insights", None)
    if insights is None:
        return None
    revenue = frame["monetary"].to_numpy(dtype="float64", na_value=np.nan)
    positive = revenue > 0
    if not positive.any():
        return None
    tail = frame["long_tail"].fillna(False).to_numpy(dtype=bool) & positive
    total = float(revenue[positive].sum())
    head_share = analysis.settings.abc_a_share
    entry = playbook.entry("long_tail", "tail", lang)
    years = insights.long_tail.years
    return {
        "title": tail_label(lang),
        "intro": t(
            "The customers after the first {share} of revenue, biggest first: many small "
            "customers who are easy to neglect while the big accounts get the attention.",
            lang,
            share=fmt_pct(head_share, 0),
        ),
        "figures": [
            {
                "label": t("Customers in the tail", lang),
                "value": fmt_pct(tail.sum() / positive.sum(), 0),
                "note": t(
                    "{n} of {total}", lang, n=fmt_int(tail.sum()), total=fmt_int(positive.sum())
                ),
            },
            {
                "label": t("Their share of revenue", lang),
                "value": fmt_pct(revenue[tail].sum() / total if total > 0 else None, 0),
                "note": fmt_money(revenue[tail].sum(), money),
            },
        ],
        "years": [
            {
                "year": str(r["year"]) + (" " + t("(to date)", lang) if r["to_date"] else ""),
                "customers": fmt_int(r["customers"]),
                "tail": fmt_int(r["tail_customers"]),
                "customer_share": fmt_pct(r["customer_share"], 0),
                "revenue_share": fmt_pct(r["revenue_share"], 0),
            }
            for r in years.to_dict("records")
        ],
        "who": entry["who"],
        "actions": entry["actions"],
        "w": {
            "trend": t("The tail by year (whole team)", lang),
            "year": t("Year", lang),
            "customers": t("Buying customers", lang),
            "tail": t("In the tail", lang),
            "customer_share": t("Share of customers", lang),
            "revenue_share": t("Share of revenue", lang),
            "actions": t("Low-cost actions", lang),
        },
    }


def _matrix(moves: pd.DataFrame, label: Any, lang: str) -> dict[str, Any]:
    """Rows and columns that hold a customer, with the counts (diagonal marked)."""
    counts = moves.to_numpy().copy()
    np.fill_diagonal(counts, 0)  # only moves: who kept their place is not counted
    keep = (counts.sum(axis=1) > 0) | (counts.sum(axis=0) > 0)
    codes = [c for c, k in zip(moves.index, keep, strict=True) if k]

    def name(code: str) -> str:
        return t("(none)", lang) if code == NONE else label(code, lang)

    return {
        "columns": [name(c) for c in codes],
        "rows": [
            {
                "from": name(a),
                "cells": [
                    {
                        "value": fmt_int(moves.loc[a, b]) if a != b and moves.loc[a, b] else "",
                        "same": a == b,
                    }
                    for b in codes
                ],
            }
            for a in codes
        ],
    }


def changes_context(
    changes: Changes | None, frame: pd.DataFrame, *, lang: str
) -> dict[str, Any] | None:
    """Moves between classes and tiers since ``changes.since`` for the customers in
    scope, new churn warnings and customers who became lost."""
    if changes is None:
        return None
    ids = set(frame["customer_id"])
    moved = changes.moved[changes.moved["customer_id"].isin(ids)]
    class_moves = moves_matrix(moved["class_before"], moved["rfm_class"], schema.RFM_CLASSES)
    tier_moves = moves_matrix(moved["tier_before"], moved["tier"], schema.TIERS)
    warned = changes.new_warnings[changes.new_warnings["customer_id"].isin(ids)]
    lost = changes.newly_lost[changes.newly_lost["customer_id"].isin(ids)]

    def rows(found: pd.DataFrame, extra: str) -> list[dict[str, str]]:
        return [
            {
                "name": customer_name(r),
                "id": str(r["customer_id"]),
                "owner": owner_name(r),
                "extra": fmt_date(r[extra]) if extra == "last_purchase" else "",
            }
            for r in found.head(LIST_ROWS).to_dict("records")
        ]

    return {
        "title": t("What changed", lang),
        "intro": t(
            "From {since} to {as_of}: customers who moved between RFM classes and lifecycle "
            "tiers (rows: before, columns: now; customers who kept their class or tier are "
            "not counted), new churn warnings and customers who became lost.",
            lang,
            since=fmt_date(changes.since, lang, long=True),
            as_of=fmt_date(changes.as_of, lang, long=True),
        ),
        "classes": _matrix(class_moves, schema.label, lang),
        "tiers": _matrix(tier_moves, schema.tier_label, lang),
        "summary": [
            tn(
                "{n} customer changed RFM class.",
                "{n} customers changed RFM class.",
                int((moved["class_before"].fillna(NONE) != moved["rfm_class"].fillna(NONE)).sum()),
                lang,
            ),
            tn(
                "{n} customer changed tier.",
                "{n} customers changed tier.",
                int((moved["tier_before"].fillna(NONE) != moved["tier"].fillna(NONE)).sum()),
                lang,
            ),
        ],
        "warned": rows(warned, ""),
        "warned_more": more_text(len(warned), LIST_ROWS, lang),
        "lost": rows(lost, "last_purchase"),
        "lost_more": more_text(len(lost), LIST_ROWS, lang),
        "w": {
            "classes": t("Moves between RFM classes", lang),
            "tiers": t("Moves between lifecycle tiers", lang),
            "before": t("before \\ now", lang),
            "warned": tn("{n} new churn warning", "{n} new churn warnings", len(warned), lang),
            "lost": tn("{n} customer became lost", "{n} customers became lost", len(lost), lang),
            "customer": t("Customer", lang),
            "id": t("ID", lang),
            "owner": t("Owner", lang),
            "last": t("Last purchase", lang),
        },
    }
