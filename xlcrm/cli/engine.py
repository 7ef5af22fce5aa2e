"""``xlcrm analyze`` on an order history beyond one workbook (adapter).

Parquet files, folders and globs of CSV/Parquet, DuckDB tables, or any input
with ``--engine``: the orders are reduced in DuckDB or Spark
(:mod:`xlcrm.engine`), the core scores the customers, and the result goes to
a workbook and, above the customer limit, to Parquet/CSV. This module only
parses options and shows progress and outcomes; ``xlcrm.cli`` routes to it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from xlcrm.core import schema
from xlcrm.locale import N_, t, tn

__all__ = ["analyze_engine", "default_engine_output"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

STAGES = {
    "reading": N_("Reading"),
    "reducing": N_("Reducing orders to customers"),
    "scoring": N_("Scoring customers"),
    "writing": N_("Writing"),
    "parquet": N_("Writing the customer table"),
    "workbook": N_("Writing the summary workbook"),
}


ROLES = {
    "customer_id": N_("customer id"),
    "order_date": N_("order date"),
    "amount": N_("amount"),
    "order_id": N_("order id"),
    "status": N_("order status"),
}


class _RowsPerSecond(ProgressColumn):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def render(self, task: Task) -> Text:
        speed = task.speed or (
            task.completed / task.elapsed if task.elapsed and task.completed else None
        )
        if not speed:
            return Text("")
        rate = f"{speed:,.0f}"
        return Text(t("{rate} rows/s", self.lang, rate=rate))


class EngineBar:
    """The stages of an engine run on one rich progress bar (stderr, terminals only)."""

    def __init__(self, bar: Progress | None, lang: str) -> None:
        self.bar = bar
        self.lang = lang
        self.task = bar.add_task("", total=None) if bar is not None else None
        self.started = time.perf_counter()

    def stage(self, name: str, total: int | None = None) -> None:
        if self.bar is None or self.task is None:
            return
        label = t(STAGES.get(name, name), self.lang)
        self.bar.reset(self.task, total=total, description=label, completed=0)

    def advance(self, rows: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, rows)


@contextmanager
def engine_progress(lang: str) -> Iterator[EngineBar]:
    if not err_console.is_terminal:
        yield EngineBar(None, lang)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        _RowsPerSecond(lang),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        yield EngineBar(bar, lang)


def default_engine_output(spec: str) -> Path:
    """``NAME.xlcrm.xlsx``: beside a file or folder; in the current folder for a glob
    (named after the folder holding the files) or a DuckDB table (after the table)."""
    from xlcrm.engine.sources import _split_table

    split = _split_table(spec)
    if split is not None:
        return Path(f"{split[1].split('.')[-1]}.xlcrm.xlsx")
    path = Path(spec.rstrip("/\\"))
    if path.exists():
        return path.with_name(f"{path.stem}.xlcrm.xlsx")
    parent = Path(spec).parent
    name = parent.name or "orders"
    return Path(f"{name}.xlcrm.xlsx")


def analyze_engine(
    book: str,
    *,
    output: str | None,
    as_of: Any,
    lang: str | None,
    threshold: str | None,
    strict: bool,
    engine: str | None,
    spark_master: str | None,
    customers: str | None,
    activities: str | None,
    settings_book: str | None,
    csv: bool,
) -> None:
    """Run the engine path of ``xlcrm analyze`` and print where each part went."""
    from xlcrm.engine.results import write_outputs
    from xlcrm.engine.run import run_engine
    from xlcrm.xlsx import reader

    msg_lang = lang or "en"
    target = Path(output) if output else default_engine_output(book)
    with engine_progress(msg_lang) as bar:
        job = run_engine(
            book,
            today=dt.date.today(),
            engine=engine or "duckdb",
            customers=customers,
            activities=activities,
            settings_book=settings_book,
            as_of=as_of,
            lang=lang,
            threshold=threshold,
            spark_master=spark_master,
            progress=bar,
        )
        if strict:
            reader._check_strict(job.data.quality, Path(book))
        bar.stage("writing", None)
        written = write_outputs(
            job.result, job.data, target, lang=job.lang, csv=csv, step=bar.stage
        )
    _print_summary(job, written, book)


def _print_summary(job: Any, written: Any, book: str) -> None:
    lang = job.lang
    reduction = job.reduction
    counts = job.data.counts
    as_of = written.analysis.as_of.date().isoformat()
    parts = [tn("{n:,} order row", "{n:,} order rows", counts["orders"].read, lang)]
    if "customers" in counts:
        parts.append(tn("{n:,} customer", "{n:,} customers", counts["customers"].read, lang))
    if "activities" in counts:
        parts.append(tn("{n:,} activity", "{n:,} activities", counts["activities"].read, lang))
    say = console.print
    say(
        t(
            "Read {parts} from {source} with {engine} (as of {as_of}).",
            lang,
            parts=t(", ", lang).join(parts),
            source=book,
            engine="DuckDB" if job.engine == "duckdb" else "Spark",
            as_of=as_of,
        ),
        markup=False,
    )
    used = t(", ", lang).join(
        f"{t(ROLES.get(role, role), lang)} = {header!r}"
        for role, header in reduction.columns.headers.items()
    )
    say(t("Columns used: {columns}.", lang, columns=used), markup=False)
    left_out = counts["orders"].left_out
    if len(reduction.problems):
        say(
            tn(
                "Left out {n:,} order row; problems found:",
                "Left out {n:,} order rows; problems found:",
                left_out,
                lang,
            ),
            markup=False,
        )
        for row in reduction.problems.itertuples(index=False):
            reason = reader_reason(str(row.reason), lang)
            say(f"  {int(row.rows):>9,}  {row.column}: {reason}", markup=False)
        listed = int(job.data.quality["left_out"].sum()) if len(job.data.quality) else 0
        say(
            t(
                "The first {n:,} are listed on the Data quality sheet.",
                lang,
                n=min(listed, left_out) if left_out else len(job.data.quality),
            ),
            markup=False,
        )
    else:
        say(t("No order rows left out.", lang), markup=False)
    if job.future_orders:
        say(
            t(
                "Ignored {n:,} orders dated after {as_of} (the analysis date).",
                lang,
                n=job.future_orders,
                as_of=as_of,
            ),
            markup=False,
        )
    customers = written.analysis.customers
    classes = customers["rfm_class"].value_counts()
    tiers = customers["tier"].value_counts()
    say(t("RFM classes", lang) + ":", markup=False)
    for code in schema.RFM_CLASSES:
        say(f"  {int(classes.get(code, 0)):>9,}  {schema.label(code, lang)}", markup=False)
    say(t("Lifecycle tiers", lang) + ":", markup=False)
    for code in schema.TIERS:
        say(f"  {int(tiers.get(code, 0)):>9,}  {schema.tier_label(code, lang)}", markup=False)
    _print_written(written, lang)


def reader_reason(code: str, lang: str) -> str:
    from xlcrm.xlsx.quality import reason_text

    return reason_text(code, lang)


def _print_written(written: Any, lang: str) -> None:
    from xlcrm.engine.results import TOP_PER_CLASS
    from xlcrm.xlsx.writer import SHEET_NAMES

    say = console.print
    if written.full_workbook:
        sheets = t(", ", lang).join(
            names[lang] for key, names in SHEET_NAMES.items() if key != "settings"
        )
        say(
            t("Wrote {sheets} to {file}.", lang, sheets=sheets, file=written.workbook), markup=False
        )
    else:
        say(
            t(
                "{n:,} customers are more than a sheet should hold (sheet_customer_limit).",
                lang,
                n=written.customers,
            ),
            markup=False,
        )
        say(
            t(
                "Wrote every customer, every column, to {file}.",
                lang,
                file=written.parquet,
            ),
            markup=False,
        )
        say(
            t(
                "Wrote the Dashboard and the Call plan (all customers), {rfm} (the top {top:,} "
                "per class), {followups} ({plan:,} follow-ups due now) and {quality} to {file}.",
                lang,
                rfm=SHEET_NAMES["rfm"][lang],
                top=TOP_PER_CLASS,
                followups=SHEET_NAMES["followups"][lang],
                plan=written.plan_rows,
                quality=SHEET_NAMES["quality"][lang],
                file=written.workbook,
            ),
            markup=False,
        )
    if written.csv is not None:
        say(t("Wrote the customer table as CSV to {file}.", lang, file=written.csv), markup=False)
