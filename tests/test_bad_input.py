"""A corpus of awkward workbooks, each run through the real command line.

Every case ends one of two ways: exit 2 with one line naming the file (and
the sheet, row and column where there is one), or exit 0 with the unreadable
rows listed in the Data quality sheet and the rest analysed. Never a
traceback, and the input file is never changed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from oddbooks import (
    AS_OF,
    ORDERS_HEAD,
    analysed,
    cache_formula_values,
    encrypted_xlsx,
    full_orders_sheet,
    invoke,
    legacy_xls,
    lifecycle_ids,
    make_xlsm,
    quality,
    reason,
    refused,
    rfm,
    sha256,
    sheet_rows,
)

from xlcrm.locale import t

Make = Callable[..., Path]
D = dt.date


# --- missing sheets and columns ------------------------------------------------------


def test_missing_orders_sheet_names_file_and_sheets_found(make_workbook: Make) -> None:
    book = make_workbook({"Customers": [["Customer ID"], ["C1"]], "Notes": [["x"]]})
    line = refused(book, "Orders", "Customers, Notes", "map.orders.sheet")
    assert "rename the sheet" in line


def test_missing_amount_column_names_file_sheet_column_and_headers(make_workbook: Make) -> None:
    book = make_workbook(
        {"Orders": [["Customer ID", "Order Date", "Qty"], ["C1", D(2024, 1, 1), 2]]}
    )
    refused(
        book, "sheet 'Orders'", "column 'Amount'", "headers found: Customer ID, Order Date, Qty"
    )


def test_missing_column_on_activities_sheet(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 2]],
            "Activities": [["Customer ID", "Note"], ["C1", "called"]],
        }
    )
    refused(book, "sheet 'Activities'", "column 'Date'")


def test_empty_workbook(tmp_path: Path) -> None:
    book = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(book)  # one empty sheet called "Sheet"
    refused(book, "no Orders sheet", "sheets found: Sheet")


def test_empty_orders_sheet(make_workbook: Make) -> None:
    book = make_workbook({"Orders": []})
    refused(book, "sheet 'Orders'", "headers found: (none)")


def test_settings_sheet_with_an_invalid_value_names_key_and_row(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 2]],
            "Settings": [["Setting", "Value"], ["company", "Shop"], ["sleep_days", "soon"]],
        }
    )
    refused(book, "sheet 'Settings'", "row 3", "sleep_days")


# --- layout ----------------------------------------------------------------------------


def test_header_below_title_rows(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Sales ledger 2024"],
                ["exported 2024-07-01", None, "by finance"],
                [],
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 10],
                ["C2", D(2024, 2, 1), 20],
            ]
        }
    )
    _, out = analysed(book)
    assert set(rfm(out)) == {"C1", "C2"}
    assert quality(out) == []


def test_merged_header_cells(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ["Ledger", None, None, None],
                ["Customer ID", "Order", None, "Note"],
                [None, "Date", "Amount", None],
                ["C1", D(2024, 1, 1), 5, "x"],
                ["C2", D(2024, 3, 1), 7, None],
            ]
        },
        merged={"Orders": ["A1:D1", "A2:A3", "B2:C2", "D2:D3"]},
    )
    _, out = analysed(book)
    assert rfm(out)["C1"][3:5] == (1, 5)
    assert rfm(out)["C2"][3:5] == (1, 7)


def test_headers_in_mixed_languages_and_units_in_brackets(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "订单": [
                ["Customer ID", "下单日期", "金额（元）", "Order No"],
                ["C1", "2024年3月5日", "¥1,234.50", "X1"],
                ["C2", D(2024, 3, 6), 10, "X2"],
            ],
            "Customers": [
                ["客户编号", "Name", "负责人"],
                ["C1", "甲公司", "Ann"],
                ["C2", "Bolt", "王伟"],
            ],
        }
    )
    _, out = analysed(book)
    got = rfm(out)
    assert got["C1"][:2] == ("甲公司", "Ann") and got["C1"][4] == pytest.approx(1234.5)
    assert got["C2"][:2] == ("Bolt", "王伟")


def test_amount_header_with_a_currency_unit(make_workbook: Make) -> None:
    book = make_workbook(
        {"Orders": [["Customer ID", "Date", "Amount (USD)"], ["C1", D(2024, 1, 1), 3]]}
    )
    _, out = analysed(book)
    assert rfm(out)["C1"][4] == 3


def test_blank_rows_and_repeated_header_rows(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 10],
                [None, None, None],
                ORDERS_HEAD,
                ["C2", D(2024, 1, 2), 20],
            ]
        }
    )
    result, out = analysed(book)
    assert set(rfm(out)) == {"C1", "C2"} and quality(out) == []
    assert "No rows left out." in result.stdout


def test_hidden_sheets_and_filtered_rows_are_read(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Cover"
    ws = wb.create_sheet("Orders")
    for row in [
        ORDERS_HEAD,
        ["C1", D(2024, 1, 1), 5],
        ["C2", D(2024, 1, 2), 6],
        ["C3", D(2024, 1, 3), 7],
    ]:
        ws.append(row)
    ws.auto_filter.ref = "A1:C4"
    ws.auto_filter.add_filter_column(0, ["C1"])
    ws.row_dimensions[3].hidden = True
    ws.row_dimensions[4].hidden = True
    ws.sheet_state = "hidden"
    customers = wb.create_sheet("Customers")
    customers.append(["Customer ID", "Name"])
    customers.append(["C3", "Hidden Co"])
    customers.sheet_state = "veryHidden"
    book = tmp_path / "hidden.xlsx"
    wb.save(book)
    _, out = analysed(book)
    got = rfm(out)
    assert set(got) == {"C1", "C2", "C3"} and got["C3"][0] == "Hidden Co"


# --- values ------------------------------------------------------------------------------


def test_text_in_the_amount_column_is_listed_and_the_rest_analysed(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 10],
                ["C1", D(2024, 2, 1), "lots"],
                ["C2", D(2024, 2, 1), "TBD"],
                ["C2", D(2024, 3, 1), "1,23"],
            ]
        }
    )
    result, out = analysed(book)
    bad = reason("bad_amount")
    assert quality(out) == [
        ("Orders", 3, "Amount", "lots", bad),
        ("Orders", 4, "Amount", "TBD", bad),
        ("Orders", 5, "Amount", "1,23", bad),
    ]
    assert set(rfm(out)) == {"C1"}
    assert "Left out 3 rows" in result.stdout


def test_zero_and_negative_amounts_are_kept(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 100],
                ["C1", D(2024, 2, 1), -30],
                ["C2", D(2024, 2, 1), 0],
                ["C3", D(2024, 2, 1), "(12.00)"],
            ]
        }
    )
    _, out = analysed(book)
    assert quality(out) == []
    got = rfm(out)
    assert got["C1"][3:5] == (1, 70)  # a refund lowers monetary, not frequency
    assert got["C2"][3:5] == (1, 0)
    assert "C3" not in got and "C3" in lifecycle_ids(out)  # only a refund: no RFM class


def test_future_dates_do_not_count_as_purchases(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 10],
                ["C1", D(2031, 1, 1), 999],
                ["C2", D(2031, 5, 5), 5],
            ]
        }
    )
    _, out = analysed(book)
    got = rfm(out)
    assert got["C1"][3:5] == (1, 10)
    assert "C2" not in got


def test_dates_before_1900_are_listed(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", "1899-12-31", 10],
                ["C2", "1850/1/1", 10],
                ["C3", "2240-01-01", 10],
                ["C4", D(2024, 1, 1), 10],
            ]
        }
    )
    _, out = analysed(book)
    out_of_range = reason("date_out_of_range")
    assert quality(out) == [
        ("Orders", 2, "Order Date", "1899-12-31", out_of_range),
        ("Orders", 3, "Order Date", "1850/1/1", out_of_range),
        ("Orders", 4, "Order Date", "2240-01-01", out_of_range),
    ]
    assert set(rfm(out)) == {"C4"}


def test_mixed_date_formats_in_one_column(make_workbook: Make) -> None:
    values: list[object] = [
        D(2024, 3, 5),
        "2024/3/5",
        "03/05/2024",
        45356,
        "2024年3月5日",
        "5 Mar 2024",
        20240305,
        "2024.3.5",
        "2024-03-05 14:30",
        "2024-02-30",
    ]
    rows = [ORDERS_HEAD, *([f"C{i}", v, 1] for i, v in enumerate(values))]
    book = make_workbook({"Orders": rows})
    result, out = analysed(book)
    assert quality(out) == [("Orders", 11, "Order Date", "2024-02-30", reason("bad_date"))]
    got = rfm(out)
    assert len(got) == 9 and {r[2] for r in got.values()} == {pd_days("2024-03-05")}
    assert "Left out 1 row;" in result.stdout


def pd_days(day: str) -> int:
    return (dt.date.fromisoformat(AS_OF) - dt.date.fromisoformat(day)).days


def test_excel_error_cells_are_listed(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Customers": [
                ["Customer ID", "Name", "Created"],
                ["C1", "#N/A", "#REF!"],
                ["C4", "Ok", None],
            ],
            "Orders": [
                ORDERS_HEAD,
                ["#N/A", D(2024, 1, 1), 5],
                ["C2", "#VALUE!", 6],
                ["C3", D(2024, 1, 3), "#DIV/0!"],
                ["C4", D(2024, 1, 3), 4],
            ],
        }
    )
    _, out = analysed(book)
    err = reason("excel_error")
    assert quality(out) == [
        ("Customers", 2, "Name", "#N/A", err),
        ("Customers", 2, "Created", "#REF!", err),
        ("Orders", 2, "Customer ID", "#N/A", err),
        ("Orders", 3, "Order Date", "#VALUE!", err),
        ("Orders", 4, "Amount", "#DIV/0!", err),
    ]
    assert set(rfm(out)) == {"C4"}


def test_formula_cells_are_read_by_their_cached_values(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                [*ORDERS_HEAD, "Qty", "Price"],
                ['="C"&"1"', "=DATE(2024,1,2)", "=D2*E2", 3, 2.5],
                ["C2", '=TEXT(45352,"yyyy-mm-dd")', "=SUM(D3:E3)", 1, 2],
                ["C3", D(2024, 3, 1), "=1/0", 1, 0],
            ]
        }
    )
    cache_formula_values(
        book,
        "xl/worksheets/sheet1.xml",
        {"A2": "C1", "B2": 45293, "C2": 7.5, "B3": "2024-03-02", "C3": 3, "C4": "#DIV/0!"},
    )
    _, out = analysed(book)
    got = rfm(out)
    assert got["C1"][3:5] == (1, 7.5) and got["C1"][2] == pd_days("2024-01-02")
    assert got["C2"][3:5] == (1, 3) and got["C2"][2] == pd_days("2024-03-02")
    assert quality(out) == [("Orders", 4, "Amount", "#DIV/0!", reason("excel_error"))]


def test_duplicate_customer_ids_with_different_names(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Customers": [
                ["Customer ID", "Name"],
                ["00123", "Acme"],
                [123, "Acme Ltd"],
                ["C2", "Bolt"],
                ["C2", "Bolt Inc"],
            ],
            "Orders": [ORDERS_HEAD, [123.0, D(2024, 1, 1), 5], ["C2", D(2024, 1, 1), 5]],
        }
    )
    _, out = analysed(book)
    assert quality(out) == [("Customers", 5, "Customer ID", "C2", reason("duplicate_id"))]
    got = rfm(out)
    assert got["C2"][0] == "Bolt"  # the first row wins
    assert got["123"][0] == "Acme Ltd"  # 123 and 123.0 are one id, 00123 another
    assert "00123" in lifecycle_ids(out)


def test_orders_for_unknown_customers_are_kept_and_listed_once(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Customers": [["Customer ID", "Name"], ["C1", "Acme"]],
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 5],
                ["X9", D(2024, 1, 2), 6],
                ["X9", D(2024, 2, 2), 7],
            ],
            "Activities": [["Customer ID", "Date"], ["Y1", D(2024, 1, 1)]],
        }
    )
    result, out = analysed(book)
    assert quality(out) == [
        ("Activities", 2, "Customer ID", "Y1", reason("unknown_contact")),
        ("Orders", 3, "Customer ID", "X9", reason("unknown_customer")),
    ]
    assert rfm(out)["X9"][3:5] == (2, 13)
    assert "Left out 0 rows" in result.stdout


def test_headers_only(make_workbook: Make) -> None:
    book = make_workbook({"Orders": [ORDERS_HEAD], "Customers": [["Customer ID", "Name"]]})
    result, out = analysed(book)
    assert rfm(out) == {} and quality(out) == []
    assert "Read 0 orders, 0 customers" in result.stdout


def test_one_customer(make_workbook: Make) -> None:
    book = make_workbook({"Orders": [ORDERS_HEAD, ["C1", D(2024, 6, 1), 50]]})
    _, out = analysed(book)
    assert list(rfm(out)) == ["C1"]


def test_all_customers_identical(make_workbook: Make) -> None:
    rows = [ORDERS_HEAD, *([f"C{i}", D(2024, 5, 1), 100] for i in range(6))]
    book = make_workbook({"Orders": rows})
    _, out = analysed(book)
    classes = {r[9] for r in sheet_rows(out, "RFM")}
    assert len(rfm(out)) == 6 and len(classes) == 1


def test_strict_names_the_first_bad_cell(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "Orders": [
                ORDERS_HEAD,
                ["C1", D(2024, 1, 1), 1],
                ["C2", "soon", 1],
                ["C3", D(2024, 1, 1), "x"],
            ]
        }
    )
    refused(
        book,
        "sheet 'Orders'",
        "row 3",
        "column 'Order Date'",
        "'soon'",
        "1 more",
        extra=["--strict"],
    )
    assert not book.with_name("book.xlcrm.xlsx").exists()


def test_every_kind_of_bad_cell_at_once_in_chinese(make_workbook: Make) -> None:
    book = make_workbook(
        {
            "订单": [
                ["客户编号", "下单日期", "金额"],
                ["K1", "2024年2月30日", 5],
                [None, D(2024, 1, 1), 5],
                ["K2", D(2024, 1, 1), "很多"],
                ["K3", D(2024, 1, 1), 5],
            ]
        }
    )
    result, out = analysed(book, "--lang", "zh", out=book.with_name("zh.xlsx"))
    info = t("for information", "zh")
    rows = [r[:5] for r in sheet_rows(out, "数据质量") if r[5] != info]
    assert rows == [
        ("订单", 3, "客户编号", None, reason("missing", "zh")),
        ("订单", 2, "下单日期", "2024年2月30日", reason("bad_date", "zh")),
        ("订单", 4, "金额", "很多", reason("bad_amount", "zh")),
    ] or sorted(rows, key=lambda r: r[1]) == sorted(
        [
            ("订单", 3, "客户编号", None, reason("missing", "zh")),
            ("订单", 2, "下单日期", "2024年2月30日", reason("bad_date", "zh")),
            ("订单", 4, "金额", "很多", reason("bad_amount", "zh")),
        ],
        key=lambda r: r[1],
    )
    assert "跳过 3 行" in result.stdout


# --- file formats -----------------------------------------------------------------------


def test_xlsm_with_macros_is_read_and_left_alone(make_workbook: Make, tmp_path: Path) -> None:
    plain = make_workbook({"Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 5]]})
    book = make_xlsm(plain, tmp_path / "macro.xlsm")
    _, out = analysed(book)
    assert list(rfm(out)) == ["C1"]
    with zipfile.ZipFile(out) as z:
        assert not any("vba" in n.lower() for n in z.namelist())


CSV_ROWS = (
    '客户编号,下单日期,金额\n张三,2024/3/5,"￥1,234.50"\n00123,2024-03-06,12\n李四,someday,3\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_orders_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    book = tmp_path / f"orders-{encoding}.csv"
    book.write_bytes(CSV_ROWS.encode(encoding))
    _, out = analysed(book)
    assert set(rfm(out)) == {"张三", "00123"}
    assert rfm(out)["张三"][4] == pytest.approx(1234.5)
    assert quality(out) == [(book.name, 4, "下单日期", "someday", reason("bad_date"))]


def test_csv_in_an_unknown_encoding(tmp_path: Path) -> None:
    book = tmp_path / "utf16.csv"
    book.write_bytes("Customer ID,Date,Amount\nC1,2024-01-01,1\n".encode("utf-16"))
    refused(book, "cannot decode the CSV file")


def test_csv_without_the_amount_column_hints_at_the_csv(tmp_path: Path) -> None:
    book = tmp_path / "orders.csv"
    book.write_text("Customer ID;Date\nC1;2024-01-01\n", "utf-8")
    line = refused(book, "'Amount'", "headers found: Customer ID, Date")
    assert "rename the header in the CSV file" in line and "map." not in line


def test_damaged_legacy_xls(tmp_path: Path) -> None:
    refused(legacy_xls(tmp_path / "old.xls"), "not an Excel workbook")
    refused(legacy_xls(tmp_path / "old.xlsx"), "not an Excel workbook")


@pytest.mark.parametrize(
    "content",
    [b"", b"just some notes\n", b"%PDF-1.7\n", b"PK\x03\x04 broken zip", b"<html><table>"],
    ids=["empty", "text", "pdf", "broken-zip", "html"],
)
def test_non_workbook_renamed_to_xlsx(tmp_path: Path, content: bytes) -> None:
    book = tmp_path / "renamed.xlsx"
    book.write_bytes(content)
    refused(book, "not an Excel workbook")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    book = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("readme.txt", "hello")
    refused(book, "not an Excel workbook")


def test_password_protected_workbook(tmp_path: Path) -> None:
    book = encrypted_xlsx(tmp_path / "locked.xlsx")
    line = refused(book, "password-protected", "remove the password")
    assert "or not an" not in line  # it can tell


def test_unknown_ole2_file_named_xlsx_cannot_be_read(tmp_path: Path) -> None:
    from oddbooks import ole2_file

    book = tmp_path / "word.xlsx"
    book.write_bytes(ole2_file(["WordDocument"]))
    refused(book, "password-protected or not an .xlsx file")


def test_unsupported_suffix(tmp_path: Path) -> None:
    book = tmp_path / "book.ods"
    book.write_bytes(b"PK\x03\x04")
    refused(book, "unsupported file type '.ods'")


def test_report_and_email_share_the_messages(tmp_path: Path, make_workbook: Make) -> None:
    locked = encrypted_xlsx(tmp_path / "locked.xlsx")
    refused(locked, "password-protected", command=("report",))
    refused(locked, "password-protected", command=("email",), extra=["--dry-run"])
    book = make_workbook({"Orders": [["Customer ID", "Date"], ["C1", D(2024, 1, 1)]]})
    refused(book, "column 'Amount'", command=("report",), extra=["-o", tmp_path / "b.pdf"])
    refused(book, "column 'Amount'", command=("email",), extra=["--dry-run", "--to", "a@b.cn"])


@pytest.mark.slow
def test_report_and_email_on_awkward_but_readable_books(
    make_workbook: Make, tmp_path: Path
) -> None:
    books = {
        "headers": {"Orders": [ORDERS_HEAD]},
        "refunds": {"Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), -5]]},
        "bad": {"Orders": [ORDERS_HEAD, ["C1", "x", 5], ["C2", D(2024, 1, 1), "y"]]},
        "one": {"Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 5]]},
    }
    for name, sheets in books.items():
        book = make_workbook(sheets, name=f"{name}.xlsx")
        before = sha256(book)
        pdf = tmp_path / f"{name}.pdf"
        result = invoke("report", book, "-o", pdf, "--as-of", AS_OF)
        assert result.exit_code == 0, (name, result.stderr)
        assert pdf.read_bytes().startswith(b"%PDF")
        result = invoke("email", book, "--dry-run", "--to", "boss@example.com", "--as-of", AS_OF)
        assert result.exit_code == 0, (name, result.stderr)
        assert sha256(book) == before


# --- messages in the user's language ----------------------------------------------------


def test_common_errors_in_chinese(make_workbook: Make, tmp_path: Path) -> None:
    no_sheet = make_workbook({"Notes": [["x"]]}, name="a.xlsx")
    line = refused(no_sheet, "缺少订单工作表", lang="zh")
    assert "请修改工作表名称" in line
    no_column = make_workbook(
        {"Orders": [["客户编号", "日期"], ["K1", D(2024, 1, 1)]]}, name="b.xlsx"
    )
    line = refused(
        no_column, "工作表“Orders”", "缺少 'Amount' 列", "现有表头：客户编号, 日期", lang="zh"
    )
    assert "sheet" not in line and "column" not in line
    refused(legacy_xls(tmp_path / "c.xls"), "不是 Excel 工作簿", lang="zh")
    refused(encrypted_xlsx(tmp_path / "d.xlsx"), "工作簿有密码保护", lang="zh")
    junk = tmp_path / "e.xlsx"
    junk.write_bytes(b"junk")
    refused(junk, "不是 Excel 工作簿", lang="zh")
    good = make_workbook({"Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 5]]}, name="f.xlsx")
    target = no_sheet / "out.xlsx"  # a file is not a folder
    refused(good, "无法写入文件夹", extra=["-o", target], lang="zh", names=target)


def test_control_characters_in_headers_stay_out_of_the_message(tmp_path: Path) -> None:
    book = tmp_path / "nul.csv"
    book.write_bytes(b"Cust\x00omer,Da\x1bte\n1,2\n")
    line = refused(book, "headers found")
    assert "\x00" not in line and "\x1b" not in line


# --- where the output goes ---------------------------------------------------------------


@pytest.fixture
def good_book(make_workbook: Make) -> Path:
    return make_workbook({"Orders": [ORDERS_HEAD, ["C1", D(2024, 1, 1), 5]]}, name="good.xlsx")


def test_output_whose_folder_is_a_file(good_book: Path, tmp_path: Path) -> None:
    target = good_book / "out.xlsx"
    line = refused(good_book, "cannot write in folder", extra=["-o", target], names=target)
    assert "Not a directory" in line


def test_output_in_a_missing_folder(good_book: Path, tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.xlsx"
    refused(good_book, "cannot write in folder", extra=["-o", target], names=target)


def test_output_name_is_an_existing_folder(good_book: Path, tmp_path: Path) -> None:
    target = tmp_path / "result.xlsx"
    target.mkdir()
    refused(good_book, "is a folder", extra=["-o", target], names=target)
    report_target = tmp_path / "brief.pdf"
    report_target.mkdir()
    refused(
        good_book,
        "is a folder",
        command=("report",),
        extra=["-o", report_target],
        names=report_target,
    )


def test_default_output_name_taken_by_a_folder(good_book: Path) -> None:
    target = good_book.with_name("good.xlcrm.xlsx")
    target.mkdir()
    refused(good_book, "is a folder", names=target)


def _immutable(path: Path) -> bool:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


@pytest.fixture
def read_only_folder(tmp_path: Path, good_book: Path) -> Any:
    """A folder nobody can write in: chmod for ordinary users, chattr +i for root."""
    folder = tmp_path / "ro"
    folder.mkdir()
    book = folder / "book.xlsx"
    shutil.copy(good_book, book)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or not _immutable(folder):
            pytest.skip("root without chattr +i: no way to make a read-only folder")
        yield book
        _mutable(folder)
    else:
        folder.chmod(0o555)
        yield book
        folder.chmod(0o755)


def test_read_only_output_folder(read_only_folder: Path) -> None:
    book = read_only_folder
    refused(book, "cannot write in folder", names=book.with_name("book.xlcrm.xlsx"))
    refused(book, "cannot write in folder", extra=["--in-place"])
    refused(book, "无法写入文件夹", extra=["--in-place"], lang="zh")
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


def test_output_file_that_cannot_be_replaced(good_book: Path) -> None:
    target = good_book.with_name("taken.xlsx")
    target.write_bytes(b"an older result")
    if os.geteuid() != 0 or not _immutable(target):
        pytest.skip("needs root and chattr +i")
    try:
        refused(good_book, "cannot replace the file", extra=["-o", target], names=target)
        assert target.read_bytes() == b"an older result"
        assert not list(good_book.parent.glob(".~xlcrm-*"))
    finally:
        _mutable(target)


def test_book_open_in_excel_warns_and_in_place_refuses(good_book: Path) -> None:
    lock = good_book.with_name("~$good.xlsx")
    lock.write_bytes(b"\x05user")
    before = sha256(good_book)
    result = invoke("analyze", good_book, "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "good.xlsx is open in Excel" in result.stderr
    assert good_book.with_name("good.xlcrm.xlsx").is_file()
    line = refused(good_book, "open in Excel", "close it in Excel", extra=["--in-place"])
    assert "Traceback" not in line
    assert sha256(good_book) == before
    result = invoke("report", good_book, "--as-of", AS_OF, "-o", good_book.with_name("b.pdf"))
    assert result.exit_code == 0 and "open in Excel" in result.stderr


def test_output_open_in_excel_is_refused(good_book: Path) -> None:
    target = good_book.with_name("result.xlsx")
    target.write_bytes(b"old")
    target.with_name("~$result.xlsx").write_bytes(b"x")
    refused(good_book, "open in Excel", extra=["-o", target], names=target)
    assert target.read_bytes() == b"old"


# --- through a real process --------------------------------------------------------------


def test_bad_inputs_through_the_installed_command(tmp_path: Path, make_workbook: Make) -> None:
    exe = Path(sys.executable).with_name("xlcrm")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "xlcrm"]
    cases = [
        (encrypted_xlsx(tmp_path / "locked.xlsx"), "password-protected"),
        (make_workbook({"Orders": [["Customer ID", "Date"], ["C1", D(2024, 1, 1)]]}), "'Amount'"),
    ]
    for book, words in cases:
        before = sha256(book)
        done = subprocess.run(
            [*command, "analyze", str(book)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and str(book) in lines[0]
        assert sha256(book) == before


# --- a sheet full to Excel's limit --------------------------------------------------------


@pytest.mark.slow
def test_full_million_row_orders_sheet_is_read_to_the_last_row(tmp_path: Path) -> None:
    book = tmp_path / "full.xlsx"
    n = full_orders_sheet(book)
    before = sha256(book)
    start = time.monotonic()
    out = tmp_path / "full.out.xlsx"
    result = invoke("analyze", book, "-o", out, "--as-of", "2025-01-01")  # after every order
    assert result.exit_code == 0, result.stderr
    assert f"Read {n:,} orders" in result.stdout
    assert "No rows left out." in result.stdout
    got = rfm(out)
    assert got["LAST"][3:5] == (1, 12345)  # row 1,048,576 is there
    assert sum(r[3] for r in got.values()) == n
    assert sha256(book) == before
    assert time.monotonic() - start < 120
