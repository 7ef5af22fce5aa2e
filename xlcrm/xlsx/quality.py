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

from xlcrm.core import cells
from xlcrm.locale import N_, t, tp

# Reason codes of the data-quality list. INFO reasons keep the row.
MISSING: Final = "missing"
DUPLICATE_ID: Final = "duplicate_id"
UNKNOWN_CUSTOMER: Final = "unknown_customer"
UNKNOWN_CONTACT: Final = "unknown_contact"
BAD_EMAIL: Final = "bad_email"
INFO_REASONS: Final = frozenset({UNKNOWN_CUSTOMER, UNKNOWN_CONTACT})

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
}
_EFFECTS: Final[dict[str, str]] = {
    "left_out": N_("row left out"),
    "blanked": N_("value ignored"),
    "kept": N_("kept"),
    "unused": N_("activity not used"),
}
QUALITY_COLUMNS: Final = ("sheet", "row", "column", "value", "reason", "left_out")
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
    reason = quality["reason"]
    effect_key = np.select(
        [
            quality["left_out"].to_numpy(dtype=bool),
            reason == UNKNOWN_CONTACT,
            reason.isin(INFO_REASONS),
        ],
        ["left_out", "unused", "kept"],
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
    header: str,
    raw: np.ndarray,
    reasons: np.ndarray,
    left_out: np.ndarray,
) -> pd.DataFrame:
    """Quality rows for cells of one column of one sheet."""
    return pd.DataFrame(
        {
            "sheet": pd.Series([sheet] * len(rows), dtype="str"),
            "row": pd.Series(rows, dtype="int64"),
            "column": pd.Series([header] * len(rows), dtype="str"),
            "value": pd.Series([display(v) for v in raw], dtype="str"),
            "reason": pd.Series(reasons, dtype="str"),
            "left_out": pd.Series(left_out, dtype="bool"),
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
    "DUPLICATE_ID",
    "INFO_REASONS",
    "MISSING",
    "QUALITY_COLUMNS",
    "REASONS",
    "UNKNOWN_CONTACT",
    "UNKNOWN_CUSTOMER",
    "collect",
    "empty_quality",
    "quality_rows",
    "quality_table",
    "reason_text",
]
