"""The brief's section on prospects (tier "potential"): who is close to buying, and whose they are.

Prospects have no revenue, orders or days since a purchase, so the figures of
the other tiers would all be dashes. A prospect's grade says when a first
order is expected (A: within ``grade_a_days`` …), so this section counts the
prospects by grade (the expected close), splits them by owner, and lists the
most promising ones: best grade first, then the follow-up that falls due
first. Pure: plain values out, every text from the message catalogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import schema
from xlcrm.locale import t, tn
from xlcrm.report.format import DASH, fmt_date, fmt_int, fmt_name, is_missing
from xlcrm.report.sections import customer_name, more_text, owner_name

if TYPE_CHECKING:
    from xlcrm.core.settings import Settings

__all__ = ["PROSPECTS_LISTED", "grade_meanings", "prospect_section"]

#: Prospects listed in the section (the rest are counted).
PROSPECTS_LISTED: Final = 10
#: Owners listed in the split by owner (the rest are summed on one line).
OWNERS_LISTED: Final = 12


def grade_meanings(settings: Settings, lang: str) -> dict[str, str]:
    """What each grade says about the expected close, with the Settings' days."""
    return {
        "A": tn("closing within {n} day", "closing within {n} days", settings.grade_a_days, lang),
        "B": tn("closing within {n} day", "closing within {n} days", settings.grade_b_days, lang),
        "C": tn("closing within {n} day", "closing within {n} days", settings.grade_c_days, lang),
        "D": t("closing later, or the need is unclear", lang),
        "E": t("no need", lang),
    }


def prospect_section(
    frame: pd.DataFrame, settings: Settings, *, lang: str, team: bool
) -> dict[str, Any]:
    """Counts by grade, the split by owner (team briefs) and the first prospects to call.

    ``frame`` holds the customers of the brief; the prospects are those of tier
    ``potential``.
    """
    prospects = frame[frame["tier"].to_numpy() == "potential"]
    meanings = grade_meanings(settings, lang)
    grades = prospects["grade"].astype(object).where(prospects["grade"].notna(), None)
    counts = grades.value_counts()
    ungraded = int(grades.isna().sum())
    stats = [{"label": t("Prospects", lang), "value": fmt_int(len(prospects))}]
    for grade in schema.GRADES:
        stats.append(
            {
                "label": t("Grade {grade}: {meaning}", lang, grade=grade, meaning=meanings[grade]),
                "value": fmt_int(int(counts.get(grade, 0))),
            }
        )
    owners: list[dict[str, Any]] = []
    names = _owner_names(prospects["owner"])
    if team and len(prospects):
        table = pd.crosstab(names, grades.fillna("")).reindex(
            columns=[*schema.GRADES, ""], fill_value=0
        )
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        for name, row in table.head(OWNERS_LISTED).iterrows():
            owners.append(
                {
                    "owner": str(name),
                    "counts": [fmt_int(row[g]) if row[g] else "" for g in schema.GRADES],
                    "total": fmt_int(row.sum()),
                }
            )
    order = _promise_order(prospects)
    listed = prospects.iloc[order[:PROSPECTS_LISTED]]
    rows = [
        {
            "name": customer_name(rec),
            "id": str(rec["customer_id"]),
            "owner": owner_name(rec),
            "grade": DASH if is_missing(rec["grade"]) else str(rec["grade"]),
            "meaning": "" if is_missing(rec["grade"]) else meanings.get(str(rec["grade"]), ""),
            "last_contact": fmt_date(rec.get("last_contact")),
            "next_followup": fmt_date(rec.get("next_followup")),
        }
        for rec in listed.to_dict("records")
    ]
    note = (
        tn(
            "{n} prospect has no grade.", "{n} prospects have no grade.", ungraded, lang,
            n=fmt_int(ungraded),
        )
        if ungraded
        else ""
    )  # fmt: skip
    return {
        "stats": stats,
        "grades": [
            {"grade": g, "meaning": meanings[g], "count": fmt_int(int(counts.get(g, 0)))}
            for g in schema.GRADES
        ],
        "owners": owners,
        "owners_more": more_text(names.nunique(), len(owners), lang) if team else "",
        "rows": rows,
        "more": more_text(len(prospects), len(rows), lang),
        "note": note,
    }


def _owner_names(owners: pd.Series) -> pd.Series:
    """Owners as :func:`~xlcrm.report.sections.owner_name` shows them, for a whole column."""
    present = owners.notna()
    shown = owners.astype(object).where(present, DASH).astype(str)
    shown = shown.str.split().str.join(" ").where(present.to_numpy(), DASH)
    cut = {name: fmt_name(name) for name in pd.unique(shown)}  # long names cut, as elsewhere
    return shown.map(cut)


def _promise_order(prospects: pd.DataFrame) -> np.ndarray:
    """Row positions: best grade first (no grade last), then the earliest next follow-up."""
    rank = {g: i for i, g in enumerate(schema.GRADES)}
    grade = prospects["grade"].map(rank).to_numpy(dtype="float64", na_value=len(rank))
    due = pd.to_datetime(prospects["next_followup"], errors="coerce")
    days = due.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
    days[np.isnat(due.to_numpy(dtype="datetime64[ns]"))] = np.inf
    return np.lexsort((np.arange(len(prospects)), days, grade))
