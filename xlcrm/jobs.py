"""Use cases: what the CLI commands and the ribbon buttons do, returning outcomes.

Every entry point (the CLI commands and the ribbon buttons) applies the same
precedence, option > Settings sheet > default, then runs the core
(:func:`run_job`). The default analysis date is an adapter's choice, so the
caller passes ``today``. :func:`analyze_book`, :func:`write_brief` and
:func:`email_book` return outcome objects that the adapters only present; the
checks before writing (an output that is a folder or the workbook itself,
``--in-place`` safety, Excel's lock file) live here, once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol

import numpy as np
import pandas as pd

from xlcrm import files
from xlcrm.core.analysis import Analysis, analyze
from xlcrm.core.changes import compare_analyses
from xlcrm.core.errors import OutputError
from xlcrm.core.insights import with_insights
from xlcrm.core.plan import CallPlan, build_plan
from xlcrm.core.rfm import DateLike
from xlcrm.core.schema import RFM_CLASSES, TIERS
from xlcrm.core.settings import Settings
from xlcrm.locale import N_, t, tn
from xlcrm.xlsx.carryover import Edits, Typed, carry_over
from xlcrm.xlsx.money import workbook_currency
from xlcrm.xlsx.quality import collect, from_core
from xlcrm.xlsx.reader import WorkbookData
from xlcrm.xlsx.tally import render_columns

if TYPE_CHECKING:
    from xlcrm.mail import Delivery, SmtpConfig

__all__ = [
    "RESULT_SHEETS",
    "AnalyzeOutcome",
    "BriefOutcome",
    "EmailOutcome",
    "Job",
    "Mode",
    "PlannedBrief",
    "Problem",
    "ResultBook",
    "Step",
    "WorkbookFile",
    "analyze_book",
    "brief_path",
    "check_target",
    "email_book",
    "excel_lock",
    "extra_sheets",
    "run_job",
    "with_workbook_currency",
    "write_brief",
]


@dataclass(frozen=True)
class Job:
    """A workbook read and analysed, with the language the output is in.

    ``kept``: Call plan rows reps typed that the written plan keeps (done
    calls not yet logged, notes), or None.
    """

    data: WorkbookData
    analysis: Analysis
    lang: str
    reconciliation: str = ""
    kept: pd.DataFrame | None = None

    @cached_property
    def plan(self) -> CallPlan:
        """The daily call plan of this analysis."""
        a = self.analysis  # open complaints and stuck deals come from the insights
        return build_plan(with_insights(a), as_of=a.as_of, settings=a.settings)

    @property
    def future_orders(self) -> int:
        """Orders dated after as_of: read, but ignored by the analysis."""
        dates = self.data.orders["order_date"]
        return int((dates > self.analysis.as_of).sum())


def run_job(
    data: WorkbookData,
    *,
    today: dt.date,
    as_of: DateLike | None = None,
    lang: str | None = None,
    threshold: str | None = None,
    typed: Typed | None = None,
    compare_as_of: DateLike | None = None,
) -> Job:
    """Analyse ``data`` with options winning over its Settings sheet.

    Parameters
    ----------
    data
        What :func:`xlcrm.xlsx.reader.read_workbook` returned.
    today
        The analysis date when neither ``as_of`` nor the Settings sheet gives one.
    as_of, lang, threshold
        Options; ``None`` leaves the Settings sheet's value (or the default).
    typed
        What reps typed into xlcrm's sheets and is not in the workbook's own
        sheets yet (:mod:`xlcrm.xlsx.carryover`): done calls count as
        contacts, typed grades as given grades (source "followups"), and the
        rows are kept in the new Call plan.
    compare_as_of
        An earlier day: the book is analysed as of that day too, and
        ``analysis.insights.changes`` says what changed since
        (:func:`~xlcrm.core.changes.compare_analyses`).

    Problems the analysis finds in the Deals, stage history and Feedback
    sheets and in referrals join ``data.quality`` (the Data quality sheet).
    """
    if typed is not None and not typed.empty:
        data = carry_over(data, typed)
    settings = with_workbook_currency(data.settings, data.path)
    if threshold:
        settings = settings.replace(threshold_method=threshold)
    day = pd.Timestamp(as_of or data.as_of or today).normalize()

    def run(on: pd.Timestamp) -> Analysis:
        return analyze(
            data.orders,
            data.customers,
            data.activities,
            as_of=on,
            settings=settings,
            deals=data.deals,
            stage_history=data.stage_history,
            feedback=data.feedback,
        )

    result = run(day)
    if typed is not None and len(typed.grades):
        result = _typed_on_followups(result, typed)
    insights = result.insights
    if insights is not None:
        if compare_as_of is not None:
            since = pd.Timestamp(compare_as_of).normalize()
            changes = compare_analyses(
                run(since).customers, result.customers, since=since, as_of=day
            )
            insights = dataclasses.replace(insights, changes=changes)
            result = dataclasses.replace(result, insights=insights)
        found = from_core(insights.issues, data.sheet_names, data.headers)
        if len(found):
            data = dataclasses.replace(data, quality=collect([data.quality, found]))
    kept = typed.calls if typed is not None and len(typed.calls) else None
    return Job(data, result, lang or settings.language or "en", kept=kept)


def _typed_on_followups(result: Analysis, typed: Typed) -> Analysis:
    """Mark grades typed on the Follow-ups sheet (and carried over) as such."""
    customers = result.customers.copy()
    typed_ids = set(typed.grades["customer_id"])
    on_sheet = customers["customer_id"].isin(typed_ids) & (customers["grade_source"] == "given")
    source = customers["grade_source"].astype(object).where(~on_sheet, "followups")
    customers["grade_source"] = pd.Series(source.to_numpy(), dtype=str)
    return dataclasses.replace(result, customers=customers)


def left_to_carry(typed: Typed, edits: Edits) -> Typed:
    """What is still to carry over once ``edits`` wrote ``typed`` into the workbook.

    The done calls are in Activities now; notes stay for the new plan; typed
    grades stay when some customer was not on the Customers sheet (carrying
    one that was written changes nothing: it is the sheet's now).
    """
    grades = typed.grades if len(typed.grades) > edits.graded else typed.grades.iloc[0:0]
    return Typed(typed.notes.reset_index(drop=True), grades, typed.quality)


def with_workbook_currency(settings: Settings, path: str | os.PathLike[str] | None) -> Settings:
    """``settings`` with the currency of the workbook's number formats when none is set.

    A ``currency`` on the Settings sheet wins; so do its ``currency_decimals``.
    """
    if settings.currency or path is None:
        return settings
    found = workbook_currency(path)
    if found is None:
        return settings
    symbol, decimals = found
    if settings.currency_decimals is not None or decimals is None:
        return settings.replace(currency=symbol)
    return settings.replace(currency=symbol, currency_decimals=decimals)


# =====================================================================================
# Analysis workbooks: analyze_book (xlcrm analyze; the ribbon's Analyze,
# Follow-up plan and Dashboard). The output checks it shares with the brief
# and email (excel_lock, check_target) are in the next section.
# =====================================================================================

#: The result sheets, in the order they are written.
RESULT_SHEETS: Final = (
    "dashboard",
    "callplan",
    "rfm",
    "lifecycle",
    "followups",
    "value",
    "quality",
)

#: The steps of :func:`analyze_book`, for progress shown by the adapter.
Step = Literal["read", "analyse", "write"]


class ResultBook(Protocol):
    """Where :func:`analyze_book` reads the input and writes the result sheets.

    :class:`WorkbookFile` (a file; ``xlcrm analyze``) and the ribbon's
    workbooks (:mod:`xlcrm.excel.book`) implement it.
    """

    def check(self, lang: str) -> None:
        """Refuse, before anything is read, results that could not be written."""
        ...

    def read_data(self, lang: str = "en") -> WorkbookData: ...

    def write_results(self, job: Job, sheets: Sequence[str]) -> str:
        """Write the result sheets ``sheets`` (keys of :data:`RESULT_SHEETS`); return where."""
        ...

    def typed(self) -> Typed:
        """What reps typed into xlcrm's sheets where the results go (Call plan, Follow-ups)."""
        ...

    def write_back(self, typed: Typed, *, lang: str) -> Edits | None:
        """Log done calls and typed grades into the workbook's own sheets.

        Returns the edits made, or None when this book does not change its
        input (the rows are then carried over).
        """
        ...


@dataclass(frozen=True)
class WorkbookFile:
    """A workbook file read with the reader; results written to a new workbook, or into it.

    ``output`` defaults to ``BOOK.xlcrm.xlsx`` beside the input. With
    ``in_place`` the result sheets go into the input itself (xlcrm's own
    sheets of an earlier run are replaced). What reps typed into the result
    sheets is written into the input first with ``in_place`` or ``log``
    (``xlcrm log``), else carried over into the new output.
    """

    source: Path
    output: Path | None = None
    in_place: bool = False
    strict: bool = False
    log: bool = False

    @property
    def target(self) -> Path:
        from xlcrm.xlsx.writer import default_output

        if self.in_place:
            return self.source
        return self.output if self.output is not None else default_output(self.source)

    def check(self, lang: str) -> None:
        """The output is no folder and not the input (unless in place, when it must be safe).

        Excel's lock file beside the output refuses too (Excel would later save
        its own copy over ours); checked again when writing.
        """
        from xlcrm.xlsx.writer import check_in_place

        target = self.target
        check_target(target)
        if self.in_place or self.log:
            check_in_place(self.source, lang=lang)  # the file stays byte-identical when refused
        else:
            check_workbook_name(target)
        if not self.in_place and target.exists() and target.resolve() == self.source.resolve():
            raise OutputError(
                N_("the output would overwrite the input workbook"),
                file=str(target),
                hint=N_("add --in-place to add the result sheets to it, or choose another -o"),
            )

    def read_data(self, lang: str = "en") -> WorkbookData:
        from xlcrm.xlsx.reader import read_workbook

        return read_workbook(self.source, strict=self.strict, lang=lang)

    def write_results(self, job: Job, sheets: Sequence[str] = RESULT_SHEETS) -> str:
        """A workbook file always gets every result sheet (and the Settings sheet)."""
        from xlcrm.xlsx.writer import write_results

        written = write_results(
            job.analysis,
            job.data,
            self.target,
            lang=job.lang,
            in_place=self.in_place,
            kept=job.kept,
        )
        return str(written)

    def typed(self) -> Typed:
        from xlcrm.xlsx.carryover import typed_from_file

        return typed_from_file(self.target)

    def write_back(self, typed: Typed, *, lang: str) -> Edits | None:
        """Into the input itself with ``in_place`` or ``log``; else None (carried over)."""
        if not (self.in_place or self.log):
            return None
        return log_into(self.source, typed, lang=lang)


@dataclass(frozen=True)
class Problem:
    """Rows of the Data quality sheet with one problem, in the output language."""

    sheet: str
    problem: str
    effect: str
    rows: int


@dataclass(frozen=True)
class AnalyzeOutcome:
    """What :func:`analyze_book` read, found and wrote."""

    job: Job
    written: str
    """Where the sheets went: a file, or sheet names of the open workbook."""
    sheets: tuple[str, ...]
    """Their names, in the output language."""
    read: dict[str, int]
    """Rows read per input table (``orders``, ``customers``, ``activities``)."""
    left_out: int
    """Rows left out for a problem."""
    problems: tuple[Problem, ...]
    """The Data quality list grouped by sheet, problem and effect."""
    future_orders: int
    """Orders dated after the analysis date: read, not analysed."""
    classes: dict[str, int]
    """Customers per RFM class code, in display order."""
    tiers: dict[str, int]
    """Customers per lifecycle tier code, in display order."""
    overdue: int
    """Follow-ups past their date."""
    due_this_week: int
    """Follow-ups due within the next 7 days (today included)."""
    columns_used: tuple[str, ...] = ()
    """Which sheets were read and which column filled each role, one line each."""
    reconciliation: str = ""
    """Rows read = orders counted + after the analysis date + left out by reason; amounts too."""
    logged: int = 0
    """Done calls written into the workbook's Activities before this run."""
    graded: int = 0
    """Grades typed on Follow-ups written into the Customers sheet before this run."""
    insights: tuple[str, ...] = ()
    """Lines on the funnel, open complaints and what changed (when there is something)."""

    @property
    def lang(self) -> str:
        return self.job.lang

    @property
    def as_of(self) -> pd.Timestamp:
        return self.job.analysis.as_of

    @property
    def customers(self) -> int:
        return len(self.job.analysis.customers)


def analyze_book(
    book: ResultBook,
    *,
    today: dt.date,
    as_of: DateLike | None = None,
    lang: str | None = None,
    threshold: str | None = None,
    sheets: Sequence[str] = RESULT_SHEETS,
    ui_lang: str = "en",
    on_step: Callable[[Step, str], None] | None = None,
    compare_as_of: DateLike | None = None,
) -> AnalyzeOutcome:
    """Read ``book``, analyse it and write its result sheets.

    Parameters
    ----------
    book
        A :class:`WorkbookFile`, or the workbook open in Excel.
    today
        The analysis date when neither ``as_of`` nor the Settings sheet gives one.
    as_of, lang, threshold
        Options; ``None`` leaves the Settings sheet's value (or the default).
    sheets
        Which result sheets (keys of :data:`RESULT_SHEETS`).
    ui_lang
        Language of errors and progress before the Settings sheet is read.
    on_step
        Called with ``"read"``, ``"analyse"``, ``"write"`` and the language
        as each step starts (a progress bar, Excel's status bar).
    compare_as_of
        An earlier day: what changed since then (see :func:`run_job`) goes to
        a Changes sheet.

    Raises :class:`~xlcrm.core.errors.XlcrmError` for input that cannot be
    read or output that cannot be written; the input is then unchanged.
    """
    from xlcrm.xlsx.columns import SHEET_NAMES

    unknown = [key for key in sheets if key not in RESULT_SHEETS]
    if unknown:
        raise ValueError(f"unknown result sheet {unknown[0]!r}")
    step = on_step or (lambda _step, _lang: None)
    first_lang = lang or ui_lang
    book.check(first_lang)
    # what reps typed into the sheets about to be replaced: logged into the
    # workbook first where it may change, else carried over into the new sheets
    typed = book.typed()
    edits = None
    if not (typed.done.empty and typed.grades.empty):
        edits = book.write_back(typed, lang=first_lang)
        if edits is not None:
            typed = left_to_carry(typed, edits)
    step("read", first_lang)
    data = book.read_data(first_lang)
    step("analyse", first_lang)
    job = reconcile_job(
        run_job(
            data,
            today=today,
            as_of=as_of,
            lang=lang,
            threshold=threshold,
            typed=typed,
            compare_as_of=compare_as_of,
        )
    )
    step("write", job.lang)
    written = book.write_results(job, sheets)
    customers = job.analysis.customers
    until = customers["days_until_due"]
    return AnalyzeOutcome(
        job=job,
        written=written,
        sheets=tuple(
            SHEET_NAMES[key][job.lang]
            for key in (*sheets, *(extra_sheets(job) if tuple(sheets) == RESULT_SHEETS else ()))
        ),
        read={key: count.read for key, count in data.counts.items()},
        left_out=sum(count.left_out for count in data.counts.values()),
        problems=_problems(job.data, job.lang),
        future_orders=job.future_orders,
        classes=_counts(customers["rfm_class"], RFM_CLASSES),
        tiers=_counts(customers["tier"], TIERS),
        overdue=int((until < 0).sum()),
        due_this_week=int(((until >= 0) & (until <= 7)).sum()),
        columns_used=tuple(
            render_columns(data.columns_used, data.order_sheets, job.lang, data.sheet_names)
        ),
        reconciliation=job.reconciliation,
        logged=edits.logged if edits is not None else 0,
        graded=edits.graded if edits is not None else 0,
        insights=insight_lines(job.analysis, job.lang),
    )


def log_into(book: Path, typed: Typed, *, lang: str) -> Edits:
    """Write done calls and typed grades into the workbook file ``book`` (its own sheets).

    The caller checks first that ``book`` can be rewritten without loss
    (:func:`xlcrm.xlsx.writer.check_in_place`). Activities and Customers are
    the sheets the reader reads them from (a sheet named on the Settings
    sheet included).
    """
    from xlcrm.xlsx.carryover import apply_edits, sheets_of_file, write_back_edits
    from xlcrm.xlsx.reader import read_workbook

    found = read_workbook(book, lang=lang).sheet_names
    edits = write_back_edits(sheets_of_file(book), typed, lang=lang, found=found)
    if not edits.empty:
        apply_edits(book, edits, lang=lang)
    return edits


def insight_lines(analysis: Analysis, lang: str) -> tuple[str, ...]:
    """One line each on the funnel, loyalty, open complaints and what changed, for the
    summary after ``xlcrm analyze`` (nothing for what the workbook has no input for)."""
    from xlcrm.core import loyalty

    found = analysis.insights
    if found is None:
        return ()
    lines = []
    funnel = found.funnel
    if funnel is not None:
        team = funnel.summary.iloc[0]
        lines.append(
            t(
                "Funnel: {deals:,} deals, {open:,} open, win rate {rate}, {stuck:,} stuck "
                "over {days} days.",
                lang,
                deals=int(team["deals"]),
                open=int(team["open"]),
                rate="-" if pd.isna(team["win_rate"]) else f"{team['win_rate']:.0%}",
                stuck=int(team["stuck"]),
                days=funnel.stuck_days,
            )
        )
    levels = found.customers["loyalty_level"].value_counts()
    lines.append(
        t(
            "Loyalty: {parts}.",
            lang,
            parts=t(", ", lang).join(
                f"{loyalty.level_label(code, lang)} {int(levels.get(code, 0)):,}"
                for code in loyalty.LEVELS
            ),
        )
    )
    if found.feedback is not None:
        complaints = int(found.customers["open_complaint"].sum())
        lines.append(
            tn(
                "{n:,} customer has an open complaint (called first).",
                "{n:,} customers have an open complaint (called first).",
                complaints,
                lang,
            )
        )
    changes = found.changes
    if changes is not None:
        lines.append(
            t(
                "Since {since}: {classes:,} changed RFM class, {tiers:,} changed tier, "
                "{warned:,} new churn warnings, {lost:,} became lost.",
                lang,
                since=changes.since.date().isoformat(),
                classes=changes.class_changes,
                tiers=changes.tier_changes,
                warned=len(changes.new_warnings),
                lost=len(changes.newly_lost),
            )
        )
    return tuple(lines)


def extra_sheets(job: Job) -> tuple[str, ...]:
    """The result sheets written besides :data:`RESULT_SHEETS` when the analysis has
    them: ``funnel`` (a Deals sheet was read), ``changes`` (``compare_as_of``)."""
    found = job.analysis.insights
    if found is None:
        return ()
    return tuple(
        key
        for key, present in (("funnel", found.funnel), ("changes", found.changes))
        if present is not None
    )


def _counts(codes: pd.Series, order: Sequence[str]) -> dict[str, int]:
    found = codes.value_counts()
    return {code: int(found.get(code, 0)) for code in order}


def check_workbook_name(target: Path) -> None:
    """The result is a workbook: refuse a name that says otherwise (``result.csv``)."""
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise OutputError(
            N_("the result is an Excel workbook; xlcrm does not write {suffix!r} files"),
            file=str(target),
            hint=N_("name the output .xlsx"),
            args={"suffix": suffix or target.name},
        )


def reconcile_job(job: Job) -> Job:
    """``job`` with its reconciliation line, also as a row of the Data quality list.

    Every order row read is counted, dated after the analysis date, or left
    out for a named reason; the amounts add up the same way.
    """
    from xlcrm.xlsx.quality import RECONCILIATION, collect, quality_rows
    from xlcrm.xlsx.tally import reconcile, render_reconciliation

    data, result = job.data, job.analysis
    customers = result.customers
    rec = reconcile(
        data.ledger,
        data.orders,
        as_of=result.as_of,
        orders_counted=result.orders,
        revenue=result.pareto.revenue,
        purchasers=customers["customer_id"][customers["frequency"] > 0],
    )
    line = render_reconciliation(rec, job.lang)
    row = quality_rows(
        (data.order_sheets or ("",))[0],
        np.array([data.ledger.header_row], dtype=np.int64),
        "",
        np.array([""], dtype=object),
        np.array([RECONCILIATION], dtype=object),
        np.zeros(1, dtype=bool),
        line,
    )
    data = dataclasses.replace(data, quality=collect([row, data.quality]))
    return dataclasses.replace(job, data=data, reconciliation=line)


def _problems(data: WorkbookData, lang: str) -> tuple[Problem, ...]:
    table = data.quality_table(lang)
    table = table[table.iloc[:, 5] != t("for information", lang)]
    if not len(table):
        return ()
    sheet, problem, effect = table.columns[0], table.columns[4], table.columns[5]
    groups = table.groupby([sheet, problem, effect], sort=True).size()
    return tuple(
        Problem(str(where), str(what), str(how), int(rows))
        for (where, what, how), rows in zip(groups.index, groups.to_numpy(), strict=True)
    )


# =====================================================================================
# Briefs and email: write_brief, email_book (and the output checks they share).
# Kept in its own section: analyze_book lives above, written in parallel.
# =====================================================================================

Mode = Literal["send", "drafts", "dry_run"]


def excel_lock(book: str | os.PathLike[str]) -> Path | None:
    """Excel's lock file ``~$BOOK`` beside ``book`` if it exists (the book is open in Excel).

    A note, not an error: xlcrm reads the last saved version.
    """
    path = Path(book)
    lock = path.with_name("~$" + path.name)
    return lock if lock.exists() else None


def check_target(
    target: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None
) -> None:
    """Refuse an output path that is a folder or would replace the workbook ``source``.

    Raises :class:`~xlcrm.core.errors.OutputError`; called before anything is read.
    """
    path = Path(target)
    if path.is_dir():
        raise OutputError(
            N_("the output is a folder, not a file"),
            file=str(path),
            hint=N_("give a file name with -o"),
        )
    if source is not None and path.exists() and path.resolve() == Path(source).resolve():
        raise OutputError(
            N_("the output would overwrite the workbook"),
            file=str(path),
            hint=N_("choose another name with -o"),
        )


def _write(target: Path, payload: bytes) -> None:
    """Replace ``target`` atomically; a locked file or read-only folder is one clear error."""
    try:
        files.write_bytes(target, payload)
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write the file: {reason}"),
            file=str(target),
            hint=N_("close the file if it is open, or choose another folder"),
            args={"reason": exc.reason},
        ) from None


def brief_path(
    book: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    html: bool = False,
) -> Path:
    """Where the brief goes: ``output``, else ``BOOK.brief.pdf`` (``.brief.html``) beside BOOK."""
    if output:
        return Path(output)
    source = Path(book)
    return source.with_name(source.stem + (".brief.html" if html else ".brief.pdf"))


@dataclass(frozen=True)
class BriefOutcome:
    """What :func:`write_brief` wrote."""

    path: Path
    size: int
    """Bytes written."""
    as_of: pd.Timestamp
    lang: str
    owner: str | None
    """The owner as written on the Customers sheet; ``None`` for the whole team."""
    html: bool


def write_brief(
    job: Job,
    target: str | os.PathLike[str],
    *,
    owner: str | None = None,
    html: bool = False,
    book: str | os.PathLike[str] | None = None,
    company: str | None = None,
) -> BriefOutcome:
    """Lay out the strategy brief of ``job`` and write it to ``target``.

    Parameters
    ----------
    job
        From :func:`run_job`.
    target
        The PDF (or, with ``html``, the HTML) to write, replaced atomically.
    owner
        Only this sales owner's customers (any spelling that
        :func:`~xlcrm.core.owners.owner_key` matches); an unknown owner raises
        :class:`~xlcrm.core.errors.XlcrmError` listing the owners found.
    book
        The workbook read; ``target`` may not be it.
    company
        Company name on the cover; default the Settings sheet's.
    """
    from xlcrm.report import build_context, render_html, to_pdf

    path = Path(target)
    check_target(path, source=book)
    context = build_context(
        job.analysis, lang=job.lang, owner=owner, company=company, insights=True
    )
    text = render_html(context)
    payload = text.encode("utf-8") if html else to_pdf(text)
    _write(path, payload)
    return BriefOutcome(
        path=path,
        size=len(payload),
        as_of=job.analysis.as_of,
        lang=job.lang,
        owner=context["audience"] if owner is not None else None,
        html=html,
    )


@dataclass(frozen=True)
class PlannedBrief:
    """One message of a batch as a dry run shows it."""

    to: tuple[str, ...]
    owner: str | None
    customers: int
    filename: str
    sent_before: bool
    """Every recipient already has it (an earlier run of the same batch)."""


@dataclass(frozen=True)
class EmailOutcome:
    """What :func:`email_book` did, or with ``mode="dry_run"`` would do."""

    mode: Mode
    config: SmtpConfig
    eml_dir: Path | None
    briefs: tuple[PlannedBrief, ...]
    notes: tuple[str, ...] = ()
    """Worth knowing, not errors (owners without customers, a password on the sheet …)."""
    problems: tuple[str, ...] = ()
    """One line each: owners without an address, delivery failures."""
    drafts: tuple[Path, ...] = ()
    deliveries: tuple[Delivery, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing went wrong: there was something to send, and all of it went out."""
        planned = bool(self.briefs) or self.mode == "dry_run"
        return planned and not self.problems and not self.not_sent

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status in ("sent", "already_sent")]

    @property
    def not_sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status not in ("sent", "already_sent")]


def email_book(
    job: Job,
    *,
    mode: Mode = "send",
    to: Sequence[str] = (),
    per_owner: bool = False,
    smtp: Mapping[str, object] | None = None,
    eml_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    env: Mapping[str, str] | None = None,
) -> EmailOutcome:
    """Email the brief of ``job``: send it, save ``.eml`` drafts, or say who would get what.

    Parameters
    ----------
    mode
        ``"send"`` (SMTP), ``"drafts"`` (into ``eml_dir``) or ``"dry_run"``
        (render and send nothing).
    to
        Addresses for the whole brief; default the Settings sheet's ``email_to``.
    per_owner
        Also one brief per owner with only their customers (Owners table).
    smtp
        Options ``host``, ``port``, ``security``, ``user``, ``sender`` (over the
        Settings sheet and the ``XLCRM_SMTP_*`` environment).
    eml_dir
        Folder of the drafts (``mode="drafts"``; in a dry run, says where they would go).
    resume
        Send only what an earlier run of the same batch did not deliver.
    env
        Environment for SMTP settings and the journal folder (default ``os.environ``).

    Raises :class:`~xlcrm.core.errors.SettingsError` before anything is rendered
    when there are no recipients or the SMTP settings cannot send.
    """
    from xlcrm import mail

    lang, data = job.lang, job.data
    recipients = mail.parse_addresses(to) if to else mail.sheet_recipients(data.settings_values)
    plan = mail.plan_briefs(
        job.analysis.customers, to=recipients, per_owner=per_owner, owners=data.owners, lang=lang
    )
    config = mail.SmtpConfig.from_sources(smtp or {}, data.settings_values, env, lang=lang)
    folder = Path(eml_dir) if eml_dir is not None else None
    if mode == "drafts" and folder is None:
        raise ValueError("mode='drafts' needs eml_dir")
    if mode == "send":
        config.check()  # before rendering: a missing host or password fails fast
    digest = mail.content_digest(data)
    batch_id = mail.batch_id_for(content_digest=digest, as_of=job.analysis.as_of, lang=lang)
    journal = mail.journal_path(batch_id, env)
    done = (
        mail.sent_before(batch_id, plan, config.sender, journal)
        if resume and mode == "dry_run" and folder is None
        else {}
    )
    planned = tuple(
        PlannedBrief(
            to=b.to,
            owner=b.owner,
            customers=b.customers,
            filename=mail.brief_filename(job.analysis.as_of, b.owner),
            sent_before=all(a in done.get(b.key, ()) for a in b.to),
        )
        for b in plan.briefs
    )
    outcome = EmailOutcome(mode, config, folder, planned, config.notes + plan.notes, plan.problems)
    if mode == "dry_run":
        return outcome
    if not plan.briefs:
        return outcome
    batch = mail.prepare_batch(job.analysis, plan, digest=digest, lang=lang, sender=config.sender)
    if mode == "drafts":
        assert folder is not None
        return dataclasses.replace(outcome, drafts=tuple(mail.write_eml(batch.messages, folder)))
    result = mail.send_batch(
        batch.messages,
        config,
        journal_path=journal,
        resume=resume,
        batch_id=batch.batch_id,
        lang=lang,
    )
    return dataclasses.replace(
        outcome, deliveries=result.deliveries, problems=(*result.errors, *plan.problems)
    )
