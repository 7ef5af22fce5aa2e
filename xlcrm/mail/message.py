"""One email carrying the brief: subject, headers, the body (:mod:`~xlcrm.mail.body`), the PDF.

:func:`build_message` is pure: no clock, no network, no files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import pandas as pd

from xlcrm.core.errors import SettingsError
from xlcrm.core.settings import DEFAULT_SETTINGS
from xlcrm.locale import N_, t
from xlcrm.mail.addresses import display_recipients, format_address, one_line, parse_addresses
from xlcrm.mail.body import FollowUp, body_context, html_body, key_figures, plain_body
from xlcrm.report.context import check_lang
from xlcrm.report.format import fmt_date


def brief_filename(as_of: dt.date | pd.Timestamp, owner: str | None = None) -> str:
    """``xlcrm-brief-2024-06-30[-owner].pdf``; unsafe filename characters removed."""
    stem = f"xlcrm-brief-{pd.Timestamp(as_of):%Y-%m-%d}"
    if owner:
        slug = re.sub(r"[\\/:*?\"<>|\x00-\x1f=+@'\s]+", "-", owner).strip("-.")
        if slug:
            stem = f"{stem}-{slug[:40]}"
    return f"{stem}.pdf"


def _subject(as_of: dt.date | pd.Timestamp, *, lang: str, owner: str | None, company: str) -> str:
    date = fmt_date(as_of)
    if owner and company:
        return t(
            "{company} customer brief for {owner}, {date}",
            lang,
            company=company,
            owner=owner,
            date=date,
        )
    if owner:
        return t("Customer brief for {owner}, {date}", lang, owner=owner, date=date)
    if company:
        return t("{company} customer brief, {date}", lang, company=company, date=date)
    return t("Customer brief, {date}", lang, date=date)


def build_message(
    *,
    to: Sequence[str],
    as_of: dt.date | pd.Timestamp,
    summary: Mapping[str, object],
    followups: Sequence[FollowUp],
    pdf: bytes,
    lang: str = "en",
    sender: str | None = None,
    owner: str | None = None,
    company: str | None = None,
    currency: str = "",
    urgent_days: int = DEFAULT_SETTINGS.urgent_days,
    filename: str | None = None,
    message_id: str | None = None,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """One email carrying the PDF brief.

    Parameters
    ----------
    to
        Recipient addresses (``"Name <a@x>"`` accepted).
    as_of
        Date of the analysis, shown in subject and body.
    summary
        Key figures, e.g. ``analysis.summary(analysis, owner=...)``.
    followups
        From :func:`followups_due`; at most ``MAX_FOLLOWUPS_IN_BODY`` are listed.
    pdf
        The brief, attached as ``filename`` (default :func:`brief_filename`).
    lang
        ``"en"`` or ``"zh"``.
    sender
        ``From`` address; may be left out for drafts.
    owner
        The sales owner this brief is for (greeting, subject, owner column hidden).
    currency, urgent_days
        The Settings sheet's currency sign and follow-up window (for the figures).
    message_id
        Set it for a stable id (resending the same batch reuses it).
    date
        ``Date`` header; left out when ``None`` (the server or client adds it).

    Returns
    -------
    EmailMessage
        ``multipart/mixed``: ``multipart/alternative`` (text, HTML) + PDF.
    """
    check_lang(lang)
    recipients = parse_addresses(to)
    if not recipients:
        raise SettingsError(N_("no recipient address given"), hint=N_("pass --to ADDR"))
    owner_text = one_line(owner) if owner else None
    subject = _subject(as_of, lang=lang, owner=owner_text, company=one_line(company or ""))

    msg = EmailMessage()
    msg["Subject"] = subject
    if sender:
        msg["From"] = format_address(sender)
    msg["To"] = ", ".join(format_address(a) for a in display_recipients(to, recipients))
    if date is not None:
        msg["Date"] = format_datetime(date)
    if message_id:
        msg["Message-ID"] = message_id
    msg["X-Mailer"] = "xlcrm"

    figures = key_figures(summary, lang=lang, currency=currency, urgent_days=urgent_days)
    body = body_context(
        lang=lang, as_of=as_of, owner=owner_text, figures=figures, followups=followups
    )
    msg.set_content(plain_body(body))
    msg.add_alternative(html_body(body), subtype="html")
    msg.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=filename or brief_filename(as_of, owner_text),
    )
    return msg


def make_message_id(batch_id: str, key: str, sender: str | None) -> str:
    """A stable ``Message-ID``: the same batch and key give the same id.

    Resending after an interrupted batch reuses it, so mail clients that
    de-duplicate by id show the brief once.
    """
    domain = (parseaddr(sender or "")[1].rpartition("@")[2] or "xlcrm.invalid").strip()
    local = hashlib.sha256(f"{batch_id}\0{key}".encode()).hexdigest()[:24]
    return f"<xlcrm.{local}@{domain}>"


def make_batch_id(*parts: object) -> str:
    """A short id for a batch from its defining parts (content hash, recipients, as_of …)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:20]
