"""R/F/M, scores, thresholds, the eight classes and the eleven segments."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core import rfm
from xlcrm.core.errors import InputError, SettingsError
from xlcrm.core.rfm import (
    SEGMENT_GRID,
    classify_rfm,
    compute_rfm,
    quantile_scores,
    rfm_thresholds,
    score_rfm,
    segment_codes,
)
from xlcrm.core.schema import RFM_CLASSES, SEGMENTS
from xlcrm.core.settings import Settings

AS_OF = pd.Timestamp("2024-03-31")


def orders(rows: list[tuple], with_id: bool = False) -> pd.DataFrame:
    columns = ["customer_id", "order_date", "amount"]
    if with_id:
        columns = ["order_id", *columns]
    frame = pd.DataFrame(rows, columns=columns)
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def expected_rfm(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "first_purchase",
            "last_purchase",
            "recency_days",
            "frequency",
            "monetary",
        ],
    )
    frame["customer_id"] = frame["customer_id"].astype(str)
    for col in ("first_purchase", "last_purchase"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["recency_days"] = frame["recency_days"].astype("float64")
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["monetary"] = frame["monetary"].astype("float64")
    return frame


# --- compute_rfm ----------------------------------------------------------------


def test_refund_lowers_monetary_but_is_not_a_purchase_and_keeps_last_date():
    data = orders(
        [
            ("A", "2024-01-10", 100),
            ("A", "2024-03-01", 50),
            ("A", "2024-03-05", -30),
            ("B", "2024-02-01", 20),
        ]
    )
    expected = expected_rfm(
        [
            ("A", "2024-01-10", "2024-03-01", 30, 2, 120),
            ("B", "2024-02-01", "2024-02-01", 59, 1, 20),
        ]
    )
    assert_frame_equal(compute_rfm(data, as_of=AS_OF), expected)


def test_orders_after_as_of_are_ignored_and_future_only_customers_vanish():
    data = orders(
        [
            ("B", "2024-02-01", 20),
            ("B", "2024-04-02", 500),
            ("C", "2024-05-01", 10),
        ]
    )
    expected = expected_rfm([("B", "2024-02-01", "2024-02-01", 59, 1, 20)])
    assert_frame_equal(compute_rfm(data, as_of=AS_OF), expected)


def test_order_on_as_of_day_counts_even_with_a_time_of_day():
    data = orders([("A", "2024-03-31 17:45", 10)])
    expected = expected_rfm([("A", "2024-03-31", "2024-03-31", 0, 1, 10)])
    assert_frame_equal(compute_rfm(data, as_of="2024-03-31"), expected)


def test_customer_with_only_refunds_has_no_rfm():
    data = orders([("D", "2024-02-01", -10), ("E", "2024-02-01", 0)])
    expected = expected_rfm(
        [
            ("D", None, None, np.nan, 0, np.nan),
            ("E", "2024-02-01", "2024-02-01", 59, 1, 0),
        ]
    )
    assert_frame_equal(compute_rfm(data, as_of=AS_OF), expected)


def test_zero_amount_order_is_a_purchase():
    result = compute_rfm(orders([("E", "2024-03-01", 0)]), as_of=AS_OF)
    assert result["frequency"].tolist() == [1]


@pytest.mark.parametrize("shuffle", [False, True])
def test_rows_sharing_an_order_id_form_one_order_dated_on_its_first_row(shuffle):
    rows = [
        ("O1", "A", "2024-01-10", 100),
        ("O1", "A", "2024-01-12", 50),
        ("O2", "A", "2024-02-01", 10),
        ("O3", "A", "2024-02-15", 10),
        ("O3", "A", "2024-02-15", -30),
        (None, "A", "2024-03-01", 5),
        (None, "A", "2024-03-01", 5),
    ]
    if shuffle:
        rows = [rows[i] for i in (3, 0, 5, 2, 6, 4, 1)]
    data = orders(rows, with_id=True)
    # O1 = one purchase of 150 on 01-10; O3 nets -20: a refund; two id-less purchases
    expected = expected_rfm([("A", "2024-01-10", "2024-03-01", 30, 4, 150)])
    assert_frame_equal(compute_rfm(data, as_of=AS_OF), expected)


def test_same_order_id_for_two_customers_is_two_orders():
    data = orders([("O1", "A", "2024-03-01", 10), ("O1", "B", "2024-03-01", 20)], with_id=True)
    assert compute_rfm(data, as_of=AS_OF)["frequency"].tolist() == [1, 1]


def test_no_orders_gives_an_empty_frame_with_the_columns():
    result = compute_rfm(orders([]), as_of=AS_OF)
    assert list(result.columns) == [
        "customer_id",
        "first_purchase",
        "last_purchase",
        "recency_days",
        "frequency",
        "monetary",
    ]
    assert result.empty


def test_rows_without_customer_date_or_amount_are_skipped():
    data = orders([("A", "2024-03-01", 10), (None, "2024-03-01", 5), ("A", None, 5)])
    data.loc[len(data)] = ["A", pd.Timestamp("2024-03-02"), np.nan]
    result = compute_rfm(data, as_of=AS_OF)
    assert result["frequency"].tolist() == [1]
    assert result["monetary"].tolist() == [10.0]


def test_missing_orders_column_raises_input_error_naming_it():
    with pytest.raises(InputError) as caught:
        compute_rfm(pd.DataFrame({"customer_id": ["A"], "amount": [1.0]}), as_of=AS_OF)
    assert caught.value.column == "order_date"


def test_compute_rfm_does_not_modify_its_input():
    data = orders([("A", "2024-01-10", 100), ("A", "2024-05-01", 1)])
    before = data.copy()
    compute_rfm(data, as_of=AS_OF)
    assert_frame_equal(data, before)


def test_as_of_must_be_a_date():
    with pytest.raises(SettingsError):
        compute_rfm(orders([]), as_of="not a date")


# --- scores ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10, 20, 30, 40, 50], [1, 2, 3, 4, 5]),
        ([50, 40, 30, 20, 10], [5, 4, 3, 2, 1]),
        (list(range(1, 11)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        ([7], [3]),
        ([7, 7, 7, 7], [3, 3, 3, 3]),
        ([1, 2], [3, 5]),
        ([1, 1, 1, 1, 2], [1, 1, 1, 1, 5]),
        ([1, 1, 1, 2, 2, 3, 4, 5, 6, 7], [1, 1, 1, 2, 2, 3, 4, 4, 5, 5]),
        ([3, 3, 9, 9, 9], [1, 1, 3, 3, 3]),
        ([], []),
    ],
)
def test_quantile_scores_from_quintiles_with_ties_sharing_a_score(values, expected):
    np.testing.assert_array_equal(quantile_scores(values), np.array(expected, dtype=float))


def test_quantile_scores_lower_is_better_reverses_and_keeps_nan():
    result = quantile_scores([5.0, np.nan, 50.0, 20.0, 40.0, 30.0], higher_is_better=False)
    np.testing.assert_array_equal(result, [5, np.nan, 1, 4, 2, 3])


def test_quantile_scores_accept_a_scalar_and_a_series():
    np.testing.assert_array_equal(quantile_scores(4), [3.0])
    series = pd.Series([1, None, 3], dtype="Int64")
    np.testing.assert_array_equal(quantile_scores(series), [3.0, np.nan, 5.0])


def test_one_time_buyers_the_largest_tie_score_f_1():
    frequency = [1] * 60 + [2] * 20 + [3] * 10 + [8] * 10
    scores = quantile_scores(frequency)
    assert set(scores[:60]) == {1.0}  # ranks 1-60 span scores 1-3: the lowest
    assert set(scores[60:80]) == {4.0} and set(scores[80:90]) == {5.0}


def test_recency_ties_take_the_worse_end_too():
    # three customers who last bought 300 days ago are the worst: R 1, not 2
    np.testing.assert_array_equal(
        quantile_scores([300, 300, 300, 10, 5], higher_is_better=False), [1, 1, 1, 4, 5]
    )


def test_money_is_summed_in_cents_equal_spends_score_alike():
    # twelve customers who each spent 52.87, in lines whose float sums differ
    lines = [(f"C{i:02d}", "2024-03-01", amount) for i in range(12) for amount in (50.0, 2.87)]
    lines += [(f"C{i:02d}", "2024-03-02", amount) for i in range(12, 24) for amount in (0.1, 0.2)]
    lines += [("Z", "2024-03-03", 0.3)]
    frame = compute_rfm(orders(lines), as_of=AS_OF)
    m = frame.set_index("customer_id")["monetary"]
    assert m[[f"C{i:02d}" for i in range(12)]].nunique() == 1
    assert m[[f"C{i:02d}" for i in range(12, 24)] + ["Z"]].nunique() == 1
    scores = score_rfm(frame).set_index(frame["customer_id"])["m_score"]
    assert scores[[f"C{i:02d}" for i in range(12, 24)] + ["Z"]].nunique() == 1


def test_score_rfm_scores_only_customers_with_a_purchase():
    frame = pd.DataFrame(
        {
            "recency_days": [10.0, 200.0, np.nan],
            "frequency": [3, 1, 0],
            "monetary": [300.0, 10.0, np.nan],
        },
        index=[7, 8, 9],
    )
    expected = pd.DataFrame(
        {
            "r_score": pd.array([5, 3, None], dtype="Int64"),
            "f_score": pd.array([5, 3, None], dtype="Int64"),
            "m_score": pd.array([5, 3, None], dtype="Int64"),
        },
        index=[7, 8, 9],
    )
    assert_frame_equal(score_rfm(frame), expected)


# --- thresholds and classes -------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "recency_days": [10.0, 20.0, 30.0, 100.0, np.nan],
        "frequency": [1, 2, 3, 10, 0],
        "monetary": [10.0, 20.0, 30.0, 140.0, np.nan],
    }
)


def test_mean_thresholds_over_customers_with_a_purchase():
    assert rfm_thresholds(FRAME, method="mean") == {
        "recency_days": 40.0,
        "frequency": 4.0,
        "monetary": 50.0,
    }


def test_median_thresholds():
    assert rfm_thresholds(FRAME, method="median") == {
        "recency_days": 25.0,
        "frequency": 2.5,
        "monetary": 25.0,
    }


def test_fixed_thresholds_come_from_settings():
    settings = Settings(
        threshold_method="fixed", fixed_recency_days=60, fixed_frequency=3, fixed_monetary=1000
    )
    assert rfm_thresholds(FRAME, settings=settings) == {
        "recency_days": 60.0,
        "frequency": 3.0,
        "monetary": 1000.0,
    }


def test_fixed_method_without_numbers_raises():
    with pytest.raises(SettingsError):
        rfm_thresholds(FRAME, method="fixed")


def test_score_thresholds_compare_each_score_with_its_mean_score():
    # scores: R 5,4,2,1  F 1,2,4,5  M 1,2,4,5 -> every mean is 3
    thresholds = rfm_thresholds(FRAME, method="score")
    assert thresholds == {"recency_days": 30.0, "frequency": 2.0, "monetary": 20.0}
    classes = classify_rfm(
        FRAME["recency_days"], FRAME["frequency"], FRAME["monetary"], thresholds=thresholds
    )
    assert classes.tolist() == [
        "general_develop",
        "general_develop",
        "important_retain",
        "important_retain",
        None,
    ]


def test_thresholds_without_purchases_are_nan():
    empty = FRAME.iloc[[4]]
    assert all(np.isnan(v) for v in rfm_thresholds(empty).values())


def test_unknown_method_raises():
    with pytest.raises(SettingsError):
        rfm_thresholds(FRAME, method="mode")


THRESHOLDS = {"recency_days": 30.0, "frequency": 2.0, "monetary": 100.0}


def test_eight_classes_from_high_and_low_r_f_m():
    recency = [10, 40, 10, 40, 10, 40, 10, 40]
    frequency = [5, 5, 1, 1, 5, 5, 1, 1]
    monetary = [500, 500, 500, 500, 50, 50, 50, 50]
    result = classify_rfm(recency, frequency, monetary, thresholds=THRESHOLDS)
    assert result.tolist() == list(RFM_CLASSES)


def test_values_equal_to_the_threshold_are_low():
    result = classify_rfm([30], [2], [100], thresholds=THRESHOLDS)
    assert result.tolist() == ["general_winback"]


def test_classify_rfm_gives_none_without_a_purchase_and_accepts_scalars():
    assert classify_rfm([np.nan, 5], [0, 3], [np.nan, 200], thresholds=THRESHOLDS).tolist() == [
        None,
        "important_value",
    ]
    assert classify_rfm(5, 3, 200, thresholds=THRESHOLDS).tolist() == ["important_value"]


# --- segments -------------------------------------------------------------------------


def test_every_one_of_the_125_score_combinations_has_exactly_one_named_segment():
    combos = list(itertools.product(range(1, 6), repeat=3))
    assert len(combos) == 125
    r, f, m = (np.array(c) for c in zip(*combos, strict=True))
    result = segment_codes(r, f, m)
    assert len(result) == 125
    assert all(code in SEGMENTS for code in result)
    assert set(result) == set(SEGMENTS)  # all eleven are used


def test_segment_depends_on_r_and_the_mean_of_f_and_m():
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        assert segment_codes(r, f, m)[0] == segment_codes(r, m, f)[0]
        assert segment_codes(r, f, m)[0] == SEGMENT_GRID[r - 1, f + m - 2]


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "champions"),
        ((4, 5, 4), "champions"),
        ((4, 4, 4), "loyal"),
        ((3, 5, 5), "loyal"),
        ((5, 3, 3), "potential_loyalist"),
        ((5, 1, 1), "new"),
        ((5, 1, 2), "new"),
        ((4, 1, 1), "promising"),
        ((3, 3, 2), "need_attention"),
        ((3, 1, 2), "about_to_sleep"),
        ((2, 3, 3), "at_risk"),
        ((1, 5, 5), "cant_lose"),
        ((2, 5, 4), "cant_lose"),
        ((2, 1, 1), "hibernating"),
        ((1, 1, 3), "hibernating"),
        ((1, 1, 1), "lost"),
    ],
)
def test_named_segment_examples(scores, segment):
    assert segment_codes(*scores).tolist() == [segment]


def test_segment_is_none_when_a_score_is_missing():
    result = segment_codes(pd.array([5, None], dtype="Int64"), [5, 5], [5, 5])
    assert result.tolist() == ["champions", None]


@pytest.mark.parametrize("bad", [0, 6, 2.5])
def test_segment_rejects_scores_outside_1_to_5(bad):
    with pytest.raises(InputError):
        segment_codes(bad, 3, 3)


def test_scores_from_explicit_cuts_count_cut_points_below_and_reverse_for_recency():
    cuts = [10, 20, 30, 40]
    values = [5, 10, 11, 40, 41, float("nan")]
    np.testing.assert_array_equal(rfm.scores_from_cuts(values, cuts), [1, 1, 2, 4, 5, np.nan])
    np.testing.assert_array_equal(
        rfm.scores_from_cuts(values, cuts, higher_is_better=False), [5, 5, 4, 2, 1, np.nan]
    )


def test_code_for_label_accepts_the_code_and_both_languages() -> None:
    from xlcrm.core import schema

    for kind, codes in (
        ("class", schema.RFM_CLASSES),
        ("segment", schema.SEGMENTS),
        ("tier", schema.TIERS),
        ("urgency", schema.URGENCIES),
    ):
        label = schema.tier_label if kind == "tier" else schema.label
        for code in codes:
            assert schema.code_for_label(code, kind) == code
            assert schema.code_for_label(f" {label(code, 'en').upper()} ", kind) == code
            assert schema.code_for_label(label(code, "zh"), kind) == code
    assert schema.code_for_label("重要价值客户") == "important_value"
    assert schema.code_for_label("no such class") is None


_GROUP_CASES = {
    "days": lambda rng: rng.integers(0, 900, 5_000).astype(float),
    "counts as integers": lambda rng: rng.integers(1, 40, 5_000),
    "money with ties": lambda rng: (
        rng.choice([0.1, 0.2, 0.3, 19.9, 2.675], 5_000) * rng.integers(1, 4, 5_000)
    ),
    "wide floats and signed zeros": lambda rng: np.r_[
        rng.normal(0, 1e9, 3_000), [-0.0, 0.0, 0.0, -0.0, 1e300, -1e300]
    ],
    "wide integers": lambda rng: rng.integers(-(2**60), 2**60, 3_000),
    "one value": lambda rng: np.full(7, 3.5),
    "small integers": lambda rng: np.r_[
        np.array([-128, 127], np.int8), rng.integers(-9, 9, 50)
    ].astype(np.int8),
    "flags": lambda rng: rng.random(40) < 0.3,
    "a single value": lambda rng: np.array([2.0]),
}


@pytest.mark.parametrize("case", sorted(_GROUP_CASES))
def test_distinct_groups_are_those_of_numpy_unique(case: str) -> None:
    values = _GROUP_CASES[case](np.random.default_rng(5))
    group, sizes, member = rfm.distinct_groups(values)
    unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(group, inverse.ravel())
    np.testing.assert_array_equal(sizes, counts)
    np.testing.assert_array_equal(values[member], unique)  # a member of each group


def test_segment_index_names_the_segment_codes_names() -> None:
    grid = np.array(np.meshgrid(*[np.arange(1.0, 6.0)] * 3)).reshape(3, -1)
    r, f, m = (np.r_[row, np.nan, 2.0] for row in grid)
    m[-1] = np.nan
    index = rfm.segment_index(r, f, m)
    codes = rfm.segment_codes(r, f, m)
    assert [SEGMENTS[i] if i >= 0 else None for i in index] == list(codes)
    assert index[-2:].tolist() == [-1, -1]
