"""The brief's lists of customers to act on: the follow-up agenda and the churn warnings.

Both are capped (:data:`AGENDA_ROWS`, :data:`CHURN_ROWS`) and say how many
were left out, so the brief's length never follows the number of customers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from xlcrm.core import lifecycle, playbook, schema
from xlcrm.core.owners import owner_keys, owner_spellings
from xlcrm.locale import t, tn
from xlcrm.report.format import DASH, fmt_date, fmt_int, fmt_money, fmt_name, is_missing
from xlcrm.report.sections import (
    code_label,
    customer_name,
    days_text,
    floats,
    more_text,
    owner_name,
    spend_order,
)

if TYPE_CHECKING:
    from xlcrm.core.settings import Settings

__all__ = ["AGENDA_OWNERS", "AGENDA_ROWS", "CHURN_ROWS", "Due", "build_agenda", "build_churn"]

#: Rows in the follow-up agenda over all owners (each owner gets a fair part).
AGENDA_ROWS: Final = 48
#: Owners shown in the agenda and the owner chart; the rest are summed up.
AGENDA_OWNERS: Final = 12
#: Rows in the churn-warning list.
CHURN_ROWS: Final = 25


class Due:
    """Customers due within the agenda window, with integer owner codes.

    Owners are told apart by :func:`~xlcrm.core.owners.owner_key`: two
    spellings of one name are one owner, shown as first written.
    """

    def __init__(self, frame: pd.DataFrame, days: int, no_owner: str) -> None:
        self.frame = frame.loc[frame["days_until_due"].to_numpy() <= days]
        codes, keys = pd.factorize(owner_keys(self.frame["owner"]))
        spelled = owner_spellings(self.frame["owner"])
        #: owner names by code; the last one stands for customers without an owner
        self.names = [spelled[str(k)] for k in keys] + [no_owner]
        self.owner = np.where(codes < 0, len(keys), codes)
        self.counts = np.bincount(self.owner, minlength=len(self.names))
        busiest = np.argsort(-self.counts, kind="stable")[:AGENDA_OWNERS]
        #: owners shown, busiest first (at most AGENDA_OWNERS, each with something due)
        self.shown = [int(i) for i in busiest if self.counts[i] > 0]


def _status(days_until_due: int, lang: str) -> str:
    if days_until_due < 0:
        return t("{n} d overdue", lang, n=fmt_int(-days_until_due))
    if days_until_due == 0:
        return t("today", lang)
    return t("in {n} d", lang, n=fmt_int(days_until_due))


def _action_texts(keys: pd.Series, lang: str) -> list[str]:
    """Recommended action per row (a handful of distinct keys, looked up once each)."""
    texts = {key: playbook.action_text(key, lang) for key in keys.dropna().unique()}
    return [DASH if is_missing(key) else texts[key] for key in keys]


def agenda_title(days: int, lang: str) -> str:
    return tn("Follow-up agenda: next {n} day", "Follow-up agenda: next {n} days", days, lang)


def _priority(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Within an urgency and grade: the higher expected value first when the value
    model gave one, else the nearer due date, then the bigger spender."""
    days = frame["days_until_due"].to_numpy(dtype="int64")
    rows = np.arange(len(frame))
    if "expected_value" in frame and frame["expected_value"].notna().any():
        return rows, days, -floats(frame["expected_value"], -np.inf)
    return rows, -floats(frame["monetary"], -np.inf), days


def _agenda_order(due: Due) -> np.ndarray:
    """Per owner: urgency, then grade (A first), then :func:`_priority`."""
    frame = due.frame
    urgency = pd.Categorical(frame["urgency"], categories=schema.URGENCIES).codes
    grade = pd.Categorical(frame["grade"], categories=schema.GRADES).codes
    return np.lexsort(
        (
            *_priority(frame),
            np.where(grade < 0, len(schema.GRADES), grade),
            np.where(urgency < 0, len(schema.URGENCIES), urgency),
            due.owner,
        )
    )


def build_agenda(due: Due, *, days: int, lang: str, as_of: pd.Timestamp) -> dict[str, Any]:
    """The follow-ups due in the next ``days`` days, grouped by owner and urgency."""
    frame = due.frame
    no_owner = len(due.names) - 1
    shown = sorted(due.shown, key=lambda i: (i == no_owner, due.names[i].casefold()))
    per_owner = max(8, AGENDA_ROWS // max(len(shown), 1))
    groups = []
    if len(frame):
        order = _agenda_order(due)
        ranked = due.owner[order]
        picks = {i: order[ranked == i][:per_owner] for i in shown}
        chosen = frame.iloc[np.concatenate([picks[i] for i in shown])] if shown else frame
        actions = iter(_action_texts(chosen["action_key"], lang))
        records = iter(chosen.to_dict("records"))
        for i in shown:
            urgencies: list[dict[str, Any]] = []
            for _ in range(len(picks[i])):
                rec, action = next(records), next(actions)
                code = str(rec["urgency"])
                if not urgencies or urgencies[-1]["code"] != code:
                    urgencies.append({"code": code, "label": schema.label(code, lang), "rows": []})
                segment = (
                    code_label(rec["rfm_class"], "class", lang)
                    if not is_missing(rec["rfm_class"])
                    else code_label(rec["tier"], "tier", lang)
                )
                urgencies[-1]["rows"].append(
                    {
                        "due": fmt_date(rec["next_followup"]),
                        "status": _status(int(rec["days_until_due"]), lang),
                        "overdue": bool(rec["days_until_due"] < 0),
                        "name": customer_name(rec),
                        "id": str(rec["customer_id"]),
                        "grade": str(rec["grade"]),
                        "segment": segment,
                        "last_contact": fmt_date(rec["last_contact"]),
                        "action": action,
                    }
                )
            total = int(due.counts[i])
            groups.append(
                {
                    "owner": fmt_name(due.names[i]),
                    "count": fmt_int(total),
                    "urgencies": urgencies,
                    "more": more_text(total, len(picks[i]), lang),
                }
            )
    hidden = [int(c) for i, c in enumerate(due.counts) if c > 0 and i not in shown]
    until = as_of + pd.Timedelta(days=days)
    if len(frame):
        intro = tn(
            "{n} follow-up is overdue or due by {date}; within each urgency, "
            "grade A (closest to closing) comes first.",
            "{n} follow-ups are overdue or due by {date}; within each urgency, "
            "grade A (closest to closing) comes first.",
            len(frame),
            lang,
            n=fmt_int(len(frame)),
            date=fmt_date(until),  # one date style in the brief: 2026-07-14
        )
    else:
        intro = tn(
            "No follow-ups are due in the next {n} day.",
            "No follow-ups are due in the next {n} days.",
            days,
            lang,
        )
    more_owners = ""
    if hidden:
        more_owners = t(
            "… and {followups} for {owners}",
            lang,
            followups=tn(
                "{n} more follow-up",
                "{n} more follow-ups",
                sum(hidden),
                lang,
                n=fmt_int(sum(hidden)),
            ),
            owners=tn("{n} other owner", "{n} other owners", len(hidden), lang),
        )
    return {
        "title": agenda_title(days, lang),
        "intro": intro,
        "groups": groups,
        "more_owners": more_owners,
    }


def _churn_texts(frame: pd.DataFrame, lang: str, settings: Settings) -> list[str]:
    words = lifecycle.describe_churn(frame, lang, settings=settings)
    return [DASH if is_missing(w) else str(w) for w in words]


def build_churn(
    frame: pd.DataFrame, *, lang: str, money: str, settings: Settings
) -> dict[str, Any]:
    """Customers with a churn warning, biggest spenders first, with the reason in words."""
    flagged = frame.loc[frame["churn_warning"].fillna(False).to_numpy(dtype=bool)]
    top = flagged.iloc[spend_order(flagged)[:CHURN_ROWS]]
    reasons = _churn_texts(top, lang, settings) if len(top) else []
    rows = []
    for rec, reason in zip(top.to_dict("records"), reasons, strict=True):
        rows.append(
            {
                "name": customer_name(rec),
                "id": str(rec["customer_id"]),
                "owner": owner_name(rec),
                "tier": code_label(rec["tier"], "tier", lang),
                "revenue": fmt_money(rec["monetary"], money),
                "last_purchase": fmt_date(rec["last_purchase"]),
                "recency": fmt_int(rec["recency_days"]),
                "median_gap": days_text(rec["median_gap_days"], lang),
                "reason": reason,
            }
        )
    if len(flagged):
        intro = tn(
            "{n} customer who is not yet sleeping or lost shows warning signs.",
            "{n} customers who are not yet sleeping or lost show warning signs, "
            "largest spenders first.",
            len(flagged),
            lang,
            n=fmt_int(len(flagged)),
        )
    else:
        intro = t("No customer shows a churn warning.", lang)
    return {"intro": intro, "rows": rows, "more": more_text(len(flagged), len(rows), lang)}
