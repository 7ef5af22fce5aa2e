"""The vocabulary of the result sheets: sheet, table and column names, number formats.

What every result column is called (per language), how it is formatted and
how wide it starts; the names of xlcrm's own sheets and tables, by which a
rerun recognises what it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- names ----------------------------------------------------------------------

SHEET_NAMES: Final[dict[str, dict[str, str]]] = {
    "dashboard": {"en": "Dashboard", "zh": "仪表盘"},
    "rfm": {"en": "RFM", "zh": "RFM分析"},
    "lifecycle": {"en": "Lifecycle", "zh": "生命周期"},
    "followups": {"en": "Follow-ups", "zh": "跟进计划"},
    "value": {"en": "Value", "zh": "客户价值"},
    "quality": {"en": "Data quality", "zh": "数据质量"},
    "settings": {"en": "Settings", "zh": "设置"},
}
# In the user's own workbook the Settings name is theirs (the reader reads it),
# so ours gets a prefix there.
IN_PLACE_SETTINGS_NAME: Final[dict[str, str]] = {"en": "xlcrm Settings", "zh": "xlcrm设置"}

TABLE_NAMES: Final[dict[str, str]] = {
    "rfm": "xlcrm_rfm",
    "lifecycle": "xlcrm_lifecycle",
    "followups": "xlcrm_followups",
    "value": "xlcrm_value",
    "quality": "xlcrm_quality",
    "cadence": "xlcrm_cadence",
}
AS_OF_NAME: Final = "xlcrm_as_of"
TABLE_PREFIX: Final = "xlcrm_"

OWN_SHEET_NAMES: Final[frozenset[str]] = frozenset(
    [n for names in SHEET_NAMES.values() for n in names.values()]
    + list(IN_PLACE_SETTINGS_NAME.values())
)

NUMBER_FORMATS: Final[dict[str, str]] = {
    "text": "@",
    "int": "#,##0",
    "score": "0",
    "float": "#,##0.0",
    "money": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "bool": "General",
}

# key: (English header, Chinese header, kind, width)
HEADERS: Final[dict[str, tuple[str, str, str, float]]] = {
    "customer_id": ("Customer ID", "客户编号", "text", 14),
    "name": ("Name", "客户名称", "text", 24),
    "owner": ("Owner", "负责人", "text", 12),
    "recency_days": ("Recency", "最近购买间隔(天)", "int", 11),
    "frequency": ("Frequency", "购买次数", "int", 11),
    "monetary": ("Monetary", "消费金额", "money", 14),
    "r_score": ("R score", "R评分", "score", 9),
    "f_score": ("F score", "F评分", "score", 9),
    "m_score": ("M score", "M评分", "score", 9),
    "rfm_class": ("RFM class", "RFM分类", "text", 20),
    "segment": ("Segment", "客户细分", "text", 18),
    "abc_class": ("ABC class", "ABC分类", "text", 10),
    "revenue_share": ("Revenue share", "收入占比", "pct", 13),
    "tier": ("Tier", "生命周期阶段", "text", 12),
    "created": ("First seen", "首次记录", "date", 12),
    "first_purchase": ("First purchase", "首次购买", "date", 14),
    "last_purchase": ("Last purchase", "最近购买", "date", 14),
    "median_gap_days": ("Median gap (days)", "购买间隔中位数(天)", "float", 16),
    "recent_events": ("Recent events", "近期互动", "int", 13),
    "prior_events": ("Prior events", "前期互动", "int", 12),
    "churn_warning": ("Churn warning", "流失预警", "bool", 14),
    "churn_reason": ("Churn reason", "预警原因", "text", 28),
    "grade": ("Grade", "等级", "text", 8),
    "grade_source": ("Grade source", "等级来源", "text", 12),
    "last_contact": ("Last contact", "最近联系", "date", 13),
    "cadence_days": ("Cadence days", "跟进周期(天)", "int", 13),
    "next_followup": ("Next follow-up", "下次跟进", "date", 15),
    "overdue_days": ("Days overdue", "逾期天数", "int", 13),
    "urgency": ("Urgency", "紧急程度", "text", 11),
    "action": ("Recommended action", "建议行动", "text", 60),
    # value model
    "repeat_days": ("Repeat purchase days", "复购天数", "int", 12),
    "span_days": ("Days first to last purchase", "首末购买相隔天数", "int", 14),
    "age_days": ("Days since first purchase", "首次购买至今天数", "int", 14),
    "mean_repeat_spend": ("Mean repeat spend", "复购平均金额", "money", 14),
    "p_alive": ("P(alive)", "存活概率", "pct", 10),
    "expected_purchases": ("Expected purchases", "预期购买次数", "float", 12),
    "repurchase_prob": ("Repurchase chance", "复购概率", "pct", 12),
    "repurchase_band": ("Repurchase band", "复购概率档", "text", 16),
    "expected_aov": ("Expected order value", "预期客单价", "money", 14),
    "expected_value": ("Expected value (12 months)", "预期价值(12个月)", "money", 16),
    # data quality
    "sheet": ("Sheet", "工作表", "text", 14),
    "row": ("Row", "行", "int", 8),
    "column": ("Column", "列", "text", 16),
    "value": ("Value", "值", "text", 22),
    "problem": ("Problem", "问题", "text", 40),
    "effect": ("Effect", "处理", "text", 16),
}

GRADE_SOURCE_LABELS: Final = {
    "given": {"en": "given", "zh": "已填写"},
    "derived": {"en": "derived", "zh": "推算"},
}

TEXT: Final[dict[str, dict[str, str]]] = {
    "as_of": {"en": "Analysis date", "zh": "分析日期"},
    "as_of_note": {
        "en": "Follow-up formulas count from this date. Type =TODAY() here to follow the calendar.",
        "zh": "跟进公式以此日期为准；如需随日历更新，可在此输入 =TODAY()。",
    },
    "meaning": {"en": "Meaning", "zh": "含义"},
    "thresholds": {"en": "Thresholds used", "zh": "分类阈值"},
    "threshold_method": {"en": "Threshold method", "zh": "阈值方法"},
    "recency_cut": {"en": "Recency cut (days)", "zh": "最近购买间隔阈值(天)"},
    "frequency_cut": {"en": "Frequency cut", "zh": "购买次数阈值"},
    "monetary_cut": {"en": "Monetary cut", "zh": "消费金额阈值"},
    "dashboard_title": {"en": "Customer dashboard", "zh": "客户分析仪表盘"},
    "key_figures": {"en": "Key figures", "zh": "关键指标"},
    "customers": {"en": "Customers", "zh": "客户数"},
    "purchasing": {"en": "Purchasing customers", "zh": "有购买客户数"},
    "revenue": {"en": "Revenue", "zh": "收入"},
    "customer_share": {"en": "Share of customers", "zh": "客户占比"},
    "revenue_share": {"en": "Share of revenue", "zh": "收入占比"},
    "top_share": {"en": "Revenue share of top {pct} customers", "zh": "前 {pct} 客户的收入占比"},
    "customers_for_80": {"en": "Customers making 80% of revenue", "zh": "贡献 80% 收入的客户数"},
    "due_now": {"en": "Follow-ups due now (incl. overdue)", "zh": "需立即跟进（含逾期）"},
    "overdue": {"en": "Overdue follow-ups", "zh": "逾期跟进"},
    "churn": {"en": "Churn warnings", "zh": "流失预警"},
    "rfm_class": {"en": "RFM class", "zh": "RFM分类"},
    "segment": {"en": "Segment", "zh": "客户细分"},
    "tier": {"en": "Tier", "zh": "生命周期阶段"},
    "chart_class_sizes": {"en": "Customers by RFM class", "zh": "各RFM分类客户数"},
    "chart_class_revenue": {"en": "Revenue by RFM class", "zh": "各RFM分类收入"},
    "chart_pareto": {"en": "Pareto curve", "zh": "帕累托曲线"},
    "chart_tiers": {"en": "Customers by tier", "zh": "各生命周期阶段客户数"},
    "grade_error": {"en": "Choose a grade A to E.", "zh": "请选择 A 到 E 的等级。"},
    "value_model": {"en": "Value model", "zh": "价值模型"},
    "expected_value": {"en": "Expected value, next 12 months", "zh": "未来 12 个月预期价值"},
    "value_at_risk": {
        "en": "Value at risk (customers with a churn warning)",
        "zh": "风险价值（有流失预警的客户）",
    },
}


def text(key: str, lang: str) -> str:
    """A fixed phrase of the output sheets in ``lang``."""
    return TEXT[key][lang]


def header(key: str, lang: str) -> str:
    """The header of canonical column ``key`` in ``lang``."""
    en, zh, _, _ = HEADERS[key]
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Column:
    """One column of a result table.

    ``formula`` is a template with ``{r}`` for the row number, written without
    the leading ``=``; the frame holds its cached value.
    """

    key: str
    header: str
    kind: str
    width: float
    formula: str | None = None

    @property
    def number_format(self) -> str:
        return NUMBER_FORMATS[self.kind]


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def settings_sheet_name(lang: str, *, in_place: bool) -> str:
    return IN_PLACE_SETTINGS_NAME[lang] if in_place else SHEET_NAMES["settings"][lang]


CADENCE_FIRST_ROW: Final = 5  # grade A on the settings sheet; header on row 4
