"""Read a customer workbook (or an Orders CSV) into canonical frames.

:func:`read_workbook` finds the Orders, Customers, Activities and Settings
sheets by their English or Chinese names, finds each table's header row (it
need not be row 1) and its columns by alias, parses every cell with
:mod:`xlcrm.core.cells`, and returns a :class:`WorkbookData`: the canonical frames
of ``docs/architecture.md``, the Settings, and a data-quality list of every
cell it could not read (sheet, row as Excel shows it, header as the user
wrote it, value, reason code).

The work is split by job: :mod:`~xlcrm.xlsx.sniff` (what the file is),
:mod:`~xlcrm.xlsx.sheets` (a sheet's cells), :mod:`~xlcrm.xlsx.headers`
(header rows and columns), :mod:`~xlcrm.xlsx.settings_sheet`,
:mod:`~xlcrm.xlsx.tables` (one table) and :mod:`~xlcrm.xlsx.quality` (the
data-quality list). This module puts them together.

- Orders and activities for a customer missing from the Customers sheet are
  kept; each such customer is listed once (``unknown_customer``, at its first
  row) so the user can add it. This is information, not a problem: it does
  not fail ``strict`` mode.
- ``strict=True`` raises :class:`InputError` naming the first problem cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.errors import InputError, Term
from xlcrm.core.schema import ORDER_REQUIRED, SHEET_ALIASES, header_key
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import N_
from xlcrm.xlsx import sniff
from xlcrm.xlsx.headers import HEADER_SEARCH_ROWS, TABLES, find_header, sheet_for
from xlcrm.xlsx.quality import (
    INFO_REASONS,
    QUALITY_COLUMNS,
    REASONS,
    UNKNOWN_CONTACT,
    UNKNOWN_CUSTOMER,
    collect,
    empty_quality,
    quality_rows,
    quality_table,
)
from xlcrm.xlsx.settings_sheet import apply_settings, read_settings_sheet
from xlcrm.xlsx.sheets import Sheet, head_rows, load_sheet
from xlcrm.xlsx.tables import RowCounts, TableRead, read_table

_NO_SHEET: Final[dict[str, str]] = {
    "orders": N_("no Orders sheet: expected a sheet named {expected} (sheets found: {found})"),
    "customers": N_(
        "no Customers sheet: expected a sheet named {expected} (sheets found: {found})"
    ),
    "activities": N_(
        "no Activities sheet: expected a sheet named {expected} (sheets found: {found})"
    ),
}


# --- results ------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookData:
    """Everything :func:`read_workbook` found, in canonical form.

    Attributes
    ----------
    path
        The file read.
    orders, customers, activities
        Canonical frames (``docs/architecture.md``); every canonical column is
        present (NA when the sheet lacks it). ``customers``/``activities`` are
        None when the workbook has no such sheet.
    settings
        :class:`~xlcrm.core.settings.Settings` from the Settings sheet over the defaults.
    settings_values
        The Settings sheet's key/value pairs as written.
    as_of
        The Settings sheet's ``as_of`` date, or None.
    owners
        Frame ``owner``, ``email`` from the Settings sheet's owners table, or None.
    quality
        One row per cell xlcrm could not read: ``sheet``, ``row`` (as Excel
        shows it), ``column`` (the user's header), ``value``, ``reason`` (code,
        see :data:`REASONS`), ``left_out`` (the whole row was left out).
    counts
        Per table (``"orders"`` …): :class:`RowCounts`.
    sheet_names
        Table (``"orders"``, ``"settings"`` …) -> the sheet it was read from.
    unknown_settings
        Keys on the Settings sheet that xlcrm does not know.
    """

    path: Path
    orders: pd.DataFrame
    customers: pd.DataFrame | None
    activities: pd.DataFrame | None
    settings: Settings = DEFAULT_SETTINGS
    settings_values: dict[str, object] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    owners: pd.DataFrame | None = None
    quality: pd.DataFrame = field(default_factory=empty_quality)
    counts: dict[str, RowCounts] = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)
    unknown_settings: list[str] = field(default_factory=list)

    def quality_table(self, lang: str = "en") -> pd.DataFrame:
        """The quality list with headers, reasons and effects in ``lang``."""
        return quality_table(self.quality, lang)


# --- customers missing from the Customers sheet ---------------------------------


def _unknown_customers(
    read: TableRead, known: pd.Series, sheet: str, header: str, reason: str
) -> pd.DataFrame | None:
    """The first row of each customer id of ``read`` that is not in ``known``."""
    ids = read.frame["customer_id"]
    unknown = ~ids.isin(known).to_numpy()
    if not unknown.any():
        return None
    first = ~ids[unknown].duplicated().to_numpy()
    picked = np.flatnonzero(unknown)[first]
    return quality_rows(
        sheet,
        read.rows[picked],
        header,
        ids.to_numpy(dtype=object)[picked],
        np.full(len(picked), reason, dtype=object),
        np.zeros(len(picked), dtype=bool),
    )


def _unknown_customer_rows(
    reads: Mapping[str, TableRead], sheet_names: Mapping[str, str]
) -> list[pd.DataFrame]:
    """Orders of customers missing from Customers (the order adds the customer),
    and activities of customers in neither Customers nor Orders (not used: the
    analysis knows customers only from those two sheets)."""
    listed = reads["customers"].frame["customer_id"] if "customers" in reads else None
    checks: list[tuple[str, pd.Series, str]] = []
    if listed is not None and "orders" in reads:
        checks.append(("orders", listed, UNKNOWN_CUSTOMER))
    if "activities" in reads:
        known = [s for s in (listed,) if s is not None]
        if "orders" in reads:
            known.append(reads["orders"].frame["customer_id"])
        checks.append(("activities", pd.concat(known), UNKNOWN_CONTACT))
    rows = []
    for table, ids, reason in checks:
        read = reads[table]
        extra = _unknown_customers(read, ids, sheet_names[table], read.id_header, reason)
        if extra is not None:
            rows.append(extra)
    return rows


# --- public entry points ------------------------------------------------------


def _check_strict(quality: pd.DataFrame, file: Path) -> None:
    problems = quality[~quality["reason"].isin(INFO_REASONS)]
    if problems.empty:
        return
    first = problems.iloc[0]
    more = len(problems) - 1
    raise InputError(
        N_("cannot read {value!r}: {reason} (and {more} more problems)")
        if more
        else N_("cannot read {value!r}: {reason}"),
        file=str(file),
        sheet=str(first["sheet"]),
        row=int(first["row"]),
        column=str(first["column"]),
        hint=N_("fix the cell, or run without --strict to leave such rows out"),
        args={
            "value": first["value"],
            "reason": Term(REASONS.get(str(first["reason"]), str(first["reason"]))),
            "more": more,
        },
    )


def read_workbook(
    path: str | Path,
    *,
    day_first: bool | None = None,
    strict: bool = False,
    lang: str = "en",
) -> WorkbookData:
    """Read a customer workbook (.xlsx, .xlsm) or an Orders CSV (.csv).

    Parameters
    ----------
    path
        The file. A ``.csv`` is read as an Orders table (:func:`read_orders_csv`).
    day_first
        Read text dates like 05/03/2024 as day/month/year; None takes the
        Settings sheet's ``day_first`` (default month first).
    strict
        Raise :class:`InputError` for the first cell that cannot be read
        instead of leaving its row out.
    lang
        Kept for callers; errors carry a message id and are rendered in the
        user's language where they are printed.

    Returns
    -------
    WorkbookData

    Raises
    ------
    InputError
        The file cannot be opened, or a required sheet or column is missing
        (the message names the file, sheet, expected header and headers found).
    SettingsError
        A Settings sheet value is invalid (names the key and its row).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return read_orders_csv(file, day_first=bool(day_first), strict=strict)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        sniff.head_bytes(file)  # a missing file says so before the suffix does
        raise InputError(
            N_("unsupported file type {suffix!r}; xlcrm reads .xlsx, .xlsm and .csv"),
            file=str(file),
            args={"suffix": file.suffix},
        )
    book = sniff.open_workbook(file)
    try:
        names = list(book.sheet_names)
        sheet_names: dict[str, str] = {}
        taken: set[str] = set()

        settings = DEFAULT_SETTINGS
        settings_values: dict[str, object] = {}
        as_of = None
        owners = None
        unknown: list[str] = []
        column_maps: dict[str, dict[str, str]] = {t: {} for t in (*TABLES, "sheets")}
        quality_parts: list[pd.DataFrame] = []
        settings_name = sheet_for("settings", names, taken)
        if settings_name is not None:
            taken.add(settings_name)
            sheet_names["settings"] = settings_name
            read = read_settings_sheet(load_sheet(book, settings_name, file))
            applied = apply_settings(read, file=file, sheet=settings_name)
            settings, as_of = applied.settings, applied.as_of
            column_maps, unknown = applied.column_maps, applied.unknown
            settings_values, owners = read.values, read.owners
            quality_parts.extend(read.quality)
        first = settings.day_first if day_first is None else day_first

        for table in TABLES:
            wanted = column_maps["sheets"].get(table)
            if wanted is not None:
                match = [n for n in names if header_key(n) == header_key(wanted)]
                if not match:
                    raise InputError(
                        _NO_SHEET[table],
                        file=str(file),
                        args={"expected": repr(wanted), "found": ", ".join(names)},
                    )
                name: str | None = match[0]
            else:
                name = sheet_for(table, names, taken)
            if name is not None:
                taken.add(name)
                sheet_names[table] = name
        if "orders" not in sheet_names:
            name = _sniff_orders_sheet(book, names, taken, column_maps["orders"])
            if name is None:
                raise InputError(
                    _NO_SHEET["orders"],
                    file=str(file),
                    hint=N_(
                        "rename the sheet, or name it on the Settings sheet with map.{table}.sheet"
                    ),
                    args={
                        "table": "orders",
                        "expected": " / ".join(SHEET_ALIASES["orders"][:3]),
                        "found": ", ".join(names),
                    },
                )
            sheet_names["orders"] = name

        reads: dict[str, TableRead] = {}
        for table in TABLES:
            if table in sheet_names:
                reads[table] = read_table(
                    load_sheet(book, sheet_names[table], file),
                    table,
                    file=file,
                    column_map=column_maps[table],
                    day_first=first,
                )
    finally:
        book.close()

    for table in TABLES:
        if table in reads:
            quality_parts.extend(reads[table].quality)
    customers = reads["customers"].frame if "customers" in reads else None
    quality_parts.extend(_unknown_customer_rows(reads, sheet_names))
    quality = collect(quality_parts)
    if strict:
        _check_strict(quality, file)
    return WorkbookData(
        path=file,
        orders=reads["orders"].frame,
        customers=customers,
        activities=reads["activities"].frame if "activities" in reads else None,
        settings=settings,
        settings_values=dict(settings_values),
        as_of=as_of,
        owners=owners,
        quality=quality,
        counts={t: r.counts for t, r in reads.items()},
        sheet_names=sheet_names,
        unknown_settings=unknown,
    )


def _sniff_orders_sheet(
    book: Any, names: list[str], taken: set[str], column_map: Mapping[str, str]
) -> str | None:
    """A sheet not named like any table whose header row has the Orders columns."""
    for name in names:
        if name in taken:
            continue
        header, _ = find_header(head_rows(book, name, HEADER_SEARCH_ROWS), "orders", column_map)
        if all(c in header.columns for c in ORDER_REQUIRED):
            return str(name)
    return None


# --- CSV ----------------------------------------------------------------------


def read_orders_csv(
    path: str | Path,
    *,
    day_first: bool = False,
    strict: bool = False,
    lang: str = "en",
) -> WorkbookData:
    """Read an Orders table saved as CSV (UTF-8, UTF-8 with BOM, or GBK).

    The delimiter (comma, semicolon, tab or bar) is detected; the header row
    may sit below title rows as in a workbook. Quality rows name the file as
    the sheet and the line number as the row.
    """
    file = Path(path)
    text = sniff.decode_csv(sniff.read_bytes(file), file)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputError(sniff.UNREADABLE, file=str(file), args={"detail": str(exc)}) from None
    width = max(map(len, rows), default=0)
    rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in rows]
    sheet = Sheet(file.name, rows, 1, 0)
    read = read_table(sheet, "orders", file=file, column_map={}, day_first=day_first)
    quality = collect(read.quality)
    if strict:
        _check_strict(quality, file)
    return WorkbookData(
        path=file,
        orders=read.frame,
        customers=None,
        activities=None,
        quality=quality,
        counts={"orders": read.counts},
        sheet_names={"orders": file.name},
    )


__all__ = [
    "QUALITY_COLUMNS",
    "REASONS",
    "RowCounts",
    "WorkbookData",
    "quality_table",
    "read_orders_csv",
    "read_workbook",
]
