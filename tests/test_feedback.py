"""Feedback: open items by age, response times, satisfaction by group, open complaints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.feedback import (
    latest_satisfaction,
    open_complaints,
    read_feedback,
    satisfaction_by,
)

AS_OF = pd.Timestamp("2024-06-30")


def _feedback(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("date", "closed"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _day(n: int) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=n)


def test_response_time_median_and_90th_percentile_like_excel():
    rows = [
        dict(date="2024-01-01", customer_id="A", kind="praise", closed=f"2024-01-{1 + d:02d}")
        for d in (1, 2, 3, 4, 10)
    ]
    times = read_feedback(_feedback(rows), as_of=AS_OF).response_times()
    # PERCENTILE.INC: position 0.9 * 4 = 3.6 -> 4 + 0.6 * (10 - 4)
    assert times == {"closed": 5, "median": 3.0, "p90": pytest.approx(7.6)}


def test_closed_before_opened_is_a_data_quality_row_and_no_response_time():
    rows = [
        dict(date="2024-03-10", customer_id="A", kind="complaint", closed="2024-03-01", row=2),
        dict(date="2024-03-10", customer_id="B", kind="complaint", closed="2024-03-12", row=3),
    ]
    feedback = read_feedback(_feedback(rows), as_of=AS_OF)
    issue = feedback.issues.iloc[0]
    assert len(feedback.issues) == 1
    assert (issue["sheet"], issue["row"], issue["column"], issue["reason"]) == (
        "feedback",
        2,
        "closed",
        "closed_before_opened",
    )
    assert not issue["left_out"]
    assert feedback.items["is_open"].tolist() == [False, False]
    assert feedback.response_times() == {"closed": 1, "median": 2.0, "p90": 2.0}


def test_open_items_by_age_at_the_bucket_edges():
    ages = [0, 7, 8, 30, 31, 90, 91, 400]
    rows = [
        dict(date=_day(a), customer_id=str(a), kind="complaint" if a in (7, 91) else "praise")
        for a in ages
    ]
    table = read_feedback(_feedback(rows), as_of=AS_OF).open_by_age((7, 30, 90))
    expected = pd.DataFrame(
        {
            "bucket": ["week", "month", "quarter", "older"],
            "items": [2, 2, 2, 2],
            "complaints": [1, 0, 0, 1],
        }
    )
    assert_frame_equal(table, expected)


def test_status_and_closed_date_decide_open_on_as_of():
    rows = [
        dict(date="2024-06-01", customer_id="A", kind="投诉", status="已解决", closed=None),
        dict(date="2024-06-01", customer_id="B", kind="投诉", status=None, closed="2024-06-10"),
        dict(date="2024-06-01", customer_id="C", kind="投诉", status="closed", closed="2024-07-05"),
        dict(date="2024-06-01", customer_id="D", kind="投诉", status="open", closed="2024-06-05"),
        dict(date="2024-06-01", customer_id="E", kind="投诉", status=None, closed=None),
        dict(date="2024-07-02", customer_id="F", kind="投诉", status=None, closed=None),
    ]
    feedback = read_feedback(_feedback(rows), as_of=AS_OF)
    assert feedback.items["customer_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert feedback.items["is_open"].tolist() == [False, False, True, True, True]
    assert feedback.items["age_days"].tolist()[2:] == [29, 29, 29]
    flags = open_complaints(feedback, pd.Index(["A", "B", "C", "D", "E", "F", "G"]))
    assert flags.tolist() == [False, False, True, True, True, False, False]


def test_only_complaints_raise_the_flag_and_unknown_kinds_are_listed():
    rows = [
        dict(date="2024-06-01", customer_id="A", kind="suggestion", row=2),
        dict(date="2024-06-01", customer_id="B", kind="退货", row=3),
        dict(date="2024-06-01", customer_id="C", kind="rant", row=4),
    ]
    feedback = read_feedback(_feedback(rows), as_of=AS_OF)
    assert feedback.items["kind"].tolist() == ["suggestion", "return", "other"]
    assert not open_complaints(feedback, pd.Index(["A", "B", "C"])).any()
    assert feedback.issues[["row", "reason"]].values.tolist() == [[4, "unknown_kind"]]
    kinds = feedback.kinds().set_index("kind")
    assert kinds.loc["other", "items"] == 1 and kinds.loc["return", "open"] == 1


def test_latest_rated_item_gives_the_customers_satisfaction():
    rows = [
        dict(date="2024-05-01", customer_id="A", kind="praise", satisfaction=5),
        dict(date="2024-06-01", customer_id="A", kind="complaint", satisfaction="很不满意"),
        dict(date="2024-06-02", customer_id="A", kind="praise", satisfaction=None),
        dict(date="2024-06-01", customer_id="B", kind="praise", satisfaction="bad", row=9),
    ]
    feedback = read_feedback(_feedback(rows), as_of=AS_OF)
    found = latest_satisfaction(feedback, pd.Index(["A", "B"]))
    assert found[0] == 1.0 and np.isnan(found[1])
    assert feedback.issues["reason"].tolist() == ["bad_satisfaction"]


def test_satisfaction_by_group_counts_each_customer_once():
    table = satisfaction_by(
        ["x", "x", "x", "y", None], [5.0, 2.0, np.nan, 4.0, 1.0], ("x", "y", "z")
    )
    expected = pd.DataFrame(
        {
            "group": ["x", "y", "z"],
            "customers": [3, 1, 0],
            "rated": [2, 1, 0],
            "mean": [3.5, 4.0, np.nan],
            "low": [1, 0, 0],
        }
    )
    assert_frame_equal(table, expected)


def test_rows_without_a_date_or_customer_are_left_out_and_listed():
    rows = [
        dict(date=None, customer_id="A", kind="praise", row=2),
        dict(date="2024-06-01", customer_id=None, kind="praise", row=3),
    ]
    feedback = read_feedback(_feedback(rows), as_of=AS_OF)
    assert feedback.items.empty
    assert feedback.issues[["row", "column", "left_out"]].values.tolist() == [
        [2, "date", True],
        [3, "customer_id", True],
    ]
