"""The result sheets' parts for the funnel, loyalty, referrals, relationship levels,
the long tail and what changed (``Analysis.insights``).

Pure, like :mod:`xlcrm.xlsx.sheets`: :func:`extend_sheets` adds columns to the
RFM (relationship level, margin, long tail), Lifecycle (loyalty, referrals)
and Follow-ups (open complaint, open and stuck deals) sheets, and adds the
Funnel sheet (with a bar chart of the stages) and the Changes sheet. An
analysis without insights (one made elsewhere) leaves the sheets as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from xlcrm.core import loyalty, relationship, schema
from xlcrm.core.rfm import ids_in_text_order
from xlcrm.locale import t, tp
from xlcrm.xlsx.columns import COLUMN_KINDS, SHEET_NAMES, TABLE_NAMES, Column, header

__all__ = ["ChartSpec", "changes_sheet", "extend_sheets", "funnel_sheet"]


class ChartSpec(dict[str, Any]):
    """A bar chart over rows of a result sheet's table: ``title``, ``categories`` and
    ``values`` (column keys), ``first`` and ``last`` (table rows, 1 = first data row)."""


def _column(key: str, lang: str) -> Column:
    kind, width = COLUMN_KINDS[key]
    return Column(key, header(key, lang), kind, width)


def _yes_no(flags: Any, lang: str) -> pd.Series:
    words = {True: tp("churn warning", "Yes", lang), False: tp("churn warning", "No", lang)}
    return pd.Series(np.asarray(flags, dtype=object)).map(words)


def _words(codes: pd.Series, label: Any, lang: str) -> pd.Series:
    mapping = {c: label(str(c), lang) for c in codes.dropna().unique().tolist()}
    return codes.map(mapping)


def _add(sheet: Any, columns: dict[str, pd.Series], lang: str) -> Any:
    """``sheet`` with ``columns`` (aligned to its frame) after its own."""
    frame = sheet.frame.copy()
    for key, values in columns.items():
        frame[key] = values.to_numpy()
    return replace(
        sheet, columns=[*sheet.columns, *(_column(k, lang) for k in columns)], frame=frame
    )


def _rows_for(
    customers: pd.DataFrame, wanted: np.ndarray, ordered: bool | None = None
) -> pd.DataFrame:
    """The rows of ``customers`` (by ``customer_id``) for the ids ``wanted``, blank where
    there is none: ``set_index("customer_id").reindex(wanted)``. When the ids are text
    in increasing order (an analysis's customers), found by bisection: the index of ten
    million ids took 2.5 s to build for a few thousand rows."""
    ordered = ids_in_text_order(customers["customer_id"]) if ordered is None else ordered
    if not (ordered and pd.api.types.infer_dtype(wanted, skipna=False) == "string"):
        return customers.set_index("customer_id").reindex(wanted)
    ids = customers["customer_id"].to_numpy(dtype=object)
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    hit = ids[at] == wanted
    if hit.all():  # every row found (a sheet of the analysis's own customers): taken
        return customers.iloc[at].set_index("customer_id")
    return customers.iloc[np.unique(at[hit])].set_index("customer_id").reindex(wanted)


def extend_sheets(sheets: list[Any], analysis: Any, lang: str) -> list[Any]:
    """The result sheets with the insight columns, then the Funnel and Changes sheets."""
    found = getattr(analysis, "insights", None)
    if found is None:
        return sheets
    out = []
    ordered = ids_in_text_order(found.customers["customer_id"])
    for sheet in sheets:
        if sheet.key not in ("rfm", "lifecycle", "followups"):
            out.append(sheet)
            continue
        wanted = sheet.frame["customer_id"].to_numpy(dtype=object)
        rows = _rows_for(found.customers, wanted, ordered)
        if sheet.key == "rfm":
            columns = {
                "margin": rows["margin"],
                "relationship": _words(rows["relationship"], relationship.level_label, lang),
                "long_tail": _yes_no(rows["long_tail"], lang),
            }
        elif sheet.key == "lifecycle":
            words = loyalty.describe_loyalty(rows["loyalty_level"], rows["loyalty_missing"], lang)
            columns = {
                "loyalty": pd.Series(words),
                "satisfaction": rows["satisfaction"],
                "repurchase_level": _words(rows["repurchase_level"], loyalty.indicator_label, lang),
                "recommend_level": _words(rows["recommend_level"], loyalty.indicator_label, lang),
                "dissatisfied_loyal": _yes_no(rows["dissatisfied_loyal"], lang),
            }
            if found.referrals is not None:
                columns["referred_by"] = rows["referred_by"]
                columns["referrals"] = rows["referrals"]
                columns["referred_revenue"] = rows["referred_revenue"]
        else:
            columns = {}
            if found.feedback is not None:
                columns["open_complaint"] = _yes_no(rows["open_complaint"], lang)
            if found.funnel is not None:
                columns["open_deals"] = rows["open_deals"]
                columns["stuck_deal"] = _yes_no(rows["stuck_deal"], lang)
        out.append(_add(sheet, columns, lang) if columns else sheet)
    out.extend(s for s in (funnel_sheet(analysis, lang), changes_sheet(analysis, lang)) if s)
    return out


_FUNNEL_KEYS = (
    "owner",
    "stage",
    "phase",
    "reached",
    "amount",
    "conversion",
    "open",
    "lost",
    "median_days",
)


def funnel_sheet(analysis: Any, lang: str) -> Any | None:
    """Per stage, for the team (first) and each owner: deals reached, amount,
    conversion to the next stage, open, lost there, median days; a bar chart of
    the team's stages."""
    from xlcrm.core.stages import phase_label
    from xlcrm.xlsx.sheets import ResultSheet

    found = getattr(analysis, "insights", None)
    if found is None or found.funnel is None:
        return None
    funnel = found.funnel
    table = funnel.stages_table
    labels = {s.code: s.label(lang) for s in funnel.stages}
    phases = {s.code: phase_label(s.phase, lang) for s in funnel.stages}
    frame = pd.DataFrame(
        {
            "owner": table["owner"].astype(object).where(table["owner"].notna(), t("Team", lang)),
            "stage": table["stage"].map(labels),
            "phase": table["stage"].map(phases),
            "reached": table["reached"],
            "amount": table["amount"],
            "conversion": table["conversion"],
            "open": table["open"],
            "lost": table["lost"],
            "median_days": table["median_days"],
        }
    ).reset_index(drop=True)
    n = len(funnel.stages)
    sheet = ResultSheet(
        "funnel",
        SHEET_NAMES["funnel"][lang],
        TABLE_NAMES["funnel"],
        [_column(k, lang) for k in _FUNNEL_KEYS],
        frame,
        freeze="A2",
    )
    sheet.chart = ChartSpec(
        title=t("Sales funnel: deals that reached each stage", lang),
        categories="stage",
        values="reached",
        first=1,
        last=n,
    )
    return sheet


_CHANGE_KEYS = (
    "customer_id",
    "name",
    "owner",
    "class_before",
    "rfm_class",
    "tier_before",
    "tier",
    "new_warning",
    "became_lost",
)


def changes_sheet(analysis: Any, lang: str) -> Any | None:
    """Every customer whose RFM class or tier changed since the earlier day, with
    whether a churn warning is new and whether the customer became lost."""
    from xlcrm.xlsx.sheets import ResultSheet

    found = getattr(analysis, "insights", None)
    changes = found.changes if found is not None else None
    if changes is None:
        return None
    moved = changes.moved
    warned = set(changes.new_warnings["customer_id"])
    lost = set(changes.newly_lost["customer_id"])
    extra = changes.new_warnings[~changes.new_warnings["customer_id"].isin(moved["customer_id"])]
    everyone = pd.concat([moved, extra.reindex(columns=moved.columns)], ignore_index=True)
    none = t("(none)", lang)
    frame = pd.DataFrame(
        {
            "customer_id": everyone["customer_id"],
            "name": everyone["name"],
            "owner": everyone["owner"],
            "class_before": _words(everyone["class_before"], schema.label, lang).fillna(none),
            "rfm_class": _words(everyone["rfm_class"], schema.label, lang).fillna(none),
            "tier_before": _words(everyone["tier_before"], schema.tier_label, lang).fillna(none),
            "tier": _words(everyone["tier"], schema.tier_label, lang),
            "new_warning": _yes_no(everyone["customer_id"].isin(warned), lang),
            "became_lost": _yes_no(everyone["customer_id"].isin(lost), lang),
        }
    )
    extra_rows = frame["tier"].isna()
    if extra_rows.any():  # new warnings of customers whose class and tier stayed
        now = analysis.customers.set_index("customer_id")
        ids = frame.loc[extra_rows, "customer_id"].to_numpy(dtype=object)
        frame.loc[extra_rows, "rfm_class"] = (
            _words(now["rfm_class"].reindex(ids), schema.label, lang).fillna(none).to_numpy()
        )
        frame.loc[extra_rows, "class_before"] = frame.loc[extra_rows, "rfm_class"]
        tiers = _words(now["tier"].reindex(ids), schema.tier_label, lang).to_numpy()
        frame.loc[extra_rows, "tier"] = tiers
        frame.loc[extra_rows, "tier_before"] = tiers
    since = changes.since.date().isoformat()
    columns = [_column(k, lang) for k in _CHANGE_KEYS]
    for i, width in ((3, 26), (5, 20)):
        name = t("{header} (on {date})", lang, header=columns[i].header, date=since)
        columns[i] = Column(columns[i].key, name, "text", width)
    return ResultSheet(
        "changes",
        SHEET_NAMES["changes"][lang],
        TABLE_NAMES["changes"],
        columns,
        frame.reset_index(drop=True),
    )


def chart_keys(sheets: Sequence[Any]) -> list[str]:
    """Keys of the sheets that carry a chart."""
    return [s.key for s in sheets if getattr(s, "chart", None)]


def dashboard_parts(analysis: Any, lang: str) -> tuple[list[tuple[str, Any, str]], list[Any]]:
    """Key figures and small tables of the insights for the Dashboard: loyalty
    levels, open complaints, the long tail, the funnel, relationship levels per
    RFM class and, after ``--compare-as-of``, the moves between classes and tiers."""
    from xlcrm.xlsx.dashboard import Block

    found = getattr(analysis, "insights", None)
    if found is None:
        return [], []
    per = found.customers
    n = len(per)
    figures: list[tuple[str, Any, str]] = []
    levels = per["loyalty_level"].value_counts()
    for code in loyalty.LEVELS:
        figures.append((loyalty.level_label(code, lang), int(levels.get(code, 0)), "int"))
    figures.append(
        (header("dissatisfied_loyal", lang), int(per["dissatisfied_loyal"].sum()), "int")
    )
    if found.feedback is not None:
        figures.append((header("open_complaint", lang), int(per["open_complaint"].sum()), "int"))
    tail = found.long_tail
    figures.append((t("Long tail: share of buying customers", lang), tail.customer_share, "pct"))
    figures.append((t("Long tail: share of revenue", lang), tail.revenue_share, "pct"))
    if found.funnel is not None:
        team = found.funnel.summary.iloc[0]
        figures.append((t("Deals: win rate", lang), float(team["win_rate"]), "pct"))
        figures.append((t("Deals open", lang), int(team["open"]), "int"))
        figures.append((t("Deals stuck", lang), int(team["stuck"]), "int"))
    customers = tp("count", "Customers", lang)
    blocks = [
        Block(
            "loyalty",
            "xlcrm_dashboard_loyalty",
            [header("loyalty", lang), customers, t("Share of customers", lang)],
            ["text", "int", "pct"],
            [
                [
                    loyalty.level_label(code, lang),
                    int(levels.get(code, 0)),
                    int(levels.get(code, 0)) / n if n else 0.0,
                ]
                for code in loyalty.LEVELS
            ],
        )
    ]
    table = found.relationship
    blocks.append(
        Block(
            "relationship",
            "xlcrm_dashboard_relationship",
            [
                t("RFM class", lang),
                t("Share of customers", lang),
                t("Margin index", lang),
                header("relationship", lang),
            ],
            ["text", "pct", "float", "text"],
            [
                [
                    schema.label(r["rfm_class"], lang),
                    float(r["customer_share"]) if r["customers"] else 0.0,
                    float(r["margin_index"]) if r["customers"] else 0.0,
                    relationship.level_label(r["level"], lang) if r["level"] else "",
                ]
                for r in table.to_dict("records")
                if r["customers"]
            ],
        )
    )
    changes = found.changes
    if changes is not None:
        none = t("(none)", lang)
        for key, moves, label in (
            ("class_moves", changes.class_moves, schema.label),
            ("tier_moves", changes.tier_moves, schema.tier_label),
        ):
            names = [none if c == "none" else label(c, lang) for c in moves.columns]
            title = t("before \\ now ({date})", lang, date=changes.since.date().isoformat())
            blocks.append(
                Block(
                    key,
                    f"xlcrm_dashboard_{key}",
                    [title, *names],
                    ["text", *(["int"] * len(names))],
                    [
                        [name, *(int(v) for v in moves.loc[code].to_numpy())]
                        for name, code in zip(names, moves.index, strict=True)
                    ],
                )
            )
    return figures, blocks
