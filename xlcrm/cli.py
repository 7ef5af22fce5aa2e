"""The ``xlcrm`` command line. Commands only: each one parses options and
calls into io/core. Exit codes: 0 success, 2 bad input or usage, 1 unexpected
error. No traceback unless ``--debug``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from xlcrm.core.errors import XlcrmError
from xlcrm.locale import t, tn

if TYPE_CHECKING:
    from xlcrm.jobs import AnalyzeOutcome, EmailOutcome

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
console = Console(highlight=False, soft_wrap=True)


def _remember_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # ctx.meta is shared by all nested contexts: the group's error handler
    # reads it to answer in the sub-command's language
    if value is not None:
        ctx.meta["xlcrm.lang"] = value
    return value


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    callback=_remember_lang,
    help="Language of sheet names, headers, labels and messages "
    "(default: Settings sheet, else en).",
)

AS_OF_OPTION = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Analysis date, YYYY-MM-DD (default: Settings sheet, else today).",
)

COMPARE_OPTION = click.option(
    "--compare-as-of",
    "compare_as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="An earlier day, YYYY-MM-DD: what changed since then (moves between RFM classes "
    "and tiers, new churn warnings, customers who became lost).",
)


def _one_line(text: object) -> str:
    # control characters from a damaged file (NUL, escapes) must not reach the terminal
    return " ".join(_CONTROL.sub(" ", str(text)).split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def error_line(exc: XlcrmError, lang: str = "en") -> str:
    """The one-line message for ``exc``: where, what, and the hint, in ``lang``."""
    return _one_line(exc.render(lang))


def _lang_of(ctx: click.Context) -> str:
    """The --lang given to the running command (see LANG_OPTION), for messages."""
    lang = ctx.meta.get("xlcrm.lang")
    return lang if lang in ("en", "zh") else "en"


def warn_if_open(book: Any, lang: str) -> None:
    """A note on stderr when Excel's lock file ``~$BOOK`` sits beside BOOK (it is open there)."""
    from pathlib import Path

    from xlcrm.jobs import excel_lock

    lock = excel_lock(book)
    if lock is not None:
        text = t(
            "note: {file} is open in Excel ({lock} exists); reading the last saved version",
            lang,
            file=Path(book).name,
            lock=lock.name,
        )
        err_console.print(f"[yellow]xlcrm:[/] {escape(_one_line(text))}")


def check_output(target: Any, lang: str) -> None:
    """Refuse an output path that is an existing folder, in one line (not a usage error)."""
    from xlcrm.jobs import check_target

    check_target(target)


def _debugging(ctx: click.Context) -> bool:
    return (
        "--debug" in sys.argv[1:]
        or bool(ctx.params.get("debug"))
        or os.environ.get("XLCRM_DEBUG", "") not in ("", "0")
    )


class XlcrmGroup(click.Group):
    """Turns XlcrmError into one line and exit 2; anything else into exit 1.

    A missing or unreadable file (``OSError`` with a file name) is bad input:
    exit 2 naming the file. ``--debug`` (or ``XLCRM_DEBUG=1``) re-raises so the
    traceback shows.
    """

    def invoke(self, ctx: click.Context) -> Any:
        debug = _debugging(ctx)
        try:
            return super().invoke(ctx)
        except XlcrmError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]xlcrm:[/] {escape(error_line(exc, _lang_of(ctx)))}")
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            text = t("interrupted; nothing was overwritten", _lang_of(ctx))
            err_console.print(f"xlcrm: {text}", markup=False)
            ctx.exit(130)
        except OSError as exc:
            if debug or not exc.filename:
                if debug:
                    raise
                self._unexpected(ctx, exc)
            reason = exc.strerror or type(exc).__name__
            err_console.print(
                f"[bold red]xlcrm:[/] {escape(_one_line(f'{exc.filename}: {reason}'))}"
            )
            ctx.exit(2)
        except Exception as exc:
            if debug:
                raise
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: BaseException) -> None:
        error = _one_line(f"{type(exc).__name__}: {exc}")
        text = t(
            "unexpected error: {error} (run again with --debug for the traceback)",
            _lang_of(ctx),
            error=error,
        )
        err_console.print(f"[bold red]xlcrm:[/] {escape(text)}")
        ctx.exit(1)


class Steps:
    """Handle returned by :func:`progress`: one ``step()`` per named step."""

    def __init__(self, bar: Progress | None, names: Sequence[str]) -> None:
        self._bar = bar
        self._names = list(names)
        self._done = 0
        self._started = False
        self._task = (
            bar.add_task(self._names[0] if names else "", total=len(names)) if bar else None
        )

    def next(self) -> None:
        """Start the next step (the one before is done): for steps a use case reports."""
        if self._started:
            self._done += 1
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, advance=1)
        self._started = True
        if self._bar is not None and self._task is not None and self._names:
            label = self._names[min(self._done, len(self._names) - 1)]
            self._bar.update(self._task, description=label)

    @contextmanager
    def step(self, name: str | None = None) -> Iterator[None]:
        """Show ``name`` (default: the next step's name) while the block runs."""
        index = min(self._done, len(self._names) - 1)
        label = name or (self._names[index] if self._names else "")
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=label)
        yield
        self._done += 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1)


@contextmanager
def progress(steps: Sequence[str], lang: str | None = "en") -> Iterator[Steps]:
    """A rich progress bar over named steps, on stderr, for work longer than ~1 s.

    Drawn only when stderr is a terminal (never in pipes, CI or tests) and
    cleared when done, so the command's summary line is what remains.

    \b
    Example::

        with progress([t("Reading {file}", lang, file=name), t("Analysing", lang)], lang) as bar:
            with bar.step():
                frames = read(...)
            with bar.step():
                write(...)
    """
    if not err_console.is_terminal:
        yield Steps(None, steps)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(t("steps", lang or "en")),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        yield Steps(bar, steps)


@click.group(cls=XlcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="xlcrm")
def cli(debug: bool) -> None:
    """xlcrm: RFM classes, lifecycle tiers, follow-ups and strategy briefs for Excel workbooks.

    \b
    Example:
      xlcrm demo -o sample.xlsx
      xlcrm analyze sample.xlsx
      xlcrm report sample.xlsx -o brief.pdf
    """


@cli.command("report")
@click.argument("book", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="File to write. Default: BOOK.brief.pdf (BOOK.brief.html with --html) beside BOOK.",
)
@AS_OF_OPTION
@LANG_OPTION
@click.option(
    "--owner",
    default=None,
    metavar="NAME",
    help="Only this sales owner's customers (as written in the Customers sheet).",
)
@click.option(
    "--html", "as_html", is_flag=True, help="Write the HTML instead of the PDF (any browser)."
)
@COMPARE_OPTION
def report_command(
    book: str,
    output: str | None,
    as_of: Any,
    lang: str | None,
    owner: str | None,
    as_html: bool,
    compare_as_of: Any,
) -> None:
    """Write the segment strategy brief for BOOK as an A4 PDF.

    Cover with key figures, overview charts, one section per RFM class and
    lifecycle tier (who they are, what goes wrong, what to do, top
    customers), the follow-up agenda for the next 14 days and the churn
    warnings. --owner gives one sales rep's brief with only their customers.

    \b
    Example:
      xlcrm report shop.xlsx                       # writes shop.brief.pdf
      xlcrm report shop.xlsx --lang zh --owner 张伟 -o 张伟.pdf
      xlcrm report shop.xlsx --html --as-of 2025-06-30
      xlcrm report shop.xlsx --compare-as-of 2025-03-31   # + a What changed section
    """
    import datetime as dt
    from pathlib import Path

    from xlcrm import jobs
    from xlcrm.xlsx.reader import read_workbook

    source, msg_lang = Path(book), lang or "en"
    target = jobs.brief_path(source, output, html=as_html)
    jobs.check_target(target, source=source)
    warn_if_open(source, msg_lang)
    steps = [
        t("Reading {file}", msg_lang, file=source.name),
        t("Analysing", msg_lang),
        t("Laying out the brief", msg_lang),
    ]
    with progress(steps, msg_lang) as bar:
        with bar.step():
            data = read_workbook(source, lang=msg_lang)
        with bar.step():
            job = jobs.run_job(
                data, today=dt.date.today(), as_of=as_of, lang=lang, compare_as_of=compare_as_of
            )
        with bar.step():
            done = jobs.write_brief(job, target, owner=owner, html=as_html, book=source)
    size = f"{done.size / 1024:,.0f}"
    day = f"{done.as_of:%Y-%m-%d}"
    text = t(
        "Wrote {file} ({size} KB), as of {date}.", done.lang, file=done.path, size=size, date=day
    )
    console.print(text, markup=False)


@cli.command("demo")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Workbook to write (.xlsx). Default: sample_en.xlsx or sample_zh.xlsx here.",
)
@click.option(
    "--customers",
    type=click.IntRange(min=10, max=1_000_000),
    default=2_000,
    show_default=True,
    help="Number of customers; orders scale with it (about 10 per customer).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=2026,
    show_default=True,
    help="Random seed: the same seed gives the same workbook.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-06-30",
    show_default=True,
    help="Last day of the two generated years (written to the Settings sheet).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite OUTPUT even if it is not an xlcrm sample workbook."
)
@LANG_OPTION
def demo(
    output: str | None,
    customers: int,
    seed: int,
    as_of: Any,
    force: bool,
    lang: str | None,
) -> None:
    """Write a realistic sample workbook to try xlcrm on.

    Sheets Customers, Orders, Activities and Settings (with --lang zh: 客户,
    订单, 跟进记录, 设置): prospects and open leads, one-off buyers, regulars,
    big accounts, lapsed customers, refunds, six sales owners and their
    call/visit/email/meeting logs, over two years ending at --as-of.
    The same options always give the same workbook.

    \b
    Example:
      xlcrm demo -o sample.xlsx
      xlcrm demo --lang zh --customers 500 --seed 7 -o 示例.xlsx
    """
    from pathlib import Path

    from xlcrm.core.errors import OutputError
    from xlcrm.locale import N_
    from xlcrm.xlsx.sample import generate_sample, is_sample_workbook, write_sample

    lang = lang or "en"
    target = Path(output) if output else Path(f"sample_{lang}.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise click.BadParameter(
            t("{name!r} must end in .xlsx", lang, name=target.name),
            param_hint="'-o' / '--output'",
        )
    if target.exists() and not force and not is_sample_workbook(target):
        raise OutputError(
            N_("the file exists and is not an xlcrm sample workbook"),
            file=str(target),
            hint=N_("choose another name with -o, or add --force to overwrite it"),
        )
    steps = [t("Generating the sample book", lang), t("Writing {file}", lang, file=target)]
    with progress(steps, lang) as bar:
        with bar.step():
            sample = generate_sample(customers=customers, seed=seed, lang=lang, as_of=as_of)
        with bar.step():
            write_sample(sample, target)
    orders = sample.orders
    done = t(
        "Wrote {file}: {customers}, {orders} ({refunds}), {activities}, as of {as_of}.",
        lang,
        file=target,
        customers=tn("{n:,} customer", "{n:,} customers", len(sample.customers), lang),
        orders=tn("{n:,} order", "{n:,} orders", len(orders), lang),
        refunds=tn("{n:,} refund", "{n:,} refunds", int((orders["amount"] < 0).sum()), lang),
        activities=tn("{n:,} activity", "{n:,} activities", len(sample.activities), lang),
        as_of=sample.as_of.date().isoformat(),
    )
    console.print(done, markup=False)
    console.print(t("Next: xlcrm analyze {file}", lang, file=target), markup=False, style="dim")


@cli.command("analyze")
@click.argument("book")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="Workbook to write. Default: BOOK.xlcrm.xlsx beside BOOK.",
)
@AS_OF_OPTION
@LANG_OPTION
@click.option(
    "--threshold",
    type=click.Choice(["mean", "median", "score"]),
    default=None,
    help="How R/F/M are split into high and low (default: Settings sheet, else mean).",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Add the result sheets to BOOK itself (refused when BOOK holds charts, pivot "
    "tables, images or other parts that would be lost).",
)
@click.option("--strict", is_flag=True, help="Exit with 2 if any row cannot be read.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default=None,
    help="Reduce the orders in DuckDB (default for Parquet, folders, globs and DuckDB "
    "tables) or Spark; see docs/engines.md.",
)
@click.option(
    "--spark-master", default=None, help="Spark master URL for --engine spark (default local[*])."
)
@click.option(
    "--customers", default=None, help="Customers table: .xlsx, .csv, .parquet or DB:TABLE."
)
@click.option("--activities", default=None, help="Activities table, in any of those formats.")
@click.option(
    "--settings", "settings_book", default=None, help="Workbook whose Settings sheet to use."
)
@click.option("--csv", "csv_out", is_flag=True, help="Also write the customer table as CSV.")
@COMPARE_OPTION
def analyze_command(
    book: str,
    output: str | None,
    as_of: Any,
    lang: str | None,
    threshold: str | None,
    in_place: bool,
    strict: bool,
    engine: str | None,
    spark_master: str | None,
    customers: str | None,
    activities: str | None,
    settings_book: str | None,
    csv_out: bool,
    compare_as_of: Any,
) -> None:
    """Read BOOK's Customers/Orders/Activities/Settings sheets and write the analysis.

    Sheets Dashboard, Call plan, RFM, Lifecycle, Follow-ups, Value and Data
    quality (with --lang zh: 仪表盘, 拜访计划, RFM分析, 生命周期, 跟进计划, …)
    go to a new workbook; BOOK is left as it is unless --in-place. Running
    again replaces xlcrm's sheets only, and keeps what reps typed into them:
    Done dates and notes on the Call plan, grades changed on Follow-ups
    (with --in-place they are written into BOOK's Activities and Customers
    sheets first; see also `xlcrm log`). Options win over the Settings sheet.

    \b
    Example:
      xlcrm analyze shop.xlsx                      # writes shop.xlcrm.xlsx
      xlcrm analyze shop.xlsx --as-of 2025-06-30 --lang zh -o 分析.xlsx
      xlcrm analyze shop.xlsx --in-place --strict
      xlcrm analyze orders/ --customers customers.csv --settings shop.xlsx
      xlcrm analyze shop.duckdb:orders --engine spark --spark-master spark://host:7077
      xlcrm analyze shop.xlsx --compare-as-of 2025-03-31   # + what changed since then
    """
    import datetime as dt
    from pathlib import Path

    from xlcrm.engine.sources import is_engine_source

    if engine or customers or activities or settings_book or csv_out or is_engine_source(book):
        from xlcrm.cli_engine import analyze_engine

        if in_place:
            raise click.UsageError(
                t("--in-place works on a workbook analysed without --engine", lang or "en")
            )
        if output:
            check_output(Path(output), lang or "en")
        analyze_engine(
            book,
            output=output,
            as_of=as_of,
            lang=lang,
            threshold=threshold,
            strict=strict,
            engine=engine,
            spark_master=spark_master,
            customers=customers,
            activities=activities,
            settings_book=settings_book,
            csv=csv_out,
        )
        return
    from xlcrm.jobs import WorkbookFile, analyze_book

    msg_lang = lang or "en"
    if in_place and output:
        raise click.UsageError(t("--in-place and -o/--output cannot be used together", msg_lang))
    source = Path(book)
    book_file = WorkbookFile(source, Path(output) if output else None, in_place, strict)
    if not in_place:  # --in-place refuses a workbook open in Excel instead
        warn_if_open(source, msg_lang)
    names = [
        t("Reading {file}", msg_lang, file=source.name),
        t("Analysing", msg_lang),
        t("Writing {file}", msg_lang, file=book_file.target.name),
    ]
    with progress(names, msg_lang) as bar:
        outcome = analyze_book(
            book_file,
            today=dt.date.today(),
            as_of=as_of,
            lang=lang,
            threshold=threshold,
            ui_lang=msg_lang,
            on_step=lambda _step, _lang: bar.next(),
            compare_as_of=compare_as_of,
        )
    _print_analyze_summary(outcome, source.name)


def _print_analyze_summary(outcome: AnalyzeOutcome, source: str) -> None:
    """Rows read and left out (by reason), customers per class and tier, where the file went."""
    from xlcrm.core import schema

    lang, read = outcome.lang, outcome.read
    parts = []
    if "orders" in read:
        parts.append(tn("{n:,} order", "{n:,} orders", read["orders"], lang))
    if "customers" in read:
        parts.append(tn("{n:,} customer", "{n:,} customers", read["customers"], lang))
    if "activities" in read:
        parts.append(tn("{n:,} activity", "{n:,} activities", read["activities"], lang))
    if "deals" in read:
        parts.append(tn("{n:,} deal", "{n:,} deals", read["deals"], lang))
    if "stage_history" in read:
        parts.append(tn("{n:,} stage change", "{n:,} stage changes", read["stage_history"], lang))
    if "feedback" in read:
        parts.append(tn("{n:,} feedback item", "{n:,} feedback items", read["feedback"], lang))
    as_of = outcome.as_of.date().isoformat()
    lines = [
        t(
            "Read {parts} from {file} (as of {as_of}).",
            lang,
            parts=t(", ", lang).join(parts) or "-",
            file=source,
            as_of=as_of,
        )
    ]
    lines += outcome.columns_used
    if outcome.left_out or outcome.problems:
        lines.append(
            tn(
                "Left out {n:,} row; problems found (see the Data quality sheet):",
                "Left out {n:,} rows; problems found (see the Data quality sheet):",
                outcome.left_out,
                lang,
            )
        )
        for p in outcome.problems:
            what = t("{where}: {what}", lang, where=p.sheet, what=p.problem)
            lines.append(f"  {p.rows:>7,}  {t('{text} ({hint})', lang, text=what, hint=p.effect)}")
    else:
        lines.append(t("No rows left out.", lang))
    if outcome.future_orders:
        lines.append(
            tn(
                "Ignored {n:,} order dated after {as_of} (the analysis date).",
                "Ignored {n:,} orders dated after {as_of} (the analysis date).",
                outcome.future_orders,
                lang,
                as_of=as_of,
            )
        )
    lines.append(t("RFM classes:", lang))
    lines += [f"  {n:>7,}  {schema.label(c, lang)}" for c, n in outcome.classes.items()]
    lines.append(t("Lifecycle tiers:", lang))
    lines += [f"  {n:>7,}  {schema.tier_label(c, lang)}" for c, n in outcome.tiers.items()]
    lines.append(
        t(
            "Follow-ups: {overdue:,} overdue, {week:,} due within 7 days.",
            lang,
            overdue=outcome.overdue,
            week=outcome.due_this_week,
        )
    )
    lines += _plan_lines(outcome, lang)
    lines += outcome.insights
    sheets = t(", ", lang).join(outcome.sheets)
    lines.append(t("Wrote {sheets} to {file}.", lang, sheets=sheets, file=outcome.written))
    lines.append(outcome.reconciliation)
    for line in lines:
        console.print(line, markup=False)


def _plan_lines(outcome: AnalyzeOutcome, lang: str) -> list[str]:
    """What was logged first, the call plan in one line, the customers to return to the pool."""
    lines = []
    if outcome.logged:
        lines.append(
            tn(
                "Logged {n:,} done call in the Activities of {file}.",
                "Logged {n:,} done calls in the Activities of {file}.",
                outcome.logged,
                lang,
                file=outcome.job.data.path.name,
            )
        )
    if outcome.graded:
        lines.append(
            tn(
                "Wrote {n:,} grade typed on Follow-ups into the Customers sheet.",
                "Wrote {n:,} grades typed on Follow-ups into the Customers sheet.",
                outcome.graded,
                lang,
            )
        )
    plan = outcome.job.plan
    first = plan.days[0] if len(plan.days) else None
    lines.append(
        t(
            "Call plan: {today:,} calls on {day}, {week:,} in {days} working days, "
            "{backlog:,} due but not planned.",
            lang,
            today=int((plan.calls["date"] == first).sum()) if first is not None else 0,
            day=first.date().isoformat() if first is not None else "-",
            week=len(plan.calls),
            days=len(plan.days),
            backlog=len(plan.backlog),
        )
    )
    customers = outcome.job.analysis.customers
    pool = int(customers["pool"].sum()) if "pool" in customers.columns else 0
    if pool:
        lines.append(
            tn(
                "{n:,} customer to return to the pool.",
                "{n:,} customers to return to the pool.",
                pool,
                lang,
            )
        )
    return lines


@cli.command("log")
@click.argument("book", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Workbook holding the Call plan (default: BOOK itself if it has one, "
    "else BOOK.xlcrm.xlsx beside it).",
)
@AS_OF_OPTION
@LANG_OPTION
def log_command(book: str, plan_file: str | None, as_of: Any, lang: str | None) -> None:
    """Log the calls marked Done on the Call plan into BOOK's Activities, then plan again.

    Every Call plan row with a date in Done becomes an Activities row of BOOK
    (customer, that date, a call, the note); BOOK gets an Activities sheet
    when it has none. Grades changed on the Follow-ups sheet go into BOOK's
    Customers sheet. Then the analysis runs again and the new plan replaces
    the old one where it was, keeping the notes of calls not done yet.
    BOOK is changed, so the same safety checks as --in-place apply.

    \b
    Example:
      xlcrm analyze shop.xlsx          # writes shop.xlcrm.xlsx with the Call plan
      (reps fill in Done and Note on the Call plan)
      xlcrm log shop.xlsx              # logs them into shop.xlsx, plans again
    """
    import datetime as dt
    from pathlib import Path

    from xlcrm.jobs import WorkbookFile, analyze_book
    from xlcrm.xlsx.carryover import typed_from_file
    from xlcrm.xlsx.writer import default_output

    source = Path(book)
    msg_lang = lang or "en"
    if plan_file is not None:
        where = Path(plan_file)
    elif _has_call_plan(source):
        where = source
    else:
        where = default_output(source)
    typed = typed_from_file(where)
    if typed.done.empty and typed.grades.empty:
        console.print(
            t("Nothing to log: no Call plan row in {file} has a Done date.", msg_lang, file=where),
            markup=False,
        )
        return
    in_place = where.resolve() == source.resolve()
    book_file = WorkbookFile(source, None if in_place else where, in_place, log=True)
    outcome = analyze_book(
        book_file, today=dt.date.today(), as_of=as_of, lang=lang, ui_lang=msg_lang
    )
    lines = _plan_lines(outcome, outcome.lang)
    lines.append(
        t(
            "Wrote {sheets} to {file}.",
            outcome.lang,
            sheets=t(", ", outcome.lang).join(outcome.sheets),
            file=outcome.written,
        )
    )
    for line in lines:
        console.print(line, markup=False)


def _has_call_plan(path: Any) -> bool:
    from xlcrm.xlsx.carryover import sheets_of_file
    from xlcrm.xlsx.columns import SHEET_NAMES

    try:
        return bool(sheets_of_file(path, list(SHEET_NAMES["callplan"].values())))
    except Exception:  # not readable here: the reader reports it with a clear line
        return False


@cli.group("addin")
def addin_group() -> None:
    """The Excel add-in: the xlcrm ribbon tab and =RFM_CLASS() worksheet functions.

    \b
    Example:
      xlcrm addin install            # Windows/macOS: ribbon + functions, for this user
      xlcrm addin install --lang zh  # ribbon labels in Chinese
      xlcrm addin uninstall
      xlcrm addin lite -o lite/      # xlwings Lite (Excel on the web): main.py, requirements.txt
      xlcrm addin build              # developers: rebuild workbook/xlcrm.xlam
    """


@addin_group.command("build")
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="Folder for xlcrm.xlam (default: workbook/ of the checkout).",
)
@LANG_OPTION
def addin_build(out_dir: str | None, lang: str | None) -> None:
    """Build xlcrm.xlam from xlwings' template add-in, on any OS (needs oletools).

    Its VBA project holds xlwings' module, the ribbon callbacks and the
    worksheet-function wrappers; the same inputs give the same bytes.

    \b
    Example:
      xlcrm addin build -o dist/
    """
    from pathlib import Path

    from xlcrm.excel.addin import build_addin
    from xlcrm.locale import t

    built = build_addin(Path(out_dir) if out_dir else None)
    size = format(built.stat().st_size, ",")
    console.print(t("Wrote {path} ({size} bytes)", lang or "en", path=built, size=size))


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line if line.startswith(" ") else f"- {line}", markup=False)


_PLATFORM_OPTION = click.option(
    "--platform",
    "system",
    type=click.Choice(["windows", "mac"]),
    default=None,
    hidden=True,  # for tests and for admins preparing a machine from another OS
)


def _unsupported(lang: str | None) -> click.exceptions.Exit:
    from xlcrm.locale import t

    err_console.print(
        t(
            "xlcrm addin install is for Windows and macOS, where Excel runs. Here, "
            "`xlcrm addin build` writes the add-in and `xlcrm addin lite -o DIR` the files "
            "for xlwings Lite (Excel on the web).",
            lang or "en",
        ),
        markup=False,
    )
    return click.exceptions.Exit(2)


@addin_group.command("install")
@LANG_OPTION
@click.option("--dry-run", is_flag=True, help="Print what would be written; change nothing.")
@_PLATFORM_OPTION
def addin_install(lang: str | None, dry_run: bool, system: str | None) -> None:
    """Install the add-in for this user (Windows, macOS): no VBA trust setting needed.

    Copies xlcrm.xlam into Excel's start-up folder (ribbon in --lang, default
    English), writes its settings file (this Python, the worksheet
    functions), on a Mac lets Excel start Python, and removes earlier xlcrm
    add-ins.

    \b
    Example:
      xlcrm addin install --lang zh --dry-run
    """
    from xlcrm.excel.install import InstallUnsupported, install_addin

    try:
        lines = install_addin(lang=lang or "en", dry_run=dry_run, system=system)  # type: ignore[arg-type]
    except InstallUnsupported:
        raise _unsupported(lang) from None
    _print_lines(lines)


@addin_group.command("uninstall")
@LANG_OPTION
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@_PLATFORM_OPTION
def addin_uninstall(lang: str | None, dry_run: bool, system: str | None) -> None:
    """Remove the add-in and its settings file for this user.

    \b
    Example:
      xlcrm addin uninstall
    """
    from xlcrm.excel.install import InstallUnsupported, uninstall_addin

    try:
        lines = uninstall_addin(lang=lang or "en", dry_run=dry_run, system=system)  # type: ignore[arg-type]
    except InstallUnsupported:
        raise _unsupported(lang) from None
    _print_lines(lines)


@addin_group.command("lite")
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, writable=True),
    required=True,
    help="Folder for main.py and requirements.txt.",
)
@LANG_OPTION
def addin_lite(out_dir: str, lang: str | None) -> None:
    """Write the xlwings Lite files: main.py (with the xlcrm modules it needs) and requirements.txt.

    Paste both into the xlwings Lite editor of a workbook (Excel on the web,
    Windows or Mac, no local Python).

    \b
    Example:
      xlcrm addin lite -o lite/
    """
    from pathlib import Path

    from xlcrm.excel.lite import write_bundle
    from xlcrm.locale import t

    for path in write_bundle(Path(out_dir)):
        console.print(t("Wrote {path}", lang or "en", path=path), markup=False)


# --- email ---------------------------------------------------------------------


@cli.command("email")
@click.argument("book", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDR[,ADDR…]",
    help="Send the whole brief to these addresses (repeatable; default: email_to on the "
    "Settings sheet).",
)
@click.option(
    "--per-owner",
    is_flag=True,
    help="Also send each sales owner a brief with only their customers, to the address in "
    "the Owners table of the Settings sheet.",
)
@click.option(
    "--smtp-host", metavar="H", default=None, help="SMTP server (else smtp_host, XLCRM_SMTP_HOST)."
)
@click.option(
    "--smtp-port",
    metavar="P",
    type=click.IntRange(1, 65535),
    default=None,
    help="SMTP port (default 587, 465 with --ssl, 25 with --plain).",
)
@click.option(
    "--starttls",
    "security",
    flag_value="starttls",
    default=None,
    help="Upgrade to TLS with STARTTLS (the default).",
)
@click.option("--ssl", "security", flag_value="ssl", help="Implicit TLS (SMTPS, usually port 465).")
@click.option(
    "--plain",
    "security",
    flag_value="plain",
    help="No encryption (a relay on a trusted network only).",
)
@click.option(
    "--user",
    metavar="U",
    default=None,
    help="Log in as U; the password is read from XLCRM_SMTP_PASSWORD.",
)
@click.option(
    "--from",
    "sender",
    metavar="ADDR",
    default=None,
    help="Sender address (else smtp_from, XLCRM_SMTP_FROM).",
)
@click.option(
    "--eml-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write .eml drafts (Outlook/Thunderbird open them) into this folder instead of sending.",
)
@click.option("--dry-run", is_flag=True, help="Print who would get what; send and render nothing.")
@click.option(
    "--resume",
    is_flag=True,
    help="Send only what an earlier run of the same batch did not deliver.",
)
@LANG_OPTION
@AS_OF_OPTION
def email_command(
    book: str,
    to: tuple[str, ...],
    per_owner: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    security: str | None,
    user: str | None,
    sender: str | None,
    eml_dir: str | None,
    dry_run: bool,
    resume: bool,
    lang: str | None,
    as_of: Any,
) -> None:
    """Email the PDF brief, with key figures and this week's follow-ups in the body.

    Failures (connection, login, a rejected recipient, an owner without an
    address) are one line each, followed by what was and was not sent; the
    exit code is then 2. See docs/email.md.

    \b
    Example:
      export XLCRM_SMTP_PASSWORD=…
      xlcrm email shop.xlsx --to boss@shop.com --smtp-host smtp.shop.com --user me@shop.com
      xlcrm email shop.xlsx --per-owner --dry-run
      xlcrm email shop.xlsx --per-owner --eml-dir drafts/
      xlcrm email shop.xlsx --per-owner --resume
    """
    import datetime as dt
    from pathlib import Path

    from xlcrm import jobs
    from xlcrm.xlsx.reader import read_workbook

    source, msg_lang = Path(book), lang or "en"
    if resume and eml_dir and not dry_run:
        raise click.UsageError(t("--resume applies to sending; drop it with --eml-dir", msg_lang))
    warn_if_open(source, msg_lang)
    smtp = {"host": smtp_host, "port": smtp_port, "security": security, "user": user}
    steps = [
        t("Reading {file}", msg_lang, file=source.name),
        t("Analysing", msg_lang),
        t("Preparing the email", msg_lang),
    ]
    with progress(steps, msg_lang) as bar:
        with bar.step():
            data = read_workbook(source, lang=msg_lang)
        with bar.step():
            job = jobs.run_job(data, today=dt.date.today(), as_of=as_of, lang=lang)
        with bar.step():
            outcome = jobs.email_book(
                job,
                mode="dry_run" if dry_run else "drafts" if eml_dir else "send",
                to=to,
                per_owner=per_owner,
                smtp={**smtp, "sender": sender},
                eml_dir=eml_dir,
                resume=resume,
            )
    _show_email(outcome, job.lang)
    if not outcome.ok:
        raise click.exceptions.Exit(2)


def _show_email(outcome: EmailOutcome, lang: str) -> None:
    """Notes, then what was (or would be) sent or written, then the problems."""
    from xlcrm.report.format import fmt_int

    note = escape(t("note", lang))
    for line in outcome.notes:
        err_console.print(f"[yellow]xlcrm: {note}:[/] {escape(_one_line(line))}")
    out = [_dry_run_head(outcome, lang)] if outcome.mode == "dry_run" else []
    sep = t(", ", lang)
    for b in outcome.briefs if outcome.mode == "dry_run" else ():
        count = tn("{n} customer", "{n} customers", b.customers, lang, n=fmt_int(b.customers))
        mark = "  [" + t("already sent", lang) + "]" if b.sent_before else ""
        who = b.owner or t("all customers", lang)
        out.append(f"  {', '.join(b.to)}: {sep.join((who, count, b.filename))}{mark}")
    if outcome.drafts:
        n, folder = len(outcome.drafts), outcome.eml_dir
        out.append(
            tn("Wrote {n} draft to {dir}:", "Wrote {n} drafts to {dir}:", n, lang, dir=folder)
        )
        out += [f"  {path}" for path in outcome.drafts]
    for d in outcome.deliveries:
        state = {"sent": t("sent", lang), "already_sent": t("already sent earlier", lang)}
        word = state.get(d.status, t("NOT sent", lang))
        out.append(f"  {word}: {d.subject} -> {', '.join(d.recipients)}")
    for line in out:
        console.print(line, markup=False)
    for line in outcome.problems:
        err_console.print(f"[bold red]xlcrm:[/] {escape(_one_line(line))}")
    if not outcome.briefs and outcome.mode != "dry_run":
        err_console.print("xlcrm: " + t("nothing to send", lang), markup=False)
    if outcome.deliveries:
        _show_deliveries(outcome, lang)


def _dry_run_head(outcome: EmailOutcome, lang: str) -> str:
    config = outcome.config
    if outcome.eml_dir is not None:
        how = t("save as .eml drafts in {dir}", lang, dir=outcome.eml_dir)
    else:
        server = config.address if config.host else "?"
        how = t(
            "send via {server} ({security}) from {sender}",
            lang,
            server=server,
            security=config.security.upper(),
            sender=config.sender or "?",
        )
    return t("Dry run: would {how}:", lang, how=how)


def _show_deliveries(outcome: EmailOutcome, lang: str) -> None:
    """After sending: one count when all went out, else what was and was not sent."""
    if outcome.ok:
        n = len(outcome.sent)
        console.print(tn("Sent {n} message.", "Sent {n} messages.", n, lang), markup=False)
        return
    lines = [t("Sent ({n}):", lang, n=len(outcome.sent))]
    lines += [f"  {d.subject} -> {', '.join(d.sent)}" for d in outcome.sent]
    lines.append(t("Not sent ({n}):", lang, n=len(outcome.not_sent)))
    lines += [f"  {d.subject} -> {', '.join(d.pending)}" for d in outcome.not_sent]
    if outcome.not_sent:
        lines.append(
            t(
                "Fix the problem and run the same command with --resume to send only these.",
                lang,
            )
        )
    for line in lines:
        console.print(line, markup=False)


# --- xlcrm model: the value model's parameters and holdout check ---------------------


@cli.command("model")
@click.argument("book", type=click.Path(exists=True, dir_okay=False))
@AS_OF_OPTION
@click.option(
    "--holdout-end",
    "holdout_end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Also check the model on the orders after --as-of up to this date, YYYY-MM-DD.",
)
@LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def model_command(book: str, as_of: Any, holdout_end: Any, lang: str | None, as_json: bool) -> None:
    """Fit the value model (BG/NBD and Gamma-Gamma) on BOOK's orders up to --as-of.

    Prints the fitted parameters (time unit: weeks), the log-likelihoods and,
    with --holdout-end, the repeat purchase days the model predicts week by
    week after --as-of against those that happened. The model is fitted even
    when the Settings sheet turns it off.

    \b
    Example:
      xlcrm model shop.xlsx
      xlcrm model shop.xlsx --as-of 2025-03-31 --holdout-end 2025-06-30
      xlcrm model shop.xlsx --json
    """
    import datetime as dt
    import json
    from pathlib import Path

    from xlcrm.core import value, value_check
    from xlcrm.core.errors import SettingsError
    from xlcrm.core.rfm import prepare_orders, to_timestamp
    from xlcrm.locale import N_
    from xlcrm.xlsx.reader import read_workbook

    source = Path(book)
    data = read_workbook(source, lang=lang or "en")
    lang = lang or data.settings.language or "en"
    stamp = to_timestamp(as_of or data.as_of or dt.date.today())
    check = None
    if holdout_end is not None:
        end = to_timestamp(holdout_end)
        if end <= stamp:
            raise SettingsError(
                N_("--holdout-end {end} must come after the analysis date {as_of}"),
                args={"end": end.date().isoformat(), "as_of": stamp.date().isoformat()},
            )
        book_ = prepare_orders(data.orders, as_of=end)
        check = value_check.holdout_check(book_, calibration_end=stamp)
        model = check.model
    else:
        model = value.fit_value_model(
            value.inputs_from_book(prepare_orders(data.orders, as_of=stamp))
        )
    result = model_report(model, check, as_of=stamp, lang=lang)
    if as_json:
        console.print(json.dumps(result, ensure_ascii=False, indent=2), markup=False)
        return
    for line in model_lines(result, lang):
        console.print(line, markup=False)


def model_report(model: Any, check: Any, *, as_of: Any, lang: str) -> dict[str, Any]:
    """The fitted value model as plain JSON-ready values."""
    from xlcrm.core import value

    bg, gg = model.bgnbd, model.gamma_gamma
    out: dict[str, Any] = {
        "as_of": as_of.date().isoformat(),
        "bgnbd": None,
        "gamma_gamma": None,
        "reason": model.reason,
        "reason_text": value.describe_reason(model.reason, lang),
    }
    if bg is not None:
        out["bgnbd"] = {
            "r": bg.r,
            "alpha": bg.alpha,
            "a": bg.a,
            "b": bg.b,
            "time_unit": value.TIME_UNIT,
            "log_likelihood": bg.log_likelihood,
            "customers": bg.n_customers,
        }
    if gg is not None:
        out["gamma_gamma"] = {
            "p": gg.p,
            "q": gg.q,
            "v": gg.v,
            "log_likelihood": gg.log_likelihood,
            "customers": gg.n_customers,
        }
    if check is not None:
        weeks = check.weeks
        out["holdout"] = {
            "calibration_end": check.calibration_end.date().isoformat(),
            "holdout_end": check.holdout_end.date().isoformat(),
            "weeks": [
                {
                    "week": int(row.week),
                    "end": row.end.date().isoformat(),
                    "predicted": float(row.predicted),
                    "actual": int(row.actual),
                    "predicted_cumulative": float(row.predicted_cumulative),
                    "actual_cumulative": int(row.actual_cumulative),
                }
                for row in weeks.itertuples(index=False)
            ],
        }
    return out


def model_lines(result: dict[str, Any], lang: str) -> list[str]:
    """:func:`model_report` as the lines ``xlcrm model`` prints."""
    from xlcrm.locale import t

    lines = [t("Value model as of {date} (time unit: weeks)", lang, date=result["as_of"])]
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    if bg is not None:
        lines.append(t("BG/NBD, repeat purchase days of {n:,} customers:", lang, n=bg["customers"]))
        weeks = t("weeks", lang)
        lines.append(
            f"  r = {bg['r']:.4f}   alpha = {bg['alpha']:.4f} ({weeks})"
            f"   a = {bg['a']:.4f}   b = {bg['b']:.4f}"
        )
        lines.append("  " + t("log-likelihood {ll:,.2f}", lang, ll=bg["log_likelihood"]))
    if gg is not None:
        lines.append(
            t("Gamma-Gamma, mean repeat spend of {n:,} customers:", lang, n=gg["customers"])
        )
        lines.append(f"  p = {gg['p']:.4f}   q = {gg['q']:.4f}   v = {gg['v']:.4f}")
        lines.append("  " + t("log-likelihood {ll:,.2f}", lang, ll=gg["log_likelihood"]))
    if result["reason_text"]:
        lines.append(t("Note: {reason}", lang, reason=result["reason_text"]))
    holdout = result.get("holdout")
    if holdout and holdout["weeks"]:
        lines.append(
            t(
                "Holdout {start} to {end}: repeat purchase days, predicted against actual",
                lang,
                start=holdout["calibration_end"],
                end=holdout["holdout_end"],
            )
        )
        head = (t("week", lang), t("ends", lang), t("predicted", lang), t("actual", lang))
        tail = (t("total predicted", lang), t("total actual", lang))
        lines.append(
            f"  {head[0]:>5}  {head[1]:<10}  {head[2]:>10}  {head[3]:>8}  "
            f"{tail[0]:>16}  {tail[1]:>13}"
        )
        for w in holdout["weeks"]:
            lines.append(
                f"  {w['week']:>5}  {w['end']:<10}  {w['predicted']:>10,.1f}  {w['actual']:>8,}  "
                f"{w['predicted_cumulative']:>16,.1f}  {w['actual_cumulative']:>13,}"
            )
    return lines


def main() -> None:
    cli(prog_name="xlcrm")
