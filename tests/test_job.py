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
    assert "Ignored 1 orders dated after 2024-06-30" in result.stdout
