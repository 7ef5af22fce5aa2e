"""Revenue concentration (Pareto 80/20) and ABC classes.

Both take the per-customer net revenue (``monetary``; NaN for customers
without a purchase) as a plain 1-D array, list or Series, and work in whole
cents so that equal spends are ranked and classed alike whatever the order
of the rows. Customers with a net spend of zero or less are outside both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.rfm import as_floats
from xlcrm.core.schema import ABC_CLASSES
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "CURVE_POINTS",
    "ParetoSummary",
    "abc_classes",
    "abc_from_floors",
    "abc_index",
    "cents",
    "pareto_summary",
]

#: At most this many segments on the concentration curve (plus the origin).
CURVE_POINTS: Final = 200


@dataclass(frozen=True)
class ParetoSummary:
    """How concentrated revenue is.

    One base for everything here: the net spend (``monetary``) of customers
    whose net spend is positive, summed in whole cents. Customers with a
    purchase but zero or negative net spend (refunds as large as their
    purchases) are outside the concentration figures and the ABC classes.

    Attributes
    ----------
    customers
        All customers given (with or without a purchase).
    purchasing
        Customers with a purchase (non-missing ``monetary``).
    revenue
        Net revenue of all purchasing customers (negative net spend included).
    base
        Net spend of the customers with a positive one: the 100 % of
        ``top_share``, ``customers_for_80`` and the curve.
    positive
        How many customers have a positive net spend.
    top_share
        Share of ``base`` from the top ``pareto_top_share`` of the customers
        with a positive net spend (rounded up to whole customers); NaN when
        there are none.
    customers_for_80
        Customers who make the first ``abc_a_share`` (80 %) of ``base``,
        biggest first: class A of :func:`abc_classes` (the customer who
        crosses the line included, and anyone spending as much); 0 when
        there are none.
    curve
        ``customer_share`` and ``revenue_share`` (0-1, never above 1) of the
        concentration curve over the customers with a positive net spend,
        biggest first, at most ``CURVE_POINTS + 1`` points.
    """

    customers: int
    purchasing: int
    revenue: float
    top_share: float
    customers_for_80: int
    curve: pd.DataFrame
    base: float = 0.0
    positive: int = 0


def cents(values: Any) -> np.ndarray:
    """Money as whole cents (int64); NaN stays out (callers mask it first)."""
    return np.round(as_floats(values) * 100).astype(np.int64)


def _shares_before(ranked: np.ndarray) -> tuple[np.ndarray, int]:
    """Share of the total before each customer (biggest first, whole cents), ties
    taking the share before the first of them; and the total in cents."""
    running = np.cumsum(ranked)
    total = int(running[-1])
    before = np.r_[0, running[:-1]]
    new_value = np.r_[True, ranked[1:] != ranked[:-1]]
    before = before[np.maximum.accumulate(np.where(new_value, np.arange(ranked.size), 0))]
    return before / total, total


def _classes(ranked: np.ndarray, settings: Settings) -> np.ndarray:
    """Index into ABC_CLASSES of each ranked customer (cents > 0, biggest first)."""
    before, _ = _shares_before(ranked)
    tolerance = 1e-12
    index: np.ndarray = np.select(
        [before < settings.abc_a_share - tolerance, before < settings.abc_b_share - tolerance],
        [0, 1],
        default=2,
    )
    return index


def pareto_summary(monetary: Any, *, settings: Settings = DEFAULT_SETTINGS) -> ParetoSummary:
    """Pareto summary of per-customer net spend (see :class:`ParetoSummary`)."""
    values = as_floats(monetary)
    bought = ~np.isnan(values)
    amounts = cents(values[bought])
    revenue = int(amounts.sum()) / 100
    ranked = np.sort(amounts[amounts > 0])[::-1]
    n = ranked.size
    if n:
        top_n = int(np.ceil(settings.pareto_top_share * n - 1e-9))
        running = np.cumsum(ranked)
        base_cents = int(running[-1])
        top_share = float(running[top_n - 1] / base_cents)
        customers_for_80 = int((_classes(ranked, settings) == 0).sum())
    else:
        running = np.zeros(0, dtype=np.int64)
        base_cents, top_share, customers_for_80 = 0, float("nan"), 0
    steps = np.unique(np.linspace(0, n, min(n, CURVE_POINTS) + 1).round().astype(np.int64))
    share = np.r_[0, running][steps] / base_cents if n else np.zeros(steps.size)
    who = steps / n if n else np.zeros(steps.size)
    curve = pd.DataFrame(
        {"customer_share": who.astype(np.float64), "revenue_share": np.minimum(share, 1.0)}
    )
    return ParetoSummary(
        customers=len(values),
        purchasing=int(bought.sum()),
        revenue=revenue,
        top_share=top_share,
        customers_for_80=customers_for_80,
        curve=curve,
        base=base_cents / 100,
        positive=n,
    )


def abc_classes(monetary: Any, *, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """ABC class per customer (object array of "A", "B", "C" or None).

    Customers with a positive net spend are ranked biggest first, in whole
    cents: A are those making the first ``abc_a_share`` (80 %) of the net
    spend of all of them (the customer who crosses the line included), B the
    next up to ``abc_b_share`` (95 %), C the rest. Equal spends always get
    the same class. Customers with no purchase, or a net spend of zero or
    less, get None: they are outside the classes.
    """
    index = abc_index(monetary, settings=settings)
    return np.array([*ABC_CLASSES, None], dtype=object)[index]


def abc_index(monetary: Any, *, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """:func:`abc_classes` as positions in ``ABC_CLASSES`` (int8; -1: outside the classes)."""
    values = as_floats(monetary)
    out = np.full(values.shape, -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        positive = np.flatnonzero(values > 0)
    amounts = cents(values[positive])
    keep = amounts > 0  # 0.004 is no spend in cents
    positive, amounts = positive[keep], amounts[keep]
    if positive.size == 0:
        return out
    # equal spends share a class whatever their order: no stable sort needed (3 times
    # slower over ten million customers)
    order = np.argsort(-amounts)
    out[positive[order]] = _classes(amounts[order], settings)
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
