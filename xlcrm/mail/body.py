"""The words of a brief's email: key figures and this week's follow-ups, as text and HTML.

:func:`body_context` gathers what the body says, already formatted with the
brief's formatters (:mod:`xlcrm.report.format`) and in the reader's
language; :func:`plain_body` lays it out as text and :func:`html_body`
renders ``templates/mail.html`` (autoescaped: names from the workbook are
never markup).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from xlcrm.core import schema
from xlcrm.core.owners import owner_key, owner_keys
from xlcrm.core.plan import build_plan, describe_calls
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import N_, t, tn
from xlcrm.mail.addresses import one_line
from xlcrm.report.format import (
    DASH,
    fmt_date,
    fmt_int,
    fmt_money,
    fmt_money_short,
    fmt_number,
    fmt_pct,
)
from xlcrm.report.render import render_template

__all__ = [
    "MAX_FOLLOWUPS_IN_BODY",
    "FollowUp",
    "body_context",
    "followups_due",
    "html_body",
    "key_figures",
    "plain_body",
]

MAX_FOLLOWUPS_IN_BODY: Final = 15

# Summary keys with a fixed label (the brief's words); top_share and
# needs_followup carry numbers and are labelled in key_figures.
_LABELS: Final = {
    "customers": N_("Customers"),
    "purchasing_customers": N_("Purchasing customers"),
    "revenue": N_("Revenue"),
    "overdue": N_("Overdue follow-ups"),
    "churn_warnings": N_("Churn warnings"),
}
_NOT_FIGURES: Final = frozenset({"as_of", "owner", "lang", "company", "top_fraction"})
_MONEY_WORDS: Final = ("revenue", "monetary", "amount", "value", "sales")
_SHARE_WORDS: Final = ("share", "pct", "percent", "rate", "ratio")


# --- follow-ups ----------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """One planned call, for the message body.

    ``due`` is the day of the call in the plan, ``overdue_days`` counted to
    that day; ``why`` says why it is planned; ``today`` marks the calls of
    the first plan day.
    """

    customer_id: str
    name: str
    owner: str | None
    due: dt.date
    overdue_days: int
    urgency: str | None
    grade: str | None
    why: str = ""
    today: bool = False


def followups_due(
    customers: pd.DataFrame,
    *,
    as_of: dt.date | pd.Timestamp,
    owner: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    lang: str = "en",
) -> list[FollowUp]:
    """The calls of the daily call plan (:func:`xlcrm.core.plan.build_plan`): the first
    plan day's calls first, by priority, then the rest of the plan's days.

    Parameters
    ----------
    customers
        ``Analysis.customers``.
    as_of
        The analysis date; the plan starts on it, or on the next working day.
    owner
        Only this owner's calls (matched by :func:`~xlcrm.core.owners.owner_key`).
    settings
        The plan's settings (working days, calls a day, horizon).
    lang
        Language of ``why``.
    """
    if customers.empty or "next_followup" not in customers.columns:
        return []
    plan = build_plan(customers, as_of=as_of, settings=settings)
    calls = plan.calls
    if owner is not None:
        mine = owner_keys(calls["owner"]) == owner_key(owner)
        calls = calls[mine.fillna(False).to_numpy(dtype=bool)]
    why: list[str] = describe_calls(calls, lang)["why"].tolist() if len(calls) else []
    first = plan.days[0] if len(plan.days) else None

    def value(row: Mapping[Any, Any], column: str) -> Any:
        got = row.get(column)
        return None if got is None or pd.isna(got) else got

    result = []
    for row, reason in zip(calls.to_dict("records"), why, strict=True):  # capped by the plan
        result.append(
            FollowUp(
                customer_id=str(row["customer_id"]),
                name=str(value(row, "name") or row["customer_id"]),
                owner=None if value(row, "owner") is None else str(row["owner"]),
                due=pd.Timestamp(row["date"]).date(),
                overdue_days=int(value(row, "overdue_days") or 0),
                urgency=None,
                grade=value(row, "grade"),
                why=str(reason),
                today=pd.Timestamp(row["date"]) == first,
            )
        )
    return result


# --- key figures ----------------------------------------------------------------------


def _label(key: str, summary: Mapping[str, object], lang: str, urgent_days: int) -> str:
    if key == "top_share":
        fraction = summary.get("top_fraction", DEFAULT_SETTINGS.pareto_top_share)
        return t("Revenue from the top {pct} of buyers", lang, pct=fmt_pct(fraction, 0))
    if key == "needs_followup":
        return tn(
            "Follow-ups due within {n} day", "Follow-ups due within {n} days", urgent_days, lang
        )
    if key == "customers_for_80":
        return t("Customers making {share} of revenue", lang, share=fmt_pct(0.8, 0))
    if key in _LABELS:
        return t(_LABELS[key], lang)
    if key in schema.LABELS:
        return schema.label(key, lang)
    if key in schema.TIER_LABELS:
        return schema.tier_label(key, lang)
    return key


def _figure(key: str, value: object, *, lang: str, currency: str) -> str:
    """One summary value as text, with the brief's formatters."""
    if isinstance(value, bool):
        return t("yes", lang) if value else t("no", lang)
    if isinstance(value, dt.date | pd.Timestamp):
        return fmt_date(value)
    number = value.item() if hasattr(value, "item") else value  # numpy scalars
    if isinstance(number, int):
        return fmt_int(number)
    if isinstance(number, float):
        lowered = key.casefold()
        if any(w in lowered for w in _SHARE_WORDS):
            return fmt_pct(number)
        if any(w in lowered for w in _MONEY_WORDS):  # a sum: no cents; 万 for Chinese
            return (
                fmt_money_short(number, currency, lang)
                if lang == "zh"
                else fmt_money(number, currency)
            )
        return fmt_int(number) if number.is_integer() else fmt_number(number, 2)
    return DASH if value is None else one_line(value)


def key_figures(
    summary: Mapping[str, object],
    *,
    lang: str = "en",
    currency: str = "",
    urgent_days: int = DEFAULT_SETTINGS.urgent_days,
) -> list[tuple[str, str]]:
    """``(label, text)`` pairs for the body, in the summary's order.

    Values that are frames, lists or ``None`` are left out (they belong in the
    PDF), as are ``as_of`` and ``owner`` (the mail says them elsewhere).
    ``urgent_days`` is the window of ``needs_followup`` (the Settings sheet's).
    """
    rows = []
    for key, value in summary.items():
        if key in _NOT_FIGURES or value is None:
            continue
        if isinstance(value, Mapping | pd.DataFrame | pd.Series | list | tuple | set):
            continue  # counts per class, tier … belong in the PDF
        label = _label(str(key), summary, lang, urgent_days)
        rows.append((label, _figure(str(key), value, lang=lang, currency=currency)))
    return rows


# --- the body --------------------------------------------------------------------------


def _status(item: FollowUp, lang: str) -> str:
    parts = []
    if item.why:
        parts.append(one_line(item.why))
    elif item.overdue_days > 0:
        parts.append(t("overdue {n} d", lang, n=fmt_int(item.overdue_days)))
    if item.urgency and item.urgency in schema.LABELS:
        parts.append(schema.label(item.urgency, lang))
    if item.grade:
        parts.append(t("grade {grade}", lang, grade=one_line(item.grade)))
    return t(", ", lang).join(parts)


def body_context(
    *,
    lang: str,
    as_of: dt.date | pd.Timestamp,
    owner: str | None,
    figures: Sequence[tuple[str, str]],
    followups: Sequence[FollowUp],
) -> dict[str, Any]:
    """What the body says, formatted: greeting, figures, today's calls, the week's count.

    ``followups`` is the call plan (:func:`followups_due`): the calls marked
    ``today`` are listed (at most :data:`MAX_FOLLOWUPS_IN_BODY`), the later
    ones counted.
    """
    date = fmt_date(as_of)
    today = [f for f in followups if f.today]
    later = len(followups) - len(today)
    end = max((f.due for f in followups), default=pd.Timestamp(as_of).date())
    day = today[0].due if today else pd.Timestamp(as_of).date()
    shown = today[:MAX_FOLLOWUPS_IN_BODY]
    left = len(today) - len(shown)
    return {
        "lang": lang,
        "owner": owner,
        "greeting": t("Hello {owner},", lang, owner=owner) if owner else t("Hello,", lang),
        "intro": t(
            "Attached is the customer strategy brief as of {date} for your customers.",
            lang,
            date=date,
        )
        if owner
        else t("Attached is the customer strategy brief as of {date}.", lang, date=date),
        "figures": [{"label": label, "value": text} for label, text in figures],
        "followups_title": tn(
            "Calls planned for {day}: {n}",
            "Calls planned for {day}: {n}",
            len(today),
            lang,
            day=fmt_date(day),
        ),
        "week": tn(
            "Later this week: {n} more call planned, up to {end} (all on the Call plan sheet).",
            "Later this week: {n} more calls planned, up to {end} (all on the Call plan sheet).",
            later,
            lang,
            end=fmt_date(end),
        )
        if later
        else "",
        "rows": [
            {
                "due": fmt_date(item.due),
                "customer": f"{one_line(item.name)} ({one_line(item.customer_id)})",
                "owner": one_line(item.owner) if item.owner else "",
                "status": _status(item, lang),
            }
            for item in shown
        ],
        "more": t("… and {n} more in the attached PDF.", lang, n=fmt_int(left)) if left else "",
        "none_due": t("No calls planned this week.", lang),
        "sign": t("Sent by xlcrm.", lang),
        "figures_title": t("Key figures", lang),
    }


def _width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def plain_body(context: Mapping[str, Any]) -> str:
    """The body as plain text; user text kept literal."""
    lines = [context["greeting"], "", context["intro"]]
    figures = context["figures"]
    if figures:
        lines += ["", context["figures_title"]]
        width = max(_width(f["label"]) for f in figures)
        lines += [
            f"  {f['label']}{' ' * (width - _width(f['label']))}  {f['value']}" for f in figures
        ]
    lines.append("")
    if context["rows"]:
        lines.append(context["followups_title"])
        for row in context["rows"]:
            extra = [row["status"]] + ([row["owner"]] if not context["owner"] else [])
            lines.append(f"  {row['customer']}  " + " · ".join(e for e in extra if e))
        if context["more"]:
            lines.append("  " + context["more"])
    if context["week"]:
        lines.append(context["week"])
    if not context["rows"] and not context["week"]:
        lines.append(context["none_due"])
    lines += ["", "-- ", context["sign"], ""]
    return "\n".join(line.rstrip() for line in lines)


def html_body(context: Mapping[str, Any]) -> str:
    """The body as HTML (``templates/mail.html``); user text escaped."""
    return render_template("mail.html", context)
