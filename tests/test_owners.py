"""One owner matcher: spellings of one name that differ only in case, width or spaces."""

from __future__ import annotations

import pandas as pd
import pytest

from xlcrm.core.analysis import analyze, summary
from xlcrm.core.owners import owner_key, owner_keys, owner_spellings


@pytest.mark.parametrize(
    "spelling",
    ["Alice Morgan", "Alice  Morgan", " alice morgan ", "ALICE\tMORGAN", "Ａｌｉｃｅ　Morgan"],
)
def test_spellings_of_one_name_have_one_key(spelling: str) -> None:
    assert owner_key(spelling) == "alice morgan"


def test_different_names_keep_different_keys() -> None:
    assert owner_key("Alice Morgan") != owner_key("AliceMorgan")
    assert owner_key("李雷") != owner_key("李 雷")


def test_owner_keys_of_a_column_mark_missing_and_blank_cells() -> None:
    column = pd.Series(["Alice  Morgan", None, "  ", "alice morgan", "Bob"], dtype=object)
    assert owner_keys(column).tolist() == ["alice morgan", pd.NA, pd.NA, "alice morgan", "bob"]
    assert owner_spellings(column) == {"alice morgan": "Alice Morgan", "bob": "Bob"}


def test_summary_counts_both_spellings_of_an_owner_as_one() -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C2", "C3"],
            "order_date": pd.to_datetime(["2024-06-01", "2024-06-02", "2024-06-03"]),
            "amount": [100.0, 200.0, 300.0],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "owner": ["Alice  Morgan", "Alice Morgan", "Bob"]}
    )
    result = analyze(orders, customers, None, as_of=pd.Timestamp("2024-06-30"))
    figures = summary(result, owner="alice morgan")
    assert figures["customers"] == 2
    assert figures["revenue"] == 300.0
