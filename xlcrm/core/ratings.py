"""Reading the cells of the new Customers and Feedback columns: satisfaction,
recommendation and margin rate, as :class:`~xlcrm.core.cells.Parsed` columns
the workbook reader lists problems from (one code per unreadable cell).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from xlcrm.core.cells import EXCEL_ERROR, Parsed, parse_text
from xlcrm.core.loyalty import recommend_values, satisfaction_scores
from xlcrm.core.schema import PERCENT_SIGNS

__all__ = [
    "BAD_RATE",
    "BAD_RECOMMEND",
    "BAD_SATISFACTION",
    "parse_rates",
    "parse_recommend",
    "parse_satisfaction",
]

#: Problem codes of these cells (words in ``xlcrm.xlsx.quality.REASONS``).
BAD_SATISFACTION: Final = "bad_satisfaction"
BAD_RECOMMEND: Final = "bad_recommend"
BAD_RATE: Final = "bad_rate"


def _raw(values: object) -> tuple[np.ndarray, Parsed]:
    """The cells with Excel error values removed, and their text reading (for blanks)."""
    text = parse_text(values)
    arr = np.asarray(values, dtype=object).reshape(-1).copy()
    arr[text.problem == EXCEL_ERROR] = None
    return arr, text


def parse_satisfaction(values: object) -> Parsed:
    """Satisfaction 1-5 (float) from numbers or words (see ``loyalty.satisfaction_scores``)."""
    arr, text = _raw(values)
    score, bad = satisfaction_scores(arr)
    problem = text.problem.copy()
    problem[bad & (problem != EXCEL_ERROR)] = BAD_SATISFACTION
    return Parsed(pd.Series(score, dtype="float64"), text.blank, problem)


def parse_recommend(values: object) -> Parsed:
    """Likelihood to recommend as written (a word or a 0-10 answer); other cells are bad."""
    arr, text = _raw(values)
    _, nps, bad = recommend_values(arr)
    problem = text.problem.copy()
    problem[bad & (problem != EXCEL_ERROR)] = BAD_RECOMMEND
    kept = np.where(np.isnan(nps), text.values.to_numpy(dtype=object), nps).astype(object)
    kept[bad | text.blank] = None
    return Parsed(pd.Series(kept, dtype=object), text.blank, problem)


def parse_rates(values: object) -> Parsed:
    """A margin rate: a share (0.3), a percentage text ("30%"), or a number above 1 and
    up to 100 read as a percentage (30 -> 0.3). Negative rates and rates over 100 % are bad."""
    _, text = _raw(values)
    codes, uniques = pd.factorize(text.values.to_numpy(dtype=object))
    words = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str).str.strip()
    percent = words.str.endswith(PERCENT_SIGNS)
    numbers = pd.to_numeric(
        words.str.rstrip("".join(PERCENT_SIGNS)).str.strip(), errors="coerce"
    ).to_numpy(dtype=np.float64, na_value=np.nan)
    share = np.where(percent.to_numpy(dtype=bool) | (numbers > 1), numbers / 100, numbers)
    as_share = np.r_[share, np.nan][np.where(codes < 0, len(share), codes)]
    bad = ~text.blank & (np.isnan(as_share) | (as_share < 0) | (as_share > 1))
    problem = text.problem.copy()
    problem[bad & (problem != EXCEL_ERROR)] = BAD_RATE
    return Parsed(pd.Series(np.where(bad, np.nan, as_share), dtype="float64"), text.blank, problem)
