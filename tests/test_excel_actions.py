"""Every ribbon action on the sample workbook, through the file and the xlwings book."""

from __future__ import annotations

import email
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fakexw import FakeXwBook
from python_calamine import CalamineWorkbook

from xlcrm.excel import actions, udfs
from xlcrm.excel.book import FileBook, XlwingsBook
from xlcrm.xlsx.sample import generate_sample, write_sample
from xlcrm.xlsx.writer import SHEET_NAMES

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(
        generate_sample(customers=300, as_of=AS_OF), tmp_path_factory.mktemp("wb") / "shop.xlsx"
    )


@pytest.fixture
def book(sample_file: Path, tmp_path: Path) -> FileBook:
    path = tmp_path / sample_file.name
    shutil.copyfile(sample_file, path)
    return FileBook(path)


def sheets_of(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_analyze_writes_the_result_sheets_like_the_cli(book: FileBook) -> None:
    before = book.path.read_bytes()
    message = actions.analyze(book)
    assert message.startswith("Analysed 3")
    assert book.messages == [message]
    names = list(sheets_of(book.output))
    for key in ("dashboard", "callplan", "rfm", "lifecycle", "followups", "quality"):
        assert SHEET_NAMES[key]["en"] in names
    assert book.path.read_bytes() == before  # the user's file is left alone


def test_followup_plan_writes_the_call_plan_and_follow_up_sheets(book: FileBook) -> None:
    message = actions.followup_plan(book)
    assert message.startswith("Call plan: ") and "calls today" in message
    written = sheets_of(book.output)
    names = [SHEET_NAMES["callplan"]["en"], SHEET_NAMES["followups"]["en"]]
    assert list(written) == names  # those sheets only
    rows = written[SHEET_NAMES["followups"]["en"]]
    assert rows[0][:3] == ["Customer ID", "Name", "Owner"]
    assert len(rows) > 100
    plan = written[SHEET_NAMES["callplan"]["en"]]
    assert plan[0][:4] == ["Date", "Owner", "#", "Customer ID"] and plan[0][-2:] == ["Done", "Note"]


def test_dashboard_writes_figures_and_summary_tables(book: FileBook) -> None:
    actions.dashboard(book, lang="zh")
    rows = sheets_of(book.output)[SHEET_NAMES["dashboard"]["zh"]]
    text = " ".join(str(v) for row in rows for v in row)
    assert "重要价值客户" in text


@pytest.mark.slow
def test_pdf_brief_is_written_beside_the_workbook(book: FileBook) -> None:
    from pypdf import PdfReader

    message = actions.pdf_brief(book)
    target = book.folder / "shop.brief.pdf"
    assert message == f"Wrote {target}"
    reader = PdfReader(target)
    assert len(reader.pages) >= 2
    assert "Important value" in "".join(page.extract_text() for page in reader.pages)


def test_email_brief_saves_eml_drafts(
    book: FileBook, tmp_path: Path, stand_in_pdf: list[str | None]
) -> None:
    drafts = tmp_path / "drafts"
    message = actions.email_brief(book, eml_dir=drafts)
    assert message.startswith("Saved")
    files = sorted(drafts.glob("*.eml"))
    assert files and len(files) == len(stand_in_pdf)  # one brief per draft
    msg = email.message_from_bytes(files[0].read_bytes())
    assert any(part.get_content_type() == "application/pdf" for part in msg.walk())


def test_email_brief_dry_run_sends_and_writes_nothing(book: FileBook) -> None:
    """The sample has no email_to and no SMTP server: one draft per owner with an address."""
    message = actions.email_brief(book, dry_run=True)
    head, *problems = message.split("\n- ")
    drafts = book.folder / "shop drafts"
    assert head.startswith(f"Would send 5 briefs, drafts in {drafts}: ")
    assert "alice.morgan@example.com: Alice Morgan" in head
    (problem,) = problems
    assert problem.startswith("owner 'Farid Haddad' (") and "has no email address" in problem
    assert not list(book.folder.glob("*drafts*"))


def test_email_brief_speaks_chinese_with_lang_zh(book: FileBook) -> None:
    message = actions.email_brief(book, dry_run=True, lang="zh")
    assert message.startswith("将发送 5 份简报，草稿保存到 ")
    assert "Would send" not in message and "no email address" not in message


def test_help_lists_every_button_and_function(book: FileBook) -> None:
    actions.show_help(book)
    rows = sheets_of(book.output)[actions.HELP_SHEET]
    text = " ".join(str(v) for row in rows for v in row)
    for name in udfs.__all__:
        assert f"{name.upper()}(" in text
    for label in ("Analyze", "Follow-up plan", "Dashboard", "PDF brief", "Email brief", "Help"):
        assert label in text


def test_a_user_error_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active["A1"] = "nothing here"
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    book = FileBook(path)
    message = actions.analyze(book)
    assert message.startswith("xlcrm: ") and "Traceback" not in message
    assert book.messages == [message]


# --- the xlwings implementation, against a stand-in for xlwings' Book -------------------------


def test_xlwings_book_writes_the_same_tables_as_the_file(book: FileBook) -> None:
    actions.analyze(book)
    written = sheets_of(book.output)
    fake = FakeXwBook(book.path)
    message = actions.analyze(XlwingsBook(fake))
    assert fake.app.alerts == [message] and message.startswith("Analysed")
    rfm_name = SHEET_NAMES["rfm"]["en"]
    on_screen = fake.sheets[rfm_name].rows
    in_file = written[rfm_name]
    assert on_screen[0] == in_file[0]  # same headers
    assert len(on_screen) == len(in_file)
    class_col = on_screen[0].index("RFM class")
    assert [r[0] for r in on_screen[1:]] == [r[0] for r in in_file[1:]]
    assert [r[class_col] for r in on_screen[1:]] == [r[class_col] for r in in_file[1:]]
    assert fake.sheets[rfm_name].formats  # number formats applied


def test_xlwings_book_help_is_a_new_sheet_in_the_ribbon_language(book: FileBook) -> None:
    fake = FakeXwBook(book.path)
    actions.show_help(XlwingsBook(fake))
    assert fake.sheets[actions.HELP_SHEET].rows[0][0] == "xlcrm"
    fake = FakeXwBook(book.path)
    actions.show_help(XlwingsBook(fake), ui_lang="zh")
    rows = fake.sheets[actions.HELP_SHEET].rows
    assert rows[0][0] == "xlcrm 客户分层"
    assert "分析" in [r[0] for r in rows]
