"""Result sheet specifications: which columns each result sheet has, in which language.

Pure: :func:`build_result_sheets` turns an ``Analysis`` into plain
:class:`ResultSheet` specifications (sheet name, table name, headers, a frame
of display values, number formats, formula templates whose cached values the
frame holds, dropdowns, highlighting). :mod:`xlcrm.xlsx.layout` lays them out
in a workbook, :mod:`xlcrm.excel.book` writes them into the open workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np
import pandas as pd

from xlcrm.core import schema
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import t, tp

if TYPE_CHECKING:
    from xlcrm.core.pareto import ParetoSummary
from xlcrm.xlsx.columns import (
    AS_OF_NAME,
    CADENCE_FIRST_ROW,
    COLUMN_KINDS,
    SHEET_NAMES,
    TABLE_NAMES,
    Column,
    col_letter,
    header,
)


class AnalysisLike(Protocol):
    """What the writer needs from ``xlcrm.core.analysis.Analysis``."""

    @property
    def as_of(self) -> pd.Timestamp: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def customers(self) -> pd.DataFrame: ...
    @property
    def thresholds(self) -> dict[str, float]: ...
    @property
    def pareto(self) -> ParetoSummary: ...


# --- specifications (pure) ---------------------------------------------------------


@dataclass
class ResultSheet:
    """A result sheet holding one Excel table starting at A1."""

    key: str
    name: str
    table: str
    columns: list[Column]
    frame: pd.DataFrame  # one column per Column (by key), display values
    freeze: str = "B2"
    dropdowns: dict[str, list[str]] = field(default_factory=dict)  # column key -> choices
    highlight: str | None = None  # formula for row 2, relative row, true = highlight
    dropdown_error: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def letter(self, key: str) -> str:
        return col_letter(self.index(key) + 1)

    def index(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

    @property
    def ref(self) -> str:
        return f"A1:{col_letter(len(self.columns))}{max(self.n_rows, 1) + 1}"


def _labels(series: pd.Series, fn: Callable[[str, str], str], lang: str) -> pd.Series:
    codes = series.dropna().unique().tolist()
    mapping = {c: fn(str(c), lang) for c in codes}
    return series.map(mapping)


def _action_texts(keys: pd.Series, lang: str) -> pd.Series:
    try:
        from xlcrm.core.playbook import action_text  # package data, loaded on first use
    except ImportError:  # pragma: no cover - the core ships the playbook
        return keys
    mapping = {k: action_text(str(k), lang) for k in keys.dropna().unique().tolist()}
    return keys.map(mapping)


def _churn_words(customers: pd.DataFrame, lang: str, settings: Settings) -> pd.Series:
    """The churn reason in words for customers with a warning, missing for the rest."""
    from xlcrm.core.lifecycle import describe_churn

    warned = customers[customers["churn_warning"].astype(bool)]
    out = pd.Series(pd.NA, index=customers.index, dtype=object)
    if len(warned):
        words = describe_churn(warned, lang, settings=settings)
        out.loc[warned.index] = pd.Series(words, index=warned.index).astype(object)
    return out


def _yes_no(flags: pd.Series, lang: str) -> pd.Series:
    """True/False as words in ``lang`` (a filter shows them; TRUE/FALSE reads as English)."""
    words = {True: tp("churn warning", "Yes", lang), False: tp("churn warning", "No", lang)}
    return flags.map(words, na_action="ignore")


def _columns(
    keys: Sequence[str], lang: str, formulas: dict[str, str] | None = None
) -> list[Column]:
    formulas = formulas or {}
    out = []
    for key in keys:
        kind, width = COLUMN_KINDS[key]
        out.append(Column(key, header(key, lang), kind, width, formulas.get(key)))
    return out


def build_result_sheets(
    analysis: AnalysisLike,
    quality: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    settings_sheet: str | None = None,
) -> list[ResultSheet]:
    """The RFM, Lifecycle, Follow-ups and Data quality tables of an analysis.

    Parameters
    ----------
    analysis
        The result of ``xlcrm.core.analysis.analyze``.
    quality
        Rows the reader left out (``sheet``, ``row``, ``column``, ``value``,
        ``reason``), or None.
    lang
        ``"en"`` or ``"zh"``: sheet names, headers and labels.
    settings_sheet
        Name of the sheet holding the cadence table the follow-up formulas
        look up (default: the Settings sheet of a new workbook).
    """
    if lang not in schema.LANGS:
        raise ValueError(f"lang must be one of {schema.LANGS}, not {lang!r}")
    c = analysis.customers
    settings_sheet = settings_sheet or SHEET_NAMES["settings"][lang]
    sheets = [
        _rfm_sheet(c, lang),
        _lifecycle_sheet(c, lang, analysis.settings),
        _followup_sheet(c, lang, settings_sheet, analysis.settings),
        _value_sheet(c, lang, analysis.settings),
        _quality_sheet(quality, lang),
    ]
    return sheets


def _rfm_sheet(c: pd.DataFrame, lang: str) -> ResultSheet:
    buyers = c[c["rfm_class"].notna()]
    keys = [
        "customer_id",
        "name",
        "owner",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_class",
        "segment",
        "abc_class",
        "revenue_share",
    ]
    frame = _take(buyers, keys)
    frame["rfm_class"] = _labels(frame["rfm_class"], schema.label, lang)
    frame["segment"] = _labels(frame["segment"], schema.label, lang)
    return ResultSheet(
        "rfm",
        SHEET_NAMES["rfm"][lang],
        TABLE_NAMES["rfm"],
        _columns(keys, lang),
        frame.reset_index(drop=True),
    )


def _lifecycle_sheet(c: pd.DataFrame, lang: str, settings: Settings) -> ResultSheet:
    keys = [
        "customer_id",
        "name",
        "owner",
        "tier",
        "created",
        "first_purchase",
        "last_purchase",
        "frequency",
        "median_gap_days",
        "churn_warning",
        "churn_reason",
    ]
    frame = _take(c, keys)
    frame["tier"] = _labels(frame["tier"], schema.tier_label, lang)
    frame["churn_warning"] = _yes_no(frame["churn_warning"], lang)
    frame["churn_reason"] = _churn_words(c, lang, settings).to_numpy()
    return ResultSheet(
        "lifecycle",
        SHEET_NAMES["lifecycle"][lang],
        TABLE_NAMES["lifecycle"],
        _columns(keys, lang),
        frame.reset_index(drop=True),
    )


def followup_formulas(
    settings_sheet: str, settings: Settings = DEFAULT_SETTINGS, lang: str = "en"
) -> dict[str, str]:
    """Formula templates of the live follow-up columns (``{r}`` = row).

    Columns: E grade, F last contact, G cadence days, H next follow-up,
    I days overdue, J urgency (the core's bounds, labels in ``lang``).
    ``xlcrm_as_of`` is the named analysis-date cell.
    """
    first, last = CADENCE_FIRST_ROW, CADENCE_FIRST_ROW + len(schema.GRADES) - 1
    table = f"'{settings_sheet}'!$A${first}:$B${last}"
    until = f"H{{r}}-{AS_OF_NAME}"
    urgency = f'"{schema.label("slow", lang)}"'
    bounds = (
        (settings.not_urgent_days, "not_urgent"),
        (settings.soon_days, "soon"),
        (settings.urgent_days, "urgent"),
    )
    for days, code in bounds:
        urgency = f'IF({until}<={days},"{schema.label(code, lang)}",{urgency})'
    return {
        "cadence_days": f"VLOOKUP(E{{r}},{table},2,FALSE)",
        "next_followup": f'IF(F{{r}}="",{AS_OF_NAME},F{{r}}+G{{r}})',
        "overdue_days": f"MAX(0,{AS_OF_NAME}-H{{r}})",
        "urgency": urgency,
    }


def _followup_sheet(
    c: pd.DataFrame, lang: str, settings_sheet: str, settings: Settings
) -> ResultSheet:
    keys = [
        "customer_id",
        "name",
        "owner",
        "tier",
        "grade",
        "last_contact",
        "cadence_days",
        "next_followup",
        "overdue_days",
        "urgency",
        "action",
        "grade_source",
    ]
    order = c.sort_values(
        ["next_followup", "owner", "customer_id"], kind="stable", na_position="last"
    ).index
    src = c.loc[order]
    frame = _take(src, [k for k in keys if k != "action"])
    frame["tier"] = _labels(frame["tier"], schema.tier_label, lang)
    frame["urgency"] = _labels(frame["urgency"], schema.label, lang)
    frame["grade_source"] = frame["grade_source"].map(
        {
            "given": tp("grade source", "given", lang),
            "derived": tp("grade source", "derived", lang),
            "default": tp("grade source", "default (no grade)", lang),
        }
    )
    frame["action"] = _action_texts(src["action_key"], lang).values
    frame = frame[keys]
    sheet = ResultSheet(
        "followups",
        SHEET_NAMES["followups"][lang],
        TABLE_NAMES["followups"],
        _columns(keys, lang, followup_formulas(settings_sheet, settings, lang)),
        frame.reset_index(drop=True),
        freeze="C2",
        dropdowns={"grade": list(schema.GRADES)},
        dropdown_error=t("Choose a grade A to E.", lang),
    )
    assert sheet.letter("grade") == "E" and sheet.letter("urgency") == "J"
    sheet.highlight = "$I2>0"
    return sheet


QUALITY_KEYS: Final = ("sheet", "row", "column", "value", "problem", "effect")


#: Columns of the Value sheet: the model's inputs, then its numbers.
VALUE_KEYS: Final = (
    "customer_id",
    "name",
    "owner",
    "repeat_days",
    "span_days",
    "age_days",
    "mean_repeat_spend",
    "p_alive",
    "expected_purchases",
    "repurchase_prob",
    "repurchase_band",
    "expected_aov",
    "expected_value",
)


def _value_sheet(c: pd.DataFrame, lang: str, settings: Settings) -> ResultSheet:
    """Customers with a purchase, by expected value (then id); model columns blank
    when the model is missing (the dashboard says why)."""
    from xlcrm.core.value import repurchase_band_label

    frame = _take(c[c["frequency"].to_numpy() > 0], VALUE_KEYS)
    worth = pd.to_numeric(frame["expected_value"], errors="coerce").fillna(-1.0).to_numpy()
    frame = frame.iloc[np.lexsort((frame["customer_id"].astype(str).to_numpy(), -worth))]
    frame["repurchase_band"] = frame["repurchase_band"].map(
        lambda code: None if is_missing(code) else repurchase_band_label(str(code), lang)
    )
    columns = _columns(VALUE_KEYS, lang)
    days = settings.value_horizon_days
    for i, col in enumerate(columns):  # the horizon belongs in the header
        if col.key in ("expected_purchases", "repurchase_prob"):
            name = t("{header} ({days} d)", lang, header=col.header, days=days)
            columns[i] = Column(col.key, name, col.kind, col.width)
    return ResultSheet(
        "value",
        SHEET_NAMES["value"][lang],
        TABLE_NAMES["value"],
        columns,
        frame.reset_index(drop=True),
    )


def _quality_sheet(quality: pd.DataFrame | None, lang: str) -> ResultSheet:
    keys = list(QUALITY_KEYS)
    if quality is None or len(quality) == 0:
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in keys})
    elif {"reason", "left_out"} <= set(quality.columns):
        from xlcrm.xlsx.reader import quality_table  # reason codes -> words in lang

        frame = quality_table(quality.reset_index(drop=True), lang)
        frame.columns = keys
    else:
        q = quality.reset_index(drop=True)
        frame = pd.DataFrame(
            {k: q[k] if k in q.columns else pd.NA for k in keys[:4]}, index=q.index
        )
        frame["problem"] = q["reason"] if "reason" in q.columns else pd.NA
        frame["effect"] = pd.NA
    # whatever the cell held, show it as text
    frame["value"] = frame["value"].map(lambda v: None if is_missing(v) else str(v))
    return ResultSheet(
        "quality",
        SHEET_NAMES["quality"][lang],
        TABLE_NAMES["quality"],
        _columns(keys, lang),
        frame,
        freeze="A2",
    )


def is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _take(frame: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for k in keys:
        out[k] = frame[k] if k in frame.columns else pd.NA
    return out
