"""Kotler's five relationship levels, chosen from how many customers and how much margin.

Kotler places the relationship a business should keep with a group of
customers in a 3 x 3 table: the number of customers (many, medium, few)
against the margin they bring (high, medium, low). Many customers with a low
margin get a basic relationship; few customers with a high margin a
partnership (:data:`MATRIX`).

xlcrm applies it to the RFM classes (rules also in ``docs/definitions.md``):

- count: the class's share of the customers that have a class (buyers);
  ``many`` at ``relationship_many_share`` (25 %) or more, ``few`` below
  ``relationship_few_share`` (10 %), ``medium`` between;
- margin: the class's mean margin per customer divided by the mean margin
  per customer of all buyers (the margin index); ``high`` at
  ``relationship_high_margin`` (1.5) or more, ``low`` below
  ``relationship_low_margin`` (0.5), ``medium`` between;
- a customer's margin is the Customers sheet's ``margin``, else its net
  revenue minus ``cost``, else net revenue times its ``margin_rate``, else
  times ``default_margin_rate``;
- every customer gets its class's level; customers without a purchase none.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import as_floats
from xlcrm.core.schema import RFM_CLASSES
from xlcrm.locale import tp

__all__ = [
    "LEVELS",
    "MARGIN_LEVELS",
    "MATRIX",
    "SHARE_LEVELS",
    "customer_margins",
    "level_label",
    "margin_label",
    "relationship_levels",
    "relationship_table",
    "share_label",
]

#: Relationship levels, from the least to the most involved.
LEVELS: Final = ("basic", "reactive", "accountable", "proactive", "partnership")
#: Rows of the matrix: how many customers.
SHARE_LEVELS: Final = ("many", "medium", "few")
#: Columns of the matrix: how much margin, as Kotler draws it (high on the left).
MARGIN_LEVELS: Final = ("high", "medium", "low")
#: ``MATRIX[share][margin]`` -> level.
MATRIX: Final[dict[str, dict[str, str]]] = {
    "many": {"high": "accountable", "medium": "reactive", "low": "basic"},
    "medium": {"high": "proactive", "medium": "accountable", "low": "reactive"},
    "few": {"high": "partnership", "medium": "proactive", "low": "accountable"},
}
_GRID: Final = np.array(
    [[MATRIX[s][m] for m in MARGIN_LEVELS] for s in SHARE_LEVELS] + [[None] * 3], dtype=object
)


def _floats(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return np.broadcast_to(as_floats(values), (n,)).astype(np.float64)


def customer_margins(
    monetary: Any,
    margin: Any = None,
    cost: Any = None,
    margin_rate: Any = None,
    *,
    default_rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Margin per customer and where it came from (``margin``, ``cost``, ``rate``,
    ``default``; None without revenue or margin).

    The given margin wins, then revenue minus cost, then revenue times the
    customer's rate, then revenue times ``default_rate``. Amounts are rounded
    to cents.
    """
    revenue = as_floats(monetary)
    n = len(revenue)
    given, costs, rates = _floats(margin, n), _floats(cost, n), _floats(margin_rate, n)
    known = ~np.isnan(revenue)
    choice = np.select(
        [~np.isnan(given), known & ~np.isnan(costs), known & ~np.isnan(rates), known],
        [0, 1, 2, 3],
        4,
    )
    value = np.choose(
        choice,
        [given, revenue - costs, revenue * rates, revenue * default_rate, np.full(n, np.nan)],
    )
    source = np.array(["margin", "cost", "rate", "default", None], dtype=object)[choice]
    return np.round(value * 100) / 100, source


def relationship_levels(
    customer_share: Any,
    margin_index: Any,
    *,
    few_share: float = 0.10,
    many_share: float = 0.25,
    low_margin: float = 0.5,
    high_margin: float = 1.5,
) -> pd.DataFrame:
    """Kotler's level from a share of customers (0-1) and a margin index.

    Returns ``share_level``, ``margin_level`` and ``level`` (codes; None where
    an input is missing or the share is outside 0-1).
    """
    share = as_floats(customer_share)
    index = as_floats(margin_index)
    n = max(len(share), len(index))
    share, index = np.broadcast_to(share, (n,)), np.broadcast_to(index, (n,))
    with np.errstate(invalid="ignore"):
        valid = (share >= 0) & (share <= 1)
        share_at = np.select(
            [valid & (share >= many_share), valid & (share >= few_share), valid], [0, 1, 2], 3
        )
        margin_at = np.select(
            [index >= high_margin, index >= low_margin, index > -np.inf], [0, 1, 2], 3
        )
    missing = (share_at == 3) | (margin_at == 3)
    level = _GRID[np.where(missing, 3, share_at), np.where(missing, 0, margin_at)]
    return pd.DataFrame(
        {
            "share_level": pd.Series(
                np.array([*SHARE_LEVELS, None], dtype=object)[share_at], dtype=object
            ),
            "margin_level": pd.Series(
                np.array([*MARGIN_LEVELS, None], dtype=object)[margin_at], dtype=object
            ),
            "level": pd.Series(level, dtype=object),
        }
    )


def relationship_table(
    rfm_class: Any,
    margin: Any,
    *,
    few_share: float = 0.10,
    many_share: float = 0.25,
    low_margin: float = 0.5,
    high_margin: float = 1.5,
) -> pd.DataFrame:
    """One row per RFM class: ``rfm_class``, ``customers``, ``customer_share``,
    ``margin`` (sum), ``margin_per_customer``, ``margin_index``,
    ``share_level``, ``margin_level``, ``level``. Classes without customers
    have no level. Customers without a margin count in the share and are left
    out of the margin means."""
    at = pd.Index(RFM_CLASSES).get_indexer(pd.Index(np.asarray(rfm_class, dtype=object)))
    cents = np.round(as_floats(margin) * 100)
    classed = at >= 0
    rated = classed & ~np.isnan(cents)
    total = int(classed.sum())
    count = np.bincount(at[classed], minlength=8)
    known = np.bincount(at[rated], minlength=8)
    sums = np.bincount(at[rated], weights=cents[rated], minlength=8)
    mean_all = cents[rated].mean() if rated.any() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        per_customer = np.where(known > 0, sums / np.maximum(known, 1), np.nan) / 100
        share = count / total if total else np.full(8, np.nan)
        index = (
            per_customer * 100 / mean_all
            if not np.isnan(mean_all) and mean_all > 0
            else np.full(8, np.nan)
        )
    share = np.where(count > 0, share, np.nan)
    levels = relationship_levels(
        share,
        index,
        few_share=few_share,
        many_share=many_share,
        low_margin=low_margin,
        high_margin=high_margin,
    )
    return pd.DataFrame(
        {
            "rfm_class": list(RFM_CLASSES),
            "customers": count.astype(np.int64),
            "customer_share": share,
            "margin": sums / 100,
            "margin_per_customer": per_customer,
            "margin_index": index,
            "share_level": levels["share_level"].to_numpy(dtype=object),
            "margin_level": levels["margin_level"].to_numpy(dtype=object),
            "level": levels["level"].to_numpy(dtype=object),
        }
    )


def level_label(code: str, lang: str = "en") -> str:
    """A relationship level in ``lang``."""
    return {
        "basic": tp("relationship", "Basic", lang),
        "reactive": tp("relationship", "Reactive", lang),
        "accountable": tp("relationship", "Accountable", lang),
        "proactive": tp("relationship", "Proactive", lang),
        "partnership": tp("relationship", "Partnership", lang),
    }[code]


def share_label(code: str, lang: str = "en") -> str:
    """A row of the matrix (how many customers) in ``lang``."""
    return {
        "many": tp("customer count", "Many customers", lang),
        "medium": tp("customer count", "Some customers", lang),
        "few": tp("customer count", "Few customers", lang),
    }[code]


def margin_label(code: str, lang: str = "en") -> str:
    """A column of the matrix (how much margin) in ``lang``."""
    return {
        "high": tp("margin", "High margin", lang),
        "medium": tp("margin", "Medium margin", lang),
        "low": tp("margin", "Low margin", lang),
    }[code]
