"""Spark: the same reduction on a cluster, for histories that outgrow one machine.

Needs the ``spark`` extra (``pip install 'xlcrm[spark]'``) and a Java runtime.
Every statement of :mod:`xlcrm.engine.sql` is transpiled from DuckDB's
dialect to Spark SQL with sqlglot; results come back as Arrow tables. A
local master (``local[*]``, the default) binds the driver to 127.0.0.1.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from xlcrm.core.errors import InputError
from xlcrm.engine import csvquote
from xlcrm.engine.sources import Columns, Source, find_columns
from xlcrm.engine.sql import for_dialect
from xlcrm.locale import N_

__all__ = ["SparkBackend"]

DEFAULT_MASTER: Final = "local[*]"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkBackend:
    """A Spark session (started here, stopped by :meth:`close`)."""

    dialect: Final = "spark"

    def __init__(
        self,
        *,
        master: str = DEFAULT_MASTER,
        conf: Mapping[str, str] | None = None,
        lang: str = "en",
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise InputError(
                N_("--engine spark needs PySpark: pip install 'xlcrm[spark]' (and Java 17+)")
            ) from None
        self.lang = lang
        self.local = master.startswith("local")
        builder = (
            SparkSession.builder.master(master)
            .appName("xlcrm")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.showConsoleProgress", "false")
            # Spark refuses Parquet timestamps in nanoseconds (pandas' own unit); read as
            # whole nanoseconds, they are made timestamps again (_nanos_as_timestamps)
            .config("spark.sql.legacy.parquet.nanosAsLong", "true")
        )
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no other interface
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        try:
            self.spark = builder.getOrCreate()
        except Exception as exc:  # no Java, or the master cannot be reached
            raise InputError(
                N_("cannot start Spark ({master}): {detail}"),
                args={"master": master, "detail": " ".join(str(exc).split())[:300]},
            ) from None
        self.spark.sparkContext.setLogLevel("ERROR")
        self._cached: list[Any] = []
        self._dir = Path(tempfile.mkdtemp(prefix="xlcrm-spark-"))  # copies of CSV files
        self._copies = csvquote.Copies(self._dir)

    def _sql(self, query: str) -> Any:
        return self.spark.sql(for_dialect(query, self.dialect))

    def view(self, name: str, query: str) -> None:
        self._sql(query).createOrReplaceTempView(name)

    def materialize(self, name: str, query: str) -> None:
        from pyspark import StorageLevel

        frame = self._sql(query).persist(StorageLevel.MEMORY_AND_DISK)
        self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def fetch(self, query: str) -> pa.Table:
        table: pa.Table = self._sql(query).toArrow()
        return table

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    @property
    def quality(self) -> list[Any]:
        """Data quality rows found while reading the source (quotes left open)."""
        return self._copies.quality

    def close(self) -> None:
        try:
            for frame in self._cached:
                frame.unpersist()
            self.spark.stop()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    # --- sources ------------------------------------------------------------------------

    def load(self, source: Source, column_map: Mapping[str, str]) -> tuple[Columns, int | None]:
        """Create the view ``xlcrm_raw`` over ``source``."""
        try:
            frame, names, headers = self._frame(source)
        except InputError:
            raise
        except Exception as exc:  # AnalysisException: unreadable file, unknown type
            raise InputError(
                N_("cannot read the data: {detail}"),
                file=source.label,
                args={"detail": " ".join(str(exc).split())[:300]},
            ) from None
        kinds = dict(frame.dtypes)
        columns = find_columns(
            "orders",
            names,
            [kinds[n] for n in names],
            headers=headers,
            column_map=column_map,
            where=source.label,
            lang=self.lang,
        )
        frame.createOrReplaceTempView("xlcrm_source")
        roles = ", ".join(f"{_q(name)} AS {role}_raw" for role, name in columns.names.items())
        self.spark.sql(
            f"SELECT {roles}, xlcrm_file, xlcrm_row FROM xlcrm_source"
        ).createOrReplaceTempView("xlcrm_raw")
        return columns, None

    def _csv(self, source: Source) -> tuple[list[str], str, bool]:
        """The CSV files Spark reads, their encoding, and whether a quoted cell holds a
        line break (Spark then reads whole files, not lines).

        In local mode the files are prepared as for DuckDB, in copies: UTF-8, quotes
        left open read plainly (listed on Data quality), title lines above the header
        dropped. A cluster reads the user's files where they are: there a title line
        or a quote left open is exit 2, naming the file and line."""
        delimiter = source.delimiter
        files = list(source.files)
        if not self.local:
            if source.header_row:
                raise InputError(
                    N_(
                        "with --engine spark on a cluster the header must be the first line "
                        "of the CSV file"
                    ),
                    file=source.label,
                )
            for path in files:
                blocks = csvquote.find_open_quotes(path, delimiter)
                if blocks:
                    raise InputError(
                        N_(
                            "line {line} opens a quote that is never closed: close it, or "
                            "run without --engine spark (which reads such lines plainly)"
                        ),
                        file=str(path),
                        args={"line": blocks[0][0]},
                    )
            encoding = "UTF-8" if source.encoding == "utf-8-sig" else "GB18030"
            return [str(p) for p in files], encoding, any(csvquote.odd_lines(p) for p in files)
        if source.encoding != "utf-8-sig":
            files = [self._copies.utf8(p, source.encoding) for p in files]
        width = len(_header_cells(files[0], delimiter, source.header_row))
        files = [self._step(p, self._copies.mended(p, delimiter, width)) for p in files]
        multi_line = any(csvquote.odd_lines(p) for p in files)
        files = [self._step(p, self._copies.from_line(p, source.header_row)) for p in files]
        return [str(p) for p in files], "UTF-8", multi_line

    def _step(self, before: Path, after: Path) -> Path:
        """``after``; ``before`` deleted when it is a copy made here (one copy of a big
        export on disk at a time)."""
        if after != before and before.is_relative_to(self._dir):
            before.unlink(missing_ok=True)
        return after

    def _frame(self, source: Source) -> tuple[Any, list[str], list[Any]]:
        from pyspark.sql import functions as F

        files = [str(p) for p in source.files]
        if source.kind == "parquet":
            frame = _nanos_as_timestamps(self.spark.read.parquet(*files), source.files)
            frame = frame.select(
                "*",
                F.col("_metadata.file_name").alias("xlcrm_file"),
                (F.col("_metadata.row_index") + 1).alias("xlcrm_row"),
            )
            names = [c for c in frame.columns if c not in ("xlcrm_file", "xlcrm_row")]
            headers: list[Any] = names
        elif source.kind == "csv":
            files, encoding, multi_line = self._csv(source)
            frame = (
                self.spark.read.option("header", "true")
                .option("sep", source.delimiter)
                .option("quote", '"')
                .option("escape", '"')
                .option("encoding", encoding)
                .option("multiLine", "true" if multi_line else "false")
                .option("inferSchema", "false")
                .csv(files)
            )
            headers = list(frame.columns)
            names = [f"c{i}" for i in range(len(headers))]
            frame = frame.toDF(*names).select(
                "*",
                F.col("_metadata.file_name").alias("xlcrm_file"),
                F.lit(None).cast("bigint").alias("xlcrm_row"),
            )
        elif source.kind == "frame":
            assert source.frame is not None
            frame = self.spark.createDataFrame(pa.Table.from_pandas(source.frame)).select(
                "*",
                F.lit(source.label).alias("xlcrm_file"),
                F.lit(None).cast("bigint").alias("xlcrm_row"),
            )
            names = [c for c in frame.columns if c not in ("xlcrm_file", "xlcrm_row")]
            headers = names
        else:
            raise InputError(
                N_("--engine spark reads Parquet and CSV files; {source} is neither"),
                file=source.label,
                args={"source": Path(source.label).name},
            )
        return frame, names, headers


def _nanos_as_timestamps(frame: Any, files: Sequence[Path]) -> Any:
    """``frame`` with the columns the Parquet ``files`` store as timestamps in
    nanoseconds (read by Spark as whole nanoseconds) as timestamps again, to the
    microsecond below (the day is what counts)."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    stored = [
        {
            f.name
            for f in pq.read_schema(path)
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"
        }
        for path in files
    ]
    nanos = set().union(*stored)
    mixed = sorted(nanos - set.intersection(*stored)) if stored else []
    if mixed:  # Spark would take one file's type for all
        raise InputError(
            N_(
                "column {column} holds timestamps in nanoseconds in some files and not in "
                "others; write them alike, or run without --engine spark"
            ),
            file=str(files[0].parent),
            args={"column": mixed[0]},
        )
    for name in (c for c in frame.columns if c in nanos):
        ns = "`" + name.replace("`", "``") + "`"
        micros = F.expr(f"({ns} - pmod({ns}, 1000)) div 1000")  # floor, also before 1970
        frame = frame.withColumn(name, F.timestamp_micros(micros))
    return frame


def _header_cells(path: Path, delimiter: str, header_row: int) -> list[str]:
    """The cells of record ``header_row`` (numbered from 0) of a UTF-8 CSV file."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for k, row in enumerate(csv.reader(fh, delimiter=delimiter)):
            if k == header_row:
                return row
    return []
