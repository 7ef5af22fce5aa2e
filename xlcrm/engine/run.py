"""One analysis of an order history in an engine: read, reduce, score.

:func:`run_engine` is :func:`xlcrm.jobs.run_job` for inputs beyond one
workbook: the orders are reduced to one row per customer in DuckDB (or
Spark), then the per-customer rules of the core run on that table. The
precedence is the same: option > Settings sheet > default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlcrm.core import rfm
from xlcrm.core.analysis import Analysis, prepare
from xlcrm.core.parts import Parts, analyze_in_parts, run_all
from xlcrm.core.reduced import Reduced
from xlcrm.core.schema import ORDER_COLUMNS
from xlcrm.engine.memory import give_back
from xlcrm.engine.reduce import LIST_LIMIT, Progress, Reduction, reduce_orders
from xlcrm.engine.sources import Source, parse_source
from xlcrm.engine.tables import SettingsBook, Table, read_settings_book, read_table
from xlcrm.xlsx import quality as qual
from xlcrm.xlsx import reader

__all__ = ["ENGINES", "EngineJob", "open_backend", "run_engine"]

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineJob:
    """An order history reduced in an engine and analysed.

    ``data`` has the shape the workbook reader returns (settings, customers,
    activities, quality, counts), with no order rows: those stayed in the
    engine. ``reduction`` says what happened to them (its per-customer table
    emptied once analysed: the analysis holds what it needs of it).
    """

    data: reader.WorkbookData
    result: Analysis | Parts
    reduction: Reduction
    lang: str
    engine: str

    @property
    def future_orders(self) -> int:
        return self.reduction.future

    @property
    def analysis(self) -> Analysis:
        """The analysis (with an empty customer frame when the customers come in parts)."""
        return self.result.analysis if isinstance(self.result, Parts) else self.result


def open_backend(
    engine: str,
    *,
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    lang: str = "en",
) -> Any:
    """A DuckDB or Spark backend (close it when done)."""
    if engine == "spark":
        from xlcrm.engine.spark import DEFAULT_MASTER, SparkBackend

        return SparkBackend(master=spark_master or DEFAULT_MASTER, conf=spark_conf, lang=lang)
    if engine != "duckdb":
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    from xlcrm.engine.duck import DuckBackend

    return DuckBackend(threads=threads, memory_limit=memory_limit, lang=lang)


def run_engine(
    orders: str | Path,
    *,
    today: dt.date,
    engine: str = "duckdb",
    customers: str | Path | None = None,
    activities: str | Path | None = None,
    settings_book: str | Path | None = None,
    as_of: Any = None,
    lang: str | None = None,
    threshold: str | None = None,
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    list_limit: int = LIST_LIMIT,
    progress: Progress | None = None,
    part_rows: int = 250_000,
) -> EngineJob:
    """Reduce ``orders`` in ``engine`` and run the core on the customer table.

    ``orders`` is a Parquet or CSV file, a folder or glob of them, a
    ``db.duckdb:table``, or a workbook (its Orders sheet read by the reader,
    reduced in the engine). Customers and Activities come from their own
    files, or from that workbook; settings from ``settings_book`` or that
    workbook.
    """
    msg = lang or "en"
    source = parse_source(orders, lang=msg)
    book: reader.WorkbookData | None = None
    if source.kind == "workbook":
        book = reader.read_workbook(source.files[0], lang=msg)
        frame = book.orders[[c for c in ORDER_COLUMNS if c in book.orders.columns]]
        source = Source("frame", book.sheet_names.get("orders", "Orders"), frame=frame)
    if settings_book is not None:
        given = read_settings_book(settings_book, lang=msg)
    elif book is not None:
        given = SettingsBook(
            book.settings, book.as_of, {}, book.settings_values, book.owners, book.unknown_settings
        )
    else:
        given = SettingsBook()
    settings = given.settings
    if threshold:
        settings = settings.replace(threshold_method=threshold)
    stamp = rfm.to_timestamp(pd.Timestamp(as_of or given.as_of or today).normalize())
    maps = given.column_maps

    backend = open_backend(
        engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
        memory_limit=memory_limit,
        threads=threads,
        lang=msg,
    )
    try:
        reduction = reduce_orders(
            backend,
            source,
            as_of_day=rfm.day_number(stamp),
            settings=settings,
            column_map=maps.get("orders", {}),
            list_limit=list_limit,
            progress=progress,
        )
    finally:
        backend.close()
    give_back()

    tables: dict[str, Table | None] = {}
    for name, spec in (("customers", customers), ("activities", activities)):
        tables[name] = (
            read_table(
                spec,
                name,
                column_map=maps.get(name, {}),
                day_first=settings.day_first,
                lang=msg,
            )
            if spec is not None
            else None
        )
    customer_frame = _frame(tables["customers"], book, "customers")
    activity_frame = _frame(tables["activities"], book, "activities")
    if progress is not None:
        progress.stage("scoring", reduction.reduced.n_customers)
    unknown = _unknown_rows(reduction, tables, list_limit, Path(source.label).name)
    run = prepare(reduction.reduced, customer_frame, activity_frame, as_of=stamp, settings=settings)
    # the per-customer table lives on in the run alone: the analysis lets go of the
    # columns it no longer needs (1.1 GB for ten million customers)
    reduction = replace(reduction, reduced=_emptied(reduction.reduced))
    # up to the sheet limit one frame, as for a workbook; above it slices of customers
    result: Analysis | Parts = (
        run_all(run)
        if run.n <= settings.sheet_customer_limit
        else analyze_in_parts(run, rows=part_rows)
    )
    del run
    give_back()

    quality = [*given.quality, reduction.quality]
    if book is not None:
        quality.append(book.quality)
    counts = {"orders": reduction.counts}
    names = {"orders": source.label}
    for name, table in tables.items():
        if table is not None:
            quality.extend(table.quality)
            counts[name] = table.counts
            names[name] = table.name
        elif book is not None and name in book.counts:
            counts[name] = book.counts[name]
    quality.extend(unknown)
    data = reader.WorkbookData(
        path=Path(str(orders)),
        orders=pd.DataFrame({c: pd.Series(dtype=object) for c in ORDER_COLUMNS}),
        customers=customer_frame,
        activities=activity_frame,
        settings=settings,
        settings_values=dict(given.values),
        as_of=given.as_of,
        owners=given.owners,
        quality=qual.collect([q for q in quality if q is not None]),
        counts=counts,
        sheet_names=names,
        unknown_settings=list(given.unknown),
    )
    return EngineJob(data, result, reduction, lang or settings.language or "en", engine)


def _emptied(reduced: Reduced) -> Reduced:
    """``reduced`` with no customers (what the command's summary reads of it is kept)."""
    return replace(
        reduced,
        ids=reduced.ids[:0].copy(),
        columns={name: values[:0].copy() for name, values in reduced.columns.items()},
    )


def _frame(table: Table | None, book: reader.WorkbookData | None, name: str) -> pd.DataFrame | None:
    if table is not None:
        return table.frame
    if book is not None:
        frame: pd.DataFrame | None = getattr(book, name)
        return frame
    return None


def _unknown_rows(
    reduction: Reduction, tables: dict[str, Table | None], limit: int, sheet: str
) -> list[pd.DataFrame]:
    """Customers of the orders missing from Customers, and activities of customers
    in neither (not used), as the reader lists them: once per customer, first ``limit``."""
    out = []
    listed = tables.get("customers")
    order_ids = reduction.reduced.ids
    if listed is not None:
        known = listed.ids.to_numpy(dtype=object)
        unknown = order_ids[~np.isin(order_ids, known)]
        if unknown.size:
            shown = np.sort(unknown.astype(str))[:limit]
            out.append(
                qual.quality_rows(
                    sheet,
                    np.zeros(len(shown), dtype=np.int64),
                    reduction.columns.headers.get("customer_id", "customer_id"),
                    shown.astype(object),
                    np.full(len(shown), qual.UNKNOWN_CUSTOMER, dtype=object),
                    np.zeros(len(shown), dtype=bool),
                ).assign(row=pd.array([pd.NA] * len(shown), dtype="Int64"))
            )
    contacts = tables.get("activities")
    if contacts is not None:
        known_ids = [order_ids] + ([listed.ids.to_numpy(dtype=object)] if listed else [])
        ids = contacts.ids
        unknown_mask = ~ids.isin(np.concatenate(known_ids)).to_numpy()
        first = np.flatnonzero(unknown_mask)
        if first.size:
            keep = first[~ids.iloc[first].duplicated().to_numpy()][:limit]
            out.append(
                qual.quality_rows(
                    contacts.name,
                    np.asarray(contacts.rows)[keep],
                    contacts.id_header,
                    ids.to_numpy(dtype=object)[keep],
                    np.full(len(keep), qual.UNKNOWN_CONTACT, dtype=object),
                    np.zeros(len(keep), dtype=bool),
                )
            )
    return out
