"""Never lose the user's work: input files stay byte-identical, --in-place keeps
everything else, refusals leave the file alone, a killed write leaves the
original intact, and user text that looks like a formula stays text everywhere.
"""

from __future__ import annotations

import datetime as dt
import email
import html
import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from email import policy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from oddbooks import cache_formula_values, make_xlsm, rewrite_part, sha256
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from xlcrm.cli import cli

Make = Callable[..., Path]
D = dt.date
AS_OF = "2024-06-30"


def invoke(*args: object) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code in (0, 2), result.stderr
    return result


def fill_book(wb: openpyxl.Workbook) -> None:
    """Customers, Orders, Settings and a Notes sheet with formulas, styles,
    a defined name and a data validation."""
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Customer ID", "Name", "Owner", "Grade"])
    ws.append(["C1", "Acme", "Ann", "A"])
    ws.append(["C2", "Bolt", "Bob", "B"])
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    ws.column_dimensions["B"].width = 31
    grade = DataValidation(type="list", formula1='"A,B,C,D,E"', allow_blank=True)
    ws.add_data_validation(grade)
    grade.add("D2:D50")
    orders = wb.create_sheet("Orders")
    orders.append(["Customer ID", "Order Date", "Amount", "Qty", "Price"])
    orders.append(["C1", dt.datetime(2024, 1, 5), "=D2*E2", 2, 50])
    orders.append(["C2", dt.datetime(2024, 3, 1), 80, None, None])
    orders.append(["C1", dt.datetime(2024, 5, 1), 20, None, None])
    orders["C3"].number_format = "#,##0.00"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Total"
    notes["B1"] = "=SUM(Orders!C2:C4)"
    notes["A2"] = "Dated"
    notes["B2"] = dt.date(2024, 1, 1)
    notes["B2"].number_format = "dd/mm/yyyy"
    notes.merge_cells("A4:C4")
    notes["A4"] = "merged note"
    wb.defined_names["total_sales"] = DefinedName("total_sales", attr_text="Notes!$B$1")
    settings = wb.create_sheet("Settings")
    settings.append(["Setting", "Value"])
    settings.append(["as_of", AS_OF])


def safe_book(path: Path) -> Path:
    """A workbook --in-place may touch, whose formula cells carry cached values."""
    wb = openpyxl.Workbook()
    fill_book(wb)
    wb.save(path)
    cache_formula_values(path, "xl/worksheets/sheet2.xml", {"C2": 100})
    cache_formula_values(path, "xl/worksheets/sheet3.xml", {"B1": 200})
    return path


def _png() -> io.BytesIO:
    from PIL import Image as Pil

    data = io.BytesIO()
    Pil.new("RGB", (4, 4), "red").save(data, "PNG")
    data.seek(0)
    return data


PIVOT_PARTS = {
    "xl/pivotCache/pivotCacheDefinition1.xml": (
        '<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' recordCount="0"><cacheSource type="worksheet"><worksheetSource ref="A1:C4"'
        ' sheet="Orders"/></cacheSource><cacheFields count="0"/></pivotCacheDefinition>'
    ),
    "xl/pivotTables/pivotTable1.xml": (
        '<pivotTableDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' name="Pivot1" cacheId="1" dataCaption="Values"><location ref="A1:B2"'
        ' firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/></pivotTableDefinition>'
    ),
}


def rich_book(folder: Path) -> Path:
    """A .xlsm with a chart, an image, a pivot table, defined names and VBA."""
    wb = openpyxl.Workbook()
    fill_book(wb)
    report = wb.create_sheet("Report")
    for row in [["Owner", "Sales"], ["Ann", 120], ["Bob", 80]]:
        report.append(row)
    chart = BarChart()
    chart.add_data(Reference(report, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    report.add_chart(chart, "D2")
    report.add_image(Image(_png()), "D20")
    plain = folder / "rich-plain.xlsx"
    wb.save(plain)
    book = make_xlsm(plain, folder / "rich.xlsm")
    with zipfile.ZipFile(book, "a") as z:
        for name, xml in PIVOT_PARTS.items():
            z.writestr(name, xml)
    cache_formula_values(book, "xl/worksheets/sheet2.xml", {"C2": 100})
    plain.unlink()
    return book


# --- every command leaves a workbook byte-identical ---------------------------------------


def test_every_command_leaves_a_rich_workbook_byte_identical(tmp_path: Path) -> None:
    book = rich_book(tmp_path)
    before = sha256(book)
    runs = [
        ("analyze", book, "--as-of", AS_OF),
        ("analyze", book, "-o", tmp_path / "out.xlsx", "--lang", "zh", "--strict"),
        ("report", book, "-o", tmp_path / "brief.pdf"),
        ("report", book, "--html", "-o", tmp_path / "brief.html"),
        ("email", book, "--dry-run", "--to", "boss@example.com"),
        ("email", book, "--eml-dir", tmp_path / "drafts", "--to", "boss@example.com"),
    ]
    for args in runs:
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert sha256(book) == before, args
    refused = invoke("analyze", book, "--in-place")
    assert refused.exit_code == 2
    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1
    for what in ("charts", "images", "pivot tables"):
        assert what in line
    assert "left unchanged" in line
    assert sha256(book) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~")) == []


@pytest.mark.parametrize(
    ("part", "what"),
    [
        ("xl/slicers/slicer1.xml", "切片器"),
        ("xl/ctrlProps/ctrlProp1.xml", "表单控件"),
        ("xl/vbaProject.bin", "宏"),
    ],
)
def test_in_place_refusals_leave_the_file_byte_identical(
    tmp_path: Path, part: str, what: str
) -> None:
    book = safe_book(tmp_path / "book.xlsx")
    with zipfile.ZipFile(book, "a") as z:
        z.writestr(part, "<x/>")
    before = sha256(book)
    result = invoke("analyze", book, "--in-place", "--lang", "zh")
    assert result.exit_code == 2 and what in result.stderr and "文件未被改动" in result.stderr
    assert sha256(book) == before


def test_in_place_refuses_csv_and_lock_file(tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text("Customer ID,Date,Amount\nC1,2024-01-01,1\n", "utf-8")
    result = invoke("analyze", csv, "--in-place")
    assert result.exit_code == 2 and ".xlsx and .xlsm" in result.stderr
    assert csv.read_text("utf-8").startswith("Customer ID")
    book = safe_book(tmp_path / "book.xlsx")
    (tmp_path / "~$book.xlsx").write_bytes(b"x")
    before = sha256(book)
    result = invoke("analyze", book, "--in-place")
    assert result.exit_code == 2 and "open in Excel" in result.stderr
    assert sha256(book) == before


# --- --in-place keeps the rest of the workbook ---------------------------------------------


def snapshot(path: Path, sheets: list[str]) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {
        "names": {n: d.attr_text for n, d in wb.defined_names.items() if not n.startswith("xlcrm_")}
    }
    for name in sheets:
        ws = wb[name]
        out[name] = {
            "cells": {
                c.coordinate: (
                    c.value,
                    c.number_format,
                    c.font.b,
                    c.font.color and c.font.color.rgb,
                    c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None,
                )
                for row in ws.iter_rows()
                for c in row
                if c.value is not None or c.has_style
            },
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validation": sorted(
                (dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation
            ),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
    return out


def cached_values(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {"amount": wb["Orders"]["C2"].value, "total": wb["Notes"]["B1"].value}


def test_in_place_keeps_every_other_sheet(tmp_path: Path) -> None:
    book = safe_book(tmp_path / "book.xlsx")
    user_sheets = ["Customers", "Orders", "Notes", "Settings"]
    before = snapshot(book, user_sheets)
    assert before["Customers"]["widths"]["B"] == 31
    assert before["Customers"]["validation"] == [("list", '"A,B,C,D,E"', "D2:D50")]
    assert before["Notes"]["cells"]["B1"][0] == "=SUM(Orders!C2:C4)"
    assert cached_values(book) == {"amount": 100, "total": 200}
    for _ in range(2):  # and again: only xlcrm's sheets are replaced
        result = invoke("analyze", book, "--in-place")
        assert result.exit_code == 0, result.stderr
        assert snapshot(book, user_sheets) == before
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[: len(user_sheets)] == user_sheets
    assert {"RFM", "Lifecycle", "Follow-ups", "Dashboard", "Data quality"} <= set(wb.sheetnames)
    assert wb.sheetnames.count("RFM") == 1
    # what the formulas last computed is still there for readers that do not recalculate
    assert cached_values(book) == {"amount": 100, "total": 200}
    assert not list(tmp_path.glob(".~xlcrm-*"))


def test_in_place_keeps_the_formula_results_xlcrm_reads_next_time(tmp_path: Path) -> None:
    book = safe_book(tmp_path / "book.xlsx")
    first = invoke("analyze", book, "--in-place")
    second = invoke("analyze", book, "--in-place")
    assert first.exit_code == second.exit_code == 0
    assert "No rows left out." in second.stdout
    assert "Read 3 orders" in second.stdout


def test_in_place_keeps_vba_in_an_xlsm(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    fill_book(wb)
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    cache_formula_values(plain, "xl/worksheets/sheet2.xml", {"C2": 100})  # as Excel saves it
    book = make_xlsm(plain, tmp_path / "macro.xlsm")
    with zipfile.ZipFile(book) as z:
        vba = z.read("xl/vbaProject.bin")
    result = invoke("analyze", book, "--in-place")
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/vbaProject.bin") == vba
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()


# --- an interrupted write ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from xlcrm.xlsx.sample import generate_sample, write_sample

    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    write_sample(generate_sample(customers=4000, seed=1), path)
    return path


def _kill_mid_write(args: list[str], folder: Path, timeout: float = 120) -> bool:
    """Run xlcrm in a subprocess, SIGKILL it once its temporary file appears.

    Returns True when it was killed mid-write, False when it finished first.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlcrm", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if any(p.name.startswith(".~xlcrm-") for p in folder.iterdir()):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.002)
        raise AssertionError("xlcrm neither wrote nor finished in time")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_killing_an_in_place_write_leaves_the_original_intact(
    big_book: Path, tmp_path: Path
) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(big_book.read_bytes())
    before = sha256(book)
    killed = _kill_mid_write(["analyze", str(book), "--in-place", "--as-of", AS_OF], tmp_path)
    assert killed, "the write finished before it could be interrupted"
    assert sha256(book) == before
    leftovers = [p for p in tmp_path.iterdir() if p.name != book.name]
    assert all(p.name.startswith(".~xlcrm-") for p in leftovers)  # the half file, not the book
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None


@pytest.mark.slow
def test_killing_a_write_over_an_older_result_keeps_the_older_result(
    big_book: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.xlsx"
    out.write_bytes(b"the previous result")
    killed = _kill_mid_write(["analyze", str(big_book), "-o", str(out), "--as-of", AS_OF], tmp_path)
    assert killed
    assert out.read_bytes() == b"the previous result"


# --- formula injection --------------------------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


@pytest.fixture
def injected_book(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Customer ID", "Name", "Owner", "Grade"])
    for i, text in enumerate(INJECTIONS):
        ws.append([f"C{i}", text, INJECTIONS[(i + 1) % len(INJECTIONS)], "A"])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # text, as a user typing '=... with a quote would get
    orders = wb.create_sheet("Orders")
    orders.append(["Customer ID", "Order Date", "Amount"])
    for i in range(len(INJECTIONS)):
        orders.append([f"C{i}", dt.datetime(2024, 1 + i, 3), 10 * (i + 1)])
        orders.append([f"C{i}", dt.datetime(2024, 5, 1), 10])
    orders.append(["C0", dt.datetime(2024, 5, 2), "=1+1 bad"])
    orders["C10"].data_type = "s"
    settings = wb.create_sheet("Settings")
    settings.append(["Setting", "Value"])
    settings.append(["as_of", AS_OF])
    settings.append(["company", "=EVIL()"])
    settings["B3"].data_type = "s"
    book = tmp_path / "inject.xlsx"
    wb.save(book)
    with zipfile.ZipFile(book) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    return book


def test_formula_like_text_stays_text_in_result_sheets(injected_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert invoke("analyze", injected_book, "-o", out).exit_code == 0
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(z.read(n).decode() for n in sheets)
        shared = (
            z.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in z.namelist()
            else ""
        )
    for text in [*INJECTIONS, "=1+1 bad", "=EVIL()"]:
        escaped = html.escape(text, quote=False).replace('"', "&quot;")
        cells = re.findall(r"<c [^>]*>(?:(?!</c>).)*?</c>", xml)
        holding = [c for c in cells if html.escape(text, quote=False) in c or escaped in c]
        in_shared = html.escape(text, quote=False) in shared
        assert holding or in_shared, text
        for cell in holding:
            assert "<f>" not in cell, cell
            assert 't="inlineStr"' in cell or 't="s"' in cell or 't="str"' not in cell, cell
    wb = openpyxl.load_workbook(out)
    names = {row[1] for row in wb["RFM"].iter_rows(min_row=2, values_only=True)}
    assert names == set(INJECTIONS)
    assert all(c.data_type == "s" for c in wb["RFM"]["B"][1:])


@pytest.mark.slow
def test_formula_like_text_stays_text_in_the_pdf(injected_book: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "brief.pdf"
    assert invoke("report", injected_book, "-o", pdf).exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = " ".join(text.split())
    for name in INJECTIONS:
        assert " ".join(name.split()) in flat, name
    annotations = [a for page in PdfReader(pdf).pages for a in (page.get("/Annots") or [])]
    assert not any("http://x" in str(a.get_object()) for a in annotations)


def test_formula_like_text_stays_text_in_email_bodies(injected_book: Path, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    result = invoke("email", injected_book, "--eml-dir", drafts, "--to", "boss@example.com")
    assert result.exit_code == 0, result.stderr
    files = sorted(drafts.glob("*.eml"))
    assert files
    seen_plain, seen_html = set(), set()
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for part in message.walk():
            kind = part.get_content_type()
            if kind == "text/plain":
                body = part.get_content()
                seen_plain.update(n for n in INJECTIONS if n in body)
            elif kind == "text/html":
                body = part.get_content()
                assert 'href="http://x"' not in body
                shown = html.unescape(re.sub(r"<[^>]+>", "", body))
                seen_html.update(n for n in INJECTIONS if n in shown)
    assert seen_plain == seen_html == set(INJECTIONS)


def test_rewrite_part_helper_keeps_other_parts(tmp_path: Path) -> None:
    book = safe_book(tmp_path / "b.xlsx")
    with zipfile.ZipFile(book) as z:
        before = {n: z.read(n) for n in z.namelist()}
    rewrite_part(book, "xl/worksheets/sheet4.xml", lambda data: data)
    with zipfile.ZipFile(book) as z:
        assert {n: z.read(n) for n in z.namelist()} == before


if os.name != "posix":  # pragma: no cover
    pytestmark = pytest.mark.skip("SIGKILL and chattr tests need POSIX")
