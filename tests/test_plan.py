"""The daily call plan: working days, capacity, priority, backlog and the words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlcrm.core.analysis import analyze
from xlcrm.core.plan import CALL_COLUMNS, build_plan, describe_calls, working_days
from xlcrm.core.settings import Settings
from xlcrm.xlsx.sample import generate_sample

MONDAY = pd.Timestamp("2026-06-29")
D = dt.date


def stamps(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v) for v in values]


def customers(n: int, **columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "customer_id": [f"c{i:03d}" for i in range(n)],
        "owner": ["Li"] * n,
        "grade": ["D"] * n,
        "next_followup": [MONDAY] * n,
        "overdue_days": [0] * n,
        "monetary": [0.0] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


# --- working days ------------------------------------------------------------------------


def test_the_plan_skips_weekends_and_starts_on_as_of_when_it_is_a_working_day():
    days = working_days(as_of=pd.Timestamp("2026-07-02"), settings=Settings(plan_days=5))
    assert list(days) == stamps(
        "2026-07-02", "2026-07-03", "2026-07-06", "2026-07-07", "2026-07-08"
    )


def test_a_weekend_as_of_starts_the_plan_on_monday():
    days = working_days(as_of=pd.Timestamp("2026-07-04"), settings=Settings(plan_days=2))
    assert list(days) == stamps("2026-07-06", "2026-07-07")


def test_holidays_are_skipped_and_extra_working_days_are_worked():
    national_day = Settings(
        plan_days=4,
        holidays=tuple(D(2026, 10, d) for d in range(1, 8)),
        extra_workdays=(D(2026, 9, 27), D(2026, 10, 10)),
    )
    days = working_days(as_of=pd.Timestamp("2026-09-26"), settings=national_day)
    # Sat 26 Sep is a weekend; Sun 27 Sep is a 调休 working day; 1-7 Oct are holidays
    assert list(days) == stamps("2026-09-27", "2026-09-28", "2026-09-29", "2026-09-30")
    later = working_days(as_of=pd.Timestamp("2026-10-01"), settings=national_day)
    assert list(later) == stamps("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12")


def test_a_listed_holiday_wins_over_an_extra_working_day():
    both = Settings(plan_days=1, holidays=(D(2026, 7, 4),), extra_workdays=(D(2026, 7, 4),))
    assert list(working_days(as_of=pd.Timestamp("2026-07-04"), settings=both)) == stamps(
        "2026-07-06"
    )


def test_other_working_weeks():
    six_days = Settings(plan_days=6, work_days=(0, 1, 2, 3, 4, 5))
    days = working_days(as_of=MONDAY, settings=six_days)
    assert [d.day_of_week for d in days] == [0, 1, 2, 3, 4, 5]


# --- capacity, due dates and priority ---------------------------------------------------


def test_calls_fill_each_day_up_to_capacity_and_the_rest_is_backlog():
    frame = customers(7, monetary=[float(v) for v in range(7)])
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=2, plan_days=3))
    assert plan.calls["date"].tolist() == stamps(
        *["2026-06-29"] * 2, *["2026-06-30"] * 2, *["2026-07-01"] * 2
    )
    # the most valuable first
    assert plan.calls["customer_id"].tolist() == ["c006", "c005", "c004", "c003", "c002", "c001"]
    assert plan.calls["priority"].tolist() == [1, 2, 1, 2, 1, 2]
    assert plan.backlog["customer_id"].tolist() == ["c000"]
    assert plan.backlog_by_grade() == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 0, "": 0}
    assert list(plan.calls.columns) == list(CALL_COLUMNS)


def test_priority_is_grade_then_value_then_days_overdue():
    frame = customers(
        5,
        grade=["D", "A", "B", "B", "B"],
        monetary=[9e9, 1.0, 500.0, 500.004, 100.0],
        overdue_days=[0, 0, 3, 9, 50],
        next_followup=[MONDAY - pd.Timedelta(days=d) for d in (0, 0, 3, 9, 50)],
    )
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=10))
    # 500.00 and 500.004 are the same money in cents: the longer overdue first
    assert plan.calls["customer_id"].tolist() == ["c001", "c003", "c002", "c004", "c000"]


def test_expected_value_ranks_instead_of_spend_when_present():
    frame = customers(2, monetary=[100.0, 10.0], expected_value=[5.0, 50.0])
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=1))
    assert plan.calls["customer_id"].tolist()[:1] == ["c001"]


def test_no_call_is_placed_before_it_is_due():
    frame = customers(
        3,
        grade=["A", "A", "E"],
        next_followup=stamps("2026-07-01", "2026-07-08", "2026-06-01"),
        overdue_days=[0, 0, 28],
    )
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=5))
    placed = dict(zip(plan.calls["customer_id"], plan.calls["date"], strict=True))
    # c000 waits for Wednesday although Monday has room; c001 is after the horizon
    assert placed == {"c002": MONDAY, "c000": pd.Timestamp("2026-07-01")}
    assert plan.backlog.empty


def test_owners_have_their_own_capacity_and_no_owner_is_a_queue_of_its_own():
    frame = customers(6, owner=["Li", " li", "Wang", "Wang", None, ""])
    rules = Settings(daily_calls=3, owner_calls=(("LI", 1), ("Wang", 0)), plan_days=1)
    plan = build_plan(frame, as_of=MONDAY, settings=rules)
    per_owner = plan.calls.groupby(plan.calls["owner"].fillna("").str.strip().str.lower()).size()
    assert per_owner.to_dict() == {"": 2, "li": 1}
    assert plan.capacity["calls"].tolist() == [1, 3, 0] or plan.capacity["calls"].tolist() == [
        1,
        0,
        3,
    ]
    assert len(plan.backlog) == 3
    assert plan.calls["owner"].iloc[-1] in (None, "")  # no owner last


def test_overdue_days_count_to_the_day_of_the_call():
    frame = customers(2, next_followup=stamps("2026-06-26", "2026-06-26"), overdue_days=[3, 3])
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=1))
    assert plan.calls["overdue_days"].tolist() == [3, 4]


def test_an_empty_book_gives_an_empty_plan():
    plan = build_plan(customers(0), as_of=MONDAY)
    assert plan.calls.empty and plan.backlog.empty and len(plan.days) == 5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Li", "Wang", "Zhao", None]),
            st.sampled_from(["A", "B", "C", "D", "E", None]),
            st.integers(-30, 15),
            st.integers(0, 5000),
        ),
        max_size=80,
    ),
    st.integers(1, 6),
    st.integers(1, 8),
    st.sampled_from(["2026-06-29", "2026-07-03", "2026-07-04", "2026-09-30"]),
)
def test_plan_invariants(rows, calls, horizon, as_of):
    as_of = pd.Timestamp(as_of)
    holidays = (D(2026, 7, 1), D(2026, 10, 1), D(2026, 10, 2))
    rules = Settings(daily_calls=calls, plan_days=horizon, holidays=holidays)
    frame = customers(
        len(rows),
        owner=[r[0] for r in rows],
        grade=[r[1] for r in rows],
        next_followup=[as_of + pd.Timedelta(days=r[2]) for r in rows],
        overdue_days=[max(0, -r[2]) for r in rows],
        monetary=[r[3] / 100 for r in rows],
    )
    plan = build_plan(frame, as_of=as_of, settings=rules)
    c = plan.calls
    # no owner over capacity on any day
    assert (c.groupby([c["date"], c["owner"].fillna("")]).size() <= calls).all()
    # never a weekend or a holiday, never before as_of or before due
    assert (c["date"].dt.day_of_week < 5).all()
    assert not c["date"].dt.date.isin(holidays).any()
    assert (c["date"] >= as_of).all()
    assert (c["date"] >= c["next_followup"]).all()
    # every candidate is either called or in the backlog, once
    due = pd.to_datetime(frame["next_followup"]) <= plan.days[-1]
    ids = pd.concat([c["customer_id"], plan.backlog["customer_id"]])
    assert ids.is_unique and set(ids) == set(frame.loc[due, "customer_id"])
    # sorted by date, owner, priority
    key = c.assign(o=c["owner"].fillna("\uffff"))
    assert key.sort_values(["date", "o", "priority"]).index.tolist() == key.index.tolist()
    # a day with room left leaves nothing due that day in the backlog
    for (owner, day), size in c.groupby([c["owner"].fillna(""), "date"]).size().items():
        if size < calls:
            waiting = plan.backlog[plan.backlog["owner"].fillna("") == owner]
            assert not (waiting["next_followup"] <= day).any()


# --- words ---------------------------------------------------------------------------------


def test_why_and_action_in_both_languages():
    frame = customers(
        3,
        next_followup=stamps("2026-06-29", "2026-06-28", "2026-06-01"),
        overdue_days=[0, 1, 28],
        requalify=[False, True, False],
        expected_close=stamps("2026-09-01", "2026-06-15", "2026-09-01"),
        churn_warning=[False, False, True],
        pool=[False, False, True],
        action_key=["potential", "repeat_general", "lost_general"],
    )
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=1, plan_days=1))
    assert len(plan.calls) == 1
    plan = build_plan(frame, as_of=MONDAY, settings=Settings(daily_calls=5, plan_days=1))
    calls = plan.calls.set_index("customer_id", drop=False)
    en = describe_calls(calls, "en", pool_reason=pd.Series({"c002": "return to pool: x"}))
    assert en.loc["c000", "why"] == "due"
    assert en.loc["c001", "why"] == "overdue by 1 day; expected close 2026-06-15 passed: re-qualify"
    assert en.loc["c002", "why"] == "overdue by 28 days; churn warning; return to pool: x"
    assert en.loc["c000", "action"].startswith("Turn interest into a first order")
    zh = describe_calls(calls, "zh")
    assert zh.loc["c001", "why"] == "逾期 1 天；预计成交日期 2026-06-15 已过：请重新评定等级"
    assert zh.loc["c002", "why"].endswith("退回公海")


# --- on a whole book --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book():
    sample = generate_sample(customers=1500, seed=7)
    analysis = analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)
    return sample, analysis


def test_on_a_sample_book_the_plan_keeps_every_rule(book):
    _, analysis = book
    rules = analysis.settings.replace(daily_calls=12, holidays=(D(2026, 7, 1),))
    plan = build_plan(analysis.customers, as_of=analysis.as_of, settings=rules)
    c = plan.calls
    assert (c.groupby(["date", "owner"]).size() <= 12).all()
    assert (c["date"].dt.day_of_week < 5).all() and D(2026, 7, 1) not in set(c["date"].dt.date)
    bought_yesterday = analysis.customers.loc[
        analysis.customers["last_purchase"] == analysis.as_of - pd.Timedelta(days=1), "customer_id"
    ]
    assert len(bought_yesterday) > 0
    today = c[c["date"] == plan.days[0]]
    assert not today["customer_id"].isin(bought_yesterday).any()


def test_lost_customers_without_a_grade_are_due_yearly(book):
    _, analysis = book
    c = analysis.customers
    lost = c[(c["tier"] == "lost") & (c["cadence_basis"] != "grade")]
    assert len(lost) > 0
    assert (lost["cadence_days"] >= 365).all()
    gap = (lost["next_followup"] - lost["last_contact"]).dt.days
    assert (gap >= 365).all()


def test_no_python_loop_over_customers_the_plan_of_many_is_quick_enough_to_build(book):
    # not a timing test: it only runs the plan on a 20-owner frame of many rows
    _, analysis = book
    big = pd.concat([analysis.customers] * 20, ignore_index=True)
    big["customer_id"] = np.arange(len(big)).astype(str)
    big["owner"] = np.arange(len(big)) % 20
    plan = build_plan(big, as_of=analysis.as_of)
    assert plan.capacity["calls"].eq(20).all() and len(plan.capacity) == 20


@pytest.mark.slow
def test_the_rules_hold_for_a_book_of_100k_customers_and_20_owners():
    sample = generate_sample(customers=100_000, seed=11)
    customers = sample.customers.copy()
    customers["owner"] = [f"rep {i % 20:02d}" for i in range(len(customers))]
    analysis = analyze(sample.orders, customers, sample.activities, as_of=sample.as_of)
    c = analysis.customers
    holiday = D(2026, 7, 2)
    rules = analysis.settings.replace(holidays=(holiday,))
    plan = build_plan(c, as_of=analysis.as_of, settings=rules)
    calls = plan.calls
    assert calls["owner"].nunique() == 20
    assert (calls.groupby(["date", "owner"]).size() <= rules.daily_calls).all()
    assert (calls["date"].dt.day_of_week < 5).all() and holiday not in set(calls["date"].dt.date)
    yesterday = analysis.as_of - pd.Timedelta(days=1)
    bought = c["last_purchase"] == yesterday
    assert bought.any() and (c.loc[bought, "next_followup"] > analysis.as_of).all()
    lost = c[(c["tier"] == "lost") & (c["cadence_basis"] != "grade")]
    assert ((lost["next_followup"] - lost["last_contact"]).dt.days >= 365).all()
    # every due customer is either planned once or in the backlog
    due = c.loc[c["next_followup"] <= plan.days[-1], "customer_id"]
    planned = calls["customer_id"]
    assert planned.is_unique
    assert set(planned) | set(plan.backlog["customer_id"]) == set(due)


@pytest.mark.parametrize(
    "ids",
    [
        ["c2", "c10", "c1", "c3"],  # text out of order
        ["c1", "c10", "c2", "c3"],  # text in order (the analysis's own order)
        [2, 10, 1, 3],  # numbers: compared as text, "10" before "2"
        ["b", 1, "a", 2],  # both kinds
    ],
)
def test_equal_priority_goes_by_customer_id_as_text(ids: list[object]) -> None:
    from xlcrm.core.plan import priority_order

    frame = customers(len(ids), customer_id=ids)
    got = [str(frame["customer_id"][k]) for k in priority_order(frame)]
    assert got == sorted(str(i) for i in ids)


def test_a_backlog_kept_for_counting_counts_what_the_full_one_holds() -> None:
    sample = generate_sample(customers=400)
    a = analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)
    tight = Settings(plan_days=2, daily_calls=3)
    full = build_plan(a.customers, as_of=a.as_of, settings=tight)
    lean = build_plan(a.customers, as_of=a.as_of, settings=tight, backlog_rows=False)
    assert len(full.backlog) > 0
    pd.testing.assert_frame_equal(lean.calls, full.calls)
    assert len(lean.backlog) == len(full.backlog)
    assert lean.backlog_by_grade() == full.backlog_by_grade()
    owner = full.backlog["owner"].dropna().iloc[0]
    assert lean.backlog_by_grade(owner) == full.backlog_by_grade(owner)
