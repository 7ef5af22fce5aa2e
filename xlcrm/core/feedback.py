"""Customer feedback: open items by age, response times, satisfaction, open complaints.

The Feedback sheet has one row per item: ``date``, ``customer_id``, ``kind``
(complaint, suggestion, praise, return), ``status``, ``closed`` (the date it
was closed) and ``satisfaction`` (1-5 or the five words of
:data:`~xlcrm.core.loyalty.SATISFACTION_WORDS`).

Rules on ``as_of`` (also in ``docs/definitions.md``):

- Items dated after ``as_of`` do not exist yet.
- An item is closed when its status says so or, without a status, when it
  has a closed date; an item closed after ``as_of`` was still open then.
- Response time: days from the item's date to its closed date, for closed
  items. An item closed before it was opened keeps its status but is left
  out of response times (a Data quality row).
- Age of an open item: days from its date to ``as_of``, in the buckets up
  to ``urgent_days`` (7), ``soon_days`` (30), ``not_urgent_days`` (90) and
  later.
- Median and 90th percentile are Excel's MEDIAN and PERCENTILE.INC (linear
  between the two nearest values).
- A customer has an open complaint when an item of kind complaint is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.issues import concat_issues, empty_issues, issue_rows, source_rows
from xlcrm.core.loyalty import satisfaction_scores
from xlcrm.core.rfm import (
    NO_DAY,
    customer_ids,
    day_number,
    loose_days,
    optional_column,
    to_timestamp,
)
from xlcrm.core.schema import (
    FEEDBACK_COLUMNS,
    FEEDBACK_KIND_WORDS,
    FEEDBACK_STATUS_WORDS,
    header_key,
)
from xlcrm.locale import tp

__all__ = [
    "AGE_BUCKETS",
    "FEEDBACK_COLUMNS",
    "KINDS",
    "Feedback",
    "age_label",
    "kind_label",
    "latest_satisfaction",
    "open_complaints",
    "read_feedback",
    "satisfaction_by",
]

#: Kinds of feedback; ``other`` for anything else.
KINDS: Final = ("complaint", "suggestion", "praise", "return", "other")
#: Age buckets of open items.
AGE_BUCKETS: Final = ("week", "month", "quarter", "older")

_KIND_KEYS: Final = {header_key(w): k for k, words in FEEDBACK_KIND_WORDS.items() for w in words}
_STATUS_KEYS: Final = {
    header_key(w): k for k, words in FEEDBACK_STATUS_WORDS.items() for w in words
}
_NONE: Final = NO_DAY


@dataclass(frozen=True)
class Feedback:
    """Feedback items on ``as_of`` (:func:`read_feedback`).

    ``items`` has one row per item: ``customer_id``, ``date``, ``kind`` (one
    of :data:`KINDS`), ``is_open`` (on ``as_of``), ``closed`` (NaT while
    open), ``response_days`` (closed items with a usable closed date, else
    NaN), ``age_days`` (open items, else NA) and ``satisfaction`` (1-5, NaN).
    """

    as_of: pd.Timestamp
    items: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=empty_issues)

    def open_items(self) -> pd.DataFrame:
        """The items open on ``as_of``."""
        return self.items[self.items["is_open"]].reset_index(drop=True)

    def response_times(self) -> dict[str, float | int | None]:
        """``closed`` (items with a response time), ``median`` and ``p90`` days (None
        when there is none)."""
        days = self.items["response_days"].dropna().to_numpy(dtype=np.float64)
        if days.size == 0:
            return {"closed": 0, "median": None, "p90": None}
        return {
            "closed": int(days.size),
            "median": float(np.median(days)),
            "p90": float(np.percentile(days, 90)),
        }

    def open_by_age(self, edges: tuple[int, int, int] = (7, 30, 90)) -> pd.DataFrame:
        """Open items per age bucket (:data:`AGE_BUCKETS`): ``bucket``, ``items``,
        ``complaints``. ``edges`` are the upper ends in days of the first three."""
        open_ = self.open_items()
        age = open_["age_days"].to_numpy(dtype=np.int64)
        which = np.searchsorted(np.asarray(edges), age, side="left")
        complaint = (open_["kind"] == "complaint").to_numpy()
        return pd.DataFrame(
            {
                "bucket": list(AGE_BUCKETS),
                "items": np.bincount(which, minlength=4).astype(np.int64),
                "complaints": np.bincount(which[complaint], minlength=4).astype(np.int64),
            }
        )

    def kinds(self) -> pd.DataFrame:
        """Items per kind: ``kind``, ``items``, ``open``."""
        kind = pd.Categorical(self.items["kind"], categories=KINDS)
        total = pd.Series(kind).value_counts(sort=False)
        still = pd.Series(kind[self.items["is_open"].to_numpy()]).value_counts(sort=False)
        return pd.DataFrame(
            {
                "kind": list(KINDS),
                "items": total.reindex(KINDS, fill_value=0).to_numpy(dtype=np.int64),
                "open": still.reindex(KINDS, fill_value=0).to_numpy(dtype=np.int64),
            }
        )


def _lookup(values: pd.Series, table: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Code per value (None when blank or unknown) and the mask of unknown non-blank values."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = [header_key(u) for u in uniques]
    found = np.array([table.get(k) for k in keys] + [None], dtype=object)
    unknown = np.array([bool(k) and k not in table for k in keys] + [False])
    take = np.where(codes < 0, len(keys), codes)
    return found[take], unknown[take]


def _dates(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.where(valid, days, 0).astype("datetime64[D]").astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def read_feedback(feedback: pd.DataFrame, *, as_of: Any) -> Feedback:
    """The Feedback sheet on ``as_of`` (see the module docstring for the rules)."""
    stamp = to_timestamp(as_of)
    as_of_day = day_number(stamp)
    frame = feedback.reset_index(drop=True)
    rows = source_rows(frame)
    issues: list[pd.DataFrame] = []
    day, dated = loose_days(optional_column(frame, "date"))
    ids = customer_ids(optional_column(frame, "customer_id")).astype(object)
    usable = dated & ids.notna().to_numpy()
    if (~usable).any():
        blank = ~dated
        issues.append(
            issue_rows(
                "feedback", rows[blank], "date", [None] * int(blank.sum()), "missing", left_out=True
            )
        )
        no_id = dated & ids.isna().to_numpy()
        issues.append(
            issue_rows(
                "feedback",
                rows[no_id],
                "customer_id",
                [None] * int(no_id.sum()),
                "missing",
                left_out=True,
            )
        )
    keep = usable & (day <= as_of_day)
    kind_text = optional_column(frame, "kind")
    kind, odd_kind = _lookup(kind_text, _KIND_KEYS)
    if (odd_kind & keep).any():
        issues.append(
            issue_rows(
                "feedback",
                rows[odd_kind & keep],
                "kind",
                kind_text[odd_kind & keep],
                "unknown_kind",
                left_out=False,
            )
        )
    kind = np.where(pd.isna(kind), "other", kind).astype(object)
    status_text = optional_column(frame, "status")
    status, odd_status = _lookup(status_text, _STATUS_KEYS)
    if (odd_status & keep).any():
        issues.append(
            issue_rows(
                "feedback",
                rows[odd_status & keep],
                "status",
                status_text[odd_status & keep],
                "unknown_feedback_status",
                left_out=False,
            )
        )
    closed_day, has_closed = loose_days(optional_column(frame, "closed"))
    before = keep & has_closed & (closed_day < day)
    if before.any():
        issues.append(
            issue_rows(
                "feedback",
                rows[before],
                "closed",
                optional_column(frame, "closed")[before],
                "closed_before_opened",
                left_out=False,
            )
        )
    closed_by_then = has_closed & (closed_day <= as_of_day)
    is_closed = np.where(pd.isna(status), closed_by_then, status == "closed")
    is_closed &= ~(has_closed & (closed_day > as_of_day))  # closed later: open on as_of
    usable_close = is_closed & closed_by_then & ~before
    response = np.where(usable_close, closed_day - day, np.nan)
    age = np.where(~is_closed, as_of_day - day, 0)
    score, bad_score = satisfaction_scores(optional_column(frame, "satisfaction"))
    if (bad_score & keep).any():
        issues.append(
            issue_rows(
                "feedback",
                rows[bad_score & keep],
                "satisfaction",
                optional_column(frame, "satisfaction")[bad_score & keep],
                "bad_satisfaction",
                left_out=False,
            )
        )
    items = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(dtype=object),
            "date": _dates(day, dated),
            "kind": kind,
            "is_open": ~is_closed,
            "closed": _dates(closed_day, is_closed & closed_by_then),
            "response_days": response.astype(np.float64),
            "age_days": pd.array(age, dtype="Int64"),
            "satisfaction": score,
        }
    )
    items.loc[is_closed, "age_days"] = pd.NA
    items = items.loc[keep].reset_index(drop=True)
    return Feedback(as_of=stamp, items=items, issues=concat_issues(issues))


def open_complaints(feedback: Feedback | None, ids: pd.Index) -> np.ndarray:
    """Per customer in ``ids``: has a complaint that is open on ``as_of``."""
    out = np.zeros(len(ids), dtype=bool)
    if feedback is None or feedback.items.empty:
        return out
    items = feedback.items
    open_complaint = (items["is_open"] & (items["kind"] == "complaint")).to_numpy(dtype=bool)
    where = ids.get_indexer(pd.Index(items["customer_id"].to_numpy(dtype=object)[open_complaint]))
    out[where[where >= 0]] = True
    return out


def latest_satisfaction(feedback: Feedback | None, ids: pd.Index) -> np.ndarray:
    """Per customer in ``ids``: the satisfaction of its latest rated item (NaN when none).
    Items on one day: the last row wins."""
    out = np.full(len(ids), np.nan)
    if feedback is None or feedback.items.empty:
        return out
    rated = feedback.items.dropna(subset=["satisfaction"])
    rated = rated.iloc[np.argsort(rated["date"].to_numpy(), kind="stable")]
    where = ids.get_indexer(pd.Index(rated["customer_id"].to_numpy(dtype=object)))
    keep = where >= 0
    out[where[keep]] = rated["satisfaction"].to_numpy(dtype=np.float64)[keep]  # last wins
    return out


def satisfaction_by(groups: Any, scores: Any, codes: tuple[str, ...]) -> pd.DataFrame:
    """Satisfaction per group: ``group`` (every code, in order), ``customers``,
    ``rated`` (customers with a score), ``mean`` (NaN when none) and ``low``
    (customers scoring below 3). One customer counts once, with its own score."""
    frame = pd.DataFrame(
        {
            "group": pd.Series(np.asarray(groups, dtype=object)),
            "score": pd.Series(np.asarray(scores, dtype=np.float64)),
        }
    )
    grouped = frame.groupby("group", dropna=True)["score"]
    return pd.DataFrame(
        {
            "group": list(codes),
            "customers": grouped.size().reindex(codes, fill_value=0).to_numpy(dtype=np.int64),
            "rated": grouped.count().reindex(codes, fill_value=0).to_numpy(dtype=np.int64),
            "mean": grouped.mean().reindex(codes).to_numpy(dtype=np.float64),
            "low": frame.assign(low=frame["score"] < 3)
            .groupby("group")["low"]
            .sum()
            .reindex(codes, fill_value=0)
            .to_numpy(dtype=np.int64),
        }
    )


def kind_label(code: str, lang: str = "en") -> str:
    """A kind of feedback in ``lang``."""
    return {
        "complaint": tp("feedback kind", "Complaint", lang),
        "suggestion": tp("feedback kind", "Suggestion", lang),
        "praise": tp("feedback kind", "Praise", lang),
        "return": tp("feedback kind", "Return", lang),
        "other": tp("feedback kind", "Other", lang),
    }[code]


def age_label(code: str, edges: tuple[int, int, int], lang: str = "en") -> str:
    """An age bucket in ``lang`` with its edges in days."""
    a, b, c = edges
    return {
        "week": tp("feedback age", "up to {a} days", lang, a=a),
        "month": tp("feedback age", "{a1}–{b} days", lang, a1=a + 1, b=b),
        "quarter": tp("feedback age", "{b1}–{c} days", lang, b1=b + 1, c=c),
        "older": tp("feedback age", "over {c} days", lang, c=c),
    }[code]
