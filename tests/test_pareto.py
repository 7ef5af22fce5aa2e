"""Revenue concentration and ABC classes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from xlcrm.core import pareto
from xlcrm.core.pareto import abc_classes, pareto_summary
from xlcrm.core.settings import Settings


def test_top_share_and_customers_making_80_percent():
    summary = pareto_summary([50.0, 30.0, 10.0, 5.0, 5.0, np.nan])
    assert summary.customers == 6
    assert summary.purchasing == 5
    assert summary.revenue == 100.0
    assert summary.top_share == 0.5  # top 20 % of 5 customers = 1 customer
    assert summary.customers_for_80 == 2
    expected_curve = pd.DataFrame(
        {
            "customer_share": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            "revenue_share": [0.0, 0.5, 0.8, 0.9, 0.95, 1.0],
        }
    )
    assert_frame_equal(summary.curve, expected_curve)


def test_top_share_rounds_the_customer_count_up():
    summary = pareto_summary([40.0, 30.0, 20.0, 5.0, 3.0, 1.0, 1.0])  # 20 % of 7 -> 2
    assert summary.top_share == 0.7


def test_pareto_share_setting_is_used():
    summary = pareto_summary([50.0, 30.0, 10.0, 5.0, 5.0], settings=Settings(pareto_top_share=0.4))
    assert summary.top_share == 0.8


def test_curve_has_at_most_about_200_points():
    summary = pareto_summary(np.arange(1, 10_001, dtype=float))
    assert len(summary.curve) == 201
    assert summary.curve.iloc[0].tolist() == [0.0, 0.0]
    assert summary.curve.iloc[-1].tolist() == [1.0, 1.0]


def test_no_revenue_gives_nan_share_and_zero_customers():
    for values in ([], [np.nan, np.nan], [0.0, 0.0], [-10.0, -20.0], [0.004]):
        summary = pareto_summary(values)
        assert math.isnan(summary.top_share)
        assert summary.customers_for_80 == 0


def test_one_customer_makes_all_revenue():
    summary = pareto_summary([12.5])
    assert (summary.top_share, summary.customers_for_80) == (1.0, 1)


def test_abc_classes_with_ties_sharing_a_class():
    result = abc_classes([5.0, 50.0, 10.0, 30.0, 5.0, np.nan, 0.0, -3.0])
    # shares before each, biggest first: 0, .5, .8, .9 (the two 5s tie)
    assert result.tolist() == ["B", "A", "B", "A", "B", None, None, None]


def test_abc_crossing_customer_belongs_to_a():
    assert abc_classes([70.0, 20.0, 6.0, 4.0]).tolist() == ["A", "A", "B", "C"]


def test_abc_all_equal_customers_are_all_a():
    assert abc_classes([3.0, 3.0, 3.0]).tolist() == ["A", "A", "A"]


def test_abc_from_explicit_floors_leaves_no_revenue_unclassed():
    got = pareto.abc_from_floors([500, 100, 99, 0.5, 0, -3, float("nan")], a_min=500, b_min=100)
    assert list(got) == ["A", "B", "C", "C", None, None, None]


def test_one_base_customers_with_no_positive_spend_are_outside():
    # net spend after refunds: two customers gave everything back, one more
    summary = pareto_summary([50.0, 50.0, -40.0, 0.0, np.nan])
    assert (summary.purchasing, summary.positive) == (4, 2)
    assert (summary.revenue, summary.base) == (60.0, 100.0)
    assert summary.top_share == 0.5
    assert summary.customers_for_80 == 2
    assert summary.curve["revenue_share"].max() == 1.0
    assert summary.curve["revenue_share"].is_monotonic_increasing
    assert abc_classes([50.0, 50.0, -40.0, 0.0, np.nan]).tolist() == ["A", "A", None, None, None]


def test_customers_for_80_are_class_a_ties_included():
    values = [40.0, 30.0, 10.0, 10.0, 10.0]
    summary = pareto_summary(values)
    # 40 + 30 = 70 % < 80 %: the next one crosses, and the two that spend as much join
    assert abc_classes(values).tolist() == ["A", "A", "A", "A", "A"]
    assert summary.customers_for_80 == 5
    assert pareto_summary([70.0, 20.0, 6.0, 4.0]).customers_for_80 == 2


def test_equal_money_in_cents_ranks_alike_whatever_the_float_noise():
    noisy = 0.1 + 0.2  # 0.30000000000000004
    a, b, _ = abc_classes([noisy, 0.3, 9.4]).tolist()
    assert a == b == "B"  # 9.4 makes 94 %: the two 0.30s share the last 6 %
    rng = np.random.default_rng(1)
    values = rng.choice([52.87, 0.1 + 0.2, 0.3, 19.99, 100.0], size=300)
    first = pareto_summary(values)
    again = pareto_summary(rng.permutation(values))
    assert (first.top_share, first.customers_for_80) == (again.top_share, again.customers_for_80)
    assert_frame_equal(first.curve, again.curve)


def test_abc_classes_of_many_ties_follow_the_revenue_before_each_amount() -> None:
    rng = np.random.default_rng(8)
    spend = rng.choice([5.0, 19.9, 120.0, 999.99, 0.0, -3.0], 3_000) * rng.integers(1, 3, 3_000)
    got = abc_classes(spend)
    cents = np.round(spend * 100).astype(np.int64)
    positive = cents[cents > 0]
    total = positive.sum()
    for amount in np.unique(positive):
        before = positive[positive > amount].sum() / total
        want = "A" if before < 0.8 - 1e-12 else "B" if before < 0.95 - 1e-12 else "C"
        assert set(got[cents == amount]) == {want}, amount
    assert set(got[cents <= 0]) == {None}
