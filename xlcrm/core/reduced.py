"""Orders -> one row per customer: the reduction every engine computes.

The per-customer rules (scores, classes, tiers, churn, grades, follow-ups,
ABC) need only a handful of numbers per customer. :class:`Reduced` holds
them; :func:`reduce_book` computes them from an :class:`~xlcrm.core.rfm.OrderBook`
with numpy (the in-memory path), and ``xlcrm.engine`` computes the same table
with SQL in DuckDB or Spark for histories that do not fit in memory.
:func:`xlcrm.core.analysis.analyze` accepts either orders or a
:class:`Reduced`.

Definitions (the contract both reductions keep, see ``docs/engines.md``):

- Orders are dated on or before ``as_of``; rows sharing a customer and an
  order id are one order (amounts added, dated on the earliest row).
- Money is integer cents: each row's amount is rounded to cents (half away
  from zero) before anything is added.
- A purchase is an order of 0 or more, except an order whose lines include a
  refund and add up to 0 or less (fully refunded); a refund lowers net spend only.
- ``first_order_day``: the earliest order, refunds included (first seen).
- ``frequency``: purchases; ``first_day``/``last_day``: first and last purchase.
- ``net_cents``: all orders, refunds included.
- ``orders``: orders, refunds included.
- ``median_gap_days``: median of the days between consecutive purchase days
  (NaN with fewer than two).
- ``recent_purchases``/``prior_purchases``: purchases in the last
  ``window_days`` and in the window before; ``active_windows``: how many of
  the last ``loyal_windows`` windows hold a purchase.
- ``purchase_days``: days with a purchase; ``first_day_cents``: what the
  purchases of the first purchase day add up to; ``purchase_cents``: all
  purchases. With them the value model's inputs follow (:func:`value_inputs`).
- ``history_windows``/``history_active``: whole windows of ``value_horizon_days``
  since the first purchase (counted back from as_of) and how many hold a
  purchase (:func:`xlcrm.core.loyalty.repurchase_from_history`).

Day numbers count days since 1970-01-01. ``first_day``, ``last_day`` are 0
and ``median_gap_days`` NaN where there is no purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from xlcrm.core.lifecycle import rhythm_columns
from xlcrm.core.loyalty import repurchase_from_history
from xlcrm.core.rfm import OrderBook, compact_key, purchase_stats
from xlcrm.core.settings import Settings

__all__ = ["REDUCED_COLUMNS", "Reduced", "reduce_book", "repurchase_history", "value_inputs"]

#: Columns of the per-customer table after ``customer_id`` (all int64 but the median).
REDUCED_COLUMNS: Final = (
    "first_order_day",
    "orders",
    "frequency",
    "net_cents",
    "first_day",
    "last_day",
    "median_gap_days",
    "active_windows",
    "recent_purchases",
    "prior_purchases",
    "purchase_days",
    "first_day_cents",
    "purchase_cents",
    "history_windows",
    "history_active",
)
_FLOATS: Final = frozenset({"median_gap_days"})


@dataclass(frozen=True)
class Reduced:
    """One row per customer with an order on or before ``as_of_day``.

    ``ids`` holds the customer ids (text); ``columns`` one array per name of
    :data:`REDUCED_COLUMNS`, aligned with ``ids``. ``as_of_day``,
    ``window_days``, ``loyal_windows`` and ``history_days`` are what the
    windows were counted with; :func:`xlcrm.core.analysis.analyze` refuses a
    table made for other ones.
    """

    ids: np.ndarray
    columns: dict[str, np.ndarray]
    as_of_day: int
    window_days: int
    loyal_windows: int
    history_days: int

    @property
    def n_customers(self) -> int:
        return len(self.ids)

    def check(self, as_of_day: int, settings: Settings) -> None:
        """Raise ``ValueError`` when the table was made for another date or windows."""
        made = (self.as_of_day, self.window_days, self.loyal_windows, self.history_days)
        wanted = (
            as_of_day,
            settings.window_days,
            settings.loyal_windows,
            settings.value_horizon_days,
        )
        if made != wanted:
            raise ValueError(f"customer table made for {made}, analysis wants {wanted}")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, as_of_day: int, settings: Settings) -> Reduced:
        """From a table with ``customer_id`` and :data:`REDUCED_COLUMNS` (missing -> 0/NaN)."""
        columns: dict[str, np.ndarray] = {}
        for name in REDUCED_COLUMNS:
            values = frame[name]
            if name in _FLOATS:
                columns[name] = values.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                columns[name] = values.to_numpy(dtype=np.int64, na_value=0)
        ids = frame["customer_id"].to_numpy(dtype=object)
        return cls(
            ids,
            columns,
            as_of_day,
            settings.window_days,
            settings.loyal_windows,
            settings.value_horizon_days,
        )

    def to_frame(self) -> pd.DataFrame:
        """``customer_id`` and :data:`REDUCED_COLUMNS`, sorted by ``customer_id``."""
        order = np.argsort(self.ids.astype(str), kind="stable")
        data = {"customer_id": pd.Series(self.ids[order], dtype=str)}
        for name in REDUCED_COLUMNS:
            data[name] = pd.Series(self.columns[name][order])
        return pd.DataFrame(data)


def reduce_book(book: OrderBook, settings: Settings) -> Reduced:
    """The per-customer table of an order book (numpy; see the module's definitions)."""
    n = book.n_customers
    stats = purchase_stats(book)
    rhythm = rhythm_columns(book, stats, settings)
    first_order = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_order, book.code, book.day)
    cents = book.cents
    net = np.zeros(n, dtype=np.int64)
    np.add.at(net, book.code, cents)
    days, first_cents, total = _purchase_days(book)
    probability, history = repurchase_from_history(book, window_days=settings.value_horizon_days)
    active = np.where(np.isnan(probability), 0, np.round(probability * history)).astype(np.int64)
    columns = {
        "first_order_day": np.where(first_order < np.iinfo(np.int64).max, first_order, 0),
        "orders": np.bincount(book.code, minlength=n).astype(np.int64),
        "frequency": stats.frequency.astype(np.int64),
        "net_cents": net,
        "first_day": stats.first_day.astype(np.int64),
        "last_day": stats.last_day.astype(np.int64),
        "median_gap_days": rhythm["median_gap_days"].astype(np.float64),
        "active_windows": rhythm["active_windows"].astype(np.int64),
        "recent_purchases": rhythm["recent_purchases"].astype(np.int64),
        "prior_purchases": rhythm["prior_purchases"].astype(np.int64),
        "purchase_days": days,
        "first_day_cents": first_cents,
        "purchase_cents": total,
        "history_windows": history,
        "history_active": active,
    }
    return Reduced(
        book.ids,
        columns,
        book.as_of_day,
        settings.window_days,
        settings.loyal_windows,
        settings.value_horizon_days,
    )


def _purchase_days(book: OrderBook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: days with a purchase, cents of the first such day, cents of all."""
    n = book.n_customers
    buy = book.purchase
    code, day, cents = book.code[buy], book.day[buy], book.cents[buy]
    days = np.zeros(n, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    if not code.size:
        return days, first, total
    lo = int(day.min())
    span = int(day.max()) - lo + 1
    key, where = np.unique(compact_key(code, span, day - lo, n), return_inverse=True)
    day_cents = np.zeros(key.size, dtype=np.int64)
    np.add.at(day_cents, where.reshape(-1), cents)
    who = key // span
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    owner = who[starts]
    days[owner] = np.diff(np.r_[starts, who.size])
    first[owner] = day_cents[starts]
    total[owner] = np.add.reduceat(day_cents, starts)
    return days, first, total


def value_inputs(reduced: Reduced) -> dict[str, np.ndarray]:
    """The value model's inputs per customer of ``reduced``.

    ``repeat_days`` (purchase days after the first), ``span_days`` (first to
    last purchase day), ``age_days`` (first purchase day to as_of) and
    ``mean_repeat_spend`` (what a repeat purchase day adds up to on average;
    NaN without one). Times are NaN for customers without a purchase.
    """
    c = reduced.columns
    bought = c["frequency"] > 0
    repeat = np.maximum(c["purchase_days"] - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(
            repeat > 0,
            (c["purchase_cents"] - c["first_day_cents"]) / np.maximum(repeat, 1) / 100.0,
            np.nan,
        )
    return {
        "repeat_days": repeat.astype(np.int64),
        "span_days": np.where(bought, (c["last_day"] - c["first_day"]).astype(float), np.nan),
        "age_days": np.where(bought, (reduced.as_of_day - c["first_day"]).astype(float), np.nan),
        "mean_repeat_spend": mean,
    }


def repurchase_history(reduced: Reduced) -> np.ndarray:
    """Share of the whole windows since the first purchase that hold a purchase
    (:func:`xlcrm.core.loyalty.repurchase_from_history`); NaN without a window."""
    c = reduced.columns
    windows = c["history_windows"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(windows > 0, c["history_active"] / np.maximum(windows, 1), np.nan)
    return share.astype(np.float64)
