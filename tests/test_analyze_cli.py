"""`xlcrm analyze`: options, precedence, where the file goes, safety of the input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
from click.testing import CliRunner
from openpyxl.chart import BarChart, Reference

from xlcrm.cli import cli


def make_book(
    path: Path, *, settings: dict[str, object] | None = None, bad_amount: bool = False
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Customer ID", "Name", "Owner", "Grade", "Last contact"])
    ws.append(["00123", '=HYPERLINK("http://x","y")', "Alice", "B", dt.datetime(2025, 6, 1)])
    ws.append(["C2", "Beta Ltd", "Bob", None, dt.datetime(2025, 6, 25)])
    ws.append(["C3", "Gamma", "Alice", "A", None])
    ws.append(["P1", "Prospect", "Bob", "C", None])
    # the cell above holds the text '=HYPERLINK(...)', not a formula
    ws["B2"].data_type = "s"
    ws = wb.create_sheet("Orders")
    ws.append(["Order ID", "Customer ID", "Order Date", "Amount"])
    rows = [
        ("O1", "00123", dt.datetime(2025, 1, 5), 120.0),
        ("O2", "00123", dt.datetime(2025, 5, 5), 80.0),
        ("O3", "C2", dt.datetime(2024, 3, 1), 40.0),
        ("O4", "C3", dt.datetime(2025, 6, 20), 900.0),
        ("O5", "C3", dt.datetime(2025, 2, 20), 100.0),
        ("O6", "C9", dt.datetime(2025, 4, 1), 10.0),
    ]
    for row in rows:
        ws.append(list(row))
    if bad_amount:
        ws.append(["O7", "C2", dt.datetime(2025, 4, 1), "lots"])
    ws = wb.create_sheet("Activities")
    ws.append(["Customer ID", "Date", "Kind"])
    ws.append(["C2", dt.datetime(2025, 6, 28), "call"])
    ws = wb.create_sheet("Settings")
    ws.append(["Setting", "Value"])
    for key, value in (settings or {"as_of": "2025-06-30"}).items():
        ws.append([key, value])
    wb.save(path)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["analyze", *args])
    return result.exit_code, result.output


def test_writes_a_new_workbook_beside_the_input_and_leaves_the_input_alone(
    tmp_path: Path,
) -> None:
    book = make_book(tmp_path / "shop.xlsx")
    before = book.read_bytes()
    code, out = run(str(book))
    assert code == 0, out
    assert book.read_bytes() == before
    target = tmp_path / "shop.xlcrm.xlsx"
    wb = openpyxl.load_workbook(target)
    assert {"RFM", "Lifecycle", "Follow-ups", "Dashboard", "Data quality", "Settings"} <= set(
        wb.sheetnames
    )
    assert "shop.xlcrm.xlsx" in out
    assert "Read 6 orders, 4 customers, 1 activity from" in out  # plural by the catalogue
    assert "Important value" in out and "Potential" in out
    # Settings sheet as_of (2025-06-30) reaches the formulas' date cell
    assert wb["Settings"]["B1"].value == dt.datetime(2025, 6, 30)
    # an order for a customer missing from Customers is kept and reported
    ids = {r[0] for r in wb["Lifecycle"].iter_rows(min_row=2, values_only=True)}
    assert "C9" in ids and "00123" in ids


def test_options_win_over_the_settings_sheet(tmp_path: Path) -> None:
    book = make_book(
        tmp_path / "shop.xlsx",
        settings={"as_of": "2025-06-30", "language": "zh", "threshold_method": "mean"},
    )
    out_file = tmp_path / "out.xlsx"
    code, out = run(str(book), "-o", str(out_file), "--as-of", "2025-07-31")
    assert code == 0, out
    wb = openpyxl.load_workbook(out_file)
    assert "RFM分析" in wb.sheetnames  # language from the Settings sheet
    assert wb["设置"]["B1"].value == dt.datetime(2025, 7, 31)  # --as-of wins
    code, out = run(str(book), "-o", str(out_file), "--lang", "en", "--threshold", "median")
    assert code == 0, out
    wb = openpyxl.load_workbook(out_file)
    assert "RFM" in wb.sheetnames and "RFM分析" not in wb.sheetnames
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(values_only=True) if r[0]}
    assert settings["Threshold method"] == "median"


def test_chinese_output_uses_chinese_labels(tmp_path: Path) -> None:
    book = make_book(tmp_path / "shop.xlsx")
    code, out = run(str(book), "--lang", "zh")
    assert code == 0, out
    frame = pd.read_excel(tmp_path / "shop.xlcrm.xlsx", sheet_name="RFM分析", engine="calamine")
    assert "RFM 类别" in frame.columns
    assert set(frame["RFM 类别"]) <= {
        "重要价值客户",
        "重要保持客户",
        "重要发展客户",
        "重要挽留客户",
        "一般价值客户",
        "一般保持客户",
        "一般发展客户",
        "一般挽留客户",
    }
    assert "已写入" in out


def test_unreadable_rows_are_listed_or_fail_with_strict(tmp_path: Path) -> None:
    book = make_book(tmp_path / "shop.xlsx", bad_amount=True)
    code, out = run(str(book), "--strict")
    assert code == 2
    assert not (tmp_path / "shop.xlcrm.xlsx").exists()
    code, out = run(str(book))
    assert code == 0, out
    assert "Left out 1 row;" in out
    frame = pd.read_excel(
        tmp_path / "shop.xlcrm.xlsx", sheet_name="Data quality", engine="calamine"
    )
    row = frame[frame["Value"] == "lots"].iloc[0]
    assert (row["Sheet"], row["Row"], row["Column"]) == ("Orders", 8, "Amount")


def test_in_place_adds_sheets_and_rerun_replaces_only_them(tmp_path: Path) -> None:
    book = make_book(tmp_path / "shop.xlsx")
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("Notes")["A1"] = "keep me"
    wb.save(book)
    for lang in ("en", "zh"):
        code, out = run(str(book), "--in-place", "--lang", lang)
        assert code == 0, out
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:5] == ["Customers", "Orders", "Activities", "Settings", "Notes"]
    assert "RFM分析" in wb.sheetnames and "RFM" not in wb.sheetnames
    assert wb["Notes"]["A1"].value == "keep me"
    assert not (tmp_path / "shop.xlcrm.xlsx").exists()
    # the workbook is still readable as input: our settings sheet does not shadow the user's
    code, out = run(str(book), "-o", str(tmp_path / "again.xlsx"))
    assert code == 0, out


def test_in_place_refuses_a_workbook_with_a_chart_byte_identical(tmp_path: Path) -> None:
    book = make_book(tmp_path / "shop.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["Orders"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=7))
    ws.add_chart(chart, "G2")
    wb.save(book)
    before = book.read_bytes()
    code, out = run(str(book), "--in-place")
    assert code == 2
    assert "charts" in out and "--in-place" in out
    assert book.read_bytes() == before


def test_usage_errors_exit_2_without_writing(tmp_path: Path) -> None:
    book = make_book(tmp_path / "shop.xlsx")
    before = book.read_bytes()
    code, out = run(str(book), "--in-place", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2
    code, out = run(str(book), "-o", str(book))
    assert code == 2 and "--in-place" in out
    assert book.read_bytes() == before
    code, out = run(str(tmp_path / "missing.xlsx"))
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.xlsx"]
