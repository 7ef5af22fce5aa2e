"""The brief's sales funnel section: a funnel chart with the conversion between
stages for the team and each owner (or the one owner of a single-owner brief),
the stage table, win rates per owner and the deals that are stuck.

:func:`funnel_context` returns plain formatted values for ``_insights.html``,
or None when the workbook has no Deals sheet.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.funnel import Funnel
from xlcrm.core.owners import owner_key, owner_keys
from xlcrm.core.stages import phase_label
from xlcrm.locale import t, tn, tp
from xlcrm.report import charts
from xlcrm.report.format import DASH, fmt_int, fmt_money, fmt_pct, is_missing
from xlcrm.report.sections import more_text

__all__ = ["funnel_context"]

#: Owners drawn as a funnel of their own in the team brief; stuck deals listed.
OWNER_CHARTS: Final = 6
STUCK_ROWS: Final = 12
_PHASE_COLOURS: Final = {"pre_sale": charts.ACCENT_2, "in_sale": charts.ACCENT}


def _steps(funnel: Funnel, rows: pd.DataFrame, *, lang: str, money: str) -> list[charts.Step]:
    steps = []
    for stage, (_, r) in zip(funnel.stages, rows.iterrows(), strict=True):
        shown = fmt_int(r["reached"])
        if r["amount"]:
            shown += f" · {fmt_money(r['amount'], money)}"
        conversion = "" if is_missing(r["conversion"]) else fmt_pct(r["conversion"], 0)
        steps.append(
            charts.Step(
                stage.label(lang),
                float(r["reached"]),
                shown,
                conversion,
                _PHASE_COLOURS[stage.phase],
            )
        )
    return steps


def _chart(funnel: Funnel, rows: pd.DataFrame, title: str, *, lang: str, money: str) -> dict:
    legend = [charts.Series(phase_label(p, lang), c) for p, c in _PHASE_COLOURS.items()]
    svg = charts.conversion_funnel(
        _steps(funnel, rows, lang=lang, money=money), title=title, legend=legend, lang=lang
    )
    return {"title": title, "svg": svg}


def _days(value: Any) -> str:
    return DASH if is_missing(value) else fmt_int(value)


def _stage_rows(funnel: Funnel, rows: pd.DataFrame, *, lang: str, money: str) -> list[dict]:
    out = []
    for stage, (_, r) in zip(funnel.stages, rows.iterrows(), strict=True):
        out.append(
            {
                "stage": stage.label(lang),
                "phase": phase_label(stage.phase, lang),
                "reached": fmt_int(r["reached"]),
                "amount": fmt_money(r["amount"], money),
                "conversion": fmt_pct(r["conversion"], 0),
                "open": fmt_int(r["open"]),
                "lost": fmt_int(r["lost"]),
                "days": _days(r["median_days"]),
            }
        )
    return out


def _owner_rows(summary: pd.DataFrame, *, lang: str, money: str) -> list[dict]:
    out = []
    for _, r in summary.iterrows():
        out.append(
            {
                "owner": t("Team", lang) if is_missing(r["owner"]) else str(r["owner"]),
                "team": is_missing(r["owner"]),
                "deals": fmt_int(r["deals"]),
                "open": fmt_int(r["open"]),
                "won": fmt_int(r["won"]),
                "lost": fmt_int(r["lost"]),
                "win_rate": fmt_pct(r["win_rate"], 0),
                "won_amount": fmt_money(r["won_amount"], money),
                "stuck": fmt_int(r["stuck"]),
            }
        )
    return out


def funnel_context(
    analysis: Any, *, owner: str | None, names: dict[str, str], lang: str, money: str
) -> dict[str, Any] | None:
    """The funnel section for the team (``owner`` None) or one owner.

    ``names`` maps customer ids to the names shown.
    """
    insights = getattr(analysis, "insights", None)
    funnel = insights.funnel if insights is not None else None
    if funnel is None:
        return None
    table, summary, deals = funnel.stages_table, funnel.summary, funnel.deals
    if owner is not None:
        key = owner_key(owner)
        table = table[(owner_keys(table["owner"]) == key).fillna(False).to_numpy(dtype=bool)]
        summary = summary[(owner_keys(summary["owner"]) == key).fillna(False).to_numpy(dtype=bool)]
        deals = deals[(owner_keys(deals["owner"]) == key).fillna(False).to_numpy(dtype=bool)]
    else:
        table = table[table["owner"].isna()]
    rows = table.reset_index(drop=True)
    if rows.empty:
        rows = funnel.stages_table[funnel.stages_table["owner"].isna()].reset_index(drop=True)
        rows = rows.assign(reached=0, amount=0.0, conversion=np.nan, open=0, lost=0)
    scope = owner if owner is not None else t("Team", lang)
    charts_ = [_chart(funnel, rows, scope, lang=lang, money=money)]
    more = ""
    if owner is None:
        owners = funnel.summary[funnel.summary["owner"].notna()]
        owners = owners.sort_values(["deals", "owner"], ascending=[False, True])
        for name in owners["owner"].head(OWNER_CHARTS):
            mine = funnel.stages_table[funnel.stages_table["owner"] == name]
            charts_.append(
                _chart(funnel, mine.reset_index(drop=True), str(name), lang=lang, money=money)
            )
        if len(owners) > OWNER_CHARTS:
            more = tn(
                "… and {n} more owner (see the table)",
                "… and {n} more owners (see the table)",
                len(owners) - OWNER_CHARTS,
                lang,
            )
    team = summary.iloc[0] if len(summary) else None
    figures = []
    if team is not None:
        figures = [
            {"label": t("Deals", lang), "value": fmt_int(team["deals"]), "note": ""},
            {
                "label": t("Win rate", lang),
                "value": fmt_pct(team["win_rate"], 0),
                "note": t("won of the deals closed", lang),
            },
            {
                "label": t("Open deals", lang),
                "value": fmt_int(team["open"]),
                "note": fmt_money(team["open_amount"], money),
            },
            {
                "label": tn("Stuck over {n} day", "Stuck over {n} days", funnel.stuck_days, lang),
                "value": fmt_int(team["stuck"]),
                "note": "",
            },
        ]
    stuck = deals[deals["stuck"].to_numpy(dtype=bool)]
    stuck = stuck.iloc[
        np.lexsort((stuck["deal_id"].astype(str).to_numpy(), -stuck["amount"].fillna(0).to_numpy()))
    ]
    labels = {s.code: s.label(lang) for s in funnel.stages}
    stuck_rows = [
        {
            "deal": str(r["deal_id"]),
            "customer": names.get(r["customer_id"], str(r["customer_id"]))
            if not is_missing(r["customer_id"])
            else DASH,
            "owner": DASH if is_missing(r["owner"]) else str(r["owner"]),
            "stage": labels.get(r["stage"], str(r["stage"])),
            "days": _days(r["days_in_stage"]),
            "amount": fmt_money(r["amount"], money),
        }
        for _, r in stuck.head(STUCK_ROWS).iterrows()
    ]
    notes = []
    if not funnel.history:
        notes.append(
            t("Days per stage need a stage history sheet (one row per change of stage).", lang)
        )
    missing = int(team["no_amount"]) if team is not None else 0
    if missing:
        notes.append(
            tn(
                "{n} deal has no amount: counted, without money.",
                "{n} deals have no amount: counted, without money.",
                missing,
                lang,
            )
        )
    return {
        "title": t("Sales funnel", lang),
        "intro": t(
            "A deal counts at every stage up to the furthest it reached, skipped stages "
            "included; the arrow gives the share of deals that went on to the next stage. "
            "Pre-sale turns leads into opportunities, in-sale turns them into orders; "
            "after-sale shows in feedback and repeat purchases.",
            lang,
        ),
        "charts": charts_,
        "more_owners": more,
        "figures": figures,
        "stages": _stage_rows(funnel, rows, lang=lang, money=money),
        "owners": _owner_rows(funnel.summary, lang=lang, money=money) if owner is None else [],
        "stuck": stuck_rows,
        "stuck_more": more_text(len(stuck), STUCK_ROWS, lang),
        "notes": notes,
        "w": {
            "stage": t("Stage", lang),
            "phase": t("Phase", lang),
            "reached": t("Reached", lang),
            "amount": t("Amount", lang),
            "conversion": t("To next stage", lang),
            "open": tp("deal count", "Open", lang),
            "lost": t("Lost here", lang),
            "lost_deals": tp("deal count", "Lost", lang),
            "days": t("Median days", lang),
            "owner": t("Owner", lang),
            "deals": t("Deals", lang),
            "won": tp("deal count", "Won", lang),
            "win_rate": t("Win rate", lang),
            "won_amount": t("Won amount", lang),
            "stuck": t("Stuck", lang),
            "stuck_title": tn(
                "Deals stuck in their stage for more than {n} day",
                "Deals stuck in their stage for more than {n} days",
                funnel.stuck_days,
                lang,
            ),
            "deal": t("Deal", lang),
            "customer": t("Customer", lang),
            "in_stage": t("Days in stage", lang),
        },
    }
