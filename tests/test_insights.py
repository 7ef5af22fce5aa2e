"""analyze() with the optional Deals, stage history and Feedback inputs and the new
Customers columns; and without them (derived loyalty, relationship levels, long tail)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.analysis import analyze
from xlcrm.core.insights import COLUMNS, with_insights
from xlcrm.core.settings import Settings

AS_OF = "2024-06-30"

ORDERS = pd.DataFrame(
    {
        "customer_id": ["A"] * 4 + ["B", "B", "C"],
        "order_date": pd.to_datetime(
            [
                "2023-06-01",
                "2023-09-15",
                "2024-01-10",
                "2024-05-20",
                "2023-07-01",
                "2024-06-01",
                "2024-06-20",
            ]
        ),
        "amount": [100.0, 100.0, 100.0, 100.0, 50.0, 30.0, 20.0],
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "P"],
        "name": ["Ann Co", "Bo Ltd", "Cy", "Pia"],
        "owner": ["Ann", "Ann", "Bob", "Bob"],
        "satisfaction": [5, None, "很不满意", None],
        "recommend": [10, "possible", 3, None],
        "referred_by": [None, "A", "A", "C"],
        "cost": [250.0, None, None, None],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3"],
        "customer_id": ["P", "P", "B"],
        "stage": ["proposal", "lead", "negotiation"],
        "status": ["open", "open", "open"],
        "amount": [1000.0, 200.0, 500.0],
        "created": pd.to_datetime(["2024-06-01", "2024-06-25", "2024-01-02"]),
        "expected_close": pd.to_datetime(["2024-08-15", "2024-12-01", "2024-07-10"]),
    }
)
FEEDBACK = pd.DataFrame(
    {
        "date": pd.to_datetime(["2024-06-10", "2024-05-01"]),
        "customer_id": ["B", "B"],
        "kind": ["complaint", "praise"],
        "satisfaction": [None, 2],
    }
)


def test_new_inputs_reach_every_new_column():
    result = analyze(
        ORDERS, CUSTOMERS, as_of=AS_OF, deals=DEALS, feedback=FEEDBACK, settings=Settings()
    )
    found = result.insights.customers.set_index("customer_id")
    assert found["open_deals"].to_dict() == {"A": 0, "B": 1, "C": 0, "P": 2}
    assert found["stuck_deal"].to_dict() == {"A": False, "B": True, "C": False, "P": False}
    assert found["open_complaint"].to_dict() == {"A": False, "B": True, "C": False, "P": False}
    # satisfaction: the sheet's, else the latest rated feedback item (B: 2 on May 1st)
    assert found.loc["A", "satisfaction"] == 5.0 and found.loc["B", "satisfaction"] == 2.0
    assert found["satisfaction_level"].tolist()[:3] == ["high", "low", "low"]
    assert found["recommend_level"].tolist()[:3] == ["high", "middle", "low"]
    # too few customers for the value model: repurchase from each one's history
    assert found["repurchase_basis"].tolist()[:2] == ["history", "history"]
    assert found.loc["A", "repurchase_level"] == "high"  # bought in 3 of 4 whole windows
    assert found.loc["A", "loyalty_level"] == "advocate"
    assert found.loc["B", "loyalty_level"] == "at_risk"
    assert pd.isna(found.loc["C", "repurchase_level"])  # first purchase 10 days ago
    assert found.loc["C", "loyalty_missing"] == "repurchase"
    assert found.loc["P", "loyalty_missing"] == "satisfaction+repurchase+recommend"
    # referrals: A brought B and C (C referring the prospect P, who never bought)
    assert found["referrals"].to_dict() == {"A": 2, "B": 0, "C": 1, "P": 0}
    assert found.loc["A", "referred_revenue"] == 100.0
    assert result.insights.referrals.conversion == 2 / 3
    # margin: A's from its cost, the others' from the default rate (0.3)
    assert found.loc["A", "margin"] == 150.0 and found.loc["A", "margin_source"] == "cost"
    assert found.loc["B", "margin"] == 24.0 and found.loc["B", "margin_source"] == "default"
    assert pd.isna(found.loc["P", "relationship"])
    funnel = result.insights.funnel
    assert funnel.team()["reached"].tolist() == [3, 2, 2, 1, 0]


def test_open_deals_give_prospects_a_grade():
    result = analyze(ORDERS, CUSTOMERS, as_of=AS_OF, deals=DEALS)
    grades = result.customers.set_index("customer_id")["grade"]
    assert grades["P"] == "B"  # nearest open deal closes in 46 days
    assert grades["B"] == "A"  # 10 days
    plain = analyze(ORDERS, CUSTOMERS, as_of=AS_OF).customers.set_index("customer_id")["grade"]
    assert plain["P"] == "D"


def test_without_new_inputs_the_analysis_is_unchanged_and_the_derived_columns_are_there():
    plain = analyze(ORDERS, CUSTOMERS[["customer_id", "name", "owner"]], as_of=AS_OF)
    full = analyze(
        ORDERS, CUSTOMERS[["customer_id", "name", "owner"]], as_of=AS_OF, feedback=FEEDBACK.iloc[:0]
    )
    assert_frame_equal(plain.customers, full.customers)
    found = plain.insights
    assert found.funnel is None and found.referrals is None
    assert found.customers["margin_source"].tolist() == ["default"] * 3 + [np.nan]
    assert found.customers["long_tail"].tolist() == [False, True, True, False]
    assert found.long_tail.tail_customers == 2
    joined = with_insights(plain)
    assert list(joined.columns[-len(COLUMNS) :]) == list(COLUMNS)
    assert found.issues.empty


def test_core_issues_are_collected():
    customers = CUSTOMERS.assign(referred_by=["A", "A", "B", "C"])  # A names itself
    result = analyze(ORDERS, customers, as_of=AS_OF, deals=DEALS.assign(stage="pitch"))
    assert sorted(result.insights.issues["reason"].unique()) == ["self_referral", "unknown_stage"]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("everyone_found", [False, True])
def test_rows_for_sheet_ids_are_what_reindex_gives(shuffle: bool, everyone_found: bool) -> None:
    from xlcrm.xlsx.insight_sheets import _rows_for

    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(50)],
            "margin": np.arange(50, dtype=float),
            "long_tail": np.arange(50) % 2 == 0,
        }
    )
    if shuffle:
        customers = customers.sample(frac=1.0, random_state=3).reset_index(drop=True)
    wanted = np.array(["C007", "C049", "nobody", "C000", "C007", "ZZZ", "A"], dtype=object)
    if everyone_found:
        wanted = np.array(["C007", "C049", "C000", "C007", "C012"], dtype=object)
    expected = customers.set_index("customer_id").reindex(wanted)
    pd.testing.assert_frame_equal(_rows_for(customers, wanted), expected)
