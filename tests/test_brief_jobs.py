"""The brief and email use cases (jobs.write_brief, jobs.email_book) and their outcomes."""

from __future__ import annotations

import datetime as dt
import os
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from xlcrm import jobs, report
from xlcrm.cli import cli
from xlcrm.core.errors import OutputError, SettingsError
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.sample import OWNERS, generate_sample, write_sample

STAND_IN = b"%PDF-1.7 stand-in\n"


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(
        generate_sample(customers=60, seed=5), tmp_path_factory.mktemp("book") / "shop.xlsx"
    )


@pytest.fixture(scope="module")
def job(sample_book: Path) -> jobs.Job:
    return jobs.run_job(read_workbook(sample_book), today=dt.date(2030, 1, 1))


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """No WeasyPrint: the brief's context is built, the PDF is a few bytes."""
    owners: list[str | None] = []

    def render_pdf(analysis: Any, *, lang: str, owner: str | None = None, **kw: Any) -> bytes:
        report.build_context(analysis, lang=lang, owner=owner, **kw)
        owners.append(owner)
        return STAND_IN

    monkeypatch.setattr(report, "render_pdf", render_pdf)
    return owners


@pytest.fixture
def no_smtp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for var in list(os.environ):
        if var.startswith("XLCRM_SMTP_"):
            monkeypatch.delenv(var)
    return {"XLCRM_STATE_DIR": str(tmp_path / "state")}


# --- write_brief ---------------------------------------------------------------------------


def test_brief_path_defaults_beside_the_book(tmp_path: Path) -> None:
    book = tmp_path / "shop.xlsx"
    assert jobs.brief_path(book) == tmp_path / "shop.brief.pdf"
    assert jobs.brief_path(book, html=True) == tmp_path / "shop.brief.html"
    assert jobs.brief_path(book, tmp_path / "x.pdf") == tmp_path / "x.pdf"


def test_write_brief_refuses_a_folder_and_the_workbook_itself(
    job: jobs.Job, sample_book: Path, tmp_path: Path
) -> None:
    before = sample_book.read_bytes()
    with pytest.raises(OutputError, match="is a folder"):
        jobs.write_brief(job, tmp_path, html=True)
    with pytest.raises(OutputError, match="would overwrite the workbook"):
        jobs.write_brief(job, sample_book, html=True, book=sample_book)
    assert sample_book.read_bytes() == before


def test_write_brief_reports_what_it_wrote(job: jobs.Job, tmp_path: Path) -> None:
    target = tmp_path / "alice.html"
    done = jobs.write_brief(job, target, owner="  alice   MORGAN ", html=True)
    assert done.path == target and done.size == target.stat().st_size
    assert done.owner == "Alice Morgan"  # as written on the Customers sheet
    assert done.as_of == job.analysis.as_of and done.lang == "en" and done.html
    assert "Alice Morgan" in target.read_text(encoding="utf-8")


def test_write_brief_into_a_missing_folder_is_one_clear_error(
    job: jobs.Job, tmp_path: Path
) -> None:
    target = tmp_path / "no such folder" / "b.html"
    with pytest.raises(OutputError) as info:
        jobs.write_brief(job, target, html=True)
    line = str(info.value)
    assert line.startswith(f"{target}: cannot write the file: ") and "close the file" in line
    assert list(tmp_path.iterdir()) == []


# --- email_book ----------------------------------------------------------------------------


def test_dry_run_plans_per_owner_and_renders_nothing(
    job: jobs.Job, stand_in: list[str | None], no_smtp_env: dict[str, str]
) -> None:
    done = jobs.email_book(job, mode="dry_run", per_owner=True, env=no_smtp_env)
    assert stand_in == []
    assert [b.owner for b in done.briefs] == [
        "Alice Morgan",
        "Ben Carter",
        "Chloe Nguyen",
        "David Okafor",
        "Elena Rossi",
    ]
    assert done.briefs[0].filename == "xlcrm-brief-2026-06-30-Alice-Morgan.pdf"
    assert not any(b.sent_before for b in done.briefs)
    (problem,) = done.problems
    assert problem.startswith("owner 'Farid Haddad' (")
    assert not done.ok and done.drafts == () and done.deliveries == ()


def test_drafts_mode_writes_one_eml_per_brief(
    job: jobs.Job, stand_in: list[str | None], no_smtp_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "drafts"
    done = jobs.email_book(
        job, mode="drafts", to=["boss@shop.example"], eml_dir=folder, env=no_smtp_env
    )
    assert stand_in == [None]
    assert done.ok and done.drafts == (folder / "xlcrm-brief-2026-06-30.eml",)
    draft = message_from_bytes(done.drafts[0].read_bytes(), policy=default)
    assert isinstance(draft, EmailMessage)
    (attachment,) = draft.iter_attachments()
    assert attachment.get_content() == STAND_IN


def test_send_mode_checks_the_smtp_settings_before_rendering(
    job: jobs.Job, stand_in: list[str | None], no_smtp_env: dict[str, str]
) -> None:
    with pytest.raises(SettingsError, match="no SMTP server"):
        jobs.email_book(job, mode="send", to=["boss@shop.example"], env=no_smtp_env)
    assert stand_in == []


def test_email_dry_run_in_chinese_prints_no_english_words(
    sample_book: Path, no_smtp_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLCRM_STATE_DIR", no_smtp_env["XLCRM_STATE_DIR"])
    args = ["email", str(sample_book), "--per-owner", "--dry-run", "--lang", "zh"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2  # Farid Haddad has no address
    text = re.sub(r"xlcrm-brief-[\w.-]+\.pdf|[\w.]+@[\w.]+", "", result.output)
    for data in (*(name for name, _ in OWNERS["en"]), "xlcrm", "STARTTLS"):
        text = text.replace(data, "")
    assert "试运行" in text and "位客户" in text and "没有邮件地址" in text
    assert re.search(r"[A-Za-z]{2,}", text) is None, text
