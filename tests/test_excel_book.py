"""The button paths where Excel differs from a file: text cells, screen and status bar,
unsaved workbooks, and an add-in built for another xlwings."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from fakexw import FakeXwBook, excel_converts
from python_calamine import CalamineWorkbook

from xlcrm.excel import actions, book
from xlcrm.excel.book import FileBook, XlwingsBook, text_runs
from xlcrm.excel.versions import installed_xlwings
from xlcrm.xlsx.sample import generate_sample, write_sample

AS_OF = pd.Timestamp("2026-06-30")
TRICKY = ["00123", "2024-03-05", '=HYPERLINK("http://example.com","x")', "+49 30 1234", "-5"]


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(
        generate_sample(customers=60, as_of=AS_OF), tmp_path_factory.mktemp("wb") / "shop.xlsx"
    )


@pytest.fixture
def shop(sample_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / sample_file.name
    shutil.copyfile(sample_file, path)
    return path


# --- text stays text ------------------------------------------------------------------


def test_the_fake_excel_converts_text_like_excel_does() -> None:
    """Without the text format these values would not survive (so the tests below can fail)."""
    assert excel_converts("00123", None) == 123.0
    assert excel_converts("2024-03-05", None) == dt.datetime(2024, 3, 5)
    assert excel_converts(TRICKY[2], None) == ("formula", TRICKY[2])
    assert [excel_converts(v, "@") for v in TRICKY] == TRICKY


def test_text_runs_cover_text_cells_and_skip_numbers() -> None:
    rows = [["id", "n"], ["00123", 1.0], [None, 2.0], ["x", None], [5.0, "y"]]
    assert text_runs(rows) == [(0, 0, 3), (1, 0, 0), (1, 4, 4)]
    assert text_runs([["a" * 300]]) == []  # long text: Excel shows #### in a text cell


def test_file_book_writes_text_cells_as_text(shop: Path) -> None:
    fb = FileBook(shop)
    rows: list[list[Any]] = [["Customer ID", "Note", "Amount"]]
    rows += [[v, v, 1.5] for v in TRICKY]
    fb.write_rows("Check", rows, {2: "#,##0.00"})
    ws = openpyxl.load_workbook(fb.output)["Check"]
    for i, value in enumerate(TRICKY, start=2):
        for col in (1, 2):
            c = ws.cell(i, col)
            assert (c.value, c.data_type, c.number_format) == (value, "s", "@")
        assert ws.cell(i, 3).value == 1.5 and ws.cell(i, 3).number_format == "#,##0.00"
    read = CalamineWorkbook.from_path(str(fb.output)).get_sheet_by_name("Check").to_python()
    assert [r[0] for r in read[1:]] == TRICKY


def test_xlwings_book_formats_text_before_writing(shop: Path) -> None:
    fake = FakeXwBook(shop)
    rows: list[list[Any]] = [["Customer ID", "Amount"], *([v, 2.0] for v in TRICKY)]
    XlwingsBook(fake).write_rows("Check", rows, {1: "#,##0.00"})
    sheet = fake.sheets["Check"]
    assert sheet.rows == rows  # nothing converted
    kinds = [entry[0] for entry in sheet.log]
    assert kinds.index("value") > kinds.index("format")  # text format first
    assert sheet.formats[(2, 2)] == "#,##0.00"


def test_followup_plan_keeps_text_ids_through_the_xlwings_book(shop: Path) -> None:
    """Customer IDs like 00017 arrive in Excel as text, as the file has them."""
    fake = FakeXwBook(shop)
    actions.followup_plan(XlwingsBook(fake))
    fb = FileBook(shop)
    actions.followup_plan(fb)
    wb = CalamineWorkbook.from_path(str(fb.output))
    name = wb.sheet_names[-1]
    header = wb.get_sheet_by_name(name).to_python()[0]
    assert fake.sheets[name].rows[0] == header
    assert len(fake.sheets[name].rows) > 1
    ids = [r[0] for r in fake.sheets[name].rows[1:]]
    assert all(isinstance(i, str) for i in ids), ids[:5]


# --- screen updating and status bar ----------------------------------------------------


def test_progress_shows_in_the_status_bar_and_both_are_restored(shop: Path) -> None:
    fake = FakeXwBook(shop)
    fake.app.status_bar = "someone else's text"
    actions.dashboard(XlwingsBook(fake))
    app = fake.app
    assert "xlcrm: reading the workbook…" in app.status_history
    assert "xlcrm: analysing…" in app.status_history
    assert app.screen_history[-2:] == [False, True]
    assert app.screen_updating is True
    assert app.status_bar == "someone else's text"


def test_screen_and_status_bar_are_restored_after_a_user_error(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    fake = FakeXwBook(path)
    message = actions.analyze(XlwingsBook(fake))
    assert message.startswith("xlcrm: ")
    assert fake.app.alerts == [message]
    assert fake.app.screen_history == [False, True]
    assert fake.app.status_bar is False


def test_screen_and_status_bar_are_restored_after_a_crash(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeXwBook(shop)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(XlwingsBook, "write_rows", broken)
    with pytest.raises(RuntimeError):
        actions.dashboard(XlwingsBook(fake))
    assert fake.app.screen_updating is True
    assert fake.app.status_bar is False


# --- a workbook that was never saved ---------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    return home


def test_unsaved_workbook_files_go_to_documents(shop: Path, home: Path) -> None:
    for fullname in ("Book1", "https://contoso.sharepoint.com/x/Book1.xlsx", ""):
        xb = XlwingsBook(FakeXwBook(shop, fullname=fullname))
        assert not xb.saved
        assert xb.folder == home / "Documents"
    saved = XlwingsBook(FakeXwBook(shop))
    assert saved.saved and saved.folder == shop.parent
    shutil.rmtree(home / "Documents")
    assert XlwingsBook(FakeXwBook(shop, fullname="Book1")).folder == home


def test_unsaved_workbook_pdf_message_gives_the_full_path(
    shop: Path, home: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlcrm import report

    monkeypatch.setattr(report, "to_pdf", lambda html: pdf)  # the subject is where it goes
    fake = FakeXwBook(shop, fullname="Book1")
    fake.name = "Book1"
    message = actions.pdf_brief(XlwingsBook(fake), lang="en")
    target = home / "Documents" / "Book1.brief.pdf"
    assert target.is_file()
    assert message.startswith(f"Wrote {target}")
    assert str(home / "Documents") in message.split(str(target), 1)[1]  # says why there


# --- an add-in built for another xlwings ------------------------------------------------


def test_a_version_mismatch_is_one_line_and_nothing_runs(shop: Path) -> None:
    fb = FileBook(shop)
    message = actions.analyze(fb, addin_xlwings="0.0.1", ui_lang="en")
    installed = installed_xlwings()
    assert "\n" not in message
    assert "0.0.1" in message and installed in message and "xlcrm addin install" in message
    assert fb.messages == [message]
    assert not fb.output.exists()


def test_a_version_mismatch_speaks_the_ribbon_language(shop: Path) -> None:
    fb = FileBook(shop)
    message = actions.show_help(fb, addin_xlwings="0.0.1", ui_lang="zh")
    assert "加载项" in message and "0.0.1" in message


def test_the_matching_version_runs_the_action(shop: Path) -> None:
    fb = FileBook(shop)
    message = actions.show_help(fb, addin_xlwings=installed_xlwings(), ui_lang="xx")
    assert message.startswith("Help: ")
    assert fb.output.exists()


def test_documents_folder_falls_back_to_home(home: Path) -> None:
    assert book.documents_folder() == home / "Documents"


def test_a_mismatch_xlwings_cannot_reach_excel_with_still_speaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When finding the workbook fails too, the line goes where RunPython shows errors."""

    def no_excel() -> XlwingsBook:
        raise RuntimeError("xlwings could not talk to Excel")

    monkeypatch.setattr(XlwingsBook, "caller", staticmethod(no_excel))
    with pytest.raises(SystemExit) as caught:
        actions.analyze(addin_xlwings="0.0.1", ui_lang="en")
    assert "0.0.1" in str(caught.value.code)
    with pytest.raises(RuntimeError):
        actions.analyze(addin_xlwings=installed_xlwings())
