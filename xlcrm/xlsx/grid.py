"""The raw cells of one sheet, as python-calamine reads them, and where they sit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlcrm.xlsx import peek
from xlcrm.xlsx.quality import FAR_CELL, quality_rows


@dataclass
class Loaded:
    """A calamine workbook and the sheets already loaded from it (each is loaded once).

    :meth:`load_ahead` loads sheets needed later on a second thread, from a
    second calamine workbook: calamine parses a sheet without holding the GIL,
    so the sheet the reader needs last (the large Orders sheet) is parsed while
    the others are read.
    """

    book: Any
    sheets: dict[str, Any] = field(default_factory=dict)
    dropped: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    ahead: dict[str, Future[tuple[Any, list[tuple[int, str, str]]]]] = field(default_factory=dict)
    loader: threading.Thread | None = None

    def forget(self, name: str) -> None:
        """Let a sheet's cells go once they have been read."""
        self.sheets.pop(name, None)

    def load_ahead(self, names: Sequence[str], xml: Path, opener: Callable[[Path], Any]) -> None:
        """Start loading ``names`` (in this order) from ``opener(xml)`` on a second thread.

        A sheet the thread could not load (whatever the reason) is loaded again
        where it is needed, so that its error is raised there as before.
        """
        todo = [n for n in dict.fromkeys(names) if n not in self.sheets and n not in self.ahead]
        if not todo or self.loader is not None:
            return
        futures = {name: Future[tuple[Any, list[tuple[int, str, str]]]]() for name in todo}
        self.ahead.update(futures)

        def run() -> None:
            own = None
            try:
                own = opener(xml)
                for name, future in futures.items():
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        far: list[tuple[int, str, str]] = []
                        future.set_result((_calamine_sheet(own, name, xml, far), far))
                    except BaseException as exc:  # loaded again by the caller, who raises
                        future.set_exception(exc)
            except BaseException as exc:
                for future in futures.values():
                    if future.set_running_or_notify_cancel():
                        future.set_exception(exc)
            finally:
                if own is not None:
                    own.close()

        self.loader = threading.Thread(target=run, name="xlcrm-sheets", daemon=True)
        self.loader.start()

    def take(self, name: str) -> bool:
        """Move sheet ``name`` from the second thread into :attr:`sheets` (waiting for it);
        False when it was not asked for or could not be loaded there."""
        future = self.ahead.pop(name, None)
        if future is None:
            return False
        try:
            sheet, far = future.result()
        except Exception:
            return False
        self.sheets[name] = sheet
        self.dropped[name] = far
        return True

    def stop(self) -> None:
        """Cancel the sheets not started and wait for the second thread."""
        for future in self.ahead.values():
            future.cancel()
        self.ahead.clear()
        if self.loader is not None:
            self.loader.join()
            self.loader = None


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
            for (row, col), text in peek.error_cells(self.xlsx, self.name).items()
        }

    def padded(self, position: int) -> dict[int, tuple[str, int, str]]:
        """Excel row -> zero-padding format of the number cells of column ``position``."""
        if self.xlsx is None:
            return {}
        return peek.padded_ids(self.xlsx, self.name, position + self.first_col)

    def currencies(self, position: int) -> dict[int, str]:
        """Excel row -> currency shown by the number format of the cells of column
        ``position`` (only when the workbook's formats name several currencies)."""
        if self.xlsx is None:
            return {}
        return peek.currency_formats(self.xlsx, self.name, position + self.first_col)

    def uncached(self) -> set[tuple[int, int]]:
        """(Excel row, 0-based column within rows) of formulas without a saved result."""
        if self.xlsx is None:
            return set()
        return {
            (row, col - self.first_col) for row, col in peek.uncached_formulas(self.xlsx, self.name)
        }


def _calamine_sheet(
    book: Any, name: str, xml: Path | None, dropped: list[tuple[int, str, str]] | None = None
) -> Any:
    """The calamine sheet ``name``; a sheet whose used range is too large for calamine
    (a stray cell at XFD1048576) is read from a copy that keeps only its table.

    A sheet is loaded once: the header probe and the read share it (see :class:`Loaded`).
    """
    if isinstance(book, Loaded):
        if name not in book.sheets and not book.take(name):
            book.sheets[name] = _calamine_sheet(
                book.book, name, xml, book.dropped.setdefault(name, [])
            )
        if dropped is not None:
            dropped.extend(book.dropped.get(name, []))
        return book.sheets[name]
    if xml is None or peek.fits(xml, name):
        return book.get_sheet_by_name(name)
    import io

    import python_calamine

    package, far = peek.bounded_package(xml, name)
    if dropped is not None:
        dropped.extend(far)
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package)).get_sheet_by_name(
        name
    )


def load_sheet(
    book: Any, name: str, xml: Path | None, quality: list[pd.DataFrame] | None = None
) -> Sheet:
    """Every cell of sheet ``name`` of the calamine workbook ``book``.

    ``xml`` is the .xlsx/.xlsm file (None for a legacy .xls), for what calamine
    does not tell; cells dropped far outside the table are listed in ``quality``.
    """
    far: list[tuple[int, str, str]] = []
    sheet = _calamine_sheet(book, name, xml, far)
    rows = sheet.to_python(skip_empty_area=True)
    start = sheet.start or (0, 0)
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:  # merged ranges are a nicety; never fail the read for them
        merged = []
    if far and quality is not None:
        quality.append(
            quality_rows(
                name,
                np.array([r for r, _, _ in far], dtype=np.int64),
                np.array([c for _, c, _ in far], dtype=object),
                np.array([v for _, _, v in far], dtype=object),
                np.full(len(far), FAR_CELL, dtype=object),
                np.zeros(len(far), dtype=bool),
            )
        )
    if isinstance(book, Loaded):
        book.forget(name)
    return Sheet(name, rows, start[0] + 1, start[1], list(merged), xml)


def head_rows(book: Any, name: str, nrows: int, xml: Path | None = None) -> Sheet:
    """The first ``nrows`` rows of a sheet (to look for its header)."""
    sheet = _calamine_sheet(book, name, xml)
    rows = sheet.to_python(skip_empty_area=True, nrows=nrows)
    return Sheet(name, rows, 1, 0)


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


__all__ = ["Loaded", "Sheet", "head_rows", "is_blank", "load_sheet"]
