"""The brief's funnel, loyalty, feedback, referral, relationship, long-tail and changes
sections: context values, per-owner funnels, and real WeasyPrint PDFs in en and zh."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from xlcrm import report
from xlcrm.core.analysis import Analysis, analyze
from xlcrm.core.changes import compare_analyses
from xlcrm.xlsx.sample import generate_sample

AS_OF = pd.Timestamp("2024-06-30")

ORDERS = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "A", "B", "B", "C", "D"],
        "order_date": pd.to_datetime(
            [
                "2023-01-10",
                "2023-05-01",
                "2023-09-10",
                "2023-12-20",
                "2024-05-01",
                "2024-02-01",
                "2024-06-01",
                "2024-06-10",
                "2023-03-01",
            ]
        ),
        "amount": [900.0] * 5 + [100.0, 100.0, 50.0, 50.0],
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "D", "P"],
        "name": ["Acme", "Bolt", "Cogs", "Dyn", "Pip"],
        "owner": ["Ann", "Ann", "Bob", "Bob", "Bob"],
        "satisfaction": [2, 5, 4, None, None],
        "recommend": [9, 10, "possible", None, None],
        "referred_by": [None, "A", "A", "B", None],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["1", "2", "3", "4"],
        "customer_id": ["P", "B", "C", "A"],
        "owner": ["Bob", "Ann", "Bob", "Ann"],
        "stage": ["qualified", "won", "proposal", "negotiation"],
        "status": ["open", "won", "lost", "open"],
        "amount": [100.0, 200.0, 300.0, 400.0],
        "created": pd.to_datetime(["2024-06-20", "2024-01-01", "2024-02-01", "2024-03-01"]),
        "closed": pd.to_datetime([None, "2024-02-01", "2024-04-01", None]),
    }
)
FEEDBACK = pd.DataFrame(
    {
        "date": pd.to_datetime(["2024-06-01", "2024-04-01", "2024-05-01"]),
        "customer_id": ["A", "B", "C"],
        "kind": ["complaint", "praise", "suggestion"],
        "closed": pd.to_datetime([None, "2024-04-03", "2024-05-11"]),
    }
)


@pytest.fixture(scope="module")
def small() -> Analysis:
    return analyze(ORDERS, CUSTOMERS, as_of=AS_OF, deals=DEALS, feedback=FEEDBACK)


def test_funnel_section_for_the_team_and_each_owner(small: Analysis) -> None:
    funnel = report.build_context(small, lang="en", insights=True)["funnel"]
    assert [c["title"] for c in funnel["charts"]] == ["Team", "Ann", "Bob"]
    assert [r["reached"] for r in funnel["stages"]] == ["4", "4", "3", "2", "1"]
    assert [r["conversion"] for r in funnel["stages"]] == ["100%", "75%", "67%", "50%", "—"]
    assert funnel["figures"][1]["value"] == "50%"  # won 1 of 2 closed
    assert [r["owner"] for r in funnel["owners"]] == ["Team", "Ann", "Bob"]
    assert [r["deal"] for r in funnel["stuck"]] == ["4"]  # 121 days in negotiation
    assert "↓ 75%" in str(funnel["charts"][0]["svg"])


def test_single_owner_brief_shows_that_owners_funnel(small: Analysis) -> None:
    context = report.build_context(small, lang="en", owner="bob", insights=True)
    funnel = context["funnel"]
    assert [c["title"] for c in funnel["charts"]] == ["Bob"]
    assert [r["reached"] for r in funnel["stages"]] == ["2", "2", "1", "0", "0"]
    assert funnel["owners"] == []
    assert funnel["stuck"] == []


def test_loyalty_feedback_and_referrals(small: Analysis) -> None:
    context = report.build_context(small, lang="en", insights=True)
    levels = {r["code"]: r["customers"] for r in context["loyalty"]["levels"]}
    assert levels == {"advocate": "1", "steady": "1", "at_risk": "2"}  # B; C; A (and D)
    # Acme bought in 4 of its 5 whole 90-day windows (repurchase high) but rates 2
    assert [r["name"] for r in context["loyalty"]["quiet"]] == ["Acme"]
    feedback = context["feedback"]
    assert [f["value"] for f in feedback["figures"]] == ["1", "1", "6.0", "9.2"]
    assert [r["name"] for r in feedback["complaints"]] == ["Acme"]
    referrals = context["referrals"]
    assert [r["name"] for r in referrals["top"]] == ["Acme", "Bolt"]
    assert referrals["figures"][0]["value"] == "3"


def test_relationship_matrix_places_every_class_present(small: Analysis) -> None:
    section = report.build_context(small, lang="zh", insights=True)["relationship"]
    placed = [k for row in section["matrix"] for cell in row["cells"] for k in cell["classes"]]
    classes = small.customers["rfm_class"].dropna().unique()
    assert len(placed) == len(classes)
    assert section["matrix"][2]["cells"][0]["level"] == "伙伴型"
    assert section["note"]  # no margin given: the default rate


def test_sections_without_the_optional_inputs() -> None:
    plain = analyze(ORDERS, CUSTOMERS[["customer_id", "name", "owner"]], as_of=AS_OF)
    context = report.build_context(plain, lang="en", insights=True)
    assert context["funnel"] is None and context["feedback"] is None
    assert context["referrals"] is None and context["changes"] is None
    assert context["loyalty"] and context["relationship"] and context["tail"]
    titles = [c["title"] for c in context["contents"]]
    assert "Loyalty" in titles and "Sales funnel" not in titles
    assert "funnel" not in report.build_context(plain, lang="en")


def test_changes_section_lists_moves_in_scope(small: Analysis) -> None:
    before = analyze(ORDERS, CUSTOMERS, as_of="2023-12-31")
    changes = compare_analyses(
        before.customers, small.customers, since=pd.Timestamp("2023-12-31"), as_of=AS_OF
    )
    changed = dataclasses.replace(
        small, insights=dataclasses.replace(small.insights, changes=changes)
    )
    section = report.build_context(changed, lang="en", owner="Ann", insights=True)["changes"]
    assert section["classes"]["rows"]
    names = {r["name"] for r in section["lost"]} | {r["name"] for r in section["warned"]}
    assert names <= {"Acme", "Bolt"}


# --- real PDFs ------------------------------------------------------------------------------


def _sample_with_everything(lang: str) -> Analysis:
    sample = generate_sample(customers=150, seed=3, lang=lang)
    rng = np.random.default_rng(2)
    ids = sample.customers["customer_id"].to_numpy()
    n = 40
    stages = rng.choice(["lead", "qualified", "proposal", "negotiation", "won"], n)
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(n)],
            "customer_id": rng.choice(ids, n),
            "stage": stages,
            "status": np.where(stages == "won", "won", "open"),
            "amount": rng.integers(1, 50, n) * 100.0,
            "created": sample.as_of - pd.to_timedelta(rng.integers(1, 90, n), "D"),
        }
    )
    deals["owner"] = deals["customer_id"].map(sample.customers.set_index("customer_id")["owner"])
    feedback = pd.DataFrame(
        {
            "date": sample.as_of - pd.to_timedelta(rng.integers(1, 60, n), "D"),
            "customer_id": rng.choice(ids, n),
            "kind": rng.choice(["complaint", "praise"], n),
            "satisfaction": rng.integers(1, 6, n),
        }
    )
    customers = sample.customers.assign(
        referred_by=np.where(rng.random(len(ids)) < 0.2, rng.choice(ids, len(ids)), None)
    )
    return analyze(
        sample.orders,
        customers,
        sample.activities,
        as_of=sample.as_of,
        deals=deals,
        feedback=feedback,
    )


@pytest.fixture(scope="module", params=["en", "zh"])
def pdf(request: pytest.FixtureRequest) -> dict[str, Any]:
    lang = request.param
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        payload = report.render_pdf(_sample_with_everything(lang), lang=lang)
    finally:
        logger.removeHandler(handler)
    reader = PdfReader(io.BytesIO(payload))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return {"lang": lang, "text": re.sub(r"\s+", "", text), "logs": records}


@pytest.mark.slow
def test_pdf_has_the_new_sections_in_its_language(pdf: dict[str, Any]) -> None:
    wanted = {
        "en": ["Salesfunnel", "Loyalty", "Feedback", "Referrals", "Relationshiplevels", "Longtail"],
        "zh": ["销售漏斗", "客户忠诚度", "客户反馈", "客户推荐", "客户关系类型", "长尾客户"],
    }[pdf["lang"]]
    for title in wanted:
        assert title in pdf["text"], title
    assert [r.getMessage() for r in pdf["logs"]] == []
    if pdf["lang"] == "zh":
        assert "\ufffd" not in pdf["text"]
        assert "Salesfunnel" not in pdf["text"] and "Loyaltyatrisk" not in pdf["text"]
