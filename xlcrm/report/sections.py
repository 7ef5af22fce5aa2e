"""The brief's class and tier sections: who they are, how many, what to do, top customers.

Also the small row helpers the agenda and the churn list share (customer
names, owners, code labels, the biggest-spenders-first order). Pure: plain
values out, every text from the message catalogue or the playbook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import playbook, schema
from xlcrm.locale import t, tn
from xlcrm.report.format import DASH, fmt_int, fmt_money, fmt_name, fmt_pct, is_missing

if TYPE_CHECKING:
    from xlcrm.core.analysis import Analysis
    from xlcrm.core.settings import Settings

__all__ = ["TIER_TOP", "build_sections", "group_stats", "spend_order"]

#: Top customers listed per lifecycle tier (classes list ``settings.top_customers``).
TIER_TOP: Final = 5

#: Per code: count, revenue, orders, median recency and frequency of buyers.
Stats = Mapping[str, float]

# R, F, M high (True) or low per class, in schema.RFM_CLASSES order.
_CLASS_PATTERN: Final = {
    "important_value": (True, True, True),
    "important_retain": (False, True, True),
    "important_develop": (True, False, True),
    "important_winback": (False, False, True),
    "general_value": (True, True, False),
    "general_retain": (False, True, False),
    "general_develop": (True, False, False),
    "general_winback": (False, False, False),
}

# --- row helpers ----------------------------------------------------------------------


def floats(series: pd.Series, missing: float = np.nan) -> np.ndarray:
    """``series`` as float64, missing values as ``missing``."""
    return series.to_numpy(dtype="float64", na_value=missing)


def spend_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions, biggest spenders first, then more orders, then frame order (id)."""
    money = floats(frame["monetary"], -np.inf)
    freq = floats(frame["frequency"], 0.0)
    return np.lexsort((np.arange(len(frame)), -freq, -money))


def customer_name(row: Mapping[Any, Any]) -> str:
    """The customer's name, else the id."""
    name = row.get("name")
    text = str(row["customer_id"]) if is_missing(name) or not str(name).strip() else str(name)
    return fmt_name(text)


def owner_name(row: Mapping[Any, Any]) -> str:
    """The owner as written (whitespace runs shown as one space, as HTML would), else a dash."""
    owner = row.get("owner")
    return DASH if is_missing(owner) else fmt_name(" ".join(str(owner).split()))


def code_label(code: object, kind: str, lang: str) -> str:
    """The name of an RFM class (``kind="class"``) or tier (``"tier"``) in ``lang``."""
    if is_missing(code):
        return DASH
    return schema.tier_label(str(code), lang) if kind == "tier" else schema.label(str(code), lang)


def more_text(total: int, shown: int, lang: str) -> str:
    """ "… and 3 more" under a capped list; empty when nothing was left out."""
    return t("… and {n} more", lang, n=fmt_int(total - shown)) if total > shown else ""


def days_text(value: object, lang: str) -> str:
    """A number of days in words ("12 days"); missing -> a dash."""
    if is_missing(value):
        return DASH
    days = round(float(value))  # type: ignore[arg-type]
    return tn("{n} day", "{n} days", days, lang, n=fmt_int(days))


def plural_n(shown: float) -> int:
    """The count that picks the plural form of a number as shown (a fraction takes the plural)."""
    return int(shown) if float(shown).is_integer() else 2


# --- statistics per class or tier ---------------------------------------------------------


def group_stats(frame: pd.DataFrame, column: str) -> dict[str, dict[str, float]]:
    """Per code: count, revenue, orders, median recency and frequency of buyers.

    Integer codes and ``bincount`` rather than a groupby on text: this runs
    over every customer and must stay cheap at 100,000 of them.
    """
    codes, uniques = pd.factorize(frame[column])
    k = len(uniques)
    valid = codes >= 0
    money = np.nan_to_num(floats(frame["monetary"]))
    freq = floats(frame["frequency"], 0.0)
    count = np.bincount(codes[valid], minlength=k)
    revenue = np.bincount(codes[valid], weights=money[valid], minlength=k)
    orders = np.bincount(codes[valid], weights=freq[valid], minlength=k)
    buyers = valid & (freq > 0)
    medians = (
        pd.DataFrame(
            {
                "code": codes[buyers],
                "recency": floats(frame["recency_days"])[buyers],
                "frequency": freq[buyers],
            }
        )
        .groupby("code")
        .median()
    )
    out = {}
    for i, code in enumerate(uniques):
        out[str(code)] = {
            "count": float(count[i]),
            "revenue": float(revenue[i]),
            "orders": float(orders[i]),
            "median_recency": float(medians["recency"].get(i, np.nan)),
            "median_frequency": float(medians["frequency"].get(i, np.nan)),
        }
    return out


def _top_by(frame: pd.DataFrame, column: str, n: int, order: np.ndarray) -> dict[str, pd.DataFrame]:
    """The first ``n`` rows of ``order`` (see :func:`spend_order`) per code, as small frames."""
    codes, uniques = pd.factorize(frame[column])
    ranked = codes[order]
    return {str(code): frame.iloc[order[ranked == i][:n]] for i, code in enumerate(uniques)}


def _customer_rows(part: pd.DataFrame, *, other: str, lang: str, money: str) -> list[dict]:
    rows = []
    for rec in part.to_dict("records"):
        rows.append(
            {
                "name": customer_name(rec),
                "id": str(rec["customer_id"]),
                "owner": owner_name(rec),
                "revenue": fmt_money(rec["monetary"], money),
                "orders": fmt_int(rec["frequency"]),
                "recency": fmt_int(rec["recency_days"]),
                "other": code_label(rec[other], "tier" if other == "tier" else "class", lang),
            }
        )
    return rows


# --- definitions -----------------------------------------------------------------------


def whole_cuts(thresholds: Mapping[str, float]) -> tuple[int, int]:
    """The cut points in whole days and orders, as the classes apply them.

    Days since the last purchase and orders are whole numbers, so R is high
    (days < cut) up to ``days`` = the largest whole number below the cut, and
    F is high (orders > cut) from ``orders`` = the smallest whole number above
    it: a mean of 12.2 orders reads "at least 13 orders".
    """
    days = max(math.ceil(float(thresholds["recency_days"])) - 1, 0)
    orders = math.floor(float(thresholds["frequency"])) + 1
    return days, orders


def cut_texts(thresholds: Mapping[str, float], money: str, lang: str) -> list[str]:
    """The three cut points in words: when R, F and M count as high (none without purchases)."""
    if _no_cuts(thresholds):
        return []
    days, orders = whole_cuts(thresholds)
    recent = (
        tn(
            "R high: bought in the last {n} day",
            "R high: bought in the last {n} days",
            days,
            lang,
            n=fmt_int(days),
        )
        if days
        else t("R high: bought today", lang)
    )
    return [
        recent,
        tn(
            "F high: at least {n} order", "F high: at least {n} orders", orders, lang,
            n=fmt_int(orders),
        ),
        t("M high: spent more than {n}", lang, n=fmt_money(thresholds["monetary"], money)),
    ]  # fmt: skip


def _no_cuts(thresholds: Mapping[str, float]) -> bool:
    return any(
        math.isnan(float(thresholds[key])) for key in ("recency_days", "frequency", "monetary")
    )


def _class_definition(code: str, thresholds: Mapping[str, float], money: str, lang: str) -> str:
    if _no_cuts(thresholds):
        return ""
    r_high, f_high, m_high = _CLASS_PATTERN[code]
    days, orders = whole_cuts(thresholds)
    spent = fmt_money(thresholds["monetary"], money)
    if r_high and not days:
        r = t("bought today", lang)
    elif r_high:
        r = tn(
            "bought in the last {n} day",
            "bought in the last {n} days",
            days,
            lang,
            n=fmt_int(days),
        )
    else:
        r = tn(
            "no purchase for {n} day or more",
            "no purchase for {n} days or more",
            days + 1,
            lang,
            n=fmt_int(days + 1),
        )
    if f_high:
        f = tn("at least {n} order", "at least {n} orders", orders, lang, n=fmt_int(orders))
    else:
        f = tn(
            "{n} order or fewer",
            "{n} orders or fewer",
            orders - 1,
            lang,
            n=fmt_int(orders - 1),
        )
    m = t("spent more than {n}", lang, n=spent) if m_high else t("spent {n} or less", lang, n=spent)
    text = t("{r}, {f}, {m}.", lang, r=r, f=f, m=m)
    return text[:1].upper() + text[1:]


def _tier_definition(code: str, settings: Settings, lang: str) -> str:
    if code == "potential":
        return t("In the customer list, no purchase yet.", lang)
    if code == "new":
        return t("Exactly one purchase.", lang)
    if code == "repeat":
        return t("2 to {n} purchases.", lang, n=settings.mature_orders - 1)
    if code == "mature":
        n = settings.mature_orders
        return tn("At least {n} purchase.", "At least {n} purchases.", n, lang)
    if code == "loyal":
        return t(
            "Mature, a customer for at least {days} days, and bought in each of the last "
            "{k} periods of {w} days.",
            lang,
            days=settings.loyal_days,
            k=settings.loyal_windows,
            w=settings.window_days,
        )
    if code == "sleeping":
        return tn(
            "No purchase for at least {n} day (can still be woken up).",
            "No purchase for at least {n} days (can still be woken up).",
            settings.sleep_days,
            lang,
        )
    return tn(
        "No purchase for at least {n} day.",
        "No purchase for at least {n} days.",
        settings.lost_days,
        lang,
    )


def _guide(kind: str, code: str, lang: str) -> dict[str, Any]:
    """Playbook entry for a class or tier: who they are, pitfalls, actions."""
    entry = playbook.entry(kind, code, lang)
    return {
        "summary": str(entry.get("who", "")),
        "pitfalls": [str(x) for x in entry.get("pitfalls", ())],
        "actions": [str(x) for x in entry.get("actions", ())],
    }


# --- the sections ----------------------------------------------------------------------


def build_sections(
    frame: pd.DataFrame,
    *,
    kind: str,
    codes: Sequence[str],
    stats: Mapping[str, Stats],
    order: np.ndarray,
    total_revenue: float,
    analysis: Analysis,
    lang: str,
    money: str,
) -> list[dict[str, Any]]:
    """One section per class (``kind="class"``) or tier (``"tier"``) present, in ``codes`` order."""
    column = "rfm_class" if kind == "class" else "tier"
    other = "tier" if kind == "class" else "rfm_class"
    top_n = analysis.settings.top_customers
    tops = _top_by(frame, column, top_n if kind == "class" else min(TIER_TOP, top_n), order)
    out = []
    for code in codes:
        if code not in stats:
            continue
        s = stats[code]
        count = int(s["count"])
        revenue = float(s["revenue"]) if s["orders"] > 0 else math.nan
        aov = revenue / float(s["orders"]) if s["orders"] > 0 else math.nan
        share = revenue / total_revenue if total_revenue > 0 and s["orders"] > 0 else math.nan
        guide = _guide(kind, code, lang)
        definition = (
            _class_definition(code, analysis.thresholds, money, lang)
            if kind == "class"
            else _tier_definition(code, analysis.settings, lang)
        )
        top = tops.get(code, frame.iloc[:0])
        out.append(
            {
                "id": f"{kind}-{code}",
                "code": code,
                "title": code_label(code, kind, lang),
                "definition": definition,
                "summary": guide["summary"],
                "stats": [
                    {"label": t("Customers", lang), "value": fmt_int(count)},
                    {"label": t("Revenue", lang), "value": fmt_money(revenue, money)},
                    {"label": t("Share of revenue", lang), "value": fmt_pct(share)},
                    {"label": t("Average order value", lang), "value": fmt_money(aov, money)},
                    {
                        "label": t("Median days since purchase", lang),
                        "value": days_text(s["median_recency"], lang),
                    },
                    {
                        "label": t("Typical number of orders", lang),
                        "value": fmt_int(s["median_frequency"]),
                    },
                ],
                "pitfalls": guide["pitfalls"],
                "actions": guide["actions"],
                "top": _customer_rows(top, other=other, lang=lang, money=money),
                "top_more": more_text(count, len(top), lang),
                "other_label": t("Tier", lang) if kind == "class" else t("RFM class", lang),
            }
        )
    return out
