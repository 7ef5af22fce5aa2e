"""An Orders CSV into rows: encoding, delimiter, and quotes left open.

One quote that is opened and never closed makes a CSV reader take every
following line, up to the next quote, as part of one cell: rows vanish
without a word. Here a quoted cell that spans lines and holds the
delimiter is taken for such a quote: its lines are read again one by one
with the quote as a plain character, and the line is listed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.errors import InputError
from xlcrm.xlsx import sniff
from xlcrm.xlsx.quality import quality_rows

CSV_QUOTE: Final = "csv_quote"


def read_rows(file: Path) -> tuple[list[list[Any]], list[pd.DataFrame]]:
    """The rows of a CSV file (padded to one width) and quality rows for open quotes."""
    text = sniff.decode_csv(sniff.read_bytes(file), file)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    delimiter = dialect.delimiter
    lines = text.splitlines()
    rows: list[list[Any]] = []
    broken: list[int] = []  # 1-based line of each quote left open
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        last = 0
        for record in reader:
            first, last = last + 1, reader.line_num
            if last > first and left_open(record, delimiter):
                broken.append(first)
                rows.extend(plain_fields(line, delimiter) for line in lines[first - 1 : last])
            else:
                rows.append(record)
    except csv.Error as exc:
        raise InputError(sniff.UNREADABLE, file=str(file), args={"detail": str(exc)}) from None
    width = max(map(len, rows), default=0)
    rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in rows]
    problems = []
    if broken:
        problems.append(quote_rows(file.name, broken, [lines[i - 1] for i in broken]))
    return rows, problems


def left_open(record: list[str], delimiter: str) -> bool:
    """True when a record read over several lines has a cell holding a line break and
    the delimiter: taken for a quote opened and never closed."""
    return any("\n" in f and delimiter in f for f in record)


def plain_fields(line: str, delimiter: str) -> list[str]:
    """The cells of one line with its quotes read as plain characters (ends stripped)."""
    plain = next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
    return [f.strip('"') for f in plain]


def quote_rows(name: str, lines: list[int], texts: list[str]) -> pd.DataFrame:
    """Data quality rows: a quote left open on each of ``lines`` (1-based) of file ``name``."""
    return quality_rows(
        name,
        np.array(lines, dtype=np.int64),
        "",
        np.array([text[:80] for text in texts], dtype=object),
        np.full(len(lines), CSV_QUOTE, dtype=object),
        np.zeros(len(lines), dtype=bool),
    )


__all__ = ["CSV_QUOTE", "left_open", "plain_fields", "quote_rows", "read_rows"]
