"""Shared test helpers: workbooks built in code with openpyxl."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

Rows = Sequence[Sequence[Any]]


def require_tool(name: str) -> str:
    """Path of the command ``name``; a skip without it, but a failure in CI.

    `make test` installs every tool the tests use, so in CI a missing one is
    a broken set-up, not a reason to test less.
    """
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def build_workbook(
    path: Path,
    sheets: Mapping[str, Rows],
    *,
    merged: Mapping[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
) -> Path:
    """Write ``sheets`` (name -> rows, row 1 first) to ``path`` and return it.

    ``None`` leaves a cell empty; text like ``"#N/A"`` becomes an Excel
    error cell (openpyxl writes known error codes as errors). ``merged``
    maps a sheet name to ranges such as ``"B4:B5"``.
    """
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for ref in (merged or {}).get(name, ()):
            ws.merge_cells(ref)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """``make_workbook(sheets, name="book.xlsx", **options)`` -> path in tmp_path."""

    def make(sheets: Mapping[str, Rows], name: str = "book.xlsx", **options: Any) -> Path:
        return build_workbook(tmp_path / name, sheets, **options)

    return make
