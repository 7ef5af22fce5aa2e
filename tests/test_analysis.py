"""analyze() end to end on hand-computed tables, summary(), and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from xlcrm.core.analysis import COLUMNS, analyze, summary
from xlcrm.core.schema import RFM_CLASSES, SEGMENTS, TIERS
from xlcrm.core.settings import Settings

AS_OF = pd.Timestamp("2024-06-30")
NA = None


def ns(*values: str | None) -> np.ndarray:
    return pd.to_datetime(list(values)).to_numpy(dtype="datetime64[ns]")


def text(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype=str)


ORDERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C1", "C3", "C2", "C1", "C4"],
        "order_date": ns(
            "2024-03-10",
            "2024-02-05",  # C2's refund
            "2024-06-20",
            "2024-07-05",  # C3: only an order after as_of
            "2024-02-01",
            "2024-01-10",
            "2024-06-01",  # C4: only a refund
        ),
        "amount": [200.0, -50.0, 300.0, 999.0, 50.0, 100.0, -20.0],
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C5", "C1"],
        "name": ["Bo", "Ann"],
        "owner": ["Wang", "Li"],
        "created": ns(None, "2023-06-01"),
        "grade": [None, "c"],
        "expected_close": ns("2024-07-20", None),
        "last_contact": ns("2024-06-25", None),
    }
)
ACTIVITIES = pd.DataFrame(
    {
        "customer_id": ["C1", "C5", "C9"],
        "date": ns("2024-06-28", "2024-07-02", "2024-06-01"),
        "kind": ["call", "visit", "call"],
    }
)

EXPECTED = pd.DataFrame(
    {
        "customer_id": text("C1", "C2", "C4", "C5"),
        "name": text("Ann", NA, NA, "Bo"),
        "owner": text("Li", NA, NA, "Wang"),
        "created": ns("2023-06-01", "2024-02-01", "2024-06-01", None),
        "first_purchase": ns("2024-01-10", "2024-02-01", None, None),
        "last_purchase": ns("2024-06-20", "2024-02-01", None, None),
        "recency_days": [10.0, 150.0, np.nan, np.nan],
        "frequency": np.array([3, 1, 0, 0], dtype=np.int64),
        "monetary": [600.0, 0.0, np.nan, np.nan],
        "r_score": pd.array([5, 3, NA, NA], dtype="Int64"),
        "f_score": pd.array([5, 3, NA, NA], dtype="Int64"),
        "m_score": pd.array([5, 3, NA, NA], dtype="Int64"),
        "rfm_class": text("important_value", "general_winback", NA, NA),
        "segment": text("champions", "need_attention", NA, NA),
        "tier": text("repeat", "sleeping", "potential", "potential"),
        "churn_warning": [False] * 4,
        "churn_reason": text(NA, NA, NA, NA),
        "median_gap_days": [81.0, np.nan, np.nan, np.nan],
        "recent_events": np.array([2, 0, 0, 0], dtype=np.int64),
        "prior_events": np.array([2, 1, 0, 0], dtype=np.int64),
        "grade": text("C", "D", "D", "A"),
        "grade_source": text("given", "default", "default", "derived"),
        "expected_close": ns(None, None, None, "2024-07-20"),
        "requalify": [False] * 4,
        "cadence_days": np.array([15, 90, 30, 1], dtype=np.int64),
        "cadence_basis": text("grade", "tier", "grade", "grade"),
        "last_contact": ns("2024-06-28", "2024-02-01", None, "2024-06-25"),
        "contact_source": text("activity", "purchase", NA, "customers"),
        # C2 fell asleep on 2024-05-01 (last purchase + 90 days): a win-back call was due then
        "next_followup": ns("2024-07-13", "2024-05-01", "2024-06-30", "2024-06-26"),
        "days_until_due": np.array([13, -60, 0, -4], dtype=np.int64),
        "overdue_days": np.array([0, 60, 0, 4], dtype=np.int64),
        "urgency": text("soon", "urgent", "urgent", "urgent"),
        "abc_class": text("A", NA, NA, NA),
        "revenue_share": [1.0, 0.0, 0.0, 0.0],
        "action_key": text("repeat_important", "sleeping_general", "potential", "potential"),
        "needs_followup": [False, True, True, True],
        "pool": [False] * 4,
        # value model inputs (purchase days); too few repeat buyers for a fit
        "repeat_days": pd.array([2, 0, NA, NA], dtype="Int64"),
        "span_days": [162.0, 0.0, np.nan, np.nan],
        "age_days": [172.0, 150.0, np.nan, np.nan],
        "mean_repeat_spend": [250.0, np.nan, np.nan, np.nan],
        "p_alive": [np.nan] * 4,
        "expected_purchases": [np.nan] * 4,
        "repurchase_prob": [np.nan] * 4,
        "repurchase_band": text(NA, NA, NA, NA),
        "expected_aov": [np.nan] * 4,
        "expected_value": [np.nan] * 4,
        "expected_margin": [np.nan] * 4,
    }
)


def test_analyze_matches_the_hand_computed_table():
    result = analyze(ORDERS, CUSTOMERS, ACTIVITIES, as_of=AS_OF)
    assert_frame_equal(result.customers, EXPECTED)
    assert result.as_of == AS_OF
    assert result.thresholds == {"recency_days": 80.0, "frequency": 2.0, "monetary": 300.0}
    assert (result.pareto.customers, result.pareto.purchasing) == (4, 2)
    assert (result.pareto.revenue, result.pareto.top_share) == (600.0, 1.0)
    assert result.pareto.customers_for_80 == 1
    assert result.value.reason == "too_few_repeat_buyers"


def test_columns_are_in_contract_order():
    result = analyze(ORDERS, as_of=AS_OF)
    assert tuple(result.customers.columns) == COLUMNS


def test_analyze_does_not_modify_its_inputs():
    frames = [ORDERS.copy(), CUSTOMERS.copy(), ACTIVITIES.copy()]
    analyze(*frames, as_of=AS_OF)
    for before, after in zip((ORDERS, CUSTOMERS, ACTIVITIES), frames, strict=True):
        assert_frame_equal(before, after)


def test_as_of_is_normalised_to_midnight_and_accepts_a_date():
    result = analyze(ORDERS, as_of=dt.datetime(2024, 6, 30, 15, 30))
    assert result.as_of == AS_OF
    assert_frame_equal(analyze(ORDERS, as_of=dt.date(2024, 6, 30)).customers, result.customers)


def test_no_orders_makes_every_listed_customer_a_prospect():
    orders = ORDERS.iloc[0:0]
    result = analyze(orders, CUSTOMERS, as_of=AS_OF)
    frame = result.customers
    assert frame["customer_id"].tolist() == ["C1", "C5"]
    assert frame["tier"].tolist() == ["potential", "potential"]
    assert frame["rfm_class"].isna().all() and frame["r_score"].isna().all()
    assert np.isnan(result.thresholds["recency_days"])
    assert result.pareto.revenue == 0.0


def test_empty_everything_gives_an_empty_table_with_the_columns():
    result = analyze(ORDERS.iloc[0:0], as_of=AS_OF)
    assert result.customers.empty
    assert tuple(result.customers.columns) == COLUMNS


def test_one_customer_gets_middle_scores():
    orders = ORDERS[ORDERS["customer_id"] == "C1"]
    frame = analyze(orders, as_of=AS_OF).customers
    assert frame[["r_score", "f_score", "m_score"]].iloc[0].tolist() == [3, 3, 3]
    assert frame["segment"].tolist() == ["need_attention"]
    # each value equals its own mean: low on every count
    assert frame["rfm_class"].tolist() == ["general_winback"]


def test_customers_with_equal_values_get_equal_scores_and_classes():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "order_date": ns("2024-06-01", "2024-06-01", "2024-06-01"),
            "amount": [10.0, 10.0, 10.0],
        }
    )
    frame = analyze(orders, as_of=AS_OF).customers
    assert frame["r_score"].tolist() == [3, 3, 3]
    assert frame["rfm_class"].nunique() == 1
    assert frame["abc_class"].tolist() == ["A", "A", "A"]


def test_threshold_method_from_settings():
    result = analyze(ORDERS, as_of=AS_OF, settings=Settings(threshold_method="median"))
    assert result.thresholds == {"recency_days": 80.0, "frequency": 2.0, "monetary": 300.0}


def test_duplicate_rows_in_the_customers_sheet_keep_the_first():
    customers = pd.concat([CUSTOMERS, CUSTOMERS.assign(name=["X", "Y"])], ignore_index=True)
    frame = analyze(ORDERS, customers, as_of=AS_OF).customers
    assert frame["name"].tolist()[::3] == ["Ann", "Bo"]


def test_churn_warning_reaches_the_table_with_its_action():
    orders = pd.DataFrame(
        {
            "customer_id": ["A"] * 4,
            "order_date": ns("2024-05-01", "2024-05-11", "2024-05-21", "2024-05-31"),
            "amount": [500.0, 500.0, 500.0, 500.0],
        }
    )
    frame = analyze(orders, as_of=AS_OF).customers
    assert frame["churn_warning"].tolist() == [True]
    assert frame["churn_reason"].tolist() == ["gap"]
    assert frame["action_key"].tolist() == ["churn_general"]


# --- summary -------------------------------------------------------------------------------


def test_summary_key_figures():
    result = summary(analyze(ORDERS, CUSTOMERS, ACTIVITIES, as_of=AS_OF))
    assert result["as_of"] == dt.date(2024, 6, 30)
    assert result["customers"] == 4
    assert result["purchasing_customers"] == 2
    assert result["revenue"] == 600.0
    assert result["top_share"] == 1.0
    assert result["needs_followup"] == 3
    assert result["overdue"] == 2
    assert result["churn_warnings"] == 0
    assert (result["pool"], result["requalify"]) == (0, 0)
    assert result["tiers"]["potential"] == 2
    assert sum(result["segments"].values()) == 2


def test_pool_and_requalify_are_counted_and_open_deals_give_the_expected_close():
    rules = Settings(pool_no_deal_days=100, pool_no_contact_days=1)
    deals = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "expected_close": ns("2024-06-01", "2024-08-15", "2024-07-10"),
            "deal_status": ["open", "open", "won"],
        }
    )
    result = analyze(ORDERS, CUSTOMERS, ACTIVITIES, as_of=AS_OF, settings=rules, deals=deals)
    c = result.customers.set_index("customer_id")
    # C1's typed grade stays; its nearest open deal closes 2024-08-15; C2's deal is won
    assert c.loc["C1", "expected_close"] == pd.Timestamp("2024-08-15")
    assert pd.isna(c.loc["C2", "expected_close"])
    # C5 (Wang): never bought, last contact 5 days ago; C1: contacted 2 days ago
    assert c["pool"].to_dict() == {"C1": False, "C2": False, "C4": False, "C5": True}
    assert summary(result)["pool"] == 1


def test_summary_for_one_owner():
    result = summary(analyze(ORDERS, CUSTOMERS, ACTIVITIES, as_of=AS_OF), owner=" wang ")
    assert (result["customers"], result["purchasing_customers"]) == (1, 0)
    assert result["top_share"] is None
    assert result["needs_followup"] == 1


# --- properties ------------------------------------------------------------------------------

START = pd.Timestamp("2024-01-01")
ROW = st.tuples(
    st.sampled_from(["A", "B", "C", "D", "E"]),
    st.integers(min_value=0, max_value=300),  # day; as_of is day 250
    st.integers(min_value=-50, max_value=400),
)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPERTY_AS_OF = START + pd.Timedelta(days=250)


def make_orders(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype=str),
            "order_date": (START + pd.to_timedelta([r[1] for r in rows], unit="D")).to_numpy(
                dtype="datetime64[ns]"
            ),
            "amount": np.array([r[2] for r in rows], dtype=np.float64),
        }
    )


@PROPERTY
@given(st.lists(ROW, max_size=25), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(rows, random):
    shuffled = rows[:]
    random.shuffle(shuffled)
    a = analyze(make_orders(rows), as_of=PROPERTY_AS_OF).customers
    b = analyze(make_orders(shuffled), as_of=PROPERTY_AS_OF).customers
    assert_frame_equal(a, b)


CENT_ROW = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),
    st.integers(min_value=0, max_value=250),
    st.sampled_from([0.1, 0.2, 0.3, 0.7, 52.87, 19.99, 1e-3, 2.675, -0.1]),
)


@PROPERTY
@given(st.lists(CENT_ROW, min_size=2, max_size=40), st.randoms(use_true_random=False))
def test_shuffling_order_rows_with_cents_changes_nothing(rows, random):
    """Money is summed in whole cents: float noise cannot split equal spends."""
    shuffled = rows[:]
    random.shuffle(shuffled)
    a = analyze(make_orders(rows), as_of=PROPERTY_AS_OF)
    b = analyze(make_orders(shuffled), as_of=PROPERTY_AS_OF)
    assert_frame_equal(a.customers, b.customers)
    assert a.thresholds == b.thresholds or all(
        (x == y) or (np.isnan(x) and np.isnan(y))
        for x, y in zip(a.thresholds.values(), b.thresholds.values(), strict=True)
    )
    assert (a.pareto.top_share, a.pareto.customers_for_80) == (
        b.pareto.top_share,
        b.pareto.customers_for_80,
    ) or np.isnan(a.pareto.top_share)
    assert_frame_equal(a.pareto.curve, b.pareto.curve)


def test_shuffling_the_order_rows_of_a_sample_book_changes_nothing():
    from xlcrm.xlsx.sample import generate_sample

    sample = generate_sample(customers=600, seed=3)
    orders = sample.orders.drop(columns="order_id")
    # split every order into two lines of one order id: sums of floats in another order
    lines = pd.concat(
        [
            orders.assign(amount=orders["amount"] - 0.1, order_id=orders.index),
            orders.assign(amount=0.1, order_id=orders.index),
        ]
    )
    shuffled = lines.sample(frac=1.0, random_state=5)
    a = analyze(lines, sample.customers, sample.activities, as_of=sample.as_of)
    b = analyze(shuffled, sample.customers, sample.activities, as_of=sample.as_of)
    c = analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)
    assert_frame_equal(a.customers, b.customers)
    assert_frame_equal(a.customers, c.customers)
    assert a.thresholds == b.thresholds == c.thresholds
    assert a.pareto.customers_for_80 == b.pareto.customers_for_80


@PROPERTY
@given(st.lists(ROW, max_size=25), st.lists(ROW, min_size=1, max_size=5))
def test_orders_after_as_of_change_nothing(rows, later):
    future = [(c, 251 + day % 50, amount) for c, day, amount in later]
    a = analyze(make_orders(rows), as_of=PROPERTY_AS_OF).customers
    b = analyze(make_orders(rows + future), as_of=PROPERTY_AS_OF).customers
    assert_frame_equal(a, b)


@PROPERTY
@given(st.lists(ROW, min_size=1, max_size=25), st.data())
def test_a_more_recent_last_purchase_never_lowers_the_r_score(rows, data):
    before = analyze(make_orders(rows), as_of=PROPERTY_AS_OF).customers
    buyers = before[before["frequency"] > 0]
    if buyers.empty:
        return
    who = data.draw(st.sampled_from(buyers["customer_id"].tolist()))
    last = int((buyers.set_index("customer_id").loc[who, "last_purchase"] - START).days)
    day = data.draw(st.integers(min_value=last, max_value=250))
    after = analyze(make_orders([*rows, (who, day, 0)]), as_of=PROPERTY_AS_OF).customers
    score = dict(zip(before["customer_id"], before["r_score"], strict=True))[who]
    assert dict(zip(after["customer_id"], after["r_score"], strict=True))[who] >= score


@PROPERTY
@given(st.lists(ROW, max_size=25), st.lists(st.sampled_from(list("ABCDEFG")), max_size=7))
def test_every_customer_has_one_tier_and_buyers_one_class_and_segment(rows, listed):
    customers = pd.DataFrame({"customer_id": pd.Series(listed, dtype=str)})
    frame = analyze(make_orders(rows), customers, as_of=PROPERTY_AS_OF).customers
    assert frame["customer_id"].is_unique
    assert set(listed) <= set(frame["customer_id"])
    assert frame["tier"].isin(TIERS).all()
    bought = frame["frequency"] > 0
    assert frame.loc[bought, "rfm_class"].isin(RFM_CLASSES).all()
    assert frame.loc[bought, "segment"].isin(SEGMENTS).all()
    assert frame.loc[~bought, ["rfm_class", "segment"]].isna().all().all()
    assert (frame.loc[~bought, "tier"] == "potential").all()


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_small_populations_never_crash(n):
    rows = [(f"C{i}", 10 * i, 10 * i) for i in range(n)]
    frame = analyze(make_orders(rows), as_of=PROPERTY_AS_OF).customers
    assert len(frame) == n


def test_numeric_customer_ids_are_matched_as_text():
    orders = ORDERS.assign(customer_id=[1, 2, 1, 3, 2, 1, 4])
    customers = pd.DataFrame({"customer_id": ["1", "5"], "name": ["Ann", "Bo"]})
    frame = analyze(orders, customers, as_of=AS_OF).customers
    assert frame["customer_id"].tolist() == ["1", "2", "4", "5"]
    assert frame["name"].tolist()[0] == "Ann"
