"""What the brief shows, as plain values: :func:`build_context`.

:func:`build_context` is pure: it turns an :class:`~xlcrm.core.analysis.Analysis`
into a dict of plain, already sorted and formatted values (strings, lists,
dicts, and chart SVG as :class:`~markupsafe.Markup`). The templates only loop
and branch.

The brief's size follows the number of classes, tiers, owners and the
top-N lists, never the number of customers: every list is capped and says
how many were left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import analysis as core
from xlcrm.core import lifecycle, playbook, schema
from xlcrm.core.errors import XlcrmError
from xlcrm.core.owners import owner_key, owner_keys, owner_spellings
from xlcrm.core.pareto import ParetoSummary, pareto_summary
from xlcrm.locale import N_
from xlcrm.report import charts
from xlcrm.report.format import DASH, fmt_date, fmt_int, fmt_money, fmt_pct
from xlcrm.report.format import is_missing as _missing
from xlcrm.report.value import value_context

__all__ = ["AGENDA_OWNERS", "AGENDA_ROWS", "CHURN_ROWS", "TIER_TOP", "build_context"]

#: Rows in the follow-up agenda over all owners (each owner gets a fair part).
AGENDA_ROWS: Final = 48
#: Owners shown in the agenda and the owner chart; the rest are summed up.
AGENDA_OWNERS: Final = 12
#: Rows in the churn-warning list.
CHURN_ROWS: Final = 25
#: Top customers listed per lifecycle tier (classes list ``settings.top_customers``).
TIER_TOP: Final = 5

# --- words of the brief (labels of codes come from schema) ------------------------

TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "brief": "Customer segment strategy brief",
        "prepared_for": "Prepared for",
        "everyone": "the whole sales team",
        "as_of": "Data as of",
        "key_figures": "Key figures",
        "customers": "Customers",
        "purchasing": "Purchasing customers",
        "revenue": "Revenue",
        "top_share": "Revenue from the top {pct} of buyers",
        "for_80": "{n} customers make 80% of revenue",
        "due_week": "Follow-ups due within {n} days",
        "churn_warnings": "Churn warnings",
        "overview": "Overview",
        "chart_class_sizes": "Customers per RFM class",
        "chart_class_revenue": "Revenue per RFM class",
        "chart_pareto": "Revenue concentration (Pareto)",
        "chart_funnel": "Lifecycle tiers",
        "chart_owners": "Follow-ups due in the next {days} days, by owner",
        "pareto_x": "share of buying customers",
        "pareto_y": "share of revenue",
        "pareto_marker": "top {pct}: {share}",
        "overdue": "overdue",
        "due_7": "due in 0–7 days",
        "due_later": "due in 8–{days} days",
        "classes": "RFM value classes",
        "classes_intro": (
            "Customers with at least one purchase fall into eight classes by whether "
            "they bought recently (R), often (F) and for much (M), each compared with "
            "the cut point below."
        ),
        "tiers": "Lifecycle tiers",
        "tiers_intro": (
            "Every customer, buyer or prospect, is in exactly one tier. Sleeping and "
            "lost come before the tiers counted by purchases."
        ),
        "who": "Who they are",
        "pitfalls": "What typically goes wrong",
        "actions": "Recommended actions",
        "top_customers": "Top customers",
        "count": "Customers",
        "revenue_share": "Share of revenue",
        "aov": "Average order value",
        "median_recency": "Median days since purchase",
        "typical_frequency": "Typical number of orders",
        "days": "{n} days",
        "customer": "Customer",
        "id": "ID",
        "owner": "Owner",
        "orders": "Orders",
        "last_purchase": "Last purchase",
        "recency": "Days since",
        "class": "RFM class",
        "tier": "Tier",
        "grade": "Grade",
        "due": "Due",
        "status": "Status",
        "last_contact": "Last contact",
        "action": "Next step",
        "agenda": "Follow-up agenda: next {days} days",
        "agenda_intro": (
            "{n} follow-ups are overdue or due by {date}; within each urgency, "
            "grade A (closest to closing) comes first."
        ),
        "agenda_empty": "No follow-ups are due in the next {days} days.",
        "overdue_by": "{n} d overdue",
        "due_today": "today",
        "due_in": "in {n} d",
        "more": "… and {n} more",
        "more_owners": "… and {n} more follow-ups for {k} other owners",
        "churn": "Churn warnings",
        "churn_intro": (
            "{n} customers who are not yet sleeping or lost show warning signs, "
            "largest spenders first."
        ),
        "churn_empty": "No customer shows a churn warning.",
        "median_gap": "Usual gap",
        "reason": "Why",
        "no_owner": "(no owner)",
        "cut_r": "R high: last purchase fewer than {n} days ago",
        "cut_f": "F high: more than {n} purchases",
        "cut_m": "M high: more than {n} spent",
        "r_high": "bought in the last {n} days",
        "r_low": "no purchase for {n} days or more",
        "f_high": "more than {n} orders",
        "f_low": "{n} orders or fewer",
        "m_high": "spent more than {n}",
        "m_low": "spent {n} or less",
        "joiner": ", ",
        "stop": ".",
        "def_potential": "In the customer list, no purchase yet.",
        "def_new": "Exactly one purchase.",
        "def_repeat": "2 to {n} purchases.",
        "def_mature": "At least {n} purchases.",
        "def_loyal": (
            "Mature, a customer for at least {days} days, and bought in each of the "
            "last {k} periods of {w} days."
        ),
        "def_sleeping": "No purchase for at least {n} days (can still be woken up).",
        "def_lost": "No purchase for at least {n} days.",
        "footer_as_of": "as of {date}",
        "contents": "Contents",
        "at_a_glance": "At a glance",
    },
    "zh": {
        "brief": "客户分层策略简报",
        "prepared_for": "适用对象",
        "everyone": "全体销售人员",
        "as_of": "数据截至",
        "key_figures": "关键指标",
        "customers": "客户总数",
        "purchasing": "有购买的客户",
        "revenue": "销售额",
        "top_share": "前 {pct} 购买客户贡献的销售额",
        "for_80": "{n} 位客户贡献了 80% 的销售额",
        "due_week": "{n} 天内需跟进",
        "churn_warnings": "流失预警",
        "overview": "总览",
        "chart_class_sizes": "各 RFM 类别客户数",
        "chart_class_revenue": "各 RFM 类别销售额",
        "chart_pareto": "销售额集中度（帕累托）",
        "chart_funnel": "生命周期分层",
        "chart_owners": "未来 {days} 天内需跟进（按负责人）",
        "pareto_x": "购买客户占比",
        "pareto_y": "销售额占比",
        "pareto_marker": "前 {pct}：{share}",
        "overdue": "已逾期",
        "due_7": "0–7 天内到期",
        "due_later": "8–{days} 天内到期",
        "classes": "RFM 价值分类",
        "classes_intro": (
            "有购买记录的客户按最近购买（R）、购买频次（F）和消费金额（M）"
            "与下列分界值比较的高低，分为八类。"
        ),
        "tiers": "生命周期分层",
        "tiers_intro": (
            "每位客户（含潜在客户）都只属于一个层级；沉睡和流失优先于按购买次数划分的层级。"
        ),
        "who": "客户画像",
        "pitfalls": "常见问题",
        "actions": "建议行动",
        "top_customers": "重点客户",
        "count": "客户数",
        "revenue_share": "销售额占比",
        "aov": "平均客单价",
        "median_recency": "距上次购买天数（中位数）",
        "typical_frequency": "典型购买次数",
        "days": "{n} 天",
        "customer": "客户",
        "id": "编号",
        "owner": "负责人",
        "orders": "订单数",
        "last_purchase": "最近购买",
        "recency": "距今天数",
        "class": "RFM 类别",
        "tier": "层级",
        "grade": "等级",
        "due": "跟进日期",
        "status": "状态",
        "last_contact": "上次联系",
        "action": "下一步",
        "agenda": "跟进日程：未来 {days} 天",
        "agenda_intro": (
            "共 {n} 项跟进已逾期或将于 {date} 前到期；同一紧急程度内，A 类（最接近成交）优先。"
        ),
        "agenda_empty": "未来 {days} 天内没有需要跟进的客户。",
        "overdue_by": "逾期 {n} 天",
        "due_today": "今天",
        "due_in": "{n} 天后",
        "more": "…… 另有 {n} 项",
        "more_owners": "…… 其他 {k} 位负责人另有 {n} 项跟进",
        "churn": "流失预警",
        "churn_intro": "{n} 位尚未沉睡或流失的客户出现流失迹象，按消费金额从高到低排列。",
        "churn_empty": "目前没有客户出现流失预警。",
        "median_gap": "通常间隔",
        "reason": "原因",
        "no_owner": "（无负责人）",
        "cut_r": "R 高：最近一次购买距今少于 {n} 天",
        "cut_f": "F 高：购买次数多于 {n} 次",
        "cut_m": "M 高：消费金额高于 {n}",
        "r_high": "{n} 天内有购买",
        "r_low": "{n} 天以上未购买",
        "f_high": "购买多于 {n} 次",
        "f_low": "购买不超过 {n} 次",
        "m_high": "消费高于 {n}",
        "m_low": "消费不超过 {n}",
        "joiner": "，",
        "stop": "。",
        "def_potential": "在客户名单中，但尚未购买。",
        "def_new": "只购买过一次。",
        "def_repeat": "购买 2 至 {n} 次。",
        "def_mature": "购买至少 {n} 次。",
        "def_loyal": "成熟客户，成为客户至少 {days} 天，且最近 {k} 个 {w} 天周期内每期都有购买。",
        "def_sleeping": "至少 {n} 天没有购买（仍可唤醒）。",
        "def_lost": "至少 {n} 天没有购买。",
        "footer_as_of": "数据截至 {date}",
        "contents": "目录",
        "at_a_glance": "一览",
    },
}

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

_CLASS_COLOURS: Final = {
    "important_value": charts.ACCENT,
    "important_retain": charts.ACCENT,
    "important_develop": charts.ACCENT,
    "important_winback": charts.WARN,
    "general_value": charts.ACCENT_2,
    "general_retain": charts.ACCENT_2,
    "general_develop": charts.ACCENT_2,
    "general_winback": charts.AMBER,
}

_TIER_COLOURS: Final = {
    "potential": charts.GREY,
    "new": charts.ACCENT_2,
    "repeat": charts.ACCENT_2,
    "mature": charts.ACCENT,
    "loyal": charts.ACCENT,
    "sleeping": charts.AMBER,
    "lost": charts.WARN,
}

# --- playbook and churn words (core) --------------------------------------------


def _guide(kind: str, code: str, lang: str) -> dict[str, Any]:
    """Playbook entry for a class or tier: who they are, pitfalls, actions."""
    entry = playbook.entry(kind, code, lang)
    return {
        "summary": str(entry.get("who", "")),
        "pitfalls": [str(x) for x in entry.get("pitfalls", ())],
        "actions": [str(x) for x in entry.get("actions", ())],
    }


def _action_texts(keys: pd.Series, lang: str) -> list[str]:
    """Recommended action per row (a handful of distinct keys, looked up once each)."""
    texts = {key: playbook.action_text(key, lang) for key in keys.dropna().unique()}
    return [DASH if _missing(key) else texts[key] for key in keys]


def _churn_texts(frame: pd.DataFrame, lang: str, settings: Any) -> list[str]:
    words = lifecycle.describe_churn(frame, lang, settings=settings)
    return [DASH if _missing(w) else str(w) for w in words]


# --- context ----------------------------------------------------------------------


def _words(lang: str) -> dict[str, str]:
    if lang not in TEXT:
        raise XlcrmError(f"language must be one of {', '.join(TEXT)}, not {lang!r}")
    return TEXT[lang]


def _scope(customers: pd.DataFrame, owner: str | None) -> tuple[pd.DataFrame, str | None]:
    """Rows of ``owner`` (matched by :func:`~xlcrm.core.owners.owner_key`) or all rows.

    Returns the rows and the owner's name as first written on the Customers sheet.
    """
    if owner is None:
        return customers, None
    keys = owner_keys(customers["owner"])
    names = owner_spellings(customers["owner"])
    wanted = owner_key(owner)
    if wanted not in names:
        if not names:
            raise XlcrmError(
                N_("unknown owner {owner!r}: no customer has an owner"), args={"owner": owner}
            )
        found = ", ".join(sorted(names.values(), key=str.casefold))
        raise XlcrmError(
            N_("unknown owner {owner!r}; owners found: {owners}"),
            args={"owner": owner, "owners": found},
        )
    mask = (keys == wanted).fillna(False).to_numpy(dtype=bool)
    return customers.loc[mask], names[wanted]


def _floats(series: pd.Series, missing: float = np.nan) -> np.ndarray:
    return series.to_numpy(dtype="float64", na_value=missing)


def _spend_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions, biggest spenders first, then more orders, then frame order (id)."""
    money = _floats(frame["monetary"], -np.inf)
    freq = _floats(frame["frequency"], 0.0)
    return np.lexsort((np.arange(len(frame)), -freq, -money))


def _group_stats(frame: pd.DataFrame, column: str) -> dict[str, dict[str, float]]:
    """Per code: count, revenue, orders, median recency and frequency of buyers.

    Integer codes and ``bincount`` rather than a groupby on text: this runs
    over every customer and must stay cheap at 100,000 of them.
    """
    codes, uniques = pd.factorize(frame[column])
    k = len(uniques)
    valid = codes >= 0
    money = np.nan_to_num(_floats(frame["monetary"]))
    freq = _floats(frame["frequency"], 0.0)
    count = np.bincount(codes[valid], minlength=k)
    revenue = np.bincount(codes[valid], weights=money[valid], minlength=k)
    orders = np.bincount(codes[valid], weights=freq[valid], minlength=k)
    buyers = valid & (freq > 0)
    medians = (
        pd.DataFrame(
            {
                "code": codes[buyers],
                "recency": _floats(frame["recency_days"])[buyers],
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
    """The first ``n`` rows of ``order`` (see :func:`_spend_order`) per code, as small frames."""
    codes, uniques = pd.factorize(frame[column])
    ranked = codes[order]
    return {str(code): frame.iloc[order[ranked == i][:n]] for i, code in enumerate(uniques)}


def _name(row: Mapping[Any, Any]) -> str:
    name = row.get("name")
    return str(row["customer_id"]) if _missing(name) or not str(name).strip() else str(name)


def _owner(row: Mapping[Any, Any]) -> str:
    owner = row.get("owner")
    return DASH if _missing(owner) else " ".join(str(owner).split())


def _label(code: object, kind: str, lang: str) -> str:
    if _missing(code):
        return DASH
    return schema.tier_label(str(code), lang) if kind == "tier" else schema.label(str(code), lang)


def _customer_rows(part: pd.DataFrame, *, other: str, lang: str, money: str) -> list[dict]:
    rows = []
    for rec in part.to_dict("records"):
        rows.append(
            {
                "name": _name(rec),
                "id": str(rec["customer_id"]),
                "owner": _owner(rec),
                "revenue": fmt_money(rec["monetary"], money),
                "orders": fmt_int(rec["frequency"]),
                "recency": fmt_int(rec["recency_days"]),
                "other": _label(rec[other], "tier" if other == "tier" else "class", lang),
            }
        )
    return rows


def _more(total: int, shown: int, words: Mapping[str, str]) -> str:
    return words["more"].format(n=fmt_int(total - shown)) if total > shown else ""


def _cut_texts(thresholds: Mapping[str, Any], money: str) -> dict[str, str]:
    freq = f"{float(thresholds['frequency']):,.1f}".removesuffix(".0")
    return {
        "r": fmt_int(thresholds["recency_days"]),
        "f": freq,
        "m": fmt_money(thresholds["monetary"], money),
    }


def _class_definition(code: str, cuts: Mapping[str, str], words: Mapping[str, str]) -> str:
    r, f, m = _CLASS_PATTERN[code]
    parts = (
        words["r_high" if r else "r_low"].format(n=cuts["r"]),
        words["f_high" if f else "f_low"].format(n=cuts["f"]),
        words["m_high" if m else "m_low"].format(n=cuts["m"]),
    )
    text = words["joiner"].join(parts) + words["stop"]
    return text[:1].upper() + text[1:]


def _tier_definition(code: str, settings: Any, words: Mapping[str, str]) -> str:
    return {
        "potential": words["def_potential"],
        "new": words["def_new"],
        "repeat": words["def_repeat"].format(n=settings.mature_orders - 1),
        "mature": words["def_mature"].format(n=settings.mature_orders),
        "loyal": words["def_loyal"].format(
            days=settings.loyal_days, k=settings.loyal_windows, w=settings.window_days
        ),
        "sleeping": words["def_sleeping"].format(n=settings.sleep_days),
        "lost": words["def_lost"].format(n=settings.lost_days),
    }[code]


def _sections(
    frame: pd.DataFrame,
    *,
    kind: str,
    codes: Sequence[str],
    stats: Mapping[str, Mapping[str, float]],
    order: np.ndarray,
    total_revenue: float,
    analysis: Any,
    lang: str,
    money: str,
) -> list[dict[str, Any]]:
    words = TEXT[lang]
    column = "rfm_class" if kind == "class" else "tier"
    other = "tier" if kind == "class" else "rfm_class"
    n_top = (
        analysis.settings.top_customers
        if kind == "class"
        else min(TIER_TOP, analysis.settings.top_customers)
    )
    tops = _top_by(frame, column, n_top, order)
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
            _class_definition(code, _cut_texts(analysis.thresholds, money), words)
            if kind == "class"
            else _tier_definition(code, analysis.settings, words)
        )
        recency = s["median_recency"]
        top = tops.get(code, frame.iloc[:0])
        out.append(
            {
                "id": f"{kind}-{code}",
                "code": code,
                "title": _label(code, kind, lang),
                "definition": definition,
                "summary": guide["summary"],
                "stats": [
                    {"label": words["count"], "value": fmt_int(count)},
                    {"label": words["revenue"], "value": fmt_money(revenue, money)},
                    {"label": words["revenue_share"], "value": fmt_pct(share)},
                    {"label": words["aov"], "value": fmt_money(aov, money)},
                    {
                        "label": words["median_recency"],
                        "value": DASH
                        if _missing(recency)
                        else words["days"].format(n=fmt_int(recency)),
                    },
                    {"label": words["typical_frequency"], "value": fmt_int(s["median_frequency"])},
                ],
                "pitfalls": guide["pitfalls"],
                "actions": guide["actions"],
                "top": _customer_rows(top, other=other, lang=lang, money=money),
                "top_more": _more(count, len(top), words),
                "other_label": words["tier"] if kind == "class" else words["class"],
            }
        )
    return out


def _status(days_until_due: int, words: Mapping[str, str]) -> str:
    if days_until_due < 0:
        return words["overdue_by"].format(n=fmt_int(-days_until_due))
    if days_until_due == 0:
        return words["due_today"]
    return words["due_in"].format(n=fmt_int(days_until_due))


class _Due:
    """Customers due within the agenda window, with integer owner codes.

    Owners are told apart by :func:`~xlcrm.core.owners.owner_key`: two
    spellings of one name are one owner, shown as first written.
    """

    def __init__(self, frame: pd.DataFrame, days: int, no_owner: str) -> None:
        self.frame = frame.loc[frame["days_until_due"].to_numpy() <= days]
        codes, keys = pd.factorize(owner_keys(self.frame["owner"]))
        spelled = owner_spellings(self.frame["owner"])
        self.names = [spelled[str(k)] for k in keys] + [no_owner]
        self.owner = np.where(codes < 0, len(keys), codes)
        self.counts = np.bincount(self.owner, minlength=len(self.names))
        busiest = np.argsort(-self.counts, kind="stable")[:AGENDA_OWNERS]
        #: owners shown, busiest first (at most AGENDA_OWNERS, each with something due)
        self.shown = [int(i) for i in busiest if self.counts[i] > 0]


def _priority(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Within an urgency and grade: the higher expected value first when the value
    model gave one, else the nearer due date, then the bigger spender."""
    days = frame["days_until_due"].to_numpy(dtype="int64")
    rows = np.arange(len(frame))
    if "expected_value" in frame and frame["expected_value"].notna().any():
        return rows, days, -_floats(frame["expected_value"], -np.inf)
    return rows, -_floats(frame["monetary"], -np.inf), days


def _agenda(due: _Due, *, days: int, lang: str, as_of: pd.Timestamp) -> dict[str, Any]:
    words = TEXT[lang]
    frame = due.frame
    no_owner = len(due.names) - 1
    shown = sorted(due.shown, key=lambda i: (i == no_owner, due.names[i].casefold()))
    per_owner = max(8, AGENDA_ROWS // max(len(shown), 1))
    groups = []
    if len(frame):
        urgency = pd.Categorical(frame["urgency"], categories=schema.URGENCIES).codes
        grade = pd.Categorical(frame["grade"], categories=schema.GRADES).codes
        order = np.lexsort(
            (
                *_priority(frame),
                np.where(grade < 0, len(schema.GRADES), grade),
                np.where(urgency < 0, len(schema.URGENCIES), urgency),
                due.owner,
            )
        )
        ranked = due.owner[order]
        picks = {i: order[ranked == i][:per_owner] for i in shown}
        chosen = frame.iloc[np.concatenate([picks[i] for i in shown])] if shown else frame
        actions = iter(_action_texts(chosen["action_key"], lang))
        records = iter(chosen.to_dict("records"))
        for i in shown:
            urgencies: list[dict[str, Any]] = []
            for _ in range(len(picks[i])):
                rec, action = next(records), next(actions)
                code = str(rec["urgency"])
                if not urgencies or urgencies[-1]["code"] != code:
                    urgencies.append({"code": code, "label": schema.label(code, lang), "rows": []})
                urgencies[-1]["rows"].append(
                    {
                        "due": fmt_date(rec["next_followup"]),
                        "status": _status(int(rec["days_until_due"]), words),
                        "overdue": bool(rec["days_until_due"] < 0),
                        "name": _name(rec),
                        "id": str(rec["customer_id"]),
                        "grade": str(rec["grade"]),
                        "segment": _label(rec["rfm_class"], "class", lang)
                        if not _missing(rec["rfm_class"])
                        else _label(rec["tier"], "tier", lang),
                        "last_contact": fmt_date(rec["last_contact"]),
                        "action": action,
                    }
                )
            total = int(due.counts[i])
            groups.append(
                {
                    "owner": due.names[i],
                    "count": fmt_int(total),
                    "urgencies": urgencies,
                    "more": _more(total, len(picks[i]), words),
                }
            )
    hidden = [int(c) for i, c in enumerate(due.counts) if c > 0 and i not in shown]
    until = as_of + pd.Timedelta(days=days)
    return {
        "title": words["agenda"].format(days=days),
        "intro": words["agenda_intro"].format(
            n=fmt_int(len(frame)), date=fmt_date(until, lang, True)
        )
        if len(frame)
        else words["agenda_empty"].format(days=days),
        "groups": groups,
        "more_owners": words["more_owners"].format(n=fmt_int(sum(hidden)), k=fmt_int(len(hidden)))
        if hidden
        else "",
    }


def _churn(frame: pd.DataFrame, *, lang: str, money: str, settings: Any) -> dict[str, Any]:
    words = TEXT[lang]
    flagged = frame.loc[frame["churn_warning"].fillna(False).to_numpy(dtype=bool)]
    top = flagged.iloc[_spend_order(flagged)[:CHURN_ROWS]]
    reasons = _churn_texts(top, lang, settings) if len(top) else []
    rows = []
    for rec, reason in zip(top.to_dict("records"), reasons, strict=True):
        gap = rec["median_gap_days"]
        rows.append(
            {
                "name": _name(rec),
                "id": str(rec["customer_id"]),
                "owner": _owner(rec),
                "tier": _label(rec["tier"], "tier", lang),
                "revenue": fmt_money(rec["monetary"], money),
                "last_purchase": fmt_date(rec["last_purchase"]),
                "recency": fmt_int(rec["recency_days"]),
                "median_gap": DASH if _missing(gap) else words["days"].format(n=fmt_int(gap)),
                "reason": reason,
            }
        )
    return {
        "intro": words["churn_intro"].format(n=fmt_int(len(flagged)))
        if len(flagged)
        else words["churn_empty"],
        "rows": rows,
        "more": _more(len(flagged), len(rows), words),
    }


def _charts(
    *,
    class_stats: Mapping[str, Mapping[str, float]],
    tier_stats: Mapping[str, Mapping[str, float]],
    due: _Due,
    pareto: ParetoSummary,
    top_share: float,
    days: int,
    lang: str,
    money: str,
) -> list[dict[str, Any]]:
    words = TEXT[lang]
    tier_counts = {code: stats["count"] for code, stats in tier_stats.items()}
    present = [c for c in schema.RFM_CLASSES if c in class_stats]
    sizes = [
        charts.Bar(
            schema.label(c, lang),
            float(class_stats[c]["count"]),
            fmt_int(class_stats[c]["count"]),
            _CLASS_COLOURS[c],
        )
        for c in present
    ]
    revenue = [
        charts.Bar(
            schema.label(c, lang),
            max(float(class_stats[c]["revenue"]), 0.0),
            fmt_money(class_stats[c]["revenue"], money),
            _CLASS_COLOURS[c],
        )
        for c in present
    ]
    stages = [
        charts.Bar(
            schema.tier_label(c, lang),
            float(tier_counts.get(c, 0)),
            fmt_int(tier_counts.get(c, 0)),
            _TIER_COLOURS[c],
        )
        for c in schema.TIERS
    ]
    left = due.frame["days_until_due"].to_numpy()
    band = np.select([left < 0, left <= 7], [0, 1], default=2)
    table = np.bincount(due.owner * 3 + band, minlength=3 * len(due.names)).reshape(-1, 3)
    owner_rows = [
        (due.names[i], [float(v) for v in table[i]], fmt_int(table[i].sum())) for i in due.shown
    ]
    series = [
        charts.Series(words["overdue"], charts.WARN),
        charts.Series(words["due_7"], charts.AMBER),
        charts.Series(words["due_later"].format(days=days), charts.ACCENT_2),
    ]
    pct = fmt_pct(top_share, 0)
    marker = None if _missing(pareto.top_share) else (top_share, pareto.top_share)
    curve = pareto.curve
    points = list(
        zip(curve["customer_share"].tolist(), curve["revenue_share"].tolist(), strict=True)
    )
    return [
        {
            "title": words["chart_class_sizes"],
            "svg": charts.bar_chart(sizes, title=words["chart_class_sizes"]),
            "wide": False,
        },
        {
            "title": words["chart_class_revenue"],
            "svg": charts.bar_chart(revenue, title=words["chart_class_revenue"]),
            "wide": False,
        },
        {
            "title": words["chart_pareto"],
            "svg": charts.pareto_chart(
                points,
                title=words["chart_pareto"],
                x_label=words["pareto_x"],
                y_label=words["pareto_y"],
                marker=marker,
                marker_label=words["pareto_marker"].format(
                    pct=pct, share=fmt_pct(pareto.top_share)
                ),
            ),
            "wide": False,
        },
        {
            "title": words["chart_funnel"],
            "svg": charts.funnel_chart(stages, title=words["chart_funnel"]),
            "wide": False,
        },
        {
            "title": words["chart_owners"].format(days=days),
            "svg": charts.stacked_bar_chart(
                owner_rows, series, title=words["chart_owners"].format(days=days)
            ),
            "wide": True,
        },
    ]


def build_context(
    analysis: Any, *, lang: str, owner: str | None = None, company: str | None = None
) -> dict[str, Any]:
    """Everything the brief shows, as plain sorted and formatted values.

    Parameters
    ----------
    analysis
        The result of :func:`xlcrm.core.analysis.analyze`.
    lang
        ``"en"`` or ``"zh"``.
    owner
        Only this sales owner's customers (matched ignoring case). An unknown
        owner raises :class:`~xlcrm.core.errors.XlcrmError` listing the owners found.
    company
        Company name for the cover; default ``analysis.settings.company``.

    Returns
    -------
    dict
        Keys ``lang``, ``t`` (words), ``meta``, ``company``, ``as_of``,
        ``audience``, ``figures``, ``cuts``, ``charts``, ``class_sections``,
        ``tier_sections``, ``agenda``, ``churn``. Never mutates ``analysis``.
    """
    words = _words(lang)
    settings = analysis.settings
    money = settings.currency
    company = company if company is not None else settings.company
    as_of = pd.Timestamp(analysis.as_of)
    frame, owner_name = _scope(analysis.customers, owner)
    pareto = pareto_summary(frame["monetary"], settings=settings)
    total_revenue = pareto.revenue
    days = settings.agenda_days
    figures = core.summary(analysis, owner=owner_name)
    pct = fmt_pct(settings.pareto_top_share, 0)
    cuts = _cut_texts(analysis.thresholds, money)
    audience = owner_name if owner_name is not None else words["everyone"]
    title = f"{words['brief']} · {company}" + (f" · {owner_name}" if owner_name else "")
    class_stats = _group_stats(frame, "rfm_class")
    tier_stats = _group_stats(frame, "tier")
    order = _spend_order(frame)
    due = _Due(frame, days, words["no_owner"])
    class_sections = _sections(
        frame,
        kind="class",
        codes=schema.RFM_CLASSES,
        stats=class_stats,
        order=order,
        total_revenue=total_revenue,
        analysis=analysis,
        lang=lang,
        money=money,
    )
    tier_sections = _sections(
        frame,
        kind="tier",
        codes=schema.TIERS,
        stats=tier_stats,
        order=order,
        total_revenue=total_revenue,
        analysis=analysis,
        lang=lang,
        money=money,
    )
    agenda = _agenda(due, days=days, lang=lang, as_of=as_of)
    value = value_context(analysis, frame, lang=lang, money=money)
    contents = [
        {"href": "#overview", "title": words["overview"], "sub": False},
        {"href": "#classes", "title": words["classes"], "sub": False},
        *({"href": f"#{s['id']}", "title": s["title"], "sub": True} for s in class_sections),
        {"href": "#tiers", "title": words["tiers"], "sub": False},
        *({"href": f"#{s['id']}", "title": s["title"], "sub": True} for s in tier_sections),
        {"href": "#agenda", "title": agenda["title"], "sub": False},
        {"href": "#churn", "title": words["churn"], "sub": False},
        *(
            [
                {"href": "#value", "title": value["title"], "sub": False},
                {"href": "#value-model", "title": value["appendix_title"], "sub": False},
            ]
            if value
            else []
        ),
    ]
    return {
        "lang": lang,
        "t": dict(words),
        "contents": contents,
        "meta": {
            "title": title,
            "author": str(company),
            "created": as_of.strftime("%Y-%m-%d"),
            "description": words["brief"],
        },
        "company": str(company),
        "brief": words["brief"],
        "as_of": fmt_date(as_of, lang, long=True),
        "footer": words["footer_as_of"].format(date=fmt_date(as_of)),
        "audience": audience,
        "figures": [
            {"label": words["customers"], "value": fmt_int(figures["customers"]), "note": ""},
            {
                "label": words["purchasing"],
                "value": fmt_int(figures["purchasing_customers"]),
                "note": "",
            },
            {"label": words["revenue"], "value": fmt_money(figures["revenue"], money), "note": ""},
            {
                "label": words["top_share"].format(pct=pct),
                "value": fmt_pct(figures["top_share"]),
                "note": words["for_80"].format(n=fmt_int(figures["customers_for_80"]))
                if figures["customers_for_80"]
                else "",
            },
            {
                "label": words["due_week"].format(n=settings.urgent_days),
                "value": fmt_int(figures["needs_followup"]),
                "note": "",
            },
            {
                "label": words["churn_warnings"],
                "value": fmt_int(figures["churn_warnings"]),
                "note": "",
            },
        ],
        "cuts": [
            words["cut_r"].format(n=cuts["r"]),
            words["cut_f"].format(n=cuts["f"]),
            words["cut_m"].format(n=cuts["m"]),
        ],
        "charts": _charts(
            class_stats=class_stats,
            tier_stats=tier_stats,
            due=due,
            pareto=pareto,
            top_share=settings.pareto_top_share,
            days=days,
            lang=lang,
            money=money,
        ),
        "class_sections": class_sections,
        "tier_sections": tier_sections,
        "agenda": agenda,
        "churn": _churn(frame, lang=lang, money=money, settings=settings),
        "value": value,
    }
