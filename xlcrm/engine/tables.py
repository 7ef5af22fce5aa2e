"""The small tables beside a large order history: Settings, Customers, Activities.

``--settings BOOK.xlsx`` reads a workbook's Settings sheet (thresholds,
``as_of``, ``map.*`` column names, owners); ``--customers`` and
``--activities`` read a table from a workbook, a CSV, a Parquet file or a
DuckDB table. Every table goes through the workbook reader's own header
matching and cell rules, so a Customers CSV is read exactly as a Customers
sheet would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from xlcrm.core.errors import InputError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.engine.sources import Source, parse_source
from xlcrm.locale import N_
from xlcrm.xlsx import csvfile, grid, headers, settings_sheet, sniff
from xlcrm.xlsx import tables as sheet_tables

__all__ = ["SettingsBook", "Table", "read_settings_book", "read_table"]


@dataclass(frozen=True)
class SettingsBook:
    """What a workbook's Settings sheet says (defaults when there is none)."""

    settings: Settings = DEFAULT_SETTINGS
    as_of: pd.Timestamp | None = None
    column_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    owners: pd.DataFrame | None = None
    unknown: list[str] = field(default_factory=list)
    quality: list[pd.DataFrame] = field(default_factory=list)
    sheet: str | None = None


def read_settings_book(path: str | Path, *, lang: str = "en") -> SettingsBook:
    """The Settings sheet of the workbook at ``path`` (exit 2 when there is none)."""
    file = Path(path)
    book = sniff.open_workbook(file)
    xml = None if sniff.is_legacy(file) else file
    try:
        names = [str(n) for n in book.sheet_names]
        name = headers.sheet_for("settings", names, set())
        if name is None:
            raise InputError(
                N_("no Settings sheet in {file} (sheets found: {found})"),
                file=str(file),
                args={"file": file.name, "found": ", ".join(map(str, names)) or "-"},
            )
        read = settings_sheet.read_settings_sheet(grid.load_sheet(book, name, xml))
    finally:
        book.close()
    applied = settings_sheet.apply_settings(read, file=file, sheet=name)
    return SettingsBook(
        applied.settings,
        applied.as_of,
        applied.column_maps,
        read.values,
        read.owners,
        applied.unknown,
        read.quality,
        name,
    )


@dataclass(frozen=True)
class Table:
    """A Customers or Activities table read from a file."""

    frame: pd.DataFrame
    quality: list[pd.DataFrame]
    counts: sheet_tables.RowCounts
    name: str  # what quality rows call the sheet
    ids: pd.Series  # customer ids as read (for the unknown-customer check)
    rows: Any  # row numbers of the frame's rows
    id_header: str


def read_table(
    spec: str | Path,
    table: str,
    *,
    column_map: Mapping[str, str] | None = None,
    day_first: bool = False,
    lang: str = "en",
) -> Table:
    """Read ``table`` ("customers" or "activities") from a file, folder or DuckDB table."""
    source = parse_source(spec, lang=lang)
    sheet, early = _sheet_of(source, table, lang)
    read = sheet_tables.read_table(
        sheet,
        table,
        file=Path(source.label),
        column_map=dict(column_map or {}),
        day_first=day_first,
    )
    return Table(
        read.frame,
        [*early, *read.quality],
        read.counts,
        sheet.name,
        read.frame["customer_id"],
        read.rows,
        read.id_header,
    )


def _sheet_of(source: Source, table: str, lang: str) -> tuple[Any, list[pd.DataFrame]]:
    """The table's cells as a sheet, and quality rows found while reading them."""
    if source.kind == "workbook":
        path = source.files[0]
        book = sniff.open_workbook(path)
        xml = None if sniff.is_legacy(path) else path
        try:
            names = [str(n) for n in book.sheet_names]
            name = headers.sheet_for(table, names, set()) or (names[0] if names else None)
            if name is None:
                raise InputError(N_("the workbook has no sheets"), file=str(path))
            found: list[pd.DataFrame] = []
            return grid.load_sheet(book, name, xml, found), found
        finally:
            book.close()
    if source.kind == "csv":
        rows: list[list[Any]] = []
        early: list[pd.DataFrame] = []
        for path in source.files:
            part, problems = csvfile.read_rows(path)
            early.extend(problems)
            rows.extend(part if not rows else part[source.header_row + 1 :])
        width = max(map(len, rows), default=0)
        rows = [row + [""] * (width - len(row)) for row in rows]
        return grid.Sheet(source.files[0].name, rows, 1, 0), early
    return grid.Sheet(Path(source.label).name, _rows_via_duckdb(source), 1, 0), []


def _rows_via_duckdb(source: Source) -> list[list[Any]]:
    """Header + rows of a Parquet file set or DuckDB table, as Python values."""
    import duckdb

    con = duckdb.connect()
    try:
        if source.kind == "duckdb":
            con.execute(f"ATTACH '{_esc(str(source.database))}' AS src (READ_ONLY)")
            relation = "src." + ".".join(f'"{p}"' for p in str(source.table).split("."))
        else:
            files = ", ".join(f"'{_esc(str(p))}'" for p in source.files)
            relation = f"read_parquet([{files}])"
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        select = ", ".join(
            f'CAST("{name}" AS DOUBLE)' if str(kind).upper().startswith("DECIMAL") else f'"{name}"'
            for name, kind, *_ in described
        )
        body = con.execute(f"SELECT {select} FROM {relation}").fetchall()
    except duckdb.Error as exc:
        raise InputError(
            N_("cannot read the data: {detail}"),
            file=source.label,
            args={"detail": " ".join(str(exc).split())[:300]},
        ) from None
    finally:
        con.close()
    return [[name for name, *_ in described], *map(list, body)]


def _esc(text: str) -> str:
    return text.replace("'", "''")
