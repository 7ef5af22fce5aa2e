"""DuckDB, the embedded default engine: nothing to start, and it spills to disk.

The work happens in a database file in a temporary folder, with a memory
limit, so a history larger than memory is sorted and aggregated on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa

from xlcrm.core.errors import InputError
from xlcrm.engine import csvquote
from xlcrm.engine.sources import Columns, Source, find_columns
from xlcrm.locale import N_

__all__ = ["DuckBackend", "default_memory_limit"]

#: Share of the machine's memory DuckDB may use by default (the rest is the core's),
#: and at most this much: beyond it DuckDB sorts and aggregates on disk.
MEMORY_SHARE: Final = 0.25
MEMORY_CAP: Final = 3 << 30


def default_memory_limit() -> str:
    """A quarter of physical memory, 1 to 3 GB (DuckDB's own default is 80 %)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return f"{min(MEMORY_CAP, max(1 << 30, int(total * MEMORY_SHARE))) >> 20}MB"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(paths: tuple[Path, ...]) -> str:
    return "[" + ", ".join(_s(str(p)) for p in paths) + "]"


class DuckBackend:
    """One DuckDB database in a temporary folder, closed (and removed) by :meth:`close`."""

    dialect: Final = "duckdb"

    def __init__(
        self, *, threads: int | None = None, memory_limit: str | None = None, lang: str = "en"
    ) -> None:
        import duckdb

        self.lang = lang
        self._dir = Path(tempfile.mkdtemp(prefix="xlcrm-duckdb-"))
        self.con = duckdb.connect(str(self._dir / "work.duckdb"))
        self.con.execute(f"SET temp_directory = {_s(str(self._dir / 'spill'))}")
        self.con.execute(f"SET memory_limit = {_s(memory_limit or default_memory_limit())}")
        self.con.execute("SET TimeZone = 'UTC'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._attached = False
        self._copies = csvquote.Copies(self._dir)
        self._csv_files: dict[str, str] = {}  # path DuckDB reads -> the user's file
        self._csv_label = ""

    @property
    def quality(self) -> list[pd.DataFrame]:
        """Data quality rows found while reading the source (quotes left open)."""
        return self._copies.quality

    # --- the four operations the reduction needs ------------------------------------

    def _run(self, statement: str) -> Any:
        """Execute ``statement``; a CSV DuckDB cannot parse (found only now, deep in the
        file) becomes an input error naming the file and the line."""
        try:
            return self.con.execute(statement)
        except Exception as exc:  # duckdb.Error
            self._raise_csv_error(exc)
            raise

    def _raise_csv_error(self, exc: Exception) -> None:
        found = self._csv_error(exc)
        if found is not None:
            raise found from None

    def view(self, name: str, query: str) -> None:
        self._run(f"CREATE OR REPLACE VIEW {name} AS {query}")

    def materialize(self, name: str, query: str) -> None:
        """Store a query's rows (a temporary table: in memory, spilled to disk when large)."""
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    def store_parts(self, query: str, parts: int) -> list[str]:
        """Write a query's rows to Parquet, split by a hash of ``customer_id`` into
        ``parts``; return one relation per part (each part is read on its own)."""
        folder = self._dir / "parts"
        self._run(
            f"COPY (SELECT *, HASH(customer_id) % {int(parts)} AS xlcrm_part FROM ({query})) "
            f"TO {_s(str(folder))} (FORMAT parquet, PARTITION_BY (xlcrm_part), "
            "COMPRESSION snappy, OVERWRITE_OR_IGNORE true)"
        )
        return [
            f"read_parquet({_s(str(folder / f'xlcrm_part={k}' / '*.parquet'))})"
            if (folder / f"xlcrm_part={k}").exists()
            else "(SELECT * FROM xlcrm_lines_empty)"
            for k in range(parts)
        ]

    def fetch(self, query: str) -> pa.Table:
        try:
            table: pa.Table = self.con.sql(query).to_arrow_table()
        except Exception as exc:  # duckdb.Error
            self._raise_csv_error(exc)
            raise
        return table

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    # --- sources ------------------------------------------------------------------------

    def load(self, source: Source, column_map: Mapping[str, str]) -> tuple[Columns, int | None]:
        """Create the view ``xlcrm_raw`` over ``source``; its columns and row count if known."""
        try:
            relation, names, headers, kinds = self._relation(source)
        except InputError:
            raise
        except Exception as exc:  # duckdb.Error: damaged file, bad CSV, no such table
            raise self._csv_error(exc) or _input_error(exc, source) from None
        columns = find_columns(
            "orders",
            names,
            kinds,
            headers=headers,
            column_map=column_map,
            where=source.label,
            lang=self.lang,
        )
        roles = ", ".join(f"{_q(name)} AS {role}_raw" for role, name in columns.names.items())
        try:
            self.con.execute(
                f"CREATE OR REPLACE VIEW xlcrm_raw AS SELECT {roles}, xlcrm_file, xlcrm_row "
                f"FROM {relation}"
            )
        except Exception as exc:  # duckdb.Error: a CSV it cannot parse
            raise self._csv_error(exc) or _input_error(exc, source) from None
        rows: int | None = None
        if source.kind == "csv":  # an estimate from the bytes per line of the first 64 KB
            with source.files[0].open("rb") as fh:
                head = fh.read(1 << 16)
            per_line = len(head) / max(head.count(b"\n"), 1)
            rows = int(sum(p.stat().st_size for p in source.files) / per_line)
        elif source.kind == "frame" and source.frame is not None:
            rows = len(source.frame)
        elif source.kind == "duckdb":
            rows = int(self.con.execute("SELECT COUNT(*) FROM xlcrm_raw").fetchall()[0][0])
        elif source.kind == "parquet":
            found = self.con.execute(
                "SELECT SUM(num_rows) FROM (SELECT DISTINCT file_name, num_rows "
                f"FROM parquet_file_metadata({_list(source.files)}))"
            ).fetchall()
            rows = int(found[0][0] or 0)
        return columns, rows

    def _csv_error(self, exc: Exception) -> InputError | None:
        """A DuckDB error about a CSV file it reads, as one line in the user's language:
        the file as the user named it and, where DuckDB says it, the line."""
        text = str(exc)
        if not self._csv_files or not ("CSV Error" in text or "sniffing file" in text):
            return None
        named = _CSV_FILE.search(text)
        path = named.group(1) if named else None
        original = self._csv_files.get(path or "")
        if original is None:
            original = next(iter(self._csv_files.values())) if len(self._csv_files) == 1 else None
        line = _CSV_LINE.search(text)
        if line is None:
            return InputError(
                N_("DuckDB cannot read this CSV file (check its quotes and its delimiter)"),
                file=original or self._csv_label,
            )
        return InputError(
            N_("DuckDB cannot read this line of the CSV file (check its quotes and its cells)"),
            file=original or self._csv_label,
            row=int(line.group(1)),
        )

    def _relation(self, source: Source) -> tuple[str, list[str], list[Any], list[str]]:
        """(FROM clause with xlcrm_file and xlcrm_row, column names, headers, types)."""
        if source.kind == "parquet":
            scan = (
                f"read_parquet({_list(source.files)}, filename = 'xlcrm_file', "
                "file_row_number = true)"
            )
            relation = f"(SELECT *, file_row_number + 1 AS xlcrm_row FROM {scan})"
            names, kinds = self._describe(f"SELECT * FROM {scan}")
            keep = [(n, k) for n, k in zip(names, kinds, strict=True) if n not in _EXTRA]
            return relation, [n for n, _ in keep], [n for n, _ in keep], [k for _, k in keep]
        if source.kind == "csv":
            return self._csv(source)
        if source.kind == "duckdb":
            if not self._attached:
                self.con.execute(f"ATTACH {_s(str(source.database))} AS xlcrm_src (READ_ONLY)")
                self._attached = True
            table = ".".join(_q(part) for part in str(source.table).split("."))
            names, kinds = self._describe(f"SELECT * FROM xlcrm_src.{table}")
            relation = (
                f"(SELECT *, {_s(str(source.table))} AS xlcrm_file, rowid + 1 AS xlcrm_row "
                f"FROM xlcrm_src.{table})"
            )
            return relation, names, names, kinds
        if source.kind == "frame":
            assert source.frame is not None
            self.con.register("xlcrm_frame", source.frame)
            names, kinds = self._describe("SELECT * FROM xlcrm_frame")
            relation = (
                f"(SELECT *, {_s(source.label)} AS xlcrm_file, "
                "CAST(NULL AS BIGINT) AS xlcrm_row FROM xlcrm_frame)"
            )
            return relation, names, names, kinds
        raise ValueError(f"the engine does not read {source.kind!r} sources")

    def _describe(self, sql: str) -> tuple[list[str], list[str]]:
        rows = self.con.sql(f"DESCRIBE {sql}").fetchall()
        return [str(r[0]) for r in rows], [str(r[1]) for r in rows]

    def _csv(self, source: Source) -> tuple[str, list[str], list[Any], list[str]]:
        import csv

        files = source.files
        if source.encoding != "utf-8-sig":
            files = tuple(self._copies.utf8(p, source.encoding) for p in files)
        with files[0].open(encoding="utf-8-sig", newline="") as fh:
            head = [
                row
                for _, row in zip(
                    range(source.header_row + 1),
                    csv.reader(fh, delimiter=source.delimiter),
                    strict=False,
                )
            ]
        header = head[source.header_row] if len(head) > source.header_row else []
        names = [f"c{i}" for i in range(len(header))]
        files = tuple(self._copies.mended(p, source.delimiter, len(header)) for p in files)
        self._csv_label = source.label
        self._csv_files = {str(c): str(p) for c, p in zip(files, source.files, strict=True)}
        # a quoted cell holding a line break (a note, an address): DuckDB's parallel
        # scanner refuses it with null_padding, so such files are scanned on one thread
        line_breaks = any(csvquote.odd_lines(p) for p in files)
        scan = (
            f"read_csv({_list(files)}, header = false, skip = {source.header_row + 1}, "
            f"all_varchar = true, delim = {_s(source.delimiter)}, quote = '\"', "
            f"names = [{', '.join(_s(n) for n in names)}], filename = 'xlcrm_file', "
            f"null_padding = true{', parallel = false' if line_breaks else ''})"
        )
        # Rows keep their order; numbered like the lines of the file (header = its line).
        first_line = source.header_row + 2
        relation = f"(SELECT *, row_number() OVER () + {first_line - 1} AS xlcrm_row FROM {scan})"
        return relation, names, header, ["VARCHAR"] * len(names)


_EXTRA: Final = frozenset({"xlcrm_file", "file_row_number"})
#: Where DuckDB's CSV errors name the file and the line.
_CSV_FILE: Final = re.compile(r'(?:sniffing file "|\n\s*file = )([^"\n]+)')
_CSV_LINE: Final = re.compile(r"CSV Error on Line: (\d+)")


def _input_error(exc: Exception, source: Source) -> InputError:
    detail = " ".join(str(exc).split())[:300]
    return InputError(
        N_("cannot read the data: {detail}"), file=source.label, args={"detail": detail}
    )
