"""The call plan with feedback and deals: open complaints first, ahead of the grades;
stuck deals enter the plan even when their follow-up is not due."""

from __future__ import annotations

import pandas as pd
from test_brief_insights import CUSTOMERS, DEALS, FEEDBACK, ORDERS

from xlcrm.core.analysis import analyze
from xlcrm.core.insights import with_insights
from xlcrm.core.plan import build_plan, describe_calls
from xlcrm.core.settings import Settings

MONDAY = pd.Timestamp("2026-06-29")


def _customers(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "customer_id": ["a", "b", "c", "d"],
        "owner": ["Li"] * 4,
        "grade": ["A", "B", "E", "C"],
        "next_followup": [MONDAY] * 3 + [pd.Timestamp("2026-09-01")],
        "overdue_days": [0] * 4,
        "monetary": [100.0, 200.0, 10.0, 50.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_an_open_complaint_comes_before_grade_a():
    frame = _customers(open_complaint=[False, False, True, False])
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=2, plan_days=1))
    assert plan.calls["customer_id"].tolist() == ["c", "a"]  # E with a complaint, then A
    assert plan.backlog["customer_id"].tolist() == ["b"]


def test_a_stuck_deal_or_complaint_is_due_now_whatever_the_schedule():
    frame = _customers(stuck_deal=[False, False, False, True])
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=5, plan_days=1))
    assert plan.calls["customer_id"].tolist() == ["a", "b", "d", "c"]  # d: due in September
    words = describe_calls(plan.calls.set_index("customer_id"), "en")["why"]
    assert words["d"] == "due; deal stuck"
    frame = _customers(open_complaint=[False, False, False, True])
    calls = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=5, plan_days=1)).calls
    assert calls["customer_id"].tolist()[0] == "d"
    zh = describe_calls(calls.set_index("customer_id"), "zh")["why"]
    assert zh["d"].startswith("未关闭投诉")


def test_without_the_flags_the_plan_is_as_before():
    frame = _customers()
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=5, plan_days=1))
    assert plan.calls["customer_id"].tolist() == ["a", "b", "c"]
    assert not plan.calls["open_complaint"].any() and not plan.calls["stuck_deal"].any()


def test_the_analysis_feeds_the_plan():
    result = analyze(ORDERS, CUSTOMERS, as_of="2024-06-30", deals=DEALS, feedback=FEEDBACK)
    plan = build_plan(with_insights(result), as_of=result.as_of, settings=result.settings)
    first = plan.calls.sort_values(["date", "priority"]).iloc[0]
    assert first["customer_id"] == "A" and bool(first["open_complaint"])
    assert bool(plan.calls.set_index("customer_id").loc["A", "stuck_deal"])
