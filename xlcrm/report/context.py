"""What the brief shows, as plain values: :func:`build_context`.

:func:`build_context` is pure: it turns an :class:`~xlcrm.core.analysis.Analysis`
into a dict of plain, already sorted and formatted values (strings, lists,
dicts, and chart SVG as :class:`~markupsafe.Markup`) in the reader's
language. The templates only loop and branch; their fixed words come from
the same message catalogue (Jinja2's i18n extension).

The parts live beside it: :mod:`~xlcrm.report.sections` (one section per
RFM class and lifecycle tier) and :mod:`~xlcrm.report.agenda` (follow-up
agenda, churn warnings). The brief's size follows the number of classes,
tiers, owners and the top-N lists, never the number of customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import analysis as core
from xlcrm.core import schema
from xlcrm.core.errors import SettingsError, XlcrmError
from xlcrm.core.insights import with_insights
from xlcrm.core.owners import owner_key, owner_keys, owner_spellings
from xlcrm.core.pareto import ParetoSummary, pareto_summary
from xlcrm.core.plan import CallPlan, build_plan
from xlcrm.locale import LANGS, N_, t, tn
from xlcrm.palette import CLASS_COLOURS, TIER_COLOURS
from xlcrm.report import charts
from xlcrm.report.agenda import Due, build_agenda, build_churn, build_pool
from xlcrm.report.format import (
    fmt_date,
    fmt_int,
    fmt_money,
    fmt_money_short,
    fmt_name,
    fmt_pct,
    is_missing,
)
from xlcrm.report.funnel import funnel_context
from xlcrm.report.loyalty import feedback_context, loyalty_context, referrals_context
from xlcrm.report.prospects import prospect_section
from xlcrm.report.sections import Stats, build_sections, cut_texts, group_stats, spend_order
from xlcrm.report.strategy import changes_context, relationship_context, tail_context
from xlcrm.report.value import value_context

if TYPE_CHECKING:
    from xlcrm.core.analysis import Analysis

__all__ = ["build_context", "check_lang"]

# the Dashboard's charts use the same colours
_CLASS_COLOURS: Final = CLASS_COLOURS
_TIER_COLOURS: Final = TIER_COLOURS


def check_lang(lang: str) -> None:
    """Raise :class:`~xlcrm.core.errors.SettingsError` for a language without a catalogue."""
    if lang not in LANGS:
        raise SettingsError(
            N_("language must be one of {langs}, not {lang!r}"),
            args={"langs": ", ".join(LANGS), "lang": lang},
        )


def _scope(customers: pd.DataFrame, owner: str | None) -> tuple[pd.DataFrame, str | None]:
    """Rows of ``owner`` (matched by :func:`~xlcrm.core.owners.owner_key`) or all rows.

    Returns the rows and the owner's name as first written on the Customers sheet.
    """
    if owner is None:
        return customers, None
    keys = owner_keys(customers["owner"])
    names = owner_spellings(customers["owner"])
    wanted = owner_key(owner)
    if wanted not in names:
        if not names:
            raise XlcrmError(
                N_("unknown owner {owner!r}: no customer has an owner"), args={"owner": owner}
            )
        found = ", ".join(sorted(names.values(), key=str.casefold))
        raise XlcrmError(
            N_("unknown owner {owner!r}; owners found: {owners}"),
            args={"owner": owner, "owners": found},
        )
    mask = (keys == wanted).fillna(False).to_numpy(dtype=bool)
    return customers.loc[mask], fmt_name(names[wanted])


def _figures(
    figures: Mapping[str, Any], *, urgent_days: int, top_share: float, money: str, lang: str
) -> list[dict[str, str]]:
    """The cover's key figures: label, value and an optional note."""
    for_80 = figures["customers_for_80"]
    return [
        {"label": t("Customers", lang), "value": fmt_int(figures["customers"]), "note": ""},
        {
            "label": t("Purchasing customers", lang),
            "value": fmt_int(figures["purchasing_customers"]),
            "note": "",
        },
        {
            "label": t("Revenue", lang),
            # Chinese readers count large sums in 万; the workbook keeps the exact figure
            "value": fmt_money_short(figures["revenue"], money, lang)
            if lang == "zh"
            else fmt_money(figures["revenue"], money),
            "note": "",
        },
        {
            "label": t("Revenue from the top {pct} of buyers", lang, pct=fmt_pct(top_share, 0)),
            "value": fmt_pct(figures["top_share"]),
            "note": tn(
                "{n} customer makes {share} of revenue",
                "{n} customers make {share} of revenue",
                int(for_80),
                lang,
                n=fmt_int(for_80),
                share=fmt_pct(0.8, 0),
            )
            if for_80
            else "",
        },
        {
            "label": tn(
                "Follow-ups due within {n} day", "Follow-ups due within {n} days", urgent_days, lang
            ),
            "value": fmt_int(figures["needs_followup"]),
            "note": "",
        },
        {
            "label": t("Churn warnings", lang),
            "value": fmt_int(figures["churn_warnings"]),
            "note": "",
        },
    ]


def _bars(
    stats: Mapping[str, Stats],
    codes: tuple[str, ...],
    colours: Mapping[str, str],
    *,
    lang: str,
    kind: str,
    money: str | None = None,
) -> list[charts.Bar]:
    """One bar per code: customer count, or revenue when ``money`` is given."""
    label = schema.tier_label if kind == "tier" else schema.label
    top = max((abs(float(stats[c]["revenue"])) for c in codes if c in stats), default=0.0)
    bars = []
    for code in codes:
        if kind == "class" and code not in stats:
            continue
        s = stats.get(code, {"count": 0.0, "revenue": 0.0})
        if money is None:
            value, shown = float(s["count"]), fmt_int(s["count"])
        else:  # one short unit for all bars: $15.4M, ¥1,540万
            value = max(float(s["revenue"]), 0.0)
            shown = fmt_money_short(s["revenue"], money, lang, top=top)
        bars.append(charts.Bar(label(code, lang), value, shown, colours[code]))
    return bars


def _charts(
    *,
    class_stats: Mapping[str, Stats],
    tier_stats: Mapping[str, Stats],
    due: Due,
    pareto: ParetoSummary,
    top_share: float,
    days: int,
    lang: str,
    money: str,
    team: bool = True,
) -> list[dict[str, Any]]:
    classes = tuple(schema.RFM_CLASSES)
    left = due.frame["days_until_due"].to_numpy()
    band = np.select([left < 0, left <= 7], [0, 1], default=2)
    table = np.bincount(due.owner * 3 + band, minlength=3 * len(due.names)).reshape(-1, 3)
    owner_rows = [
        (fmt_name(due.names[i]), [float(v) for v in table[i]], fmt_int(table[i].sum()))
        for i in due.shown
    ]
    series = [
        charts.Series(t("overdue", lang), charts.WARN),
        charts.Series(t("due in 0–7 days", lang), charts.AMBER),
        charts.Series(t("due in 8–{days} days", lang, days=days), charts.ACCENT_2),
    ]
    marker = None if is_missing(pareto.top_share) else (top_share, pareto.top_share)
    curve = pareto.curve
    points = list(
        zip(curve["customer_share"].tolist(), curve["revenue_share"].tolist(), strict=True)
    )
    sizes = t("Customers per RFM class", lang)
    revenue = t("Revenue per RFM class", lang)
    concentration = t("Revenue concentration (Pareto)", lang)
    funnel = t("Lifecycle tiers", lang)
    owners = tn(
        "Follow-ups due in the next {n} day, by owner",
        "Follow-ups due in the next {n} days, by owner",
        days,
        lang,
    )
    marker_label = t(
        "top {pct}: {share}", lang, pct=fmt_pct(top_share, 0), share=fmt_pct(pareto.top_share)
    )
    class_bars = _bars(class_stats, classes, _CLASS_COLOURS, lang=lang, kind="class")
    revenue_bars = _bars(class_stats, classes, _CLASS_COLOURS, lang=lang, kind="class", money=money)
    stages = _bars(tier_stats, tuple(schema.TIERS), _TIER_COLOURS, lang=lang, kind="tier")
    pareto_svg = charts.pareto_chart(
        points,
        title=concentration,
        x_label=t("share of buying customers", lang),
        y_label=t("share of revenue", lang),
        marker=marker,
        marker_label=marker_label,
        lang=lang,
    )
    out = [
        {
            "title": sizes,
            "svg": charts.bar_chart(class_bars, title=sizes, lang=lang),
            "wide": False,
        },
        {
            "title": revenue,
            "svg": charts.bar_chart(revenue_bars, title=revenue, lang=lang),
            "wide": False,
        },
        {"title": concentration, "svg": pareto_svg, "wide": False},
        {
            "title": funnel,
            "svg": charts.funnel_chart(stages, title=funnel, lang=lang),
            "wide": False,
        },
    ]
    if team and len(owner_rows) > 1:  # one owner's brief: a one-bar chart says nothing
        out.append(
            {
                "title": owners,
                "svg": charts.stacked_bar_chart(owner_rows, series, title=owners, lang=lang),
                "wide": True,
            }
        )
    return out


def _plan_figures(plan: CallPlan, pool: int, day: str, lang: str) -> list[dict[str, str]]:
    """Today's calls (and the backlog), and the customers to return to the pool."""
    today = int((plan.calls["date"] == plan.days[0]).sum()) if len(plan.days) else 0
    backlog = len(plan.backlog)
    return [
        {
            "label": t("Calls planned for {day}", lang, day=day),
            "value": fmt_int(today),
            "note": tn("{n} due but not planned", "{n} due but not planned", backlog, lang)
            if backlog
            else "",
        },
        {"label": t("Return to the pool (公海)", lang), "value": fmt_int(pool), "note": ""},
    ]


def build_context(
    analysis: Analysis,
    *,
    lang: str,
    owner: str | None = None,
    company: str | None = None,
    insights: bool = False,
) -> dict[str, Any]:
    """Everything the brief shows, as plain sorted and formatted values.

    Parameters
    ----------
    analysis
        The result of :func:`xlcrm.core.analysis.analyze`.
    lang
        ``"en"`` or ``"zh"``; any other raises :class:`~xlcrm.core.errors.SettingsError`.
    owner
        Only this sales owner's customers (matched by
        :func:`~xlcrm.core.owners.owner_key`). An unknown owner raises
        :class:`~xlcrm.core.errors.XlcrmError` listing the owners found.
    company
        Company name for the cover; default ``analysis.settings.company``.
    insights
        Add the sections of :mod:`xlcrm.core.insights` (keys ``funnel``,
        ``loyalty``, ``feedback``, ``referrals``, ``relationship``, ``tail``,
        ``changes``, each None when there is nothing to show).
        :func:`xlcrm.report.render_pdf` turns them on.

    Returns
    -------
    dict
        Keys ``lang``, ``contents``, ``meta``, ``company``, ``team`` (False
        for one owner's brief: no owner columns), ``brief``,
        ``as_of``, ``footer``, ``audience``, ``figures``, ``cuts``,
        ``charts``, ``class_sections``, ``tier_sections``, ``agenda``
        (:func:`xlcrm.report.agenda.build_agenda`), ``pool``,
        ``churn``, ``value`` (``None`` without the value model). Never mutates
        ``analysis``.
    """
    check_lang(lang)
    settings = analysis.settings
    money = settings.money.symbol
    company = company if company is not None else settings.company
    as_of = pd.Timestamp(analysis.as_of)
    frame, owner_name = _scope(analysis.customers, owner)
    pareto = pareto_summary(frame["monetary"], settings=settings)
    days = settings.agenda_days
    brief = t("Customer segment strategy brief", lang)
    title = f"{brief} · {company}" + (f" · {owner_name}" if owner_name else "")
    class_stats = group_stats(frame, "rfm_class")
    tier_stats = group_stats(frame, "tier")
    order = spend_order(frame)
    due = Due(frame, days, t("(no owner)", lang))
    class_sections = build_sections(
        frame,
        kind="class",
        codes=schema.RFM_CLASSES,
        stats=class_stats,
        order=order,
        total_revenue=pareto.revenue,
        analysis=analysis,
        lang=lang,
        money=money,
    )
    tier_sections = build_sections(
        frame,
        kind="tier",
        codes=schema.TIERS,
        stats=tier_stats,
        order=order,
        total_revenue=pareto.revenue,
        analysis=analysis,
        lang=lang,
        money=money,
    )
    plan = build_plan(with_insights(analysis).loc[frame.index], as_of=as_of, settings=settings)
    agenda = build_agenda(plan, lang=lang, currency=money)
    pool = {
        **build_pool(frame, as_of=as_of, lang=lang, settings=settings, currency=money),
        "title": t("Return to the pool (公海)", lang),
    }
    contents = [
        {"href": "#overview", "title": t("Overview", lang), "sub": False},
        {"href": "#classes", "title": t("RFM value classes", lang), "sub": False},
        *({"href": f"#{s['id']}", "title": s["title"], "sub": True} for s in class_sections),
        {"href": "#tiers", "title": t("Lifecycle tiers", lang), "sub": False},
        *({"href": f"#{s['id']}", "title": s["title"], "sub": True} for s in tier_sections),
        {"href": "#agenda", "title": agenda["title"], "sub": False},
        *([{"href": "#pool", "title": pool["title"], "sub": False}] if pool["count"] else []),
        {"href": "#churn", "title": t("Churn warnings", lang), "sub": False},
    ]
    team = owner_name is None
    for section in (*class_sections, *tier_sections):
        section["prospects"] = None
        # the list may go to the next page: its heading says whose it is
        section["top_title"] = t("Top customers: {name}", lang, name=section["title"])
    for section in tier_sections:
        if section["code"] == "potential":  # no purchases: counts by grade instead of dashes
            section["prospects"] = prospect_section(frame, settings, lang=lang, team=team)
            section["top"] = []
            section["top_more"] = ""
    extra = _insights(analysis, frame, owner_name, lang=lang, money=money) if insights else {}
    contents += [
        {"href": f"#{key}", "title": extra[key]["title"], "sub": False}
        for key in ("funnel", "loyalty", "relationship", "changes")
        if extra.get(key)
    ]
    value = value_context(analysis, frame, lang=lang, money=money)
    if value:
        contents += [
            {"href": "#value", "title": value["title"], "sub": False},
            {"href": "#value-model", "title": value["appendix_title"], "sub": False},
        ]
    return {
        "lang": lang,
        "contents": contents,
        "meta": {
            "title": title,
            "author": str(company),
            "created": as_of.strftime("%Y-%m-%d"),
            "description": brief,
        },
        "company": str(company),
        "team": team,
        "brief": brief,
        "as_of": fmt_date(as_of),  # one date style throughout: 2026-06-30
        "footer": t("as of {date}", lang, date=fmt_date(as_of)),
        "audience": owner_name if owner_name is not None else t("the whole sales team", lang),
        "figures": [
            *_figures(
                core.summary(analysis, owner=owner_name),
                urgent_days=settings.urgent_days,
                top_share=settings.pareto_top_share,
                money=money,
                lang=lang,
            ),
            *_plan_figures(plan, pool["count"], agenda["day"], lang),
        ],
        "cuts": cut_texts(analysis.thresholds, money, lang),
        "charts": _charts(
            class_stats=class_stats,
            tier_stats=tier_stats,
            due=due,
            pareto=pareto,
            top_share=settings.pareto_top_share,
            days=days,
            lang=lang,
            money=money,
            team=team,
        ),
        "class_sections": class_sections,
        "tier_sections": tier_sections,
        "agenda": agenda,
        "pool": pool,
        "churn": build_churn(frame, lang=lang, money=money, settings=settings),
        "value": value,
        **extra,
    }


def _insights(
    analysis: Analysis, frame: pd.DataFrame, owner: str | None, *, lang: str, money: str
) -> dict[str, Any]:
    """The sections of :mod:`xlcrm.core.insights` for the customers in ``frame``:
    ``funnel``, ``loyalty``, ``feedback``, ``referrals``, ``relationship``,
    ``tail`` and ``changes`` (each None when there is nothing to show)."""
    found = getattr(analysis, "insights", None)
    keys = ("funnel", "loyalty", "feedback", "referrals", "relationship", "tail", "changes")
    if found is None:
        return dict.fromkeys(keys)
    settings = analysis.settings
    scoped = with_insights(analysis).loc[frame.index]
    names = dict(
        zip(
            scoped["customer_id"].tolist(),
            scoped["name"].where(scoped["name"].notna(), scoped["customer_id"]).astype(str),
            strict=True,
        )
    )
    edges = (settings.urgent_days, settings.soon_days, settings.not_urgent_days)
    return {
        "funnel": funnel_context(analysis, owner=owner, names=names, lang=lang, money=money),
        "loyalty": loyalty_context(scoped, lang=lang, money=money),
        "feedback": feedback_context(found.feedback, scoped, edges=edges, lang=lang),
        "referrals": referrals_context(analysis, scoped, lang=lang, money=money),
        "relationship": relationship_context(analysis, lang=lang),
        "tail": tail_context(analysis, scoped, lang=lang, money=money),
        "changes": changes_context(found.changes, scoped, lang=lang),
    }
