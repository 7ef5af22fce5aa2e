"""Result sheets of the funnel, loyalty, referrals, relationship levels, long tail and
changes: the Funnel sheet's native bar chart, the new columns, the Dashboard's figures
and tables, and LibreOffice opening it all."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import require_tool
from test_brief_insights import CUSTOMERS, DEALS, FEEDBACK, ORDERS

from xlcrm.core.analysis import analyze
from xlcrm.core.changes import compare_analyses
from xlcrm.xlsx.writer import build_result_sheets, write_results


def _analysis(changes: bool = True) -> Any:
    now = analyze(ORDERS, CUSTOMERS, as_of="2024-06-30", deals=DEALS, feedback=FEEDBACK)
    if not changes:
        return now
    then = analyze(ORDERS, CUSTOMERS, as_of="2023-12-31")
    found = compare_analyses(
        then.customers, now.customers, since=pd.Timestamp("2023-12-31"), as_of=now.as_of
    )
    return dataclasses.replace(now, insights=dataclasses.replace(now.insights, changes=found))


def _rows(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results(_analysis(), None, tmp_path_factory.mktemp("w") / "out.xlsx")


def test_funnel_sheet_has_team_then_owners_and_a_bar_chart_of_the_stages(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    rows = _rows(wb["Funnel"])
    assert [r["Owner"] for r in rows[:5]] == ["Team"] * 5
    assert [r["Reached"] for r in rows[:5]] == [4, 4, 3, 2, 1]
    assert [r["Stage"] for r in rows[:5]] == ["Lead", "Qualified", "Proposal", "Negotiation", "Won"]
    assert rows[2]["To next stage"] == pytest.approx(2 / 3)
    with zipfile.ZipFile(written) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        xml = "".join(archive.read(n).decode() for n in charts)
    assert "'Funnel'!$D$2:$D$6" in xml and "'Funnel'!$B$2:$B$6" in xml
    assert re.search(r"<barDir val=\"bar\"", xml)
    assert 'orientation val="maxMin"' in xml


def test_new_columns_follow_the_existing_ones(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    rfm = _rows(wb["RFM"])
    assert list(rfm[0])[-3:] == ["Margin", "Relationship level", "Long tail"]
    life = {r["Customer ID"]: r for r in _rows(wb["Lifecycle"])}
    assert life["A"]["Loyalty"] == "Loyalty at risk"
    assert life["A"]["Loyal but dissatisfied"] == "Yes"
    assert life["D"]["Loyalty"] == "Loyalty at risk (without satisfaction, recommendation)"
    assert life["A"]["Referrals"] == 2
    follow = {r["Customer ID"]: r for r in _rows(wb["Follow-ups"])}
    assert follow["A"]["Open complaint"] == "Yes" and follow["B"]["Open complaint"] == "No"
    assert follow["A"]["Stuck deal"] == "Yes" and follow["P"]["Open deals"] == 1
    # after the sheet's own columns, so the live formulas keep their letters
    assert list(follow["A"])[-3:] == ["Open complaint", "Open deals", "Stuck deal"]


def test_changes_sheet_lists_the_customers_who_moved(written: Path) -> None:
    rows = _rows(openpyxl.load_workbook(written)["Changes"])
    lost = [r["Customer ID"] for r in rows if r["Became lost"] == "Yes"]
    assert lost == ["D"]
    assert all(r["Tier"] for r in rows)


def test_dashboard_sums_up_loyalty_complaints_and_deals(written: Path) -> None:
    # the Dashboard prints on two pages: the insights are key figures there; their
    # tables are on their own sheets (Funnel, Changes) and columns (Lifecycle)
    ws = openpyxl.load_workbook(written)["Dashboard"]
    figures = {r[0]: r[1] for r in ws.iter_rows(min_row=5, max_col=2, values_only=True) if r[0]}
    assert figures["Advocate"] == 1 and figures["Loyalty at risk"] == 2
    assert figures["Open complaint"] == 1
    assert figures["Deals: win rate"] == 0.5


def test_sheets_without_insights_are_unchanged() -> None:
    plain = analyze(ORDERS, CUSTOMERS[["customer_id", "name", "owner"]], as_of="2024-06-30")
    bare = dataclasses.replace(plain, insights=None)
    with_insights = build_result_sheets(plain, lang="en")
    without = build_result_sheets(bare, lang="en")
    assert "funnel" not in [s.key for s in without]
    assert [s.key for s in with_insights] == [s.key for s in without]  # no funnel, no changes
    followups = {s.key: s for s in with_insights}["followups"]
    bare_followups = {s.key: s for s in without}["followups"]
    # no feedback, no deals: the Follow-ups sheet is as without insights
    assert [c.key for c in followups.columns] == [c.key for c in bare_followups.columns]


def test_chinese_sheets(tmp_path: Path) -> None:
    out = write_results(_analysis(), None, tmp_path / "zh.xlsx", lang="zh")
    wb = openpyxl.load_workbook(out)
    assert {"销售漏斗", "变化情况"} <= set(wb.sheetnames)
    assert [r["销售阶段"] for r in _rows(wb["销售漏斗"])[:2]] == ["线索", "商机"]


@pytest.mark.slow
def test_libreoffice_opens_the_funnel_sheet(written: Path, tmp_path: Path) -> None:
    require_tool("soffice")
    profile = tmp_path / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(written),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    back = openpyxl.load_workbook(tmp_path / "out" / written.name)
    assert [r["Reached"] for r in _rows(back["Funnel"])[:5]] == [4, 4, 3, 2, 1]
    with zipfile.ZipFile(tmp_path / "out" / written.name) as archive:
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())


@pytest.mark.parametrize("only", [("rfm",), ("callplan", "followups", "quality"), ("funnel",)])
def test_only_the_sheets_asked_for_are_built_as_they_are_in_the_whole_set(
    only: tuple[str, ...],
) -> None:
    analysis = _analysis()
    whole = {s.key: s for s in build_result_sheets(analysis, lang="zh")}
    some = build_result_sheets(analysis, lang="zh", only=only)
    assert [s.key for s in some] == [k for k in whole if k in only]
    for sheet in some:
        assert [c.key for c in sheet.columns] == [c.key for c in whole[sheet.key].columns]
        pd.testing.assert_frame_equal(sheet.frame, whole[sheet.key].frame)
