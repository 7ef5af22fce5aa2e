"""A-E grades, cadence, next follow-up and urgency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.errors import InputError
from xlcrm.core.followup import (
    cadence_for,
    derive_grades,
    describe_pool,
    describe_requalify,
    nearest_open_close,
    pool_flags,
    schedule_followups,
    urgency_codes,
)
from xlcrm.core.settings import Settings

AS_OF = pd.Timestamp("2024-06-30")


def dates(*values: str | None) -> np.ndarray:
    return pd.to_datetime(list(values)).to_numpy(dtype="datetime64[ns]")


def test_given_grade_wins_and_the_rest_is_derived_from_the_pipeline():
    customers = pd.DataFrame(
        {
            "customer_id": list("abcdefghijk"),
            "grade": ["b", " A级 ", None, None, None, None, None, None, None, None, "X"],
            "expected_close": dates(
                "2024-07-01",  # given B wins over A
                None,
                "2024-07-30",  # 30 days -> A
                "2024-07-31",  # 31 days -> B
                "2024-09-28",  # 90 days -> B
                "2024-12-27",  # 180 days -> C
                "2024-12-28",  # 181 days -> D
                "2024-05-01",  # passed -> D, re-qualify
                "2024-07-05",  # but no need -> E
                None,  # nothing known -> D by default
                "2024-07-05",  # invalid given grade -> derived A
            ),
            "need_status": [None] * 8 + ["No need", None, None],
        }
    )
    expected = pd.DataFrame(
        {
            "grade": pd.Series(list("BAABBCDDEDA"), dtype=str),
            "grade_source": pd.Series(
                ["given", "given"] + ["derived"] * 7 + ["default", "derived"], dtype=str
            ),
            "requalify": [False] * 7 + [True] + [False] * 3,
            "expected_close": customers["expected_close"].to_numpy(),
        }
    )
    assert_frame_equal(derive_grades(customers, as_of=AS_OF), expected)


@pytest.mark.parametrize(
    ("need", "deal", "grade"),
    [
        ("无需求", None, "E"),
        (None, "Lost", "E"),
        (None, "输单", "E"),
        ("Unclear", None, "D"),
        ("需求不明", None, "D"),
        ("clear", None, "A"),
    ],
)
def test_need_and_deal_status_words_in_both_languages(need, deal, grade):
    customers = pd.DataFrame(
        {
            "customer_id": ["a"],
            "expected_close": dates("2024-07-10"),
            "need_status": [need],
            "deal_status": [deal],
        }
    )
    assert derive_grades(customers, as_of=AS_OF)["grade"].tolist() == [grade]


def test_grades_without_any_pipeline_columns_are_d_by_default():
    result = derive_grades(pd.DataFrame({"customer_id": ["a", "b"]}), as_of=AS_OF)
    assert result["grade"].tolist() == ["D", "D"]
    assert result["grade_source"].tolist() == ["default", "default"]
    assert not result["requalify"].any()


def test_cadence_per_grade_and_from_settings():
    assert cadence_for(["A", "B", "C", "D", "E"]).tolist() == [1, 7, 15, 30, 365]
    assert cadence_for("c", Settings(cadence_c=10)).tolist() == [10]


def test_unknown_grade_has_no_cadence():
    with pytest.raises(InputError):
        cadence_for(["A", "Z"])


def test_urgency_from_days_until_due():
    days = [-5, 7, 8, 30, 31, 90, 91, np.nan]
    assert urgency_codes(days).tolist() == [
        "urgent",
        "urgent",
        "soon",
        "soon",
        "not_urgent",
        "not_urgent",
        "slow",
        None,
    ]


def test_schedule_uses_the_latest_contact_plus_the_cadence():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "grade": ["A", "B", "C", "D", "E"],
            "last_contact": dates(None, "2024-06-01", "2024-06-20", None, "2024-01-01"),
        },
        index=[10, 11, 12, 13, 14],
    )
    activities = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "c", "d", "zz"],
            "date": dates(
                "2024-06-25",  # a: activity only
                "2024-05-01",  # b: older than the sheet's field, the field wins
                "2024-06-28",  # c: newer than the field
                "2024-07-02",  # c: after as_of, ignored
                "2024-07-01",  # d: only a future activity: never contacted
                "2024-06-01",  # unknown customer, ignored
            ),
            "kind": ["call"] * 6,
        }
    )
    expected = pd.DataFrame(
        {
            "last_contact": dates("2024-06-25", "2024-06-01", "2024-06-28", None, "2024-01-01"),
            "contact_source": pd.Series(
                ["activity", "customers", "activity", None, "customers"],
                dtype=str,
                index=range(10, 15),
            ),
            "cadence_days": np.array([1, 7, 15, 30, 365], dtype=np.int64),
            "cadence_basis": pd.Series(["grade"] * 5, dtype=str, index=range(10, 15)),
            "next_followup": dates(
                "2024-06-26", "2024-06-08", "2024-07-13", "2024-06-30", "2024-12-31"
            ),
            "days_until_due": np.array([-4, -22, 13, 0, 184], dtype=np.int64),
            "overdue_days": np.array([4, 22, 0, 0, 0], dtype=np.int64),
            "urgency": pd.Series(
                ["urgent", "urgent", "soon", "urgent", "slow"], dtype=str, index=range(10, 15)
            ),
            "needs_followup": [True, True, False, True, False],
        },
        index=[10, 11, 12, 13, 14],
    )
    result = schedule_followups(frame, activities, as_of=AS_OF)
    assert_frame_equal(result, expected)


def test_schedule_rejects_duplicate_customers():
    frame = pd.DataFrame({"customer_id": ["a", "a"], "grade": ["A", "B"]})
    with pytest.raises(InputError):
        schedule_followups(frame, as_of=AS_OF)


def test_never_contacted_customers_are_due_on_as_of():
    frame = pd.DataFrame({"customer_id": ["a"], "grade": ["E"]})
    result = schedule_followups(frame, as_of=AS_OF)
    assert result["next_followup"].tolist() == [AS_OF]
    assert result["urgency"].tolist() == ["urgent"]


# --- last contact: activities, the sheet's date and purchases ----------------------


def _buyers(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "customer_id": [f"c{i}" for i in range(n)],
        "grade": ["D"] * n,
        "grade_source": ["default"] * n,
    }
    return pd.DataFrame({**base, **columns})


def test_last_contact_is_the_latest_of_activity_sheet_and_purchase_with_its_source():
    frame = _buyers(
        last_contact=dates("2024-06-10", "2024-06-20", None, "2024-06-15"),
        last_purchase=dates("2024-06-12", "2024-06-01", "2024-06-25", "2024-06-15"),
        tier=["repeat"] * 4,
    )
    activities = pd.DataFrame(
        {
            "customer_id": ["c0", "c3"],
            "date": dates("2024-06-11", "2024-06-15"),
        }
    )
    result = schedule_followups(frame, activities, as_of=AS_OF)
    assert result["last_contact"].tolist() == list(
        pd.to_datetime(["2024-06-12", "2024-06-20", "2024-06-25", "2024-06-15"])
    )
    # a tie goes to the activity, then to the sheet
    assert result["contact_source"].tolist() == ["purchase", "customers", "purchase", "activity"]


def test_a_purchase_is_not_a_contact_when_the_setting_is_off():
    frame = _buyers(last_purchase=dates("2024-06-25"), tier=["new"])
    off = schedule_followups(frame, as_of=AS_OF, settings=Settings(purchase_is_contact=False))
    assert off["last_contact"].isna().all()
    assert off["next_followup"].tolist() == [AS_OF]  # never contacted: due today
    on = schedule_followups(frame, as_of=AS_OF)
    assert on["contact_source"].tolist() == ["purchase"]


@pytest.mark.parametrize("tier", ["new", "repeat", "mature", "loyal"])
@pytest.mark.parametrize(("grade", "source"), [("D", "default"), ("A", "given"), ("A", "derived")])
@pytest.mark.parametrize("contacted", ["2024-06-01", "2024-06-29"])  # before, or the same day
def test_a_customer_who_bought_yesterday_is_not_due_today(tier, grade, source, contacted):
    frame = pd.DataFrame(
        {
            "customer_id": ["a"],
            "grade": [grade],
            "grade_source": [source],
            "last_contact": dates("2024-06-01"),
            "last_purchase": dates("2024-06-29"),
            "tier": [tier],
        }
    )
    activities = pd.DataFrame({"customer_id": ["a"], "date": dates(contacted)})
    result = schedule_followups(frame, activities, as_of=AS_OF)
    assert result["days_until_due"].iloc[0] > 0
    assert result["cadence_basis"].tolist() == ["tier"]


def test_a_contact_logged_after_the_purchase_brings_back_the_grade_cadence():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "grade": ["A", "A"],
            "grade_source": ["given", "given"],
            "last_purchase": dates("2024-06-20", "2024-06-20"),
            "tier": ["repeat", "repeat"],
        }
    )
    activities = pd.DataFrame({"customer_id": ["a"], "date": dates("2024-06-28")})
    result = schedule_followups(frame, activities, as_of=AS_OF)
    assert result["cadence_basis"].tolist() == ["grade", "tier"]
    assert result["cadence_days"].tolist() == [1, 30]
    assert result["next_followup"].tolist() == list(pd.to_datetime(["2024-06-29", "2024-07-20"]))


# --- stale grades --------------------------------------------------------------------


def test_an_expected_close_that_passed_asks_for_a_requalification():
    customers = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "grade": [None, "A", "E", None, None, "b"],
            "expected_close": dates(
                "2024-06-29",  # passed yesterday: derived D
                "2024-03-01",  # typed A kept, flagged
                "2024-03-01",  # typed E: nothing to re-qualify
                "2024-06-30",  # closes today: not passed, A
                None,
                "2024-08-01",  # typed B, close ahead
            ),
        }
    )
    result = derive_grades(customers, as_of=AS_OF)
    assert result["grade"].tolist() == ["D", "A", "E", "A", "D", "B"]
    assert result["requalify"].tolist() == [True, True, False, False, False, False]
    assert result["grade_source"].tolist() == [
        "derived",
        "given",
        "given",
        "derived",
        "default",
        "given",
    ]


def test_a_typed_grade_that_needs_requalifying_keeps_its_cadence():
    customers = pd.DataFrame(
        {"customer_id": ["a"], "grade": ["B"], "expected_close": dates("2024-05-01")}
    )
    grades = derive_grades(customers, as_of=AS_OF)
    frame = pd.concat([customers[["customer_id"]], grades], axis=1)
    frame["last_contact"] = dates("2024-06-28")
    result = schedule_followups(frame, as_of=AS_OF)
    assert result["cadence_days"].tolist() == [7]
    assert result["next_followup"].tolist() == [pd.Timestamp("2024-07-05")]


def test_requalify_reason_in_both_languages():
    en = describe_requalify(dates("2026-03-01", None), "en").tolist()
    zh = describe_requalify(dates("2026-03-01"), "zh").tolist()
    assert en[0] == "expected close 2026-03-01 passed: re-qualify"
    assert pd.isna(en[1])
    assert "2026-03-01" in zh[0] and "re-qualify" not in zh[0]


def test_the_nearest_open_deal_gives_the_expected_close():
    deals = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "zz"],
            "expected_close": dates(
                "2024-09-01",
                "2024-07-15",  # a: the earliest ahead
                "2024-06-01",  # passed, but a has deals ahead
                "2024-05-01",
                "2024-06-10",  # b: all passed, the latest
                "2024-07-01",  # c: won, not open
                "2024-07-01",
            ),
            "deal_status": ["Open", None, "open", "open", "跟进中", "Won", "open"],
        }
    )
    ids = pd.Index(["a", "b", "c", "d"])
    found = nearest_open_close(deals, ids, as_of=AS_OF)
    assert list(pd.to_datetime(found)) == list(
        pd.to_datetime(["2024-07-15", "2024-06-10", None, None])
    )


# --- cadence by situation -------------------------------------------------------------


def test_buyers_without_a_grade_follow_their_tier_and_a_class_override_wins():
    frame = _buyers(
        last_purchase=dates(*["2024-06-01"] * 5),
        tier=["new", "repeat", "mature", "loyal", "loyal"],
        rfm_class=["general_develop", None, "general_value", "important_value", "general_value"],
    )
    result = schedule_followups(frame, as_of=AS_OF)
    assert result["cadence_days"].tolist() == [14, 30, 30, 30, 30]
    assert result["cadence_basis"].tolist() == ["tier", "tier", "tier", "class", "tier"]
    custom = Settings(cadence_repeat=21, cadence_general_value=45, cadence_important_value=None)
    again = schedule_followups(frame, as_of=AS_OF, settings=custom)
    assert again["cadence_days"].tolist() == [14, 21, 45, 30, 45]
    assert again["cadence_basis"].tolist() == ["tier", "tier", "class", "tier", "class"]


def test_prospects_follow_their_grade_even_without_one():
    frame = _buyers(last_contact=dates("2024-06-01"), tier=["potential"])
    result = schedule_followups(frame, as_of=AS_OF)
    assert result["cadence_basis"].tolist() == ["grade"]
    assert result["cadence_days"].tolist() == [30]


def test_no_lost_customer_is_called_more_often_than_the_lost_cadence():
    frame = pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "grade": ["D", "A", "B", "D", "A"],
            "grade_source": ["default", "given", "derived", "default", "derived"],
            "last_contact": dates(None, "2024-06-01", "2024-06-01", None, "2024-06-01"),
            "last_purchase": dates(*["2023-01-10"] * 5),
            "tier": ["lost"] * 5,
            "rfm_class": ["important_value", "general_winback", None, "general_winback", None],
            "expected_close": dates(None, None, "2024-01-01", None, "2024-07-20"),
        }
    )
    settings = Settings(cadence_important_value=7, cadence_general_winback=500)
    result = schedule_followups(frame, as_of=AS_OF, settings=settings)
    # a: an override shorter than a year does not apply; d: a longer one does;
    # e: an open deal (expected close ahead) follows its grade
    assert result["cadence_days"].tolist() == [365, 365, 365, 500, 1]
    assert result["cadence_basis"].tolist() == ["tier", "grade", "grade", "class", "grade"]
    gap = (result["next_followup"] - result["last_contact"]).dt.days
    assert (gap[:4] >= 365).all()


def test_sleeping_customers_get_a_win_back_contact_then_a_quarterly_one():
    frame = _buyers(
        last_contact=dates("2024-02-01", None, "2024-04-15"),
        last_purchase=dates("2024-01-20", "2024-02-20", "2024-01-20"),
        tier=["sleeping"] * 3,
    )
    result = schedule_followups(frame, as_of=AS_OF)
    # a: asleep since 04-19, not contacted since: win-back due then
    # b: never contacted but the purchase: due 90 days after it (= falling asleep)
    # c: contacted 04-15, before falling asleep on 04-19: win-back on 04-19
    assert result["next_followup"].tolist() == list(
        pd.to_datetime(["2024-04-19", "2024-05-20", "2024-04-19"])
    )
    later = _buyers(
        last_contact=dates("2024-05-01"), last_purchase=dates("2024-01-20"), tier=["sleeping"]
    )
    # contacted after falling asleep: quarterly from that contact
    again = schedule_followups(later, as_of=AS_OF)
    assert again["next_followup"].tolist() == [pd.Timestamp("2024-07-30")]


# --- the customer pool (公海) --------------------------------------------------------------


def test_nobody_returns_to_the_pool_when_both_limits_are_blank():
    flags = pool_flags(["Li", "Li"], [900.0, np.nan], [900.0, np.nan])
    assert flags.tolist() == [False, False]


def test_pool_needs_an_owner_no_purchase_and_no_contact_past_the_limits():
    settings = Settings(pool_no_deal_days=90, pool_no_contact_days=30)
    owner = ["Li", "Li", "Li", "Li", None, " ", "Li"]
    recency = [91.0, 90.0, 91.0, np.nan, 200.0, 200.0, np.nan]
    contact = [31.0, 31.0, 30.0, np.nan, 200.0, 200.0, 5.0]
    flags = pool_flags(owner, recency, contact, settings=settings)
    assert flags.tolist() == [True, False, False, True, False, False, False]


def test_one_pool_limit_alone_is_enough():
    only_contact = Settings(pool_no_contact_days=60)
    flags = pool_flags(["Li", "Li"], [1.0, 1.0], [61.0, 60.0], settings=only_contact)
    assert flags.tolist() == [True, False]
    only_deal = Settings(pool_no_deal_days=60)
    assert pool_flags(["Li"], [61.0], [0.0], settings=only_deal).tolist() == [True]


def test_pool_reason_names_the_limits_that_are_set():
    settings = Settings(pool_no_deal_days=90, pool_no_contact_days=30)
    en = describe_pool([200.0, np.nan], [1.0, np.nan], "en", settings=settings).tolist()
    assert en == [
        "return to pool: no purchase for 200 days, no contact for 1 day",
        "return to pool: never bought, never contacted",
    ]
    one = describe_pool([200.0], [45.0], "en", settings=Settings(pool_no_contact_days=30))
    assert one.tolist() == ["return to pool: no contact for 45 days"]
    zh = describe_pool([200.0], [45.0], "zh", settings=settings).iloc[0]
    assert "200" in zh and "45" in zh and "pool" not in zh
