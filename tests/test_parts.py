"""The analysis in slices of customers is the analysis in one frame."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.analysis import analyze, prepare
from xlcrm.core.parts import PER_CUSTOMER, analyze_in_parts
from xlcrm.xlsx.sample import generate_sample


@pytest.mark.parametrize("rows", [1, 97, 10_000])
def test_slices_concatenated_equal_the_whole_analysis(rows: int) -> None:
    sample = generate_sample(customers=60 if rows == 1 else 700)
    args = (sample.orders, sample.customers, sample.activities)
    whole = analyze(*args, as_of=sample.as_of)
    parts = analyze_in_parts(prepare(*args, as_of=sample.as_of, settings=whole.settings), rows=rows)
    frames = list(parts.frames())
    assert len(frames) == -(-len(whole.customers) // rows)
    assert_frame_equal(pd.concat(frames, ignore_index=True), whole.customers, check_exact=True)
    assert parts.analysis.thresholds == whole.thresholds
    assert parts.analysis.pareto.revenue == whole.pareto.revenue


def test_coded_slices_hold_the_same_values_as_text_slices() -> None:
    sample = generate_sample(customers=400)
    args = (sample.orders, sample.customers, sample.activities)
    whole = analyze(*args, as_of=sample.as_of)
    run = prepare(*args, as_of=sample.as_of, settings=whole.settings)
    coded = list(analyze_in_parts(run, rows=150).frames(coded=True))
    kinds = {name for f in coded for name, dtype in f.dtypes.items() if dtype == "category"}
    # the class, tier and grade columns, from both kinds of stage, come as codes
    assert {"rfm_class", "tier", "grade", "urgency", "churn_reason"} <= kinds
    assert "customer_id" not in kinds
    text = pd.concat(
        [f.astype({k: whole.customers[k].dtype for k in kinds}) for f in coded],
        ignore_index=True,
    )
    assert_frame_equal(text, whole.customers, check_exact=True)


def test_only_known_stages_run_per_slice() -> None:
    from xlcrm.core.analysis import STAGES

    names = {stage.__name__ for stage in STAGES}
    assert names >= PER_CUSTOMER
    assert {"identity", "scores", "classes", "tiers", "concentration"} <= names - PER_CUSTOMER


def test_stages_that_work_in_chunks_give_what_one_chunk_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from xlcrm.core import insights

    sample = generate_sample(customers=200)
    args = (sample.orders, sample.customers, sample.activities)
    whole = analyze(*args, as_of=sample.as_of)
    monkeypatch.setattr(insights, "_CHUNK", 7)
    chunked = analyze(*args, as_of=sample.as_of)
    assert_frame_equal(chunked.customers, whole.customers, check_exact=True)
    assert whole.insights is not None and chunked.insights is not None
    assert_frame_equal(chunked.insights.customers, whole.insights.customers, check_exact=True)
    assert whole.insights.customers["loyalty_level"].nunique() > 1


def test_the_insights_of_parts_hold_the_same_values_and_figures() -> None:
    from xlcrm.xlsx.insight_sheets import dashboard_parts

    sample = generate_sample(customers=250)
    args = (sample.orders, sample.customers, sample.activities)
    whole = analyze(*args, as_of=sample.as_of)
    parts = analyze_in_parts(prepare(*args, as_of=sample.as_of, settings=whole.settings), rows=50)
    got, want = parts.analysis.insights, whole.insights
    assert got is not None and want is not None
    assert (got.customers.dtypes == "category").any()  # the text as codes
    for name in want.customers.columns:
        a = got.customers[name].astype(object).where(got.customers[name].notna(), None)
        b = want.customers[name].astype(object).where(want.customers[name].notna(), None)
        assert a.tolist() == b.tolist(), name
    assert dashboard_parts(parts.analysis, "en")[0] == dashboard_parts(whole, "en")[0]
