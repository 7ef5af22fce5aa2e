"""The writer: result tables, live follow-up formulas with cached values, safety."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart

from xlcrm.core import schema
from xlcrm.core.errors import OutputError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.xlsx.writer import (
    build_result_sheets,
    check_in_place,
    default_output,
    unsafe_parts,
    write_results,
)

AS_OF = pd.Timestamp("2025-06-30")


@dataclass(frozen=True)
class FakePareto:
    customers: int = 5
    purchasing: int = 4
    revenue: float = 1000.0
    top_share: float = 0.6
    customers_for_80: int = 2
    curve: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"customer_share": [0.0, 0.25, 0.5, 1.0], "revenue_share": [0.0, 0.6, 0.8, 1.0]}
        )
    )


@dataclass(frozen=True)
class FakeAnalysis:
    """Shaped like xlcrm.core.analysis.Analysis (docs/architecture.md)."""

    customers: pd.DataFrame
    as_of: pd.Timestamp = AS_OF
    settings: Settings = DEFAULT_SETTINGS
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"recency_days": 60.0, "frequency": 2.0, "monetary": 250.0}
    )
    pareto: Any = field(default_factory=FakePareto)


def fake_customers() -> pd.DataFrame:
    """Five customers whose follow-up fields agree with the cadence rule."""
    ids = ["00123", "C2", "C3", "C4", "P1"]
    last_contact = pd.to_datetime(["2025-06-01", "2025-06-25", None, "2025-01-10", None])
    grade = ["B", "A", "C", "D", "E"]
    cadence = [DEFAULT_SETTINGS.cadence[g] for g in grade]
    next_followup = [
        AS_OF if pd.isna(lc) else lc + pd.Timedelta(days=cd)
        for lc, cd in zip(last_contact, cadence, strict=True)
    ]
    until = [(nf - AS_OF).days for nf in next_followup]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1", "张三"],
            "owner": ["Bob", "Alice", "Alice", None, "Bob"],
            "created": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", None, None]),
            "first_purchase": pd.to_datetime(
                ["2024-01-05", "2024-02-05", "2024-03-05", None, None]
            ),
            "last_purchase": pd.to_datetime(["2025-06-20", "2025-05-01", "2024-03-05", None, None]),
            "recency_days": [10.0, 60.0, 482.0, float("nan"), float("nan")],
            "frequency": [12, 3, 1, 0, 0],
            "monetary": [600.0, 250.0, 150.0, float("nan"), float("nan")],
            "r_score": pd.array([5, 3, 1, None, None], dtype="Int64"),
            "f_score": pd.array([5, 3, 1, None, None], dtype="Int64"),
            "m_score": pd.array([5, 3, 2, None, None], dtype="Int64"),
            "rfm_class": ["important_value", "general_retain", "general_winback", None, None],
            "segment": ["champions", "need_attention", "lost", None, None],
            "tier": ["mature", "repeat", "lost", "potential", "potential"],
            "churn_warning": [False, True, False, False, False],
            "churn_reason": [None, "gap", None, None, None],
            "median_gap_days": [30.0, 45.0, float("nan"), float("nan"), float("nan")],
            "recent_events": [5, 1, 0, 0, 0],
            "prior_events": [4, 3, 0, 0, 0],
            "grade": grade,
            "grade_source": ["given", "derived", "derived", "given", "given"],
            "cadence_days": cadence,
            "last_contact": last_contact,
            "next_followup": pd.to_datetime(next_followup),
            "days_until_due": until,
            "overdue_days": [max(0, -u) for u in until],
            "urgency": ["urgent", "urgent", "urgent", "urgent", "soon"],
            "abc_class": ["A", "B", "C", None, None],
            "revenue_share": [0.6, 0.25, 0.15, 0.0, 0.0],
            "needs_followup": [True, True, True, True, True],
            "action_key": [
                "mature_important",
                "churn_general",
                "lost_general",
                "potential",
                "potential",
            ],
        }
    )


def fake_analysis() -> FakeAnalysis:
    return FakeAnalysis(fake_customers())


QUALITY = pd.DataFrame(
    {
        "sheet": ["Orders", "Orders"],
        "row": [7, 9],
        "column": ["Amount", "Order Date"],
        "value": ["=1+1", "tomorrow"],
        "reason": ["bad_amount", "bad_date"],
        "left_out": [True, True],
    }
)


def headers(ws: Any) -> list[Any]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def rows_as_dicts(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def written(tmp_path: Path) -> Path:
    return write_results(fake_analysis(), QUALITY, tmp_path / "out.xlsx", lang="en")


def test_english_rfm_sheet_has_named_headers_and_exact_class_labels(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    ws = wb["RFM"]
    hdr = headers(ws)
    for word in ("Customer ID", "Recency", "Frequency", "Monetary", "R score", "F score"):
        assert word in hdr
    for word in ("M score", "RFM class", "Segment"):
        assert word in hdr
    rows = rows_as_dicts(ws)
    assert [r["RFM class"] for r in rows] == [
        "Important value",
        "General retain",
        "General win-back",
    ]
    assert rows[0]["Customer ID"] == "00123"
    assert rows[0]["Monetary"] == 600.0
    assert rows[0]["R score"] == 5


def test_every_result_sheet_is_a_table_with_frozen_header(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    expected = {
        "RFM": "xlcrm_rfm",
        "Lifecycle": "xlcrm_lifecycle",
        "Follow-ups": "xlcrm_followups",
        "Data quality": "xlcrm_quality",
    }
    for sheet, table in expected.items():
        ws = wb[sheet]
        assert table in ws.tables
        assert ws.tables[table].ref == ws.dimensions
        assert ws.freeze_panes is not None
        assert ws.tables[table].autoFilter is not None
    assert "xlcrm_cadence" in wb["Settings"].tables
    assert wb.sheetnames[0] == "Dashboard"


def test_chinese_sheets_headers_and_labels(tmp_path: Path) -> None:
    out = write_results(fake_analysis(), QUALITY, tmp_path / "zh.xlsx", lang="zh")
    wb = openpyxl.load_workbook(out)
    assert {"RFM分析", "生命周期", "跟进计划", "仪表盘", "数据质量", "设置"} <= set(wb.sheetnames)
    rows = rows_as_dicts(wb["RFM分析"])
    assert rows[0]["RFM 类别"] == "重要价值客户"  # the glossary's term, as in the brief
    lifecycle = rows_as_dicts(wb["生命周期"])
    tiers = {r["生命周期阶段"] for r in lifecycle}
    assert tiers == {schema.tier_label(t, "zh") for t in ("mature", "repeat", "lost", "potential")}
    assert [r["流失预警"] for r in lifecycle] == ["否", "是", "否", "否", "否"]
    dashboard = " ".join(str(c) for row in wb["仪表盘"].iter_rows(values_only=True) for c in row)
    assert "销售额" in dashboard and "收入" not in dashboard


def test_churn_warning_is_a_word_in_the_workbook_language(written: Path) -> None:
    rows = rows_as_dicts(openpyxl.load_workbook(written)["Lifecycle"])
    assert [r["Churn warning"] for r in rows] == ["No", "Yes", "No", "No", "No"]


def test_user_text_that_looks_like_a_formula_stays_text(written: Path) -> None:
    with zipfile.ZipFile(written) as z:
        xml = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )
    assert "HYPERLINK" in xml
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any(
        "HYPERLINK" in f or "cmd" in f or "SUM" in f or f == "1+1" for f in formulas
    )
    wb = openpyxl.load_workbook(written)
    names = {r["Name"] for r in rows_as_dicts(wb["RFM"])}
    assert '=HYPERLINK("http://x","y")' in names
    assert "+cmd|' /C calc'!A0" in names
    assert "@SUM(1)" in names
    assert [r["Value"] for r in rows_as_dicts(wb["Data quality"])] == ["=1+1", "tomorrow"]


def test_followups_sorted_by_due_date_then_owner_with_live_formulas(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    ws = wb["Follow-ups"]
    hdr = headers(ws)
    assert {"Grade", "Last contact", "Contact from", "Next follow-up"} <= set(hdr)
    assert hdr[4:7] == ["Grade", "Last contact", "Contact from"]
    rows = rows_as_dicts(ws)
    due = [r["Next follow-up"] for r in rows]
    assert all(isinstance(v, str) and v.startswith("=") for v in due)
    assert rows[0]["Days overdue"] == "=MAX(0,xlcrm_as_of-I2)"
    # what xlcrm computed stays until a rep types a grade or a contact date
    assert rows[0]["Next follow-up"] == '=IF(F2="",xlcrm_as_of,IF(AND(E2=O2,F2=Q2),R2,F2+H2))'
    assert rows[0]["Cadence days"] == "=IF(E2=O2,P2,VLOOKUP(E2,'Settings'!$A$5:$B$9,2,FALSE))"
    hidden = [k for k, d in ws.column_dimensions.items() if d.hidden]
    assert hidden == ["O", "P", "Q", "R"] and hdr[14] == "Grade by xlcrm"
    assert wb.defined_names["xlcrm_as_of"].attr_text == "'Settings'!$B$1"
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == '"A,B,C,D,E"' and str(dv[0].sqref) == "E2:E6"
    assert ws.conditional_formatting, "overdue rows are highlighted"


def test_formula_cells_carry_cached_values_python_computed(written: Path) -> None:
    frame = pd.read_excel(written, sheet_name="Follow-ups", engine="calamine")
    c = fake_customers()
    expected = c.sort_values(["next_followup", "owner", "customer_id"], kind="stable")
    assert frame["Customer ID"].astype(str).tolist() == expected["customer_id"].tolist()
    assert frame["Next follow-up"].tolist() == expected["next_followup"].tolist()
    assert frame["Days overdue"].tolist() == expected["overdue_days"].tolist()
    assert frame["Cadence days"].tolist() == expected["cadence_days"].tolist()


def test_dashboard_has_counts_by_class_and_four_native_charts(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    ws = wb["Dashboard"]
    assert {"xlcrm_dashboard_rfm_class", "xlcrm_dashboard_tier", "xlcrm_dashboard_segment"} <= set(
        ws.tables
    )
    assert len(ws._charts) == 4
    assert sum(isinstance(ch, BarChart) for ch in ws._charts) == 3
    table = ws.tables["xlcrm_dashboard_rfm_class"]
    cells = ws[table.ref]
    counts = {row[0].value: row[1].value for row in cells[1:]}
    assert counts["Important value"] == 1 and counts["Important retain"] == 0
    assert sum(counts.values()) == 3


def test_rerun_in_place_replaces_only_own_sheets(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Orders"
    wb["Orders"].append(["Customer ID", "Order Date", "Amount"])
    wb["Orders"]["D1"] = "=1+2"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "keep me"
    settings = wb.create_sheet("Settings")
    settings.append(["as_of", "2025-06-30"])
    wb.save(book)
    write_results(fake_analysis(), None, book, lang="en", in_place=True)
    write_results(fake_analysis(), QUALITY, book, lang="zh", in_place=True)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [
        "Orders",
        "Notes",
        "Settings",
        "仪表盘",
        "拜访计划",
        "RFM分析",
        "生命周期",
        "跟进计划",
        "客户价值",
        "数据质量",
        "xlcrm设置",
        "xlcrm图表数据",  # the Dashboard charts' data, hidden
    ]
    assert wb["xlcrm图表数据"].sheet_state == "hidden"
    assert wb["Notes"]["A1"].value == "keep me"
    assert wb["Orders"]["D1"].value == "=1+2"
    assert wb["Settings"]["A1"].value == "as_of"
    assert wb.defined_names["xlcrm_as_of"].attr_text == "'xlcrm设置'!$B$1"


def test_in_place_refuses_when_a_user_sheet_has_our_name(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "RFM"
    wb.save(book)
    before = book.read_bytes()
    with pytest.raises(OutputError, match="RFM"):
        write_results(fake_analysis(), None, book, in_place=True)
    assert book.read_bytes() == before


def test_in_place_refuses_a_workbook_with_a_chart_and_leaves_it_identical(tmp_path: Path) -> None:
    book = tmp_path / "chart.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([1])
    ws.append([2])
    chart = BarChart()
    from openpyxl.chart import Reference

    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=2))
    ws.add_chart(chart, "C3")
    wb.save(book)
    before = book.read_bytes()
    assert "charts" in unsafe_parts(book)
    with pytest.raises(OutputError, match="charts"):
        write_results(fake_analysis(), None, book, in_place=True)
    with pytest.raises(OutputError, match="图表"):
        write_results(fake_analysis(), None, book, in_place=True, lang="zh")
    assert book.read_bytes() == before


def test_vba_in_xlsx_named_file_is_unsafe_but_fine_in_xlsm(tmp_path: Path) -> None:
    for suffix, unsafe in ((".xlsx", True), (".xlsm", False)):
        book = tmp_path / f"m{suffix}"
        with zipfile.ZipFile(book, "w") as z:
            z.writestr("xl/vbaProject.bin", b"\0")
            z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
        assert ("macros" in unsafe_parts(book)) is unsafe


def test_non_workbook_is_refused_for_in_place(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("hello")
    with pytest.raises(OutputError, match="not an Excel workbook"):
        check_in_place(fake)
    with pytest.raises(OutputError, match=r"\.xlsx and \.xlsm"):
        check_in_place(tmp_path / "orders.csv")


def test_failed_write_leaves_existing_file_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old")

    def boom(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("xlcrm.xlsx.package.sheet_data_chunks", boom)
    with pytest.raises(RuntimeError):
        write_results(fake_analysis(), None, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_open_in_excel_lock_file_refuses(tmp_path: Path) -> None:
    (tmp_path / "~$out.xlsx").write_text("")
    with pytest.raises(OutputError, match="open in Excel"):
        write_results(fake_analysis(), None, tmp_path / "out.xlsx")


def test_default_output_is_beside_the_input() -> None:
    assert default_output(Path("/data/shop.xlsx")) == Path("/data/shop.xlcrm.xlsx")
    assert default_output(Path("orders.csv")) == Path("orders.xlcrm.xlsx")


def test_empty_quality_gives_a_valid_empty_table(written: Path, tmp_path: Path) -> None:
    out = write_results(fake_analysis(), None, tmp_path / "noq.xlsx")
    ws = openpyxl.load_workbook(out)["Data quality"]
    assert ws.tables["xlcrm_quality"].ref == "A1:F2"
    assert headers(ws) == ["Sheet", "Row", "Column", "Value", "Problem", "Effect"]


def test_sheet_specs_are_plain_data_for_other_front_ends() -> None:
    sheets = build_result_sheets(fake_analysis(), QUALITY, lang="en")
    assert [s.table for s in sheets] == [
        "xlcrm_callplan",
        "xlcrm_rfm",
        "xlcrm_lifecycle",
        "xlcrm_followups",
        "xlcrm_value",
        "xlcrm_quality",
    ]
    follow = sheets[3]
    formulas = {c.key: c.formula for c in follow.columns if c.formula}
    assert set(formulas) == {"cadence_days", "next_followup", "overdue_days", "urgency"}
    assert len(follow.frame) == 5


def test_table_columns_match_header_cells_so_excel_needs_no_repair(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header_row = ws[table.ref][0]
            assert [c.value for c in header_row] == [col.name for col in table.tableColumns]
            assert len(set(col.name for col in table.tableColumns)) == len(table.tableColumns)


def test_markup_and_edge_spaces_in_user_text_survive(tmp_path: Path) -> None:
    c = fake_customers()
    c.loc[0, "name"] = "  A&B <Ltd> "
    c.loc[1, "owner"] = "Tom\x07"  # a control character XML cannot hold is dropped
    out = write_results(FakeAnalysis(c), None, tmp_path / "t.xlsx")
    rows = rows_as_dicts(openpyxl.load_workbook(out)["RFM"])
    assert rows[0]["Name"] == "  A&B <Ltd> "
    assert rows[1]["Owner"] == "Tom"


def test_comments_do_not_block_in_place(tmp_path: Path) -> None:
    from openpyxl.comments import Comment

    book = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.active["A1"].comment = Comment("call back", "Ann")
    wb.save(book)
    assert unsafe_parts(book) == []
    write_results(fake_analysis(), None, book, in_place=True)
    assert openpyxl.load_workbook(book)["Sheet"]["A1"].comment.text == "call back"


def test_no_customers_still_gives_valid_tables(tmp_path: Path) -> None:
    empty = fake_customers().iloc[0:0]
    analysis = FakeAnalysis(empty, pareto=FakePareto(curve=pd.DataFrame()))
    out = write_results(analysis, None, tmp_path / "empty.xlsx", lang="zh")
    wb = openpyxl.load_workbook(out)
    assert wb["RFM分析"].tables["xlcrm_rfm"].ref == "A1:M2"
    assert wb["跟进计划"].max_row == 1


def test_dashboard_shows_the_plan_the_pool_and_what_each_segment_means(
    tmp_path: Path,
) -> None:
    customers = fake_customers()
    customers["pool"] = [False, False, True, True, False]
    out = write_results(FakeAnalysis(customers), QUALITY, tmp_path / "out.xlsx", lang="en")
    ws = openpyxl.load_workbook(out)["Dashboard"]
    labels = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for label in (
        "Calls planned today",
        "Due but not planned (backlog)",
        "Grades to re-qualify",
        "Return to the pool (公海)",
    ):
        assert label in labels
    # each segment with what it means, under the segments' table
    assert "Meaning" in labels
    assert any(text.startswith("Champions: ") for text in labels)
    pool = ws[ws.tables["xlcrm_dashboard_pool"].ref]
    ids = [c.value for c in pool[0]].index("Customer ID")
    assert [r[ids].value for r in pool[1:]] == ["C3", "C4"]  # the bigger spender first


def test_no_pool_block_when_nobody_is_flagged(written: Path) -> None:
    assert "xlcrm_dashboard_pool" not in openpyxl.load_workbook(written)["Dashboard"].tables


@pytest.mark.parametrize(
    "template",
    [
        '<row r="{0}"><c r="A{0}" s="3"><v>{1}</v></c>{2}</row>',
        '<c r="B{0}"><f>IF(A{0}="",{{}},1)</f><v>{1}</v></c>',  # braces in the text
        "{1}{0}{1}",  # no text between fields, a field twice
        "{0:>5}|{1!r}",  # a format spec and a conversion: formatted as given
        "{0}{\u00b2}",  # a field that is a digit but not a number: as str.format does
        "plain text, no field",
    ],
)
def test_row_makers_give_what_format_gives(template: str) -> None:
    from xlcrm.xlsx.sheetxml import _row_maker

    make = _row_maker(template, 3)
    for values in ((2, "x", ""), (100_001, "<&>", "{0}"), (7, "'\"\\", "é")):
        try:
            want = template.format(*values)
        except KeyError:
            with pytest.raises(KeyError):
                make(*values)
            continue
        assert make(*values) == want
