"""Sending a batch over one SMTP connection; failures become one line each."""

from __future__ import annotations

import contextlib
import copy
import os
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, localtime, parseaddr
from pathlib import Path
from typing import Literal

from xlcrm.core.errors import OutputError
from xlcrm.locale import t
from xlcrm.mail.addresses import envelope_recipients, one_line
from xlcrm.mail.config import SmtpConfig
from xlcrm.mail.journal import read_journal, write_journal

Status = Literal["sent", "already_sent", "partial", "failed", "not_attempted"]


@dataclass(frozen=True)
class Delivery:
    """What happened to one message."""

    message_id: str
    subject: str
    recipients: tuple[str, ...]
    sent: tuple[str, ...]
    """Recipients that have it (in this run or an earlier one of the batch)."""
    status: Status
    errors: tuple[str, ...] = ()

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(r for r in self.recipients if r not in self.sent)


@dataclass(frozen=True)
class BatchResult:
    """Outcome of :func:`send_batch`: one :class:`Delivery` per message, in order."""

    deliveries: tuple[Delivery, ...]
    errors: tuple[str, ...]
    """One line per failure (connection, authentication, rejected recipient …)."""
    journal: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and all(
            d.status in ("sent", "already_sent") for d in self.deliveries
        )

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status in ("sent", "already_sent")]

    @property
    def not_sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status not in ("sent", "already_sent")]


class _Fatal(Exception):
    """The connection cannot be used; stop the batch."""


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {one_line(text)}".strip()


def _describe_connection_error(exc: BaseException, config: SmtpConfig, lang: str = "en") -> str:
    where = config.address
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        exc = exc.__context__  # smtplib wraps a read timeout as a disconnect
    if isinstance(exc, ConnectionRefusedError):
        return t(
            "connection refused by {where} (is the SMTP server running and the port right?)",
            lang,
            where=where,
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return t(
            "timed out after {seconds:g} s talking to {where}",
            lang,
            where=where,
            seconds=config.timeout,
        )
    if isinstance(exc, socket.gaierror):
        return t(
            "unknown SMTP server {host!r} ({reason})", lang, host=config.host, reason=exc.strerror
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return t(
            "TLS certificate of {where} not trusted: {reason}",
            lang,
            where=where,
            reason=exc.verify_message,
        )
    if isinstance(exc, ssl.SSLError):
        other = "--starttls" if config.security == "ssl" else "--ssl"
        return t(
            "TLS with {where} failed ({reason}); try {other} or another port",
            lang,
            where=where,
            reason=exc.reason or exc,
            other=other,
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return t(
            "authentication failed for user {user!r} at {where}: {reply}",
            lang,
            user=config.user,
            where=where,
            reply=_reply(exc),
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return t("{where} closed the connection ({reason})", lang, where=where, reason=exc or "-")
    if isinstance(exc, smtplib.SMTPResponseException):
        return t("{where} refused: {reply}", lang, where=where, reply=_reply(exc))
    if isinstance(exc, smtplib.SMTPException | OSError):
        return t("cannot talk to {where}: {reason}", lang, where=where, reason=exc)
    return f"{where}: {type(exc).__name__}: {exc}"


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=config.cafile)


def open_connection(config: SmtpConfig, *, lang: str = "en") -> smtplib.SMTP:
    """Connect, secure and log in as ``config`` says; raise :class:`_Fatal` with one line."""
    smtp: smtplib.SMTP | None = None
    try:
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=_tls_context(config)
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        smtp.ehlo_or_helo_if_needed()
        if config.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise _Fatal(
                    t(
                        "{where} does not offer STARTTLS; use --ssl (usually port 465) "
                        "or, only on a trusted network, --plain",
                        lang,
                        where=config.address,
                    )
                )
            smtp.starttls(context=_tls_context(config))
            smtp.ehlo()
        if config.user:
            if not smtp.has_extn("auth"):
                raise _Fatal(
                    t(
                        "{where} does not offer login (AUTH) before TLS; use --starttls or --ssl",
                        lang,
                        where=config.address,
                    )
                    if config.security == "plain"
                    else t("{where} does not offer login (AUTH)", lang, where=config.address)
                )
            smtp.login(config.user, config.password or "")
        return smtp
    except _Fatal:
        _close(smtp)
        raise
    except (smtplib.SMTPException, OSError) as exc:
        _close(smtp)
        raise _Fatal(_describe_connection_error(exc, config, lang)) from exc


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        with contextlib.suppress(OSError):
            smtp.close()


def send_batch(
    messages: Sequence[EmailMessage],
    smtp_config: SmtpConfig,
    *,
    journal_path: str | os.PathLike[str] | None,
    resume: bool = False,
    batch_id: str = "",
    on_delivery: Callable[[Delivery], None] | None = None,
    lang: str = "en",
) -> BatchResult:
    """Send ``messages`` over one SMTP connection; never raises for a delivery problem.

    Parameters
    ----------
    messages
        Each needs a unique ``Message-ID`` (the journal key) and a ``From``.
    smtp_config
        Checked first (:meth:`SmtpConfig.check` raises :class:`SettingsError`).
    journal_path
        JSON file recording, per Message-ID, the recipients that accepted it;
        rewritten atomically after each message. ``None``: no journal.
    resume
        Send only to recipients the journal does not list. Without it
        everything is sent (and the journal still records it).
    on_delivery
        Called after each message (progress output).

    Returns
    -------
    BatchResult
        A connection, TLS or authentication failure stops the batch (the
        rest are ``not_attempted``); a rejected recipient or message fails
        only that one and the batch goes on.
    """
    smtp_config.check()
    ids = [str(m.get("Message-ID", "")) for m in messages]
    if any(not i for i in ids) or len(set(ids)) != len(ids):
        raise ValueError("every message needs its own Message-ID")
    path = Path(journal_path) if journal_path is not None else None
    # The journal is the record of what was delivered: kept across runs (also
    # without resume, so a later --resume never resends what went out), but
    # consulted for skipping only with resume.
    journal: dict[str, list[str]] = {}
    if path is not None:
        try:
            journal = read_journal(path)
        except OutputError:
            if resume:
                raise

    deliveries: list[Delivery] = []
    errors: list[str] = []
    smtp: smtplib.SMTP | None = None
    fatal: str | None = None

    def record(delivery: Delivery) -> None:
        deliveries.append(delivery)
        if on_delivery is not None:
            on_delivery(delivery)

    try:
        for msg, message_id in zip(messages, ids, strict=True):
            subject = one_line(msg.get("Subject", ""))
            recipients = tuple(envelope_recipients(msg))
            done = [r for r in recipients if resume and r in journal.get(message_id, [])]
            pending = [r for r in recipients if r not in done]
            if not pending:
                record(Delivery(message_id, subject, recipients, tuple(done), "already_sent"))
                continue
            if fatal is not None:
                record(Delivery(message_id, subject, recipients, tuple(done), "not_attempted"))
                continue
            try:
                if smtp is None:
                    smtp = open_connection(smtp_config, lang=lang)
                from_addr = parseaddr(str(msg.get("From", "")))[1] or smtp_config.sender
                outgoing = msg
                if "Date" not in msg:  # stamped at sending, on a copy: the caller's stays
                    outgoing = copy.deepcopy(msg)
                    outgoing["Date"] = format_datetime(localtime())
                refused = _send_one(smtp, outgoing, from_addr or "", pending, smtp_config, lang)
            except _Fatal as exc:
                fatal = str(exc)
                errors.append(fatal)
                _close(smtp)
                smtp = None
                record(Delivery(message_id, subject, recipients, tuple(done), "not_attempted"))
                continue
            accepted = [r for r in pending if r not in refused]
            message_errors = tuple(
                t(
                    "{address} rejected by {where}: {reason}",
                    lang,
                    address=address,
                    where=smtp_config.address,
                    reason=reason,
                )
                for address, reason in refused.items()
            )
            errors.extend(message_errors)
            if accepted:
                earlier = journal.get(message_id, [])
                journal[message_id] = [*earlier, *(a for a in accepted if a not in earlier)]
                if path is not None:
                    write_journal(path, batch_id, journal)
            have = (*done, *accepted)
            status: Status
            if not refused:
                status = "sent"
            elif have:
                status = "partial"
            else:
                status = "failed"
            record(Delivery(message_id, subject, recipients, have, status, message_errors))
    finally:
        _close(smtp)
    return BatchResult(tuple(deliveries), tuple(errors), path)


def _send_one(
    smtp: smtplib.SMTP,
    msg: EmailMessage,
    from_addr: str,
    recipients: list[str],
    config: SmtpConfig,
    lang: str = "en",
) -> dict[str, str]:
    """Send to ``recipients``; return ``{address: reason}`` for those refused."""
    try:
        refused = smtp.send_message(msg, from_addr=from_addr, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        return {
            address: f"{code} {_decode(text)}" for address, (code, text) in exc.recipients.items()
        }
    except smtplib.SMTPSenderRefused as exc:
        raise _Fatal(
            t(
                "sender {sender} rejected by {where}: {reply}",
                lang,
                sender=from_addr,
                where=config.address,
                reply=_reply(exc),
            )
        ) from exc
    except smtplib.SMTPDataError as exc:
        reason = t("message refused: {reply}", lang, reply=_reply(exc))
        return dict.fromkeys(recipients, reason)
    except (smtplib.SMTPException, OSError) as exc:
        raise _Fatal(_describe_connection_error(exc, config, lang)) from exc
    return {address: f"{code} {_decode(text)}" for address, (code, text) in refused.items()}


def _decode(text: bytes | str) -> str:
    return one_line(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
