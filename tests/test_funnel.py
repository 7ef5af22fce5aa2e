"""The sales funnel: stages reached, conversion, win rate, days per stage, stuck deals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlcrm.core.errors import SettingsError
from xlcrm.core.funnel import build_funnel, open_deal_close
from xlcrm.core.stages import DEFAULT_STAGES, match_stages, parse_stages

AS_OF = "2024-06-30"
CODES = ["lead", "qualified", "proposal", "negotiation", "won"]


def _deals(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("created", "closed", "expected_close"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _history(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": [r[0] for r in rows],
            "stage": [r[1] for r in rows],
            "date": pd.to_datetime([r[2] for r in rows]),
        }
    )


@pytest.fixture
def four_deals() -> pd.DataFrame:
    return _deals(
        [
            # open in negotiation since May 1st: stuck after 30 days
            dict(deal_id="D1", customer_id="C1", owner="Ann", stage="negotiation",
                 amount=1000, created="2024-05-01", status="open"),
            dict(deal_id="D2", customer_id="C2", owner="Ann", stage="won",
                 amount=500, created="2024-01-01", closed="2024-03-01", status="won"),
            # lost at the proposal stage: its last stage
            dict(deal_id="D3", customer_id="C3", owner="Bob", stage="proposal",
                 amount=300, created="2024-02-01", closed="2024-04-01", status="lost"),
            dict(deal_id="D4", customer_id="C4", owner="Bob", stage="线索",
                 amount=None, created="2024-06-20", status="进行中"),
        ]
    )  # fmt: skip


def test_a_deal_counts_at_every_stage_up_to_the_one_it_reached(four_deals):
    team = build_funnel(four_deals, as_of=AS_OF).team()
    assert team["stage"].tolist() == CODES
    assert team["reached"].tolist() == [4, 3, 3, 2, 1]
    assert team["amount"].tolist() == [1800.0, 1800.0, 1800.0, 1500.0, 500.0]
    assert team["conversion"].tolist()[:4] == [0.75, 1.0, 2 / 3, 0.5]
    assert np.isnan(team["conversion"].iloc[4])
    assert team["phase"].tolist() == ["pre_sale", "pre_sale", "in_sale", "in_sale", "in_sale"]


def test_a_lost_deal_reached_its_last_stage_and_no_later_one(four_deals):
    funnel = build_funnel(four_deals, as_of=AS_OF)
    d3 = funnel.deals.set_index("deal_id").loc["D3"]
    assert (d3["status"], d3["stage"], d3["lost_at"], d3["reached"]) == (
        "lost",
        "proposal",
        "proposal",
        2,
    )
    assert funnel.team()["lost"].tolist() == [0, 0, 1, 0, 0]


def test_win_rate_counts_closed_deals_only_and_stuck_is_over_the_limit(four_deals):
    summary = build_funnel(four_deals, as_of=AS_OF).summary
    team = summary[summary["owner"].isna()].iloc[0]
    assert (team["deals"], team["open"], team["won"], team["lost"]) == (4, 2, 1, 1)
    assert team["win_rate"] == 0.5
    assert (team["won_amount"], team["open_amount"]) == (500.0, 1000.0)
    assert team["stuck"] == 1  # D1: 60 days in its stage; D4: 10 days
    assert team["no_amount"] == 1
    assert team["median_days_to_win"] == 60.0  # 2024-01-01 -> 2024-03-01


def test_stuck_limit_is_exclusive():
    deals = _deals(
        [
            dict(deal_id="A", stage="lead", created="2024-05-31", status="open"),  # 30 days
            dict(deal_id="B", stage="lead", created="2024-05-30", status="open"),  # 31 days
        ]
    )
    funnel = build_funnel(deals, as_of=AS_OF, stuck_days=30)
    assert funnel.deals["days_in_stage"].tolist() == [30, 31]
    assert funnel.deals["stuck"].tolist() == [False, True]


def test_per_owner_tables_match_owner_names_loosely(four_deals):
    deals = four_deals.assign(owner=["Ann", " ann ", "Bob", "BOB"])
    table = build_funnel(deals, as_of=AS_OF).stages_table
    ann = table[table["owner"] == "Ann"]
    bob = table[table["owner"] == "Bob"]
    assert ann["reached"].tolist() == [2, 2, 2, 2, 1]
    assert bob["reached"].tolist() == [2, 1, 1, 0, 0]
    assert bob["conversion"].tolist()[2] == 0.0
    assert np.isnan(bob["conversion"].tolist()[3])  # nobody reached negotiation


def test_deals_without_owner_take_the_customers_owner(four_deals):
    deals = four_deals.assign(owner=[None, None, "Bob", None])
    owners = pd.Series({"C1": "Cat", "C2": "Cat"})
    summary = build_funnel(deals, as_of=AS_OF, customer_owner=owners).summary
    assert summary["owner"].tolist()[1:] == ["Bob", "Cat"]
    assert summary["deals"].tolist() == [4, 1, 2]  # D4 has no owner: team only


def test_a_skipped_stage_counts_as_reached_and_has_no_days():
    deals = _deals([dict(deal_id="S", stage="won", status="won", closed="2024-02-10")])
    history = _history(
        [
            ("S", "lead", "2024-01-01"),
            ("S", "proposal", "2024-01-11"),  # qualified skipped
            ("S", "negotiation", "2024-01-31"),
            ("S", "won", "2024-02-10"),
        ]
    )
    funnel = build_funnel(deals, history, as_of=AS_OF)
    team = funnel.team()
    assert team["reached"].tolist() == [1, 1, 1, 1, 1]
    assert team["median_days"].tolist()[0] == 10.0
    assert np.isnan(team["median_days"].tolist()[1])
    assert team["median_days"].tolist()[2:4] == [20.0, 10.0]
    assert np.isnan(team["median_days"].tolist()[4])  # the won stage has no stay


def test_a_reopened_deal_counts_once_and_its_stays_add_up():
    deals = _deals([dict(deal_id="R", stage="proposal", status="open", created="2024-03-01")])
    history = _history(
        [
            ("R", "lead", "2024-03-01"),
            ("R", "qualified", "2024-03-05"),
            ("R", "lost", "2024-03-10"),
            ("R", "qualified", "2024-04-01"),
            ("R", "proposal", "2024-04-15"),
        ]
    )
    funnel = build_funnel(deals, history, as_of=AS_OF)
    deal = funnel.deals.iloc[0]
    assert bool(deal["reopened"]) and deal["status"] == "open"
    assert deal["stage_since"] == pd.Timestamp("2024-04-15")
    assert deal["days_in_stage"] == 76 and bool(deal["stuck"])
    team = funnel.team()
    assert team["reached"].tolist() == [1, 1, 1, 0, 0]
    assert team["median_days"].tolist()[:2] == [4.0, 19.0]  # qualified: 5 + 14 days
    assert funnel.summary["reopened"].tolist() == [1]


def test_reopened_written_as_the_status():
    deals = _deals([dict(deal_id="R", stage="lead", status="Reopened")])
    deal = build_funnel(deals, as_of=AS_OF).deals.iloc[0]
    assert deal["status"] == "open" and bool(deal["reopened"])


def test_the_history_decides_the_stage_when_it_goes_on_after_as_of():
    deals = _deals([dict(deal_id="E", stage="proposal", status="open", created="2024-06-01")])
    history = _history([("E", "lead", "2024-06-01"), ("E", "proposal", "2024-07-10")])
    deal = build_funnel(deals, history, as_of=AS_OF).deals.iloc[0]
    assert (deal["stage"], deal["reached"]) == ("lead", 0)


def test_a_deal_closed_after_as_of_was_open_and_not_yet_won():
    deals = _deals(
        [dict(deal_id="L", stage="won", status="won", created="2024-06-01", closed="2024-07-15")]
    )
    deal = build_funnel(deals, as_of=AS_OF).deals.iloc[0]
    assert (deal["status"], deal["stage"]) == ("open", "negotiation")
    assert pd.isna(deal["closed"])


def test_status_is_inferred_when_blank():
    deals = _deals(
        [
            dict(deal_id="W", stage="成交"),
            dict(deal_id="X", stage="proposal", closed="2024-05-01"),
            dict(deal_id="Y", stage="proposal"),
            dict(deal_id="Z", stage="输单"),  # a status word in the stage column
        ]
    )
    deals_out = build_funnel(deals, as_of=AS_OF).deals
    assert deals_out["status"].tolist() == ["won", "lost", "open", "lost"]
    assert deals_out["lost_at"].fillna("-").tolist() == ["-", "proposal", "-", "lead"]


def test_deals_created_after_as_of_do_not_exist_yet():
    deals = _deals([dict(deal_id="F", stage="lead", created="2024-07-01")])
    assert build_funnel(deals, as_of=AS_OF).team()["reached"].tolist() == [0] * 5


def test_problems_become_data_quality_rows():
    deals = _deals(
        [
            dict(deal_id="P1", stage="demo", status="open", row=2),
            dict(deal_id="P1", stage="lead", status="open", row=3),
            dict(deal_id="P2", stage="lead", status="maybe", row=4),
            dict(deal_id="P3", stage="won", status="lost", row=5),
        ]
    )
    history = _history([("P9", "lead", "2024-01-01"), ("P2", "pitch", "2024-01-02")])
    history["row"] = [2, 3]
    funnel = build_funnel(deals, history, as_of=AS_OF)
    found = funnel.issues[["sheet", "row", "column", "value", "reason", "left_out"]]
    expected = pd.DataFrame(
        {
            "sheet": ["deals", "deals", "deals", "stage_history", "stage_history", "deals"],
            "row": pd.array([3, 2, 4, 2, 3, 5], dtype="Int64"),
            "column": ["deal_id", "stage", "status", "deal_id", "stage", "stage"],
            "value": ["P1", "demo", "maybe", "P9", "pitch", "won"],
            "reason": [
                "duplicate_deal",
                "unknown_stage",
                "unknown_status",
                "unknown_deal",
                "unknown_history_stage",
                "lost_at_won_stage",
            ],
            "left_out": [True, False, False, True, True, False],
        }
    )
    assert_frame_equal(found, expected, check_dtype=False)
    p3 = funnel.deals.set_index("deal_id").loc["P3"]
    assert (p3["status"], p3["lost_at"]) == ("lost", "negotiation")


def test_open_deals_give_the_nearest_expected_close():
    deals = _deals(
        [
            dict(deal_id="1", customer_id="A", stage="lead", expected_close="2024-08-01"),
            dict(deal_id="2", customer_id="A", stage="lead", expected_close="2024-07-10"),
            dict(deal_id="3", customer_id="A", stage="won", expected_close="2024-07-01"),
            dict(deal_id="4", customer_id="B", stage="lead", expected_close="2024-05-01"),
            dict(deal_id="5", customer_id="B", stage="lead", expected_close="2024-06-01"),
        ]
    )
    funnel = build_funnel(deals, as_of=AS_OF)
    found = open_deal_close(funnel, pd.Index(["A", "B", "C"]), as_of=AS_OF)
    assert list(pd.to_datetime(found)) == [
        pd.Timestamp("2024-07-10"),
        pd.Timestamp("2024-06-01"),  # all passed: the latest
        pd.NaT,
    ]


def test_stage_list_from_settings():
    zh = parse_stages("线索 → 商机 → 报价 → 谈判 → 成交")
    assert [s.code for s in zh] == CODES
    assert [s.label("en") for s in zh] == [s.label("en") for s in DEFAULT_STAGES]
    own = parse_stages("Lead/线索; Demo/演示; Quote; Signed", in_sale_from="demo")
    assert [s.code for s in own] == ["lead", "Demo", "proposal", "Signed"]
    assert [s.phase for s in own] == ["pre_sale", "in_sale", "in_sale", "in_sale"]
    assert own[1].label("zh") == "演示" and own[1].label("en") == "Demo"
    position, status = match_stages(pd.Series(["演示", "quote", "won", "x"]), own)
    assert position.tolist() == [1, 2, -1, -1]
    assert status.tolist() == [None, None, "won", None]


@pytest.mark.parametrize(
    ("value", "in_sale_from"),
    [("lead", None), ("lead; lead", None), ("线索; lead; won", None), ("a; b", "c")],
)
def test_bad_stage_lists_name_the_setting(value, in_sale_from):
    with pytest.raises(SettingsError) as caught:
        parse_stages(value, in_sale_from)
    assert caught.value.column in ("funnel_stages", "funnel_in_sale_from")


def test_custom_stages_feed_the_funnel():
    stages = parse_stages("Lead; Demo; Signed")
    deals = _deals(
        [dict(deal_id="1", stage="Demo"), dict(deal_id="2", stage="signed", status="won")]
    )
    team = build_funnel(deals, as_of=AS_OF, stages=stages).team()
    assert team["stage"].tolist() == ["lead", "Demo", "Signed"]
    assert team["reached"].tolist() == [2, 2, 1]
