"""The long tail: customers after the first 80 % of revenue, and its trend by year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlcrm.core.longtail import long_tail, tail_mask
from xlcrm.core.pareto import abc_classes
from xlcrm.core.rfm import prepare_orders


def _book(rows: list[tuple[str, str, float]], as_of: str):
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    return prepare_orders(orders, as_of=as_of)


def test_tail_is_everyone_after_the_customer_who_crosses_80_percent():
    cents = np.array([5000, 3000, 1000, 500, 500, 0, -100])
    tail = tail_mask(np.zeros(7, dtype=np.int64), cents, 0.8)
    assert tail.tolist() == [False, False, True, True, True, False, False]


def test_equal_revenue_is_on_the_same_side():
    tail = tail_mask(np.zeros(3, dtype=np.int64), np.array([4000, 4000, 2000]), 0.8)
    assert tail.tolist() == [False, False, True]


def test_tail_agrees_with_abc_classes():
    rng = np.random.default_rng(3)
    cents = rng.integers(1, 10_000, 500) * rng.integers(1, 4, 500)
    tail = tail_mask(np.zeros(500, dtype=np.int64), cents, 0.8)
    abc = abc_classes(cents / 100)
    assert (tail == (abc != "A")).all()


def test_groups_are_ranked_on_their_own():
    group = np.array([0, 0, 0, 1, 1])
    cents = np.array([100, 10, 10, 50, 50])
    assert tail_mask(group, cents, 0.8).tolist() == [False, True, True, False, False]


def test_shares_of_customers_and_revenue():
    book = _book(
        [
            ("A", "2024-01-05", 50.0),
            ("B", "2024-02-05", 30.0),
            ("C", "2024-03-05", 10.0),
            ("D", "2024-03-06", 5.0),
            ("E", "2024-03-07", 5.0),
            ("F", "2024-03-08", 5.0),
            ("F", "2024-03-09", -5.0),  # net 0: neither head nor tail
        ],
        "2024-06-30",
    )
    tail = long_tail(book)
    assert (tail.customers, tail.tail_customers) == (5, 3)
    assert (tail.revenue, tail.tail_revenue) == (100.0, 20.0)
    assert (tail.customer_share, tail.revenue_share) == (0.6, 0.2)
    assert tail.years.empty  # purchases span less than a year


def test_trend_by_calendar_year_when_purchases_span_more_than_a_year():
    book = _book(
        [
            ("A", "2023-03-01", 90.0),
            ("B", "2023-04-01", 10.0),
            ("A", "2024-03-01", 50.0),
            ("B", "2024-04-01", 30.0),
            ("C", "2024-04-02", 20.0),
        ],
        "2024-06-30",
    )
    years = long_tail(book).years
    assert years["year"].tolist() == [2023, 2024]
    assert years["to_date"].tolist() == [False, True]
    assert years["customers"].tolist() == [2, 3]
    assert years["tail_customers"].tolist() == [1, 1]
    assert years["revenue_share"].tolist() == [0.1, 0.2]
