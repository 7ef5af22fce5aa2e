"""What reps typed into xlcrm's own sheets, kept when xlcrm writes them again.

Reps fill in the Call plan's Done (a date) and Note columns, and may change a
grade on the Follow-ups sheet. Before a new run replaces those sheets,
:func:`read_typed` collects what was typed, from the rows of the sheets (a
file's or the open workbook's). Then either

* :func:`write_back_edits` turns it into edits of the workbook itself: done
  calls appended to Activities (the sheet is created when absent), typed
  grades into the Customers sheet's grade column. ``xlcrm log``,
  ``xlcrm analyze --in-place`` and the ribbon buttons do this; or
* :func:`carry_over` uses it for this run without touching the input: done
  calls count as contacts, typed grades as given grades, and the writer keeps
  the rows in the new Call plan (:func:`xlcrm.xlsx.sheets.callplan_sheet`)
  until they are logged.

Either way nothing a rep typed is lost by running xlcrm again.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm import files
from xlcrm.core import cells, schema
from xlcrm.core.errors import OutputError
from xlcrm.locale import LANGS, N_, tp
from xlcrm.xlsx.columns import SHEET_NAMES, header
from xlcrm.xlsx.sheets import CALLPLAN_KEYS

__all__ = [
    "Edits",
    "Typed",
    "apply_edits",
    "carry_over",
    "read_typed",
    "typed_from_file",
    "write_back_edits",
]

Rows = list[list[Any]]

#: Headers of a note column on the Activities sheet (matched like any header).
NOTE_HEADERS: Final = ("Note", "Notes", "Comment", "备注", "说明", "记录")
#: Rows searched for a header row on the user's sheets.
_HEADER_ROWS: Final = 20


@dataclass(frozen=True)
class Typed:
    """What reps typed: Call plan rows with a Done date or a Note, and grades.

    ``calls`` has the Call plan's columns (:data:`CALLPLAN_KEYS`, ``done``
    as datetime64); ``grades`` has ``customer_id`` and ``grade``; ``quality``
    holds Data quality rows for Done cells that are not dates (those rows
    are kept as notes, not logged).
    """

    calls: pd.DataFrame = field(default_factory=lambda: _empty_calls())
    grades: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"customer_id": [], "grade": []}, dtype=object)
    )
    quality: pd.DataFrame | None = None

    @property
    def done(self) -> pd.DataFrame:
        """Calls with a Done date."""
        return self.calls[self.calls["done"].notna()]

    @property
    def notes(self) -> pd.DataFrame:
        """Rows with a note but no Done date."""
        return self.calls[self.calls["done"].isna()]

    @property
    def empty(self) -> bool:
        return self.calls.empty and self.grades.empty

    def without_done(self) -> Typed:
        """What is left once the done calls are logged: the notes and nothing else."""
        return Typed(self.notes.reset_index(drop=True), self.grades.iloc[0:0], self.quality)


def _empty_calls() -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in CALLPLAN_KEYS})
    frame["done"] = pd.Series([], dtype="datetime64[ns]")
    frame["date"] = pd.Series([], dtype="datetime64[ns]")
    return frame


def _keys_of(head: Sequence[Any], wanted: Sequence[str]) -> dict[str, int]:
    """Canonical key -> column of a header row of one of xlcrm's sheets (either language)."""
    names: dict[str, str] = {}
    for key in wanted:
        for lang in LANGS:
            names[schema.header_key(header(key, lang))] = key
    found: dict[str, int] = {}
    for i, cell in enumerate(head):
        known = names.get(schema.header_key(cell)) if cell is not None else None
        if known is not None and known not in found:
            found[known] = i
    return found


def _column(rows: Rows, at: int | None) -> np.ndarray:
    if at is None:
        return np.full(len(rows), None, dtype=object)
    return np.array([row[at] if at < len(row) else None for row in rows], dtype=object)


def _own_sheet(sheets: Mapping[str, Rows], key: str) -> tuple[str, Rows] | None:
    for name in SHEET_NAMES[key].values():
        if sheets.get(name):
            return name, sheets[name]
    return None


def read_typed(sheets: Mapping[str, Rows]) -> Typed:
    """Collect what reps typed into xlcrm's Call plan and Follow-ups sheets.

    Parameters
    ----------
    sheets
        Sheet name -> its rows (row 1 first, the header), for the sheets
        available; sheets missing or not xlcrm's give nothing.
    """
    calls = _empty_calls()
    quality = None
    found = _own_sheet(sheets, "callplan")
    if found is not None:
        name, rows = found
        at = _keys_of(rows[0], CALLPLAN_KEYS)
        body = rows[1:]
        if "customer_id" in at and body:
            columns = {k: _column(body, at.get(k)) for k in CALLPLAN_KEYS}
            ids = cells.parse_ids(columns["customer_id"]).values
            done = cells.parse_dates(columns["done"])
            note = cells.parse_text(columns["note"]).values
            bad = ~done.blank & done.values.isna().to_numpy()
            typed = ids.notna().to_numpy() & (
                done.values.notna().to_numpy() | note.notna().to_numpy() | bad
            )
            frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
            frame["customer_id"] = ids.astype(object)
            frame["note"] = note.astype(object)
            frame["done"] = done.values
            frame["date"] = cells.parse_dates(columns["date"]).values
            calls = frame.loc[typed].reset_index(drop=True)
            if bad.any():
                rows_at = np.flatnonzero(bad & ids.notna().to_numpy()) + 2
                quality = pd.DataFrame(
                    {
                        "sheet": name,
                        "row": rows_at.astype(np.int64),
                        "column": str(rows[0][at["done"]]),
                        "value": [str(v) for v in columns["done"][rows_at - 2]],
                        "reason": cells.BAD_DATE,
                        "left_out": False,
                    }
                )
    return Typed(calls, _typed_grades(sheets), quality)


def _typed_grades(sheets: Mapping[str, Rows]) -> pd.DataFrame:
    """Grades on the Follow-ups sheet that a rep changed, or typed there on an earlier run."""
    empty = pd.DataFrame({"customer_id": [], "grade": []}, dtype=object)
    found = _own_sheet(sheets, "followups")
    if found is None:
        return empty
    _, rows = found
    at = _keys_of(rows[0], ("customer_id", "grade", "grade_written", "grade_source"))
    body = rows[1:]
    if not body or not {"customer_id", "grade", "grade_written"} <= at.keys():
        return empty
    ids = cells.parse_ids(_column(body, at["customer_id"])).values
    grade = cells.parse_grades(_column(body, at["grade"])).values
    written = cells.parse_grades(_column(body, at["grade_written"])).values
    source = pd.Series(_column(body, at.get("grade_source")), dtype=object)
    on_sheet = {tp("grade source", "typed on Follow-ups", lang) for lang in LANGS}
    changed = grade.notna() & (grade.ne(written) | source.isin(on_sheet))
    keep = (changed & ids.notna()).to_numpy()
    return pd.DataFrame(
        {
            "customer_id": ids[keep].to_numpy(dtype=object),
            "grade": grade[keep].to_numpy(dtype=object),
        }
    )


def typed_from_file(path: str | os.PathLike[str]) -> Typed:
    """:func:`read_typed` of a workbook file; nothing when it has no xlcrm sheets."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        return Typed()
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # not a workbook xlcrm wrote: nothing typed to keep
        return Typed()
    wanted = {n for key in ("callplan", "followups") for n in SHEET_NAMES[key].values()}
    sheets: dict[str, Rows] = {}
    for name in book.sheet_names:
        if name in wanted:
            rows = book.get_sheet_by_name(name).to_python()
            sheets[name] = [[None if v == "" else v for v in row] for row in rows]
    return read_typed(sheets)


# --- using it for this run only ------------------------------------------------


def done_activities(typed: Typed, lang: str) -> pd.DataFrame:
    """The done calls as Activities rows: ``customer_id``, ``date``, ``kind`` (a call), ``note``."""
    done = typed.done
    return pd.DataFrame(
        {
            "customer_id": done["customer_id"].astype(object).to_numpy(),
            "date": pd.to_datetime(done["done"]).to_numpy(dtype="datetime64[ns]"),
            "kind": "call",
            "note": done["note"].astype(object).to_numpy(),
        }
    )


def carry_over(data: Any, typed: Typed) -> Any:
    """``data`` (a :class:`~xlcrm.xlsx.reader.WorkbookData`) with what reps typed, in memory.

    Done calls are added to the activities, typed grades replace the
    Customers sheet's grade of those customers (customers not on the sheet
    are added with their grade). The input file is not touched.
    """
    if typed.empty:
        return data
    changes: dict[str, Any] = {}
    if len(typed.done):
        extra = done_activities(typed, "en")[["customer_id", "date", "kind"]]
        base = data.activities
        changes["activities"] = (
            extra
            if base is None
            else pd.concat([base, extra.reindex(columns=base.columns)], ignore_index=True)
        )
    if len(typed.grades):
        customers = data.customers
        grades = typed.grades.drop_duplicates("customer_id", keep="last")
        if customers is None:
            customers = grades.copy()
        else:
            customers = customers.copy()
            ids = customers["customer_id"].astype(object)
            by_id = grades.set_index("customer_id")["grade"]
            found = ids.map(by_id)
            customers["grade"] = found.where(found.notna(), customers.get("grade")).astype(object)
            missing = grades[~grades["customer_id"].isin(set(ids))]
            if len(missing):
                customers = pd.concat(
                    [customers, missing.reindex(columns=customers.columns)], ignore_index=True
                )
        changes["customers"] = customers
    if typed.quality is not None and len(typed.quality):
        changes["quality"] = pd.concat([data.quality, typed.quality], ignore_index=True)
    return dataclasses.replace(data, **changes)


# --- writing it back into the workbook ----------------------------------------------


@dataclass
class Edits:
    """Changes to a workbook's own sheets: cells to set and sheets to add.

    ``cells``: (sheet, row, column, value), rows and columns from 1 as Excel
    counts; ``new_sheets``: (name, rows); ``tables``: sheet -> last row its
    Excel table must reach. ``logged`` calls, ``graded`` customers.
    """

    cells: list[tuple[str, int, int, Any]] = field(default_factory=list)
    new_sheets: list[tuple[str, Rows]] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    logged: int = 0
    graded: int = 0

    @property
    def empty(self) -> bool:
        return not self.cells and not self.new_sheets


def _find_sheet(names: Sequence[str], table: str) -> str | None:
    wanted = {schema.header_key(a) for a in schema.SHEET_ALIASES[table]}
    for name in names:
        if schema.header_key(name) in wanted:
            return name
    return None


def _header_row(
    rows: Rows, table: str, extra: Mapping[str, Sequence[str]] | None = None
) -> tuple[int, dict[str, int]]:
    """Header row (0-based) of a user's sheet and canonical key -> column (0-based)."""
    aliases = {**schema.COLUMN_ALIASES[table], **(extra or {})}
    keys = {schema.header_key(a): key for key, names in aliases.items() for a in names}
    best: tuple[int, dict[str, int]] = (-1, {})
    for r, row in enumerate(rows[:_HEADER_ROWS]):
        found: dict[str, int] = {}
        for c, cell in enumerate(row):
            key = keys.get(schema.header_key(cell)) if cell is not None else None
            if key is not None and key not in found:
                found[key] = c
        if "customer_id" in found and len(found) > len(best[1]):
            best = (r, found)
    return best


def _used_rows(rows: Rows) -> int:
    """Rows up to the last one with a value."""
    for i in range(len(rows) - 1, -1, -1):
        if any(v is not None and v != "" for v in rows[i]):
            return i + 1
    return 0


def write_back_edits(
    sheets: Mapping[str, Rows],
    typed: Typed,
    *,
    lang: str,
    found: Mapping[str, str] | None = None,
) -> Edits:
    """The edits that put ``typed`` into the workbook whose sheets are ``sheets``.

    Done calls are appended below the Activities sheet's last row (customer,
    Done date as the date, "call" in the sheet's language, the note in a Note
    column, added when missing); a workbook without Activities gets the
    sheet. Typed grades go into the Customers sheet's grade column (added
    when missing) on the rows of those customers. ``found``: table ->
    sheet the reader read it from (``WorkbookData.sheet_names``), so a sheet
    named on the Settings sheet is the one written; else sheets are found by
    their usual names.
    """
    edits = Edits()
    names = list(sheets)
    found = found or {}
    done = done_activities(typed, lang)
    if len(done):
        call = tp("activity kind", "Call", lang)
        name = found.get("activities") or _find_sheet(names, "activities")
        if name is None or name not in sheets:
            heads = [
                header("customer_id", lang),
                tp("activities sheet", "Date", lang),
                tp("activities sheet", "Kind", lang),
                header("note", lang),
            ]
            body = [
                [cid, pd.Timestamp(day).to_pydatetime(), call, note]
                for cid, day, note in zip(
                    done["customer_id"], done["date"], done["note"], strict=True
                )
            ]
            edits.new_sheets.append((schema.INPUT_SHEET_NAMES["activities"][lang], [heads, *body]))
        else:
            rows = sheets[name]
            head, at = _header_row(rows, "activities", {"note": NOTE_HEADERS})
            if head < 0 or "date" not in at:
                raise OutputError(
                    N_("the Activities sheet has no customer and date headers to add the calls to"),
                    sheet=name,
                )
            width = max((len(r) for r in rows), default=0)
            if "note" not in at:
                at["note"] = width
                edits.cells.append((name, head + 1, width + 1, header("note", lang)))
            first = _used_rows(rows) + 1
            for i, (cid, day, note) in enumerate(
                zip(done["customer_id"], done["date"], done["note"], strict=True)
            ):
                r = first + i
                edits.cells.append((name, r, at["customer_id"] + 1, cid))
                edits.cells.append((name, r, at["date"] + 1, pd.Timestamp(day).to_pydatetime()))
                if "kind" in at:
                    edits.cells.append((name, r, at["kind"] + 1, call))
                if note is not None and not pd.isna(note):
                    edits.cells.append((name, r, at["note"] + 1, note))
            edits.tables[name] = first + len(done) - 1
        edits.logged = len(done)
    grades = typed.grades.drop_duplicates("customer_id", keep="last")
    if len(grades):
        name = found.get("customers") or _find_sheet(names, "customers")
        if name is not None and name in sheets:
            rows = sheets[name]
            head, at = _header_row(rows, "customers")
            if head >= 0:
                width = max((len(r) for r in rows), default=0)
                if "grade" not in at:
                    at["grade"] = width
                    edits.cells.append((name, head + 1, width + 1, header("grade", lang)))
                ids = cells.parse_ids(_column(rows[head + 1 :], at["customer_id"])).values
                where = pd.Series(np.arange(len(ids)), index=ids.astype(object).to_numpy())
                where = where[~where.index.duplicated()]
                for cid, grade in zip(grades["customer_id"], grades["grade"], strict=True):
                    if cid in where.index:
                        edits.cells.append(
                            (name, head + 2 + int(where[cid]), at["grade"] + 1, grade)
                        )
                        edits.graded += 1
    return edits


def sheets_of_file(
    path: str | os.PathLike[str], names: Sequence[str] | None = None
) -> dict[str, Rows]:
    """Every sheet's rows (or those in ``names``) of a workbook file, read with calamine."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    out: dict[str, Rows] = {}
    for name in book.sheet_names:
        if names is None or name in names:
            rows = book.get_sheet_by_name(name).to_python()
            out[name] = [[None if v == "" else v for v in row] for row in rows]
    return out


def apply_edits(path: str | os.PathLike[str], edits: Edits, *, lang: str = "en") -> Path:
    """Apply ``edits`` to the workbook file at ``path``, atomically (tables grow with the rows).

    The caller checks first that the workbook can be rewritten without loss
    (:func:`xlcrm.xlsx.writer.check_in_place`).
    """
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    for name, new_rows in edits.new_sheets:
        ws = wb.create_sheet(name)
        for new_row in new_rows:
            ws.append(new_row)
        for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            cell.number_format = "yyyy-mm-dd"
    for name, row, col, value in edits.cells:
        cell = wb[name].cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text, even "=..."
        elif hasattr(value, "year"):
            cell.number_format = "yyyy-mm-dd"
    for name, last in edits.tables.items():
        _grow_tables(wb[name], last, [e for e in edits.cells if e[0] == name])
    try:
        with files.replacing(path) as handle:
            wb.save(handle)
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write the workbook ({reason})"), file=str(path), args={"reason": exc.reason}
        ) from None
    return path


def _grow_tables(ws: Any, last: int, cells_set: list[tuple[str, int, int, Any]]) -> None:
    """Extend the sheet's Excel tables down to ``last`` and across to a new Note column."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.worksheet.table import TableColumn

    for table in ws.tables.values():
        start, _, end = table.ref.partition(":")
        top = int("".join(ch for ch in start if ch.isdigit()))
        last_col = column_index_from_string("".join(ch for ch in end if ch.isalpha()))
        bottom = int("".join(ch for ch in end if ch.isdigit()))
        for _, row, col, value in cells_set:
            if row == top and col == last_col + 1:  # a header added right of the table
                last_col = col
                table.tableColumns.append(TableColumn(id=len(table.tableColumns) + 1, name=value))
        table.ref = f"{start}:{get_column_letter(last_col)}{max(bottom, last)}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
