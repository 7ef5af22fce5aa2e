"""Where order rows come from: Parquet and CSV files, folders, globs, DuckDB tables.

:func:`parse_source` turns what the user typed into a :class:`Source`;
:func:`find_columns` finds the header and matches its columns to the roles
(customer id, order date, amount, order id) with the workbook reader's own
aliases and ``map.orders.*`` settings, so a file is read as its sheet would be.
"""

from __future__ import annotations

import csv
import glob
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from xlcrm.core.errors import InputError
from xlcrm.locale import N_
from xlcrm.xlsx import grid
from xlcrm.xlsx import headers as header_rows

__all__ = ["Columns", "Source", "find_columns", "is_engine_source", "parse_source"]

PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq", ".parq"})
CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_SUFFIXES: Final = frozenset({".xlsx", ".xlsm", ".xls"})
DUCKDB_SUFFIXES: Final = (".duckdb", ".ddb", ".db")
_GLOB_CHARS: Final = frozenset("*?[")
#: The order columns the engine reads (the status: to leave out closed orders).
ROLES: Final = ("customer_id", "order_date", "amount", "order_id", "status")


@dataclass(frozen=True)
class Source:
    """A table of rows.

    ``kind`` is ``"parquet"``, ``"csv"`` (``files``), ``"duckdb"`` (``database``
    and ``table``), ``"workbook"`` (one .xlsx/.xlsm file) or ``"frame"``
    (an in-memory ``frame``, canonical columns already parsed).
    """

    kind: str
    label: str
    files: tuple[Path, ...] = ()
    database: Path | None = None
    table: str | None = None
    frame: pd.DataFrame | None = field(default=None, compare=False)
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 0  # 0-based line of the header (CSV)


def is_engine_source(spec: str) -> bool:
    """True for what only the engine reads: Parquet, folders, globs, DuckDB tables."""
    if _split_table(spec) is not None:
        return True
    path = Path(spec)
    if any(ch in spec for ch in _GLOB_CHARS) and not path.exists():
        return True
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def _split_table(spec: str) -> tuple[Path, str] | None:
    """``db.duckdb:table`` -> (db.duckdb, table)."""
    head, sep, table = spec.rpartition(":")
    if sep and table and head.lower().endswith(DUCKDB_SUFFIXES) and Path(head).is_file():
        return Path(head), table
    return None


def parse_source(spec: str | Path, *, lang: str = "en") -> Source:
    """A :class:`Source` for a file, a folder, a glob or ``db.duckdb:table``.

    A folder means every Parquet or CSV file under it (one kind only). A
    glob (``orders/2024-*.csv``) is expanded the same way. Raises
    :class:`InputError` (exit 2) for a missing file, an empty match or a
    mix of kinds.
    """
    text = str(spec)
    split = _split_table(text)
    if split is not None:
        return Source("duckdb", text, database=split[0], table=split[1])
    path = Path(text)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and _kind_of(p) in ("parquet", "csv")
        )
        return _from_files(files, text, lang)
    if any(ch in text for ch in _GLOB_CHARS) and not path.exists():
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        return _from_files(files, text, lang)
    if not path.exists():
        raise InputError(N_("file not found"), file=text)
    kind = _kind_of(path)
    if kind == "workbook":
        return Source("workbook", text, files=(path,))
    if kind is None:
        raise InputError(
            N_("unsupported file type {suffix!r}; xlcrm reads .xlsx, .xlsm, .csv and .parquet"),
            file=text,
            args={"suffix": path.suffix},
        )
    return _from_files([path], text, lang)


def _kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in WORKBOOK_SUFFIXES:
        return "workbook"
    return None


def _from_files(files: Sequence[Path], label: str, lang: str) -> Source:
    if not files:
        raise InputError(N_("no Parquet or CSV files found"), file=label)
    kinds = {_kind_of(p) for p in files}
    if len(kinds) > 1:
        raise InputError(
            N_("both Parquet and CSV files found; give one kind (a glob such as {example})"),
            file=label,
            args={"example": "orders/*.parquet"},
        )
    kind = kinds.pop()
    if kind == "csv":
        encoding, delimiter, header_row = _csv_layout(files[0], lang)
        return Source(
            "csv",
            label,
            files=tuple(files),
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
        )
    return Source(str(kind), label, files=tuple(files))


# --- CSV layout -----------------------------------------------------------------

_SAMPLE_BYTES: Final = 1 << 16


def _csv_layout(path: Path, lang: str) -> tuple[str, str, int]:
    """Encoding, delimiter and header line of a CSV file (from its first 64 KB)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(
            N_("cannot open the file: {detail}"), file=str(path), args={"detail": exc.strerror}
        ) from None
    text, encoding = _decode_head(head, path)
    lines = text.splitlines()[:-1] if len(head) == _SAMPLE_BYTES else text.splitlines()
    sample = "\n".join(lines)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sniffed = ","
    # The delimiter whose header row matches most Orders columns (title rows fool the sniffer).
    best: tuple[tuple[int, int, int], str, int] | None = None
    for delimiter in dict.fromkeys((sniffed, ",", ";", "\t", "|")):
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        header, _ = header_rows.find_header(grid.Sheet(path.name, rows, 1, 0), "orders", {})
        required = sum(c in header.columns for c in header_rows.REQUIRED["orders"])
        score = (required, len(header.columns), delimiter == sniffed)
        if best is None or score > best[0]:
            best = (score, delimiter, header.index)
    assert best is not None
    return encoding, best[1], best[2]


def _decode_head(head: bytes, path: Path) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start > len(head) - 4:
                return head[: exc.start].decode(encoding), encoding  # a character cut in two
    raise InputError(N_("cannot decode the CSV file (tried UTF-8 and GBK)"), file=str(path))


# --- columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Role (customer_id, order_date, amount, order_id) -> the source's column name,
    the header as the user wrote it, and the column's type."""

    names: dict[str, str]
    headers: dict[str, str]
    kinds: dict[str, str]


def find_columns(
    table: str,
    names: Sequence[str],
    kinds: Sequence[str],
    *,
    headers: Sequence[Any] | None = None,
    column_map: Mapping[str, str] | None = None,
    where: str,
    lang: str = "en",
) -> Columns:
    """Match a source's columns to the roles of ``table`` ("orders") by alias.

    ``names`` are the column names the engine uses, ``headers`` what the
    user wrote (the same unless a CSV was read without its header), ``kinds``
    their types. A missing required column raises the reader's own error.
    """
    shown = list(headers) if headers is not None else list(names)
    column_map = dict(column_map or {})
    positions = header_rows.match_columns(shown, table, column_map)
    positions = {role: i for role, i in positions.items() if role in ROLES}
    found = [str(h).strip() for h in shown if not grid.is_blank(h)]
    for role in (*header_rows.REQUIRED[table], *column_map):
        if role in ROLES and role not in positions:
            raise header_rows.missing_column_error(
                table, role, found, Path(where).name, Path(where), column_map
            )
    return Columns(
        names={role: str(names[i]) for role, i in positions.items()},
        headers={role: str(shown[i]).strip() for role, i in positions.items()},
        kinds={role: str(kinds[i]) for role, i in positions.items()},
    )
