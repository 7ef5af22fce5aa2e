"""Reading one table (Orders, Customers or Activities) of a sheet into a canonical frame.

Rules (documented for users in ``docs/workbook-format.md``):

- A row whose required cell is blank or unreadable is left out and listed.
  An unreadable optional cell (say, a Customers ``created`` date) is left
  blank and listed; the row is kept.
- Rows blank in every column xlcrm reads, and repeated header rows, are
  skipped silently (counted in ``RowCounts.skipped``).
- A customer id that appears twice on the Customers sheet: the first row
  wins, later ones are left out and listed (``duplicate_id``).
- Total, subtotal and note rows (合计, 小计, Total, an Excel Table's total
  row, "共 3 个客户") are left out and listed (:mod:`xlcrm.xlsx.rowkinds`).
- Cells merged down over several rows are filled down; a merged amount
  counts once, for the group (its other lines are listed as ``merged_line``).
- Orders whose status is in the setting ``excluded_statuses`` are left out
  and listed; amounts in a currency other than the column's main one too.
- A required column with rows but no usable value at all stops the read
  (exit 2) naming the column and its first value; so does a formula cell
  without a saved result.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import cells, ratings
from xlcrm.core.errors import InputError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings, status_key
from xlcrm.locale import N_
from xlcrm.xlsx import rowkinds
from xlcrm.xlsx.grid import Sheet
from xlcrm.xlsx.headers import (
    COLUMNS,
    OPTIONAL,
    READ_COLUMNS,
    REQUIRED,
    Header,
    find_header,
    missing_column_error,
)
from xlcrm.xlsx.quality import (
    DUPLICATE_ID,
    MERGED_LINE,
    MISSING,
    OTHER_CURRENCY,
    STATUS_EXCLUDED,
    display,
    quality_rows,
)

_PARSERS: Final = {
    "customer_id": cells.parse_ids,
    "order_id": cells.parse_text,
    "amount": cells.parse_amounts,
    "name": cells.parse_text,
    "owner": cells.parse_text,
    "grade": cells.parse_grades,
    "deal_status": cells.parse_text,
    "status": cells.parse_text,
    "need_status": cells.parse_text,
    "kind": cells.parse_kinds,
    # the new Customers columns, the Deals, stage history and Feedback sheets
    "satisfaction": ratings.parse_satisfaction,
    "recommend": ratings.parse_recommend,
    "referred_by": cells.parse_ids,
    "margin": cells.parse_amounts,
    "cost": cells.parse_amounts,
    "margin_rate": ratings.parse_rates,
    "deal_id": cells.parse_ids,
    "stage": cells.parse_text,
    "lost_reason": cells.parse_text,
}
REQUIRED_ANY: Final = frozenset(c for cols in REQUIRED.values() for c in cols)
DATE_COLUMNS: Final = frozenset(
    {"order_date", "created", "expected_close", "last_contact", "date", "closed"}
)


# A unit in the amount header: 金额（万元） holds ten-thousands.
_UNITS: Final = (
    (re.compile(r"[(（\[【]\s*万\s*元?\s*[)）\]】]|万元"), 10_000.0),
    (re.compile(r"[(（\[【]\s*千\s*元?\s*[)）\]】]|千元"), 1_000.0),
)


@dataclass(frozen=True)
class RowCounts:
    """Rows of one sheet: ``read`` into the frame, ``left_out`` (listed in
    quality), ``skipped`` (blank or repeated header rows, not listed)."""

    read: int
    left_out: int
    skipped: int = 0


@dataclass
class TableRead:
    """One table read from one sheet.

    ``reasons`` and ``amounts`` describe every row that counts (not blank,
    not a repeated header): the reason it was left out (None when kept) and
    its amount where readable (0 elsewhere), for the reconciliation.
    """

    frame: pd.DataFrame
    quality: list[pd.DataFrame]
    counts: RowCounts
    rows: np.ndarray  # Excel row number of each frame row
    id_header: str  # the customer id header as the user wrote it
    header: Header | None = None
    sheet: str = ""
    header_row: int = 0  # Excel row of the header
    multiplier: float = 1.0  # amount unit from the header (万元: 10,000)
    reasons: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    amounts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=float))


def _columns(
    rows: list[list[Any]], start: int, positions: Mapping[str, int]
) -> dict[str, np.ndarray]:
    """The cells of the wanted columns below ``start``, one object array per column."""
    body = rows[start:] if start else rows
    return {
        column: np.fromiter(map(itemgetter(i), body), dtype=object, count=len(body))
        for column, i in positions.items()
    }


def _parse(column: str, values: np.ndarray, day_first: bool) -> cells.Parsed:
    if column in DATE_COLUMNS:
        return cells.parse_dates(values, day_first=day_first)
    return _PARSERS[column](values)


def _empty_column(column: str, n: int) -> pd.Series:
    if column in DATE_COLUMNS:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if column == "amount":
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype="str")


def amount_unit(header: str) -> float:
    """The multiplier a unit in the amount header stands for (万元: 10,000), else 1."""
    for pattern, factor in _UNITS:
        if pattern.search(header):
            return factor
    return 1.0


def read_table(
    sheet: Sheet,
    table: str,
    *,
    file: Path,
    column_map: Mapping[str, str],
    day_first: bool,
    settings: Settings = DEFAULT_SETTINGS,
    total_rows: frozenset[int] = frozenset(),
) -> TableRead:
    """Read ``table`` from ``sheet``: find the header, parse each column, list problems.

    ``total_rows`` are Excel rows known to be totals (an Excel Table's total row).
    """
    header, found = find_header(sheet, table, column_map)
    for column in REQUIRED[table]:
        if column not in header.columns:
            raise missing_column_error(table, column, found, sheet.name, file, column_map)
    for column in column_map:
        if column not in header.columns and column in READ_COLUMNS[table]:
            raise missing_column_error(table, column, found, sheet.name, file, column_map)

    start = header.index + 1
    continued: dict[int, np.ndarray] = {}
    if sheet.merged:
        amount_at = {header.columns["amount"]} if "amount" in header.columns else set()
        continued = rowkinds.fill_merged_down(sheet, start, amount_at)
    raw = _columns(sheet.rows, start, header.columns)
    n = len(sheet.rows) - start if sheet.rows else 0
    excel_rows = np.arange(n, dtype=np.int64) + sheet.first_row + start
    _pad_ids(sheet, header, raw, excel_rows)
    parsed = {c: _parse(c, v, day_first) for c, v in raw.items()}
    if "order_id" in parsed:
        for column in rowkinds.fill_order_lines(raw, parsed, ("customer_id", "order_date")):
            parsed[column] = _parse(column, raw[column], day_first)
    if "amount" in parsed:
        parsed["amount"] = _formatted_currencies(sheet, header, parsed["amount"], excel_rows)
    multiplier = amount_unit(header.texts["amount"]) if "amount" in header.texts else 1.0
    if multiplier != 1.0:  # 万元: an amount read may become too large only now
        read = parsed["amount"].values
        huge = (read.abs() * multiplier >= cells.MAX_AMOUNT).to_numpy()
        if huge.any():
            parsed["amount"].problem[huge] = cells.BAD_AMOUNT
            read[huge] = np.nan

    all_blank = np.logical_and.reduce([p.blank for p in parsed.values()])
    # repeated header rows: compare the first required column, then the rest where it matched
    first, *others = REQUIRED[table]
    repeat = np.asarray(raw[first] == header.values[first], dtype=bool)
    if repeat.any():
        at = np.flatnonzero(repeat)
        for column in others:
            at = at[np.asarray(raw[column][at] == header.values[column], dtype=bool)]
        repeat = np.zeros(n, dtype=bool)
        repeat[at] = True
    skip = all_blank | repeat

    problems = {c: p.problem for c, p in parsed.items()}
    blanks = {c: p.blank for c, p in parsed.items()}
    shown = dict(raw)
    _look_up_empty_cells(sheet, header, excel_rows, skip, problems, blanks, shown)

    # rows that are not data, and rows left out whole: one reason per row
    row_reason = np.full(n, None, dtype=object)
    row_column = np.full(n, None, dtype=object)
    row_value = np.full(n, None, dtype=object)
    _mark_footers(sheet, header, raw, problems, start, excel_rows, total_rows, row_reason,
                  row_column, row_value)  # fmt: skip
    amount_col = header.columns.get("amount")
    if amount_col is not None and amount_col in continued:
        merged = continued[amount_col][start:] & blanks["amount"] & pd.isna(row_reason)
        _set(row_reason, row_column, row_value, merged, MERGED_LINE, "amount", raw["amount"])
    if "status" in parsed and table == "orders":
        keys = settings.excluded_status_keys
        status = parsed["status"].values
        present = status.notna().to_numpy()
        if keys and present.any():
            unique = pd.unique(status[present])
            out = {u for u in unique if status_key(u) in keys}
            hit = present & status.isin(out).to_numpy() & pd.isna(row_reason)
            _set(row_reason, row_column, row_value, hit, STATUS_EXCLUDED, "status", raw["status"])
    currency_main = None
    if "amount" in parsed and parsed["amount"].currency is not None:
        currency_main = _main_currency(parsed["amount"].currency, settings.currency)
        named = parsed["amount"].currency
        other = pd.notna(named) & (named != currency_main) & pd.isna(row_reason)
        _set(row_reason, row_column, row_value, other, OTHER_CURRENCY, "amount", raw["amount"])
    row_reason[skip] = None
    whole = pd.notna(row_reason)

    _check_usable(table, header, raw, parsed, skip | whole, sheet.name, file, excel_rows)

    left_out = np.zeros(n, dtype=bool)
    for column in REQUIRED[table]:
        left_out |= pd.notna(problems[column]) | blanks[column]
    left_out = (left_out & ~skip & ~whole) | whole

    quality: list[pd.DataFrame] = []
    for column in header.columns:
        reasons = problems[column].copy()
        if column in REQUIRED[table]:
            reasons[blanks[column]] = MISSING
        report = pd.notna(reasons) & ~skip & ~whole
        if report.any():
            quality.append(
                quality_rows(
                    sheet.name,
                    excel_rows[report],
                    header.texts[column],
                    shown[column][report],
                    reasons[report],
                    left_out[report],
                )
            )
    if whole.any():
        texts = np.array(
            [header.texts.get(c, c) if c else "" for c in row_column[whole]], dtype=object
        )
        quality.append(
            quality_rows(
                sheet.name,
                excel_rows[whole],
                texts,
                row_value[whole],
                row_reason[whole],
                row_reason[whole] != MERGED_LINE,
                currency_main,
            )
        )

    # the reason each counted row was left out (cell problems: the first required column)
    why = row_reason.copy()
    for column in reversed(REQUIRED[table]):
        bad = pd.notna(problems[column]) & ~whole
        why[bad] = problems[column][bad]
        why[blanks[column] & ~whole] = MISSING
    why[~left_out] = None
    counted = ~skip
    amounts = np.zeros(n)
    if "amount" in parsed:
        values = parsed["amount"].values.to_numpy(dtype=float) * multiplier
        amounts = np.where(np.isnan(values), 0.0, values)

    keep = ~skip & ~left_out
    data: dict[str, pd.Series] = {}
    n_keep = int(keep.sum())
    everything = n_keep == n
    for column in COLUMNS[table]:
        if column not in parsed:
            data[column] = _empty_column(column, n_keep)
        elif everything:
            data[column] = parsed[column].values
        else:
            data[column] = parsed[column].values[keep].reset_index(drop=True)
    for column in OPTIONAL.get(table, ()):
        if column in parsed:  # kept only when the sheet has the column
            extra = parsed[column].values
            data[column] = extra if everything else extra[keep].reset_index(drop=True)
    if multiplier != 1.0:
        data["amount"] = data["amount"] * multiplier
    frame = pd.DataFrame(data, copy=False)
    rows = excel_rows[keep]

    counts = RowCounts(read=n_keep, left_out=int(left_out.sum()), skipped=int(skip.sum()))
    if table == "customers" and n_keep:
        frame, rows, counts, dup_rows = _drop_duplicate_ids(frame, rows, counts, sheet.name, header)
        if dup_rows is not None:
            quality.append(dup_rows)
    return TableRead(
        frame,
        quality,
        counts,
        rows,
        header.texts.get("customer_id", ""),
        header,
        sheet.name,
        sheet.first_row + header.index,
        multiplier,
        why[counted],
        amounts[counted],
    )


def _formatted_currencies(
    sheet: Sheet, header: Header, amount: cells.Parsed, excel_rows: np.ndarray
) -> cells.Parsed:
    """Add the currency a number cell shows by its format (¥1,234 next to [$€-407]1.234)."""
    formats = sheet.currencies(header.columns["amount"])
    if not formats:
        return amount
    shown = np.array([formats.get(int(r)) for r in excel_rows], dtype=object)
    if amount.currency is not None:
        shown = np.where(pd.notna(amount.currency), amount.currency, shown)
    return dataclasses.replace(amount, currency=shown)


def _pad_ids(
    sheet: Sheet, header: Header, raw: dict[str, np.ndarray], excel_rows: np.ndarray
) -> None:
    """Ids stored as numbers but shown zero-padded by their number format (123 shown
    as 000123) become the text shown, so they match "000123" typed on another sheet."""
    ids = raw.get("customer_id")
    if ids is None or sheet.xlsx is None or not len(ids):
        return
    formats = sheet.padded(header.columns["customer_id"])  # {} unless a format pads
    if not formats:
        return
    numbers = np.fromiter((type(v) in (int, float) for v in ids), dtype=bool, count=len(ids))
    ids = ids.copy()
    for i in np.flatnonzero(numbers):
        fmt = formats.get(int(excel_rows[i]))
        value = ids[i]
        if fmt is not None and float(value).is_integer():
            prefix, width, suffix = fmt
            ids[i] = f"{prefix}{int(value):0{width}d}{suffix}"
    raw["customer_id"] = ids


def _set(
    reason: np.ndarray,
    column: np.ndarray,
    value: np.ndarray,
    mask: np.ndarray,
    code: str,
    name: str,
    raw: np.ndarray,
) -> None:
    reason[mask] = code
    column[mask] = name
    value[mask] = raw[mask]


def _mark_footers(
    sheet: Sheet,
    header: Header,
    raw: dict[str, np.ndarray],
    problems: dict[str, np.ndarray],
    start: int,
    excel_rows: np.ndarray,
    total_rows: frozenset[int],
    reason: np.ndarray,
    column: np.ndarray,
    value: np.ndarray,
) -> None:
    """Total and note rows: by their label, or as an Excel Table's total row."""
    probes: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name, cells_ in raw.items():
        typed = name in DATE_COLUMNS or name == "amount"
        probes[name] = (cells_, pd.notna(problems[name]) if typed else None)
    first = min(header.columns.values())
    if first > 0:
        probes[""] = (_columns(sheet.rows, start, {"": 0})[""], None)
    kind, where, label = rowkinds.footer_rows(probes)
    if total_rows:
        table_total = np.isin(excel_rows, np.fromiter(total_rows, dtype=np.int64)) & pd.isna(kind)
        kind[table_total] = rowkinds.TOTAL_ROW
        where[table_total] = next(iter(raw))
        label[table_total] = raw[next(iter(raw))][table_total]
    hit = pd.notna(kind)
    reason[hit] = kind[hit]
    column[hit] = where[hit]
    value[hit] = label[hit]


def _main_currency(named: np.ndarray, setting: str) -> str:
    """The currency of the Settings sheet when it is one of those written, else the most
    written one (the first written on a tie)."""
    written = pd.Series(named[pd.notna(named)], dtype=object)
    wanted = cells.CURRENCY_CODES.get(setting.strip().casefold(), setting.strip().upper())
    if wanted and (written == wanted).any():
        return str(wanted)
    counts = written.value_counts(sort=False)
    return str(counts.index[int(np.argmax(counts.to_numpy()))])


def _look_up_empty_cells(
    sheet: Sheet,
    header: Header,
    excel_rows: np.ndarray,
    skip: np.ndarray,
    problems: dict[str, np.ndarray],
    blanks: dict[str, np.ndarray],
    shown: dict[str, np.ndarray],
) -> None:
    """Excel error cells and formulas without a saved result come back empty from
    python-calamine: look them up only when a cell xlcrm reads is empty on a row
    that counts. An unsaved formula stops the read: its value is unknown."""
    if sheet.xlsx is None or not any((b & ~skip).any() for b in blanks.values()):
        return
    errors = sheet.errors()
    for column, position in header.columns.items():
        at = np.array([r for (r, c) in errors if c == position], dtype=np.int64)
        hit = np.flatnonzero(np.isin(excel_rows, at) & blanks[column] & ~skip)
        if len(hit):
            texts = [errors[(int(excel_rows[i]), position)] for i in hit]
            problems[column][hit] = cells.EXCEL_ERROR
            blanks[column][hit] = False
            shown[column] = shown[column].copy()
            shown[column][hit] = np.array(texts, dtype=object)
    required = [c for c in REQUIRED_ANY if c in header.columns]
    if not any((blanks[c] & ~skip).any() for c in required):
        return  # an unsaved formula in an optional column only blanks that value
    unsaved = sheet.uncached()
    for column, position in header.columns.items():
        at = np.array(sorted(r for (r, c) in unsaved if c == position), dtype=np.int64)
        hit = np.flatnonzero(np.isin(excel_rows, at) & blanks[column] & ~skip)
        if len(hit):
            raise InputError(
                N_(
                    "{count} cells of this column hold a formula without a saved result "
                    "(the file was written by a program that does not calculate)"
                ),
                file=str(sheet.xlsx),
                sheet=sheet.name,
                row=int(excel_rows[hit[0]]),
                column=header.texts[column],
                hint=N_(
                    "open and save the file in Excel or LibreOffice so the results are "
                    "stored, or paste the formulas as values"
                ),
                args={"count": len(hit)},
            )


def _check_usable(
    table: str,
    header: Header,
    raw: dict[str, np.ndarray],
    parsed: dict[str, cells.Parsed],
    ignore: np.ndarray,
    sheet: str,
    file: Path,
    excel_rows: np.ndarray,
) -> None:
    """Stop when a required column has data rows but not one usable value."""
    rows = ~ignore
    if not rows.any():
        return
    for column in REQUIRED[table]:
        if parsed[column].values[rows].notna().any():
            continue
        filled = rows & ~parsed[column].blank
        where = np.flatnonzero(filled if filled.any() else rows)[0]
        example = display(raw[column][where]) if filled.any() else ""
        raise InputError(
            N_("no usable value in this column; first value: {example!r}")
            if example
            else N_("no usable value in this column: every cell is empty"),
            file=str(file),
            sheet=sheet,
            row=int(excel_rows[where]),
            column=header.texts[column],
            hint=N_(
                "check that the header names the right column, or map another one on the "
                "Settings sheet with map.{table}.{name}"
            )
            if file.suffix.lower() != ".csv"
            else N_("check that the header names the right column"),
            args={"example": example, "table": table, "name": column},
        )


def _drop_duplicate_ids(
    frame: pd.DataFrame, rows: np.ndarray, counts: RowCounts, sheet: str, header: Header
) -> tuple[pd.DataFrame, np.ndarray, RowCounts, pd.DataFrame | None]:
    """Customers: the first row of an id wins; later ones are left out and listed."""
    dup = frame["customer_id"].duplicated().to_numpy()
    if not dup.any():
        return frame, rows, counts, None
    listed = quality_rows(
        sheet,
        rows[dup],
        header.texts["customer_id"],
        frame["customer_id"].to_numpy(dtype=object)[dup],
        np.full(int(dup.sum()), DUPLICATE_ID, dtype=object),
        np.ones(int(dup.sum()), dtype=bool),
    )
    counts = RowCounts(
        counts.read - int(dup.sum()), counts.left_out + int(dup.sum()), counts.skipped
    )
    return frame[~dup].reset_index(drop=True), rows[~dup], counts, listed


__all__ = ["DATE_COLUMNS", "RowCounts", "TableRead", "amount_unit", "read_table"]
