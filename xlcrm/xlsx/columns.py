"""The vocabulary of the result sheets: sheet, table and column names, number formats.

What every result column is called (per language), how it is formatted and
how wide it starts; the names of xlcrm's own sheets and tables, by which a
rerun recognises what it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from xlcrm.locale import LANGS, tp

# --- names ----------------------------------------------------------------------


def _sheet_names(lang: str) -> dict[str, str]:
    return {
        "dashboard": tp("sheet", "Dashboard", lang),
        "rfm": tp("sheet", "RFM", lang),
        "lifecycle": tp("sheet", "Lifecycle", lang),
        "followups": tp("sheet", "Follow-ups", lang),
        "callplan": tp("sheet", "Call plan", lang),
        "value": tp("sheet", "Value", lang),
        "quality": tp("sheet", "Data quality", lang),
        "settings": tp("sheet", "Settings", lang),
        "funnel": tp("sheet", "Funnel", lang),
        "changes": tp("sheet", "Changes", lang),
    }


#: Key -> {lang: sheet name} of the result sheets, from the message catalogue.
SHEET_NAMES: Final[dict[str, dict[str, str]]] = {
    key: {lang: _sheet_names(lang)[key] for lang in LANGS} for key in _sheet_names("en")
}
# In the user's own workbook the Settings name is theirs (the reader reads it),
# so ours gets a prefix there.
IN_PLACE_SETTINGS_NAME: Final[dict[str, str]] = {
    lang: tp("sheet", "xlcrm Settings", lang) for lang in LANGS
}
#: The hidden sheet the Dashboard's charts read.
CHART_DATA_NAMES: Final[dict[str, str]] = {
    lang: tp("sheet", "xlcrm chart data", lang) for lang in LANGS
}

TABLE_NAMES: Final[dict[str, str]] = {
    "rfm": "xlcrm_rfm",
    "lifecycle": "xlcrm_lifecycle",
    "followups": "xlcrm_followups",
    "callplan": "xlcrm_callplan",
    "value": "xlcrm_value",
    "quality": "xlcrm_quality",
    "cadence": "xlcrm_cadence",
    "funnel": "xlcrm_funnel",
    "changes": "xlcrm_changes",
}
AS_OF_NAME: Final = "xlcrm_as_of"
TABLE_PREFIX: Final = "xlcrm_"

#: The names of xlcrm's result sheets (not its Settings sheet), in every language.
RESULT_SHEET_NAMES: Final[frozenset[str]] = frozenset(
    name for key, names in SHEET_NAMES.items() if key != "settings" for name in names.values()
)

OWN_SHEET_NAMES: Final[frozenset[str]] = frozenset(
    [n for names in SHEET_NAMES.values() for n in names.values()]
    + list(IN_PLACE_SETTINGS_NAME.values())
    + list(CHART_DATA_NAMES.values())
)

#: The one table of Excel number formats, by kind of value (the writer, the
#: add-in's sheets and the dashboard charts use it).
NUMBER_FORMATS: Final[dict[str, str]] = {
    "text": "@",
    "int": "#,##0",
    "score": "0",
    "float": "#,##0.0",
    "money": "#,##0.00",
    "pct": "0.0%",
    "pct_axis": "0%",
    "date": "yyyy-mm-dd",
}

#: Column key -> (kind of value, starting width).
COLUMN_KINDS: Final[dict[str, tuple[str, float]]] = {
    "customer_id": ("text", 14),
    "name": ("text", 24),
    "owner": ("text", 12),
    "recency_days": ("int", 11),
    "frequency": ("int", 11),
    "monetary": ("money", 14),
    "r_score": ("score", 9),
    "f_score": ("score", 9),
    "m_score": ("score", 9),
    "rfm_class": ("text", 20),
    "segment": ("text", 18),
    "abc_class": ("text", 10),
    "revenue_share": ("pct", 13),
    "tier": ("text", 12),
    "created": ("date", 12),
    "first_purchase": ("date", 14),
    "last_purchase": ("date", 14),
    "median_gap_days": ("float", 16),
    "recent_events": ("int", 13),
    "prior_events": ("int", 12),
    "churn_warning": ("text", 14),
    "churn_reason": ("text", 28),
    "grade": ("text", 8),
    "grade_source": ("text", 12),
    "last_contact": ("date", 13),
    "cadence_days": ("int", 13),
    "next_followup": ("date", 15),
    "overdue_days": ("int", 13),
    "urgency": ("text", 11),
    "action": ("text", 60),
    "contact_source": ("text", 14),
    "attention": ("text", 34),
    # what xlcrm wrote, hidden: a typed grade or contact date is told from it
    "grade_written": ("text", 8),
    "cadence_written": ("int", 8),
    "contact_written": ("date", 8),
    "next_written": ("date", 8),
    # call plan
    "date": ("date", 12),
    "priority": ("int", 5),
    "why": ("text", 36),
    "worth": ("money", 13),
    "done": ("date", 12),
    "note": ("text", 30),
    # value model
    "repeat_days": ("int", 12),
    "span_days": ("int", 14),
    "age_days": ("int", 14),
    "mean_repeat_spend": ("money", 14),
    "p_alive": ("pct", 10),
    "expected_purchases": ("float", 12),
    "repurchase_prob": ("pct", 12),
    "repurchase_band": ("text", 16),
    "expected_aov": ("money", 14),
    "expected_value": ("money", 16),
    "expected_margin": ("money", 16),
    # data quality
    "sheet": ("text", 14),
    "row": ("int", 8),
    "column": ("text", 16),
    "value": ("text", 22),
    "problem": ("text", 40),
    "effect": ("text", 16),
    # funnel, loyalty, referrals, relationship levels, long tail, changes
    "margin": ("money", 14),
    "relationship": ("text", 14),
    "long_tail": ("text", 10),
    "loyalty": ("text", 24),
    "satisfaction": ("float", 12),
    "repurchase_level": ("text", 12),
    "recommend_level": ("text", 12),
    "dissatisfied_loyal": ("text", 14),
    "referred_by": ("text", 14),
    "referrals": ("int", 10),
    "referred_revenue": ("money", 14),
    "open_complaint": ("text", 14),
    "open_deals": ("int", 10),
    "stuck_deal": ("text", 12),
    "stage": ("text", 14),
    "phase": ("text", 10),
    "reached": ("int", 10),
    "amount": ("money", 14),
    "conversion": ("pct", 12),
    "open": ("int", 9),
    "lost": ("int", 9),
    "median_days": ("float", 12),
    "class_before": ("text", 20),
    "tier_before": ("text", 12),
    "new_warning": ("text", 12),
    "became_lost": ("text", 12),
}


@cache
def _headers(lang: str) -> dict[str, str]:
    return {
        "customer_id": tp("column", "Customer ID", lang),
        "name": tp("column", "Name", lang),
        "owner": tp("column", "Owner", lang),
        "recency_days": tp("column", "Recency", lang),
        "frequency": tp("column", "Frequency", lang),
        "monetary": tp("column", "Monetary", lang),
        "r_score": tp("column", "R score", lang),
        "f_score": tp("column", "F score", lang),
        "m_score": tp("column", "M score", lang),
        "rfm_class": tp("column", "RFM class", lang),
        "segment": tp("column", "Segment", lang),
        "abc_class": tp("column", "ABC class", lang),
        "revenue_share": tp("column", "Revenue share", lang),
        "tier": tp("column", "Tier", lang),
        "created": tp("column", "First seen", lang),
        "first_purchase": tp("column", "First purchase", lang),
        "last_purchase": tp("column", "Last purchase", lang),
        "median_gap_days": tp("column", "Median gap (days)", lang),
        "recent_events": tp("column", "Recent events", lang),
        "prior_events": tp("column", "Prior events", lang),
        "churn_warning": tp("column", "Churn warning", lang),
        "churn_reason": tp("column", "Churn reason", lang),
        "grade": tp("column", "Grade", lang),
        "grade_source": tp("column", "Grade source", lang),
        "last_contact": tp("column", "Last contact", lang),
        "cadence_days": tp("column", "Cadence days", lang),
        "next_followup": tp("column", "Next follow-up", lang),
        "overdue_days": tp("column", "Days overdue", lang),
        "urgency": tp("column", "Urgency", lang),
        "action": tp("column", "Recommended action", lang),
        "contact_source": tp("column", "Contact from", lang),
        "attention": tp("column", "Attention", lang),
        "grade_written": tp("column", "Grade by xlcrm", lang),
        "cadence_written": tp("column", "Cadence by xlcrm", lang),
        "contact_written": tp("column", "Last contact by xlcrm", lang),
        "next_written": tp("column", "Next follow-up by xlcrm", lang),
        "date": tp("column", "Date", lang),
        "priority": tp("column", "#", lang),
        "why": tp("column", "Why", lang),
        "worth": tp("call plan column", "Value", lang),
        "done": tp("column", "Done", lang),
        "note": tp("column", "Note", lang),
        "repeat_days": tp("column", "Repeat purchase days", lang),
        "span_days": tp("column", "Days first to last purchase", lang),
        "age_days": tp("column", "Days since first purchase", lang),
        "mean_repeat_spend": tp("column", "Mean repeat spend", lang),
        "p_alive": tp("column", "P(alive)", lang),
        "expected_purchases": tp("column", "Expected purchases", lang),
        "repurchase_prob": tp("column", "Repurchase chance", lang),
        "repurchase_band": tp("column", "Repurchase band", lang),
        "expected_aov": tp("column", "Expected order value", lang),
        "expected_value": tp("column", "Expected value (12 months)", lang),
        "expected_margin": tp("column", "Expected margin (12 months)", lang),
        "sheet": tp("column", "Sheet", lang),
        "row": tp("column", "Row", lang),
        "column": tp("column", "Column", lang),
        "value": tp("column", "Value", lang),
        "problem": tp("column", "Problem", lang),
        "effect": tp("column", "Effect", lang),
        "margin": tp("column", "Margin", lang),
        "relationship": tp("column", "Relationship level", lang),
        "long_tail": tp("column", "Long tail", lang),
        "loyalty": tp("column", "Loyalty", lang),
        "satisfaction": tp("column", "Satisfaction", lang),
        "repurchase_level": tp("column", "Repurchase", lang),
        "recommend_level": tp("column", "Recommendation", lang),
        "dissatisfied_loyal": tp("column", "Loyal but dissatisfied", lang),
        "referred_by": tp("column", "Referred by", lang),
        "referrals": tp("column", "Referrals", lang),
        "referred_revenue": tp("column", "Referred revenue", lang),
        "open_complaint": tp("column", "Open complaint", lang),
        "open_deals": tp("column", "Open deals", lang),
        "stuck_deal": tp("column", "Stuck deal", lang),
        "stage": tp("column", "Stage", lang),
        "phase": tp("column", "Phase", lang),
        "reached": tp("column", "Reached", lang),
        "amount": tp("column", "Amount", lang),
        "conversion": tp("column", "To next stage", lang),
        "open": tp("column", "Open", lang),
        "lost": tp("column", "Lost here", lang),
        "median_days": tp("column", "Median days in stage", lang),
        "class_before": tp("column", "RFM class before", lang),
        "tier_before": tp("column", "Tier before", lang),
        "new_warning": tp("column", "New churn warning", lang),
        "became_lost": tp("column", "Became lost", lang),
    }


def header(key: str, lang: str) -> str:
    """The header of canonical column ``key`` in ``lang``."""
    return _headers(lang)[key]


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
