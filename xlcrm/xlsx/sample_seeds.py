"""The sample book's deals, stage history, feedback, and the Customers columns for
loyalty, referrals and margin, so that ``make demo`` shows every part.

Drawn from a random stream of its own (seeded from the book's seed), so the
customers, orders and activities of a seed stay what they were. The words
written are those a user would type, taken from the vocabulary in
:mod:`xlcrm.core.schema` (the first English or Chinese word of each list).
Everything is vectorised over customers and deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from xlcrm.core import schema

__all__ = ["TABLE_HEADERS", "SeedParts", "seed_parts"]

_STAGES: Final = ("lead", "qualified", "proposal", "negotiation", "won")
# Per kind of customer (xlsx.sample.CUSTOMER_TYPES): mean satisfaction, margin
# rate, chance of giving feedback within a year, share of complaints.
_MOOD: Final[dict[str, tuple[float, float, float, float]]] = {
    "new": (4.0, 0.32, 0.20, 0.15),
    "one_off": (3.6, 0.38, 0.10, 0.30),
    "regular": (4.1, 0.30, 0.30, 0.15),
    "big": (4.3, 0.22, 1.20, 0.15),
    "big_quiet": (2.9, 0.22, 0.90, 0.45),
    "project": (3.9, 0.35, 0.40, 0.20),
    "slipping": (3.0, 0.30, 0.40, 0.40),
    "lapsed_months": (3.1, 0.30, 0.20, 0.35),
    "lapsed_year": (2.8, 0.30, 0.10, 0.35),
}
_NO_MOOD: Final = (3.5, 0.30, 0.0, 0.2)


def _is_cjk(word: str) -> bool:
    return any(0x3400 <= ord(ch) <= 0x9FFF for ch in word)


def _word(words: tuple[str, ...], lang: str) -> str:
    """The first word of a vocabulary list in ``lang`` (English capitalised)."""
    pick = next(w for w in words if _is_cjk(w) == (lang == "zh"))
    return pick if lang == "zh" else pick[0].upper() + pick[1:]


def _header(table: str, column: str, lang: str) -> str:
    return _word(schema.COLUMN_ALIASES[table][column], lang)


TABLE_HEADERS: Final[dict[str, dict[str, dict[str, str]]]] = {
    table: {
        column: {lang: _header(table, column, lang) for lang in schema.LANGS} for column in columns
    }
    for table, columns in (
        ("deals", schema.DEAL_COLUMNS),
        ("stage_history", schema.HISTORY_COLUMNS),
        ("feedback", schema.FEEDBACK_COLUMNS),
    )
}


@dataclass(frozen=True)
class SeedParts:
    """The new Customers columns (aligned with the customers frame) and three sheets."""

    customer_columns: dict[str, np.ndarray]
    deals: pd.DataFrame
    stage_history: pd.DataFrame
    feedback: pd.DataFrame


def _days(as_of: pd.Timestamp, ago: np.ndarray) -> np.ndarray:
    return (as_of.to_datetime64() - ago.astype("timedelta64[D]")).astype("datetime64[ns]")


def _ago(as_of: pd.Timestamp, dates: pd.Series) -> np.ndarray:
    return (as_of - pd.to_datetime(dates)).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)


def seed_parts(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    kinds: np.ndarray,
    deal: np.ndarray,
    lost_reasons: tuple[str, ...],
    lang: str,
    as_of: pd.Timestamp,
    seed: int,
) -> SeedParts:
    """Deals, their stage history, feedback and the new Customers columns.

    ``kinds`` and ``deal`` (open/won/lost/None) are aligned with ``customers``.
    """
    rng = np.random.default_rng([seed, 17])
    n = len(customers)
    ids = customers["customer_id"].to_numpy(dtype=object)
    at = pd.Index(ids)
    o_at = at.get_indexer(pd.Index(orders["customer_id"].to_numpy(dtype=object)))
    net = np.bincount(o_at, weights=orders["amount"].to_numpy(dtype=np.float64), minlength=n)
    buys = np.bincount(o_at[orders["amount"].to_numpy() >= 0], minlength=n) > 0
    first_ago = np.full(n, -1.0)
    np.maximum.at(first_ago, o_at, _ago(as_of, orders["order_date"]))
    mood = np.array([_MOOD.get(k, _NO_MOOD) for k in kinds]).reshape(n, 4)

    columns = _customer_columns(rng, customers, buys, net, mood, lang)
    deals, history = _deals(rng, customers, deal, first_ago, net, lost_reasons, lang, as_of)
    feedback = _feedback(rng, ids, buys, first_ago, mood, lang, as_of)
    return SeedParts(columns, deals, history, feedback)


def _customer_columns(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    buys: np.ndarray,
    net: np.ndarray,
    mood: np.ndarray,
    lang: str,
) -> dict[str, np.ndarray]:
    n = len(customers)
    score = np.clip(np.round(mood[:, 0] + rng.normal(0, 0.9, n)), 1, 5).astype(np.int64)
    scale = {
        s: tuple(w for w, v in schema.SATISFACTION_WORDS.items() if v == s) for s in range(1, 6)
    }
    words = np.array([None, *(_word(scale[s], lang) for s in range(1, 6))], dtype=object)
    rated = buys & (rng.random(n) < 0.55)
    as_word = rng.random(n) < 0.3
    satisfaction = np.where(as_word, words[score], score).astype(object)
    satisfaction[~rated] = None
    # the likelihood to recommend follows satisfaction: an NPS answer or a word
    nps = np.clip(np.round(score * 2 + rng.normal(0, 1.5, n)), 0, 10).astype(np.int64)
    level = np.select([nps >= 9, nps >= 7], ["high", "middle"], "low")
    rec_words = {
        lv: _word(tuple(w for w, v in schema.RECOMMEND_WORDS.items() if v == lv), lang)
        for lv in ("high", "middle", "low")
    }
    recommend = np.where(
        rng.random(n) < 0.3, pd.Series(level).map(rec_words).to_numpy(dtype=object), nps
    ).astype(object)
    recommend[~(buys & (rng.random(n) < 0.45))] = None
    # referrals: a customer brought by one who bought before it was created
    created = pd.to_datetime(customers["created"]).to_numpy()
    order = np.argsort(created, kind="stable")
    buyer_pos = np.flatnonzero(buys[order])
    earlier = np.searchsorted(buyer_pos, np.arange(n), side="left")
    pick = buyer_pos[np.minimum((rng.random(n) * earlier).astype(np.int64), len(buyer_pos) - 1)]
    referred = (rng.random(n) < 0.12) & (earlier > 0)
    referrer = np.full(n, None, dtype=object)
    referrer[order[referred]] = customers["customer_id"].to_numpy(dtype=object)[
        order[pick[referred]]
    ]
    # cost of what was bought, for a third of the buyers (the rest: default margin rate)
    rate = np.clip(mood[:, 1] + rng.normal(0, 0.05, n), 0.05, 0.8)
    cost = np.where(
        buys & (net > 0) & (rng.random(n) < 0.35), np.round(net * (1 - rate), 2), np.nan
    )
    return {
        "satisfaction": satisfaction,
        "recommend": recommend,
        "referred_by": referrer,
        "cost": cost,
    }


def _deals(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    deal: np.ndarray,
    first_ago: np.ndarray,
    net: np.ndarray,
    lost_reasons: tuple[str, ...],
    lang: str,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(customers)
    close_in = -_ago(as_of, customers["expected_close"])
    created_ago = _ago(as_of, customers["created"])
    is_open = deal == "open"
    is_lost = deal == "lost"
    is_won = (deal == "won") & (first_ago >= 0) & (rng.random(n) < 0.35)
    who = np.flatnonzero(is_open | is_lost | is_won)
    k = len(who)
    status = np.where(is_open[who], "open", np.where(is_lost[who], "lost", "won"))
    # open deals: the nearer the close, the further along
    c = close_in[who]
    u = rng.random(k)
    open_stage = np.select(
        [c <= 30, c <= 90, c <= 180], [np.where(u < 0.6, 3, 2), np.where(u < 0.6, 2, 1), 1], 0
    )
    lost_stage = rng.choice(4, size=k, p=[0.3, 0.3, 0.25, 0.15])
    stage = np.select([status == "open", status == "lost"], [open_stage, lost_stage], 4)
    # dates in days before as_of: created, closed (won: the first purchase)
    start = np.where(
        status == "won",
        first_ago[who] + rng.integers(15, 90, k),
        np.where(status == "lost", rng.integers(60, 400, k), rng.integers(5, 160, k)),
    ).astype(np.int64)
    known = created_ago[who]
    start = np.minimum(start, np.where(np.isnan(known), start, known).astype(np.int64))
    start = np.maximum(start, 1)
    end = np.where(
        status == "won",
        first_ago[who],
        np.where(status == "lost", np.maximum(start - rng.integers(10, 90, k), 0), 0),
    ).astype(np.int64)
    typical = np.where(net[who] > 0, net[who], 800.0)
    amount = np.round(typical * rng.uniform(0.3, 1.5, k) / 100) * 100 + 100
    deal_ids = pd.Series(np.arange(1, k + 1)).astype(str).str.zfill(4).radd("D-").to_numpy()
    stage_words = np.array([_word(schema.STAGE_WORDS[s], lang) for s in _STAGES], dtype=object)
    status_words = {s: _word(schema.DEAL_STATUS_WORDS[s], lang) for s in ("open", "won", "lost")}
    reasons = np.asarray(lost_reasons, dtype=object)[rng.integers(0, len(lost_reasons), k)]
    deals = pd.DataFrame(
        {
            "deal_id": deal_ids,
            "customer_id": customers["customer_id"].to_numpy(dtype=object)[who],
            "owner": customers["owner"].to_numpy(dtype=object)[who],
            "stage": stage_words[stage],
            "amount": amount.astype(float),
            "created": _days(as_of, start),
            "expected_close": np.where(
                status == "open",
                pd.to_datetime(customers["expected_close"]).to_numpy()[who],
                np.datetime64("NaT"),
            ).astype("datetime64[ns]"),
            "closed": np.where(status == "open", np.datetime64("NaT"), _days(as_of, end)).astype(
                "datetime64[ns]"
            ),
            "status": pd.Series(status).map(status_words).to_numpy(dtype=object),
            "lost_reason": pd.Series(reasons, dtype=object).where(status == "lost", None),
        }
    )
    history = _history(rng, deals, start, end, stage, status, stage_words, lang, as_of)
    return deals, history


def _history(
    rng: np.random.Generator,
    deals: pd.DataFrame,
    start: np.ndarray,
    end: np.ndarray,
    stage: np.ndarray,
    status: np.ndarray,
    stage_words: np.ndarray,
    lang: str,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """One row per stage entered, from the lead stage up to the deal's stage (a few
    skip qualified), spread between created and closed (open deals: up to a stay
    in the current stage); lost deals end with a lost row."""
    k = len(deals)
    rows = stage + 1
    deal = np.repeat(np.arange(k), rows)
    step = np.arange(len(deal)) - np.repeat(np.cumsum(rows) - rows, rows)
    skip = np.repeat((rng.random(k) < 0.15) & (stage >= 2), rows) & (step == 1)
    # open deals stay in their stage for a while; others run to their closed day
    stay = np.where(status == "open", rng.integers(0, 60, k), 0)
    last = np.maximum(end + stay, 0)
    span = np.maximum(start - last, 1)
    frac = np.where(rows[deal] > 1, step / np.maximum(rows[deal] - 1, 1), 0.0)
    ago = np.round(start[deal] - frac * span[deal]).astype(np.int64)
    keep = ~skip
    frame = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy(dtype=object)[deal[keep]],
            "stage": stage_words[step[keep]],
            "date": _days(as_of, ago[keep]),
        }
    )
    lost = np.flatnonzero(status == "lost")
    lost_rows = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy(dtype=object)[lost],
            "stage": _word(schema.DEAL_STATUS_WORDS["lost"], lang),
            "date": _days(as_of, end[lost]),
        }
    )
    out = pd.concat([frame, lost_rows], ignore_index=True)
    return out.sort_values(["deal_id", "date"], kind="stable").reset_index(drop=True)


def _feedback(
    rng: np.random.Generator,
    ids: np.ndarray,
    buys: np.ndarray,
    first_ago: np.ndarray,
    mood: np.ndarray,
    lang: str,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    n = len(ids)
    count = np.where(buys, rng.poisson(mood[:, 2]), 0)
    who = np.repeat(np.arange(n), count)
    m = len(who)
    oldest = np.minimum(np.maximum(first_ago[who], 1), 365).astype(np.int64)
    ago = (rng.random(m) * (oldest + 1)).astype(np.int64)
    u = rng.random(m)
    complaint_share = mood[who, 3]
    kind = np.select(
        [u < complaint_share, u < complaint_share + 0.15, u < complaint_share + 0.35],
        ["complaint", "return", "suggestion"],
        "praise",
    )
    done = rng.random(m) < np.where(ago > 30, 0.9, 0.6)
    closed_ago = np.maximum(ago - rng.integers(0, 21, m), 0)
    low = np.where(kind == "complaint", 1, np.where(kind == "praise", 4, 3))
    high = np.where(kind == "complaint", 3, 5)
    score = (low + rng.random(m) * (high - low + 1)).astype(np.int64)
    rated = rng.random(m) < 0.6
    kind_words = {k: _word(schema.FEEDBACK_KIND_WORDS[k], lang) for k in np.unique(kind)}
    status_words = {s: _word(schema.FEEDBACK_STATUS_WORDS[s], lang) for s in ("open", "closed")}
    frame = pd.DataFrame(
        {
            "date": _days(as_of, ago),
            "customer_id": ids[who],
            "kind": pd.Series(kind).map(kind_words).to_numpy(dtype=object),
            "status": np.where(done, status_words["closed"], status_words["open"]),
            "closed": np.where(done, _days(as_of, closed_ago), np.datetime64("NaT")).astype(
                "datetime64[ns]"
            ),
            "satisfaction": np.where(rated, score, np.nan),
        }
    )
    return frame.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
