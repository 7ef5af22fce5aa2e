"""Customer loyalty from three indicators: satisfaction, repurchase and recommendation.

Each indicator is ``high``, ``middle`` or ``low`` (:data:`INDICATOR_LEVELS`):

- satisfaction, a score 1-5 or one of five words: 4-5 high, 3 middle, 1-2 low
  (:func:`satisfaction_scores`);
- repurchase, the chance of buying again within the horizon: above 0.7
  high, 0.3-0.7 middle, below 0.3 low (:func:`repurchase_indicator`). It
  comes from the value model when the model gave one, otherwise from the
  customer's own history (:func:`repurchase_from_history`);
- recommendation, a word (very likely / possible / unlikely) or a Net
  Promoter answer 0-10: 9-10 high, 7-8 middle, 0-6 low
  (:func:`recommend_indicator`).

The loyalty level (:func:`loyalty_levels`) is ``advocate`` when every known
indicator is high, ``at_risk`` when any known indicator is low, and
``steady`` otherwise; with no indicator known it is missing. The indicators
that were not known are named with the level. Every function works on whole
columns (1-D arrays, lists, Series or one value).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import OrderBook, as_floats
from xlcrm.core.schema import RECOMMEND_WORDS, SATISFACTION_WORDS, SCORE_SUFFIXES, header_key
from xlcrm.locale import t, tp

__all__ = [
    "INDICATORS",
    "INDICATOR_LEVELS",
    "LEVELS",
    "RECOMMEND_WORDS",
    "SATISFACTION_WORDS",
    "describe_loyalty",
    "dissatisfied_loyal",
    "indicator_label",
    "level_label",
    "loyalty_levels",
    "recommend_indicator",
    "recommend_values",
    "repurchase_from_history",
    "repurchase_indicator",
    "satisfaction_indicator",
    "satisfaction_scores",
]

#: The three indicators, in the order they are named.
INDICATORS: Final = ("satisfaction", "repurchase", "recommend")
#: Levels of one indicator, best first.
INDICATOR_LEVELS: Final = ("high", "middle", "low")
#: Loyalty levels, best first.
LEVELS: Final = ("advocate", "steady", "at_risk")


_SATISFACTION_KEYS: Final = {header_key(k): v for k, v in SATISFACTION_WORDS.items()}
_RECOMMEND_KEYS: Final = {header_key(k): v for k, v in RECOMMEND_WORDS.items()}
_LEVEL_NUMBER: Final = {"high": 2, "middle": 1, "low": 0}
_RECOMMEND_NUMBERS: Final = {k: _LEVEL_NUMBER[v] for k, v in _RECOMMEND_KEYS.items()}
_LEVEL_CODES: Final = np.array(["low", "middle", "high", None], dtype=object)  # index 0,1,2,-1
#: An indicator's levels by position (the ``*_index`` functions; -1: unknown).
LEVEL_TABLE: Final = ("low", "middle", "high")
#: Loyalty levels by position (:func:`level_index`; 0: none known).
LOYALTY_TABLE: Final = np.array([None, "at_risk", "advocate", "steady"], dtype=object)
#: The unknown indicators joined by ``+``, by pattern (bit 1 satisfaction, 2 repurchase,
#: 4 recommendation; 0: all known).
MISSING_TABLE: Final = np.array(
    [
        "+".join(name for bit, name in enumerate(INDICATORS) if p & (1 << bit)) or None
        for p in range(8)
    ],
    dtype=object,
)


def _objects(values: Any) -> np.ndarray:
    if isinstance(values, str) or values is None or np.isscalar(values):
        values = [values]
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object).reshape(-1)


def _read_cells(
    values: Any, word_table: dict[str, Any], missing: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: its number (NaN where not a number), the word table's entry for
    its text (``missing`` where none) and whether it is blank. Text is looked
    at once per distinct value; a float array skips that altogether."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        numbers = np.atleast_1d(values.astype(np.float64))
        n = len(numbers)
        return numbers, np.full(n, missing, dtype=object), np.isnan(numbers)
    array = _objects(values)
    codes, uniques = pd.factorize(array)
    unique = np.asarray(uniques, dtype=object)
    text = pd.Series(unique, dtype=object)
    is_text = text.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    stripped = text.where(is_text, "").astype(str).str.strip()
    for suffix in SCORE_SUFFIXES:
        stripped = stripped.str.removesuffix(suffix).str.strip()
    numbers = pd.to_numeric(
        pd.Series(np.where(is_text, stripped.to_numpy(dtype=object), unique), dtype=object),
        errors="coerce",
    ).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    is_bool = text.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    numbers[is_bool] = np.nan  # TRUE/FALSE is not a score
    words = np.array(
        [
            word_table.get(header_key(v), missing) if s else missing
            for v, s in zip(unique, is_text, strict=True)
        ]
        + [missing],
        dtype=object,
    )
    blank_unique = np.array(
        [v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA for v in unique],
        dtype=bool,
    ) | (is_text & (stripped.to_numpy(dtype=object) == ""))
    take = np.where(codes < 0, len(unique), codes)
    return np.r_[numbers, np.nan][take], words[take], np.r_[blank_unique, True][take]


def satisfaction_scores(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Satisfaction as a score 1-5 (float, NaN when blank or unreadable) and
    the mask of cells that hold something that is not a satisfaction.

    Numbers from 1 to 5 (decimals allowed, e.g. an average) and the words of
    :data:`SATISFACTION_WORDS` (case, spaces and punctuation ignored) are read.
    """
    numbers, worded, blank = _read_cells(values, _SATISFACTION_KEYS, np.nan)
    in_range = (numbers >= 1) & (numbers <= 5)
    score = np.where(in_range, numbers, worded.astype(np.float64))
    bad = ~blank & np.isnan(score)
    return score, bad


def satisfaction_indicator(values: Any) -> np.ndarray:
    """``high`` (score 4-5), ``middle`` (3 up to below 4), ``low`` (below 3) or None.

    ``values`` are scores or words as :func:`satisfaction_scores` reads them.
    """
    score, _ = satisfaction_scores(values)
    out: np.ndarray = _LEVEL_CODES[satisfaction_index(score)]
    return out


def satisfaction_index(score: np.ndarray) -> np.ndarray:
    """The satisfaction indicator of scores already read, as positions in
    :data:`LEVEL_TABLE` (-1: unknown)."""
    with np.errstate(invalid="ignore"):
        index: np.ndarray = np.select([score >= 4, score >= 3, score >= 1], [2, 1, 0], -1)
    return index


def recommend_values(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recommendation cells read: the indicator level (object array), the Net
    Promoter answer 0-10 where a number was given (NaN otherwise), and the mask
    of cells that hold something else.

    A number 0-10 is a Net Promoter answer: 9-10 high, 7-8 middle, 0-6 low (a
    decimal is compared with the same edges: 8.5 is middle). Words are those of
    :data:`RECOMMEND_WORDS`.
    """
    index, nps, bad = recommend_index(values)
    return _LEVEL_CODES[index], nps, bad


def recommend_index(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`recommend_values` with the level as positions in :data:`LEVEL_TABLE`."""
    numbers, from_word, blank = _read_cells(values, _RECOMMEND_NUMBERS, -1)
    nps = np.where((numbers >= 0) & (numbers <= 10), numbers, np.nan)
    with np.errstate(invalid="ignore"):
        from_number = np.select([nps >= 9, nps >= 7, nps >= 0], [2, 1, 0], -1)
    index = np.where(from_number >= 0, from_number, from_word.astype(np.int64))
    bad = ~blank & (index < 0)
    return index, nps, bad


def recommend_indicator(values: Any) -> np.ndarray:
    """The recommendation indicator (see :func:`recommend_values`), None when unknown."""
    return recommend_values(values)[0]


def repurchase_indicator(probability: Any) -> np.ndarray:
    """``high`` above 0.7, ``middle`` 0.3-0.7 (both included), ``low`` below 0.3,
    None when missing. The edges are those of the value model's ``repurchase_band``."""
    out: np.ndarray = _LEVEL_CODES[repurchase_index(probability)]
    return out


def repurchase_index(probability: Any) -> np.ndarray:
    """:func:`repurchase_indicator` as positions in :data:`LEVEL_TABLE` (-1: unknown)."""
    p = as_floats(probability)
    with np.errstate(invalid="ignore"):
        index: np.ndarray = np.select([p > 0.7, p >= 0.3, p >= 0], [2, 1, 0], -1)
    return index


def repurchase_from_history(book: OrderBook, *, window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Chance of a purchase in the next ``window_days``, from the customer's own history.

    The days since the first purchase day are cut into whole windows of
    ``window_days``, counted back from ``as_of``: (as_of - window_days,
    as_of], the one before, and so on, as long as a window starts on or after
    the first purchase day (so the first purchase itself is in none). The
    chance is the share of those windows with a purchase. A customer whose
    first purchase is less than one window ago has no window yet: NaN.

    Returns
    -------
    (probability, windows)
        Per customer of ``book`` (``book.ids`` order): float64 in 0-1 or NaN,
        and the number of whole windows (int64).
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    n = book.n_customers
    bought = book.purchase
    code, day = book.code[bought], book.day[bought]
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, code, day)
    has = first < np.iinfo(np.int64).max
    windows = np.where(has, (book.as_of_day - np.where(has, first, 0)) // window_days, 0)
    which = (book.as_of_day - day) // window_days
    counted = which < windows[code]
    span = int(windows.max(initial=0)) + 1
    hit = np.zeros(n * span, dtype=bool)  # (customer, window) had a purchase
    hit[code[counted] * span + which[counted]] = True
    active = hit.reshape(n, span).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(windows > 0, active / np.maximum(windows, 1), np.nan)
    return probability.astype(np.float64), windows.astype(np.int64)


def loyalty_levels(satisfaction: Any, repurchase: Any, recommend: Any) -> pd.DataFrame:
    """Loyalty level from the three indicator levels (each ``high``/``middle``/``low``/None).

    ``at_risk`` when any known indicator is low; else ``advocate`` when every
    known one is high; else ``steady``; missing (None) when none is known.

    Returns
    -------
    DataFrame
        ``loyalty_level`` (code or None) and ``loyalty_missing``: the unknown
        indicators joined by ``+`` in the order of :data:`INDICATORS` (e.g.
        ``"satisfaction+recommend"``), None when all three are known.
    """
    columns = [_objects(v) for v in (satisfaction, repurchase, recommend)]
    n = max(len(c) for c in columns)
    indexes = []
    for column in columns:
        codes, uniques = pd.factorize(column)
        table = np.array([_LEVEL_NUMBER.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
        indexes.append(np.broadcast_to(table[np.where(codes < 0, len(uniques), codes)], (n,)))
    which, pattern = level_index(*indexes)
    return pd.DataFrame(
        {
            "loyalty_level": pd.Series(LOYALTY_TABLE[which], dtype=object),
            "loyalty_missing": pd.Series(MISSING_TABLE[pattern], dtype=object),
        }
    )


def level_index(
    satisfaction: np.ndarray, repurchase: np.ndarray, recommend: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`loyalty_levels` of indicator positions in :data:`LEVEL_TABLE` (-1:
    unknown): positions in :data:`LOYALTY_TABLE` and :data:`MISSING_TABLE`."""
    grid = np.stack([satisfaction, repurchase, recommend], axis=1)
    known = grid >= 0
    any_low = (grid == 0).any(axis=1)
    all_high = ((grid == 2) | ~known).all(axis=1)
    some = known.any(axis=1)
    which: np.ndarray = np.select([any_low, all_high & some, some], [1, 2, 3], 0)
    pattern: np.ndarray = (~known).astype(np.int64) @ np.array([1, 2, 4])
    return which, pattern


def dissatisfied_loyal(
    satisfaction: Any, tier: Any, repurchase: Any, *, loyal_tiers: tuple[str, ...] = ("loyal",)
) -> np.ndarray:
    """Loyal by behaviour but with low satisfaction: the customers who may leave quietly.

    Loyal by behaviour means a tier in ``loyal_tiers`` (default: Loyal) or a
    high repurchase indicator; ``satisfaction`` and ``repurchase`` are
    indicator levels.
    """
    sat = _objects(satisfaction)
    n = len(sat)
    tiers = np.broadcast_to(_objects(tier), (n,))
    rep = np.broadcast_to(_objects(repurchase), (n,))
    in_tier = pd.Series(tiers, dtype=object).isin(loyal_tiers).to_numpy()
    return dissatisfied_index(
        np.where(sat == "low", 0, -1), in_tier, np.where(rep == "high", 2, -1)
    )


def dissatisfied_index(
    satisfaction: np.ndarray, loyal_tier: np.ndarray, repurchase: np.ndarray
) -> np.ndarray:
    """:func:`dissatisfied_loyal` of indicator positions in :data:`LEVEL_TABLE` and a
    mask of the customers in a loyal tier."""
    result: np.ndarray = (satisfaction == 0) & (loyal_tier | (repurchase == 2))
    return result


# --- words -----------------------------------------------------------------------


def level_label(code: str, lang: str = "en") -> str:
    """The loyalty level's name in ``lang`` (never one of the tier or segment labels)."""
    return {
        "advocate": tp("loyalty", "Advocate", lang),
        "steady": tp("loyalty", "Steady", lang),
        "at_risk": tp("loyalty", "Loyalty at risk", lang),
    }[code]


def indicator_label(code: str, lang: str = "en") -> str:
    """An indicator's name (``satisfaction`` …) or level (``high`` …) in ``lang``."""
    return {
        "satisfaction": tp("loyalty indicator", "satisfaction", lang),
        "repurchase": tp("loyalty indicator", "repurchase", lang),
        "recommend": tp("loyalty indicator", "recommendation", lang),
        "high": tp("indicator level", "high", lang),
        "middle": tp("indicator level", "middle", lang),
        "low": tp("indicator level", "low", lang),
    }[code]


def describe_loyalty(level: Any, missing: Any, lang: str = "en") -> np.ndarray:
    """The level in words, naming the indicators it was decided without.

    ``"Steady (without recommendation)"``; ``"No loyalty indicator"`` when none
    was known. One lookup per distinct (level, missing) pair.
    """
    levels = _objects(level)
    gaps = np.broadcast_to(_objects(missing), levels.shape)
    pairs = pd.MultiIndex.from_arrays(
        [pd.Series(levels, dtype=object).fillna(""), pd.Series(gaps, dtype=object).fillna("")]
    )
    codes, uniques = pd.factorize(pairs)
    words = []
    for lvl, gap in uniques:
        if not lvl:
            words.append(t("No loyalty indicator", lang))
            continue
        name = level_label(lvl, lang)
        if gap:
            without = t(", ", lang).join(indicator_label(g, lang) for g in gap.split("+"))
            name = t("{level} (without {indicators})", lang, level=name, indicators=without)
        words.append(name)
    return np.asarray(words, dtype=object)[codes]
