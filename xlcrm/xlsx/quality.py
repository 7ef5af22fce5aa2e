"""The data-quality list: one row per cell (or row) xlcrm could not use, and why.

The list is a frame of language-free codes (:data:`QUALITY_COLUMNS`):
``sheet``, ``row`` (as Excel shows it), ``column`` (the user's header),
``value`` (as the cell showed it), ``reason`` (a code of :data:`REASONS`)
and ``left_out`` (the whole row was left out). :func:`quality_table` turns
it into words in the user's language, for the Data quality sheet and the
terminal.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import cells, ratings
from xlcrm.locale import N_, t, tp

# Reason codes of the data-quality list. INFO reasons keep the row.
MISSING: Final = "missing"
DUPLICATE_ID: Final = "duplicate_id"
UNKNOWN_CUSTOMER: Final = "unknown_customer"
UNKNOWN_CONTACT: Final = "unknown_contact"
BAD_EMAIL: Final = "bad_email"
TOTAL_ROW: Final = "total_row"
NOTE_ROW: Final = "note_row"
STATUS_EXCLUDED: Final = "status_excluded"
OTHER_CURRENCY: Final = "other_currency"
MERGED_LINE: Final = "merged_line"
FAR_CELL: Final = "far_cell"
SIMILAR_ID: Final = "similar_id"
MERGED_ID: Final = "merged_id"
# Not problems: which column was used for what, which sheets were read, the tally.
COLUMN_USED: Final = "column_used"
SHEET_READ: Final = "sheet_read"
RECONCILIATION: Final = "reconciliation"
NOTICES: Final = frozenset({COLUMN_USED, SHEET_READ, RECONCILIATION})
# Found by the analysis (xlcrm.core.funnel, .feedback, .referrals), not by the reader.
# The first five keep their row as it is described.
CORE_KEPT: Final = frozenset(
    {"unknown_stage", "unknown_status", "lost_at_won_stage", "unknown_kind", "closed_before_opened"}
)
INFO_REASONS: Final = frozenset(
    {UNKNOWN_CUSTOMER, UNKNOWN_CONTACT, MERGED_LINE, SIMILAR_ID, MERGED_ID, "csv_quote"}
    | NOTICES
    | CORE_KEPT
)

#: Reason code -> English message (a catalogue id; :func:`quality_table` translates it).
REASONS: Final[dict[str, str]] = {
    MISSING: N_("required value is empty"),
    cells.BAD_ID: N_("not a customer id (a date, time or yes/no)"),
    cells.BAD_DATE: N_("not a date xlcrm can read"),
    cells.DATE_OUT_OF_RANGE: N_("date before 1900 or after 2199"),
    cells.BAD_AMOUNT: N_("not an amount xlcrm can read"),
    cells.BAD_GRADE: N_("grade must be A, B, C, D or E"),
    cells.EXCEL_ERROR: N_("Excel error value in the cell"),
    DUPLICATE_ID: N_("customer id already used on an earlier row"),
    UNKNOWN_CUSTOMER: N_("customer not on the Customers sheet (kept; add it there)"),
    UNKNOWN_CONTACT: N_(
        "customer neither on the Customers sheet nor in Orders (add it to Customers)"
    ),
    BAD_EMAIL: N_("not an email address"),
    cells.NUMBER_AS_DATE: N_("a number, not a date (Excel would show it as a day before 1910)"),
    cells.AMBIGUOUS_DATE: N_(
        "reads as two dates: this column has both day-first and month-first dates"
    ),
    TOTAL_ROW: N_("a total or subtotal row, not an order"),
    NOTE_ROW: N_("a note under the table, not data"),
    STATUS_EXCLUDED: N_("order status left out (setting excluded_statuses)"),
    OTHER_CURRENCY: N_("amount in another currency than the rest of the column ({detail})"),
    MERGED_LINE: N_("a line of the order above (its amount cell is merged)"),
    FAR_CELL: N_("a cell far outside the table, ignored"),
    SIMILAR_ID: N_(
        "customer id differs from {detail} only in case, width or invisible characters "
        "(probably the same customer; setting merge_similar_ids)"
    ),
    MERGED_ID: N_("customer id read as {detail} (setting merge_similar_ids)"),
    "csv_quote": N_(
        "a quote opened on this line is never closed; the lines after it were read as rows"
    ),
    # the new Customers columns, the Deals, stage history and Feedback sheets
    ratings.BAD_SATISFACTION: N_("not a satisfaction: 1-5, or very satisfied … very dissatisfied"),
    ratings.BAD_RECOMMEND: N_("not a recommendation: very likely, possible, unlikely, or 0-10"),
    ratings.BAD_RATE: N_("not a margin rate: a share such as 0.3 or 30%"),
    "duplicate_deal": N_("deal id already used on an earlier row"),
    "unknown_stage": N_(
        "not a funnel stage (setting funnel_stages): the deal counts at the first stage"
    ),
    "unknown_history_stage": N_("not a funnel stage (setting funnel_stages): row left out"),
    "unknown_status": N_(
        "not a deal status (open, won, lost): taken from the stage and the closed date"
    ),
    "unknown_deal": N_("no deal with this id on the Deals sheet"),
    "lost_at_won_stage": N_(
        "a lost deal cannot be at the won stage: counted at the stage before it"
    ),
    "closed_before_opened": N_("closed before it was opened: left out of the response times"),
    "unknown_kind": N_(
        "not a kind of feedback (complaint, suggestion, praise, return): counted as other"
    ),
    "unknown_feedback_status": N_(
        "not a feedback status (open, closed): taken from the closed date"
    ),
    "self_referral": N_("a customer cannot refer itself: referral ignored"),
    "unknown_referrer": N_("the referrer is not a customer: referral ignored"),
    "referral_loop": N_("customers refer each other in a loop: the referral of {detail} ignored"),
    COLUMN_USED: N_("column used for {detail}"),
    SHEET_READ: N_("sheet read for {detail}"),
    RECONCILIATION: N_("{detail}"),
}
#: Roles of columns, for the "column used for …" notices.
ROLES: Final[dict[str, str]] = {
    "customer_id": N_("the customer id"),
    "order_date": N_("the order date"),
    "amount": N_("the amount"),
    "amount_10k": N_("the amount, in units of 10,000"),
    "amount_1k": N_("the amount, in units of 1,000"),
    "order_id": N_("the order number (lines of one order count once)"),
    "status": N_("the order status"),
    "date": N_("the activity date"),
    "orders": N_("the orders"),
}
_EFFECTS: Final[dict[str, str]] = {
    "left_out": N_("row left out"),
    "blanked": N_("value ignored"),
    "kept": N_("kept"),
    "unused": N_("activity not used"),
    "info": N_("for information"),
}
QUALITY_COLUMNS: Final = ("sheet", "row", "column", "value", "reason", "left_out", "detail")
_QUALITY_HEADERS: Final = ("Sheet", "Row", "Column", "Value", "Problem", "Effect")


def reason_text(code: str, lang: str = "en") -> str:
    """The words for a reason code in ``lang`` (the code itself when unknown)."""
    message = REASONS.get(code)
    return t(message, lang) if message is not None else code


def quality_table(data: Any, lang: str = "en") -> pd.DataFrame:
    """The data-quality list ready to show a user: localized headers and reason words.

    ``data`` is a quality frame or anything with a ``quality`` frame (a
    ``WorkbookData``). Columns (en): Sheet, Row, Column, Value, Problem, Effect.
    """
    quality = data if isinstance(data, pd.DataFrame) else data.quality
    lang = lang if lang in ("en", "zh") else "en"
    words = {code: reason_text(code, lang) for code in pd.unique(quality["reason"])}
    problem = quality["reason"].map(words)
    if "detail" in quality.columns and quality["detail"].notna().any():
        has = quality["detail"].notna().to_numpy()
        details = [_detail_text(d, lang) for d in quality["detail"][has]]
        problem = problem.copy()
        problem[has] = [
            text.format(detail=d) for text, d in zip(problem[has], details, strict=True)
        ]
    reason = quality["reason"]
    effect_key = np.select(
        [
            quality["left_out"].to_numpy(dtype=bool),
            reason == UNKNOWN_CONTACT,
            reason.isin(NOTICES),
            reason.isin(INFO_REASONS),
        ],
        ["left_out", "unused", "info", "kept"],
        default="blanked",
    )
    effects = {key: t(message, lang) for key, message in _EFFECTS.items()}
    effect = [effects[k] for k in effect_key]
    out = pd.DataFrame(
        {
            "sheet": quality["sheet"],
            "row": quality["row"],
            "column": quality["column"],
            "value": quality["value"],
            "problem": problem.astype("str") if len(quality) else problem,
            "effect": pd.Series(effect, index=quality.index, dtype="str"),
        }
    )
    out.columns = [
        tp("data quality", "Sheet", lang),
        tp("data quality", "Row", lang),
        tp("data quality", "Column", lang),
        tp("data quality", "Value", lang),
        tp("data quality", "Problem", lang),
        tp("data quality", "Effect", lang),
    ]
    return out


def _detail_text(detail: object, lang: str) -> str:
    """A detail in ``lang``: a role code becomes its words, other text stays."""
    text = str(detail)
    return t(ROLES[text], lang) if text in ROLES else text


def empty_quality() -> pd.DataFrame:
    """A quality frame without rows."""
    return pd.DataFrame(
        {
            "sheet": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype="str"),
            "value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
            "left_out": pd.Series(dtype="bool"),
            "detail": pd.Series(dtype="str"),
        }
    )


def display(value: object) -> str:
    """A cell value as the user saw it: 12.0 -> "12", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def quality_rows(
    sheet: str,
    rows: np.ndarray,
    header: str | np.ndarray,
    raw: np.ndarray,
    reasons: np.ndarray,
    left_out: np.ndarray,
    detail: object = None,
) -> pd.DataFrame:
    """Quality rows for cells of one column of one sheet (``header`` may be one per row;
    ``detail``, one or one per row, fills the reason's ``{detail}``)."""
    n = len(rows)
    headers = header if isinstance(header, np.ndarray) else [header] * n
    details = detail if isinstance(detail, np.ndarray) else [detail] * n
    return pd.DataFrame(
        {
            "sheet": pd.Series([sheet] * n, dtype="str"),
            "row": pd.Series(rows, dtype="int64"),
            "column": pd.Series(headers, dtype="str"),
            "value": pd.Series([display(v) for v in raw], dtype="str"),
            "reason": pd.Series(reasons, dtype="str"),
            "left_out": pd.Series(left_out, dtype="bool"),
            "detail": pd.Series(details, dtype="str"),
        }
    )


def collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One quality frame from parts (empty parts dropped)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_quality()
    return pd.concat(parts, ignore_index=True)


__all__ = [
    "BAD_EMAIL",
    "CORE_KEPT",
    "DUPLICATE_ID",
    "INFO_REASONS",
    "MISSING",
    "QUALITY_COLUMNS",
    "REASONS",
    "UNKNOWN_CONTACT",
    "UNKNOWN_CUSTOMER",
    "collect",
    "empty_quality",
    "from_core",
    "quality_rows",
    "quality_table",
    "reason_text",
]


def _day(value: object) -> object:
    """A date at midnight as the date alone (as the cell showed it)."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date()
    return value


def from_core(
    issues: pd.DataFrame, sheet_names: dict[str, str], headers: dict[str, dict[str, str]]
) -> pd.DataFrame:
    """Problems the analysis found (``Analysis.insights.issues``: table keys and
    canonical columns) as quality rows naming the user's sheet and header."""
    if issues is None or issues.empty:
        return empty_quality()
    tables = issues["sheet"].astype(str)
    sheets = tables.map(lambda key: sheet_names.get(key, key))  # a handful of tables
    columns = [
        headers.get(table, {}).get(column, column)
        for table, column in zip(tables, issues["column"].astype(str), strict=True)
    ]
    rows = pd.to_numeric(issues["row"], errors="coerce").fillna(0).astype(np.int64)
    details = issues["detail"].where(issues["detail"].notna(), None)
    return pd.DataFrame(
        {
            "sheet": pd.Series(sheets.to_numpy(), dtype="str"),
            "row": pd.Series(rows.to_numpy(), dtype="int64"),
            "column": pd.Series(columns, dtype="str"),
            "value": pd.Series([display(_day(v)) for v in issues["value"]], dtype="str"),
            "reason": pd.Series(issues["reason"].to_numpy(), dtype="str"),
            "left_out": pd.Series(issues["left_out"].to_numpy(dtype=bool), dtype="bool"),
            "detail": pd.Series(details.to_numpy(dtype=object), dtype="str"),
        }
    )
