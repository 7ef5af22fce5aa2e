"""The brief's value pages: value at risk, the top customers by expected value,
and an appendix with the fitted model and its holdout check.

:func:`value_context` returns plain formatted values for ``_value.html``, or
``None`` when the analysis has no value model (turned off); a model that
could not be fitted still gets a short page saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.value import TIME_UNIT, describe_reason, repurchase_band_label
from xlcrm.locale import t, tn
from xlcrm.report import charts
from xlcrm.report.format import fmt_money, fmt_money_short, fmt_name, fmt_pct

__all__ = ["value_context"]

#: Customers listed by expected value.
TOP_ROWS: Final = 12


def _money(value: object, money: str) -> str:
    return fmt_money(value, money)


def _card_money(value: float, money: str, lang: str) -> str:
    """A sum on a figure card: in 万 for Chinese readers (the workbook keeps the exact sum)."""
    return fmt_money_short(value, money, lang) if lang == "zh" else fmt_money(value, money)


def _pct(value: float) -> str:
    return fmt_pct(value, 0)


def _name(rec: Mapping[Any, Any]) -> str:
    name = rec.get("name")
    return fmt_name(str(rec["customer_id"]) if name is None or pd.isna(name) else str(name))


def _margins(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's expected margin (NaN where its margin is not known)."""
    if "expected_margin" not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame["expected_margin"], errors="coerce").to_numpy(np.float64)


def value_context(analysis: Any, frame: pd.DataFrame, *, lang: str, money: str) -> dict | None:
    """The value section and appendix for the customers in ``frame``."""
    model = getattr(analysis, "value", None)
    if model is None or model.reason == "off":
        return None
    out: dict[str, Any] = {
        "title": t("Customer value", lang),
        "appendix_title": t("Appendix: the value model", lang),
        "reason": describe_reason(model.reason, lang) or "",
        "figures": [],
        "top": [],
        "has_margin": False,
        "params": [],
        "check": None,
        "w": {
            "customer": t("Customer", lang),
            "id": t("ID", lang),
            "owner": t("Owner", lang),
            "top": t("Top customers by expected value", lang),
            "warned_note": t("A red edge marks a customer with a churn warning.", lang),
            "p_alive": t("P(alive)", lang),
            "purchases": t(
                "Purchases, next {days} days", lang, days=analysis.settings.value_horizon_days
            ),
            "aov": t("Expected order value", lang),
            "expected": t("Expected value, 12 months", lang),
            "margin": t("Expected margin, 12 months", lang),
            "model": t("Model", lang),
            "params": t("Fitted parameters", lang),
            "ll": t("Log-likelihood", lang),
            "customers": t("Customers", lang),
            "model_intro": t(
                "Two probability models fitted by maximum likelihood to every customer's "
                "purchase days up to the analysis date: BG/NBD for how often customers buy and "
                "when they stop (Fader, Hardie and Lee 2005), Gamma-Gamma for how much they "
                "spend per purchase (Fader and Hardie 2013). P(alive) is the chance a customer "
                "has not quietly stopped buying.",
                lang,
            ),
        },
    }
    settings = analysis.settings
    worth = frame["expected_value"].to_numpy(dtype=np.float64, na_value=np.nan)
    if model.gamma_gamma is not None and np.isfinite(worth).any():
        warned = frame["churn_warning"].fillna(False).to_numpy(dtype=bool)
        total = float(np.nansum(worth))
        at_risk = float(np.nansum(worth[warned]))
        high = int((frame["repurchase_band"] == "high").sum())
        margin = _margins(frame)
        known = np.isfinite(margin)
        total_note = at_risk_note = ""
        if known.any():
            n = int(known.sum())
            total_note = tn(
                "in margin {margin} ({count} customer whose margin is known)",
                "in margin {margin} ({count} customers whose margin is known)",
                n,
                lang,
                margin=_card_money(float(margin[known].sum()), money, lang),
                count=f"{n:,}",
            )
            at_risk_note = t(
                "in margin {margin}",
                lang,
                margin=_card_money(float(margin[known & warned].sum()), money, lang),
            )
        if total > 0:
            share = t("{share} of the expected value", lang, share=_pct(at_risk / total))
            at_risk_note = t("; ", lang).join(x for x in (share, at_risk_note) if x)
        out["figures"] = [
            {
                "label": t("Expected value, next 12 months", lang),
                "value": _card_money(total, money, lang),
                "note": total_note,
            },
            {
                "label": t("Value at risk (customers with a churn warning)", lang),
                "value": _card_money(at_risk, money, lang),
                "note": at_risk_note,
            },
            {
                "label": t(
                    "Customers likely to buy in the next {days} days",
                    lang,
                    days=settings.value_horizon_days,
                ),
                "value": f"{high:,}",
                "note": repurchase_band_label("high", lang),
            },
        ]
        out["has_margin"] = bool(known.any())
        rate = format(settings.value_monthly_discount, ".1%")
        out["intro"] = t(
            "Expected value is what a customer is likely to spend in the next 12 months, "
            "discounted {rate} a month, from how often and how recently they bought and what "
            "they spent. Value at risk is the part of it held by customers with a churn warning.",
            lang,
            rate=rate,
        )
        order = np.lexsort((np.arange(len(frame)), -np.nan_to_num(worth, nan=-1.0)))
        top = frame.iloc[order[: min(TOP_ROWS, int(np.isfinite(worth).sum()))]]
        for rec in top.to_dict("records"):
            out["top"].append(
                {
                    "name": _name(rec),
                    "id": str(rec["customer_id"]),
                    "owner": "—" if pd.isna(rec.get("owner")) else str(rec["owner"]),
                    "p_alive": _pct(rec["p_alive"]),
                    "purchases": f"{rec['expected_purchases']:.1f}",
                    "aov": _money(rec["expected_aov"], money),
                    "value": _money(rec["expected_value"], money),
                    "margin": _money(rec.get("expected_margin"), money),
                    "warned": bool(rec["churn_warning"]),
                }
            )
    else:
        out["intro"] = out["reason"]
    bg, gg = model.bgnbd, model.gamma_gamma
    if bg is not None:
        unit = t(TIME_UNIT, lang)
        out["params"].append(
            {
                "model": t("BG/NBD (repeat purchase days)", lang),
                "fitted": f"r = {bg.r:.3f}, α = {bg.alpha:.3f} ({unit}), "
                f"a = {bg.a:.3f}, b = {bg.b:.3f}",
                "ll": f"{bg.log_likelihood:,.1f}",
                "n": f"{bg.n_customers:,}",
            }
        )
    if gg is not None:
        out["params"].append(
            {
                "model": t("Gamma-Gamma (mean repeat spend)", lang),
                "fitted": f"p = {gg.p:.3f}, q = {gg.q:.3f}, v = {gg.v:,.2f}",
                "ll": f"{gg.log_likelihood:,.1f}",
                "n": f"{gg.n_customers:,}",
            }
        )
    out["check"] = _check(getattr(analysis, "value_check", None), lang)
    return out


def _check(check: Any, lang: str) -> dict[str, Any] | None:
    """The holdout chart: the model refitted without the last weeks, against what happened."""
    if check is None:
        return None
    weeks = check.weeks
    start, end = check.calibration_end.date().isoformat(), check.holdout_end.date().isoformat()
    if not len(weeks):
        return {
            "text": t(
                "Refitted on the orders up to {start}, the model could not be checked on "
                "{start} to {end}: {reason}",
                lang,
                start=start,
                end=end,
                reason=describe_reason(check.model.reason, lang) or "",
            ),
            "svg": None,
        }
    predicted = float(weeks["predicted"].sum())
    actual = float(weeks["actual"].sum())
    title = t("Holdout check: repeat purchase days per week", lang)
    svg = charts.line_chart(
        [
            (charts.Series(t("predicted", lang), charts.ACCENT), weeks["predicted"].tolist()),
            (charts.Series(t("actual", lang), charts.WARN), weeks["actual"].tolist()),
        ],
        title=title,
        x_label=t("week after {date}", lang, date=start),
    )
    shown = {"predicted": format(predicted, ",.0f"), "actual": format(actual, ",.0f")}
    return {
        "title": title,
        "text": t(
            "Refitted on the orders up to {start}, the model predicted {predicted} repeat "
            "purchase days after {start}, up to {end}; {actual} happened ({gap} off).",
            lang,
            start=start,
            end=end,
            predicted=shown["predicted"],
            actual=shown["actual"],
            gap=_pct(abs(predicted - actual) / actual) if actual else "—",
        ),
        "svg": svg,
    }
