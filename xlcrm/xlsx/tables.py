"""Reading one table (Orders, Customers or Activities) of a sheet into a canonical frame.

Rules (documented for users in ``docs/workbook-format.md``):

- A row whose required cell is blank or unreadable is left out and listed.
  An unreadable optional cell (say, a Customers ``created`` date) is left
  blank and listed; the row is kept.
- Rows blank in every column xlcrm reads, and repeated header rows, are
  skipped silently (counted in ``RowCounts.skipped``).
- A customer id that appears twice on the Customers sheet: the first row
  wins, later ones are left out and listed (``duplicate_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import cells
from xlcrm.xlsx.headers import COLUMNS, REQUIRED, find_header, missing_column_error
from xlcrm.xlsx.quality import DUPLICATE_ID, MISSING, quality_rows
from xlcrm.xlsx.sheets import Sheet

_PARSERS: Final = {
    "customer_id": cells.parse_ids,
    "order_id": cells.parse_text,
    "amount": cells.parse_amounts,
    "name": cells.parse_text,
    "owner": cells.parse_text,
    "grade": cells.parse_grades,
    "deal_status": cells.parse_text,
    "need_status": cells.parse_text,
    "kind": cells.parse_kinds,
}
DATE_COLUMNS: Final = frozenset({"order_date", "created", "expected_close", "last_contact", "date"})


@dataclass(frozen=True)
class RowCounts:
    """Rows of one sheet: ``read`` into the frame, ``left_out`` (listed in
    quality), ``skipped`` (blank or repeated header rows, not listed)."""

    read: int
    left_out: int
    skipped: int = 0


@dataclass
class TableRead:
    """One table read from one sheet."""

    frame: pd.DataFrame
    quality: list[pd.DataFrame]
    counts: RowCounts
    rows: np.ndarray  # Excel row number of each frame row
    id_header: str  # the customer id header as the user wrote it


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


def read_table(
    sheet: Sheet,
    table: str,
    *,
    file: Path,
    column_map: Mapping[str, str],
    day_first: bool,
) -> TableRead:
    """Read ``table`` from ``sheet``: find the header, parse each column, list problems."""
    header, found = find_header(sheet, table, column_map)
    for column in REQUIRED[table]:
        if column not in header.columns:
            raise missing_column_error(table, column, found, sheet.name, file, column_map)
    for column in column_map:
        if column not in header.columns and column in COLUMNS[table]:
            raise missing_column_error(table, column, found, sheet.name, file, column_map)

    raw = _columns(sheet.rows, header.index + 1, header.columns)
    n = len(sheet.rows) - header.index - 1 if sheet.rows else 0
    excel_rows = np.arange(n, dtype=np.int64) + sheet.first_row + header.index + 1
    parsed = {c: _parse(c, v, day_first) for c, v in raw.items()}

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

    # Excel error cells come back empty from python-calamine: look them up only
    # when a cell xlcrm reads is empty on a row that counts.
    problems = {c: p.problem for c, p in parsed.items()}
    blanks = {c: p.blank for c, p in parsed.items()}
    shown = dict(raw)
    if sheet.xlsx is not None and any((b & ~skip).any() for b in blanks.values()):
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

    left_out = np.zeros(n, dtype=bool)
    for column in REQUIRED[table]:
        left_out |= pd.notna(problems[column]) | blanks[column]
    left_out &= ~skip

    quality: list[pd.DataFrame] = []
    for column in header.columns:
        reasons = problems[column].copy()
        if column in REQUIRED[table]:
            reasons[blanks[column]] = MISSING
        report = pd.notna(reasons) & ~skip
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
    frame = pd.DataFrame(data, copy=False)
    rows = excel_rows[keep]

    counts = RowCounts(read=n_keep, left_out=int(left_out.sum()), skipped=int(skip.sum()))
    if table == "customers" and n_keep:
        dup = frame["customer_id"].duplicated().to_numpy()
        if dup.any():
            quality.append(
                quality_rows(
                    sheet.name,
                    rows[dup],
                    header.texts["customer_id"],
                    frame["customer_id"].to_numpy(dtype=object)[dup],
                    np.full(int(dup.sum()), DUPLICATE_ID, dtype=object),
                    np.ones(int(dup.sum()), dtype=bool),
                )
            )
            frame = frame[~dup].reset_index(drop=True)
            rows = rows[~dup]
            counts = RowCounts(
                counts.read - int(dup.sum()), counts.left_out + int(dup.sum()), counts.skipped
            )
    return TableRead(frame, quality, counts, rows, header.texts["customer_id"])


__all__ = ["DATE_COLUMNS", "RowCounts", "TableRead", "read_table"]
