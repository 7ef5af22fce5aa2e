"""The one small workbook interface the ribbon actions use.

:class:`Book` has two implementations: :class:`XlwingsBook` reads and writes
the workbook open in Excel (classic xlwings or xlwings Lite); :class:`FileBook`
reads a workbook file with :mod:`xlcrm.xlsx.reader` and writes results next to it
with :mod:`xlcrm.xlsx.writer`, exactly as ``xlcrm analyze`` does. So every button's
action runs in CI on a file.

What gets written is laid out once, here, from the writer's pure
specifications (:func:`xlcrm.xlsx.writer.build_result_sheets`,
:func:`xlcrm.xlsx.writer.build_dashboard`): :func:`table_rows`,
:func:`dashboard_rows`.

Text stays text: Excel converts what it is given (``00123`` becomes 123,
``2024-03-05`` a date, ``=...`` a formula) unless the cell is already
formatted as text, so both books give text cells the ``@`` format before
their value (:func:`text_runs`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias

import numpy as np
import pandas as pd

from xlcrm import files
from xlcrm.xlsx.columns import NUMBER_FORMATS

if TYPE_CHECKING:
    import xlwings as xw

    from xlcrm.jobs import Job
    from xlcrm.xlsx.carryover import Edits, Typed
    from xlcrm.xlsx.dashboard import Dashboard
    from xlcrm.xlsx.reader import WorkbookData
    from xlcrm.xlsx.sheets import ResultSheet

#: A cell value as the books hand it over (``None`` for an empty cell).
CellValue: TypeAlias = (
    str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
)
Rows = list[list[CellValue]]
#: column index (0-based) -> Excel number format (from ``xlsx.columns.NUMBER_FORMATS``)
Formats = Mapping[int, str]

TEXT_FORMAT: Final = NUMBER_FORMATS["text"]
#: Excel shows a text-formatted cell of more than 255 characters as ####;
#: such long text is never read as a number or a date anyway.
TEXT_FORMAT_MAX: Final = 255
FORMULA_START: Final = ("=", "+", "-", "@")


class Book(Protocol):
    """A workbook the actions read from and write to."""

    #: Language of the add-in's ribbon (progress and add-in messages).
    ui_lang: str

    @property
    def name(self) -> str: ...

    @property
    def folder(self) -> Path:
        """Where files made from the workbook (PDF brief, e-mail drafts) go."""
        ...

    @property
    def saved(self) -> bool:
        """False for a workbook that has no folder yet (never saved, or online only)."""
        ...

    def working(self) -> AbstractContextManager[None]:
        """While the action runs: screen updating off; restored afterwards, also after an error."""
        ...

    def progress(self, message: str) -> None:
        """Show how far the action is (Excel's status bar)."""
        ...

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, name: str) -> Rows:
        """The sheet's used range as rows of cell values (``None`` for empty)."""
        ...

    def check(self, lang: str) -> None:
        """Refuse, before anything is read, results that could not be written."""
        ...

    def read_data(self, lang: str = "en") -> WorkbookData:
        """The workbook as :class:`xlcrm.xlsx.reader.WorkbookData`."""
        ...

    def write_results(self, job: Job, sheets: Sequence[str]) -> str:
        """Write the result sheets ``sheets`` (keys of ``jobs.RESULT_SHEETS``); return where."""
        ...

    def write_rows(self, name: str, rows: Rows, formats: Formats | None = None) -> str:
        """Replace (or add) sheet ``name`` with ``rows``; return where."""
        ...

    def typed(self) -> Typed:
        """What reps typed into xlcrm's sheets there (Call plan, Follow-ups)."""
        ...

    def write_back(self, typed: Typed, *, lang: str) -> Edits | None:
        """Log done calls and typed grades into the workbook's own sheets (None: cannot)."""
        ...

    def notify(self, message: str) -> None:
        """Tell the user (a message box in Excel)."""
        ...


# --- layout shared by both implementations -----------------------------------------


def cell_value(value: object) -> CellValue:
    """A frame value as a plain Python cell value (None for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value  # type: ignore[return-value]  # str, int, bool, date and time stay as they are


def table_rows(sheet: ResultSheet) -> tuple[Rows, dict[int, str]]:
    """Header + values of a :class:`xlcrm.xlsx.writer.ResultSheet`, and its number formats."""
    header: list[CellValue] = [c.header for c in sheet.columns]
    frame = sheet.frame[[c.key for c in sheet.columns]]
    body = [[cell_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    formats = {i: c.number_format for i, c in enumerate(sheet.columns)}
    return [header, *body], formats


def dashboard_rows(dashboard: Dashboard) -> Rows:
    """Title, subtitle, key figures and the summary tables of a writer ``Dashboard``."""
    rows: Rows = [[dashboard.title], [dashboard.subtitle], []]
    rows += [[label, cell_value(value)] for label, value, _kind in dashboard.figures]
    for block in dashboard.blocks:
        rows += [[], list(block.headers)]
        rows += [[cell_value(v) for v in row] for row in block.rows]
    return rows


def result_rows(job: Job, sheets: Sequence[str]) -> list[tuple[str, Rows, Formats | None]]:
    """Name, rows and number formats of the result sheets ``sheets`` of ``job``, in order."""
    from xlcrm.jobs import RESULT_SHEETS, extra_sheets
    from xlcrm.xlsx.writer import SHEET_NAMES, build_dashboard, build_result_sheets

    lang = job.lang
    built = build_result_sheets(
        job.analysis, job.data.quality, lang=lang, plan=job.plan, kept=job.kept
    )
    tables = {s.key: s for s in built}
    if tuple(sheets) == RESULT_SHEETS:  # Analyze: the Funnel and Changes sheets too
        sheets = (*sheets, *extra_sheets(job))
    out: list[tuple[str, Rows, Formats | None]] = []
    for key in sheets:
        if key == "dashboard":
            rows = dashboard_rows(build_dashboard(job.analysis, lang=lang, plan=job.plan))
            out.append((SHEET_NAMES["dashboard"][lang], rows, None))
        else:
            rows, formats = table_rows(tables[key])
            out.append((tables[key].name, rows, formats))
    return out


def wants_text(value: object) -> bool:
    """A value Excel must receive into a text-formatted cell to keep it as it is."""
    return isinstance(value, str) and len(value) <= TEXT_FORMAT_MAX


def text_runs(rows: Rows) -> list[tuple[int, int, int]]:
    """``(column, first_row, last_row)`` (0-based) blocks to format as text before writing.

    One block per run of text cells in a column; empty cells do not break a
    run, so a text column with gaps is one block (one call to Excel).
    """
    runs: list[tuple[int, int, int]] = []
    width = max((len(r) for r in rows), default=0)
    for col in range(width):
        first = last = -1
        for i, row in enumerate(rows):
            value = row[col] if col < len(row) else None
            if wants_text(value):
                first = i if first < 0 else first
                last = i
            elif value is not None and first >= 0:
                runs.append((col, first, last))
                first = last = -1
        if first >= 0:
            runs.append((col, first, last))
    return runs


def documents_folder() -> Path:
    """The user's Documents folder, else the home folder."""
    home = Path.home()
    documents = home / "Documents"
    return documents if documents.is_dir() else home


def _rectangular(rows: Rows) -> Rows:
    width = max((len(r) for r in rows), default=1) or 1
    return [list(r) + [None] * (width - len(r)) for r in rows]


# --- the file implementation ----------------------------------------------------------


class FileBook:
    """A workbook file: read with the reader, results written to ``output``.

    ``output`` defaults to ``BOOK.xlcrm.xlsx`` beside the file, as ``xlcrm
    analyze`` writes (the same :class:`~xlcrm.jobs.WorkbookFile`); the input
    file is never changed. With ``in_place`` the file plays the workbook open
    in Excel: the results go into it, and done calls and typed grades are
    written back into its own sheets.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        output: str | os.PathLike[str] | None = None,
        *,
        in_place: bool = False,
    ):
        from xlcrm.jobs import WorkbookFile

        self.file = WorkbookFile(
            Path(path), None if in_place or not output else Path(output), in_place
        )
        self.path = self.file.source
        self.output = self.file.target
        self.messages: list[str] = []
        self.progress_log: list[str] = []
        self.ui_lang = "en"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    @property
    def saved(self) -> bool:
        return True

    def working(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def progress(self, message: str) -> None:
        self.progress_log.append(message)

    def sheet_names(self) -> list[str]:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(self.path)).sheet_names)

    def read_sheet(self, name: str) -> Rows:
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(self.path)).get_sheet_by_name(name)
        return [[None if v == "" else v for v in row] for row in sheet.to_python()]

    def check(self, lang: str) -> None:
        self.file.check(lang)

    def read_data(self, lang: str = "en") -> WorkbookData:
        return self.file.read_data(lang)

    def typed(self) -> Typed:
        return self.file.typed()

    def write_back(self, typed: Typed, *, lang: str) -> Edits | None:
        return self.file.write_back(typed, lang=lang)

    def write_results(self, job: Job, sheets: Sequence[str]) -> str:
        """Every result sheet: a new workbook, as ``xlcrm analyze``; some: into ``output``."""
        from xlcrm.jobs import RESULT_SHEETS

        if tuple(sheets) == RESULT_SHEETS:
            return self.file.write_results(job, sheets)
        return ", ".join(self.write_rows(*sheet) for sheet in result_rows(job, sheets))

    def write_rows(self, name: str, rows: Rows, formats: Formats | None = None) -> str:
        from openpyxl import Workbook, load_workbook

        from xlcrm.xlsx.package import lock_file, locked_error, write_error

        if lock_file(self.output).exists():
            raise locked_error(self.output)

        if self.output.exists():
            wb = load_workbook(self.output)
            if name in wb.sheetnames:
                index = wb.sheetnames.index(name)
                wb.remove(wb[name])
                ws = wb.create_sheet(name, index)
            else:
                ws = wb.create_sheet(name)
        else:
            wb = Workbook()
            ws = wb.active
            ws.title = name
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl takes "=..." for a formula
                    if wants_text(cell.value):
                        cell.number_format = TEXT_FORMAT
        for col, fmt in (formats or {}).items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                if not wants_text(cell.value):
                    cell.number_format = fmt
        ws.freeze_panes = "A2" if formats else None
        wb.active = wb.sheetnames.index(name)
        try:
            with files.replacing(self.output) as handle:
                wb.save(handle)
        except files.WriteFailed as exc:
            raise write_error(self.output, exc) from None
        return f"{self.output} › {name}"

    def notify(self, message: str) -> None:
        self.messages.append(message)


# --- the xlwings implementation --------------------------------------------------------


class XlwingsBook:
    """The workbook open in Excel, through xlwings (``xw.Book.caller()`` in a ribbon action)."""

    def __init__(self, book: xw.Book):
        self.book = book
        self.ui_lang = "en"

    @classmethod
    def caller(cls) -> XlwingsBook:
        import xlwings as xw

        return cls(xw.Book.caller())

    @property
    def name(self) -> str:
        return str(self.book.name)

    @property
    def saved(self) -> bool:
        """The workbook is a file in a local folder (not new, not only online)."""
        full = str(getattr(self.book, "fullname", "") or "")
        if not full or "://" in full or not Path(full).is_absolute():
            return False
        return Path(full).parent.is_dir()

    @property
    def folder(self) -> Path:
        """The workbook's folder; Documents (or home) for a workbook never saved."""
        if self.saved:
            return Path(str(self.book.fullname)).parent
        return documents_folder()

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        app = self.book.app
        try:
            before = (app.screen_updating, app.status_bar)
        except Exception:  # an xlwings without these (Lite): nothing to restore
            yield
            return
        app.screen_updating = False
        try:
            yield
        finally:
            app.screen_updating = before[0]
            app.status_bar = before[1]  # False gives the status bar back to Excel

    def progress(self, message: str) -> None:
        with contextlib.suppress(Exception):  # progress is a courtesy, never a failure
            self.book.app.status_bar = message

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def read_sheet(self, name: str) -> Rows:
        value = self.book.sheets[name].used_range.options(ndim=2).value
        return [list(row) for row in (value or [])]

    def check(self, lang: str) -> None:
        """Sheets of the open workbook can always be written."""

    def read_data(self, lang: str = "en") -> WorkbookData:
        """Read the open sheets' values through the same reader as a file.

        The values are copied into a temporary .xlsx (the reader works on
        files), so an unsaved workbook is read as it is on screen.
        """
        from openpyxl import Workbook

        from xlcrm.xlsx.reader import read_workbook

        wb = Workbook(write_only=True)
        for name in self.sheet_names():
            ws = wb.create_sheet(name)
            for row in self.read_sheet(name):
                ws.append([_file_value(v) for v in row])
        with tempfile.TemporaryDirectory(prefix="xlcrm-") as folder:
            stem = Path(self.name).stem or "workbook"
            copy = Path(folder) / f"{stem}.xlsx"
            wb.save(copy)
            return read_workbook(copy, lang=lang)

    def write_results(self, job: Job, sheets: Sequence[str]) -> str:
        return ", ".join(self.write_rows(*sheet) for sheet in result_rows(job, sheets))

    def typed(self) -> Typed:
        from xlcrm.xlsx.carryover import read_typed
        from xlcrm.xlsx.columns import SHEET_NAMES

        own = {n for key in ("callplan", "followups") for n in SHEET_NAMES[key].values()}
        return read_typed({n: self.read_sheet(n) for n in self.sheet_names() if n in own})

    def write_back(self, typed: Typed, *, lang: str) -> Edits:
        """Done calls below the Activities rows (a new sheet when there is none), grades
        into the Customers sheet; an Excel table around the rows grows with them."""
        from xlcrm.xlsx.carryover import write_back_edits

        sheets = {n: self.read_sheet(n) for n in self.sheet_names()}
        found = self.read_data(lang=lang).sheet_names
        edits = write_back_edits(sheets, typed, lang=lang, found=found)
        for name, rows in edits.new_sheets:
            self.write_rows(name, rows, {1: "yyyy-mm-dd"})
        for name, row, col, value in edits.cells:
            cell = self.book.sheets[name].range((row, col))
            if isinstance(value, str) and wants_text(value):
                cell.number_format = TEXT_FORMAT
            cell.value = value
        for name, last in edits.tables.items():
            sheet = self.book.sheets[name]
            added = [c for n, _, c, _ in edits.cells if n == name]
            with contextlib.suppress(Exception):  # a table is a nicety; the rows are written
                for table in sheet.tables:
                    first = table.range[0, 0]
                    right = first.column + table.range.columns.count - 1
                    right = max([right, *(c for c in added if c == right + 1)])
                    table.resize(sheet.range((first.row, first.column), (last, right)))
        return edits

    def write_rows(self, name: str, rows: Rows, formats: Formats | None = None) -> str:
        names = self.sheet_names()
        if name in names:
            sheet = self.book.sheets[name]
            sheet.clear()
        else:
            sheet = self.book.sheets.add(name=name, after=self.book.sheets[len(names) - 1])
        rows = [[_screen_value(v) for v in row] for row in _rectangular(rows)]
        # Text format first: Excel converts a value as it arrives.
        for col, first, last in text_runs(rows):
            sheet.range((first + 1, col + 1), (last + 1, col + 1)).number_format = TEXT_FORMAT
        sheet["A1"].value = rows
        n = len(rows)
        for col, fmt in (formats or {}).items():
            if n > 1 and fmt != TEXT_FORMAT:
                sheet.range((2, col + 1), (n, col + 1)).number_format = fmt
        with contextlib.suppress(Exception):  # cosmetic; not every xlwings (Lite) has it
            sheet.autofit()
        return name

    def notify(self, message: str) -> None:
        self.book.app.alert(message, title="xlcrm")


def _screen_value(value: CellValue) -> CellValue:
    """Long text that looks like a formula gets Excel's text prefix (an apostrophe).

    Shorter text is protected by the text format instead (:func:`text_runs`).
    """
    if isinstance(value, str) and not wants_text(value) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _file_value(value: object) -> CellValue:
    """A cell value openpyxl can store (Excel hands over dates as datetime)."""
    if (
        isinstance(value, dt.time | dt.datetime | dt.date | int | float | str | bool)
        or value is None
    ):
        return value
    return str(value)
