"""Lifecycle tiers, purchase rhythm and the churn warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from xlcrm.core.lifecycle import (
    activity_windows,
    assign_tiers,
    churn_warning,
    describe_churn,
    purchase_rhythm,
)
from xlcrm.core.settings import Settings

AS_OF = pd.Timestamp("2024-06-30")


# --- tiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "recency", "tenure", "windows", "tier"),
    [
        (0, np.nan, np.nan, 0, "potential"),
        (np.nan, np.nan, 400, 0, "potential"),
        (1, 5, 5, 1, "new"),
        (2, 5, 400, 1, "repeat"),
        (9, 5, 400, 3, "repeat"),
        (10, 5, 400, 2, "mature"),
        (10, 5, 364, 3, "mature"),
        (10, 5, 365, 3, "loyal"),
        (25, 0, 2000, 3, "loyal"),
        (1, 89, 89, 0, "new"),
        (1, 90, 90, 0, "sleeping"),
        (10, 100, 900, 1, "sleeping"),
        (3, 364, 900, 0, "sleeping"),
        (3, 365, 900, 0, "lost"),
        (30, 800, 2000, 0, "lost"),
    ],
)
def test_tier_rules_and_precedence(frequency, recency, tenure, windows, tier):
    assert assign_tiers([frequency], [recency], [tenure], [windows]).tolist() == [tier]


def test_tier_thresholds_come_from_settings():
    settings = Settings(mature_orders=3, sleep_days=30, lost_days=60)
    result = assign_tiers([3, 3, 3], [10, 30, 60], settings=settings)
    assert result.tolist() == ["mature", "sleeping", "lost"]


def test_without_tenure_or_windows_nobody_is_loyal():
    assert assign_tiers(12, 1).tolist() == ["mature"]


# --- rhythm ----------------------------------------------------------------------------------


def test_purchase_rhythm_median_gap_and_windows():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B", "B", "C"],
            "order_date": pd.to_datetime(
                [
                    "2024-06-20",  # age 10, window 0
                    "2024-06-10",  # age 20, window 0
                    "2024-03-10",  # age 112, window 1
                    "2024-01-10",  # age 172, window 1
                    "2024-06-01",
                    "2024-06-02",  # a refund below
                    "2023-11-01",  # age 242, window 2
                ]
            ),
            "amount": [1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0],
        }
    )
    # A's gaps: 60, 92, 10 -> median 60; B has one purchase
    expected = pd.DataFrame(
        {
            "customer_id": pd.Series(["A", "B", "C"], dtype=str),
            "median_gap_days": [60.0, np.nan, np.nan],
            "active_windows": [2, 1, 1],
            "recent_purchases": [2, 1, 0],
            "prior_purchases": [2, 0, 0],
        }
    )
    result = purchase_rhythm(orders, as_of=AS_OF)
    assert_frame_equal(result, expected, check_dtype=False)


def test_median_gap_of_an_even_number_of_gaps_is_the_middle_mean():
    orders = pd.DataFrame(
        {
            "customer_id": ["A"] * 3,
            "order_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-02-10"]),
            "amount": [1.0, 1.0, 1.0],
        }
    )
    assert purchase_rhythm(orders, as_of=AS_OF)["median_gap_days"].tolist() == [20.0]


def test_same_day_orders_make_no_zero_day_gap():
    orders = pd.DataFrame(
        {
            "customer_id": ["A"] * 5 + ["B"] * 3,
            "order_date": pd.to_datetime(
                ["2024-01-01"] * 3
                + ["2024-01-31", "2024-03-01"]
                + ["2024-05-01"] * 3  # B: three orders on one day
            ),
            "amount": [1.0] * 8,
        }
    )
    rhythm = purchase_rhythm(orders, as_of=AS_OF).set_index("customer_id")
    # A bought on three days: gaps 30 and 30 (not 0, 0, 30, 30 -> 15)
    assert rhythm.loc["A", "median_gap_days"] == 30.0
    assert np.isnan(rhythm.loc["B", "median_gap_days"])
    # same-day orders still count as purchases in the windows
    assert rhythm.loc["B", "recent_purchases"] == 3


def test_activity_windows_count_the_last_window_and_the_one_before():
    activities = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "Z"],
            "date": pd.to_datetime(
                ["2024-06-30", "2024-04-02", "2024-04-01", "2024-07-01", "2024-06-01"]
            ),
        }
    )
    recent, prior = activity_windows(activities, pd.Index(["A", "B"]), as_of=AS_OF)
    assert recent.tolist() == [2, 0]
    assert prior.tolist() == [1, 0]


# --- churn warning ---------------------------------------------------------------------------


def test_gap_warning_when_days_since_purchase_exceed_twice_the_median_gap():
    result = churn_warning(
        recency_days=[21, 20, 50, 95, np.nan],
        frequency=[3, 3, 2, 5, 0],
        median_gap_days=[10, 10, 10, 10, np.nan],
    )
    expected = pd.DataFrame(
        {
            "churn_warning": [True, False, False, False, False],
            "churn_reason": pd.Series(["gap", None, None, None, None], dtype=str),
        }
    )
    assert_frame_equal(result, expected)


def test_drop_warning_when_events_fell_by_half_or_more():
    result = churn_warning(
        recency_days=[5, 5, 5, 5, 100],
        frequency=[1, 1, 1, 1, 1],
        median_gap_days=np.nan,
        recent_events=[2, 3, 0, 0, 0],
        prior_events=[4, 4, 0, 1, 8],
    )
    assert result["churn_warning"].tolist() == [True, False, False, True, False]
    assert result["churn_reason"].fillna("-").tolist() == ["drop", "-", "-", "drop", "-"]


def test_both_reasons_are_reported_together():
    result = churn_warning([30], [4], [10], [1], [6])
    assert result["churn_reason"].tolist() == ["gap+drop"]


def test_churn_warning_keeps_the_series_index():
    result = churn_warning(pd.Series([30.0], index=["x"]), [4], [10])
    assert result.index.tolist() == ["x"]


def test_churn_factor_and_window_come_from_settings():
    settings = Settings(churn_gap_factor=3, churn_min_purchases=2)
    result = churn_warning([25, 31], [2, 2], [10, 10], settings=settings)
    assert result["churn_warning"].tolist() == [False, True]


def test_describe_churn_in_english_and_chinese():
    frame = pd.DataFrame(
        {
            "churn_reason": pd.Series(["gap", "drop", "gap+drop", None], dtype=str),
            "recency_days": [120.0, 5.0, 80.0, 3.0],
            "median_gap_days": [39.0, np.nan, 20.5, np.nan],
            "recent_events": [0, 2, 1, 4],
            "prior_events": [0, 6, 5, 4],
        }
    )
    english = describe_churn(frame, "en")
    expected = pd.Series(
        [
            "no purchase for 120 days, 3.1× the usual gap of 39 days",
            "2 purchases and contacts in the last 90 days, down from 6 in the 90 days before",
            "no purchase for 80 days, 3.9× the usual gap of 20.5 days; "
            "1 purchase or contact in the last 90 days, down from 5 in the 90 days before",
            None,
        ],
        dtype=str,
        name="churn_text",
    )
    assert_series_equal(english, expected)
    chinese = describe_churn(frame, "zh")
    assert chinese[0] == "已 120 天未购买，是平时购买间隔 39 天的 3.1 倍"
    assert chinese[1] == "近 90 天有 2 次购买和联系，之前 90 天有 6 次"
    assert "；" in chinese[2]
    assert pd.isna(chinese[3])


def test_describe_churn_when_earlier_purchases_were_on_one_day():
    frame = pd.DataFrame(
        {
            "churn_reason": pd.Series(["gap"], dtype=str),
            "recency_days": [12.0],
            "median_gap_days": [0.0],
            "recent_events": [0],
            "prior_events": [0],
        }
    )
    assert describe_churn(frame, "en").tolist() == [
        "no purchase for 12 days; earlier purchases all came on one day"
    ]
    assert describe_churn(frame, "zh").tolist() == ["已 12 天未购买；以往的购买都在同一天"]
