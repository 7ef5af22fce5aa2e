"""Reading the optional Deals, stage history and Feedback sheets and the new Customers
columns; problems the analysis finds in them land on the Data quality list with the
user's sheet, row and header."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import build_workbook

from xlcrm.core.errors import SettingsError
from xlcrm.jobs import run_job
from xlcrm.xlsx.reader import read_workbook

ORDERS = [
    ["Customer ID", "Order Date", "Amount"],
    ["C1", dt.date(2024, 1, 5), 100],
    ["C1", dt.date(2024, 5, 5), 100],
    ["C2", dt.date(2024, 6, 1), 50],
]


def _book(tmp_path: Path, **extra: list[list[object]]) -> Path:
    sheets: dict[str, list[list[object]]] = {
        "Orders": ORDERS,
        "Customers": [
            ["Customer ID", "Name", "满意度", "Recommend", "推荐人", "Cost"],
            ["C1", "One", "很满意", 9, None, 60],
            ["C2", "Two", "great", "possible", "C1", None],
            ["C3", "Three", 2, 11, "C3", None],
        ],
        "Settings": [["Setting", "Value"], ["as_of", dt.date(2024, 6, 30)]],
    }
    sheets.update(extra)
    return build_workbook(tmp_path / "book.xlsx", sheets)


DEALS_ZH = [
    ["商机编号", "客户编号", "负责人", "销售阶段", "商机金额", "创建日期", "预计成交日期", "状态"],
    ["D1", "C3", "王芳", "报价", 1000, dt.date(2024, 6, 1), dt.date(2024, 7, 15), "进行中"],
    ["D2", "C1", "王芳", "成交", 500, dt.date(2024, 1, 1), None, "赢单"],
    ["D3", "C2", "李强", "演示", 300, dt.date(2024, 6, 20), None, None],
]
HISTORY = [
    ["Deal ID", "Stage", "Date"],
    ["D1", "线索", dt.date(2024, 6, 1)],
    ["D1", "报价", dt.date(2024, 6, 10)],
    ["D9", "线索", dt.date(2024, 6, 2)],
]
FEEDBACK = [
    ["Date", "Customer", "Type", "Closed", "Rating"],
    [dt.date(2024, 6, 10), "C1", "投诉", None, 2],
    [dt.date(2024, 6, 12), "C2", "praise", dt.date(2024, 6, 1), "superb"],
]


def test_optional_sheets_are_read_with_their_rows(tmp_path: Path) -> None:
    data = read_workbook(_book(tmp_path, 商机=DEALS_ZH, 商机阶段记录=HISTORY, Feedback=FEEDBACK))
    assert data.deals is not None and data.stage_history is not None
    assert data.deals["deal_id"].tolist() == ["D1", "D2", "D3"]
    assert data.deals["row"].tolist() == [2, 3, 4]
    assert data.deals["amount"].tolist() == [1000.0, 500.0, 300.0]
    assert data.stage_history["stage"].tolist() == ["线索", "报价", "线索"]
    assert data.feedback is not None and data.feedback["kind"].tolist() == ["投诉", "praise"]
    assert data.sheet_names["deals"] == "商机"
    # the Deals sheet was not taken for orders
    assert data.order_sheets == ("Orders",)
    customers = data.customers
    assert customers is not None
    assert customers["satisfaction"].tolist()[0] == 5.0
    assert pd.isna(customers["satisfaction"].tolist()[1])
    assert customers["recommend"].tolist()[:2] == [9.0, "possible"]
    assert customers["cost"].tolist()[0] == 60.0
    found = data.quality.set_index(["sheet", "reason"])
    assert found.loc[("Customers", "bad_satisfaction"), "column"] == "满意度"
    assert found.loc[("Customers", "bad_satisfaction"), "row"] == 3
    assert found.loc[("Customers", "bad_recommend"), "value"] == "11"
    assert found.loc[("Feedback", "bad_satisfaction"), "value"] == "superb"


def test_problems_the_analysis_finds_name_sheet_row_and_header(tmp_path: Path) -> None:
    data = read_workbook(_book(tmp_path, 商机=DEALS_ZH, 商机阶段记录=HISTORY, Feedback=FEEDBACK))
    job = run_job(data, today=dt.date(2024, 6, 30))
    found = job.data.quality
    core = found[found["reason"].isin(
        ["unknown_stage", "unknown_deal", "closed_before_opened", "self_referral"]
    )]  # fmt: skip
    rows = {r.reason: (r.sheet, r.row, r.column, r.value) for r in core.itertuples()}
    assert rows["unknown_stage"] == ("商机", 4, "销售阶段", "演示")
    assert rows["unknown_deal"] == ("商机阶段记录", 4, "Deal ID", "D9")
    assert rows["closed_before_opened"] == ("Feedback", 3, "Closed", "2024-06-01")
    assert rows["self_referral"] == ("Customers", 4, "推荐人", "C3")
    funnel = job.analysis.insights.funnel
    assert funnel.team()["reached"].tolist() == [3, 2, 2, 1, 1]


def test_a_book_without_the_new_sheets_reads_as_before(tmp_path: Path) -> None:
    path = build_workbook(tmp_path / "plain.xlsx", {"Orders": ORDERS})
    data = read_workbook(path)
    assert data.deals is None and data.stage_history is None and data.feedback is None
    assert "row" not in data.orders.columns


def test_deal_status_words_are_not_order_statuses(tmp_path: Path) -> None:
    deals = [["Deal ID", "Stage", "Status"], ["D1", "lead", "cancelled"], ["D2", "won", "closed"]]
    data = read_workbook(_book(tmp_path, Deals=deals))
    assert data.deals is not None and len(data.deals) == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("funnel_stages", "lead"),
        ("funnel_stuck_days", "0"),
        ("default_margin_rate", "1.5"),
        ("relationship_many_share", "0.05"),
        ("商机停滞天数", "-3"),
    ],
)
def test_bad_settings_stop_with_the_key_and_its_row(tmp_path: Path, key: str, value: str) -> None:
    book = build_workbook(
        tmp_path / "s.xlsx",
        {"Orders": ORDERS, "Settings": [["Setting", "Value"], ["company", "X"], [key, value]]},
    )
    with pytest.raises(SettingsError) as caught:
        read_workbook(book)
    assert caught.value.row == 3
    assert caught.value.column == key
