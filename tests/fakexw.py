"""A stand-in for the part of ``xlwings.Book`` that XlwingsBook uses, backed by a file.

It starts from a workbook file's values (read with python-calamine) and keeps
what is written in memory. Writing a value behaves like Excel's: text that
looks like a number, a date or a formula is converted unless the cell is
already formatted as text (``@``). The app records screen updating, the
status bar and message boxes.

Plain Python plus python-calamine, so the xlwings Lite test can use it in an
interpreter that has no xlcrm.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def excel_converts(value: Any, number_format: str | None) -> Any:
    """What Excel stores when ``value`` is typed (or assigned) into a cell."""
    if not isinstance(value, str) or number_format == "@":
        return value
    if value.startswith("'"):
        return value[1:]  # Excel's text prefix: stored as text, shown without it
    if value.startswith(("=", "+", "-", "@")) and len(value) > 1 and not NUMBER.fullmatch(value):
        return ("formula", value)
    if NUMBER.fullmatch(value.strip()):
        return float(value)
    if ISO_DATE.fullmatch(value.strip()):
        return dt.datetime.fromisoformat(value.strip())
    return value


def _cell_ref(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert match, ref
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)), col


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: tuple[int, int], bottom: tuple[int, int] | None):
        self.sheet, self.top, self.bottom = sheet, top, bottom or top

    def options(self, **_: Any) -> FakeRange:
        return self

    @property
    def value(self) -> Any:
        return self.sheet.rows

    @value.setter
    def value(self, rows: Any) -> None:
        rows = rows if isinstance(rows, list) and rows and isinstance(rows[0], list) else [[rows]]
        r0, c0 = self.top
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                key = (r0 + i, c0 + j)
                self.sheet.cells[key] = excel_converts(v, self.sheet.formats.get(key))
        self.sheet.log.append(("value", self.top))

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get(self.top, "General")

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        (r1, c1), (r2, c2) = self.top, self.bottom
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.sheet.formats[(r, c)] = fmt
        self.sheet.log.append(("format", self.top, self.bottom, fmt))


class FakeSheet:
    def __init__(self, name: str, rows: list[list[Any]]):
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.log: list[tuple[Any, ...]] = []
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row, start=1):
                if v is not None:
                    self.cells[(i, j)] = v

    @property
    def rows(self) -> list[list[Any]]:
        if not self.cells:
            return []
        n = max(r for r, _ in self.cells)
        m = max(c for _, c in self.cells)
        return [[self.cells.get((r, c)) for c in range(1, m + 1)] for r in range(1, n + 1)]

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, (1, 1), None)

    def __getitem__(self, ref: str) -> FakeRange:
        return FakeRange(self, _cell_ref(ref), None)

    def range(self, top: tuple[int, int], bottom: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(self, top, bottom)

    def clear(self) -> None:
        self.cells, self.formats = {}, {}

    def autofit(self) -> None:
        pass


class FakeSheets(list[FakeSheet]):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)

    def add(self, name: str, after: Any = None) -> FakeSheet:
        sheet = FakeSheet(name, [])
        self.append(sheet)
        return sheet


class FakeApp:
    """Screen updating, status bar (False: Excel's own) and message boxes."""

    def __init__(self) -> None:
        self.alerts: list[str] = []
        self.screen_updating = True
        self.status_bar: Any = False
        self.status_history: list[Any] = []
        self.screen_history: list[bool] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
        if name == "screen_updating" and hasattr(self, "screen_history"):
            self.screen_history.append(value)
        object.__setattr__(self, name, value)

    def alert(self, message: str, title: str = "") -> None:
        self.alerts.append(message)


class FakeXwBook:
    """What XlwingsBook uses of ``xw.Book``: sheets, used ranges, writes, app."""

    def __init__(self, path: Path | str, *, fullname: str | None = None):
        from python_calamine import CalamineWorkbook

        path = Path(path)
        wb = CalamineWorkbook.from_path(str(path))
        self.name = path.name
        self.fullname = str(path) if fullname is None else fullname
        self.app = FakeApp()
        self.sheets = FakeSheets(
            FakeSheet(n, [[None if v == "" else v for v in row] for row in _values(wb, n)])
            for n in wb.sheet_names
        )


def _values(wb: Any, name: str) -> list[list[Any]]:
    return [list(r) for r in wb.get_sheet_by_name(name).to_python()]
