"""File > Print of the analysis workbook, in English and Chinese, by LibreOffice.

One soffice run prints both workbooks to PDF, every sheet; each page's footer
names its sheet ("&A"), so the pages are told apart by their text (pypdf):

* the Dashboard fits on at most two pages;
* RFM repeats its header row on every page;
* no page of a table holds a single column: every page carries every header,
  so a sheet is never cut into strips of columns.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from conftest import require_tool
from pypdf import PdfReader

from xlcrm.jobs import run_job
from xlcrm.xlsx import sample as sm
from xlcrm.xlsx.columns import SHEET_NAMES
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.writer import write_results

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

TABLES = ("rfm", "lifecycle", "followups", "quality")
FOOTER = re.compile(r"^\s*(.+?)\s+(?:Page \d+ of \d+|第 \d+ 页，共 \d+ 页)\s*$")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    """lang -> sheet name -> the text of each of its printed pages."""
    require_tool("soffice")
    tmp = tmp_path_factory.mktemp("printing")
    books = []
    for lang in ("en", "zh"):
        sample = sm.generate_sample(customers=600, lang=lang)
        source = sm.write_sample(sample, tmp / f"sample_{lang}.xlsx")
        job = run_job(read_workbook(source, lang=lang), today=dt.date(2026, 6, 30), lang=lang)
        books.append(write_results(job.analysis, job.data, tmp / f"book_{lang}.xlsx", lang=lang))
    profile = tmp / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp / "pdf"),
            *map(str, books),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    out: dict[str, dict[str, list[str]]] = {}
    for lang, book in zip(("en", "zh"), books, strict=True):
        pages: dict[str, list[str]] = {}
        for page in PdfReader(tmp / "pdf" / f"{book.stem}.pdf").pages:
            text = page.extract_text()
            names = [m.group(1) for line in text.splitlines() if (m := FOOTER.match(line))]
            assert len(names) == 1, text[-300:]
            pages.setdefault(names[0], []).append(text)
        out[lang] = pages
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_sheet_prints_and_the_dashboard_takes_at_most_two_pages(
    printed: dict[str, dict[str, list[str]]], lang: str
) -> None:
    pages = printed[lang]
    names = {SHEET_NAMES[key][lang] for key in ("dashboard", *TABLES, "settings")}
    assert names <= set(pages)
    dashboard = pages[SHEET_NAMES["dashboard"][lang]]
    assert 1 <= len(dashboard) <= 2
    title = {"en": "Customer dashboard", "zh": "客户分析仪表盘"}[lang]
    assert title in dashboard[0]
    tiers = {"en": "by lifecycle tier", "zh": "按生命周期阶段"}[lang]
    assert any(tiers in page for page in dashboard)  # the second half is printed too


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rfm_repeats_its_header_row_on_every_page(
    printed: dict[str, dict[str, list[str]]], lang: str
) -> None:
    rfm = printed[lang][SHEET_NAMES["rfm"][lang]]
    assert len(rfm) >= 3
    header = {"en": "Customer ID", "zh": "客户编号"}[lang]
    score = {"en": "R score", "zh": "R评分"}[lang]
    for page in rfm:
        assert header in page and score in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_holds_a_single_column(printed: dict[str, dict[str, list[str]]], lang: str) -> None:
    from xlcrm.xlsx.columns import header

    first_last = {
        "rfm": ("customer_id", "revenue_share"),
        "lifecycle": ("customer_id", "churn_reason"),
        "followups": ("customer_id", "grade_source"),
        "quality": ("sheet", "effect"),
    }
    for key, (first, last) in first_last.items():
        sheet_pages = printed[lang][SHEET_NAMES[key][lang]]
        for page in sheet_pages:
            flat = page.replace("\n", " ")
            assert header(first, lang) in flat and header(last, lang) in flat, (key, page[:200])
    settings = printed[lang][SHEET_NAMES["settings"][lang]]
    assert len(settings) == 1
