"""Read a customer workbook (or an Orders CSV) into canonical frames.

:func:`read_workbook` finds the Orders, Customers, Activities and Settings
sheets by their English or Chinese names, finds each table's header row (it
need not be row 1) and its columns by alias, parses every cell with
:mod:`xlcrm.core.cells`, and returns a :class:`WorkbookData`: the canonical frames
of ``docs/architecture.md``, the Settings, and a data-quality list of every
cell it could not read (sheet, row as Excel shows it, header as the user
wrote it, value, reason code).

The work is split by job: :mod:`~xlcrm.xlsx.sniff` (what the file is),
:mod:`~xlcrm.xlsx.grid` (a sheet's cells), :mod:`~xlcrm.xlsx.headers`
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

import contextlib
import gc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xlcrm.core.errors import InputError, Term
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import N_
from xlcrm.xlsx import choose, csvfile, peek, sniff, tally
from xlcrm.xlsx.columns import RESULT_SHEET_NAMES
from xlcrm.xlsx.grid import Loaded, Sheet, head_rows, load_sheet
from xlcrm.xlsx.headers import EXTRA_TABLES, HEADER_SEARCH_ROWS, TABLES, sheet_for
from xlcrm.xlsx.quality import (
    INFO_REASONS,
    NOTICES,
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
from xlcrm.xlsx.tables import RowCounts, TableRead, read_table
from xlcrm.xlsx.tally import Ledger

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
        Table (``"orders"``, ``"settings"`` …) -> the sheet it was read from
        (for orders read from several sheets, the first).
    unknown_settings
        Keys on the Settings sheet that xlcrm does not know.
    order_sheets
        Every sheet orders were read from.
    columns_used
        Table -> role (``"amount"`` …) -> the header that was used for it.
    ledger
        The tally of order rows read, kept and left out (:class:`~xlcrm.xlsx.tally.Ledger`).
    deals, stage_history, feedback
        The optional Deals, stage history and Feedback sheets (canonical
        frames with a ``row`` column, the Excel row), or None.
    headers
        Table -> canonical column -> the header as written, of every table read
        (to name the user's column in problems the analysis finds).
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
    order_sheets: tuple[str, ...] = ()
    columns_used: dict[str, dict[str, str]] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    deals: pd.DataFrame | None = None
    stage_history: pd.DataFrame | None = None
    feedback: pd.DataFrame | None = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def problems(self) -> pd.DataFrame:
        """The quality list without the notices (columns used, sheets read)."""
        return self.quality[~self.quality["reason"].isin(NOTICES)].reset_index(drop=True)

    def quality_table(self, lang: str = "en") -> pd.DataFrame:
        """The quality list with headers, reasons and effects in ``lang``."""
        return quality_table(self.quality, lang)


# --- customers missing from the Customers sheet ---------------------------------


def _unknown_customers(
    read: TableRead, known: pd.Series, sheet: str, header: str, reason: str
) -> pd.DataFrame | None:
    """The first row of each customer id of ``read`` that is not in ``known``."""
    ids = read.frame["customer_id"]
    # object arrays: pandas hashes them; an Arrow string isin walks them in Python
    found = pd.Series(ids.to_numpy(dtype=object)).isin(pd.unique(known.to_numpy(dtype=object)))
    unknown = ~found.to_numpy()
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


def _unknown_customer_rows(reads: Mapping[str, list[TableRead]]) -> list[pd.DataFrame]:
    """Orders of customers missing from Customers (the order adds the customer),
    and activities of customers in neither Customers nor Orders (not used: the
    analysis knows customers only from those two sheets)."""
    listed = reads["customers"][0].frame["customer_id"] if "customers" in reads else None
    checks: list[tuple[str, pd.Series, str]] = []
    if listed is not None and "orders" in reads:
        checks.append(("orders", listed, UNKNOWN_CUSTOMER))
    if "activities" in reads:
        known = [s for s in (listed,) if s is not None]
        known.extend(r.frame["customer_id"] for r in reads.get("orders", []))
        checks.append(("activities", pd.concat(known), UNKNOWN_CONTACT))
    rows = []
    for table, ids, reason in checks:
        seen: list[pd.Series] = []
        for read in reads[table]:
            # one row per customer over all sheets of the table: later sheets skip ids seen
            known_ids = pd.concat([ids, *seen]) if seen else ids
            extra = _unknown_customers(read, known_ids, read.sheet, read.id_header, reason)
            if extra is not None:
                rows.append(extra)
            seen.append(read.frame["customer_id"])
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
    """Read a customer workbook (.xlsx, .xlsm, legacy .xls) or an Orders CSV (.csv).

    Parameters
    ----------
    path
        The file. A ``.csv`` is read as an Orders table (:func:`read_orders_csv`).
    day_first
        Read text dates like 05/03/2024 as day/month/year when a column does
        not prove either order; None takes the Settings sheet's ``day_first``
        (default month first).
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
        The file cannot be opened, a required sheet or column is missing
        (the message names the file, sheet, expected header and headers
        found), a required column has no usable value, or sheets compete.
    SettingsError
        A Settings sheet value is invalid (names the key and its row).
    """
    with paused_gc():
        return _read_workbook(Path(path), day_first=day_first, strict=strict)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while cells become Python lists: it walked
    the million row lists of a big Orders sheet again and again (a fifth of the read),
    and reading makes no reference cycles worth collecting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_workbook(file: Path, *, day_first: bool | None, strict: bool) -> WorkbookData:
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return read_orders_csv(file, day_first=bool(day_first), strict=strict)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        sniff.head_bytes(file)  # a missing file says so before the suffix does
        raise InputError(
            N_("unsupported file type {suffix!r}; xlcrm reads .xlsx, .xlsm, .xls and .csv"),
            file=str(file),
            args={"suffix": file.suffix},
        )
    calamine = sniff.open_workbook(file)
    book = Loaded(calamine)
    xml = None if sniff.is_legacy(file) else file
    try:
        names = [str(n) for n in calamine.sheet_names]
        if not names:  # every workbook has a sheet: this is something else
            raise InputError(sniff.NOT_WORKBOOK, file=str(file))
        sheet_names: dict[str, str] = {}
        # xlcrm's own result sheets (an earlier run, in place) are never input:
        # the Call plan has a customer, a date and a value, like orders
        taken: set[str] = {n for n in names if n in RESULT_SHEET_NAMES}
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
            read = read_settings_sheet(load_sheet(book, settings_name, xml, quality_parts))
            applied = apply_settings(read, file=file, sheet=settings_name)
            settings, as_of = applied.settings, applied.as_of
            column_maps, unknown = applied.column_maps, applied.unknown
            settings_values, owners = read.values, read.owners
            quality_parts.extend(read.quality)
        first = settings.day_first if day_first is None else day_first

        chosen: dict[str, list[str]] = {}
        # the optional sheets first, by name, so that a Deals sheet is never taken for orders
        for table in ("customers", "activities", *EXTRA_TABLES, "orders"):
            wanted = column_maps["sheets"].get(table)
            if wanted is not None:
                chosen[table] = choose.named_sheets(wanted, names, file, table)
            elif table == "orders":
                chosen[table] = choose.order_sheets(
                    names,
                    taken,
                    lambda name: head_rows(book, name, HEADER_SEARCH_ROWS, xml),
                    column_maps["orders"],
                    file,
                )
            else:
                name = sheet_for(table, names, taken)
                chosen[table] = [name] if name is not None else []
            taken.update(chosen[table])
            if chosen[table]:
                sheet_names[table] = chosen[table][0]

        jobs = [
            (table, name)
            for table in TABLES
            for name in (chosen[table] if table == "orders" else chosen[table][:1])
        ]

        def read_one(table: str, name: str, far: list[pd.DataFrame]) -> TableRead:
            sheet = load_sheet(book, name, xml, far)
            totals = peek.table_total_rows(file, name) if xml else set()
            return read_table(
                sheet,
                table,
                file=file,
                column_map=column_maps[table],
                day_first=first,
                settings=settings,
                total_rows=frozenset(totals),
            )

        reads = _read_all(book, jobs, xml, read_one, quality_parts)
    finally:
        book.stop()
        calamine.close()
    return _assemble(file, reads, quality_parts, strict=strict, settings=settings,
                     settings_values=settings_values, as_of=as_of, owners=owners,
                     sheet_names=sheet_names, unknown=unknown)  # fmt: skip


def _read_all(
    book: Loaded,
    jobs: list[tuple[str, str]],
    xml: Path | None,
    read_one: Callable[[str, str, list[pd.DataFrame]], TableRead],
    quality_parts: list[pd.DataFrame],
) -> dict[str, list[TableRead]]:
    """Read every (table, sheet) of ``jobs``, as if one after the other in that order.

    The sheets not loaded yet of the first table (the orders: usually the
    largest sheet) are parsed on a second thread while the other tables are
    read; then the orders are read. Results, listed cells and the first
    error come out in the order of ``jobs``: the first job that fails raises,
    as it would have read in order.
    """
    if not jobs:
        return {}
    late = {name for table, name in jobs if table == jobs[0][0] and name not in book.sheets}
    early = [job for job in jobs if job[1] not in late]
    if xml is not None and late and early:
        book.load_ahead([name for _, name in jobs if name in late], xml, sniff.open_workbook)
    else:
        early = list(jobs)
    done: dict[tuple[str, str], tuple[TableRead | None, list[pd.DataFrame], Exception | None]] = {}
    failed = False
    for job in early + [job for job in jobs if job not in early]:
        if failed and job in early:
            continue  # after a failed job: only the late jobs, which come before it
        far: list[pd.DataFrame] = []
        try:
            done[job] = (read_one(*job, far), far, None)
        except Exception as exc:  # raised below, in the order of the jobs
            done[job] = (None, far, exc)
            if job not in early:
                break
            failed = True
    reads: dict[str, list[TableRead]] = {}
    for job in jobs:
        read, far, error = done[job]
        quality_parts.extend(far)
        if error is not None:
            raise error
        assert read is not None
        reads.setdefault(job[0], []).append(read)
    return reads


def _assemble(
    file: Path,
    reads: dict[str, list[TableRead]],
    quality_parts: list[pd.DataFrame],
    *,
    strict: bool,
    settings: Settings = DEFAULT_SETTINGS,
    settings_values: Mapping[str, object] | None = None,
    as_of: pd.Timestamp | None = None,
    owners: pd.DataFrame | None = None,
    sheet_names: Mapping[str, str] | None = None,
    unknown: list[str] | None = None,
) -> WorkbookData:
    """The WorkbookData of the tables read: frames joined, notices, tally, quality list."""
    notices: list[pd.DataFrame] = []
    for table in TABLES:
        if table not in EXTRA_TABLES:
            notices.extend(tally.column_notices(table, reads.get(table, [])))
        for read in reads.get(table, []):
            quality_parts.extend(read.quality)
    quality_parts.extend(_unknown_customer_rows(reads))
    # the Customers sheet's spelling of an id comes first: similar ids map to it
    every = [r for table in ("customers", "orders", "activities") for r in reads.get(table, [])]
    similar, mapping = tally.similar_ids(every, merge=settings.merge_similar_ids)
    quality_parts.extend(similar)
    frames = {}
    for table, parts in reads.items():
        frame = (
            parts[0].frame
            if len(parts) == 1
            else pd.concat([p.frame for p in parts], ignore_index=True)
        )
        if mapping and "customer_id" in frame.columns:
            frame = frame.assign(customer_id=frame["customer_id"].replace(mapping))
        if table in EXTRA_TABLES or (table == "customers" and "referred_by" in frame.columns):
            # the Excel row of each row: problems the analysis finds name it
            frame = frame.assign(row=np.concatenate([p.rows for p in parts]))
        frames[table] = frame
    quality = collect(notices + quality_parts)
    if strict:
        _check_strict(quality, file)
    counts = {
        table: RowCounts(
            sum(p.counts.read for p in parts),
            sum(p.counts.left_out for p in parts),
            sum(p.counts.skipped for p in parts),
        )
        for table, parts in reads.items()
    }
    headers = {t: dict(parts[0].header.texts) for t, parts in reads.items() if parts[0].header}
    used = {t: texts for t, texts in headers.items() if t not in EXTRA_TABLES}
    return WorkbookData(
        path=file,
        orders=frames["orders"],
        customers=frames.get("customers"),
        activities=frames.get("activities"),
        settings=settings,
        settings_values=dict(settings_values or {}),
        as_of=as_of,
        owners=owners,
        quality=quality,
        counts=counts,
        sheet_names=dict(sheet_names or {"orders": reads["orders"][0].sheet}),
        unknown_settings=list(unknown or []),
        order_sheets=tuple(r.sheet for r in reads["orders"]),
        columns_used=used,
        ledger=tally.build_ledger(reads["orders"]),
        deals=frames.get("deals"),
        stage_history=frames.get("stage_history"),
        feedback=frames.get("feedback"),
        headers=headers,
    )


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
    the sheet and the line number as the row. A quote left open is found,
    listed at its line, and the lines it swallowed are read as rows.
    """
    file = Path(path)
    with paused_gc():
        rows, problems = csvfile.read_rows(file)
    sheet = Sheet(file.name, rows, 1, 0)
    read = read_table(sheet, "orders", file=file, column_map={}, day_first=day_first)
    return _assemble(file, {"orders": [read]}, problems, strict=strict)


__all__ = [
    "QUALITY_COLUMNS",
    "REASONS",
    "RowCounts",
    "WorkbookData",
    "quality_table",
    "read_orders_csv",
    "read_workbook",
]
