"""Loyalty: three indicators, the level, the named gaps, repurchase from history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core import loyalty
from xlcrm.core.loyalty import (
    describe_loyalty,
    dissatisfied_loyal,
    loyalty_levels,
    recommend_indicator,
    recommend_values,
    repurchase_from_history,
    repurchase_indicator,
    satisfaction_indicator,
    satisfaction_scores,
)
from xlcrm.core.rfm import prepare_orders
from xlcrm.core.schema import LABELS, TIER_LABELS


def test_nps_edges():
    found = recommend_indicator([0, 6, 7, 8, 9, 10, 6.5, 8.9])
    assert found.tolist() == ["low", "low", "middle", "middle", "high", "high", "low", "middle"]


def test_recommend_words_and_bad_values():
    level, nps, bad = recommend_values(
        [
            "Very likely",
            "很大可能",
            "possible",
            "有可能",
            "unlikely",
            "不可能",
            "",
            None,
            11,
            "soon",
            -1,
        ]
    )
    assert level.tolist() == [
        "high", "high", "middle", "middle", "low", "low", None, None, None, None, None
    ]  # fmt: skip
    assert bad.tolist() == [False] * 8 + [True, True, True]
    assert np.isnan(nps[:8]).all()


def test_nps_number_kept_where_given():
    _, nps, _ = recommend_values(["9", 3, "likely"])
    assert nps[:2].tolist() == [9.0, 3.0] and np.isnan(nps[2])


def test_satisfaction_edges_numbers_and_words():
    values = [5, 4, 3.99, 3, 2.99, 2, 1, "very satisfied", "比较满意", "满意", "不满意", "很不满意"]
    assert satisfaction_indicator(values).tolist() == [
        "high", "high", "middle", "middle", "low", "low", "low",
        "high", "high", "middle", "low", "low",
    ]  # fmt: skip


def test_satisfaction_out_of_range_is_a_bad_cell():
    score, bad = satisfaction_scores([0, 6, "great", "4分", None, True])
    assert np.isnan(score[[0, 1, 2, 4, 5]]).all() and score[3] == 4.0
    assert bad.tolist() == [True, True, True, False, False, True]


def test_repurchase_edges_match_the_value_models_band():
    assert repurchase_indicator([0.71, 0.7, 0.3, 0.2999, np.nan, 0.0]).tolist() == [
        "high",
        "middle",
        "middle",
        "low",
        None,
        "low",
    ]


def test_level_from_known_indicators_and_the_missing_ones_named():
    found = loyalty_levels(
        ["high", "high", "high", "low", None, "middle", None],
        ["high", None, "middle", "high", None, None, "low"],
        ["high", "high", "high", "high", None, None, "high"],
    )
    expected = pd.DataFrame(
        {
            "loyalty_level": [
                "advocate", "advocate", "steady", "at_risk", None, "steady", "at_risk"
            ],
            "loyalty_missing": [
                None, "repurchase", None, None, "satisfaction+repurchase+recommend",
                "repurchase+recommend", "satisfaction",
            ],
        },
        dtype=object,
    )  # fmt: skip
    assert_frame_equal(found, expected)


def test_describe_names_the_missing_indicators_in_both_languages():
    words = describe_loyalty(["steady", "advocate", None], ["recommend", None, "satisfaction"])
    assert words.tolist() == ["Steady (without recommendation)", "Advocate", "No loyalty indicator"]
    zh = describe_loyalty(["at_risk"], ["satisfaction+recommend"], "zh")
    assert "满意度" in zh[0] and "推荐" in zh[0]


def test_level_names_do_not_collide_with_tiers_or_segments():
    for lang in ("en", "zh"):
        taken = {v[lang] for v in LABELS.values()} | {v[lang] for v in TIER_LABELS.values()}
        names = {loyalty.level_label(code, lang) for code in loyalty.LEVELS}
        assert len(names) == 3 and not names & taken


def test_repurchase_from_history_counts_whole_windows_after_the_first_purchase():
    days = {
        "A": [0, 100, 200, 300],  # 3 of 4 windows
        "B": [300],  # first purchase 65 days ago: no whole window yet
        "C": [0],  # 4 windows, none with a purchase
        "D": [0, 10, 20],  # both repeats in the oldest window
    }
    base = pd.Timestamp("2023-01-01")
    orders = pd.DataFrame(
        [
            {"customer_id": c, "order_date": base + pd.Timedelta(days=d), "amount": 10.0}
            for c, ds in days.items()
            for d in ds
        ]
        + [{"customer_id": "C", "order_date": base + pd.Timedelta(days=200), "amount": -5.0}]
    )
    book = prepare_orders(orders, as_of=base + pd.Timedelta(days=365))
    probability, windows = repurchase_from_history(book, window_days=90)
    found = dict(
        zip(book.ids, zip(probability.tolist(), windows.tolist(), strict=True), strict=True)
    )
    assert found["A"] == (0.75, 4)
    assert np.isnan(found["B"][0]) and found["B"][1] == 0
    assert found["C"] == (0.0, 4)  # a refund is not a purchase
    assert found["D"] == (0.25, 4)


def test_repurchase_window_must_be_positive():
    book = prepare_orders(
        pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"], "amount": [1.0]}),
        as_of="2024-12-31",
    )
    with pytest.raises(ValueError):
        repurchase_from_history(book, window_days=0)


def test_loyal_customers_with_low_satisfaction_are_flagged():
    found = dissatisfied_loyal(
        ["low", "low", "low", "high", None],
        ["loyal", "new", "repeat", "loyal", "loyal"],
        [None, "high", "middle", "high", "high"],
    )
    assert found.tolist() == [True, True, False, False, False]
