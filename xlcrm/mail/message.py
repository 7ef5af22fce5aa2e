"""One email carrying the brief: plain text and HTML body, the PDF attached."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Final

import pandas as pd

from xlcrm.core import schema
from xlcrm.core.errors import SettingsError
from xlcrm.core.owners import owner_key, owner_keys
from xlcrm.mail.addresses import display_recipients, format_address, one_line, parse_addresses

FOLLOWUP_DAYS: Final = 7
MAX_FOLLOWUPS_IN_BODY: Final = 15

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
        Only this owner's customers (matched by :func:`~xlcrm.core.owners.owner_key`).
    """
    if customers.empty or "next_followup" not in customers.columns:
        return []
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=days)
    frame = customers[pd.to_datetime(customers["next_followup"]) < end]
    if owner is not None and "owner" in frame.columns:
        mine = owner_keys(frame["owner"]) == owner_key(owner)
        frame = frame[mine.fillna(False).to_numpy(dtype=bool)]
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
    return one_line(value)


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
    owner_text = one_line(owner) if owner else None
    company_text = one_line(company) if company else ""
    prefix = f"{company_text} " if company_text and lang == "en" else company_text
    if owner_text:
        subject = _t("subject_owner", lang, company=prefix, owner=owner_text, date=date_text)
    else:
        subject = _t("subject", lang, company=prefix, date=date_text)
    subject = subject[:1].upper() + subject[1:]

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
        parts.append(_t("grade", lang, grade=one_line(item.grade)))
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
            who = f"{one_line(item.name)} ({one_line(item.customer_id)})"
            extra = [_status(item, lang)]
            if not c.owner and item.owner:
                extra.append(one_line(item.owner))
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
                f"{one_line(item.name)} ({one_line(item.customer_id)})",
            ]
            if not c.owner:
                cells.append(one_line(item.owner) if item.owner else "")
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
