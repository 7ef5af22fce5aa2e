"""What the xlcrm ribbon buttons do.

Each button's VBA callback runs ``RunPython`` with one function here, called
without arguments: the function then works on the workbook open in Excel
(:meth:`XlwingsBook.caller`). Tests and scripts pass a
:class:`~xlcrm.excel.book.FileBook` instead. The work is the same code as the
command line: :func:`xlcrm.xlsx.reader.read_workbook`,
:func:`xlcrm.core.analysis.analyze`, :mod:`xlcrm.xlsx.writer`, :mod:`xlcrm.report`,
:mod:`xlcrm.mail`.

A problem the user can fix (:class:`~xlcrm.core.errors.XlcrmError`) becomes one
message box, not a Python traceback; the function returns that message.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xlcrm.core.errors import XlcrmError
from xlcrm.excel.book import Book, XlwingsBook, dashboard_rows, table_rows
from xlcrm.jobs import Job, run_job

__all__ = ["analyze", "dashboard", "email_brief", "followup_plan", "pdf_brief", "show_help"]

_F = TypeVar("_F", bound=Callable[..., str])


def _analyse(book: Book, *, as_of: Any = None, lang: str | None = None) -> Job:
    data = book.read_data(lang=lang or "en")
    return run_job(data, today=dt.date.today(), as_of=as_of, lang=lang)


def _action(f: _F) -> _F:
    """Find the workbook when called from Excel; show user errors in a message box."""

    @functools.wraps(f)
    def wrapper(book: Book | None = None, **options: Any) -> str:
        target = book if book is not None else XlwingsBook.caller()
        try:
            message = f(target, **options)
        except XlcrmError as exc:
            message = f"xlcrm: {exc}"
        target.notify(message)
        return message

    # RunPython calls e.g. `analyze()`: the signature shows the book as optional.
    signature = inspect.signature(f)
    params = list(signature.parameters.values())
    params[0] = params[0].replace(default=None, annotation=Book | None)
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@_action
def analyze(book: Book, *, as_of: Any = None, lang: str | None = None) -> str:
    """Write the result sheets (RFM, Lifecycle, Follow-ups, Dashboard, Data quality)."""
    ctx = _analyse(book, as_of=as_of, lang=lang)
    where = book.write_analysis(ctx.analysis, ctx.data, lang=ctx.lang)
    n = len(ctx.analysis.customers)
    return f"Analysed {n} customers as of {ctx.analysis.as_of:%Y-%m-%d}: {where}"


@_action
def followup_plan(book: Book, *, as_of: Any = None, lang: str | None = None) -> str:
    """Write the follow-up plan sheet: whom to contact and when, soonest first."""
    from xlcrm.xlsx.writer import build_result_sheets

    ctx = _analyse(book, as_of=as_of, lang=lang)
    sheets = build_result_sheets(ctx.analysis, lang=ctx.lang)
    plan = next(s for s in sheets if s.key == "followups")
    rows, formats = table_rows(plan)
    due = int((ctx.analysis.customers["overdue_days"] > 0).sum())
    where = book.write_rows(plan.name, rows, formats)
    return f"Follow-up plan for {plan.n_rows} customers ({due} overdue): {where}"


@_action
def dashboard(book: Book, *, as_of: Any = None, lang: str | None = None) -> str:
    """Write the dashboard sheet: key figures, classes, segments, tiers, Pareto curve."""
    from xlcrm.xlsx.writer import SHEET_NAMES, build_dashboard

    ctx = _analyse(book, as_of=as_of, lang=lang)
    dash = build_dashboard(ctx.analysis, lang=ctx.lang)
    where = book.write_rows(SHEET_NAMES["dashboard"][ctx.lang], dashboard_rows(dash))
    return f"Dashboard: {where}"


@_action
def pdf_brief(
    book: Book,
    *,
    as_of: Any = None,
    lang: str | None = None,
    output: str | Path | None = None,
) -> str:
    """Write the segment strategy brief as PDF beside the workbook (BOOK.brief.pdf)."""
    from xlcrm.report import render_pdf, write_atomic

    ctx = _analyse(book, as_of=as_of, lang=lang)
    target = Path(output) if output else book.folder / f"{Path(book.name).stem}.brief.pdf"
    write_atomic(target, render_pdf(ctx.analysis, lang=ctx.lang))
    return f"Wrote {target}"


@_action
def email_brief(
    book: Book,
    *,
    as_of: Any = None,
    lang: str | None = None,
    eml_dir: str | Path | None = None,
    dry_run: bool = False,
) -> str:
    """Send the brief by e-mail with the Settings sheet's SMTP server and recipients.

    Without an SMTP host (or with ``eml_dir``) the messages are saved as .eml
    drafts in a folder beside the workbook, to open and send from any mail
    program. ``dry_run`` only says who would get what.
    """
    from xlcrm import mail

    ctx = _analyse(book, as_of=as_of, lang=lang)
    data, result = ctx.data, ctx.analysis
    recipients = mail.sheet_recipients(data.settings_values)
    plan = mail.plan_briefs(
        result.customers, to=recipients, per_owner=not recipients, owners=data.owners
    )
    config = mail.SmtpConfig.from_sources({}, data.settings_values)
    drafts = Path(eml_dir) if eml_dir else None
    if drafts is None and not config.host:
        drafts = book.folder / f"{Path(book.name).stem} drafts"
    problems = "".join(f"\n- {p}" for p in plan.problems)
    if not plan.briefs:
        return f"xlcrm: no brief to send (no recipients on the Settings sheet){problems}"
    who = "; ".join(f"{', '.join(b.to)}: {b.owner or 'all customers'}" for b in plan.briefs)
    if dry_run:
        how = f"drafts in {drafts}" if drafts else f"via {config.address}"
        return f"Would send {len(plan.briefs)} brief(s), {how}: {who}{problems}"
    batch = mail.prepare_batch(
        result,
        plan,
        digest=mail.content_digest(data),
        lang=ctx.lang,
        sender=config.sender,
    )
    if drafts is not None:
        drafts.mkdir(parents=True, exist_ok=True)
        paths = mail.write_eml(batch.messages, drafts)
        return f"Saved {len(paths)} draft(s) in {drafts}: {who}{problems}"
    config.check()
    outcome = mail.send_batch(
        batch.messages,
        config,
        journal_path=mail.journal_path(batch.batch_id),
        batch_id=batch.batch_id,
        lang=ctx.lang,
    )
    errors = "".join(f"\n- {e}" for e in outcome.errors)
    return f"Sent {len(outcome.sent)} of {len(batch.messages)} brief(s){errors}{problems}"


@_action
def show_help(book: Book) -> str:
    """Write the xlcrm help sheet: the buttons and the worksheet functions."""
    from xlcrm.excel import ribbon, udfs

    rows: list[list[Any]] = [["xlcrm 客户分层"], [], ["Button 按钮", "What it does 作用"]]
    rows += [[f"{b.label} {b.label_zh}", b.supertip] for b in ribbon.BUTTONS]
    rows += [[], ["Function 函数", "What it returns 返回"]]
    for name in udfs.__all__:
        function = getattr(udfs, name)
        rows.append([_usage(name, function), (function.__doc__ or "").strip()])
    # Written without "=": the sheet shows the examples instead of running them.
    rows += [
        [],
        ["Example 示例", "RFM_CLASS(B2:B500,C2:C500,D2:D500): a whole column that spills"],
        ["", "RFM_CLASS(B2,C2,D2,$H$1,$H$2,$H$3): one cell with your own cut points"],
    ]
    where = book.write_rows(HELP_SHEET, rows)
    return f"Help: {where}"


HELP_SHEET = "xlcrm help"


def _usage(name: str, function: Callable[..., Any]) -> str:
    """``RFM_CLASS(recency, frequency, monetary, [r_cut], ...)``: optional arguments in brackets."""
    params = inspect.signature(function).parameters.values()
    args = [p.name if p.default is inspect.Parameter.empty else f"[{p.name}]" for p in params]
    return f"{name.upper()}({', '.join(args)})"
