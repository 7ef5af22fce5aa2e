"""Reading workbooks and CSV files into canonical frames (xlcrm.xlsx.reader, xlcrm.core.cells)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from xlcrm.core import cells
from xlcrm.core.errors import InputError, SettingsError, XlcrmError
from xlcrm.xlsx.reader import WorkbookData, quality_table, read_orders_csv, read_workbook

Make = Callable[..., Path]
D = dt.date


def orders_frame(
    rows: list[tuple[str, str, float]], order_ids: list[str] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="str"),
            "order_date": pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[ns]"),
            "amount": pd.Series([r[2] for r in rows], dtype="float64"),
            "order_id": pd.Series(order_ids or [None] * len(rows), dtype="str"),
        }
    )


def quality_rows(data: WorkbookData) -> list[tuple[Any, ...]]:
    q = data.problems
    return list(zip(q["sheet"], q["row"], q["column"], q["value"], q["reason"], strict=True))


ORDERS = [
    ["Order ID", "Customer ID", "Order Date", "Amount"],
    ["O1", "C001", D(2024, 3, 5), 100.0],
    ["O2", "C002", D(2024, 4, 1), 250.5],
    ["O3", "C001", D(2024, 5, 9), 80],
]


# --- a plain workbook ---------------------------------------------------------


def test_plain_english_workbook_reads_every_table(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [
                ["Customer ID", "Name", "Owner", "Created", "Grade", "Last contact"],
                ["C001", "Acme", "Alice", D(2023, 1, 2), "a", D(2024, 5, 1)],
                ["C002", "Bolt", "Bob", None, None, None],
            ],
            "Orders": ORDERS,
            "Activities": [
                ["Customer ID", "Date", "Kind"],
                ["C001", D(2024, 5, 1), "Call"],
                ["C002", D(2024, 5, 2), "拜访"],
            ],
            "Settings": [
                ["Setting", "Value", None, "Owner", "Email"],
                ["as_of", D(2024, 6, 30), None, "Alice", "alice@example.com"],
                ["sleep_days", 60, None, "Bob", "bob@example.com"],
                ["company", "Acme Trading", None, None, None],
            ],
        }
    )
    data = read_workbook(path)

    expected = orders_frame(
        [
            ("C001", "2024-03-05", 100.0),
            ("C002", "2024-04-01", 250.5),
            ("C001", "2024-05-09", 80.0),
        ],
        ["O1", "O2", "O3"],
    )
    assert_frame_equal(data.orders, expected)
    assert_frame_equal(
        data.customers,
        pd.DataFrame(
            {
                "customer_id": pd.Series(["C001", "C002"], dtype="str"),
                "name": pd.Series(["Acme", "Bolt"], dtype="str"),
                "owner": pd.Series(["Alice", "Bob"], dtype="str"),
                "created": pd.Series([pd.Timestamp("2023-01-02"), pd.NaT], dtype="datetime64[ns]"),
                "grade": pd.Series(["A", None], dtype="str"),
                "expected_close": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]"),
                "deal_status": pd.Series([None, None], dtype="str"),
                "need_status": pd.Series([None, None], dtype="str"),
                "last_contact": pd.Series(
                    [pd.Timestamp("2024-05-01"), pd.NaT], dtype="datetime64[ns]"
                ),
            }
        ),
    )
    assert_frame_equal(
        data.activities,
        pd.DataFrame(
            {
                "customer_id": pd.Series(["C001", "C002"], dtype="str"),
                "date": pd.Series(
                    pd.to_datetime(["2024-05-01", "2024-05-02"]), dtype="datetime64[ns]"
                ),
                "kind": pd.Series(["call", "visit"], dtype="str"),
            }
        ),
    )
    assert data.as_of == pd.Timestamp("2024-06-30")
    assert data.settings.sleep_days == 60
    assert data.settings.company == "Acme Trading"
    assert data.unknown_settings == []
    assert data.owners is not None
    assert data.owners.to_dict("list") == {
        "owner": ["Alice", "Bob"],
        "email": ["alice@example.com", "bob@example.com"],
    }
    assert data.sheet_names == {
        "settings": "Settings",
        "orders": "Orders",
        "customers": "Customers",
        "activities": "Activities",
    }
    assert data.counts["orders"].read == 3
    assert data.counts["orders"].left_out == 0
    assert data.problems.empty


def test_chinese_sheets_headers_and_settings(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "客户信息": [
                [
                    "客户编号",
                    "客户名称",
                    "负责人",
                    "等级",
                    "预计成交日期",
                    "成交状态",
                    "需求状态",
                    "最后联系日期",
                ],
                ["K1", "甲公司", "王伟", "B类", "2024年7月1日", "未成交", "明确", "2024/5/20"],
            ],
            "销售记录": [
                ["客户ID", "订单日期", "实付金额"],
                ["K1", "2024年3月5日", "¥1,234.50"],
            ],
            "跟进记录": [["客户编号", "跟进日期", "方式"], ["K1", "2024.5.20", "电话"]],
            "设置": [
                ["设置项", "值", None, "负责人", "邮箱"],
                ["截止日期", "2024-06-30", None, "王伟", "wang@example.cn"],
                ["语言", "zh", None, None, None],
                ["沉睡天数", 120, None, None, None],
            ],
        }
    )
    data = read_workbook(path, lang="zh")
    assert_frame_equal(data.orders, orders_frame([("K1", "2024-03-05", 1234.5)]))
    assert data.customers is not None
    row = data.customers.iloc[0]
    assert (row["name"], row["owner"], row["grade"]) == ("甲公司", "王伟", "B")
    assert row["expected_close"] == pd.Timestamp("2024-07-01")
    assert row["last_contact"] == pd.Timestamp("2024-05-20")
    assert (row["deal_status"], row["need_status"]) == ("未成交", "明确")
    assert data.activities is not None
    assert data.activities["kind"].tolist() == ["call"]
    assert data.as_of == pd.Timestamp("2024-06-30")
    assert data.settings.language == "zh"
    assert data.settings.sleep_days == 120
    assert data.sheet_names["orders"] == "销售记录"
    assert data.owners is not None and data.owners["email"].tolist() == ["wang@example.cn"]


@pytest.mark.parametrize(
    "headers",
    [
        ["Cust No", "Date", "Sales"],
        ["客户ID", "下单日期", "订单金额"],
        ["客户编号", "日期", "金额"],
        ["customer_id", "ORDER-DATE", " amount "],
        ["Customer  ID:", "Order date", "Amount (¥)"],
    ],
)
def test_order_headers_are_found_by_alias_ignoring_case_space_punctuation(
    make_workbook: Make, headers: list[str]
) -> None:
    path = make_workbook({"orders": [headers, ["C1", D(2024, 3, 5), 10.0]]})
    data = read_workbook(path)
    assert_frame_equal(data.orders, orders_frame([("C1", "2024-03-05", 10.0)]))


@pytest.mark.parametrize("name", ["Orders", "ORDERS", "订单", "销售记录", "Sales", " orders "])
def test_orders_sheet_found_by_name(make_workbook: Make, name: str) -> None:
    path = make_workbook({"Notes": [["hello"]], name: ORDERS})
    assert read_workbook(path).sheet_names["orders"] == name


def test_unnamed_sheet_with_order_headers_is_taken_as_orders(make_workbook: Make) -> None:
    path = make_workbook({"Sheet1": ORDERS})
    data = read_workbook(path)
    assert data.sheet_names == {"orders": "Sheet1"}
    assert len(data.orders) == 3


def test_hidden_orders_sheet_is_read(make_workbook: Make) -> None:
    path = make_workbook({"Front": [["x"]], "Orders": ORDERS}, hidden=["Orders"])
    assert len(read_workbook(path).orders) == 3


def test_xlsm_is_read(make_workbook: Make) -> None:
    path = make_workbook({"Orders": ORDERS}, name="book.xlsm")
    assert len(read_workbook(path).orders) == 3


# --- layout -------------------------------------------------------------------


def test_title_rows_blank_rows_and_repeated_headers(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["2024 sales ledger"],
                [None, "exported from ERP"],
                [],
                [None, "Customer ID", "Order Date", "Amount", "Note"],
                [None, "C1", D(2024, 3, 5), 10.0, "ok"],
                [],
                [None, None, None, None, "just a note"],
                [None, "Customer ID", "Order Date", "Amount", "Note"],
                [None, "C2", D(2024, 3, 6), 20.0],
                [None, "C3", "not a date", 30.0],
            ]
        }
    )
    data = read_workbook(path)
    assert_frame_equal(
        data.orders, orders_frame([("C1", "2024-03-05", 10.0), ("C2", "2024-03-06", 20.0)])
    )
    assert quality_rows(data) == [("Orders", 10, "Order Date", "not a date", "bad_date")]
    assert (data.counts["orders"].read, data.counts["orders"].left_out) == (2, 1)
    assert data.counts["orders"].skipped == 3


def test_vertically_merged_header_cell_is_used(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Order", None],
                [None, "Date", "Amount"],
                ["C1", D(2024, 3, 5), 5],
            ]
        },
        merged={"Orders": ["A1:A2", "B1:C1"]},
    )
    assert_frame_equal(read_workbook(path).orders, orders_frame([("C1", "2024-03-05", 5.0)]))


def test_headers_only_gives_empty_frames(make_workbook: Make) -> None:
    data = read_workbook(make_workbook({"Orders": [ORDERS[0]]}))
    assert_frame_equal(data.orders, orders_frame([]))
    assert data.customers is None and data.activities is None and data.owners is None


# --- cells --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        D(2024, 3, 5),
        dt.datetime(2024, 3, 5, 14, 30),
        45356,
        45356.75,
        20240305,
        "2024-03-05",
        "2024-3-5",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "２０２４年３月５日",
        "03/05/2024",
        "3/5/24",
        "5.3.2024",
        "20240305",
        "2024-03-05 10:11:12",
        "2024-03-05T10:11",
        "5 Mar 2024",
        "Mar 5, 2024",
        "05-Mar-2024",
        " 2024-03-05 ",
    ],
)
def test_date_forms(value: Any) -> None:
    parsed = cells.parse_dates(np.array([value], dtype=object))
    assert parsed.values.tolist() == [pd.Timestamp("2024-03-05")]
    assert parsed.problem.tolist() == [None]


def _read_dates(values: list[Any], *, day_first: bool = False) -> list[Any]:
    parsed = cells.parse_dates(np.array(values, dtype=object), day_first=day_first)
    return [None if pd.isna(v) else v.date().isoformat() for v in parsed.values]


def test_day_or_month_first_is_decided_per_column_by_the_values_that_prove_it() -> None:
    # 25/03 proves day first for the whole column, whatever the setting says
    assert _read_dates(["05/03/2024", "25/03/2024"]) == ["2024-03-05", "2024-03-25"]
    # 03/25 proves month first, even with day_first set
    assert _read_dates(["05/03/2024", "03/25/2024"], day_first=True) == [
        "2024-05-03",
        "2024-03-25",
    ]
    # no proof: the setting decides
    assert _read_dates(["05/03/2024"]) == ["2024-05-03"]
    assert _read_dates(["05/03/2024"], day_first=True) == ["2024-03-05"]


def test_a_column_proving_both_orders_refuses_only_the_values_that_read_two_ways() -> None:
    values = ["05/03/2024", "25/03/2024", "03/25/2024", "05/05/2024"]
    parsed = cells.parse_dates(np.array(values, dtype=object))
    assert _read_dates(values) == [None, "2024-03-25", "2024-03-25", "2024-05-05"]
    assert parsed.problem.tolist() == ["ambiguous_date", None, None, None]


@pytest.mark.parametrize(
    "value",
    [
        "2024/3/5 下午 2:22:07",
        "2024/3/5 上午 9:01:00",
        "2024-03-05T14:22:01Z",
        "2024-03-05T14:22:01+08:00",
        "2024-03-05T14:22:01.250+0800",
        "2024-03-05 14:22:01 +0800",
        "3/5/2024 2:22 PM",
        "2024年3月5日 14时22分",
    ],
)
def test_dates_with_a_time_of_day_and_a_zone_keep_the_date_as_written(value: str) -> None:
    assert _read_dates([value]) == ["2024-03-05"]


@pytest.mark.parametrize("value", [8, 3.0, "8", 366, D(1900, 1, 8)])
def test_a_small_number_in_a_date_column_is_not_a_1900_date(value: Any) -> None:
    parsed = cells.parse_dates(np.array([value, D(2024, 1, 1)], dtype=object))
    assert parsed.problem.tolist() == ["number_as_date", None]
    assert pd.isna(parsed.values.iloc[0])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("soon", "bad_date"),
        ("2024-02-30", "bad_date"),
        ("1899-12-31", "date_out_of_range"),
        (D(1850, 1, 1), "date_out_of_range"),
        ("#N/A", "excel_error"),
        (True, "bad_date"),
        (dt.time(9, 0), "bad_date"),
        (-5.0, "bad_date"),
    ],
)
def test_unreadable_dates_have_a_reason(value: Any, reason: str) -> None:
    parsed = cells.parse_dates(np.array([value], dtype=object))
    assert parsed.problem.tolist() == [reason]
    assert pd.isna(parsed.values.iloc[0])


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (1234.5, 1234.5),
        (7, 7.0),
        ("1234.5", 1234.5),
        ("¥1,234.50", 1234.5),
        ("￥1,234.50", 1234.5),
        ("$1,234.50", 1234.5),
        ("RMB 1234.5", 1234.5),
        ("1234.5元", 1234.5),
        ("(12.00)", -12.0),
        ("-¥3", -3.0),
        ("¥-3", -3.0),
        ("12-", -12.0),
        ("1 234.5", 1234.5),
        ("１２３", 123.0),
        ("0", 0.0),
    ],
)
def test_amount_forms(value: Any, amount: float) -> None:
    parsed = cells.parse_amounts(np.array([value], dtype=object))
    assert parsed.values.tolist() == [amount]
    assert parsed.problem.tolist() == [None]


@pytest.mark.parametrize(
    "value", ["abc", "1,23", "nan", "inf", "1.2.3", True, D(2024, 1, 1), "#VALUE!"]
)
def test_unreadable_amounts(value: Any) -> None:
    parsed = cells.parse_amounts(np.array([value], dtype=object))
    assert parsed.problem.tolist() in (["bad_amount"], ["excel_error"])
    assert np.isnan(parsed.values.iloc[0])


def test_customer_ids_are_text() -> None:
    values = np.array(["00123", 123, 123.0, "123.0", " C7 ", 12.5, "", None, True], dtype=object)
    parsed = cells.parse_ids(values)
    assert parsed.values.tolist()[:6] == ["00123", "123", "123", "123", "C7", "12.5"]
    assert parsed.blank.tolist() == [False] * 6 + [True, True, False]
    assert parsed.problem.tolist()[-1] == "bad_id"


def test_ids_from_numbers_and_text_match_across_sheets(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [["Customer ID"], ["00123"], [123]],
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                [123.0, D(2024, 1, 1), 1],
                ["00123", D(2024, 1, 2), 2],
            ],
        }
    )
    data = read_workbook(path)
    assert data.orders["customer_id"].tolist() == ["123", "00123"]
    assert data.problems.empty


def test_grades() -> None:
    parsed = cells.parse_grades(np.array(["a", "A类", "B级", "Grade C", "x", None], dtype=object))
    assert parsed.values.tolist()[:4] == ["A", "A", "B", "C"]
    assert parsed.problem.tolist() == [None, None, None, None, "bad_grade", None]


# --- data quality -------------------------------------------------------------


def test_unreadable_rows_are_left_out_and_listed_with_excel_rows(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["Orders 2024"],
                ["Customer ID", "Order Date", "Amount"],
                ["C1", D(2024, 3, 5), 10],
                [None, D(2024, 3, 5), 10],
                ["C3", "#N/A", "#VALUE!"],
                ["C4", D(2024, 3, 7), "ten"],
                ["C5", D(2024, 3, 8), "¥20"],
            ]
        }
    )
    data = read_workbook(path)
    assert_frame_equal(
        data.orders, orders_frame([("C1", "2024-03-05", 10.0), ("C5", "2024-03-08", 20.0)])
    )
    assert quality_rows(data) == [
        ("Orders", 4, "Customer ID", "", "missing"),
        ("Orders", 5, "Order Date", "#N/A", "excel_error"),
        ("Orders", 5, "Amount", "#VALUE!", "excel_error"),
        ("Orders", 6, "Amount", "ten", "bad_amount"),
    ]
    assert data.problems["left_out"].all()
    assert (data.counts["orders"].read, data.counts["orders"].left_out) == (2, 3)


def test_bad_optional_cell_is_blanked_and_row_kept(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [["Customer ID", "Created", "Grade"], ["C1", "yesterday", "Z"]],
            "Orders": ORDERS,
        }
    )
    data = read_workbook(path)
    assert data.customers is not None
    assert data.customers["customer_id"].tolist() == ["C1"]
    assert pd.isna(data.customers.loc[0, "created"]) and pd.isna(data.customers.loc[0, "grade"])
    listed = [r for r in quality_rows(data) if r[4] != "unknown_customer"]
    assert listed == [
        ("Customers", 2, "Created", "yesterday", "bad_date"),
        ("Customers", 2, "Grade", "Z", "bad_grade"),
    ]
    assert not data.problems["left_out"].any()


def test_duplicate_customers_keep_first_and_list_the_rest(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [
                ["Customer ID", "Name"],
                ["C1", "Acme"],
                ["C1", "Acme Ltd"],
                ["C2", "Bolt"],
            ],
            "Orders": [["Customer ID", "Date", "Amount"], ["C1", D(2024, 1, 1), 1]],
        }
    )
    data = read_workbook(path)
    assert data.customers is not None
    assert data.customers["name"].tolist() == ["Acme", "Bolt"]
    assert quality_rows(data) == [("Customers", 3, "Customer ID", "C1", "duplicate_id")]
    assert data.counts["customers"].left_out == 1


def test_orders_for_unknown_customers_are_kept_and_listed_once(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [["Customer ID"], ["C1"]],
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", D(2024, 1, 1), 1],
                ["C9", D(2024, 1, 2), 2],
                ["C9", D(2024, 1, 3), 3],
            ],
        }
    )
    data = read_workbook(path, strict=True)  # information only: strict still passes
    assert len(data.orders) == 3
    assert quality_rows(data) == [("Orders", 3, "Customer ID", "C9", "unknown_customer")]
    assert not data.problems["left_out"].any()


def test_quality_table_in_english_and_chinese(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", D(2024, 1, 1), "x"],
                ["C2", D(2024, 1, 1), 5],
            ]
        }
    )
    data = read_workbook(path)
    en = quality_table(data.problems, "en")
    assert list(en.columns) == ["Sheet", "Row", "Column", "Value", "Problem", "Effect"]
    assert en.iloc[0].tolist() == [
        "Orders",
        2,
        "Amount",
        "x",
        "not an amount xlcrm can read",
        "row left out",
    ]
    zh = quality_table(data.problems, "zh")
    assert list(zh.columns) == ["工作表", "行", "列", "值", "问题", "处理"]
    assert zh.iloc[0].tolist() == ["Orders", 2, "Amount", "x", "无法识别的金额", "该行未计入"]


def test_strict_mode_names_the_first_bad_cell(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", D(2024, 1, 1), 1],
                ["C2", "bad", 2],
                ["C3", "bad", 3],
            ]
        }
    )
    with pytest.raises(InputError) as info:
        read_workbook(path, strict=True)
    err = info.value
    assert (err.file, err.sheet, err.row, err.column) == (str(path), "Orders", 3, "Date")
    assert "'bad'" in str(err) and "1 more" in str(err)


# --- missing sheets and columns -----------------------------------------------


def test_missing_orders_sheet_message(make_workbook: Make) -> None:
    path = make_workbook({"Customers": [["Customer ID"], ["C1"]], "Notes": [["x"]]})
    with pytest.raises(InputError) as info:
        read_workbook(path)
    text = str(info.value)
    assert str(path) in text and "Orders" in text and "Customers, Notes" in text


def test_missing_column_message_names_file_sheet_expected_and_found(make_workbook: Make) -> None:
    path = make_workbook(
        {"Orders": [["Customer ID", "Order Date", "Total Qty"], ["C1", D(2024, 1, 1), 3]]}
    )
    with pytest.raises(InputError) as info:
        read_workbook(path)
    err = info.value
    text = str(err)
    assert err.sheet == "Orders" and err.column == "Amount"
    assert str(path) in text and "'Orders'" in text and "'Amount'" in text
    assert "headers found: Customer ID, Order Date, Total Qty" in text


def test_the_first_broken_sheet_in_reading_order_is_named(make_workbook: Make) -> None:
    # Customers and Activities are read while Orders is parsed on a second thread:
    # the error is still the one of the sheet read first (Orders), then Customers
    customers = [["Customer ID", "Name"], ["C1", "Acme"]]
    activities = [["Customer ID", "Kind"], ["C1", "call"]]  # no date column
    broken_orders = [["Customer ID", "Order Date", "Total Qty"], ["C1", D(2024, 1, 1), 3]]
    path = make_workbook(
        {"Customers": [["Name"], ["Acme"]], "Orders": broken_orders, "Activities": activities}
    )
    with pytest.raises(InputError) as info:
        read_workbook(path)
    assert (info.value.sheet, info.value.column) == ("Orders", "Amount")
    path = make_workbook(
        {"Customers": [["Name"], ["Acme"]], "Orders": ORDERS, "Activities": activities},
        name="customers.xlsx",
    )
    with pytest.raises(InputError) as info:
        read_workbook(path)
    assert (info.value.sheet, info.value.column) == ("Customers", "Customer ID")
    path = make_workbook(
        {"Customers": customers, "Orders": ORDERS, "Activities": activities}, name="acts.xlsx"
    )
    with pytest.raises(InputError) as info:
        read_workbook(path)
    assert info.value.sheet == "Activities"
    data = read_workbook(
        make_workbook({"Customers": customers, "Orders": ORDERS}, name="fine.xlsx")
    )
    assert data.order_sheets == ("Orders",) and len(data.orders) == 3
    assert data.sheet_names["customers"] == "Customers" and len(data.customers) == 1


def test_missing_column_message_in_chinese(make_workbook: Make) -> None:
    path = make_workbook({"订单": [["客户编号", "金额"], ["C1", 3]]})
    with pytest.raises(InputError) as info:
        read_workbook(path, lang="zh")
    assert "现有表头：客户编号, 金额" in info.value.render("zh")


def test_empty_workbook_sheet_is_a_missing_column(make_workbook: Make) -> None:
    path = make_workbook({"Orders": []})
    with pytest.raises(InputError, match=r"headers found: \(none\)"):
        read_workbook(path)


# --- files --------------------------------------------------------------------


def test_a_damaged_ole2_file_named_xls_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    with pytest.raises(InputError, match=r"not an \.xlsx file"):
        read_workbook(path)


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    with pytest.raises(InputError, match="password"):
        read_workbook(path)


@pytest.mark.parametrize("content", [b"just some text\n", b"PK\x03\x04 broken zip"])
def test_non_workbook_renamed_xlsx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="not an Excel workbook"):
        read_workbook(path)


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_workbook(tmp_path / "nope.xlsx")
    other = tmp_path / "data.ods"
    other.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported file type"):
        read_workbook(other)


CSV_TEXT = '客户编号,下单日期,金额\nK1,2024/3/5,"￥1,234.50"\n00123,2024-03-06,12\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_orders_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    data = read_workbook(path)
    assert_frame_equal(
        data.orders, orders_frame([("K1", "2024-03-05", 1234.5), ("00123", "2024-03-06", 12.0)])
    )
    assert data.customers is None and data.sheet_names == {"orders": "orders.csv"}


def test_csv_with_semicolons_title_row_and_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Sales export;;\nCustomer ID;Date;Amount\nC1;05/03/2024;10\nC2;later;20\n", "utf-8"
    )
    data = read_orders_csv(path, day_first=True)
    assert_frame_equal(data.orders, orders_frame([("C1", "2024-03-05", 10.0)]))
    assert quality_rows(data) == [("export.csv", 4, "Date", "later", "bad_date")]


# --- the Settings sheet -------------------------------------------------------


def test_column_map_on_settings_sheet_wins(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [["Customer ID", "Date", "Amount", "实收"], ["C1", D(2024, 1, 1), 999, 5]],
            "Settings": [["Setting", "Value"], ["map.orders.amount", "实收"]],
        }
    )
    data = read_workbook(path)
    assert data.orders["amount"].tolist() == [5.0]
    assert data.settings_values == {"map.orders.amount": "实收"}


def test_column_map_to_a_missing_header_is_an_error(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [["Setting", "Value"], ["map.orders.amount", "Net"]],
        }
    )
    with pytest.raises(InputError, match=r"map\.orders\.amount.*'Net'.*headers found: Order ID"):
        read_workbook(path)


def test_sheet_map_picks_the_orders_sheet(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [["Customer ID", "Date", "Amount"], ["OLD", D(2020, 1, 1), 1]],
            "Ledger 2024": ORDERS,
            "Settings": [["Setting", "Value"], ["map.orders.sheet", "ledger 2024"]],
        }
    )
    assert read_workbook(path).sheet_names["orders"] == "Ledger 2024"


def test_day_first_from_settings_and_argument(make_workbook: Make) -> None:
    sheets = {
        "Orders": [["Customer ID", "Date", "Amount"], ["C1", "05/03/2024", 1]],
        "Settings": [["Setting", "Value"], ["day_first", "yes"]],
    }
    path = make_workbook(sheets)
    assert read_workbook(path).orders["order_date"].tolist() == [pd.Timestamp("2024-03-05")]
    assert read_workbook(path, day_first=False).orders["order_date"].tolist() == [
        pd.Timestamp("2024-05-03")
    ]


def test_unknown_settings_are_reported_by_name(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [
                ["Setting", "Value"],
                ["colour", "blue"],
                ["map.orders.flavour", "x"],
                ["cadence_a", 2],
            ],
        }
    )
    data = read_workbook(path)
    assert data.unknown_settings == ["map.orders.flavour", "colour"]
    assert data.settings.cadence_a == 2


def test_invalid_setting_names_key_and_row(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [["Setting", "Value"], ["company", "X"], ["sleep_days", "soon"]],
        }
    )
    with pytest.raises(SettingsError) as info:
        read_workbook(path)
    err = info.value
    assert (err.sheet, err.row, err.column) == ("Settings", 3, "sleep_days")
    assert str(path) in str(err)


def test_invalid_as_of_is_a_settings_error(make_workbook: Make) -> None:
    path = make_workbook(
        {"Orders": ORDERS, "Settings": [["Setting", "Value"], ["as_of", "someday"]]}
    )
    with pytest.raises(SettingsError, match="as_of"):
        read_workbook(path)


def test_bad_owner_email_is_listed(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [
                ["Setting", "Value", None, "Owner", "Email"],
                [None, None, None, "Ann", "ann at home"],
            ],
        }
    )
    data = read_workbook(path)
    assert data.owners is not None and data.owners["owner"].tolist() == ["Ann"]
    assert pd.isna(data.owners.loc[0, "email"])
    assert quality_rows(data) == [("Settings", 2, "Email", "ann at home", "bad_email")]


# --- fuzzing ------------------------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "#N/A",
            "#VALUE!",
            "Customer ID",
            "Date",
            "Amount",
            "¥1,2",
            "(3)",
            "2024年13月1日",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.dates(min_value=D(1, 1, 1)),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)
ROWS = st.lists(st.lists(CELL, min_size=0, max_size=5), min_size=0, max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, header_at=st.integers(min_value=0, max_value=4), day_first=st.booleans())
def test_fuzz_orders_rows_give_data_or_an_xlcrm_error(
    rows: list[list[Any]], header_at: int, day_first: bool
) -> None:
    from xlcrm.xlsx.grid import Sheet
    from xlcrm.xlsx.tables import read_table

    rows = [list(r) for r in rows]
    if rows:
        rows.insert(min(header_at, len(rows)), ["Customer ID", "Date", "Amount"])
    width = max(map(len, rows), default=0)
    rows = [r + [None] * (width - len(r)) for r in rows]
    sheet = Sheet("Orders", rows, 1, 0)
    try:
        read = read_table(sheet, "orders", file=Path("f.xlsx"), column_map={}, day_first=day_first)
    except XlcrmError:
        return
    frame = read.frame
    assert list(frame.columns) == ["customer_id", "order_date", "amount", "order_id"]
    assert frame["customer_id"].notna().all() and frame["order_date"].notna().all()
    assert np.isfinite(frame["amount"]).all()
    assert read.counts.read == len(frame)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS)
def test_fuzz_workbook_files_give_data_or_an_xlcrm_error(
    make_workbook: Make, rows: list[list[Any]]
) -> None:
    clean = [
        [
            v
            if not isinstance(v, str)
            else "".join(ch for ch in v if ch.isprintable() and ch not in "\ud800\udfff")[:12]
            for v in row
        ]
        for row in rows
    ]
    clean = [
        [None if isinstance(v, float) and not np.isfinite(v) else v for v in row] for row in clean
    ]
    clean = [[v for v in row if not (isinstance(v, int) and abs(v) > 2**53)] for row in clean]
    path = make_workbook({"Orders": [["Customer ID", "Date", "Amount"], *clean]}, name="fuzz.xlsx")
    try:
        data = read_workbook(path)
    except XlcrmError:
        return
    assert data.orders["customer_id"].notna().all()


def test_a_column_mixing_excel_dates_serials_and_text() -> None:
    values = np.array(
        [D(2024, 3, 5), 45357.0, "2024-03-07", dt.datetime(2024, 3, 8, 9)], dtype=object
    )
    parsed = cells.parse_dates(values)
    assert parsed.values.tolist() == list(
        pd.to_datetime(["2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"])
    )


def test_mapped_header_is_claimed_before_aliases(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Orders": [
                ["Customer", "Customer ID", "Date", "Amount"],
                ["Acme", "C1", D(2024, 1, 1), 1],
            ],
            "Settings": [["Setting", "Value"], ["map.orders.customer_id", "Customer"]],
        }
    )
    assert read_workbook(path).orders["customer_id"].tolist() == ["Acme"]


def test_excel_error_in_an_optional_column_is_listed_and_row_kept(make_workbook: Make) -> None:
    path = make_workbook(
        {
            "Customers": [["Customer ID", "Last contact"], ["C1", "#REF!"], ["C2", None]],
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", D(2024, 1, 1), 1],
                ["C2", D(2024, 1, 1), 1],
            ],
        }
    )
    data = read_workbook(path)
    assert data.customers is not None and len(data.customers) == 2
    assert quality_rows(data) == [("Customers", 2, "Last contact", "#REF!", "excel_error")]


def test_mail_settings_are_known_not_reported_as_unknown(make_workbook):
    path = make_workbook(
        {
            "Orders": [["Customer ID", "Order date", "Amount"], ["C1", "2024-01-05", 10]],
            "Settings": [
                ["Setting", "Value"],
                ["smtp_host", "mail.example.test"],
                ["email_to", "boss@example.test"],
                ["not_a_setting", "x"],
            ],
        }
    )
    data = read_workbook(path)
    assert data.unknown_settings == ["not_a_setting"]
    assert data.settings_values["smtp_host"] == "mail.example.test"


def test_activities_of_customers_nowhere_else_are_listed_as_not_used(make_workbook):
    path = make_workbook(
        {
            "Customers": [["Customer ID", "Name"], ["C1", "Acme"]],
            "Orders": [
                ["Customer ID", "Order date", "Amount"],
                ["C1", "2024-01-05", 10],
                ["X9", "2024-01-06", 20],
            ],
            "Activities": [
                ["Customer ID", "Date"],
                ["X9", "2024-01-07"],  # known from Orders: used, not listed
                ["Y1", "2024-01-08"],  # nowhere else: not used
                ["Y1", "2024-01-09"],
            ],
        }
    )
    data = read_workbook(path)
    table = quality_table(data.problems, "en")
    rows = list(table.itertuples(index=False, name=None))
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [
        ("Orders", 3, "X9", "kept"),
        ("Activities", 3, "Y1", "activity not used"),
    ]
    zh = quality_table(data.problems, "zh")
    assert zh.iloc[1, 5] == "该跟进记录未使用"


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("合计", "total_row"),
        ("小计", "total_row"),
        ("汇总", "total_row"),
        ("总计", "total_row"),
        ("合计：", "total_row"),
        ("本页小计", "total_row"),
        ("小计(3笔)", "total_row"),
        ("Total", "total_row"),
        ("TOTAL:", "total_row"),
        ("Grand Total", "total_row"),
        ("Subtotal", "total_row"),
        ("Sum", "total_row"),
        ("共 3 个客户", "note_row"),
        ("共3条记录", "note_row"),
        ("3 customers", "note_row"),
        ("备注：含税", "note_row"),
        ("制表：张三", "note_row"),
        ("Total Wine & More", None),
        ("汇总贸易有限公司", None),
        ("共享科技", None),
        ("Summit Co", None),
        ("C001", None),
        ("备注", None),
    ],
)
def test_total_and_note_labels(label: str, kind: str | None) -> None:
    from xlcrm.xlsx.rowkinds import footer_rows

    found, _, _ = footer_rows({"customer_id": (np.array([label, "C9"], dtype=object), None)})
    assert found.tolist() == [kind, None]


def test_the_garbage_collector_is_paused_only_while_reading(tmp_path: Path) -> None:
    import gc

    from xlcrm.core.errors import InputError
    from xlcrm.xlsx import reader
    from xlcrm.xlsx.sample import generate_sample, write_sample

    seen: list[bool] = []
    original = reader.read_table

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    book = write_sample(generate_sample(customers=40), tmp_path / "s.xlsx")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "read_table", spy)
        reader.read_workbook(book)
    assert seen and not any(seen)  # paused while the sheets were read
    assert gc.isenabled()
    with pytest.raises(InputError):
        reader.read_workbook(tmp_path / "missing.xlsx")
    assert gc.isenabled()  # and after an error too
    gc.disable()
    try:
        reader.read_workbook(book)
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()
