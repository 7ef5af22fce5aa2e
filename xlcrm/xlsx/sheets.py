"""The raw cells of one sheet, as python-calamine reads them, and where they sit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcrm.xlsx import sheetxml


@dataclass
class Sheet:
    """The raw rows of one sheet and where they sit in Excel."""

    name: str
    rows: list[list[Any]]
    first_row: int  # Excel row number of rows[0]
    first_col: int  # 0-based column of rows[i][0]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    xlsx: Path | None = None  # the file, to look up Excel error cells

    def errors(self) -> dict[tuple[int, int], str]:
        """(Excel row, 0-based column within rows) -> error text (#N/A …) of error cells.

        python-calamine returns error cells as empty, so the sheet's XML is
        scanned, only when a cell xlcrm needs came back empty.
        """
        if self.xlsx is None:
            return {}
        return {
            (row, col - self.first_col): text
            for (row, col), text in sheetxml.error_cells(self.xlsx, self.name).items()
        }

    def uncached(self) -> set[tuple[int, int]]:
        """(Excel row, 0-based column within rows) of formulas without a saved result."""
        if self.xlsx is None:
            return set()
        return {
            (row, col - self.first_col)
            for row, col in sheetxml.uncached_formulas(self.xlsx, self.name)
        }


def load_sheet(book: Any, name: str, path: Path) -> Sheet:
    """Every cell of sheet ``name`` of the calamine workbook ``book``."""
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=True)
    start = sheet.start or (0, 0)
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:  # merged ranges are a nicety; never fail the read for them
        merged = []
    return Sheet(name, rows, start[0] + 1, start[1], list(merged), path)


def head_rows(book: Any, name: str, nrows: int) -> Sheet:
    """The first ``nrows`` rows of a sheet (to look for its header)."""
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=True, nrows=nrows)
    return Sheet(name, rows, 1, 0)


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


__all__ = ["Sheet", "head_rows", "is_blank", "load_sheet"]
