"""The PDF brief and its delivery: ``report`` and ``email``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from xlcrm.locale import t, tn

if TYPE_CHECKING:
    from xlcrm.jobs import EmailOutcome
from xlcrm.cli.base import (
    AS_OF_OPTION,
    COMPARE_OPTION,
    LANG_OPTION,
    cli,
    console,
    err_console,
    one_line,
    progress,
    warn_if_open,
)


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
        err_console.print(f"[yellow]xlcrm: {note}:[/] {escape(one_line(line))}")
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
        err_console.print(f"[bold red]xlcrm:[/] {escape(one_line(line))}")
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
