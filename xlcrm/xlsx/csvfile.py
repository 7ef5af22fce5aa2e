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
            if last > first and any("\n" in f and delimiter in f for f in record):
                broken.append(first)
                for line in lines[first - 1 : last]:
                    plain = next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE))
                    rows.append([f.strip('"') for f in plain])
            else:
                rows.append(record)
    except csv.Error as exc:
        raise InputError(sniff.UNREADABLE, file=str(file), args={"detail": str(exc)}) from None
    width = max(map(len, rows), default=0)
    rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in rows]
    problems = []
    if broken:
        problems.append(
            quality_rows(
                file.name,
                np.array(broken, dtype=np.int64),
                "",
                np.array([lines[i - 1][:80] for i in broken], dtype=object),
                np.full(len(broken), CSV_QUOTE, dtype=object),
                np.zeros(len(broken), dtype=bool),
            )
        )
    return rows, problems


__all__ = ["CSV_QUOTE", "read_rows"]
