"""What the xlcrm ribbon buttons do.

Each button's VBA callback runs ``RunPython`` with one function here, e.g.
``analyze(addin_xlwings="0.37.8", ui_lang="en")``: the function then works on
the workbook open in Excel (:meth:`XlwingsBook.caller`). Tests and scripts
pass a :class:`~xlcrm.excel.book.FileBook` instead. The work is the same code
as the command line: :func:`xlcrm.xlsx.reader.read_workbook`,
:func:`xlcrm.core.analysis.analyze`, :mod:`xlcrm.xlsx.writer`, :mod:`xlcrm.report`,
:mod:`xlcrm.mail`.

Every action

* first compares the add-in's xlwings version (passed by the callback) with
  the installed xlwings and, when they differ, says so in one line instead
  of failing somewhere inside xlwings;
* runs with Excel's screen updating off and its progress in the status bar,
  both restored afterwards, also after an error (:meth:`Book.working`);
* turns a problem the user can fix (:class:`~xlcrm.core.errors.XlcrmError`) into
  one message box, not a traceback, and returns that message.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from xlcrm import jobs
from xlcrm.core.errors import XlcrmError
from xlcrm.core.rfm import DateLike
from xlcrm.excel.book import Book, XlwingsBook
from xlcrm.excel.versions import version_problem
from xlcrm.jobs import RESULT_SHEETS, AnalyzeOutcome, Job, Step, analyze_book, run_job
from xlcrm.locale import LANGS, t, tn, tp
from xlcrm.xlsx.columns import SHEET_NAMES

__all__ = ["analyze", "dashboard", "email_brief", "followup_plan", "pdf_brief", "show_help"]

_F = TypeVar("_F", bound=Callable[..., str])


def _analyse(book: Book, *, as_of: DateLike | None = None, lang: str | None = None) -> Job:
    hint = lang or book.ui_lang
    book.progress(t("xlcrm: reading the workbook…", hint))
    data = book.read_data(lang=hint)
    book.progress(t("xlcrm: analysing…", hint))
    return run_job(data, today=dt.date.today(), as_of=as_of, lang=lang)


def _action(f: _F) -> _F:
    """Find the workbook when called from Excel; check versions; show one message."""

    @functools.wraps(f)
    def wrapper(
        book: Book | None = None,
        *,
        addin_xlwings: str | None = None,
        ui_lang: str | None = None,
        **options: Any,
    ) -> str:
        lang = user_lang(ui_lang)
        problem = version_problem(addin_xlwings, lang)
        if book is not None:
            target = book
        else:
            try:
                target = XlwingsBook.caller()
            except Exception:
                if problem is None:
                    raise
                # xlwings itself is what does not match; RunPython shows in a
                # message box what a failed run prints.
                raise SystemExit(problem) from None
        target.ui_lang = lang
        if problem is not None:
            message = problem
        else:
            try:
                with target.working():
                    message = f(target, **options)
            except XlcrmError as exc:
                shown = options.get("lang") or lang
                message = t("xlcrm: {error}", shown, error=exc.render(shown))
        target.notify(message)
        return message

    # RunPython calls e.g. `analyze()`: the signature shows the book as optional.
    signature = inspect.signature(f)
    params = list(signature.parameters.values())
    params[0] = params[0].replace(default=None, annotation=Book | None)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=str | None)
        for name in ("addin_xlwings", "ui_lang")
    ]
    wrapper.__signature__ = signature.replace(parameters=params + extra)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def user_lang(value: object) -> str:
    """A language passed from Excel: "en" or "zh", else "en"."""
    text = str(value or "").strip().lower()
    return text if text in LANGS else "en"


def _where(book: Book, path: Path, lang: str) -> str:
    """The full path, and why it is there when the workbook has no folder of its own."""
    if book.saved:
        return str(path)
    note = t("(the workbook is not saved yet, so it went to {folder})", lang, folder=book.folder)
    return f"{path} {note}"
    return f"{path}{note}"


def _analyze_book(
    book: Book, sheets: Sequence[str], as_of: DateLike | None, lang: str | None
) -> AnalyzeOutcome:
    """The use case on ``book``, its steps shown in Excel's status bar."""

    def show(step: Step, lang: str) -> None:
        if step == "read":
            book.progress(t("xlcrm: reading the workbook…", lang))
        elif step == "analyse":
            book.progress(t("xlcrm: analysing…", lang))
        elif len(sheets) == 1:
            book.progress(t("xlcrm: writing {sheet}…", lang, sheet=SHEET_NAMES[sheets[0]][lang]))
        else:
            book.progress(t("xlcrm: writing the result sheets…", lang))

    return analyze_book(
        book,
        today=dt.date.today(),
        as_of=as_of,
        lang=lang,
        sheets=sheets,
        ui_lang=book.ui_lang,
        on_step=show,
    )


@_action
def analyze(book: Book, *, as_of: DateLike | None = None, lang: str | None = None) -> str:
    """Write the result sheets (Dashboard, Call plan, RFM, Lifecycle, Follow-ups, …).

    What reps typed on the Call plan and Follow-ups is logged first (or kept).
    """
    done = _analyze_book(book, RESULT_SHEETS, as_of, lang)
    message = tn(
        "Analysed {n} customer as of {as_of}: {where}",
        "Analysed {n} customers as of {as_of}: {where}",
        done.customers,
        done.lang,
        as_of=done.as_of.strftime("%Y-%m-%d"),
        where=done.written,
    )
    return _with_logged(message, done)


def _with_logged(message: str, done: AnalyzeOutcome) -> str:
    if not done.logged:
        return message
    logged = tn(
        "{n} done call logged in Activities.",
        "{n} done calls logged in Activities.",
        done.logged,
        done.lang,
    )
    return f"{message}\n{logged}"


@_action
def followup_plan(book: Book, *, as_of: DateLike | None = None, lang: str | None = None) -> str:
    """Log the calls marked Done on the Call plan, then write the new Call plan and Follow-ups.

    Done calls go to the Activities sheet (created when absent), grades
    changed on Follow-ups to the Customers sheet; then the analysis runs
    again, so the new plan starts from those contacts. Notes of calls not
    done yet stay on the new plan.
    """
    done = _analyze_book(book, ("callplan", "followups"), as_of, lang)
    plan = done.job.plan
    today = int((plan.calls["date"] == plan.days[0]).sum()) if len(plan.days) else 0
    message = tn(
        "Call plan: {today} call today, {n} in {days} working days, {backlog} not planned: {where}",
        "Call plan: {today} calls today, {n} in {days} working days, {backlog} not planned: "
        "{where}",
        today,
        done.lang,
        today=today,
        n=len(plan.calls),
        days=len(plan.days),
        backlog=len(plan.backlog),
        where=done.written,
    )
    return _with_logged(message, done)


@_action
def dashboard(book: Book, *, as_of: DateLike | None = None, lang: str | None = None) -> str:
    """Write the dashboard sheet: key figures, classes, segments, tiers, Pareto curve."""
    done = _analyze_book(book, ("dashboard",), as_of, lang)
    return t("Dashboard: {where}", done.lang, where=done.written)


@_action
def pdf_brief(
    book: Book,
    *,
    as_of: DateLike | None = None,
    lang: str | None = None,
    output: str | Path | None = None,
) -> str:
    """Write the segment strategy brief as PDF beside the workbook (BOOK.brief.pdf).

    A workbook that was never saved has no folder: the PDF goes to the
    user's Documents folder (or home), and the message says so.
    """
    ctx = _analyse(book, as_of=as_of, lang=lang)
    book.progress(t("xlcrm: making the PDF brief…", ctx.lang))
    done = jobs.write_brief(ctx, jobs.brief_path(book.folder / book.name, output))
    shown = done.path if output else _where(book, done.path, ctx.lang)
    return t("Wrote {path}", ctx.lang, path=shown)


@_action
def email_brief(
    book: Book,
    *,
    as_of: DateLike | None = None,
    lang: str | None = None,
    eml_dir: str | Path | None = None,
    dry_run: bool = False,
) -> str:
    """Send the brief by e-mail with the Settings sheet's SMTP server and recipients.

    Without an SMTP host (or with ``eml_dir``) the messages are saved as .eml
    drafts in a folder beside the workbook (Documents for a workbook never
    saved), to open and send from any mail program. Without ``email_to`` on
    the Settings sheet each owner gets their own brief. ``dry_run`` only says
    who would get what.
    """
    from xlcrm import mail

    ctx = _analyse(book, as_of=as_of, lang=lang)
    values, lang = ctx.data.settings_values, ctx.lang
    drafts = Path(eml_dir) if eml_dir else None
    if drafts is None and not mail.SmtpConfig.from_sources({}, values).host:
        drafts = book.folder / f"{Path(book.name).stem} drafts"
    mode: jobs.Mode = "dry_run" if dry_run else "drafts" if drafts else "send"
    if not dry_run:
        book.progress(t("xlcrm: making the PDF brief…", lang))
    per_owner = not mail.sheet_recipients(values)
    done = jobs.email_book(ctx, mode=mode, per_owner=per_owner, eml_dir=drafts)
    shown = str(drafts) if eml_dir or drafts is None else _where(book, drafts, lang)
    return _email_text(done, shown, lang)


def _email_text(done: jobs.EmailOutcome, folder: str, lang: str) -> str:
    """The message after Email brief: what went (or would go) where, then the problems."""
    n, problems = len(done.briefs), "".join(f"\n- {p}" for p in done.problems)
    if not done.briefs:
        return t(
            "xlcrm: no brief to send (no recipients on the Settings sheet){problems}",
            lang,
            problems=problems,
        )
    everyone = t("all customers", lang)
    who = "; ".join(f"{', '.join(b.to)}: {b.owner or everyone}" for b in done.briefs)
    if done.mode == "dry_run":
        how = (
            t("drafts in {folder}", lang, folder=folder)
            if done.eml_dir
            else t("via {server}", lang, server=done.config.address)
        )
        return tn(
            "Would send {n} brief, {how}: {who}{problems}",
            "Would send {n} briefs, {how}: {who}{problems}",
            n,
            lang,
            how=how,
            who=who,
            problems=problems,
        )
    if done.mode == "drafts":
        return tn(
            "Saved {n} draft in {folder}: {who}{problems}",
            "Saved {n} drafts in {folder}: {who}{problems}",
            len(done.drafts),
            lang,
            folder=folder,
            who=who,
            problems=problems,
        )
    return tn(
        "Sent {sent} of {n} brief{errors}{problems}",
        "Sent {sent} of {n} briefs{errors}{problems}",
        n,
        lang,
        sent=len(done.sent),
        errors="",
        problems=problems,
    )


@_action
def show_help(book: Book, *, lang: str | None = None) -> str:
    """Write the xlcrm help sheet: the buttons and the worksheet functions."""
    from xlcrm.excel import ribbon, udfs

    lang = lang or book.ui_lang
    rows: list[list[Any]] = [
        [tp("help sheet title", "xlcrm", lang)],
        [],
        [t("Button", lang), t("What it does", lang)],
    ]
    rows += [[b.label_in(lang), b.supertip_in(lang)] for b in ribbon.BUTTONS]
    rows += [[], [t("Function", lang), t("What it returns", lang)]]
    for name in udfs.__all__:
        function = getattr(udfs, name)
        rows.append([_usage(name, function), (function.__doc__ or "").strip()])
    # Written without "=": the sheet shows the examples instead of running them.
    rows += [
        [],
        [t("Example", lang), t("{call}: a whole column that spills", lang, call=SPILL_EXAMPLE)],
        ["", t("{call}: one cell with your own cut points", lang, call=CELL_EXAMPLE)],
    ]
    book.progress(t("xlcrm: writing {sheet}…", lang, sheet=HELP_SHEET))
    where = book.write_rows(HELP_SHEET, rows)
    return t("Help: {where}", lang, where=where)


HELP_SHEET = "xlcrm help"
SPILL_EXAMPLE = "RFM_CLASS(B2:B500,C2:C500,D2:D500)"
CELL_EXAMPLE = "RFM_CLASS(B2,C2,D2,$H$1,$H$2,$H$3)"


def _usage(name: str, function: Callable[..., Any]) -> str:
    """``RFM_CLASS(recency, frequency, monetary, [r_cut], ...)``: optional arguments in brackets."""
    params = inspect.signature(function).parameters.values()
    args = [p.name if p.default is inspect.Parameter.empty else f"[{p.name}]" for p in params]
    return f"{name.upper()}({', '.join(args)})"
