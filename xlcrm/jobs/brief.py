"""Briefs and email: :func:`write_brief` and :func:`email_book`."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from xlcrm import files
from xlcrm.core.errors import OutputError
from xlcrm.jobs.run import Job
from xlcrm.locale import N_

if TYPE_CHECKING:
    from xlcrm.mail import Delivery, SmtpConfig


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
