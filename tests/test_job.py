"""Option > Settings sheet > default, the same for every entry point."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest

from xlcrm.jobs import run_job
from xlcrm.xlsx.reader import read_workbook

ORDERS = [
    ["Customer ID", "Order date", "Amount"],
    ["C1", "2024-01-05", 100],
    ["C1", "2024-03-01", 50],
    ["C2", "2024-02-10", 80],
    ["C2", "2024-12-24", 30],  # after the sheet's as_of
]


@pytest.fixture
def book(make_workbook):
    return make_workbook(
        {
            "Orders": ORDERS,
            "Settings": [
                ["Setting", "Value"],
                ["as_of", "2024-06-30"],
                ["threshold_method", "median"],
                ["language", "zh"],
            ],
        }
    )


def test_settings_sheet_wins_over_the_default(book):
    job = run_job(read_workbook(book), today=dt.date(2030, 1, 1))
    assert job.analysis.as_of == pd.Timestamp("2024-06-30")
    assert job.analysis.settings.threshold_method == "median"
    assert job.lang == "zh"


def test_options_win_over_the_settings_sheet(book):
    job = run_job(
        read_workbook(book),
        today=dt.date(2030, 1, 1),
        as_of=dt.date(2024, 3, 1),
        lang="en",
        threshold="score",
    )
    assert job.analysis.as_of == pd.Timestamp("2024-03-01")
    assert job.analysis.settings.threshold_method == "score"
    assert job.lang == "en"


def test_today_is_used_when_nobody_gives_a_date(make_workbook):
    data = read_workbook(make_workbook({"Orders": ORDERS}))
    job = run_job(data, today=dt.date(2025, 1, 31))
    assert job.analysis.as_of == pd.Timestamp("2025-01-31")
    assert job.lang == "en"
    assert job.future_orders == 0


def test_orders_after_as_of_are_counted_as_ignored(book):
    job = run_job(read_workbook(book), today=dt.date(2030, 1, 1))
    assert job.future_orders == 1
    c2 = job.analysis.customers.set_index("customer_id").loc["C2"]
    assert c2["frequency"] == 1


def test_analyze_says_how_many_future_orders_it_ignored(book, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "xlcrm", "analyze", str(book), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Ignored 1 order dated after 2024-06-30" in result.stdout


# --- analyze_book: the use case behind `xlcrm analyze` and the ribbon --------------------


def test_analyze_book_writes_and_reports_what_it_found(book, tmp_path):
    from xlcrm.core.schema import RFM_CLASSES, TIERS
    from xlcrm.jobs import RESULT_SHEETS, WorkbookFile, analyze_book

    steps = []
    target = tmp_path / "out.xlsx"
    done = analyze_book(
        WorkbookFile(book, target),
        today=dt.date(2030, 1, 1),
        lang="en",
        on_step=lambda step, lang: steps.append((step, lang)),
    )
    assert steps == [("read", "en"), ("analyse", "en"), ("write", "en")]
    assert done.written == str(target) and target.is_file()
    assert len(done.sheets) == len(RESULT_SHEETS) and done.sheets[0] == "Dashboard"
    assert done.read["orders"] == len(ORDERS) - 1
    assert done.future_orders == 1  # dated after the sheet's as_of
    customers = done.job.analysis.customers
    assert list(done.classes) == list(RFM_CLASSES) and list(done.tiers) == list(TIERS)
    assert sum(done.classes.values()) == int(customers["rfm_class"].notna().sum())
    assert sum(done.tiers.values()) == done.customers == len(customers)
    assert done.overdue == int((customers["overdue_days"] > 0).sum())


def test_analyze_book_refuses_before_reading(book, tmp_path):
    from xlcrm.core.errors import OutputError
    from xlcrm.jobs import WorkbookFile, analyze_book

    class Watched(WorkbookFile):
        def read_data(self, lang="en"):
            raise AssertionError("read although the output cannot be written")

    before = book.read_bytes()
    for output, words in ((tmp_path, "is a folder"), (book, "overwrite the input")):
        with pytest.raises(OutputError, match=words):
            analyze_book(Watched(book, output), today=dt.date(2030, 1, 1))
    assert book.read_bytes() == before
