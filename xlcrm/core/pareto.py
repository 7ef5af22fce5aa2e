"""Revenue concentration (Pareto 80/20) and ABC classes.

Both take the per-customer net revenue (``monetary``; NaN for customers
without a purchase) as a plain 1-D array, list or Series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import as_floats
from xlcrm.core.schema import ABC_CLASSES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__all__ = ["CURVE_POINTS", "ParetoSummary", "abc_classes", "abc_from_floors", "pareto_summary"]

#: At most this many segments on the concentration curve (plus the origin).
CURVE_POINTS: Final = 200


@dataclass(frozen=True)
class ParetoSummary:
    """How concentrated revenue is.

    Attributes
    ----------
    customers
        All customers given (with or without a purchase).
    purchasing
        Customers with a purchase (non-missing ``monetary``).
    revenue
        Net revenue of all purchasing customers.
    top_share
        Revenue share of the top ``pareto_top_share`` of purchasing
        customers (rounded up to whole customers); NaN when revenue <= 0.
    customers_for_80
        Fewest customers, biggest first, whose revenue reaches
        ``abc_a_share`` (80 %) of revenue; 0 when revenue <= 0.
    curve
        ``customer_share`` and ``revenue_share`` (0-1) of the concentration
        curve, biggest customers first, at most ``CURVE_POINTS + 1`` points.
    """

    customers: int
    purchasing: int
    revenue: float
    top_share: float
    customers_for_80: int
    curve: pd.DataFrame


def pareto_summary(monetary: Any, *, settings: Settings = DEFAULT_SETTINGS) -> ParetoSummary:
    """Pareto summary of per-customer revenue (see :class:`ParetoSummary`)."""
    values = as_floats(monetary)
    paid = np.sort(values[~np.isnan(values)])[::-1]
    n = paid.size
    revenue = float(paid.sum()) if n else 0.0
    cumulative = np.cumsum(paid)
    if n and revenue > 0:
        top_n = int(np.ceil(settings.pareto_top_share * n - 1e-9))
        top_share = float(cumulative[top_n - 1] / revenue)
        reach = np.flatnonzero(cumulative >= settings.abc_a_share * revenue - 1e-9 * revenue)
        customers_for_80 = int(reach[0] + 1)
    else:
        top_share, customers_for_80 = float("nan"), 0
    steps = np.unique(np.linspace(0, n, min(n, CURVE_POINTS) + 1).round().astype(np.int64))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.r_[0.0, cumulative][steps] / revenue if revenue > 0 else np.zeros(steps.size)
        who = steps / n if n else np.zeros(steps.size)
    curve = pd.DataFrame({"customer_share": who.astype(np.float64), "revenue_share": share})
    return ParetoSummary(len(values), n, revenue, top_share, customers_for_80, curve)


def abc_classes(monetary: Any, *, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """ABC class per customer (object array of "A", "B", "C" or None).

    Customers with positive revenue are ranked biggest first: A are those
    making the first ``abc_a_share`` (80 %) of positive revenue (the customer
    who crosses the line included), B the next up to ``abc_b_share`` (95 %),
    C the rest. Equal revenue always gets the same class. Customers without
    positive revenue get None.
    """
    values = as_floats(monetary)
    out = np.full(values.shape, None, dtype=object)
    positive = np.flatnonzero(values > 0)
    if positive.size == 0:
        return out
    amounts = values[positive]
    order = np.argsort(-amounts, kind="stable")
    ranked = amounts[order]
    before = np.r_[0.0, np.cumsum(ranked)[:-1]] / ranked.sum()
    # Ties take the share before the first of them, so they share a class.
    new_value = np.r_[True, ranked[1:] != ranked[:-1]]
    before = before[np.maximum.accumulate(np.where(new_value, np.arange(ranked.size), 0))]
    tolerance = 1e-12
    index = np.select(
        [before < settings.abc_a_share - tolerance, before < settings.abc_b_share - tolerance],
        [0, 1],
        default=2,
    )
    out[positive[order]] = np.array(ABC_CLASSES, dtype=object)[index]
    return out


def abc_from_floors(monetary: Any, *, a_min: float, b_min: float) -> np.ndarray:
    """ABC class from explicit revenue floors (the Excel per-cell form).

    Revenue >= ``a_min`` is A, >= ``b_min`` B, any other positive revenue C;
    no positive revenue gives None, as in :func:`abc_classes`.
    """
    values = as_floats(monetary)
    with np.errstate(invalid="ignore"):
        index = np.select([values >= a_min, values >= b_min, values > 0], [0, 1, 2], 3)
    return np.array([*ABC_CLASSES, None], dtype=object)[index]
