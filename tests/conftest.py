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


# --- a stand-in for the brief's PDF (tests whose subject is not the PDF) -----------


@pytest.fixture(scope="session")
def pdf() -> bytes:
    """A two-page PDF made by WeasyPrint, standing in for the report."""
    from weasyprint import HTML

    page = "<section style='page-break-after: always'>Strategy brief page {}</section>"
    markup = "<html><body>" + "".join(page.format(i) for i in (1, 2)) + "</body></html>"
    return HTML(string=markup).write_pdf()


@pytest.fixture
def stand_in_pdf(pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Replace the brief's PDF by the two-page stand-in; returns the owners asked for.

    The brief's context is still built, so an owner the brief cannot find
    still fails; only the WeasyPrint layout (seconds per brief) is skipped.
    """
    from xlcrm import report

    owners: list[str | None] = []

    def render_pdf(analysis: Any, *, lang: str, owner: str | None = None, **options: Any) -> bytes:
        report.build_context(analysis, lang=lang, owner=owner, **options)
        owners.append(owner)
        return pdf

    monkeypatch.setattr(report, "render_pdf", render_pdf)
    return owners


def pytest_collection_finish(session: pytest.Session) -> None:
    """The objects made while importing and collecting (modules, pandas, openpyxl) are
    kept out of the garbage collector's full passes: they live to the end anyway."""
    import gc

    gc.collect()
    gc.freeze()
