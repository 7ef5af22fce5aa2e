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
    summary = pareto_summary([40.0, 30.0, 20.0, 10.0, 0.0, 0.0, 0.0])  # 20 % of 7 -> 2
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
    for values in ([], [np.nan, np.nan], [0.0, 0.0], [10.0, -20.0]):
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
