"""Build and send the brief by email: SMTP or ``.eml`` drafts.

Three steps, each usable on its own (the CLI's ``email`` command and the
Excel add-in's Email brief button call the same functions):

1. :func:`build_message` makes one :class:`~email.message.EmailMessage` with a
   plain-text and an HTML body (key figures, follow-ups due this week) and the
   PDF brief attached. It is pure: no clock, no network, no files.
2. :func:`send_batch` sends a list of messages over one SMTP connection,
   recording every delivered recipient in a small JSON journal so that a run
   with ``resume=True`` sends only what was not yet delivered. It never raises
   for a delivery problem; it returns a :class:`BatchResult` with one line per
   failure and which messages went out.
3. :func:`write_eml` writes the messages as ``.eml`` drafts (``X-Unsent: 1``)
   that Outlook and Thunderbird open as unsent mail.

User text (customer and owner names) is never interpreted: it is escaped in
the HTML body and kept literal in the plain-text body, so a name such as
``=HYPERLINK("http://x","y")`` shows as exactly that.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import html
import json
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, getaddresses, localtime, parseaddr
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from xlcrm import files
from xlcrm.core import schema
from xlcrm.core.errors import OutputError, SettingsError
from xlcrm.core.settings import (
    MAIL_PASSWORD_KEYS,
    MAIL_RECIPIENT_KEYS,
    MAIL_SETTING_KEYS,
    MAIL_SHEET_KEYS,
    normalise_key,
)

Security = Literal["starttls", "ssl", "plain"]
SECURITIES: Final = ("starttls", "ssl", "plain")
DEFAULT_PORTS: Final[dict[str, int]] = {"starttls": 587, "ssl": 465, "plain": 25}
DEFAULT_TIMEOUT: Final = 30.0
FOLLOWUP_DAYS: Final = 7
MAX_FOLLOWUPS_IN_BODY: Final = 15

PASSWORD_ENV: Final = "XLCRM_SMTP_PASSWORD"
STATE_DIR_ENV: Final = "XLCRM_STATE_DIR"

SHEET_KEYS = MAIL_SHEET_KEYS
RECIPIENT_KEYS = MAIL_RECIPIENT_KEYS
SHEET_PASSWORD_KEYS = MAIL_PASSWORD_KEYS
SETTINGS_KEYS = MAIL_SETTING_KEYS

ENV_KEYS: Final[dict[str, str]] = {
    "XLCRM_SMTP_HOST": "host",
    "XLCRM_SMTP_PORT": "port",
    "XLCRM_SMTP_USER": "user",
    "XLCRM_SMTP_FROM": "sender",
    "XLCRM_SMTP_SECURITY": "security",
    "XLCRM_SMTP_CAFILE": "cafile",
}

_SECURITY_ALIASES: Final[dict[str, str]] = {
    "starttls": "starttls",
    "tls": "starttls",
    "ssl": "ssl",
    "smtps": "ssl",
    "implicit_tls": "ssl",
    "plain": "plain",
    "none": "plain",
    "无": "plain",
}


# --- SMTP settings -------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send.

    Build it with :meth:`from_sources` (option > Settings sheet > environment).
    The password comes only from the ``XLCRM_SMTP_PASSWORD`` environment
    variable; it is never shown in ``repr``.
    """

    host: str = ""
    port: int = DEFAULT_PORTS["starttls"]
    security: Security = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    cafile: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_sources(
        cls,
        options: Mapping[str, object] | None = None,
        sheet: Mapping[str, object] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SmtpConfig:
        """Resolve each setting: ``options`` > Settings ``sheet`` > ``env``.

        Parameters
        ----------
        options
            ``host``, ``port``, ``security``, ``user``, ``sender``, ``cafile``;
            ``None`` values count as not given.
        sheet
            Raw key/value pairs of the Settings sheet (``smtp_host``,
            ``smtp_port``, ``smtp_user``, ``smtp_from``, ``smtp_security`` or
            their Chinese names); other keys are ignored.
        env
            Environment (default ``os.environ``): ``XLCRM_SMTP_HOST``, ``_PORT``,
            ``_USER``, ``_FROM``, ``_SECURITY``, ``_CAFILE`` and ``_PASSWORD``.
        """
        env = os.environ if env is None else env
        layers: list[dict[str, object]] = []
        layers.append({k: v for k, v in (options or {}).items() if _given(v)})
        from_sheet: dict[str, object] = {}
        notes: list[str] = []
        for raw_key, value in (sheet or {}).items():
            key = normalise_key(str(raw_key))
            if key in SHEET_PASSWORD_KEYS:
                notes.append(
                    f"the Settings sheet has {raw_key!r}; it is ignored because passwords "
                    f"are read only from {PASSWORD_ENV} (delete that row)"
                )
            elif key in SHEET_KEYS and _given(value):
                from_sheet[SHEET_KEYS[key]] = value
        layers.append(from_sheet)
        layers.append({name: env[var] for var, name in ENV_KEYS.items() if _given(env.get(var))})

        def pick(name: str) -> object:
            for layer in layers:
                if name in layer:
                    return layer[name]
            return None

        raw_security = pick("security")
        raw_port = pick("port")
        port = _parse_port(raw_port) if raw_port is not None else None
        if raw_security is not None:
            security = _parse_security(raw_security)
        elif port == DEFAULT_PORTS["ssl"]:
            security = "ssl"
        else:
            security = "starttls"
        return cls(
            host=str(pick("host") or "").strip(),
            port=port if port is not None else DEFAULT_PORTS[security],
            security=security,  # type: ignore[arg-type]
            user=_text_or_none(pick("user")),
            password=env.get(PASSWORD_ENV) or None,
            sender=_text_or_none(pick("sender")),
            timeout=timeout,
            cafile=_text_or_none(pick("cafile")),
            notes=tuple(notes),
        )

    def check(self) -> None:
        """Raise :class:`SettingsError` if this cannot be used to send."""
        if not self.host:
            raise SettingsError(
                "no SMTP server given",
                hint="pass --smtp-host, set smtp_host on the Settings sheet or XLCRM_SMTP_HOST",
            )
        if not self.sender:
            raise SettingsError(
                "no sender address given",
                hint="pass --from, set smtp_from on the Settings sheet or XLCRM_SMTP_FROM",
            )
        if self.user and not self.password:
            raise SettingsError(
                f"SMTP user {self.user!r} given but no password",
                hint=f"set the {PASSWORD_ENV} environment variable",
            )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _given(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet cell
        return False
    return not (isinstance(value, str) and not value.strip())


def _text_or_none(value: object) -> str | None:
    return str(value).strip() if _given(value) else None


def _parse_port(value: object) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 0 < number < 65536:
        raise SettingsError(f"SMTP port must be a number from 1 to 65535, not {value!r}")
    return int(number)


def _parse_security(value: object) -> str:
    key = normalise_key(str(value))
    if key not in _SECURITY_ALIASES:
        raise SettingsError(
            f"SMTP security must be starttls, ssl or plain, not {value!r}", column="smtp_security"
        )
    return _SECURITY_ALIASES[key]


# --- addresses -----------------------------------------------------------------


def parse_addresses(text: str | Iterable[str]) -> list[str]:
    """Split ``a@x.com, B <b@y.com>`` into bare addresses; raise on a bad one."""
    parts = [text] if isinstance(text, str) else list(text)
    found: list[str] = []
    for part in parts:
        for chunk in re.split(r"[,;]", part):
            chunk = chunk.strip()
            if not chunk:
                continue
            address = parseaddr(chunk)[1]
            if not is_address(address):
                raise SettingsError(f"not an email address: {chunk!r}")
            if address.casefold() not in {a.casefold() for a in found}:
                found.append(address)
    return found


def is_address(text: str) -> bool:
    """A plausible ``local@domain`` address (no display name, no spaces)."""
    return bool(re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", text or ""))


def _one_line(text: object) -> str:
    """User text for a header or a line: whitespace (incl. newlines) collapsed."""
    return " ".join(str(text).split())


# --- content: follow-ups and key figures -----------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """One customer to contact, for the message body."""

    customer_id: str
    name: str
    owner: str | None
    due: dt.date
    overdue_days: int
    urgency: str | None
    grade: str | None


def followups_due(
    customers: pd.DataFrame,
    *,
    as_of: dt.date | pd.Timestamp,
    days: int = FOLLOWUP_DAYS,
    owner: str | None = None,
) -> list[FollowUp]:
    """Customers whose next follow-up falls before ``as_of + days`` (overdue included).

    Parameters
    ----------
    customers
        ``Analysis.customers`` (needs ``customer_id`` and ``next_followup``;
        ``name``, ``owner``, ``overdue_days``, ``urgency``, ``grade`` are used
        when present).
    as_of
        The analysis date; "this week" is ``as_of`` and the six days after it.
    owner
        Only this owner's customers (compared case-insensitively).
    """
    if customers.empty or "next_followup" not in customers.columns:
        return []
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=days)
    frame = customers[pd.to_datetime(customers["next_followup"]) < end]
    if owner is not None and "owner" in frame.columns:
        frame = frame[frame["owner"].astype("string").str.strip().str.casefold() == _key(owner)]
    frame = frame.assign(_name=frame.get("name", frame["customer_id"]))
    frame = frame.sort_values(["next_followup", "customer_id"], kind="stable")

    def value(row: Mapping[Any, Any], column: str) -> Any:
        got = row.get(column)
        return None if got is None or pd.isna(got) else got

    result = []
    for row in frame.to_dict("records"):
        name = value(row, "_name") or row["customer_id"]
        result.append(
            FollowUp(
                customer_id=str(row["customer_id"]),
                name=str(name),
                owner=None if value(row, "owner") is None else str(row["owner"]),
                due=pd.Timestamp(row["next_followup"]).date(),
                overdue_days=int(value(row, "overdue_days") or 0),
                urgency=value(row, "urgency"),
                grade=value(row, "grade"),
            )
        )
    return result


def _key(owner: object) -> str:
    return " ".join(str(owner).split()).casefold()


FIGURE_LABELS: Final[dict[str, dict[str, str]]] = {
    "customers": {"en": "Customers", "zh": "客户数"},
    "purchasing": {"en": "Customers who bought", "zh": "有购买的客户"},
    "purchasing_customers": {"en": "Customers who bought", "zh": "有购买的客户"},
    "orders": {"en": "Orders", "zh": "订单数"},
    "revenue": {"en": "Revenue", "zh": "销售额"},
    "average_order_value": {"en": "Average order value", "zh": "平均订单金额"},
    "top_share": {
        "en": "Revenue share of the top {top} of buyers",
        "zh": "前 {top} 买家的销售额占比",
    },
    "needs_followup": {"en": "Follow-ups due now (incl. overdue)", "zh": "需立即跟进（含逾期）"},
    "customers_for_80": {"en": "Customers making 80 % of revenue", "zh": "贡献 80% 销售额的客户数"},
    "churn_warnings": {"en": "Churn warnings", "zh": "流失预警"},
    "churn_warning": {"en": "Churn warnings", "zh": "流失预警"},
    "overdue": {"en": "Overdue follow-ups", "zh": "逾期跟进"},
    "overdue_followups": {"en": "Overdue follow-ups", "zh": "逾期跟进"},
    "due_today": {"en": "Follow-ups due today", "zh": "今日待跟进"},
    "due_this_week": {"en": "Follow-ups due this week", "zh": "本周待跟进"},
    "sleeping": {"en": "Sleeping customers", "zh": "沉睡客户"},
    "lost": {"en": "Lost customers", "zh": "流失客户"},
    "new": {"en": "New customers", "zh": "新客户"},
    "as_of": {"en": "As of", "zh": "数据日期"},
    "owner": {"en": "Owner", "zh": "负责人"},
}
_NOT_FIGURES: Final = frozenset({"as_of", "owner", "lang", "company", "top_fraction"})
_MONEY_WORDS: Final = ("revenue", "monetary", "amount", "value", "sales")
_SHARE_WORDS: Final = ("share", "pct", "percent", "rate", "ratio")

TEXT: Final[dict[str, dict[str, str]]] = {
    "subject": {"en": "{company}customer brief, {date}", "zh": "{company}客户策略简报 {date}"},
    "subject_owner": {
        "en": "{company}customer brief for {owner}, {date}",
        "zh": "{company}客户策略简报（{owner}）{date}",
    },
    "greeting": {"en": "Hello {owner},", "zh": "{owner}，您好："},
    "greeting_all": {"en": "Hello,", "zh": "您好："},
    "intro": {
        "en": "Attached is the customer strategy brief as of {date}.",
        "zh": "附件是截至 {date} 的客户策略简报。",
    },
    "intro_owner": {
        "en": "Attached is the customer strategy brief as of {date} for your customers.",
        "zh": "附件是截至 {date} 您负责客户的策略简报。",
    },
    "figures": {"en": "Key figures", "zh": "关键指标"},
    "followups": {
        "en": "Follow-ups due this week (up to {end}): {n}",
        "zh": "本周待跟进（至 {end}）：{n} 位",
    },
    "none_due": {"en": "No follow-ups due this week.", "zh": "本周没有待跟进的客户。"},
    "overdue": {"en": "overdue {n} d", "zh": "逾期 {n} 天"},
    "more": {
        "en": "… and {n} more in the attached PDF.",
        "zh": "……另有 {n} 位，见附件 PDF。",
    },
    "col_due": {"en": "Due", "zh": "日期"},
    "col_customer": {"en": "Customer", "zh": "客户"},
    "col_owner": {"en": "Owner", "zh": "负责人"},
    "col_status": {"en": "Status", "zh": "状态"},
    "grade": {"en": "grade {grade}", "zh": "{grade} 类"},
    "sign": {"en": "Sent by xlcrm.", "zh": "由 xlcrm 发送。"},
}


def _t(key: str, lang: str, **values: object) -> str:
    return TEXT[key][lang].format(**values)


def figure_label(key: str, lang: str) -> str:
    """Label of a summary key; codes known to :mod:`xlcrm.core.schema` use its labels."""
    if key in FIGURE_LABELS:
        return FIGURE_LABELS[key][lang]
    if key in schema.LABELS:
        return schema.label(key, lang)
    if key in schema.TIER_LABELS:
        return schema.tier_label(key, lang)
    return key.replace("_", " ").capitalize()


def format_figure(key: str, value: object, *, lang: str = "en", currency: str = "") -> str:
    """One summary value as text: thousands separators, shares as percent."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, int | float) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value  # numpy scalars
        lowered = key.casefold()
        if isinstance(number, float) and any(w in lowered for w in _SHARE_WORDS):
            return f"{number:.1%}" if abs(number) <= 1 else f"{number:.1f} %"
        if isinstance(number, float) and any(w in lowered for w in _MONEY_WORDS):
            text = f"{number:,.2f}"
            return f"{currency} {text}" if currency else text
        if isinstance(number, float) and not number.is_integer():
            return f"{number:,.2f}"
        if isinstance(number, int | float):
            return f"{int(number):,}"
    if isinstance(value, Mapping):
        return ", ".join(
            f"{figure_label(str(k), lang)} {format_figure(str(k), v, lang=lang)}"
            for k, v in value.items()
        )
    return _one_line(value)


def key_figures(
    summary: Mapping[str, object], *, lang: str = "en", currency: str = ""
) -> list[tuple[str, str]]:
    """``(label, text)`` pairs for the body, in the summary's order.

    Values that are frames, lists or ``None`` are left out (they belong in the
    PDF), as are ``as_of`` and ``owner`` (the mail says them elsewhere).
    """
    rows = []
    fraction = summary.get("top_fraction")
    top = f"{fraction:.0%}" if isinstance(fraction, int | float) else "20%"
    for key, value in summary.items():
        if key in _NOT_FIGURES or value is None:
            continue
        if isinstance(value, Mapping | pd.DataFrame | pd.Series | list | tuple | set):
            continue  # counts per class, tier … belong in the PDF
        if key == "top_share":
            label = FIGURE_LABELS[key][lang].format(top=top)
            rows.append((label, format_figure(key, value, lang=lang)))
            continue
        rows.append(
            (
                figure_label(str(key), lang),
                format_figure(str(key), value, lang=lang, currency=currency),
            )
        )
    return rows


# --- messages ------------------------------------------------------------------


def brief_filename(as_of: dt.date | pd.Timestamp, owner: str | None = None) -> str:
    """``xlcrm-brief-2024-06-30[-owner].pdf``; unsafe filename characters removed."""
    stem = f"xlcrm-brief-{pd.Timestamp(as_of):%Y-%m-%d}"
    if owner:
        slug = re.sub(r"[\\/:*?\"<>|\x00-\x1f=+@'\s]+", "-", owner).strip("-.")
        if slug:
            stem = f"{stem}-{slug[:40]}"
    return f"{stem}.pdf"


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
    message_id
        Set it for a stable id (resending the same batch reuses it).
    date
        ``Date`` header; left out when ``None`` (the server or client adds it).

    Returns
    -------
    EmailMessage
        ``multipart/mixed``: ``multipart/alternative`` (text, HTML) + PDF.
    """
    if lang not in schema.LANGS:
        raise SettingsError(f"language must be 'en' or 'zh', not {lang!r}", column="language")
    recipients = parse_addresses(to)
    if not recipients:
        raise SettingsError("no recipient address given", hint="pass --to ADDR")
    date_text = f"{pd.Timestamp(as_of):%Y-%m-%d}"
    owner_text = _one_line(owner) if owner else None
    company_text = _one_line(company) if company else ""
    prefix = f"{company_text} " if company_text and lang == "en" else company_text
    if owner_text:
        subject = _t("subject_owner", lang, company=prefix, owner=owner_text, date=date_text)
    else:
        subject = _t("subject", lang, company=prefix, date=date_text)
    subject = subject[:1].upper() + subject[1:]

    msg = EmailMessage()
    msg["Subject"] = subject
    if sender:
        msg["From"] = _format_address(sender)
    msg["To"] = ", ".join(_format_address(a) for a in _display_recipients(to, recipients))
    if date is not None:
        msg["Date"] = format_datetime(date)
    if message_id:
        msg["Message-ID"] = message_id
    msg["X-Mailer"] = "xlcrm"

    figures = key_figures(summary, lang=lang, currency=currency)
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=FOLLOWUP_DAYS - 1)
    context = _BodyContext(
        lang=lang,
        owner=owner_text,
        date=date_text,
        end=f"{end:%Y-%m-%d}",
        figures=figures,
        followups=list(followups),
    )
    msg.set_content(_plain_body(context))
    msg.add_alternative(_html_body(context), subtype="html")
    msg.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=filename or brief_filename(as_of, owner_text),
    )
    return msg


def _display_recipients(given: Sequence[str] | str, addresses: list[str]) -> list[str]:
    """Keep display names the caller gave (``Ann <a@x>``) for the To header."""
    parts = [given] if isinstance(given, str) else list(given)
    named = {addr.casefold(): (name, addr) for name, addr in getaddresses(parts) if addr}
    out = []
    for address in addresses:
        name, _ = named.get(address.casefold(), ("", address))
        out.append(formataddr((_one_line(name), address)) if name else address)
    return out


def _format_address(text: str) -> str:
    name, address = parseaddr(text)
    if not is_address(address):
        raise SettingsError(f"not an email address: {text!r}")
    if not name:
        return address
    try:
        return str(Address(display_name=_one_line(name), addr_spec=address))
    except (ValueError, IndexError):
        return address


@dataclass(frozen=True)
class _BodyContext:
    lang: str
    owner: str | None
    date: str
    end: str
    figures: list[tuple[str, str]]
    followups: list[FollowUp]


def _status(item: FollowUp, lang: str) -> str:
    parts = []
    if item.overdue_days > 0:
        parts.append(_t("overdue", lang, n=item.overdue_days))
    if item.urgency and item.urgency in schema.LABELS:
        parts.append(schema.label(item.urgency, lang))
    if item.grade:
        parts.append(_t("grade", lang, grade=_one_line(item.grade)))
    return ", ".join(parts)


def _plain_body(c: _BodyContext) -> str:
    lang = c.lang
    lines = [_t("greeting", lang, owner=c.owner) if c.owner else _t("greeting_all", lang), ""]
    lines.append(_t("intro_owner" if c.owner else "intro", lang, date=c.date))
    if c.figures:
        lines += ["", _t("figures", lang)]
        width = max(len(label) for label, _ in c.figures)
        lines += [f"  {label.ljust(width)}  {text}" for label, text in c.figures]
    lines.append("")
    if c.followups:
        lines.append(_t("followups", lang, end=c.end, n=len(c.followups)))
        for item in c.followups[:MAX_FOLLOWUPS_IN_BODY]:
            who = f"{_one_line(item.name)} ({_one_line(item.customer_id)})"
            extra = [_status(item, lang)]
            if not c.owner and item.owner:
                extra.append(_one_line(item.owner))
            lines.append(f"  {item.due:%Y-%m-%d}  {who}  " + " · ".join(e for e in extra if e))
        if len(c.followups) > MAX_FOLLOWUPS_IN_BODY:
            lines.append("  " + _t("more", lang, n=len(c.followups) - MAX_FOLLOWUPS_IN_BODY))
    else:
        lines.append(_t("none_due", lang))
    lines += ["", "-- ", _t("sign", lang), ""]
    return "\n".join(line.rstrip() for line in lines)


def _html_body(c: _BodyContext) -> str:
    lang = c.lang
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"></head>',
        "<body style=\"font-family: Arial, 'Microsoft YaHei', sans-serif; font-size: 14px;\">",
        f"<p>{e(_t('greeting', lang, owner=c.owner) if c.owner else _t('greeting_all', lang))}</p>",
        f"<p>{e(_t('intro_owner' if c.owner else 'intro', lang, date=c.date))}</p>",
    ]
    if c.figures:
        out.append(f"<h3>{e(_t('figures', lang))}</h3>")
        out.append('<table cellpadding="4" style="border-collapse: collapse;">')
        for label, text in c.figures:
            out.append(
                f'<tr><td>{e(label)}</td><td style="text-align: right;"><b>{e(text)}</b></td></tr>'
            )
        out.append("</table>")
    if c.followups:
        out.append(f"<h3>{e(_t('followups', lang, end=c.end, n=len(c.followups)))}</h3>")
        out.append('<table cellpadding="4" style="border-collapse: collapse;">')
        heads = [_t("col_due", lang), _t("col_customer", lang)]
        if not c.owner:
            heads.append(_t("col_owner", lang))
        heads.append(_t("col_status", lang))
        out.append(
            "<tr>" + "".join(f'<th style="text-align: left;">{e(h)}</th>' for h in heads) + "</tr>"
        )
        for item in c.followups[:MAX_FOLLOWUPS_IN_BODY]:
            cells = [
                f"{item.due:%Y-%m-%d}",
                f"{_one_line(item.name)} ({_one_line(item.customer_id)})",
            ]
            if not c.owner:
                cells.append(_one_line(item.owner) if item.owner else "")
            cells.append(_status(item, lang))
            out.append("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in cells) + "</tr>")
        out.append("</table>")
        if len(c.followups) > MAX_FOLLOWUPS_IN_BODY:
            more = _t("more", lang, n=len(c.followups) - MAX_FOLLOWUPS_IN_BODY)
            out.append(f"<p>{e(more)}</p>")
    else:
        out.append(f"<p>{e(_t('none_due', lang))}</p>")
    out.append(f'<p style="color: #666;">{e(_t("sign", lang))}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


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


def envelope_recipients(msg: EmailMessage) -> list[str]:
    """Bare addresses from To, Cc and Bcc, in order, without duplicates."""
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    seen: list[str] = []
    for _, address in getaddresses(values):
        if address and address.casefold() not in {s.casefold() for s in seen}:
            seen.append(address)
    return seen


# --- drafts --------------------------------------------------------------------


def write_eml(messages: Sequence[EmailMessage], directory: str | os.PathLike[str]) -> list[Path]:
    """Write each message as an unsent draft ``.eml`` into ``directory``.

    ``X-Unsent: 1`` makes Outlook open the file as a message to send;
    Thunderbird opens it too ("Edit as new"). Files are named after the PDF
    attachment; existing files of the same name are replaced atomically.
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder: {exc.strerror}", file=str(folder)) from None
    paths: list[Path] = []
    used: set[str] = set()
    for index, msg in enumerate(messages, start=1):
        draft = _copy(msg)
        del draft["X-Unsent"]
        draft["X-Unsent"] = "1"
        stem = _draft_stem(draft, index)
        name = stem
        counter = 2
        while name.casefold() in used:
            name = f"{stem}-{counter}"
            counter += 1
        used.add(name.casefold())
        path = folder / f"{name}.eml"
        _write_atomic(path, draft.as_bytes(policy=SMTP_POLICY))
        paths.append(path)
    return paths


def _copy(msg: EmailMessage) -> EmailMessage:
    from email import message_from_bytes
    from email.policy import default

    copy = message_from_bytes(msg.as_bytes(policy=SMTP_POLICY), policy=default)
    assert isinstance(copy, EmailMessage)
    return copy


def _draft_stem(msg: EmailMessage, index: int) -> str:
    for part in msg.iter_attachments():
        filename = part.get_filename()
        if filename and filename.lower().endswith(".pdf"):
            return filename[:-4]
    return f"xlcrm-message-{index}"


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        files.write_bytes(path, data)
    except files.WriteFailed as exc:
        raise OutputError(f"cannot write: {exc.reason}", file=str(path)) from None


# --- journal ---------------------------------------------------------------------


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where batch journals live: ``XLCRM_STATE_DIR``, else the user's state folder."""
    env = os.environ if env is None else env
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "xlcrm" / "state"
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "xlcrm"


def journal_path(batch_id: str, env: Mapping[str, str] | None = None) -> Path:
    """The journal file of one batch."""
    return state_dir(env) / "mail" / f"{batch_id}.json"


def _read_journal(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sent = data["sent"]
        if not isinstance(sent, dict):
            raise TypeError
        return {str(k): [str(a) for a in v] for k, v in sent.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            "the send journal cannot be read",
            file=str(path),
            hint="delete it to send the whole batch again",
        ) from None


def _write_journal(path: Path, batch_id: str, sent: Mapping[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "batch_id": batch_id,
        "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sent": sent,
    }
    _write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1).encode())


# --- sending ---------------------------------------------------------------------

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
    return f"{exc.smtp_code} {_one_line(text)}".strip()


_FAILURES: Final[dict[str, dict[str, str]]] = {
    "refused": {
        "en": "connection refused by {where} (is the SMTP server running and the port right?)",
        "zh": "{where} 拒绝连接（邮件服务器是否在运行、端口是否正确？）",
    },
    "timeout": {
        "en": "timed out after {seconds:g} s talking to {where}",
        "zh": "与 {where} 通信超时（{seconds:g} 秒）",
    },
    "unknown_host": {
        "en": "unknown SMTP server {host!r} ({reason})",
        "zh": "找不到邮件服务器 {host!r}（{reason}）",
    },
    "untrusted": {
        "en": "TLS certificate of {where} not trusted: {reason}",
        "zh": "{where} 的 TLS 证书不受信任：{reason}",
    },
    "tls": {
        "en": "TLS with {where} failed ({reason}); try {other} or another port",
        "zh": "与 {where} 的 TLS 连接失败（{reason}）；请改用 {other} 或其他端口",
    },
    "auth": {
        "en": "authentication failed for user {user!r} at {where}: {reply}",
        "zh": "用户 {user!r} 在 {where} 登录失败：{reply}",
    },
    "closed": {
        "en": "{where} closed the connection ({reason})",
        "zh": "{where} 断开了连接（{reason}）",
    },
    "server_refused": {"en": "{where} refused: {reply}", "zh": "{where} 拒绝：{reply}"},
    "cannot_talk": {
        "en": "cannot talk to {where}: {reason}",
        "zh": "无法与 {where} 通信：{reason}",
    },
    "no_auth": {
        "en": "{where} does not offer login (AUTH){hint}",
        "zh": "{where} 不提供登录（AUTH）{hint}",
    },
    "no_auth_hint": {
        "en": " before TLS; use --starttls or --ssl",
        "zh": "，需先建立 TLS；请使用 --starttls 或 --ssl",
    },
    "sender": {
        "en": "sender {sender} rejected by {where}: {reply}",
        "zh": "{where} 拒绝发件人 {sender}：{reply}",
    },
    "rejected": {
        "en": "{address} rejected by {where}: {reason}",
        "zh": "{where} 拒收 {address}：{reason}",
    },
}


def _failure(key: str, lang: str, **fields: object) -> str:
    texts = _FAILURES[key]
    return texts.get(lang, texts["en"]).format(**fields)


def _describe_connection_error(exc: BaseException, config: SmtpConfig, lang: str = "en") -> str:
    where = config.address
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        exc = exc.__context__  # smtplib wraps a read timeout as a disconnect
    if isinstance(exc, ConnectionRefusedError):
        return _failure("refused", lang, where=where)
    if isinstance(exc, TimeoutError | socket.timeout):
        return _failure("timeout", lang, where=where, seconds=config.timeout)
    if isinstance(exc, socket.gaierror):
        return _failure("unknown_host", lang, host=config.host, reason=exc.strerror)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _failure("untrusted", lang, where=where, reason=exc.verify_message)
    if isinstance(exc, ssl.SSLError):
        other = "--starttls" if config.security == "ssl" else "--ssl"
        return _failure("tls", lang, where=where, reason=exc.reason or exc, other=other)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _failure("auth", lang, user=config.user, where=where, reply=_reply(exc))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _failure("closed", lang, where=where, reason=exc or "-")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _failure("server_refused", lang, where=where, reply=_reply(exc))
    if isinstance(exc, smtplib.SMTPException | OSError):
        return _failure("cannot_talk", lang, where=where, reason=exc)
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
                    f"{config.address} does not offer STARTTLS; use --ssl (usually port 465) "
                    "or, only on a trusted network, --plain"
                )
            smtp.starttls(context=_tls_context(config))
            smtp.ehlo()
        if config.user:
            if not smtp.has_extn("auth"):
                hint = _failure("no_auth_hint", lang) if config.security == "plain" else ""
                raise _Fatal(_failure("no_auth", lang, where=config.address, hint=hint))
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
            journal = _read_journal(path)
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
            subject = _one_line(msg.get("Subject", ""))
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
                _failure(
                    "rejected", lang, address=address, where=smtp_config.address, reason=reason
                )
                for address, reason in refused.items()
            )
            errors.extend(message_errors)
            if accepted:
                earlier = journal.get(message_id, [])
                journal[message_id] = [*earlier, *(a for a in accepted if a not in earlier)]
                if path is not None:
                    _write_journal(path, batch_id, journal)
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
            _failure("sender", lang, sender=from_addr, where=config.address, reply=_reply(exc))
        ) from exc
    except smtplib.SMTPDataError as exc:
        reason = f"message refused: {_reply(exc)}"
        return dict.fromkeys(recipients, reason)
    except (smtplib.SMTPException, OSError) as exc:
        raise _Fatal(_describe_connection_error(exc, config, lang)) from exc
    return {address: f"{code} {_decode(text)}" for address, (code, text) in refused.items()}


def _decode(text: bytes | str) -> str:
    return _one_line(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)


# --- a batch of briefs from an analysis -------------------------------------------


@dataclass(frozen=True)
class Brief:
    """One planned message: who gets which brief (before any PDF is rendered)."""

    key: str
    """``"all"`` or ``"owner:<name>"``: stable within a batch (journal key)."""
    to: tuple[str, ...]
    owner: str | None
    customers: int


@dataclass(frozen=True)
class BriefPlan:
    """Who gets what, and what cannot be sent."""

    briefs: tuple[Brief, ...]
    problems: tuple[str, ...] = ()
    """One line per owner who has customers but no usable address (exit 2)."""
    notes: tuple[str, ...] = ()
    """Things worth knowing that are not errors (owners without customers …)."""


def owner_addresses(owners: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """``{owner key: (owner as written, email cell)}`` from the Owners table."""
    if owners is None or owners.empty or "owner" not in owners.columns:
        return {}
    emails = owners["email"] if "email" in owners.columns else pd.Series("", index=owners.index)
    table: dict[str, tuple[str, str]] = {}
    for name, email in zip(owners["owner"], emails, strict=True):
        if not _given(name):
            continue
        key = _key(name)
        text = str(email).strip() if _given(email) else ""
        if key not in table or (text and not table[key][1]):
            table[key] = (_one_line(name), text)
    return table


def plan_briefs(
    customers: pd.DataFrame,
    *,
    to: Sequence[str] = (),
    per_owner: bool = False,
    owners: pd.DataFrame | None = None,
) -> BriefPlan:
    """Decide the messages of a batch.

    Parameters
    ----------
    customers
        ``Analysis.customers`` (``owner`` column used with ``per_owner``).
    to
        Addresses that get the whole brief (all customers), in one message.
    per_owner
        Also one brief per sales owner with only their customers, to the
        address in the Owners table (``owner``, ``email``; several addresses
        in one cell separated by ``,`` or ``;``). Owners are matched ignoring
        case and surrounding spaces.
    owners
        The Owners table (``WorkbookData.owners``).

    Returns
    -------
    BriefPlan
        An owner with customers but no valid address gives a line in
        ``problems``; the other briefs are still planned.
    """
    recipients = parse_addresses(to)
    if not recipients and not per_owner:
        raise SettingsError(
            "no recipients",
            hint="pass --to ADDR, --per-owner, or set email_to on the Settings sheet",
        )
    briefs: list[Brief] = []
    problems: list[str] = []
    notes: list[str] = []
    if recipients:
        briefs.append(Brief("all", tuple(recipients), None, len(customers)))
    if per_owner:
        table = owner_addresses(owners)
        column = (
            customers["owner"]
            if "owner" in customers.columns
            else pd.Series(pd.NA, index=customers.index, dtype="string")
        )
        present = column.map(lambda v: _key(v) if _given(v) else None)
        counts = present.value_counts(dropna=True)
        spelled = {
            _key(v): _one_line(v) for v in reversed(list(column.dropna().astype(str))) if _given(v)
        }
        for key in sorted(counts.index, key=lambda k: spelled[k].casefold()):
            name = spelled[key]
            count = int(counts[key])
            what = f"owner {name!r} ({count} customer{'s' if count != 1 else ''})"
            cell = table.get(key, (name, ""))[1]
            if not cell:
                problems.append(
                    f"{what} has no email address in the Owners table on the Settings "
                    "sheet; no brief sent to them"
                )
                continue
            try:
                addresses = parse_addresses(cell)
            except SettingsError:
                addresses = []
            if not addresses:
                problems.append(f"{what}: {cell!r} is not an email address; no brief sent to them")
                continue
            briefs.append(Brief(f"owner:{key}", tuple(addresses), name, count))
        unowned = int(present.isna().sum())
        if unowned:
            notes.append(
                f"{unowned} customer{'s have' if unowned != 1 else ' has'} no owner and "
                f"{'are' if unowned != 1 else 'is'} in no per-owner brief"
            )
        idle = sorted(name for key, (name, _) in table.items() if key not in counts.index)
        if idle:
            notes.append("owners without customers get no brief: " + ", ".join(idle))
        if not counts.size:
            problems.append(
                "--per-owner: no customer has an owner (add an owner column to the Customers sheet)"
            )
        elif not table:
            notes.append(
                "the Settings sheet has no Owners table (columns owner and email) "
                "to take owner addresses from"
            )
    return BriefPlan(tuple(briefs), tuple(problems), tuple(notes))


@dataclass(frozen=True)
class Batch:
    """Messages ready to send or save, with the id their journal is kept under."""

    batch_id: str
    plan: BriefPlan
    messages: tuple[EmailMessage, ...]


def batch_id_for(*, content_digest: str, as_of: dt.date | pd.Timestamp, lang: str) -> str:
    """The batch a run belongs to: same data, as_of and language, same batch.

    Recipients are tracked one by one inside the batch's journal (per brief,
    per address), so adding an owner's address to the Owners table or another
    ``--to`` address keeps the batch: ``resume`` then sends just the new ones.
    """
    return make_batch_id(content_digest, f"{pd.Timestamp(as_of):%Y-%m-%d}", lang)


def content_digest(data: Any) -> str:
    """SHA-256 of what the brief is made from: orders, customers, activities, settings.

    ``data`` is a :class:`xlcrm.xlsx.reader.WorkbookData` (or anything with those
    attributes). The Owners table and SMTP rows are left out on purpose (see
    :func:`batch_id_for`); so are cell styles and other sheets.
    """
    digest = hashlib.sha256()
    for name in ("orders", "customers", "activities"):
        frame = getattr(data, name, None)
        digest.update(name.encode())
        if frame is None:
            continue
        digest.update(repr(list(frame.columns)).encode())
        try:
            hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
            digest.update(hashed.tobytes())
        except TypeError:  # unhashable cells: fall back to their text
            digest.update(frame.astype(str).to_csv(index=False).encode())
    digest.update(repr(getattr(data, "settings", None)).encode())
    return digest.hexdigest()


def prepare_batch(
    analysis: Any,
    plan: BriefPlan,
    *,
    digest: str,
    lang: str,
    sender: str | None = None,
    company: str | None = None,
    render_pdf: Callable[..., bytes] | None = None,
    summarize: Callable[..., Mapping[str, object]] | None = None,
) -> Batch:
    """Render one PDF per planned brief and build its message.

    Parameters
    ----------
    analysis
        From :func:`xlcrm.core.analysis.analyze`.
    plan
        From :func:`plan_briefs`.
    digest
        :func:`content_digest` of the workbook data (part of the batch id).
    render_pdf, summarize
        Default :func:`xlcrm.report.render_pdf` and
        :func:`xlcrm.core.analysis.summary`; tests may pass stand-ins.
    """
    if render_pdf is None:
        from xlcrm import report

        render_pdf = report.render_pdf
    if summarize is None:
        from xlcrm.core import analysis as core

        summarize = core.summary
    settings = analysis.settings
    company = company if company is not None else (settings.company or None)
    as_of = pd.Timestamp(analysis.as_of)
    batch_id = batch_id_for(content_digest=digest, as_of=as_of, lang=lang)
    messages = []
    for brief in plan.briefs:
        pdf = render_pdf(analysis, lang=lang, owner=brief.owner, company=company)
        messages.append(
            build_message(
                to=brief.to,
                as_of=as_of,
                summary=summarize(analysis, owner=brief.owner),
                followups=followups_due(analysis.customers, as_of=as_of, owner=brief.owner),
                pdf=pdf,
                lang=lang,
                sender=sender,
                owner=brief.owner,
                company=company,
                currency=getattr(settings, "currency", ""),
                message_id=make_message_id(batch_id, brief.key, sender),
            )
        )
    return Batch(batch_id, plan, tuple(messages))


def sheet_recipients(values: Mapping[str, object]) -> list[str]:
    """Addresses under ``email_to`` (or ``收件人``) on the Settings sheet."""
    found: list[str] = []
    for raw_key, value in values.items():
        if normalise_key(str(raw_key)) in RECIPIENT_KEYS and _given(value):
            found += parse_addresses(str(value))
    return found


def sent_before(
    batch_id: str, plan: BriefPlan, sender: str | None, path: str | os.PathLike[str]
) -> dict[str, list[str]]:
    """``{brief key: recipients already delivered}`` from a batch's journal."""
    journal = _read_journal(Path(path))
    return {
        brief.key: journal.get(make_message_id(batch_id, brief.key, sender), [])
        for brief in plan.briefs
    }
