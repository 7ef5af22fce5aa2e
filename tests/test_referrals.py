"""Referrals: made, referred revenue, top referrers, conversion, loops and self-referral."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlcrm.core.referrals import cycle_members, referral_links, summarise_referrals


def _customers(rows: list[tuple[str, str | None, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "referred_by": [r[1] for r in rows],
            "frequency": [r[2] for r in rows],
            "monetary": [r[3] for r in rows],
            "name": [f"Name {r[0]}" for r in rows],
        }
    )


def test_referrals_made_revenue_and_conversion():
    customers = _customers(
        [
            ("A", None, 3, 100.0),
            ("B", "A", 1, 40.10),
            ("C", "A", 0, np.nan),  # referred, never bought
            ("D", "B", 2, 25.0),
            ("E", None, 0, np.nan),
            ("F", None, 1, 10.0),
        ]
    )
    found = summarise_referrals(customers)
    assert found.per_customer["referrals"].tolist() == [2, 1, 0, 0, 0, 0]
    assert found.per_customer["referred_revenue"].tolist() == [40.1, 25.0, 0, 0, 0, 0]
    assert found.per_customer["referrer"].fillna("-").tolist() == ["-", "A", "A", "B", "-", "-"]
    assert (found.referred, found.referred_buyers, found.referred_revenue) == (3, 2, 65.1)
    assert found.conversion == 2 / 3
    assert found.others_conversion == 2 / 3  # A and F of A, E, F
    assert found.top["customer_id"].tolist() == ["A", "B"]
    assert found.top["referred_buyers"].tolist() == [1, 1]
    assert found.issues.empty


def test_top_referrers_by_revenue_then_count_then_id():
    customers = _customers(
        [
            ("A", None, 1, 1.0),
            ("B", None, 1, 1.0),
            ("C", None, 1, 1.0),
            ("x1", "C", 1, 30.0),
            ("x2", "B", 1, 15.0),
            ("x3", "B", 1, 15.0),
            ("x4", "A", 1, 30.0),
        ]
    )
    top = summarise_referrals(customers, top=2).top
    assert top["customer_id"].tolist() == ["B", "A"]  # B: 30 in two; A and C: 30 in one
    assert top["referred_revenue"].tolist() == [30.0, 30.0]


def test_self_referral_and_unknown_referrer_are_ignored_and_listed():
    customers = _customers([("A", "A", 1, 10.0), ("B", "Z9", 1, 5.0), ("C", " ", 1, 5.0)])
    found = summarise_referrals(customers)
    assert found.referred == 0
    issues = found.issues
    assert issues["reason"].tolist() == ["unknown_referrer", "self_referral"]
    assert issues["value"].tolist() == ["Z9", "A"]
    assert issues["detail"].tolist() == ["B", "A"]


def test_a_loop_of_two_keeps_the_referral_of_the_later_customer():
    pointer, issues = referral_links(["A", "B", "C"], ["B", "A", "A"], [10, 20, 30])
    assert pointer.tolist() == [-1, 0, 0]  # A came first: "A referred by B" is dropped
    assert issues[["value", "reason", "detail"]].values.tolist() == [["B", "referral_loop", "A"]]


def test_a_loop_without_dates_drops_every_referral_in_it():
    pointer, issues = referral_links(["A", "B", "C"], ["B", "A", "A"], [None, 20, 30])
    assert pointer.tolist() == [-1, -1, 0]
    assert sorted(issues["detail"]) == ["A", "B"]


def test_a_loop_of_three_and_a_tie_on_the_first_day():
    pointer, _ = referral_links(["A", "B", "C", "D"], ["C", "A", "B", "A"], [5, 7, 9, 1])
    assert pointer.tolist() == [-1, 0, 1, 0]
    pointer, _ = referral_links(["A", "B"], ["B", "A"], [5, 5])
    assert pointer.tolist() == [-1, -1]


def test_cycle_members_on_a_long_chain_and_two_cycles():
    # 0 -> 1 -> 2 -> 3 -> 1 (cycle 1,2,3); 4 -> 5 -> 4; 6 -> -1; 7 -> 0
    on, low = cycle_members(np.array([1, 2, 3, 1, 5, 4, -1, 0]))
    assert on.tolist() == [False, True, True, True, True, True, False, False]
    assert low[on].tolist() == [1, 1, 1, 4, 4]
    chain = np.r_[np.arange(1, 5000), -1]
    assert not cycle_members(chain)[0].any()
