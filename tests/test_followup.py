"""A-E grades, cadence, next follow-up and urgency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.errors import InputError
from xlcrm.core.followup import cadence_for, derive_grades, schedule_followups, urgency_codes
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
                "2024-05-01",  # already past -> A
                "2024-07-05",  # but no need -> E
                None,  # nothing known -> D
                "2024-07-05",  # invalid given grade -> derived A
            ),
            "need_status": [None] * 8 + ["No need", None, None],
        }
    )
    expected = pd.DataFrame(
        {
            "grade": pd.Series(list("BAABBCDAEDA"), dtype=str),
            "grade_source": pd.Series(["given", "given"] + ["derived"] * 9, dtype=str),
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


def test_grades_without_any_pipeline_columns_are_d():
    result = derive_grades(pd.DataFrame({"customer_id": ["a", "b"]}), as_of=AS_OF)
    assert result["grade"].tolist() == ["D", "D"]


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
            "cadence_days": np.array([1, 7, 15, 30, 365], dtype=np.int64),
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
