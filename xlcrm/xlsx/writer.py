"""Analysis -> result sheets (tables, live follow-up formulas, dashboard charts), atomic save.

The entry point: :func:`write_results`. The work is done by

* :mod:`xlcrm.xlsx.sheets`, :mod:`xlcrm.xlsx.dashboard`: what each result
  sheet holds, in which language (pure specifications the Excel add-in
  reuses);
* :mod:`xlcrm.xlsx.layout`: tables, styles, charts and validation in openpyxl;
* :mod:`xlcrm.xlsx.sheetxml`: the large tables' cell XML, streamed;
* :mod:`xlcrm.xlsx.package`: zip parts and the atomic write;
* :mod:`xlcrm.xlsx.inplace`: what ``--in-place`` refuses.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xlcrm.xlsx.columns import SHEET_NAMES
from xlcrm.xlsx.dashboard import Dashboard, build_dashboard
from xlcrm.xlsx.inplace import check_in_place, unsafe_parts
from xlcrm.xlsx.layout import Pending, add_result_sheets
from xlcrm.xlsx.package import (
    atomic_write,
    formula_values,
    restore_values,
    sheet_parts,
    write_filled_sheet,
)
from xlcrm.xlsx.sheets import AnalysisLike, ResultSheet, build_result_sheets

if TYPE_CHECKING:
    from openpyxl import Workbook

    from xlcrm.xlsx.reader import WorkbookData

__all__ = [
    "SHEET_NAMES",
    "Dashboard",
    "ResultSheet",
    "build_dashboard",
    "build_result_sheets",
    "check_in_place",
    "default_output",
    "save_workbook",
    "unsafe_parts",
    "write_results",
]


def save_workbook(
    wb: Workbook,
    pending: Sequence[Pending],
    path: str | os.PathLike[str],
    *,
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
        new_parts = sheet_parts(src)
        parts = {part: by_name[name] for name, part in new_parts.items() if name in by_name}
        cached = formula_values(original, new_parts, set(by_name)) if original else {}

        def write(dst: zipfile.ZipFile) -> None:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename in parts:
                    write_filled_sheet(dst, info.filename, data, parts[info.filename])
                elif info.filename in cached:
                    data = restore_values(data, cached[info.filename])
                    dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=6)
                else:
                    dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=6)

        atomic_write(target, write)
    return target


def default_output(book: str | os.PathLike[str]) -> Path:
    """``BOOK.xlcrm.xlsx`` beside the input."""
    book = Path(book)
    return book.with_name(f"{book.stem}.xlcrm.xlsx")


def write_results(
    analysis: AnalysisLike,
    data: WorkbookData | pd.DataFrame | None,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    in_place: bool = False,
    kept: pd.DataFrame | None = None,
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
    kept
        Call plan rows reps typed (Done, Note) to keep in the new plan
        (:mod:`xlcrm.xlsx.carryover`).
    """
    from openpyxl import Workbook, load_workbook

    quality = data if isinstance(data, pd.DataFrame) or data is None else data.quality
    path = Path(path)
    if in_place:
        check_in_place(path, lang=lang)
        wb = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    counts = getattr(data, "counts", None) or {}
    checked = {table: int(getattr(c, "read", 0)) for table, c in counts.items()}
    pending = add_result_sheets(
        wb, analysis, quality, lang=lang, in_place=in_place, kept=kept, checked=checked
    )
    return save_workbook(wb, pending, path, original=path if in_place else None)
