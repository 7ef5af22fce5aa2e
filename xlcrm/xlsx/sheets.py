"""Result sheet specifications: which columns each result sheet has, in which language.

Pure: :func:`build_result_sheets` turns an ``Analysis`` into plain
:class:`ResultSheet` specifications (sheet name, table name, headers, a frame
of display values, number formats, formula templates whose cached values the
frame holds, dropdowns, highlighting). :mod:`xlcrm.xlsx.layout` lays them out
in a workbook, :mod:`xlcrm.excel.book` writes them into the open workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np
import pandas as pd

from xlcrm.core import schema
from xlcrm.core.followup import contact_source_labels, describe_pool
from xlcrm.core.plan import CallPlan, build_plan, describe_calls
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import t, tn, tp

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
    # column key -> formula for row 2: true = the cell's number in red (a quiet alert)
    alerts: dict[str, str] = field(default_factory=dict)
    note: list[str] = field(default_factory=list)  # lines shown under the table
    hidden: tuple[str, ...] = ()  # column keys hidden in the workbook
    chart: dict[str, object] | None = None  # a bar chart over the table (insight_sheets)

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
    plan: CallPlan | None = None,
    kept: pd.DataFrame | None = None,
    checked: Mapping[str, int] | None = None,
    only: Collection[str] | None = None,
) -> list[ResultSheet]:
    """The Call plan, RFM, Lifecycle, Follow-ups, Value and Data quality tables of an analysis.

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
    plan
        The call plan (default: :func:`xlcrm.core.plan.build_plan` of the analysis).
    kept
        Call plan rows typed by reps to keep (:mod:`xlcrm.xlsx.carryover`):
        done calls not yet logged stay at the end, notes move to the
        customer's new row.
    checked
        Rows read per input table (``"orders"`` ...), named on the Data
        quality sheet when it found no problem.
    only
        The keys of the sheets to build (``"callplan"``, ``"rfm"``, ``"lifecycle"``,
        ``"followups"``, ``"value"``, ``"quality"``, and the insight sheets
        ``"funnel"``, ``"changes"``); default all.
    """
    if lang not in schema.LANGS:
        raise ValueError(f"lang must be one of {schema.LANGS}, not {lang!r}")
    c = analysis.customers
    settings_sheet = settings_sheet or SHEET_NAMES["settings"][lang]
    if plan is None:
        plan = build_plan(c, as_of=analysis.as_of, settings=analysis.settings)
    settings = analysis.settings
    makers: dict[str, Callable[[], ResultSheet]] = {
        "callplan": lambda: callplan_sheet(c, plan, lang, settings, kept),
        "rfm": lambda: _rfm_sheet(c, lang),
        "lifecycle": lambda: _lifecycle_sheet(c, lang, settings),
        "followups": lambda: _followup_sheet(c, lang, settings_sheet, settings, analysis.as_of),
        "value": lambda: _value_sheet(c, lang, settings),
        "quality": lambda: _quality_sheet(quality, lang, checked),
    }
    sheets = [make() for key, make in makers.items() if only is None or key in only]
    from xlcrm.xlsx.insight_sheets import extend_sheets  # funnel, loyalty, changes ...

    extended = extend_sheets(sheets, analysis, lang)
    return [sheet for sheet in extended if only is None or sheet.key in only]


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
        freeze="C2",  # ID and name stay in view
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
        freeze="C2",  # ID and name stay in view
    )


FOLLOWUP_KEYS: Final = (
    "customer_id",
    "name",
    "owner",
    "tier",
    "grade",
    "last_contact",
    "contact_source",
    "cadence_days",
    "next_followup",
    "overdue_days",
    "urgency",
    "attention",
    "action",
    "grade_source",
    "grade_written",
    "cadence_written",
    "contact_written",
    "next_written",
)
#: Follow-ups columns that hold what xlcrm computed: hidden, they tell a value
#: a rep typed (grade, last contact) from the one xlcrm wrote.
WRITTEN_KEYS: Final = ("grade_written", "cadence_written", "contact_written", "next_written")


def followup_formulas(
    settings_sheet: str,
    settings: Settings = DEFAULT_SETTINGS,
    lang: str = "en",
    keys: Sequence[str] = FOLLOWUP_KEYS,
) -> dict[str, str]:
    """Formula templates of the live follow-up columns (``{r}`` = row).

    Until a rep changes it, a row shows what xlcrm computed (the hidden
    ``*_written`` columns): the cadence by situation and the next follow-up,
    win-back included. A grade typed in switches the row to that grade's
    cadence (the Settings sheet's table); a last contact typed in gives
    last contact + cadence. Days overdue and urgency count from the named
    analysis-date cell ``xlcrm_as_of`` (urgency with the core's bounds,
    labels in ``lang``).
    """
    at = {key: col_letter(i + 1) + "{r}" for i, key in enumerate(keys)}
    grade, contact, cadence, due = (
        at["grade"],
        at["last_contact"],
        at["cadence_days"],
        at["next_followup"],
    )
    first, last = CADENCE_FIRST_ROW, CADENCE_FIRST_ROW + len(schema.GRADES) - 1
    table = f"'{settings_sheet}'!$A${first}:$B${last}"
    until = f"{due}-{AS_OF_NAME}"
    urgency = f'"{schema.label("slow", lang)}"'
    bounds = (
        (settings.not_urgent_days, "not_urgent"),
        (settings.soon_days, "soon"),
        (settings.urgent_days, "urgent"),
    )
    for days, code in bounds:
        urgency = f'IF({until}<={days},"{schema.label(code, lang)}",{urgency})'
    unchanged = f"AND({grade}={at['grade_written']},{contact}={at['contact_written']})"
    return {
        "cadence_days": f"IF({grade}={at['grade_written']},{at['cadence_written']},"
        f"VLOOKUP({grade},{table},2,FALSE))",
        "next_followup": f'IF({contact}="",{AS_OF_NAME},'
        f"IF({unchanged},{at['next_written']},{contact}+{cadence}))",
        "overdue_days": f"MAX(0,{AS_OF_NAME}-{due})",
        "urgency": urgency,
    }


def attention_texts(
    c: pd.DataFrame, lang: str, settings: Settings, as_of: pd.Timestamp
) -> pd.Series:
    """Re-qualify and pool reasons per customer, joined; missing when neither applies."""
    from xlcrm.core.followup import describe_requalify

    requalify = _flags(c, "requalify").to_numpy()
    pool = _flags(c, "pool").to_numpy()
    first = pd.Series("", index=c.index, dtype=object)
    second = pd.Series("", index=c.index, dtype=object)
    if requalify.any():
        first[requalify] = describe_requalify(c.loc[requalify, "expected_close"], lang).to_numpy()
    if pool.any():
        picked = c.loc[pool]
        since = (pd.Timestamp(as_of) - picked["last_contact"]).dt.days
        second[pool] = describe_pool(
            picked["recency_days"], since, lang, settings=settings
        ).to_numpy(dtype=object)
    sep = np.where(requalify & pool, t("; ", lang), "")
    joined = first + sep + second
    return joined.where(requalify | pool, None)


def _flags(c: pd.DataFrame, column: str) -> pd.Series:
    if column not in c.columns:
        return pd.Series(False, index=c.index)
    return c[column].fillna(False).astype(bool)


def _followup_sheet(
    c: pd.DataFrame, lang: str, settings_sheet: str, settings: Settings, as_of: pd.Timestamp
) -> ResultSheet:
    keys = list(FOLLOWUP_KEYS)
    order = c.sort_values(
        ["next_followup", "owner", "customer_id"], kind="stable", na_position="last"
    ).index
    src = c.loc[order]
    frame = _take(src, [k for k in keys if k not in ("action", "attention", *WRITTEN_KEYS)])
    frame["tier"] = _labels(frame["tier"], schema.tier_label, lang)
    frame["urgency"] = _labels(frame["urgency"], schema.label, lang)
    frame["grade_source"] = frame["grade_source"].map(
        {
            "given": tp("grade source", "given", lang),
            "derived": tp("grade source", "derived", lang),
            "default": tp("grade source", "default (no grade)", lang),
            "followups": tp("grade source", "typed on Follow-ups", lang),
        }
    )
    frame["contact_source"] = contact_source_labels(frame["contact_source"], lang).to_numpy()
    frame["attention"] = attention_texts(src, lang, settings, as_of).to_numpy()
    frame["action"] = _action_texts(src["action_key"], lang).values
    frame["grade_written"] = frame["grade"]
    frame["cadence_written"] = frame["cadence_days"]
    frame["contact_written"] = frame["last_contact"]
    frame["next_written"] = frame["next_followup"]
    frame = frame[keys]
    sheet = ResultSheet(
        "followups",
        SHEET_NAMES["followups"][lang],
        TABLE_NAMES["followups"],
        _columns(keys, lang, followup_formulas(settings_sheet, settings, lang, keys)),
        frame.reset_index(drop=True),
        freeze="C2",
        dropdowns={"grade": list(schema.GRADES)},
        dropdown_error=t("Choose a grade A to E.", lang),
        hidden=WRITTEN_KEYS,
    )
    # Only what falls due on the analysis date is highlighted; the backlog of overdue
    # rows shows its days overdue in red, so today's calls stand out.
    sheet.highlight = f"${sheet.letter('next_followup')}2={AS_OF_NAME}"
    overdue = sheet.letter("overdue_days")
    sheet.alerts = {"overdue_days": f"${overdue}2>0"}
    return sheet


CALLPLAN_KEYS: Final = (
    "date",
    "owner",
    "priority",
    "customer_id",
    "name",
    "grade",
    "why",
    "action",
    "worth",
    "done",
    "note",
)


def callplan_sheet(
    c: pd.DataFrame,
    plan: CallPlan,
    lang: str,
    settings: Settings,
    kept: pd.DataFrame | None = None,
) -> ResultSheet:
    """The Call plan: today's calls first (date, owner, priority), Done and Note to fill in.

    ``kept``: rows reps typed into an earlier plan (``customer_id``, ``done``,
    ``note`` and the other :data:`CALLPLAN_KEYS`). A note moves to the
    customer's first new row; a row with a Done date, or a note for a
    customer no longer planned, is kept as it was, after the plan.
    """
    keys = list(CALLPLAN_KEYS)
    calls = plan.calls
    pool_reason = None
    if _flags(c, "pool").any():
        pooled = c.loc[_flags(c, "pool")]
        since = (pd.Timestamp(plan.as_of) - pooled["last_contact"]).dt.days
        pool_reason = pd.Series(
            describe_pool(pooled["recency_days"], since, lang, settings=settings).to_numpy(),
            index=pooled["customer_id"].to_numpy(),
        )
    words = describe_calls(calls, lang, pool_reason=pool_reason)
    frame = pd.DataFrame(
        {
            "date": calls["date"].to_numpy(),
            "owner": calls["owner"].to_numpy(dtype=object),
            "priority": calls["priority"].to_numpy(),
            "customer_id": calls["customer_id"].to_numpy(dtype=object),
            "name": calls["name"].to_numpy(dtype=object),
            "grade": calls["grade"].to_numpy(dtype=object),
            "why": words["why"].to_numpy(dtype=object),
            "action": words["action"].to_numpy(dtype=object),
            "worth": calls["value"].to_numpy(),
            "done": pd.Series(pd.NaT, index=range(len(calls)), dtype="datetime64[ns]"),
            "note": pd.Series(None, index=range(len(calls)), dtype=object),
        }
    )
    if kept is not None and len(kept):
        frame = _with_kept(frame, kept)
    return ResultSheet(
        "callplan",
        SHEET_NAMES["callplan"][lang],
        TABLE_NAMES["callplan"],
        _columns(keys, lang),
        frame.reset_index(drop=True),
        freeze="E2",
    )


def _with_kept(frame: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Notes onto the new rows of their customer; done rows and orphan notes after the plan."""
    kept = kept.reset_index(drop=True)
    done = pd.to_datetime(kept["done"], errors="coerce").notna()
    notes = kept.loc[~done & kept["note"].notna()]
    first_row = ~frame["customer_id"].duplicated()
    by_customer = notes.drop_duplicates("customer_id", keep="last").set_index("customer_id")["note"]
    frame = frame.copy()
    found = frame["customer_id"].map(by_customer).where(first_row)
    frame["note"] = found.where(found.notna(), frame["note"]).astype(object)
    placed = set(frame.loc[found.notna(), "customer_id"])
    orphans = notes[~notes["customer_id"].isin(placed)]
    rest = pd.concat([kept.loc[done], orphans]).reindex(columns=list(CALLPLAN_KEYS))
    if not len(rest):
        return frame
    return pd.concat([frame, rest], ignore_index=True)


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
    "expected_margin",
)


def _value_sheet(c: pd.DataFrame, lang: str, settings: Settings) -> ResultSheet:
    """Customers with a purchase, by expected value (then id); model columns blank
    when the model is missing (the dashboard says why)."""
    from xlcrm.core.value import repurchase_band_label

    keys: tuple[str, ...] = VALUE_KEYS
    if "expected_margin" not in c or c["expected_margin"].isna().all():
        keys = tuple(k for k in keys if k != "expected_margin")  # no customer's margin known
    frame = _take(c[c["frequency"].to_numpy() > 0], keys)
    worth = pd.to_numeric(frame["expected_value"], errors="coerce").fillna(-1.0).to_numpy()
    frame = frame.iloc[np.lexsort((frame["customer_id"].astype(str).to_numpy(), -worth))]
    frame["repurchase_band"] = frame["repurchase_band"].map(
        lambda code: None if is_missing(code) else repurchase_band_label(str(code), lang)
    )
    columns = _columns(keys, lang)
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
        freeze="C2",  # ID and name stay in view
    )


def _checked_note(checked: Mapping[str, int] | None, lang: str) -> list[str]:
    """What the Data quality sheet says when the reader found no problem."""
    lines = [t("No problems found.", lang)]
    counts = dict(checked or {})
    rows = {table: int(counts.get(table) or 0) for table in ("orders", "customers", "activities")}
    parts = []
    if rows["orders"]:
        n = rows["orders"]
        parts.append(tn("{count} order row", "{count} order rows", n, lang, count=f"{n:,}"))
    if rows["customers"]:
        n = rows["customers"]
        parts.append(tn("{count} customer row", "{count} customer rows", n, lang, count=f"{n:,}"))
    if rows["activities"]:
        n = rows["activities"]
        parts.append(tn("{count} activity row", "{count} activity rows", n, lang, count=f"{n:,}"))
    if parts:
        lines.append(t("Rows checked: {rows}.", lang, rows=t(", ", lang).join(parts)))
    lines.append(t("What was checked:", lang))
    for check in (
        t("every required value is filled in", lang),
        t("customer IDs are valid and not repeated", lang),
        t("dates, amounts and grades can be read", lang),
        t("no cell holds an Excel error value", lang),
        t("every order and activity belongs to a known customer", lang),
    ):
        lines.append(f"• {check}")
    return lines


def _quality_sheet(
    quality: pd.DataFrame | None, lang: str, checked: Mapping[str, int] | None = None
) -> ResultSheet:
    from xlcrm.xlsx.quality import NOTICES  # rows that only inform (columns used, totals)

    keys = list(QUALITY_KEYS)
    notices_only = (
        quality is None
        or "reason" not in quality.columns
        or bool(quality["reason"].isin(NOTICES).all())
    )
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
        note=_checked_note(checked, lang) if notices_only else [],
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
