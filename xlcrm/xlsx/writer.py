"""Analysis -> result sheets (tables, live follow-up formulas, dashboard charts), atomic save.

Two layers, kept apart so that the Excel add-in can reuse the first one:

* :func:`build_result_sheets` and :func:`build_dashboard` are pure: they turn
  an ``Analysis`` into plain specifications (sheet name, table name, headers,
  a frame of display values, number formats, formula templates with the
  cached value of every formula cell, validations, highlighting).
* :func:`write_results` lays those out in an openpyxl workbook (a new one, or
  the user's own with ``in_place=True``) and saves it atomically.

Speed. openpyxl needs about 10 µs per cell, too slow for 100,000 customers,
and it cannot store the cached value of a formula. So the large tables are
added to the openpyxl workbook as header-only sheets (table, column widths,
frozen header, dropdown, conditional formatting all defined there) and after
openpyxl has saved, their ``<sheetData>`` is replaced by XML generated here
column by column, with the cached value written next to each formula
(``<c><f>…</f><v>…</v></c>``). User text is always written as an inline
string, so ``=HYPERLINK(…)`` in a customer name stays text.
"""

from __future__ import annotations

import io
import os
import posixpath
import queue
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Protocol
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from xlcrm import files
from xlcrm.core import schema
from xlcrm.core.errors import OutputError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

# --- names ----------------------------------------------------------------------

SHEET_NAMES: Final[dict[str, dict[str, str]]] = {
    "dashboard": {"en": "Dashboard", "zh": "仪表盘"},
    "rfm": {"en": "RFM", "zh": "RFM分析"},
    "lifecycle": {"en": "Lifecycle", "zh": "生命周期"},
    "followups": {"en": "Follow-ups", "zh": "跟进计划"},
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
}


def text(key: str, lang: str) -> str:
    """A fixed phrase of the output sheets in ``lang``."""
    return TEXT[key][lang]


def header(key: str, lang: str) -> str:
    """The header of canonical column ``key`` in ``lang``."""
    en, zh, _, _ = HEADERS[key]
    return zh if lang == "zh" else en


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
    def pareto(self) -> Any: ...


# --- specifications (pure) ---------------------------------------------------------


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
        return _col_letter(self.index(key) + 1)

    def index(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

    @property
    def ref(self) -> str:
        return f"A1:{_col_letter(len(self.columns))}{max(self.n_rows, 1) + 1}"


@dataclass
class Block:
    """A small table on the dashboard."""

    key: str
    table: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]]


@dataclass
class Dashboard:
    title: str
    subtitle: str
    figures: list[tuple[str, Any, str]]  # label, value, kind
    blocks: list[Block]


def _col_letter(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


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


def _columns(
    keys: Sequence[str], lang: str, formulas: dict[str, str] | None = None
) -> list[Column]:
    formulas = formulas or {}
    out = []
    for key in keys:
        en, zh, kind, width = HEADERS[key]
        out.append(Column(key, zh if lang == "zh" else en, kind, width, formulas.get(key)))
    return out


def settings_sheet_name(lang: str, *, in_place: bool) -> str:
    return IN_PLACE_SETTINGS_NAME[lang] if in_place else SHEET_NAMES["settings"][lang]


CADENCE_FIRST_ROW: Final = 5  # grade A on the settings sheet; header on row 4


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
        {k: v[lang] for k, v in GRADE_SOURCE_LABELS.items()}
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
        dropdown_error=text("grade_error", lang),
    )
    assert sheet.letter("grade") == "E" and sheet.letter("urgency") == "J"
    sheet.highlight = "$I2>0"
    return sheet


QUALITY_KEYS: Final = ("sheet", "row", "column", "value", "problem", "effect")


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
    frame["value"] = frame["value"].map(lambda v: None if _is_missing(v) else str(v))
    return ResultSheet(
        "quality",
        SHEET_NAMES["quality"][lang],
        TABLE_NAMES["quality"],
        _columns(keys, lang),
        frame,
        freeze="A2",
    )


def _is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _take(frame: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for k in keys:
        out[k] = frame[k] if k in frame.columns else pd.NA
    return out


def build_dashboard(analysis: AnalysisLike, *, lang: str = "en") -> Dashboard:
    """Counts, revenue and shares by class, segment and tier, plus Pareto figures."""
    c = analysis.customers
    revenue = c["monetary"].fillna(0.0).astype(float)
    total_rev = float(revenue.sum())
    n = len(c)

    def block(key: str, col: str, codes: Sequence[str], fn: Callable[[str, str], str]) -> Block:
        counts = c[col].value_counts()
        rev = revenue.groupby(c[col]).sum()
        rows = []
        for code in codes:
            k = int(counts.get(code, 0))
            r = float(rev.get(code, 0.0))
            rows.append(
                [fn(code, lang), k, k / n if n else 0.0, r, r / total_rev if total_rev else 0.0]
            )
        return Block(
            key,
            f"xlcrm_dashboard_{key}",
            [
                text(key, lang),
                text("customers", lang),
                text("customer_share", lang),
                text("revenue", lang),
                text("revenue_share", lang),
            ],
            ["text", "int", "pct", "money", "pct"],
            rows,
        )

    blocks = [
        block("rfm_class", "rfm_class", schema.RFM_CLASSES, schema.label),
        block("segment", "segment", schema.SEGMENTS, schema.label),
        block("tier", "tier", schema.TIERS, schema.tier_label),
    ]
    pareto = analysis.pareto
    curve = getattr(pareto, "curve", None)
    if curve is not None and len(curve):
        blocks.append(
            Block(
                "pareto",
                "xlcrm_dashboard_pareto",
                [text("customer_share", lang), text("revenue_share", lang)],
                ["pct", "pct"],
                [
                    [float(a), float(b)]
                    for a, b in zip(curve["customer_share"], curve["revenue_share"], strict=True)
                ],
            )
        )
    from xlcrm.core.analysis import summary  # the same key figures as the PDF brief

    figures_of = summary(analysis)  # type: ignore[arg-type]
    pct = f"{figures_of['top_fraction']:.0%}"
    top_share = figures_of["top_share"]
    figures: list[tuple[str, Any, str]] = [
        (text("customers", lang), figures_of["customers"], "int"),
        (text("purchasing", lang), figures_of["purchasing_customers"], "int"),
        (text("revenue", lang), figures_of["revenue"], "money"),
        (
            text("top_share", lang).format(pct=pct),
            float("nan") if top_share is None else top_share,
            "pct",
        ),
        (text("customers_for_80", lang), figures_of["customers_for_80"], "int"),
        (text("due_now", lang), figures_of["needs_followup"], "int"),
        (text("overdue", lang), figures_of["overdue"], "int"),
        (text("churn", lang), figures_of["churn_warnings"], "int"),
    ]
    as_of = pd.Timestamp(analysis.as_of).date().isoformat()
    subtitle = f"{analysis.settings.company} · {text('as_of', lang)} {as_of}"
    return Dashboard(text("dashboard_title", lang), subtitle, figures, blocks)


# --- XML for the large tables --------------------------------------------------------

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = np.datetime64("1899-12-30", "ns")


def _xml_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("", value)
    return value


def _texts(values: pd.Series) -> list[str]:
    """Each value as text, "" for a missing one."""
    filled = values.astype(object).where(values.notna().to_numpy(), "")
    return filled.astype(str).tolist()


_ILLEGAL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escaped_texts(values: pd.Series) -> tuple[list[str], str]:
    """Texts escaped for XML ("" for missing) and the ``<t>`` attribute they need."""
    texts = _texts(values)
    joined = "\x00".join(texts)  # one pass of C-level searches instead of one per cell
    if (
        "&" in joined
        or "<" in joined
        or ">" in joined
        or _ILLEGAL_BUT_NUL.search(joined)
        or joined.count("\x00") != max(len(texts) - 1, 0)
    ):
        texts = [_xml_text(t) for t in texts]
    # xml:space="preserve" only where needed: it is a quarter of a short cell's bytes
    space = ' xml:space="preserve"' if [t.strip() for t in texts] != texts else ""
    return texts, space


def _number_strings(values: pd.Series, kind: str) -> list[str]:
    """Each value as the text of a ``<v>`` element ("" for a blank cell)."""
    if kind == "bool":
        mask = values.isna().to_numpy()
        text = np.where(values.fillna(False).to_numpy(dtype=bool), "1", "0")
        return np.where(mask, "", text).tolist()
    if kind == "date":
        arr = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
        mask = np.isnat(arr)
        ns = np.where(mask, 0, (arr - _EPOCH).astype("int64"))
        whole = ns % 86_400_000_000_000 == 0
        # Python's str/repr are faster than numpy's astype(str) and give the shortest
        # text that reads back as the same float
        if whole.all():
            out = list(map(str, (ns // 86_400_000_000_000).tolist()))
        else:
            out = list(map(repr, (ns / 86_400_000_000_000).tolist()))
    else:
        nums = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
        mask = ~np.isfinite(nums)
        nums = np.where(mask, 0.0, nums)
        if kind in ("int", "score") and np.all(nums == np.round(nums)):
            out = list(map(str, nums.astype(np.int64).tolist()))
        else:
            out = list(map(repr, nums.tolist()))
    if mask.any():
        for k in np.flatnonzero(mask).tolist():
            out[k] = ""
    return out


def _cell_template(column: Column, letter: str, style: int, space: str, arg: int) -> str:
    """``str.format`` template of one cell; ``{0}`` is the row number, ``{arg}`` the value."""
    ref = f'<c r="{letter}{{0}}" s="{style}"'
    if column.formula is not None:
        formula = _xml_text(column.formula).replace("{", "{{").replace("}", "}}")
        formula = formula.replace("{{r}}", "{0}")
        kind = ' t="str"' if column.kind == "text" else ""
        return f"{ref}{kind}><f>{formula}</f><v>{{{arg}}}</v></c>"
    if column.kind == "text":
        return f'{ref} t="inlineStr"><is><t{space}>{{{arg}}}</t></is></c>'
    if column.kind == "bool":
        return f'{ref} t="b"><v>{{{arg}}}</v></c>'
    return f"{ref}><v>{{{arg}}}</v></c>"


_CHUNK_ROWS: Final = 20_000


def sheet_data_chunks(
    sheet: ResultSheet, styles: Sequence[int], header_style: int = 0
) -> Iterator[str]:
    """The ``<sheetData>`` element of a result sheet, in pieces of up to 20,000 rows.

    Row 1 holds the headers, then one row per frame row. ``styles[i]`` is the
    cellXfs index carrying column ``i``'s number format. Formula cells hold
    the formula and, as cached value, the frame's value. Each row is one
    ``str.format`` call on a row template; a column with blanks in the chunk
    passes whole cells ("" for a blank) instead of values.
    """
    head = ['<sheetData><row r="1">']
    for i, column in enumerate(sheet.columns):
        head.append(
            f'<c r="{_col_letter(i + 1)}1" s="{header_style}" t="inlineStr"><is><t>'
            f"{_xml_text(column.header)}</t></is></c>"
        )
    head.append("</row>")
    yield "".join(head)
    for start in range(0, sheet.n_rows, _CHUNK_ROWS):
        part = sheet.frame.iloc[start : start + _CHUNK_ROWS]
        rows = list(range(start + 2, start + 2 + len(part)))
        template = ['<row r="{0}">']
        args: list[list[str]] = []
        for i, column in enumerate(sheet.columns):
            values = part[column.key]
            letter = _col_letter(i + 1)
            if column.kind == "text":
                strings, space = _escaped_texts(values)
            else:
                strings, space = _number_strings(values, column.kind), ""
            n = len(args) + 1
            cell = _cell_template(column, letter, styles[i], space, n)
            if "" in strings:  # blanks: pass whole cells or values, "" leaves the cell out
                if column.formula is not None:
                    template.append(cell.replace(f"<v>{{{n}}}</v>", f"{{{n}}}"))
                    strings = [f"<v>{v}</v>" if v else "" for v in strings]
                else:
                    a, rest = cell.split("{0}", 1)
                    b, c = rest.split(f"{{{n}}}", 1)
                    strings = [
                        f"{a}{r}{b}{v}{c}" if v else "" for r, v in zip(rows, strings, strict=True)
                    ]
                    template.append(f"{{{n}}}")
            else:
                template.append(cell)
            args.append(strings)
        template.append("</row>")
        row_format = "".join(template).format
        yield "".join(map(row_format, rows, *args))
    yield "</sheetData>"


def sheet_data_xml(sheet: ResultSheet, styles: Sequence[int], header_style: int = 0) -> str:
    """:func:`sheet_data_chunks` as one string."""
    return "".join(sheet_data_chunks(sheet, styles, header_style))


# --- laying out in openpyxl ------------------------------------------------------------


@dataclass
class _Pending:
    """A sheet whose <sheetData> is generated after openpyxl saves."""

    sheet: ResultSheet
    styles: list[int]
    header_style: int


def _display_width(values: pd.Series, header_text: str, floor: float) -> float:
    sample = values.head(2000).dropna().astype(str)
    lengths = [len(header_text) + sum(1 for ch in header_text if ord(ch) > 0x2E80)]
    if len(sample):
        wide = sample.map(lambda s: len(s) + sum(1 for ch in s if ord(ch) > 0x2E80))
        lengths.append(int(wide.quantile(0.95)))
    return float(min(max(floor, max(lengths) + 2), 60))


def _add_result_sheet(wb: Any, sheet: ResultSheet, index: int | None) -> _Pending:
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(sheet.name, index)
    styles = []
    for i, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=i, value=column.header)
        cell.data_type = "s"
        probe = ws.cell(row=2, column=i)
        probe.number_format = column.number_format
        styles.append(probe.style_id)
        letter = _col_letter(i)
        width = column.width
        if column.kind == "text":
            width = _display_width(sheet.frame[column.key], column.header, column.width)
        ws.column_dimensions[letter].width = width
    header_style = ws.cell(row=1, column=1).style_id
    table = Table(
        displayName=sheet.table,
        ref=sheet.ref,
        tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True),
    )
    table.tableColumns = [
        TableColumn(id=i, name=c.header) for i, c in enumerate(sheet.columns, start=1)
    ]
    from openpyxl.worksheet.filters import AutoFilter

    table.autoFilter = AutoFilter(ref=sheet.ref)
    ws.add_table(table)
    ws.freeze_panes = sheet.freeze
    last = max(sheet.n_rows, 1) + 1
    for key, choices in sheet.dropdowns.items():
        letter = sheet.letter(key)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            error=sheet.dropdown_error or None,
        )
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    if sheet.highlight:
        ws.conditional_formatting.add(
            f"A2:{_col_letter(len(sheet.columns))}{last}",
            FormulaRule(
                formula=[sheet.highlight],
                fill=PatternFill(bgColor="FFC7CE", fill_type="solid"),
                font=Font(color="9C0006"),
            ),
        )
    return _Pending(sheet, styles, header_style)


def _add_settings_sheet(
    wb: Any, analysis: AnalysisLike, name: str, lang: str, index: int | None
) -> None:
    from openpyxl.styles import Font
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(name, index)
    ws["A1"] = text("as_of", lang)
    ws["A1"].font = Font(bold=True)
    ws["B1"] = pd.Timestamp(analysis.as_of).to_pydatetime()
    ws["B1"].number_format = NUMBER_FORMATS["date"]
    ws["A2"] = text("as_of_note", lang)
    ws["A2"].font = Font(italic=True, color="666666")
    headers = [header("grade", lang), header("cadence_days", lang), text("meaning", lang)]
    for i, h in enumerate(headers, start=1):
        ws.cell(row=CADENCE_FIRST_ROW - 1, column=i, value=h)
    cadence = analysis.settings.cadence
    for j, grade in enumerate(schema.GRADES):
        r = CADENCE_FIRST_ROW + j
        ws.cell(row=r, column=1, value=grade)
        ws.cell(row=r, column=2, value=int(cadence[grade])).number_format = "0"
        ws.cell(row=r, column=3, value=schema.GRADE_LABELS[grade][lang])
    last = CADENCE_FIRST_ROW + len(schema.GRADES) - 1
    table = Table(
        displayName=TABLE_NAMES["cadence"],
        ref=f"A{CADENCE_FIRST_ROW - 1}:C{last}",
        tableStyleInfo=TableStyleInfo(name="TableStyleLight9", showRowStripes=True),
    )
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(headers, start=1)]
    ws.add_table(table)
    r = last + 2
    ws.cell(row=r, column=1, value=text("thresholds", lang)).font = Font(bold=True)
    thresholds = analysis.thresholds or {}
    for label_key, value in (
        ("threshold_method", analysis.settings.threshold_method),
        ("recency_cut", thresholds.get("recency_days")),
        ("frequency_cut", thresholds.get("frequency")),
        ("monetary_cut", thresholds.get("monetary")),
    ):
        r += 1
        ws.cell(row=r, column=1, value=text(label_key, lang))
        if value is not None and not _is_missing(value):
            cell = ws.cell(row=r, column=2, value=value if isinstance(value, str) else float(value))
            if not isinstance(value, str):
                cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 34
    ref = f"'{name}'!$B$1"
    if AS_OF_NAME in wb.defined_names:
        del wb.defined_names[AS_OF_NAME]
    wb.defined_names[AS_OF_NAME] = DefinedName(AS_OF_NAME, attr_text=ref)


def _add_dashboard(wb: Any, dash: Dashboard, name: str, lang: str, index: int | None) -> None:
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series
    from openpyxl.styles import Font
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(name, index)
    ws["A1"] = dash.title
    ws["A1"].font = Font(bold=True, size=16)
    _set_text(ws["A2"], dash.subtitle)
    ws["A2"].font = Font(italic=True, color="666666")
    ws["A4"] = text("key_figures", lang)
    ws["A4"].font = Font(bold=True, size=12)
    r = 5
    for label_text, value, kind in dash.figures:
        ws.cell(row=r, column=1, value=label_text)
        if not _is_missing(value):
            ws.cell(row=r, column=2, value=value).number_format = NUMBER_FORMATS[kind]
        r += 1
    r += 1
    positions: dict[str, tuple[int, int, int]] = {}  # key -> (header row, first col, n rows)
    for block in dash.blocks:
        col0 = 1 if block.key != "pareto" else 18
        row0 = r if block.key != "pareto" else 4
        for j, h in enumerate(block.headers):
            ws.cell(row=row0, column=col0 + j, value=h)
        for i, row in enumerate(block.rows, start=1):
            for j, (value, kind) in enumerate(zip(row, block.kinds, strict=True)):
                cell = ws.cell(row=row0 + i, column=col0 + j, value=value)
                cell.number_format = NUMBER_FORMATS[kind]
        last_col = _col_letter(col0 + len(block.headers) - 1)
        table = Table(
            displayName=block.table,
            ref=f"{_col_letter(col0)}{row0}:{last_col}{row0 + max(len(block.rows), 1)}",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True),
        )
        table.tableColumns = [
            TableColumn(id=j, name=h) for j, h in enumerate(block.headers, start=1)
        ]
        ws.add_table(table)
        positions[block.key] = (row0, col0, len(block.rows))
        if block.key != "pareto":
            r = row0 + len(block.rows) + 3
    for letter, width in zip("ABCDE", (34, 12, 16, 16, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.column_dimensions["R"].width = 18
    ws.column_dimensions["S"].width = 16

    def bar(key: str, value_col: int, title: str, anchor: str) -> None:
        row0, col0, n = positions[key]
        chart = BarChart()
        chart.type = "col"
        chart.title = title
        chart.legend = None
        chart.add_data(
            Reference(ws, min_col=value_col, min_row=row0, max_row=row0 + n), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=col0, min_row=row0 + 1, max_row=row0 + n))
        chart.width, chart.height = 17, 7.5
        ws.add_chart(chart, anchor)

    bar("rfm_class", 2, text("chart_class_sizes", lang), "G4")
    bar("rfm_class", 4, text("chart_class_revenue", lang), "G20")
    bar("tier", 2, text("chart_tiers", lang), "G52")
    if "pareto" in positions:
        row0, col0, n = positions["pareto"]
        chart = ScatterChart()
        chart.title = text("chart_pareto", lang)
        chart.style = 13
        chart.legend = None
        xs = Reference(ws, min_col=col0, min_row=row0 + 1, max_row=row0 + n)
        ys = Reference(ws, min_col=col0 + 1, min_row=row0, max_row=row0 + n)
        series = Series(ys, xs, title_from_data=True)
        series.marker.symbol = "none"
        series.smooth = False
        chart.series.append(series)
        chart.x_axis.title = text("customer_share", lang)
        chart.y_axis.title = text("revenue_share", lang)
        chart.x_axis.number_format = "0%"
        chart.y_axis.number_format = "0%"
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = 0, 1
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.width, chart.height = 17, 7.5
        ws.add_chart(chart, "G36")


def _set_text(cell: Any, value: str) -> None:
    """Store ``value`` as text even when it starts with = (openpyxl would make a formula)."""
    cell.value = value
    cell.data_type = "s"


# --- workbook level ---------------------------------------------------------------------


def is_own_sheet(ws: Any) -> bool:
    """A sheet xlcrm wrote: one of its names, holding an ``xlcrm_`` table."""
    return ws.title in OWN_SHEET_NAMES and any(
        str(name).startswith(TABLE_PREFIX) for name in getattr(ws, "tables", {})
    )


def add_result_sheets(
    wb: Any,
    analysis: AnalysisLike,
    quality: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    in_place: bool = False,
) -> list[_Pending]:
    """Replace xlcrm's sheets in openpyxl workbook ``wb`` with this analysis's.

    Sheets that are not xlcrm's stay as they are. Returns the large sheets
    whose cell data :func:`save_workbook` generates. Raises
    :class:`OutputError` when one of the names is taken by a sheet of the user.
    """
    for ws in list(wb.worksheets):
        if is_own_sheet(ws):
            wb.remove(ws)
    if AS_OF_NAME in wb.defined_names:
        del wb.defined_names[AS_OF_NAME]
    settings_name = settings_sheet_name(lang, in_place=in_place)
    sheets = build_result_sheets(analysis, quality, lang=lang, settings_sheet=settings_name)
    wanted = [SHEET_NAMES["dashboard"][lang], *[s.name for s in sheets], settings_name]
    taken = [n for n in wanted if n in wb.sheetnames]
    if taken:
        raise OutputError(
            f"the workbook already has a sheet named {taken[0]!r} that xlcrm did not write",
            sheet=taken[0],
            hint="rename that sheet, or write to a new file with -o",
        )
    first = None if in_place else 0
    _add_dashboard(wb, build_dashboard(analysis, lang=lang), wanted[0], lang, first)
    pending = []
    for k, sheet in enumerate(sheets, start=1):
        pending.append(_add_result_sheet(wb, sheet, None if in_place else k))
    _add_settings_sheet(wb, analysis, settings_name, lang, None)
    if not in_place:
        wb.active = 0
    return pending


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part name inside the package."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    out = {}
    sheets = book.find("m:sheets", ns)
    for sheet in sheets if sheets is not None else []:
        rid = sheet.get(f"{{{ns['r']}}}id")
        out[sheet.get("name", "")] = targets.get(rid, "")
    return out


_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


def save_workbook(
    wb: Any,
    pending: Sequence[_Pending],
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    original: str | os.PathLike[str] | None = None,
) -> Path:
    """Save ``wb`` to ``path`` atomically, filling in the generated sheet data.

    The file is written to a temporary file in the same folder, flushed to
    disk and renamed over ``path``, so an interrupted run leaves either the
    old file or the new one. ``original`` is the workbook ``wb`` was loaded
    from (``--in-place``): the last calculated values of its formula cells,
    which openpyxl drops, are put back.
    """
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    by_name = {p.sheet.name: p for p in pending}
    target = Path(path)
    with zipfile.ZipFile(buffer) as src:
        new_parts = _sheet_parts(src)
        parts = {part: by_name[name] for name, part in new_parts.items() if name in by_name}
        cached = _formula_values(original, new_parts, set(by_name)) if original else {}

        def write(dst: zipfile.ZipFile) -> None:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename in parts:
                    _write_filled_sheet(dst, info.filename, data, parts[info.filename])
                elif info.filename in cached:
                    data = _restore_values(data, cached[info.filename])
                    dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=6)
                else:
                    dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=6)

        atomic_write(target, write, lang=lang)
    return target


# A formula cell as Excel saves it (last result in <v>) and as openpyxl saves it (<v/>).
_CACHED_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)<v>([^<]*)</v>'
)
_UNCACHED_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>'
)
_TYPE_ATTR = re.compile(rb'\st="([a-z]+)"')


def _formula_values(
    original: str | os.PathLike[str], new_parts: dict[str, str], own: set[str]
) -> dict[str, dict[bytes, tuple[bytes, bytes]]]:
    """New part name -> {cell ref: (type, cached value)} of the user's formula cells.

    Read from the workbook as it was before openpyxl loaded it: openpyxl keeps
    formulas but not their results, and a reader that does not recalculate
    (xlcrm itself, pandas, previewers) would see those cells empty.
    """
    out: dict[str, dict[bytes, tuple[bytes, bytes]]] = {}
    with zipfile.ZipFile(original) as archive:
        old_parts = _sheet_parts(archive)
        for name, part in new_parts.items():
            old = old_parts.get(name)
            if name in own or not old or not part:
                continue
            try:
                xml = archive.read(old)
            except KeyError:
                continue
            if b"<f" not in xml:
                continue
            values = {}
            for match in _CACHED_CELL.finditer(xml):
                kind = _TYPE_ATTR.search(match.group(2))
                values[match.group(1)] = (kind.group(1) if kind else b"", match.group(3))
            if values:
                out[part] = values
    return out


def _restore_values(xml: bytes, values: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """Put the cached results ``values`` back into openpyxl's formula cells of a sheet."""

    def put(match: re.Match[bytes]) -> bytes:
        ref, attrs, formula = match.group(1), match.group(2), match.group(3)
        if ref not in values:
            return match.group(0)
        kind, value = values[ref]
        attrs = _TYPE_ATTR.sub(b"", attrs)
        if kind and kind != b"n":
            attrs += b' t="' + kind + b'"'
        return b'<c r="' + ref + b'"' + attrs + b">" + formula + b"<v>" + value + b"</v></c>"

    return _UNCACHED_CELL.sub(put, xml)


def _write_filled_sheet(dst: zipfile.ZipFile, name: str, xml: bytes, pending: _Pending) -> None:
    """Stream the sheet part with openpyxl's ``<sheetData>`` replaced by the generated one."""
    text_xml = _DIMENSION.sub(f'<dimension ref="{pending.sheet.ref}"/>', xml.decode(), count=1)
    match = _SHEET_DATA.search(text_xml)
    if match is None:  # pragma: no cover - openpyxl always writes sheetData
        raise RuntimeError(f"no sheetData in sheet {pending.sheet.name!r}")
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    # large and repetitive: level 1 is several times faster than 6, ~15% bigger
    info._compresslevel = 1  # type: ignore[attr-defined]
    with dst.open(info, "w", force_zip64=True) as out:
        out.write(text_xml[: match.start()].encode())
        chunks = sheet_data_chunks(pending.sheet, pending.styles, pending.header_style)
        _write_overlapped(out, (chunk.encode() for chunk in chunks))
        out.write(text_xml[match.end() :].encode())


def _write_overlapped(out: IO[bytes], pieces: Iterator[bytes]) -> None:
    """Write ``pieces`` to ``out`` from a second thread.

    zlib and crc32 release the GIL, so compressing one chunk overlaps with
    generating the next: about a quarter off the wall time on two cores.
    """
    todo: queue.Queue[bytes | None] = queue.Queue(maxsize=3)
    failed: list[BaseException] = []

    def pump() -> None:
        while (piece := todo.get()) is not None:
            if not failed:
                try:
                    out.write(piece)
                except BaseException as exc:  # re-raised in the calling thread
                    failed.append(exc)

    worker = threading.Thread(target=pump, name="xlcrm-zip", daemon=True)
    worker.start()
    try:
        for piece in pieces:
            if failed:
                break
            todo.put(piece)
    finally:
        todo.put(None)
        worker.join()
    if failed:
        raise failed[0]


# Messages of the output side, per language: (message, hint).
_OUTPUT_MESSAGES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "locked": {
        "en": (
            "the file is open in Excel (its lock file exists)",
            "close it in Excel and run again",
        ),
        "zh": ("文件正在 Excel 中打开（存在锁定文件）", "请在 Excel 中关闭该文件后重新运行"),
    },
    "folder": {
        "en": ("cannot write in folder {folder!r}: {reason}", "choose another output with -o"),
        "zh": ("无法写入文件夹 {folder!r}：{reason}", "请用 -o 选择其他输出位置"),
    },
    "write": {
        "en": (
            "cannot write the file: {reason}; nothing was overwritten",
            "free some disk space or choose another output with -o",
        ),
        "zh": (
            "无法写入文件：{reason}；没有覆盖任何文件",
            "请腾出磁盘空间，或用 -o 选择其他输出位置",
        ),
    },
    "replace": {
        "en": (
            "cannot replace the file: {reason}; it was left unchanged",
            "close it in any program that has it open, or choose another output with -o",
        ),
        "zh": (
            "无法替换该文件：{reason}；文件未被改动",
            "请关闭占用该文件的程序，或用 -o 选择其他输出位置",
        ),
    },
    "suffix": {
        "en": ("--in-place works on .xlsx and .xlsm workbooks only", "write to a new file with -o"),
        "zh": ("--in-place 只适用于 .xlsx 和 .xlsm 工作簿", "请用 -o 写入新文件"),
    },
    "lose": {
        "en": (
            "--in-place would lose {what}; the file was left unchanged",
            "run without --in-place to write the results to a new file",
        ),
        "zh": ("--in-place 会丢失{what}；文件未被改动", "请去掉 --in-place，把结果写入新文件"),
    },
    "not_workbook": {
        "en": ("not an Excel workbook (.xlsx/.xlsm)", "save it as .xlsx"),
        "zh": ("不是 Excel 工作簿（.xlsx/.xlsm）", "请另存为 .xlsx"),
    },
}


def _output_error(code: str, lang: str, file: Path, **fields: object) -> OutputError:
    table = _OUTPUT_MESSAGES[code]
    message, hint = table.get(lang, table["en"])
    return OutputError(message.format(**fields), file=str(file), hint=hint)


def _lock_file(target: Path) -> Path:
    """Excel's owner file ``~$NAME`` beside a workbook it has open."""
    return target.with_name(f"~${target.name}")


def atomic_write(
    target: Path, write: Callable[[zipfile.ZipFile], None], *, lang: str = "en"
) -> None:
    """Write a zip package to ``target`` atomically (:func:`xlcrm.files.replacing`)."""
    if _lock_file(target).exists():
        raise _output_error("locked", lang, target)
    stage_codes = {"open": "folder", "write": "write", "replace": "replace"}
    folder = target.parent if str(target.parent) else Path(".")
    try:
        with (
            files.replacing(target) as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as dst,
        ):
            write(dst)
    except files.WriteFailed as exc:
        raise _output_error(
            stage_codes[exc.stage], lang, target, folder=str(folder), reason=exc.reason
        ) from None


# --- in-place safety --------------------------------------------------------------------

# Package parts openpyxl does not carry over (or only partly): their presence
# makes --in-place refuse before anything is loaded or written.
_UNSAFE_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("xl/charts/", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/drawings/", "drawings (charts, images or shapes)"),
    ("xl/media/", "images"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/pivotCache/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/queryTables/", "query tables"),
    ("xl/connections.xml", "data connections"),
    ("xl/model/", "a data model"),
    ("xl/threadedComments/", "threaded comments"),
    ("customUI/", "a custom ribbon"),
)
_EXTENSION_MARK: Final = b"<extLst"
_EXTENSIONS: Final = "Excel extensions (sparklines, newer conditional formats or validations)"
_PART_WORDS_ZH: Final[dict[str, str]] = {
    "charts": "图表",
    "chart sheets": "图表工作表",
    "drawings (charts, images or shapes)": "绘图（图表、图片或形状）",
    "images": "图片",
    "pivot tables": "数据透视表",
    "slicers": "切片器",
    "timelines": "日程表",
    "form controls": "表单控件",
    "ActiveX controls": "ActiveX 控件",
    "embedded objects": "嵌入对象",
    "query tables": "查询表",
    "data connections": "数据连接",
    "a data model": "数据模型",
    "threaded comments": "批注会话",
    "a custom ribbon": "自定义功能区",
    "macros": "宏",
    _EXTENSIONS: "Excel 扩展功能（迷你图、新版条件格式或数据验证）",
}


def unsafe_parts(path: str | os.PathLike[str], *, lang: str = "en") -> list[str]:
    """What in the workbook at ``path`` openpyxl would drop on saving (empty = safe).

    Reads only the zip directory and the package's XML parts, never loads the
    workbook. Parts of xlcrm's own sheets (the dashboard charts of an earlier
    run) do not count: those sheets are replaced. VBA counts as unsafe in a
    .xlsx-named file only: a .xlsm is loaded with ``keep_vba``.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _output_error("not_workbook", lang, path) from None
    found: list[str] = []
    with archive:
        names = archive.namelist()
        own = _own_parts(archive) if "xl/workbook.xml" in names else set()
        for name in names:
            if name in own:
                continue
            if _is_comment_vml(name):
                continue  # legacy comment boxes: openpyxl rewrites them
            for prefix, what in _UNSAFE_PARTS:
                if name.startswith(prefix) and what not in found:
                    found.append(what)
            if (
                name.endswith("vbaProject.bin")
                and path.suffix.lower() != ".xlsm"
                and "macros" not in found
            ):
                found.append("macros")
        for name in names:
            sheet_part = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if sheet_part and name not in own and _part_contains(archive, name, _EXTENSION_MARK):
                found.append(_EXTENSIONS)
                break
    if lang == "zh":
        return [_PART_WORDS_ZH.get(what, what) for what in found]
    return found


def _is_comment_vml(name: str) -> bool:
    return name.startswith("xl/drawings/") and (name.endswith(".vml") or name.endswith(".vml.rels"))


def _part_rels(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(relationship type, absolute part name) of the relationships of ``part``."""
    folder = part.rpartition("/")[0]
    try:
        root = ElementTree.fromstring(archive.read(_rels_name(part)))
    except KeyError:
        return []
    out = []
    for rel in root:
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        if target.startswith("/"):
            absolute = target.lstrip("/")
        else:
            absolute = posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Type", "").rsplit("/", 1)[-1], absolute))
    return out


def _rels_name(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def _own_parts(archive: zipfile.ZipFile) -> set[str]:
    """Parts that belong to sheets xlcrm wrote (named like ours, holding an xlcrm_ table)."""
    own: set[str] = set()
    for name, part in _sheet_parts(archive).items():
        if name not in OWN_SHEET_NAMES or not part:
            continue
        rels = _part_rels(archive, part)
        tables = [t for kind, t in rels if kind == "table"]
        if not any(_table_name(archive, t).startswith(TABLE_PREFIX) for t in tables):
            continue
        own.update((part, _rels_name(part)))
        todo = [t for _, t in rels]
        while todo:
            item = todo.pop()
            if item in own:
                continue
            own.update((item, _rels_name(item)))
            todo.extend(t for _, t in _part_rels(archive, item))
    return own


def _table_name(archive: zipfile.ZipFile, part: str) -> str:
    try:
        root = ElementTree.fromstring(archive.read(part))
    except (KeyError, ElementTree.ParseError):
        return ""
    return root.get("displayName", "")


def _part_contains(archive: zipfile.ZipFile, name: str, needle: bytes) -> bool:
    tail = b""
    with archive.open(name) as fh:
        while chunk := fh.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def check_in_place(path: str | os.PathLike[str], *, lang: str = "en") -> None:
    """Raise :class:`OutputError` unless xlcrm can add sheets to ``path`` without loss.

    Also refuses a workbook open in Excel (its ``~$`` lock file exists): Excel
    would later save its own copy over ours.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _output_error("suffix", lang, path)
    if _lock_file(path).exists():
        raise _output_error("locked", lang, path)
    found = unsafe_parts(path, lang=lang)
    # openpyxl also flattens rich text (runs of differently formatted text in a
    # cell) and drops dynamic-array metadata, turning =SORT(UNIQUE(...)) into a
    # legacy array formula
    words = {
        "rich": ("rich text (differently formatted words in a cell)", "单元格中的富文本格式"),
        "meta": ("dynamic array formulas (xl/metadata.xml)", "动态数组公式（xl/metadata.xml）"),
    }
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/metadata.xml" in names:
            found.append(words["meta"][lang == "zh"])
        rich = "xl/sharedStrings.xml" in names and re.search(
            rb"<(?:\w+:)?r>", archive.read("xl/sharedStrings.xml")
        )
        rich = rich or any(  # rich text written inline in a sheet
            re.search(rb"<is>\s*<r>", archive.read(name))
            for name in names
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
        if rich:
            found.append(words["rich"][lang == "zh"])
    if found:
        raise _output_error("lose", lang, path, what=", ".join(found))


# --- the entry point -------------------------------------------------------------------


def default_output(book: str | os.PathLike[str]) -> Path:
    """``BOOK.xlcrm.xlsx`` beside the input."""
    book = Path(book)
    return book.with_name(f"{book.stem}.xlcrm.xlsx")


def write_results(
    analysis: AnalysisLike,
    data: Any,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    in_place: bool = False,
) -> Path:
    """Write the result sheets of ``analysis`` to ``path``; return the path.

    Parameters
    ----------
    analysis
        The ``Analysis`` from ``xlcrm.core.analysis.analyze``.
    data
        The ``WorkbookData`` the reader returned (its ``quality`` rows go to
        the Data quality sheet), a quality frame, or None.
    path
        A new workbook is written there; with ``in_place=True`` it is an
        existing workbook that gets xlcrm's sheets (replacing older ones).
    lang
        ``"en"`` or ``"zh"``.
    """
    from openpyxl import Workbook, load_workbook

    quality = data if isinstance(data, pd.DataFrame) else getattr(data, "quality", None)
    path = Path(path)
    if in_place:
        check_in_place(path, lang=lang)
        wb = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    pending = add_result_sheets(wb, analysis, quality, lang=lang, in_place=in_place)
    return save_workbook(wb, pending, path, lang=lang, original=path if in_place else None)
