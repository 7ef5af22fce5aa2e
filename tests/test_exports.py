"""Workbooks shaped like real exports (ERP registers, shop order exports, hand-kept
ledgers, Excel Tables), each run through the real command line.

Each case gives exact numbers, exact Data quality rows, or one exit-2 line;
every analysed case's reconciliation line adds up (``oddbooks.analysed``).
"""

from __future__ import annotations

import datetime as dt
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from oddbooks import (
    AS_OF,
    analysed,
    cache_formula_values,
    legacy_xls_book,
    lifecycle_ids,
    notices,
    quality,
    reason,
    reconciliation,
    refused,
    rfm,
    sha256,
    stray_cell_book,
)
from openpyxl.worksheet.table import Table

Make = Callable[..., Path]
D = dt.date


def days(day: str) -> int:
    return (dt.date.fromisoformat(AS_OF) - dt.date.fromisoformat(day)).days


# --- 1. several order sheets ----------------------------------------------------------


def test_orders_on_sheets_per_year_are_all_read_and_named(make_workbook: Make) -> None:
    head = ["客户编号", "日期", "金额"]
    book = make_workbook(
        {
            "2023": [head, ["K1", D(2023, 5, 1), 100], ["K2", D(2023, 6, 1), 50]],
            "2024": [head, ["K1", D(2024, 2, 1), 30], ["K3", D(2024, 3, 1), 20]],
        }
    )
    result, out = analysed(book)
    got = rfm(out)
    assert {k: v[3:5] for k, v in got.items()} == {"K1": (2, 130), "K2": (1, 50), "K3": (1, 20)}
    assert got["K1"][2] == days("2024-02-01")
    assert "Orders read from 2 sheets: 2023, 2024" in result.stdout
    read = [n[3] for n in notices(out) if n[4] == "sheet read for the orders"]
    assert read == ["2023", "2024"]
    assert reconciliation(result.stdout)["read"] == 4


def test_order_sheets_with_different_headers_stop_and_ask(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "2023": [["客户编号", "日期", "金额"], ["K1", D(2023, 5, 1), 100]],
            "2024": [["客户编号", "日期", "实付金额"], ["K1", D(2024, 2, 1), 30]],
        }
    )
    refused(book, "several sheets look like orders", "2023", "2024", "map.orders.sheet")
    zh = refused(book, "多个工作表像订单表", lang="zh")
    assert "look like" not in zh and "headers" not in zh


def test_the_orders_sheet_is_chosen_by_headers_not_by_name(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "销售": [["月份", "销售额"], ["2024-01", 999], ["2024-02", 888]],
            "订单明细": [
                ["订单号", "客户编号", "下单日期", "实付金额"],
                ["O1", "K1", D(2024, 1, 3), 40],
            ],
        }
    )
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"K1": (1, 40)}
    assert "Columns used, Orders (sheet 订单明细):" in result.stdout


# --- 2. totals, subtotals and notes ----------------------------------------------------


def test_subtotal_and_total_rows_of_a_ledger_are_left_out_and_listed(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "订单": [
                ["客户", "日期", "金额"],
                ["K1", D(2024, 1, 5), 100],
                ["K2", D(2024, 1, 9), 50],
                ["小计", None, 150],
                ["K1", D(2024, 2, 5), 70],
                ["本月合计：", None, 70],
                [None, "合计", 220],
            ]
        }
    )
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"K1": (2, 170), "K2": (1, 50)}
    total = reason("total_row")
    assert quality(out) == [
        ("订单", 4, "客户", "小计", total),
        ("订单", 6, "客户", "本月合计：", total),
        ("订单", 7, "日期", "合计", total),
    ]
    n = reconciliation(result.stdout)
    assert (n["read"], n["counted"], n["reasons"]) == (6, 3, {"total rows": 3})
    assert (n["a_read"], n["revenue"], n["a_left"]) == (66000, 22000, 44000)


def test_an_excel_table_total_row_is_not_a_customer_dated_1900(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Orders"
    for row in [
        ["Customer ID", "Order Date", "Amount"],
        ["C1", D(2024, 1, 1), 100],
        ["C2", D(2024, 2, 1), 50],
        [None, "=SUBTOTAL(103,Sales[Order Date])", "=SUBTOTAL(109,Sales[Amount])"],
    ]:
        ws.append(row)
    ws["B4"].number_format = "yyyy-mm-dd"  # the COUNT shows as 1900-01-02
    ws.add_table(Table(displayName="Sales", ref="A1:C4", totalsRowCount=1))
    book = tmp_path / "table.xlsx"
    wb.save(book)
    cache_formula_values(book, "xl/worksheets/sheet1.xml", {"B4": 2, "C4": 150})
    result, out = analysed(book)
    assert reconciliation(result.stdout)["reasons"] == {"total rows": 1}
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"C1": (1, 100), "C2": (1, 50)}
    assert quality(out) == [("Orders", 4, "Customer ID", None, reason("total_row"))]


def test_footer_notes_under_a_customer_list_are_not_prospects(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "客户": [
                ["客户编号", "客户名称"],
                ["K1", "甲公司"],
                ["K2", "乙公司"],
                ["K3", "丙公司"],
                [],
                ["共 3 个客户"],
                ["制表：张三"],
            ],
            "订单": [["客户编号", "日期", "金额"], ["K1", D(2024, 1, 1), 10]],
        }
    )
    _, out = analysed(book)
    assert sorted(lifecycle_ids(out)) == ["K1", "K2", "K3"]
    note = reason("note_row")
    assert quality(out) == [
        ("客户", 6, "客户编号", "共 3 个客户", note),
        ("客户", 7, "客户编号", "制表：张三", note),
    ]


def test_a_small_number_in_the_date_column_is_listed_not_dated_1900(make_workbook: Make) -> None:
    book = make_workbook(
        {"Orders": [["Customer ID", "Date", "Amount"], ["C1", 8, 5], ["C2", D(2024, 1, 1), 6]]}
    )
    _, out = analysed(book)
    assert quality(out) == [("Orders", 2, "Date", "8", reason("number_as_date"))]
    assert list(rfm(out)) == ["C2"]


# --- 3. order lines ---------------------------------------------------------------------


def test_an_erp_register_counts_orders_not_lines_with_merged_cells(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "销售出库单": [
                ["单据编号", "日期", "客户编码", "物料名称", "金额", "价税合计"],
                ["XS001", D(2024, 1, 5), "K1", "螺丝", 88.5, 100],
                [None, None, None, "螺母", 44.25, 50],
                [None, None, None, "垫片", 26.55, 30],
                ["XS002", D(2024, 2, 5), "K1", "螺丝", 61.95, 70],
                ["XS003", D(2024, 3, 5), "K2", "螺丝", 8.85, 10],
            ]
        },
        merged={"销售出库单": ["A2:A4", "B2:B4", "C2:C4"]},
    )
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"K1": (2, 250), "K2": (1, 10)}
    assert quality(out) == []
    n = reconciliation(result.stdout)
    assert (n["read"], n["counted"], n["orders"]) == (5, 5, 3)
    tally = [r for r in notices(out) if r[4].startswith("Reconciliation:")]
    assert [(r[0], r[1]) for r in tally] == [("销售出库单", 1)]  # also on Data quality
    assert reconciliation(tally[0][4]) == n
    assert "the amount: 价税合计" in result.stdout
    assert "the order number (lines of one order count once): 单据编号" in result.stdout


def test_an_order_amount_merged_over_its_lines_counts_once(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Order No", "Customer ID", "Order Date", "Item", "Paid"],
                ["O1", "C1", D(2024, 1, 5), "pen", 150],
                [None, None, None, "ink", None],
                ["O2", "C1", D(2024, 2, 5), "pad", 20],
            ]
        },
        merged={"Orders": ["A2:A3", "B2:B3", "C2:C3", "E2:E3"]},
    )
    result, out = analysed(book)
    assert rfm(out)["C1"][3:5] == (2, 170)
    assert quality(out) == [("Orders", 3, "Paid", None, reason("merged_line"))]
    assert reconciliation(result.stdout)["reasons"] == {"lines of merged orders": 1}


# --- 4. order status --------------------------------------------------------------------

TAOBAO = [
    ["订单编号", "买家会员名", "总金额", "买家实际支付金额", "订单状态", "订单付款时间"],
    ["T1", "buyerA", 120, 100, "交易成功", "2024-03-05 14:22:01"],
    ["T2", "buyerA", 80, 80, "交易关闭", "2024-04-01 10:00:00"],
    ["T3", "buyerB", 60, 60, "退款成功", "2024-04-02 09:00:00"],
    ["T4", "buyerB", 40, 40, "卖家已发货，等待买家确认", "2024-05-02 09:00:00"],
]


def test_closed_and_refunded_orders_are_left_out_and_counted(make_workbook: Make) -> None:
    book = make_workbook({"订单": TAOBAO})
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"buyerA": (1, 100), "buyerB": (1, 40)}
    excluded = reason("status_excluded")
    assert quality(out) == [
        ("订单", 3, "订单状态", "交易关闭", excluded),
        ("订单", 4, "订单状态", "退款成功", excluded),
    ]
    n = reconciliation(result.stdout)
    assert n["reasons"] == {"excluded statuses": 2}
    assert (n["revenue"], n["a_left"]) == (14000, 14000)
    assert "the amount: 买家实际支付金额" in result.stdout  # paid, not the list total
    used = {r[2]: r[4] for r in notices(out)}
    assert used["买家实际支付金额"] == "column used for the amount"
    assert used["订单状态"] == "column used for the order status"


def test_the_excluded_statuses_setting_changes_what_counts(make_workbook: Make) -> None:
    book = make_workbook(
        {"订单": TAOBAO, "设置": [["设置项", "值"], ["排除的订单状态", "交易关闭"]]}
    )
    _, out = analysed(book)
    assert rfm(out)["buyerB"][3:5] == (2, 100)


def test_shop_financial_statuses(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "orders_export": [
                ["Name", "Email", "Financial Status", "Paid at", "Subtotal", "Total"],
                ["#1001", "a@x.com", "paid", "2024-03-05 14:22:01 +0800", 45, 50],
                ["#1002", "a@x.com", "refunded", "2024-03-06 10:00:00 +0800", 30, 30],
                ["#1003", "b@x.com", "voided", "2024-03-07 10:00:00 +0800", 70, 70],
                ["#1004", "b@x.com", "partially_refunded", "2024-03-08 10:00:00 +0800", 20, 20],
            ]
        }
    )
    _, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"a@x.com": (1, 50), "b@x.com": (1, 20)}
    assert rfm(out)["a@x.com"][2] == days("2024-03-05")


def test_a_fully_refunded_order_is_not_a_purchase(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Order No", "Customer ID", "Order Date", "Amount"],
                ["O1", "C1", D(2024, 1, 5), 100],
                ["O1", "C1", D(2024, 1, 9), -100],
                ["O2", "C1", D(2024, 2, 5), 40],
                ["O3", "C2", D(2024, 3, 5), 60],
                ["O3", "C2", D(2024, 3, 8), -60],
            ]
        }
    )
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"C1": (1, 40)}
    assert "C2" in lifecycle_ids(out)
    n = reconciliation(result.stdout)
    assert (n["orders"], n["revenue"], n["a_none"]) == (3, 4000, 0)


# --- 5. dates and times -----------------------------------------------------------------


def test_dates_with_times_zones_and_chinese_half_days(tmp_path: Path) -> None:
    book = tmp_path / "times.csv"
    book.write_text(
        "Customer ID,Order Date,Amount\n"
        "C1,2024/3/5 下午 2:22:07,10\n"
        "C2,2024-03-05T14:22:01Z,20\n"
        "C3,2024-03-05T14:22:01+08:00,30\n"
        "C4,2024-03-05 14:22:01 +0800,40\n"
        "C5,2024/3/5 上午 9:01:00,50\n",
        "utf-8",
    )
    _, out = analysed(book)
    assert quality(out) == []
    assert {v[2] for v in rfm(out).values()} == {days("2024-03-05")}
    assert len(rfm(out)) == 5


def test_a_date_column_with_no_usable_value_stops_with_an_example(tmp_path: Path) -> None:
    book = tmp_path / "dates.csv"
    book.write_text("Customer ID,Date,Amount\nC1,someday,1\nC2,later,2\n", "utf-8")
    refused(book, "row 2", "column 'Date'", "no usable value", "'someday'")
    refused(book, "该列没有可用的值", "'someday'", lang="zh")


def test_day_first_is_decided_for_the_column_by_a_date_that_proves_it(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", "05/03/2024", 1],
                ["C2", "25/03/2024", 1],
            ]
        }
    )
    _, out = analysed(book)
    assert rfm(out)["C1"][2] == days("2024-03-05")  # not 3 May: 25/03 proves day first


# --- 6. formulas without saved results ----------------------------------------------------


def test_formulas_without_saved_results_stop_with_a_plain_answer(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Date", "Qty", "Price", "Amount"],
                ["C1", D(2024, 1, 1), 2, 5, "=C2*D2"],
                ["C2", D(2024, 1, 2), 1, 7, "=C3*D3"],
            ]
        }
    )
    line = refused(book, "column 'Amount'", "formula without a saved result")
    assert "open and save the file in Excel" in line


# --- 7. amounts and ids -------------------------------------------------------------------


def test_unicode_minus_and_ten_thousands_are_read(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "订单": [
                ["客户编号", "日期", "金额"],
                ["K1", D(2024, 1, 1), 100],
                ["K1", D(2024, 2, 1), "1.2万"],
                ["K1", D(2024, 3, 1), "\u221250"],
            ]
        }
    )
    _, out = analysed(book)
    assert quality(out) == []
    assert rfm(out)["K1"][3:5] == (2, 12050)


def test_a_ten_thousand_unit_in_the_header_multiplies(make_workbook: Make) -> None:
    book = make_workbook(
        {"订单": [["客户编号", "日期", "销售额（万元）"], ["K1", D(2024, 1, 1), 1.5]]}
    )
    result, out = analysed(book)
    assert rfm(out)["K1"][4] == 15000
    assert "the amount, in units of 10,000: 销售额（万元）" in result.stdout


def test_mixed_currencies_in_one_column_are_listed(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Customer ID", "Date", "Amount"],
                ["C1", D(2024, 1, 1), "¥100"],
                ["C2", D(2024, 1, 1), "¥50"],
                ["C3", D(2024, 1, 1), "$20"],
                ["C4", D(2024, 1, 1), "HK$30"],
                ["C5", D(2024, 1, 1), 120],
            ]
        }
    )
    result, out = analysed(book)
    other = reason("other_currency").format(detail="CNY")
    assert quality(out) == [
        ("Orders", 4, "Amount", "$20", other),
        ("Orders", 5, "Amount", "HK$30", other),
    ]
    assert set(rfm(out)) == {"C1", "C2", "C5"}
    assert reconciliation(result.stdout)["reasons"] == {"other currencies": 2}


def test_ids_differing_in_case_width_or_invisible_characters(make_workbook: Make) -> None:
    sheets: dict[str, Any] = {
        "Customers": [["Customer ID", "Name"], ["C001", "Acme"], ["Ｃ００２", "Bolt"]],
        "Orders": [
            ["Customer ID", "Date", "Amount"],
            ["c001", D(2024, 1, 1), 10],
            ["C002", D(2024, 1, 2), 20],
            ["C001\u200b", D(2024, 1, 3), 30],
        ],
    }
    _, out = analysed(make_workbook(sheets))
    similar = [r for r in quality(out) if "probably the same customer" in r[4]]
    assert [(r[0], r[1], r[3]) for r in similar] == [
        ("Orders", 2, "c001"),
        ("Orders", 3, "C002"),
        ("Orders", 4, "C001\u200b"),
    ]
    assert len(rfm(out)) == 3  # kept apart unless the setting says so
    sheets["Settings"] = [["Setting", "Value"], ["merge_similar_ids", "yes"]]
    _, out = analysed(make_workbook(sheets, name="merged.xlsx"))
    got = rfm(out)
    assert got["C001"][0] == "Acme" and got["C001"][3:5] == (2, 40)
    assert got["Ｃ００２"][0] == "Bolt" and got["Ｃ００２"][3:5] == (1, 20)


def test_ids_zero_padded_by_number_format_match_ids_typed_as_text(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    customers = wb.active
    assert customers is not None
    customers.title = "Customers"
    customers.append(["Customer ID", "Name"])
    customers.append([123, "Acme"])
    customers["A2"].number_format = "000000"
    orders = wb.create_sheet("Orders")
    orders.append(["Customer ID", "Date", "Amount"])
    orders.append(["000123", D(2024, 1, 1), 10])
    book = tmp_path / "padded.xlsx"
    wb.save(book)
    _, out = analysed(book)
    assert rfm(out) == {"000123": ("Acme", None, days("2024-01-01"), 1, 10)}
    assert quality(out) == []


def test_the_paid_amount_wins_over_a_hidden_list_price(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "订单"
    ws.append(["客户编号", "日期", "金额", "实付金额"])
    ws.append(["K1", D(2024, 1, 1), 199, 149])
    ws.column_dimensions["C"].hidden = True
    book = tmp_path / "paid.xlsx"
    wb.save(book)
    result, out = analysed(book, "--lang", "zh")
    assert "金额：实付金额" in result.stdout
    assert [r[2] for r in notices(out, "数据质量") if r[4] == "用作金额的列"] == ["实付金额"]


# --- 8. CSV ------------------------------------------------------------------------------


def test_a_quote_left_open_in_a_csv_is_found_and_the_rows_recovered(tmp_path: Path) -> None:
    book = tmp_path / "quote.csv"
    lines = ["Customer ID,Order Date,Amount", "C1,2024-01-01,10", 'C2,"2024-01-02,20']
    lines += [f"C{i},2024-01-{i:02d},{i}0" for i in range(3, 18)]
    book.write_text("\n".join(lines) + "\n", "utf-8")
    result, out = analysed(book)
    assert len(rfm(out)) == 17
    assert quality(out) == [(book.name, 3, None, 'C2,"2024-01-02,20', reason("csv_quote"))]
    assert reconciliation(result.stdout)["read"] == 17


# --- 9. huge used ranges --------------------------------------------------------------------


def test_a_stray_cell_at_the_last_cell_of_the_sheet(tmp_path: Path) -> None:
    book = stray_cell_book(tmp_path / "stray.xlsx", rows=3000)
    result, out = analysed(book)
    assert reconciliation(result.stdout)["read"] == 3000
    assert sum(v[3] for v in rfm(out).values()) == 3000
    assert quality(out) == [("Orders", 1048576, "XFD", "x", reason("far_cell"))]


def _one_gigabyte() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_a_stray_cell_is_read_within_one_gigabyte_of_address_space(tmp_path: Path) -> None:
    book = stray_cell_book(tmp_path / "stray.xlsx", rows=3000)
    out = tmp_path / "out.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "xlcrm", "analyze", str(book), "-o", str(out), "--as-of", AS_OF],
        preexec_fn=_one_gigabyte,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "panicked" not in done.stderr and "memory allocation" not in done.stderr
    assert "Read 3,000 orders" in done.stdout


# --- 10. --in-place losses -------------------------------------------------------------------


def test_in_place_refuses_dynamic_arrays_and_rich_text(make_workbook: Make) -> None:
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    rows = [["Customer ID", "Date", "Amount"], ["C1", D(2024, 1, 1), 5]]
    book = make_workbook({"Orders": rows})
    with zipfile.ZipFile(book, "a") as z:
        z.writestr("xl/metadata.xml", "<metadata/>")
    refused(book, "--in-place would lose", "dynamic array", extra=["--in-place"])
    refused(book, "动态数组公式", extra=["--in-place"], lang="zh")

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Orders"
    for row in rows:
        ws.append(row)
    ws["D1"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    rich = book.with_name("rich.xlsx")
    wb.save(rich)
    refused(rich, "rich text", extra=["--in-place"])


# --- 11. Settings nonsense --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("sleep_days", -5, "must be a whole number of at least 1, not -5"),
        ("lost_days", -1, "must be a whole number of at least 1"),
        ("window_days", 0, "must be a whole number of at least 1, not 0"),
        ("urgent_days", 40, "urgent_days (40) must be less than soon_days (30)"),
        ("churn_gap_factor", 0, "must be more than 0"),
        ("pareto_top_share", 1.5, "at most 1"),
    ],
)
def test_nonsense_settings_name_the_key_and_its_row(
    make_workbook: Make, key: str, value: object, words: str
) -> None:
    book = make_workbook(
        {
            "Orders": [["Customer ID", "Date", "Amount"], ["C1", D(2024, 1, 1), 5]],
            "Settings": [["Setting", "Value"], ["company", "Shop"], [key, value]],
        }
    )
    refused(book, "sheet 'Settings'", "row 3", f"column '{key}'", words)


def test_nonsense_settings_in_chinese_say_everything_in_chinese(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "订单": [["客户编号", "日期", "金额"], ["K1", D(2024, 1, 1), 5]],
            "设置": [["设置项", "值"], ["沉睡天数", -5]],
        }
    )
    line = refused(
        book, "工作表“设置”", "第 2 行", "列“沉睡天数”", "必须是不小于 1 的整数", lang="zh"
    )
    assert not re.search(r"[A-Za-z]{3,}", line.removeprefix("xlcrm: ").replace(str(book), ""))


# --- 13. legacy .xls --------------------------------------------------------------------------


def test_a_legacy_xls_register_is_read(tmp_path: Path) -> None:
    book = legacy_xls_book(tmp_path / "kingdee.xls")
    _, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"K1": (2, 250), "K2": (1, 10)}
    before = sha256(book)
    refused(book, "--in-place works on .xlsx and .xlsm", extra=["--in-place"])
    assert sha256(book) == before


def test_a_legacy_xls_named_xlsx_is_read_by_content(tmp_path: Path) -> None:
    book = legacy_xls_book(tmp_path / "kingdee.xlsx")
    _, out = analysed(book)
    assert rfm(out)["K2"][3:5] == (1, 10)


# --- 14. smaller points -------------------------------------------------------------------------


def test_a_csv_output_name_is_refused(make_workbook: Make) -> None:
    book = make_workbook({"Orders": [["Customer ID", "Date", "Amount"], ["C1", D(2024, 1, 1), 5]]})
    target = book.with_name("result.csv")
    refused(book, "does not write '.csv' files", extra=["-o", target], names=target)
    assert not target.exists()


def test_yonyou_headers_are_aliases(make_workbook: Make) -> None:
    book = make_workbook(
        {"销售发票": [["客户编码", "开票日期", "价税合计"], ["000321", D(2024, 4, 1), 1130]]}
    )
    _, out = analysed(book)
    assert rfm(out) == {"000321": (None, None, days("2024-04-01"), 1, 1130)}


# --- every reader error in Chinese ------------------------------------------------------------


def test_reader_errors_with_lang_zh_are_all_chinese(make_workbook: Make, tmp_path: Path) -> None:
    head = ["客户编号", "日期", "金额"]
    unsaved = make_workbook(
        {"订单": [["客户编号", "日期", "数量", "金额"], ["K1", D(2024, 1, 1), 2, "=C2*3"]]},
        name="unsaved.xlsx",
    )
    no_dates = tmp_path / "无日期.csv"
    no_dates.write_text("客户编号,日期,金额\nK1,某天,1\n", "utf-8")
    books = [
        make_workbook(
            {
                "2023": [head, ["K1", D(2023, 1, 1), 1]],
                "2024": [["客户编号", "日期", "实付金额"], ["K1", D(2024, 1, 1), 1]],
            },
            name="two.xlsx",
        ),
        unsaved,
        no_dates,
        make_workbook(
            {
                "订单": [head, ["K1", D(2024, 1, 1), 5]],
                "设置": [["设置项", "值"], ["紧急天数", 40]],
            },
            name="bands.xlsx",
        ),
        make_workbook(
            {"订单": [head, ["K1", D(2024, 1, 1), 5]], "设置": [["设置项", "值"], ["窗口天数", 0]]},
            name="window.xlsx",
        ),
    ]
    junk = tmp_path / "坏.xlsx"
    junk.write_bytes(b"junk")
    books.append(junk)
    for book in books:
        line = refused(book, lang="zh").removeprefix("xlcrm: ").replace(str(book), "")
        words = re.findall(r"[A-Za-z_.]{3,}", line)
        allowed = ("map.", "Excel", "LibreOffice", "xlcrm", ".xlsx", ".csv")
        assert [w for w in words if not w.startswith(allowed)] == [], line


# --- 12. very long names in the brief -------------------------------------------------------------


def test_the_brief_cuts_very_long_names_and_the_workbook_keeps_them(make_workbook: Make) -> None:
    from xlcrm.report import build_context, render_html

    long_name = "甲" * 32_000
    owner = "Owner " + "x" * 5_000
    book = make_workbook(
        {
            "Customers": [["Customer ID", "Name", "Owner"], ["C1", long_name, owner]],
            "Orders": [["Customer ID", "Date", "Amount"], ["C1", D(2024, 6, 1), 5]],
        }
    )
    _, out = analysed(book)
    assert rfm(out)["C1"][:2] == (long_name, owner)  # the workbook keeps them whole
    from xlcrm.jobs import run_job
    from xlcrm.xlsx.reader import read_workbook

    job = run_job(read_workbook(book), today=D(2024, 6, 30))
    html = render_html(build_context(job.analysis, lang="zh"))
    assert long_name not in html and owner not in html
    assert "甲" * 59 + "…" in html


def test_amounts_formatted_in_different_currencies_are_listed(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Orders"
    ws.append(["Customer ID", "Date", "Amount"])
    formats = ['"¥"#,##0.00', '"¥"#,##0.00', "[$€-407]#,##0.00", "[$$-409]#,##0.00"]
    for i, fmt in enumerate(formats, start=1):
        ws.append([f"C{i}", D(2024, 1, i), 10 * i])
        ws.cell(i + 1, 3).number_format = fmt
    book = tmp_path / "formats.xlsx"
    wb.save(book)
    _, out = analysed(book)
    other = reason("other_currency").format(detail="CNY")
    assert quality(out) == [
        ("Orders", 4, "Amount", "30", other),
        ("Orders", 5, "Amount", "40", other),
    ]
    assert {k: v[4] for k, v in rfm(out).items()} == {"C1": 10, "C2": 20}


def test_order_lines_with_the_customer_and_date_on_the_first_line_only(
    make_workbook: Make,
) -> None:
    book = make_workbook(
        {
            "销售明细": [
                ["单号", "日期", "客户编码", "物料", "价税合计"],
                ["XS1", D(2024, 1, 5), "K1", "螺丝", 100],
                ["XS1", None, None, "螺母", 50],
                ["XS2", D(2024, 2, 5), "K2", "螺丝", 10],
                ["XS3", None, None, "垫片", 7],  # a new order without them stays out
            ]
        }
    )
    result, out = analysed(book)
    assert {k: v[3:5] for k, v in rfm(out).items()} == {"K1": (1, 150), "K2": (1, 10)}
    assert [r[:3] for r in quality(out)] == [("销售明细", 5, "客户编码"), ("销售明细", 5, "日期")]
    assert reconciliation(result.stdout)["orders"] == 2


def test_amounts_too_large_to_count_are_listed_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        "Customer ID,Date,Amount\nC1,2024-01-02,10\nC2,2024-01-03,1e300\n"
        "C3,2024-01-04,123456789012345678\n",
        encoding="utf-8",
    )
    result, out = analysed(path)
    assert set(rfm(out)) == {"C1"}
    assert [q[3] for q in quality(out)] == ["1e300", "123456789012345678"]
    assert reconciliation(result.stdout)["reasons"] == {"unreadable amounts": 2}


def test_an_amount_too_large_once_multiplied_by_its_unit_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "wan.csv"
    path.write_text(
        "客户编号,日期,销售额（万元）\nK1,2024-01-02,1.5\nK2,2024-01-03,200000000000\n",
        encoding="utf-8",
    )
    _, out = analysed(path)
    assert {k: v[4] for k, v in rfm(out).items()} == {"K1": 15000}
    assert [q[3] for q in quality(out)] == ["200000000000"]
