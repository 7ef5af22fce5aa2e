"""Closing the loop: what reps type into xlcrm's sheets is never lost by running xlcrm again.

Done dates and notes on the Call plan, grades changed on Follow-ups: carried
over by `xlcrm analyze`, written into the workbook by `xlcrm log`,
`analyze --in-place` and the ribbon's Follow-up plan button.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from fakexw import FakeXwBook

from xlcrm.cli import cli
from xlcrm.excel import actions
from xlcrm.excel.book import FileBook, XlwingsBook
from xlcrm.xlsx.carryover import read_typed, write_back_edits
from xlcrm.xlsx.sample import generate_sample, write_sample

AS_OF = "2026-06-30"
DONE = dt.datetime(2026, 6, 30)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(
        generate_sample(customers=150, seed=3), tmp_path_factory.mktemp("s") / "s.xlsx"
    )


@pytest.fixture
def book(sample_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop.xlsx"
    shutil.copyfile(sample_file, path)
    return path


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    return result


def frame(path: Path, sheet: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet, engine="calamine")


def type_into_plan(path: Path) -> dict[str, Any]:
    """A rep's day: three calls done (with notes), two notes, one grade changed."""
    wb = openpyxl.load_workbook(path)
    plan = wb["Call plan"]
    head = [c.value for c in plan[1]]
    at = {name: head.index(name) + 1 for name in ("Customer ID", "Done", "Note")}
    done, noted = [], []
    for r in (2, 3, 4):
        plan.cell(r, at["Done"], DONE)
        plan.cell(r, at["Note"], f"called, row {r}")
        done.append(plan.cell(r, at["Customer ID"]).value)
    for r in (5, 6):
        plan.cell(r, at["Note"], f"left a message, row {r}")
        noted.append(plan.cell(r, at["Customer ID"]).value)
    follow = wb["Follow-ups"]
    fhead = [c.value for c in follow[1]]
    grade_at, id_at = fhead.index("Grade") + 1, fhead.index("Customer ID") + 1
    # a prospect that is on the Customers sheet: first row whose grade is not C
    for r in range(2, follow.max_row + 1):
        if follow.cell(r, grade_at).value != "C" and str(follow.cell(r, id_at).value) not in done:
            follow.cell(r, grade_at, "C")
            graded = str(follow.cell(r, id_at).value)
            break
    wb.save(path)
    return {"done": done, "noted": noted, "graded": graded}


def test_rerunning_analyze_keeps_done_dates_notes_and_typed_grades(book: Path) -> None:
    run("analyze", str(book))
    out = book.with_name("shop.xlcrm.xlsx")
    typed = type_into_plan(out)
    before = book.read_bytes()
    for _ in range(2):  # and again: carried over rows are carried over once more
        run("analyze", str(book))
        plan = frame(out, "Call plan")
        done = plan[plan["Done"].notna()]
        assert done["Customer ID"].astype(str).tolist() == typed["done"]
        assert done["Note"].tolist() == ["called, row 2", "called, row 3", "called, row 4"]
        notes = plan[plan["Done"].isna() & plan["Note"].notna()]
        assert sorted(notes["Customer ID"].astype(str)) == sorted(typed["noted"])
        follow = frame(out, "Follow-ups").set_index("Customer ID")
        assert follow.loc[typed["graded"], "Grade"] == "C"
        assert follow.loc[typed["graded"], "Grade source"] == "typed on Follow-ups"
        # a done call is a contact: not planned again today
        today = plan[plan["Done"].isna() & (plan["Date"] == pd.Timestamp(AS_OF))]
        assert not today["Customer ID"].astype(str).isin(typed["done"]).any()
    assert book.read_bytes() == before  # the input is not touched


def test_log_writes_done_calls_and_grades_into_the_book_then_plans_again(book: Path) -> None:
    run("analyze", str(book))
    out = book.with_name("shop.xlcrm.xlsx")
    typed = type_into_plan(out)
    activities = len(frame(book, "Activities"))
    result = run("log", str(book))
    assert "Logged 3 done calls" in result.output and "1 grade" in result.output
    logged = frame(book, "Activities").iloc[activities:]
    assert logged["Customer ID"].astype(str).tolist() == typed["done"]
    assert (logged["Date"] == pd.Timestamp(AS_OF)).all()
    assert logged["Kind"].tolist() == ["Call"] * 3
    assert logged["Note"].tolist() == ["called, row 2", "called, row 3", "called, row 4"]
    customers = frame(book, "Customers").set_index("Customer ID")
    assert customers.loc[typed["graded"], "Grade"] == "C"
    # the Activities table grew with the rows, so Excel sees them as one table
    table = openpyxl.load_workbook(book)["Activities"].tables["Activities"]
    assert table.ref.endswith(str(activities + 1 + 3)) and table.tableColumns[-1].name == "Note"
    plan = frame(out, "Call plan")
    assert plan["Done"].isna().all()  # logged: gone from the plan
    assert sorted(plan.loc[plan["Note"].notna(), "Customer ID"].astype(str)) == sorted(
        typed["noted"]
    )
    again = run("log", str(book))
    assert "Nothing to log" in again.output


def test_log_creates_the_activities_sheet_in_chinese(tmp_path: Path) -> None:
    sample = generate_sample(customers=60, seed=5, lang="zh")
    sample = type(sample)(**{**sample.__dict__, "activities": sample.activities.iloc[0:0]})
    path = write_sample(sample, tmp_path / "店.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["跟进记录"]
    wb.save(path)
    run("analyze", str(path), "--lang", "zh")
    out = path.with_name("店.xlcrm.xlsx")
    wb = openpyxl.load_workbook(out)
    plan = wb["拜访计划"]
    head = [c.value for c in plan[1]]
    plan.cell(2, head.index("完成日期") + 1, DONE)
    first = plan.cell(2, head.index("客户编号") + 1).value
    wb.save(out)
    result = run("log", str(path), "--lang", "zh")
    assert "已将 1 次完成的拜访记入" in result.output
    acts = frame(path, "跟进记录")
    assert list(acts.columns) == ["客户编号", "跟进日期", "跟进方式", "备注"]
    assert acts["客户编号"].tolist() == [first] and acts["跟进方式"].tolist() == ["电话"]


def test_analyze_in_place_logs_first(book: Path) -> None:
    run("analyze", str(book), "--in-place")
    typed = type_into_plan(book)
    activities = len(frame(book, "Activities"))
    result = run("analyze", str(book), "--in-place")
    assert "Logged 3 done calls" in result.output
    assert len(frame(book, "Activities")) == activities + 3
    assert frame(book, "Call plan")["Done"].isna().all()
    assert frame(book, "Customers").set_index("Customer ID").loc[typed["graded"], "Grade"] == "C"


def test_a_done_cell_that_is_not_a_date_is_reported_and_kept(book: Path) -> None:
    run("analyze", str(book))
    out = book.with_name("shop.xlcrm.xlsx")
    wb = openpyxl.load_workbook(out)
    plan = wb["Call plan"]
    head = [c.value for c in plan[1]]
    plan.cell(2, head.index("Done") + 1, "yes, Monday")
    who = plan.cell(2, head.index("Customer ID") + 1).value
    wb.save(out)
    run("analyze", str(book))
    quality = frame(out, "Data quality")
    row = quality[quality["Sheet"] == "Call plan"].iloc[0]
    assert (row["Row"], row["Column"], row["Value"]) == (2, "Done", "yes, Monday")
    assert who in frame(out, "Call plan")["Customer ID"].astype(str).tolist()


# --- the ribbon -------------------------------------------------------------------------


def test_follow_up_plan_button_logs_done_calls_into_the_open_workbook(book: Path) -> None:
    run("analyze", str(book), "--in-place")
    fake = FakeXwBook(book)
    plan = fake.sheets["Call plan"]
    head = plan.rows[0]
    done_col, note_col = head.index("Done") + 1, head.index("Note") + 1
    plan.cells[(2, done_col)] = DONE
    plan.cells[(2, note_col)] = "Good call & more"
    plan.cells[(3, note_col)] = "call back"
    who = plan.rows[1][head.index("Customer ID")]
    noted = plan.rows[2][head.index("Customer ID")]
    before = len(fake.sheets["Activities"].rows)
    message = actions.followup_plan(XlwingsBook(fake), as_of=AS_OF)
    assert message.endswith("1 done call logged in Activities.")
    rows = fake.sheets["Activities"].rows
    assert len(rows) == before + 1
    assert rows[-1][:2] == [who, DONE] and rows[-1][-1] == "Good call & more"
    new_plan = fake.sheets["Call plan"].rows
    at = new_plan[0].index("Note")
    assert next(r[at] for r in new_plan[1:] if r[new_plan[0].index("Customer ID")] == noted) == (
        "call back"
    )
    assert all(r[new_plan[0].index("Done")] is None for r in new_plan[1:])


def test_analyze_button_on_a_file_it_may_not_change_carries_over(book: Path) -> None:
    file_book = FileBook(book)
    actions.analyze(file_book, as_of=AS_OF)
    typed = type_into_plan(file_book.output)
    message = actions.analyze(file_book, as_of=AS_OF)
    assert "logged" not in message
    plan = frame(file_book.output, "Call plan")
    assert plan.loc[plan["Done"].notna(), "Customer ID"].astype(str).tolist() == typed["done"]


# --- the pieces ------------------------------------------------------------------------------


def test_typed_grades_are_told_apart_from_what_xlcrm_wrote() -> None:
    follow = [
        ["Customer ID", "Grade", "Grade by xlcrm", "Grade source"],
        ["C1", "A", "A", "derived"],  # untouched
        ["C2", "b", "D", "default (no grade)"],  # changed by a rep
        ["C3", "C", "C", "typed on Follow-ups"],  # typed on an earlier run
        ["C4", "Z", "D", "derived"],  # not a grade: ignored
    ]
    typed = read_typed({"Follow-ups": follow})
    assert typed.grades.to_dict("list") == {"customer_id": ["C2", "C3"], "grade": ["B", "C"]}
    assert typed.calls.empty


def test_write_back_edits_find_headers_below_a_title_and_add_a_note_column() -> None:
    plan = [
        [
            "日期",
            "负责人",
            "序号",
            "客户编号",
            "客户名称",
            "等级",
            "原因",
            "建议行动",
            "价值",
            "完成日期",
            "备注",
        ],
        [DONE, "王芳", 1, "C9", "甲", "A", "到期", "", 1.0, DONE, "谈妥"],
    ]
    typed = read_typed({"拜访计划": plan})
    sheets = {
        "Visits": [["Visit log"], [], ["Client ID", "Contact Date", "Type"], ["C1", DONE, "call"]],
    }
    # the sheet the reader read the activities from (named on the Settings sheet)
    edits = write_back_edits(sheets, typed, lang="zh", found={"activities": "Visits"})
    assert edits.logged == 1 and edits.new_sheets == []
    assert ("Visits", 3, 4, "备注") in edits.cells
    assert ("Visits", 5, 1, "C9") in edits.cells and ("Visits", 5, 4, "谈妥") in edits.cells
    assert edits.tables == {"Visits": 5}
    # found by its usual name too
    edits = write_back_edits({"拜访记录": sheets["Visits"]}, typed, lang="zh")
    assert edits.logged == 1 and edits.new_sheets == []
