"""The brief's customer-relationship sections: loyalty, feedback and referrals.

Each ``*_context`` function returns plain formatted values for
``_insights.html`` for the customers in scope (the team, or one owner's
customers), or None when its input is missing (no Feedback sheet, no
``referred_by`` column).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import feedback as fb
from xlcrm.core import loyalty, playbook, schema
from xlcrm.core.referrals import top_referrers_label
from xlcrm.locale import t, tn
from xlcrm.report.format import DASH, fmt_int, fmt_money, fmt_number, fmt_pct
from xlcrm.report.sections import customer_name, more_text, owner_name

__all__ = ["feedback_context", "loyalty_context", "referrals_context"]

#: Rows of the lists (loyal but dissatisfied, open complaints, top referrers).
LIST_ROWS: Final = 10


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Biggest spenders first, then the id."""
    money = frame["monetary"].to_numpy(dtype="float64", na_value=-np.inf)
    ids = frame["customer_id"].astype(str).to_numpy()
    return frame.iloc[np.lexsort((ids, -money))]


def loyalty_context(frame: pd.DataFrame, *, lang: str, money: str) -> dict[str, Any]:
    """Customers per loyalty level, how the indicators were known, and the loyal
    customers with low satisfaction. ``frame`` has the insights columns."""
    n = len(frame)
    counts = frame["loyalty_level"].value_counts()
    levels = []
    for code in loyalty.LEVELS:
        count = int(counts.get(code, 0))
        entry = playbook.entry("loyalty", code, lang)
        levels.append(
            {
                "level": loyalty.level_label(code, lang),
                "code": code,
                "customers": fmt_int(count),
                "share": fmt_pct(count / n if n else None, 0),
                "who": entry["who"],
                "action": entry["actions"][0],
            }
        )
    unknown = int(frame["loyalty_level"].isna().sum())
    known = t(
        "Known: satisfaction for {sat} customers, repurchase chance for {rep}, "
        "recommendation for {rec}.",
        lang,
        sat=fmt_int(frame["satisfaction_level"].notna().sum()),
        rep=fmt_int(frame["repurchase_level"].notna().sum()),
        rec=fmt_int(frame["recommend_level"].notna().sum()),
    )
    basis = frame["repurchase_basis"].value_counts()
    quiet = _order(frame[frame["dissatisfied_loyal"].fillna(False).to_numpy(dtype=bool)])
    quiet_rows = [
        {
            "name": customer_name(r),
            "id": str(r["customer_id"]),
            "owner": owner_name(r),
            "tier": schema.tier_label(str(r["tier"]), lang),
            "satisfaction": fmt_number(r["satisfaction"], 1),
            "revenue": fmt_money(r["monetary"], money),
        }
        for r in quiet.head(LIST_ROWS).to_dict("records")
    ]
    return {
        "title": t("Loyalty", lang),
        "intro": t(
            "Three indicators, each high, middle or low: satisfaction (4-5 high, 3 middle, "
            "1-2 low), the chance of buying again (above 70 %, 30-70 %, below 30 %) and the "
            "likelihood to recommend (very likely or 9-10, possible or 7-8, unlikely or 0-6). "
            "Advocates are high on every indicator known; any low indicator puts loyalty at risk.",
            lang,
        ),
        "levels": levels,
        "unknown": tn(
            "{n} customer has no indicator yet.",
            "{n} customers have no indicator yet.",
            unknown,
            lang,
        )
        if unknown
        else "",
        "known": known,
        "basis": t(
            "The repurchase chance comes from the value model for {model} customers and from "
            "their own purchase history for {history}.",
            lang,
            model=fmt_int(basis.get("model", 0)),
            history=fmt_int(basis.get("history", 0)),
        ),
        "quiet": quiet_rows,
        "quiet_more": more_text(len(quiet), LIST_ROWS, lang),
        "w": {
            "level": t("Loyalty level", lang),
            "customers": t("Customers", lang),
            "share": t("Share", lang),
            "who": t("Who they are", lang),
            "action": t("First action", lang),
            "quiet_title": t("Loyal but dissatisfied: likely to leave quietly", lang),
            "customer": t("Customer", lang),
            "id": t("ID", lang),
            "owner": t("Owner", lang),
            "tier": t("Tier", lang),
            "satisfaction": t("Satisfaction", lang),
            "revenue": t("Revenue", lang),
        },
    }


def feedback_context(
    items: fb.Feedback | None, frame: pd.DataFrame, *, edges: tuple[int, int, int], lang: str
) -> dict[str, Any] | None:
    """Open items by age, response times, satisfaction per class and tier, open complaints."""
    if items is None:
        return None
    mine = items.items["customer_id"].isin(frame["customer_id"]).to_numpy()
    scoped = fb.Feedback(items.as_of, items.items[mine].reset_index(drop=True))
    times = scoped.response_times()
    ages = scoped.open_by_age(edges)
    open_items = scoped.open_items()
    complaints = open_items[open_items["kind"] == "complaint"]
    oldest = complaints.groupby("customer_id")["age_days"].max()
    flagged = _order(frame[frame["open_complaint"].fillna(False).to_numpy(dtype=bool)])
    rows = [
        {
            "name": customer_name(r),
            "id": str(r["customer_id"]),
            "owner": owner_name(r),
            "days": fmt_int(oldest.get(r["customer_id"])),
            "tier": schema.tier_label(str(r["tier"]), lang),
        }
        for r in flagged.head(LIST_ROWS).to_dict("records")
    ]

    def groups(column: str, codes: tuple[str, ...], label: Any) -> list[dict[str, str]]:
        table = fb.satisfaction_by(frame[column], frame["satisfaction"], codes)
        return [
            {
                "group": label(r["group"], lang),
                "rated": fmt_int(r["rated"]),
                "mean": fmt_number(r["mean"], 1),
                "low": fmt_int(r["low"]),
            }
            for r in table.to_dict("records")
            if r["customers"]
        ]

    return {
        "title": t("Feedback", lang),
        "figures": [
            {"label": t("Open items", lang), "value": fmt_int(len(open_items)), "note": ""},
            {"label": t("Open complaints", lang), "value": fmt_int(len(complaints)), "note": ""},
            {
                "label": t("Median response", lang),
                "value": DASH if times["median"] is None else fmt_number(times["median"], 1),
                "note": t("days, {n} closed items", lang, n=fmt_int(times["closed"])),
            },
            {
                "label": t("90th percentile", lang),
                "value": DASH if times["p90"] is None else fmt_number(times["p90"], 1),
                "note": t("days", lang),
            },
        ],
        "ages": [
            {
                "bucket": fb.age_label(r["bucket"], edges, lang),
                "count": fmt_int(r["items"]),
                "complaints": fmt_int(r["complaints"]),
            }
            for r in ages.to_dict("records")
        ],
        "by_class": groups("rfm_class", schema.RFM_CLASSES, schema.label),
        "by_tier": groups("tier", schema.TIERS, schema.tier_label),
        "complaints": rows,
        "complaints_more": more_text(len(flagged), LIST_ROWS, lang),
        "w": {
            "age": t("Open for", lang),
            "n_items": t("Items", lang),
            "complaints": t("Complaints", lang),
            "group": t("Group", lang),
            "rated": t("Rated", lang),
            "mean": t("Mean 1-5", lang),
            "low": t("Low (1-2)", lang),
            "by_class": t("Satisfaction by RFM class", lang),
            "by_tier": t("Satisfaction by lifecycle tier", lang),
            "complaints_title": t("Customers with an open complaint (called first)", lang),
            "customer": t("Customer", lang),
            "id": t("ID", lang),
            "owner": t("Owner", lang),
            "days": t("Days open", lang),
            "tier": t("Tier", lang),
        },
    }


def referrals_context(
    analysis: Any, frame: pd.DataFrame, *, lang: str, money: str
) -> dict[str, Any] | None:
    """Referrals made, their conversion and revenue, and the top referrers in scope."""
    insights = getattr(analysis, "insights", None)
    if insights is None or insights.referrals is None:
        return None
    referred = frame["referred_by"].notna().to_numpy()
    bought = frame["frequency"].to_numpy() > 0
    n_ref = int(referred.sum())
    others = int((~referred).sum())
    conversion = (referred & bought).sum() / n_ref if n_ref else None
    other_conversion = (~referred & bought).sum() / others if others else None
    revenue = float(
        np.nansum(frame["monetary"].to_numpy(dtype="float64", na_value=np.nan)[referred])
    )
    referrers = frame[frame["referrals"].to_numpy() > 0]
    ids = referrers["customer_id"].astype(str).to_numpy()
    cents = np.round(referrers["referred_revenue"].to_numpy(dtype="float64") * 100)
    referrers = referrers.iloc[np.lexsort((ids, -referrers["referrals"].to_numpy(), -cents))]
    top = analysis.settings.top_customers
    entry = playbook.entry("referral", "top_referrers", lang)
    return {
        "title": t("Referrals", lang),
        "figures": [
            {"label": t("Referred customers", lang), "value": fmt_int(n_ref), "note": ""},
            {
                "label": t("Referred who bought", lang),
                "value": fmt_pct(conversion, 0),
                "note": t("others: {share}", lang, share=fmt_pct(other_conversion, 0)),
            },
            {"label": t("Referred revenue", lang), "value": fmt_money(revenue, money), "note": ""},
        ],
        "top_title": top_referrers_label(lang),
        "top": [
            {
                "name": customer_name(r),
                "id": str(r["customer_id"]),
                "owner": owner_name(r),
                "referrals": fmt_int(r["referrals"]),
                "revenue": fmt_money(r["referred_revenue"], money),
            }
            for r in referrers.head(top).to_dict("records")
        ],
        "who": entry["who"],
        "actions": entry["actions"],
        "w": {
            "customer": t("Customer", lang),
            "id": t("ID", lang),
            "owner": t("Owner", lang),
            "referrals": t("Referred", lang),
            "revenue": t("Their revenue", lang),
            "actions": t("Recommended actions", lang),
        },
    }
