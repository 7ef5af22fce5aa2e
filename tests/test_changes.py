"""What changed between two days: class and tier moves, new churn warnings, newly lost."""

from __future__ import annotations

import pandas as pd
import pytest

from xlcrm.core.analysis import analyze
from xlcrm.core.changes import NONE, compare_analyses
from xlcrm.core.errors import SettingsError


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "name",
            "owner",
            "rfm_class",
            "tier",
            "churn_warning",
            "churn_reason",
            "last_purchase",
        ],
    )


BEFORE = _frame(
    [
        ("A", "a", "Ann", "important_value", "loyal", False, None, pd.Timestamp("2024-01-01")),
        ("B", "b", "Ann", "general_value", "repeat", True, "gap", pd.Timestamp("2023-12-01")),
        ("C", "c", "Bob", "general_winback", "sleeping", False, None, pd.Timestamp("2023-04-01")),
        ("P", "p", "Bob", None, "potential", False, None, pd.NaT),
    ]
)
AFTER = _frame(
    [
        ("A", "a", "Ann", "important_retain", "loyal", True, "drop", pd.Timestamp("2024-01-01")),
        ("B", "b", "Ann", "general_value", "repeat", True, "gap", pd.Timestamp("2024-05-01")),
        ("C", "c", "Bob", "general_winback", "lost", False, None, pd.Timestamp("2023-04-01")),
        ("P", "p", "Bob", "general_develop", "new", False, None, pd.Timestamp("2024-06-01")),
        ("N", "n", "Bob", "general_develop", "new", False, None, pd.Timestamp("2024-06-10")),
    ]
)


def test_moves_warnings_and_lost():
    changes = compare_analyses(
        BEFORE, AFTER, since=pd.Timestamp("2024-03-31"), as_of=pd.Timestamp("2024-06-30")
    )
    moves = changes.class_moves
    assert moves.loc["important_value", "important_retain"] == 1
    assert moves.loc["general_value", "general_value"] == 1
    assert moves.loc[NONE, "general_develop"] == 2  # the prospect P and the new N
    assert int(moves.to_numpy().sum()) == 5
    assert changes.class_changes == 3
    tiers = changes.tier_moves
    assert tiers.loc["sleeping", "lost"] == 1
    assert tiers.loc["potential", "new"] == 1
    assert tiers.loc[NONE, "new"] == 1
    assert changes.tier_changes == 3
    assert changes.new_warnings["customer_id"].tolist() == ["A"]  # B was warned already
    assert changes.new_warnings["churn_reason"].tolist() == ["drop"]
    assert changes.newly_lost["customer_id"].tolist() == ["C"]
    assert changes.newly_lost["tier_before"].tolist() == ["sleeping"]
    assert changes.moved["customer_id"].tolist() == ["A", "C", "P", "N"]


def test_the_earlier_day_must_come_first():
    with pytest.raises(SettingsError) as caught:
        compare_analyses(BEFORE, AFTER, since=pd.Timestamp("2024-07-01"), as_of="2024-06-30")
    assert "2024-06-30" in caught.value.render("en")


def test_two_real_analyses_of_one_book():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "C"],
            "order_date": pd.to_datetime(["2023-01-10", "2023-02-10", "2023-01-05", "2024-05-01"]),
            "amount": [100.0, 50.0, 20.0, 30.0],
        }
    )
    then = analyze(orders, as_of="2023-03-01").customers
    now = analyze(orders, as_of="2024-06-30").customers
    changes = compare_analyses(
        then, now, since=pd.Timestamp("2023-03-01"), as_of=pd.Timestamp("2024-06-30")
    )
    assert set(changes.newly_lost["customer_id"]) == {"A", "B"}
    assert changes.tier_moves.loc[NONE, "new"] == 1  # C
