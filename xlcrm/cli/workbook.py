"""Commands on a workbook's sheets: ``demo``, ``analyze``, ``log``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from xlcrm.locale import t, tn

if TYPE_CHECKING:
    from xlcrm.jobs import AnalyzeOutcome
from xlcrm.cli.base import (
    AS_OF_OPTION,
    COMPARE_OPTION,
    LANG_OPTION,
    check_output,
    cli,
    console,
    progress,
    warn_if_open,
)


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
        from xlcrm.cli.engine import analyze_engine

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
