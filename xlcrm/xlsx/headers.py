"""Finding a table's sheet, its header row and its columns by the user's headers.

Headers are matched by :func:`xlcrm.core.schema.header_key` (case, spaces and
punctuation ignored) against the aliases of :data:`xlcrm.core.schema.COLUMN_ALIASES`;
within a column, earlier aliases win. A header row may sit below title rows
(the first :data:`HEADER_SEARCH_ROWS` rows are tried), and vertically merged
header cells count for every row they span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from xlcrm.core.errors import InputError
from xlcrm.core.schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_REQUIRED,
    COLUMN_ALIASES,
    CUSTOMER_COLUMNS,
    CUSTOMER_OPTIONAL_COLUMNS,
    CUSTOMER_REQUIRED,
    DEAL_COLUMNS,
    DEAL_REQUIRED,
    FEEDBACK_COLUMNS,
    FEEDBACK_REQUIRED,
    HISTORY_COLUMNS,
    HISTORY_REQUIRED,
    ORDER_COLUMNS,
    ORDER_EXTRA_COLUMNS,
    ORDER_REQUIRED,
    SHEET_ALIASES,
    header_key,
)
from xlcrm.locale import N_
from xlcrm.xlsx.grid import Sheet, is_blank

HEADER_SEARCH_ROWS: Final = 20
TABLES: Final = ("orders", "customers", "activities", "deals", "stage_history", "feedback")
#: Optional sheets of the funnel and feedback: found by name, before the orders.
EXTRA_TABLES: Final = ("deals", "stage_history", "feedback")
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "orders": ORDER_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
    "activities": ACTIVITY_COLUMNS,
    "deals": DEAL_COLUMNS,
    "stage_history": HISTORY_COLUMNS,
    "feedback": FEEDBACK_COLUMNS,
}
# What is read from a sheet: the canonical columns plus reader-only ones (order
# status) and optional ones kept only when the sheet has them (OPTIONAL).
OPTIONAL: Final[dict[str, tuple[str, ...]]] = {"customers": CUSTOMER_OPTIONAL_COLUMNS}
READ_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    **COLUMNS,
    "orders": ORDER_COLUMNS + ORDER_EXTRA_COLUMNS,
    "customers": CUSTOMER_COLUMNS + CUSTOMER_OPTIONAL_COLUMNS,
}
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "orders": ORDER_REQUIRED,
    "customers": CUSTOMER_REQUIRED,
    "activities": ACTIVITY_REQUIRED,
    "deals": DEAL_REQUIRED,
    "stage_history": HISTORY_REQUIRED,
    "feedback": FEEDBACK_REQUIRED,
}
MAP_PREFIX: Final = "map."

# "金额（元）", "Amount (USD)": a unit in brackets after a known header
_UNIT_SUFFIX: Final = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*[)）\]】]\s*$")


def sheet_for(table: str, names: Sequence[str], taken: set[str]) -> str | None:
    """The sheet named like ``table`` (first alias that matches), not already taken."""
    keys = {header_key(n): n for n in reversed(names) if n not in taken}
    for alias in SHEET_ALIASES[table]:
        hit = keys.get(header_key(alias))
        if hit is not None:
            return hit
    return None


@dataclass(frozen=True)
class Header:
    """Where a table's header is and which column holds what."""

    index: int  # position in sheet.rows
    columns: dict[str, int]  # canonical column -> position in the row
    texts: dict[str, str]  # canonical column -> header as written
    values: dict[str, object]  # canonical column -> raw header cell


def header_cells(sheet: Sheet, index: int) -> list[object]:
    """Header row cells, with vertically merged cells filled from above."""
    row = list(sheet.rows[index])
    excel_row0 = sheet.first_row - 1 + index
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 < excel_row0 <= r1:
            source_row = r0 - (sheet.first_row - 1)
            src_col = c0 - sheet.first_col
            if 0 <= source_row < len(sheet.rows) and 0 <= src_col < len(row):
                value = sheet.rows[source_row][src_col]
                for c in range(
                    max(c0 - sheet.first_col, 0), min(c1 - sheet.first_col + 1, len(row))
                ):
                    if is_blank(row[c]):
                        row[c] = value if c == src_col else row[c]
    return row


def match_columns(
    cells_: Sequence[object], table: str, column_map: Mapping[str, str]
) -> dict[str, int]:
    """Canonical column -> position; mapped headers (Settings sheet) are claimed first."""
    keys = [header_key(c) if isinstance(c, str) else "" for c in cells_]
    bare = [
        header_key(_UNIT_SUFFIX.sub("", c)) if isinstance(c, str) and _UNIT_SUFFIX.search(c) else ""
        for c in cells_
    ]
    found: dict[str, int] = {}
    used: set[int] = set()
    mapped = [c for c in READ_COLUMNS[table] if c in column_map]
    unmapped = [c for c in READ_COLUMNS[table] if c not in column_map]
    for column in mapped + unmapped:
        if column in column_map:
            wanted = [header_key(column_map[column])]
        else:
            wanted = [header_key(a) for a in COLUMN_ALIASES[table].get(column, ())]
            wanted.append(header_key(column))
        for forms in (keys, bare):
            hit = next(
                (
                    i
                    for alias in wanted
                    for i, k in enumerate(forms)
                    if k == alias and i not in used
                ),
                None,
            )
            if hit is not None:
                found[column] = hit
                used.add(hit)
                break
    return {c: found[c] for c in READ_COLUMNS[table] if c in found}


def find_header(
    sheet: Sheet, table: str, column_map: Mapping[str, str]
) -> tuple[Header, list[str]]:
    """Best header row among the first rows, and the headers of that row (for messages)."""
    required = REQUIRED[table]
    best: tuple[int, int, int] | None = None  # (required hits, all hits, -index)
    best_cols: dict[str, int] = {}
    best_row: list[object] = []
    best_index = 0
    for index in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        row = header_cells(sheet, index)
        columns = match_columns(row, table, column_map)
        score = (sum(c in columns for c in required), len(columns), -index)
        if best is None or score > best:
            best, best_cols, best_row, best_index = score, columns, row, index
    found = [str(c).strip() for c in best_row if not is_blank(c)]
    texts = {c: str(best_row[i]).strip() for c, i in best_cols.items()}
    values = {c: best_row[i] for c, i in best_cols.items()}
    return Header(best_index, best_cols, texts, values), found


def expected_header(table: str, column: str) -> str:
    """The English header xlcrm names a column by ("Amount", "Order Date")."""
    aliases = COLUMN_ALIASES[table].get(column, ())
    plain = header_key(column)
    return next((a for a in aliases if header_key(a) == plain), aliases[0] if aliases else column)


def missing_column_error(
    table: str,
    column: str,
    found: list[str],
    sheet: str,
    file: Path,
    column_map: Mapping[str, str],
) -> InputError:
    """The exit-2 error for a column that is not there: what was expected, what was found."""
    shown = ", ".join(found)
    if column in column_map:
        expected = column_map[column]
        message = (
            N_(
                "the Settings sheet maps {key} to {expected!r}, but there is no such header; "
                "headers found: {found}"
            )
            if found
            else N_(
                "the Settings sheet maps {key} to {expected!r}, but there is no such header; "
                "headers found: (none)"
            )
        )
    else:
        COLUMN_ALIASES[table][column]
        expected = expected_header(table, column)
        message = (
            N_("no {expected!r} column (also accepted: {aliases}); headers found: {found}")
            if found
            else N_("no {expected!r} column (also accepted: {aliases}); headers found: (none)")
        )
    csv = file.suffix.lower() == ".csv"
    return InputError(
        message,
        file=str(file),
        sheet=sheet,
        column=expected,
        hint=N_("rename the header in the CSV file (a CSV has no Settings sheet for a column map)")
        if csv
        else N_("rename the header, or map it on the Settings sheet with map.{table}.{column}"),
        args={
            "key": f"{MAP_PREFIX}{table}.{column}",
            "expected": expected,
            "aliases": ", ".join(a for a in COLUMN_ALIASES[table].get(column, ()) if a != expected),
            "found": shown,
            "table": table,
            "column": column,
        },
    )


__all__ = [
    "COLUMNS",
    "EXTRA_TABLES",
    "HEADER_SEARCH_ROWS",
    "MAP_PREFIX",
    "OPTIONAL",
    "READ_COLUMNS",
    "REQUIRED",
    "TABLES",
    "Header",
    "find_header",
    "header_cells",
    "match_columns",
    "missing_column_error",
    "sheet_for",
]
