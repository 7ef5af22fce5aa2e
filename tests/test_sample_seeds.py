"""The sample's Deals, stage history and Feedback sheets and the new Customers columns:
every part of the funnel, loyalty, feedback and referrals shows in `make demo`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xlcrm.core.analysis import analyze
from xlcrm.core.schema import SATISFACTION_WORDS
from xlcrm.jobs import run_job
from xlcrm.xlsx import sample as sm
from xlcrm.xlsx.reader import read_workbook


@pytest.fixture(scope="module")
def book() -> sm.Sample:
    return sm.generate_sample(customers=600, seed=3)


def test_the_old_parts_of_a_seed_stay_as_they_were(book: sm.Sample) -> None:
    again = sm.generate_sample(customers=600, seed=3)
    pd.testing.assert_frame_equal(book.orders, again.orders)
    pd.testing.assert_frame_equal(book.deals, again.deals)


def test_deals_have_every_status_and_stage_and_a_history(book: sm.Sample) -> None:
    deals = book.deals
    assert set(deals["status"]) == {"Open", "Won", "Lost"}
    assert set(deals["stage"]) == {"Lead", "Qualified", "Proposal", "Negotiation", "Won"}
    assert deals["customer_id"].isin(book.customers["customer_id"]).all()
    assert deals.loc[deals["status"] == "Lost", "lost_reason"].notna().all()
    history = book.stage_history
    assert history["deal_id"].isin(deals["deal_id"]).all()
    assert (history["date"] <= book.as_of).all()
    first = history.groupby("deal_id")["date"].min()
    created = deals.set_index("deal_id")["created"]
    assert (first == created.reindex(first.index)).all()


def test_feedback_and_the_customer_columns(book: sm.Sample) -> None:
    feedback = book.feedback
    assert set(feedback["kind"]) == {"Complaint", "Suggestion", "Praise", "Return"}
    assert (feedback["date"] <= book.as_of).all()
    assert (feedback["closed"].dropna() >= feedback.loc[feedback["closed"].notna(), "date"]).all()
    c = book.customers
    words = c["satisfaction"].dropna()
    assert words.map(lambda v: isinstance(v, str)).any() and words.map(type).eq(int).any()
    assert (
        words[words.map(lambda v: isinstance(v, str))].str.casefold().isin(SATISFACTION_WORDS).all()
    )
    referred = c["referred_by"].dropna()
    assert len(referred) > 20 and referred.isin(c["customer_id"]).all()
    assert (c["referred_by"] != c["customer_id"]).all()
    assert c["cost"].notna().sum() > 50


def test_the_sample_workbook_shows_every_part(tmp_path: Path) -> None:
    for lang in ("en", "zh"):
        s = sm.generate_sample(customers=300, seed=4, lang=lang)
        data = read_workbook(sm.write_sample(s, tmp_path / f"{lang}.xlsx"))
        assert data.settings.stages[0].label(lang) == {"en": "Lead", "zh": "线索"}[lang]
        job = run_job(data, today=s.as_of.date())
        found = job.analysis.insights
        assert found.funnel is not None and found.feedback is not None
        assert found.referrals is not None and found.referrals.referred > 0
        assert found.funnel.summary["stuck"].iloc[0] > 0
        assert set(found.customers["loyalty_level"].dropna()) == {"advocate", "steady", "at_risk"}
        assert found.customers["open_complaint"].any()
        assert (found.customers["margin_source"] == "cost").any()
        assert found.issues.empty  # the sample has no problem rows of its own
    plain = analyze(s.orders, s.customers, s.activities, as_of=s.as_of)
    assert plain.insights.funnel is None
