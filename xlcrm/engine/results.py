"""Results that scale: the full per-customer table as Parquet (and CSV), and a
summary workbook when there are more customers than a sheet should hold.

Up to ``sheet_customer_limit`` customers (Settings, default 200,000) the
workbook is the usual one, every customer on every sheet. Above it:

- ``OUT.customers.parquet`` holds every customer and every column of the
  analysis (codes, canonical names; ``docs/engines.md``), and
  ``OUT.customers.csv`` the same with headers and labels in the user's
  language when ``--csv`` is given;
- the workbook keeps the Dashboard (figures over all customers), the top
  customers of each RFM class on the RFM sheet, the follow-ups due now
  (overdue first) as the call plan, Data quality and Settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from xlcrm import files
from xlcrm.core import schema
from xlcrm.core.analysis import Analysis, plain_text
from xlcrm.core.errors import OutputError
from xlcrm.core.parts import Parts
from xlcrm.engine.memory import give_back
from xlcrm.locale import N_
from xlcrm.xlsx import columns, layout, writer
from xlcrm.xlsx.dashboard import build_dashboard
from xlcrm.xlsx.sheets import build_result_sheets

__all__ = ["TOP_PER_CLASS", "Written", "write_outputs"]

#: Customers per RFM class on the summary workbook's RFM sheet (the biggest spenders).
TOP_PER_CLASS: Final = 100
#: Rows converted to Arrow at a time when writing the full table.
CHUNK_ROWS: Final = 500_000
#: The columns kept for every customer while the slices stream to Parquet (text as
#: categories): what the Dashboard and its key figures (``core.analysis.summary``), the
#: call plan (``core.plan.build_plan``), the pool's reasons (``xlsx.sheets.attention_texts``)
#: and the command's summary read. Every other column costs 80 MB per 10 million customers.
LEAN_COLUMNS: Final = (
    "customer_id",
    "name",
    "owner",
    "recency_days",
    "frequency",
    "monetary",
    "rfm_class",
    "segment",
    "tier",
    "churn_warning",
    "grade",
    "grade_source",
    "expected_close",
    "requalify",
    "cadence_days",
    "last_contact",
    "contact_source",
    "next_followup",
    "overdue_days",
    "urgency",
    "action_key",
    "needs_followup",
    "pool",
    "expected_value",
    "expected_margin",
)
#: Lean columns with a value per customer: kept as they are, not as categories.
_DISTINCT: Final = frozenset({"customer_id", "name"})


@dataclass(frozen=True)
class Written:
    """Where each part of the result went (and the analysis the workbook shows)."""

    analysis: Analysis
    workbook: Path
    full_workbook: bool  # every customer is on the sheets
    parquet: Path | None = None
    csv: Path | None = None
    customers: int = 0
    top_rows: int = 0
    plan_rows: int = 0


def table_paths(workbook: Path) -> tuple[Path, Path]:
    """``OUT.customers.parquet`` and ``OUT.customers.csv`` beside workbook ``OUT.xlsx``."""
    stem = workbook.with_suffix("")
    return stem.with_name(stem.name + ".customers.parquet"), stem.with_name(
        stem.name + ".customers.csv"
    )


def write_outputs(
    result: Analysis | Parts,
    data: Any,
    target: Path,
    *,
    lang: str,
    csv: bool = False,
    limit: int | None = None,
    step: Callable[[str], None] | None = None,
) -> Written:
    """Write the workbook (full, or a summary above the limit) and the full table.

    ``result`` is an :class:`Analysis` (every customer in one frame) or
    :class:`Parts` (customers in slices, streamed to Parquet/CSV).
    """
    analysis = result.analysis if isinstance(result, Parts) else result
    limit = analysis.settings.sheet_customer_limit if limit is None else limit
    parquet_path, csv_path = table_paths(target)
    if isinstance(result, Analysis) and len(result.customers) <= limit:
        book = writer.write_results(result, data, target, lang=lang)
        written_csv = _write_csv([result.customers], csv_path, lang) if csv else None
        return Written(result, book, True, None, written_csv, len(result.customers))
    # the slices' values are let go after the last file that streams them
    frames = (
        result.frames(last=not csv, coded=True)
        if isinstance(result, Parts)
        else iter([result.customers])
    )
    if step is not None:
        step("parquet")
    kept = _Keeper(limit)
    _write_parquet(kept.watch(frames), parquet_path)
    give_back()
    lean = dataclasses.replace(analysis, customers=kept.lean())
    written_csv = None
    if csv:
        again = result.frames(last=True) if isinstance(result, Parts) else iter([result.customers])
        written_csv = _write_csv(again, csv_path, lang)
    if step is not None:
        step("workbook")
    summary = kept.summary()
    give_back()
    book = write_summary_workbook(lean, summary, data, target, lang=lang)
    return Written(
        lean,
        book,
        False,
        parquet_path,
        written_csv,
        kept.n,
        int(summary["top"].sum()),
        int(summary["plan"].sum()),
    )


class _Keeper:
    """What the summary workbook needs, gathered while the slices stream past: the
    lean columns of everyone, the top spenders per class, the first follow-ups due."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.n = 0
        self._lean: list[pd.DataFrame] = []
        self._top: list[pd.DataFrame] = []
        self._plan: list[pd.DataFrame] = []

    def watch(self, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            self.n += len(frame)
            lean = frame[list(LEAN_COLUMNS)].copy()
            for column in lean.columns:
                if column in _DISTINCT or isinstance(lean[column].dtype, pd.CategoricalDtype):
                    continue
                if lean[column].dtype == object or pd.api.types.is_string_dtype(lean[column]):
                    lean[column] = lean[column].astype("category")
            self._lean.append(lean)
            self._top.append(_top_rows(frame))
            # the first ``limit`` of everyone are the first of (those so far + this slice's
            # first): (due date, id) orders every customer, so only ``limit`` rows are kept
            kept = self._plan[0] if self._plan else frame.iloc[:0]
            full = len(kept) >= self.limit
            last = kept["next_followup"].to_numpy(dtype="datetime64[ns]")[-1] if full else None
            due = _plan_rows(frame, self.limit, before=last)
            self._plan = [_plan_rows(_concat([kept, due]), self.limit)]
            yield frame

    def lean(self) -> pd.DataFrame:
        if not self._lean:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in LEAN_COLUMNS})
        columns = {}
        for column in list(self._lean[0].columns):  # a column at a time, the pieces let go
            pieces = [piece.pop(column) for piece in self._lean]
            columns[column] = _stack(pieces)
            del pieces
        lean = pd.DataFrame(columns)
        self._lean = [lean]
        return lean

    def summary(self) -> pd.DataFrame:
        top = _top_rows(_concat(self._top)).assign(top=True, plan=False)
        plan = self._plan[0]
        plan = plan.assign(top=False, plan=True)
        both = pd.concat([top, plan], ignore_index=True)
        return pd.DataFrame(plain_text({str(name): both[name] for name in both.columns}))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``frames`` one under the other, a column at a time (:func:`_stack`)."""
    return pd.DataFrame({c: _stack([f[c] for f in frames]) for c in frames[0].columns})


def _stack(pieces: list[pd.Series]) -> pd.Series:
    """A column's pieces one under the other. Categorical in every piece, it stays
    categorical, the slices' categories united (they differ between slices)."""
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
        return pd.Series(union_categoricals(pieces, ignore_order=True))
    return pd.concat(pieces, ignore_index=True)


def _top_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The biggest spenders of each RFM class; among equal spend the one first in
    ``frame`` (the frames come sorted by customer id, so the lower id)."""
    codes, _ = pd.factorize(frame["rfm_class"])
    buyers = np.flatnonzero(codes >= 0)
    spend = frame["monetary"].to_numpy(dtype=float)[buyers]
    order = buyers[np.lexsort((-spend, codes[buyers]))]  # stable: ties keep their order
    classes = codes[order]
    starts = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return frame.iloc[order[rank < TOP_PER_CLASS]].reset_index(drop=True)


def _plan_rows(frame: pd.DataFrame, limit: int, before: Any = None) -> pd.DataFrame:
    """Follow-ups due now, the earliest (overdue longest) first, at most ``limit``;
    on the same day the one first in ``frame`` (sorted by customer id). ``before``:
    only those due strictly before it (a later frame's rows cannot displace a kept
    row due on the same day)."""
    due = frame["needs_followup"].to_numpy(dtype=bool)
    when = frame["next_followup"].to_numpy(dtype="datetime64[ns]")
    if before is not None:
        due = due & (when < before)
    rows = np.flatnonzero(due)
    order = rows[np.argsort(when[rows], kind="stable")[:limit]]
    return frame.iloc[order].reset_index(drop=True)


# --- the full table ----------------------------------------------------------------------


def _arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    fields = []
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kind = pa.bool_()
        elif pd.api.types.is_integer_dtype(dtype):
            kind = pa.int64()
        elif pd.api.types.is_float_dtype(dtype):
            kind = pa.float64()
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = pa.date32()
        else:
            kind = pa.string()
        fields.append(pa.field(str(name), kind))
    return pa.schema(fields)


def _chunk(frame: pd.DataFrame, schema_: pa.Schema) -> pa.Table:
    columns = []
    for field in schema_:
        values = frame[field.name]
        if isinstance(values.dtype, pd.CategoricalDtype):  # text of few values, as codes
            coded = pa.array(values, from_pandas=True)
            columns.append(coded.cast(field.type) if coded.type != field.type else coded)
        elif pa.types.is_date32(field.type):
            days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            columns.append(pa.array(days, pa.date32(), mask=np.isnat(days)))
        elif pa.types.is_string(field.type) and isinstance(values.dtype, pd.StringDtype):
            columns.append(pa.array(values, pa.string(), from_pandas=True))  # no Python loop
        elif pa.types.is_string(field.type):
            obj = values.astype(object)
            columns.append(pa.array(obj.where(obj.notna(), None).tolist(), pa.string()))
        else:
            columns.append(pa.array(values, field.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema_)


def _write_parquet(frames: Iterator[pd.DataFrame], path: Path) -> Path:
    first = next(frames)
    schema_ = _arrow_schema(first)
    try:
        # Arrow encodes and compresses on a thread of its own (it lets go of the GIL)
        # while the next slice of customers is made: one chunk waits at most
        with (
            files.replacing(path) as handle,
            pq.ParquetWriter(handle, schema_, compression="zstd") as out,
            ThreadPoolExecutor(1) as pool,
        ):
            pending: Future[None] | None = None
            for frame in _chain(first, frames):
                for start in range(0, max(len(frame), 1), CHUNK_ROWS):
                    chunk = _chunk(frame.iloc[start : start + CHUNK_ROWS], schema_)
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(out.write_table, chunk)
                    del chunk
            if pending is not None:
                pending.result()
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write the file: {reason}"), file=str(path), args={"reason": exc.reason}
        ) from None
    return path


def _csv_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for column, fn in (
        ("rfm_class", schema.label),
        ("segment", schema.label),
        ("urgency", schema.label),
        ("tier", schema.tier_label),
    ):
        codes = out[column].dropna().unique().tolist()
        out[column] = out[column].map({c: fn(str(c), lang) for c in codes})
    out.columns = [_header(c, lang) for c in out.columns]
    return out


def _chain(first: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield from rest


def _header(key: str, lang: str) -> str:
    try:
        return columns.header(key, lang)
    except KeyError:  # a column no sheet shows keeps its canonical name
        return key


def _write_csv(frames: Iterable[pd.DataFrame], path: Path, lang: str) -> Path:
    header = True
    try:
        with files.replacing(path) as handle:
            handle.write("\ufeff".encode())  # Excel opens UTF-8 with a BOM correctly
            for frame in frames:
                for start in range(0, max(len(frame), 1), CHUNK_ROWS):
                    part = _csv_frame(frame.iloc[start : start + CHUNK_ROWS], lang)
                    text = part.to_csv(index=False, header=header, date_format="%Y-%m-%d")
                    header = False
                    handle.write(text.encode("utf-8"))
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write the file: {reason}"), file=str(path), args={"reason": exc.reason}
        ) from None
    return path


# --- the summary workbook ------------------------------------------------------------------


def write_summary_workbook(
    analysis: Analysis, summary: pd.DataFrame, data: Any, target: Path, *, lang: str
) -> Path:
    """Dashboard and Call plan over all customers; RFM = top customers per class;
    Follow-ups = the follow-ups due now; Data quality; Settings (as the writer lays
    them out, :func:`xlcrm.xlsx.layout.add_result_sheets`)."""
    from openpyxl import Workbook

    from xlcrm.core.currency import Currency
    from xlcrm.core.plan import build_plan
    from xlcrm.locale import t
    from xlcrm.xlsx.dashsheet import add_dashboard
    from xlcrm.xlsx.printing import use_font

    quality = data if isinstance(data, pd.DataFrame) else getattr(data, "quality", None)
    settings = analysis.settings
    settings_name = columns.settings_sheet_name(lang, in_place=False)
    customers = analysis.customers
    found = getattr(analysis, "insights", None)
    if found is not None:  # what makes a follow-up urgent (insights.with_insights, lean)
        customers = customers.assign(
            open_complaint=found.customers["open_complaint"].to_numpy(dtype=bool),
            stuck_deal=found.customers["stuck_deal"].to_numpy(dtype=bool),
        )
    plan = build_plan(customers, as_of=analysis.as_of, settings=settings, backlog_rows=False)
    del customers
    top = dataclasses.replace(analysis, customers=_ordered(summary[summary["top"]]))
    due = dataclasses.replace(analysis, customers=summary[summary["plan"]].reset_index(drop=True))
    tops = build_result_sheets(
        top, None, lang=lang, settings_sheet=settings_name, plan=plan, only=("rfm",)
    )
    plans = build_result_sheets(
        due,
        quality,
        lang=lang,
        settings_sheet=settings_name,
        plan=plan,
        only=("callplan", "followups", "quality"),
    )
    keyed = {sheet.key: sheet for sheet in plans}
    chosen = [keyed[k] for k in ("callplan", "followups", "quality") if k in keyed]
    chosen.insert(min(1, len(chosen)), next(sheet for sheet in tops if sheet.key == "rfm"))
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    use_font(wb, lang)
    company = str(getattr(settings, "company", "") or "")
    money = getattr(settings, "money", Currency())
    as_of_text = f"{t('Analysis date', lang)} {pd.Timestamp(analysis.as_of).date().isoformat()}"
    dash = build_dashboard(analysis, lang=lang, plan=plan)
    name = columns.SHEET_NAMES["dashboard"][lang]
    add_dashboard(wb, dash, name, lang, 0, company=company, as_of_text=as_of_text)
    pending = [
        layout._add_result_sheet(wb, sheet, k, lang, money, company, as_of_text)
        for k, sheet in enumerate(chosen, start=1)
    ]
    layout._add_settings_sheet(wb, analysis, settings_name, lang, None, company)
    hidden = wb[columns.CHART_DATA_NAMES[lang]]
    wb.move_sheet(hidden, offset=len(wb.sheetnames) - 1 - wb.index(hidden))
    wb.active = 0
    return writer.save_workbook(wb, pending, target)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Classes in the schema's order, biggest spenders first within each."""
    rank = {code: i for i, code in enumerate(schema.RFM_CLASSES)}
    key = frame["rfm_class"].map(rank).to_numpy()
    order = np.lexsort((-frame["monetary"].to_numpy(dtype=float), key))
    return frame.iloc[order].reset_index(drop=True)
