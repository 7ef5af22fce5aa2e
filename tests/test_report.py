"""The PDF brief: context, HTML snapshot, real WeasyPrint PDFs, the report command.

PDFs are never compared by bytes or pixels: we check extracted text, page
count, metadata and that WeasyPrint logged nothing. Set
``XLCRM_UPDATE_SNAPSHOTS=1`` to rewrite ``tests/snapshots/*.html``.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from xlcrm import report
from xlcrm.cli import cli
from xlcrm.core import playbook, schema
from xlcrm.core.analysis import Analysis, analyze
from xlcrm.core.errors import XlcrmError
from xlcrm.core.settings import Settings
from xlcrm.report import charts, render
from xlcrm.xlsx.sample import generate_sample, write_sample

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("XLCRM_UPDATE_SNAPSHOTS", "") not in ("", "0")

MARKUP_NAMES = (
    "<b>Bold</b> & Sons",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|'/C calc'!A0",
)


# --- fixtures -------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# the sample workbook's own pool limits (its Settings sheet)
POOL = Settings(pool_no_deal_days=365, pool_no_contact_days=180)


def _sample_analysis(lang: str, n: int = 300, seed: int = 11) -> Analysis:
    """A sample book's analysis whose three biggest spenders have markup names."""
    sample = generate_sample(customers=n, seed=seed, lang=lang)
    first = analyze(
        sample.orders, sample.customers, sample.activities, as_of=sample.as_of, settings=POOL
    )
    top = first.customers.nlargest(3, "monetary")["customer_id"].tolist()
    customers = sample.customers.copy()
    for cid, name in zip(top, MARKUP_NAMES, strict=True):
        customers.loc[customers["customer_id"] == cid, "name"] = name
    return analyze(sample.orders, customers, sample.activities, as_of=sample.as_of, settings=POOL)


@pytest.fixture(scope="module")
def analysis_en() -> Analysis:
    return _sample_analysis("en")


@pytest.fixture(scope="module")
def analysis_zh() -> Analysis:
    return _sample_analysis("zh")


def _render(analysis: Analysis, lang: str, owner: str | None = None) -> dict[str, Any]:
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        context = report.build_context(analysis, lang=lang, owner=owner)
        html = report.render_html(context)
        pdf = report.to_pdf(html)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return {
        "context": context,
        "html": html,
        "pdf": pdf,
        "reader": reader,
        "text": text,
        "flat": re.sub(r"\s+", "", text),
        "logs": handler.records,
    }


@pytest.fixture(scope="module")
def brief_en(analysis_en: Analysis) -> dict[str, Any]:
    return _render(analysis_en, "en")


@pytest.fixture(scope="module")
def brief_zh(analysis_zh: Analysis) -> dict[str, Any]:
    return _render(analysis_zh, "zh")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- formatters -------------------------------------------------------------------------


def test_formatters_group_thousands_and_mark_missing_values() -> None:
    assert report.fmt_int(1234.4) == "1,234"
    assert report.fmt_int(None) == "—"
    assert report.fmt_money(1234567.8) == "1,234,568"
    assert report.fmt_money(-1234.5, "¥") == "-¥1,235"  # money rounds half away from zero
    assert report.fmt_money(10, "RMB") == "RMB 10"
    assert report.fmt_money(10, "元") == "10元"
    assert report.fmt_money_short(24_652_980, "¥", "zh") == "¥2,465万"
    assert report.fmt_money_short(24_652_980, "$", "en") == "$24.7M"
    assert report.fmt_money_short(27_623, "¥", "zh", top=15_397_043) == "¥3万"
    assert report.fmt_money(float("nan"), "$") == "—"
    assert report.fmt_pct(0.4567) == "45.7%"
    assert report.fmt_pct(0.2, 0) == "20%"
    assert report.fmt_pct(pd.NA) == "—"
    assert report.fmt_date(pd.Timestamp("2024-03-05")) == "2024-03-05"
    assert report.fmt_date("2024-03-05", "zh", long=True) == "2024年3月5日"
    assert report.fmt_date("2024-03-05", "en", long=True) == "5 March 2024"
    assert report.fmt_date(pd.NaT) == "—"


def test_counts_in_words_take_the_singular_for_one() -> None:
    from xlcrm.report.sections import cut_texts, days_text

    assert days_text(1, "en") == "1 day"
    assert days_text(1.4, "en") == "1 day"  # as shown, rounded
    assert days_text(2, "en") == "2 days"
    assert days_text(1, "zh") == "1 天"
    cuts = cut_texts({"recency_days": 1, "frequency": 1.0, "monetary": 50.0}, "¥", "en")
    assert cuts == [
        "R high: bought today",
        "F high: at least 2 orders",
        "M high: spent more than ¥50",
    ]
    # whole days and orders, as the classes apply the cut (days < 177.02, orders > 12.2)
    cuts = cut_texts({"recency_days": 177.02, "frequency": 12.2, "monetary": 5}, "", "en")
    assert cuts[:2] == ["R high: bought in the last 177 days", "F high: at least 13 orders"]
    cuts = cut_texts({"recency_days": 2, "frequency": 0.5, "monetary": 5}, "", "zh")
    assert cuts[:2] == ["R 高：1 天内有购买", "F 高：至少购买 1 次"]


def test_formatters_are_jinja_filters() -> None:
    env = render.environment("en")
    for name in ("fmt_money", "fmt_pct", "fmt_date", "fmt_int"):
        assert env.filters[name] is getattr(report, name)


def test_templates_are_found_beside_the_package_or_in_the_repo() -> None:
    assert (report.template_dir() / "base.html").is_file()
    assert (report.template_dir() / "report.css").is_file()


def test_templates_hold_no_web_urls() -> None:
    for path in report.template_dir().iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name


# --- HTML snapshot of a small fixed context -------------------------------------------


def small_context() -> dict[str, Any]:
    """A hand-made context: one class, one tier, two agenda rows, one churn row."""
    stats = [
        {"label": "Customers", "value": "2"},
        {"label": "Revenue", "value": "¥3,000"},
        {"label": "Share of revenue", "value": "75.0%"},
        {"label": "Average order value", "value": "¥600"},
        {"label": "Median days since purchase", "value": "12 days"},
        {"label": "Typical number of orders", "value": "5"},
    ]
    top = [
        {
            "name": "<b>Bold</b> & Sons",
            "id": "C001",
            "owner": "Ann",
            "revenue": "¥2,000",
            "orders": "6",
            "recency": "10",
            "other": "Mature",
        }
    ]
    section = {
        "id": "class-important_value",
        "code": "important_value",
        "title": "Important value",
        "definition": "Bought in the last 30 days, more than 3 orders, spent more than ¥500.",
        "summary": "Your best customers.",
        "stats": stats,
        "pitfalls": ["Taking them for granted."],
        "actions": ["Thank them in person."],
        "top": top,
        "top_more": "… and 1 more",
        "top_title": "Top customers: Important value",
        "other_label": "Tier",
        "prospects": None,
    }
    tier = {**section, "id": "tier-mature", "code": "mature", "title": "Mature", "top_more": ""}
    tier["other_label"] = "RFM class"
    tier["top_title"] = "Top customers: Mature"
    prospects = {
        "stats": [
            {"label": "Prospects", "value": "2"},
            {"label": "Grade A: closing", "value": "1"},
        ],
        "grades": [{"grade": "A", "meaning": "closing within 30 days", "count": "1"}],
        "owners": [{"owner": "Ann & Bo", "counts": ["1", ""], "total": "1"}],
        "owners_more": "",
        "rows": [
            {
                "name": "<i>Lead</i> Ltd",
                "id": "P01",
                "owner": "Ann & Bo",
                "grade": "A",
                "meaning": "closing within 30 days",
                "last_contact": "2024-06-01",
                "next_followup": "2024-06-02",
            }
        ],
        "more": "… and 1 more",
        "note": "1 prospect has no grade.",
    }
    potential = {**tier, "id": "tier-potential", "code": "potential", "title": "Potential"}
    potential.update(top=[], top_more="", top_title="Top customers: Potential", prospects=prospects)
    call = {
        "priority": "1",
        "name": '=HYPERLINK("x")',
        "id": "C002",
        "grade": "A",
        "why": "overdue by 2 days; expected close 2024-06-01 passed: re-qualify",
        "value": "¥1,200",
    }
    return {
        "lang": "en",
        "contents": [
            {"href": "#overview", "title": "Overview", "sub": False},
            {"href": "#class-important_value", "title": "Important value", "sub": True},
        ],
        "meta": {
            "title": "Customer segment strategy brief · Tiny & Co",
            "author": "Tiny & Co",
            "created": "2024-06-30",
            "description": "Customer segment strategy brief",
        },
        "company": "Tiny & Co",
        "team": True,
        "brief": "Customer segment strategy brief",
        "as_of": "2024-06-30",
        "footer": "as of 2024-06-30",
        "audience": "the whole sales team",
        "figures": [
            {"label": "Customers", "value": "3", "note": ""},
            {"label": "Revenue from the top 20% of buyers", "value": "66.7%", "note": "1 customer"},
        ],
        "cuts": ["R high: last purchase fewer than 30 days ago"],
        "charts": [
            {
                "title": "Customers per RFM class",
                "svg": charts.bar_chart(
                    [charts.Bar("Important value", 2, "2"), charts.Bar("A <&> B", 1, "1")],
                    title="Customers per RFM class",
                ),
                "wide": False,
            },
            {
                "title": "Revenue concentration (Pareto)",
                "svg": charts.pareto_chart(
                    [(0.5, 0.8), (1.0, 1.0)],
                    title="Revenue concentration (Pareto)",
                    x_label="share of buying customers",
                    y_label="share of revenue",
                    marker=(0.5, 0.8),
                    marker_label="top 50%: 80.0%",
                ),
                "wide": True,
            },
        ],
        "class_sections": [section],
        "tier_sections": [potential, tier],
        "agenda": {
            "title": "Call plan: Fri 2024-06-28 and the week",
            "intro": "2 calls on Fri 2024-06-28, 3 in the 5 working days to Thu 2024-07-04.",
            "day": "Fri 2024-06-28",
            "groups": [
                {
                    "owner": "Ann",
                    "count": "2",
                    "rows": [call, {**call, "priority": "2", "why": "due", "grade": "B"}],
                    "more": "",
                    "week": [
                        {"day": "Mon 2024-07-01", "count": "1"},
                        {"day": "Tue 2024-07-02", "count": "0"},
                    ],
                }
            ],
            "more_owners": "",
            "backlog": {
                "intro": "1 follow-up is due by Thu 2024-07-04 but does not fit.",
                "grades": ["D"],
                "rows": [{"owner": "Ann", "counts": ["1"], "total": "1"}],
                "total": ["1", "1"],
                "top_title": "The most valuable overdue follow-ups not planned",
                "top": [
                    {
                        "name": "Tom & Jerry",
                        "id": "C003",
                        "owner": "Ann",
                        "grade": "D",
                        "overdue": "9 days",
                        "value": "¥900",
                    }
                ],
            },
        },
        "pool": {
            "count": 1,
            "intro": "1 customer has an owner who neither sold to nor contacted them for long.",
            "rows": [
                {
                    "name": "Old & Co",
                    "id": "C004",
                    "owner": "Ann",
                    "value": "¥50",
                    "reason": "return to pool: no purchase for 400 days, no contact for 200 days",
                }
            ],
            "more": "",
            "title": "Return to the pool (公海)",
        },
        "churn": {
            "intro": "1 customer shows warning signs.",
            "rows": [
                {
                    "name": "Tom & Jerry",
                    "id": "C003",
                    "owner": "—",
                    "tier": "Repeat",
                    "revenue": "¥1,000",
                    "last_purchase": "2024-01-02",
                    "recency": "180",
                    "median_gap": "30 days",
                    "reason": "no purchase for 180 days, 6× the usual gap of 30 days",
                }
            ],
            "more": "… and 4 more",
        },
        "value": small_value_context(),
    }


def small_value_context() -> dict[str, Any]:
    """The value pages of the small context: one customer, both fits, a 3-week check."""
    svg = charts.line_chart(
        [
            (charts.Series("predicted", charts.ACCENT), [2.0, 2.5, 1.5]),
            (charts.Series("actual", charts.WARN), [3.0, 1.0, 2.0]),
        ],
        title="Holdout check",
        x_label="week after 2024-06-09",
    )
    return {
        "title": "Customer value",
        "appendix_title": "Appendix: the value model",
        "reason": "",
        "intro": "Expected value is what a customer is likely to spend.",
        "figures": [
            {"label": "Expected value, next 12 months", "value": "¥1,200", "note": ""},
            {"label": "Value at risk", "value": "¥300", "note": "25% of the expected value"},
        ],
        "top": [
            {
                "name": "<b>Bold</b> & Sons",
                "id": "C001",
                "owner": "Li",
                "p_alive": "91%",
                "purchases": "1.4",
                "aov": "¥310",
                "value": "¥1,200",
                "margin": "¥420",
                "warned": True,
            }
        ],
        "has_margin": True,
        "params": [
            {"model": "BG/NBD", "fitted": "r = 0.243", "ll": "-9,582.4", "n": "2,357"},
        ],
        "check": {"title": "Holdout check", "text": "5 predicted; 6 happened.", "svg": svg},
        "w": {
            key: key.replace("_", " ").capitalize()
            for key in (
                "customer",
                "id",
                "owner",
                "top",
                "warned_note",
                "p_alive",
                "purchases",
                "aov",
                "expected",
                "margin",
                "model",
                "params",
                "ll",
                "customers",
                "model_intro",
            )
        },
    }


def _shape(value: Any) -> Any:
    """Nested key structure of a context (lists by their first item)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_shape(value[0])]
    return type(value).__name__ if isinstance(value, bool) else "value"


def test_html_snapshot_of_a_small_context() -> None:
    html = report.render_html(small_context())
    path = SNAPSHOTS / "brief_small.html"
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8")


def test_small_context_has_the_shape_of_a_real_one(analysis_en: Analysis) -> None:
    # three calls a day per owner: the plan has a backlog to show
    busy = dataclasses.replace(analysis_en, settings=analysis_en.settings.replace(daily_calls=3))
    real = report.build_context(busy, lang="en")
    small = small_context()
    small_value, real_value = small.pop("value"), real.pop("value")
    assert _shape(small) == _shape(real)
    if analysis_en.value.reason is not None:
        # a small book may have too little spread in spend for a spend model: then its
        # value pages say why, and are checked against the default sample book's below
        assert real_value["figures"] == [] and real_value["reason"]
        sample = generate_sample()
        valued = analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)
        assert valued.value.reason is None
        real_value = report.build_context(valued, lang="en")["value"]
    assert _shape(small_value) == _shape(real_value)


def test_html_escapes_markup_in_data() -> None:
    html = report.render_html(small_context())
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Sons" in html
    assert "<b>Bold" not in html
    assert "A &lt;&amp;&gt; B" in html  # chart labels are escaped too
    assert "Tiny &amp; Co" in html


# --- context -----------------------------------------------------------------------------


def test_context_has_a_section_per_class_and_tier_present(analysis_en: Analysis) -> None:
    ctx = report.build_context(analysis_en, lang="en")
    frame = analysis_en.customers
    present = [c for c in schema.RFM_CLASSES if (frame["rfm_class"] == c).any()]
    assert [s["code"] for s in ctx["class_sections"]] == present
    tiers = [c for c in schema.TIERS if (frame["tier"] == c).any()]
    assert [s["code"] for s in ctx["tier_sections"]] == tiers
    first = ctx["class_sections"][0]
    assert first["actions"] == playbook.entry("class", first["code"], "en")["actions"]
    counts = frame["rfm_class"].value_counts()
    assert first["stats"][0]["value"] == report.fmt_int(counts[first["code"]])


def test_context_does_not_change_the_analysis(analysis_en: Analysis) -> None:
    before = analysis_en.customers.copy()
    report.build_context(analysis_en, lang="zh", owner=None)
    pd.testing.assert_frame_equal(analysis_en.customers, before)


def test_lists_are_capped_whatever_the_customer_count() -> None:
    big = _sample_analysis("en", n=3000, seed=5)
    ctx = report.build_context(big, lang="en")
    top_n = big.settings.top_customers
    assert all(len(s["top"]) <= top_n for s in ctx["class_sections"])
    assert all(len(s["top"]) <= report.TIER_TOP for s in ctx["tier_sections"])
    assert all(len(g["rows"]) <= report.AGENDA_CALLS for g in ctx["agenda"]["groups"])
    assert len(ctx["agenda"]["backlog"]["top"]) <= report.BACKLOG_ROWS
    assert len(ctx["churn"]["rows"]) <= report.CHURN_ROWS
    flagged = int(big.customers["churn_warning"].sum())
    if flagged > report.CHURN_ROWS:
        assert ctx["churn"]["more"] == f"… and {flagged - report.CHURN_ROWS:,} more"


def test_owner_filter_keeps_only_that_owners_customers(analysis_en: Analysis) -> None:
    owners = analysis_en.customers["owner"].dropna()
    owner = owners.value_counts().index[0]
    mine = analysis_en.customers[analysis_en.customers["owner"] == owner]
    ctx = report.build_context(analysis_en, lang="en", owner=owner.upper())
    assert ctx["audience"] == owner
    assert ctx["figures"][0]["value"] == report.fmt_int(len(mine))
    listed = {r["owner"] for s in ctx["class_sections"] for r in s["top"]}
    assert listed == {owner}
    assert [g["owner"] for g in ctx["agenda"]["groups"]] in ([owner], [])
    assert {r["owner"] for r in ctx["churn"]["rows"]} <= {owner}


def test_unknown_owner_lists_the_owners_found(analysis_en: Analysis) -> None:
    with pytest.raises(XlcrmError) as info:
        report.build_context(analysis_en, lang="en", owner="Nobody Here")
    message = str(info.value)
    assert "Nobody Here" in message
    for owner in analysis_en.customers["owner"].dropna().unique():
        assert owner in message


def test_unknown_language_is_an_xlcrm_error(analysis_en: Analysis) -> None:
    with pytest.raises(XlcrmError):
        report.build_context(analysis_en, lang="fr")


# --- the PDF -------------------------------------------------------------------------------


@pytest.mark.slow
def test_english_pdf_names_classes_figures_and_actions(brief_en: dict[str, Any]) -> None:
    flat, ctx = brief_en["flat"], brief_en["context"]
    for section in ctx["class_sections"]:
        assert _flat(section["title"]) in flat
        assert _flat(section["actions"][0]) in flat
    for section in ctx["tier_sections"]:
        assert _flat(section["title"]) in flat
    for figure in ctx["figures"]:
        assert _flat(figure["value"]) in flat
    assert "Callplan:Tue2026-06-30andtheweek" in flat and "Churnwarnings" in flat
    assert "Backlog" in flat and "Returntothepool" in flat


@pytest.mark.slow
def test_chinese_pdf_has_real_chinese_text(brief_zh: dict[str, Any]) -> None:
    flat, ctx = brief_zh["flat"], brief_zh["context"]
    assert "客户细分策略简报" in flat
    for section in ctx["class_sections"]:
        assert _flat(section["title"]) in flat
        assert _flat(section["actions"][0]) in flat
    for figure in ctx["figures"]:
        assert _flat(figure["value"]) in flat
    assert "拜访计划：2026-06-30周二及本周" in flat and "流失预警" in flat and "退回公海" in flat
    # the glossary's terms (docs/glossary.md): revenue is 销售额, a lifecycle tier 生命周期阶段
    assert "销售额" in flat and "生命周期阶段" in flat
    assert "收入" not in flat and "层级" not in flat
    # no tofu: every glyph maps back to a character, so nothing extracts as U+FFFD or blank boxes
    assert "\ufffd" not in brief_zh["text"] and "□" not in brief_zh["text"]
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in brief_zh["reader"].pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("CJK" in f or "YaHei" in f or "PingFang" in f for f in fonts), fonts


@pytest.mark.slow
def test_pdf_page_count_stays_short(brief_en: dict[str, Any], brief_zh: dict[str, Any]) -> None:
    for brief in (brief_en, brief_zh):
        assert 8 <= len(brief["reader"].pages) <= 22


@pytest.mark.slow
def test_pdf_metadata_has_title_author_and_date(brief_en: dict[str, Any]) -> None:
    meta = brief_en["reader"].metadata
    ctx = brief_en["context"]
    assert meta.title == ctx["meta"]["title"]
    assert meta.author == ctx["company"]
    assert meta.creation_date is not None
    assert meta.creation_date.date().isoformat() == ctx["meta"]["created"]


@pytest.mark.slow
def test_weasyprint_logs_no_warnings(brief_en: dict[str, Any], brief_zh: dict[str, Any]) -> None:
    for brief in (brief_en, brief_zh):
        assert [r.getMessage() for r in brief["logs"]] == []


@pytest.mark.slow
def test_pages_carry_running_header_and_page_numbers(brief_en: dict[str, Any]) -> None:
    pages = brief_en["reader"].pages
    total = len(pages)
    for number in (2, total):
        text = pages[number - 1].extract_text()
        assert f"{number} / {total}" in text
        assert brief_en["context"]["company"] in text


@pytest.mark.slow
def test_markup_names_come_out_as_literal_text(brief_en: dict[str, Any]) -> None:
    html, flat = brief_en["html"], brief_en["flat"]
    assert "<b>Bold</b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Sons" in html
    for name in MARKUP_NAMES:
        assert _flat(name) in flat, name


# --- the command -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("book")
    path = folder / "shop.xlsx"
    write_sample(generate_sample(customers=80, seed=3, lang="en"), path)
    yield path


@pytest.mark.slow
def test_report_command_writes_the_pdf_beside_the_book(book: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(book)])
    assert result.exit_code == 0, result.output
    target = book.with_name("shop.brief.pdf")
    reader = PdfReader(target)
    text = _flat("".join(p.extract_text() for p in reader.pages))
    assert "customersegmentstrategybrief" in text.casefold()
    assert not [p for p in book.parent.iterdir() if p.name.endswith(".tmp")]


def test_report_command_html_owner_and_language(book: Path, tmp_path: Path) -> None:
    sample = generate_sample(customers=80, seed=3, lang="en")
    owner = str(sample.customers["owner"].dropna().iloc[0])
    out = tmp_path / "brief.html"
    args = ["report", str(book), "--html", "--lang", "zh", "--owner", owner, "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, "--as-of", "2026-05-31"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert "2026-05-31" in html and "2026年5月31日" not in html  # one date style
    assert owner in html


def test_report_command_unknown_owner_exits_2(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(cli, ["report", str(book), "--owner", "Nobody", "-o", str(out)])
    assert result.exit_code == 2
    assert "owners found" in result.output
    assert not out.exists()


# --- one owner, two spellings ---------------------------------------------------------------


def _two_spellings_book(path: Path, lang: str = "en") -> tuple[Path, int]:
    """A sample book where every other customer of Alice Morgan reads "Alice  Morgan"."""
    sample = generate_sample(customers=80, seed=3, lang=lang)
    customers = sample.customers.copy()
    alice = customers.index[customers["owner"] == "Alice Morgan"]
    customers.loc[alice[::2], "owner"] = "Alice  Morgan"
    sample = dataclasses.replace(sample, customers=customers)
    write_sample(sample, path)
    return path, len(alice)


def test_report_owner_treats_two_spellings_as_one_person(tmp_path: Path) -> None:
    book, n_alice = _two_spellings_book(tmp_path / "two.xlsx")
    out = tmp_path / "alice.html"
    args = ["report", str(book), "--html", "--owner", "alice morgan", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Alice  Morgan" not in html
    cover = html[: html.index('class="contents-title"')]
    assert f'<div class="value">{n_alice}</div>' in cover  # customers of both spellings


def test_team_agenda_lists_two_spellings_of_an_owner_once(tmp_path: Path) -> None:
    from xlcrm.xlsx.reader import read_workbook

    book, _ = _two_spellings_book(tmp_path / "two.xlsx")
    data = read_workbook(book)
    result = analyze(data.orders, data.customers, data.activities, as_of=data.as_of)
    ctx = report.build_context(result, lang="en")
    names = [g["owner"] for g in ctx["agenda"]["groups"]]
    assert names.count("Alice Morgan") == 1 and "Alice  Morgan" not in names


def test_unknown_owner_error_is_all_chinese_with_lang_zh(tmp_path: Path) -> None:
    book = tmp_path / "zh.xlsx"
    write_sample(generate_sample(customers=40, seed=3, lang="zh"), book)
    out = tmp_path / "x.pdf"
    args = ["report", str(book), "--lang", "zh", "--owner", "Nobody", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("xlcrm: ") and "王芳" in line and "未知" in line
    words = line.removeprefix("xlcrm: ").replace("Nobody", "")
    assert re.search(r"[A-Za-z]", words) is None, line
    assert not out.exists()


# --- the agenda: today's calls, the week, the backlog ----------------------------------


def _pages_of_agenda(ctx: dict[str, Any]) -> tuple[int, list[str]]:
    """How many pages the agenda takes: from its intro to the backlog's last row, the
    agenda's last line (the sections after it follow on the same page)."""
    pdf = report.to_pdf(report.render_html(ctx))
    pages = [re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]
    intro = re.sub(r"\s+", "", ctx["agenda"]["intro"])[:25]
    start = next(i for i, page in enumerate(pages) if intro in page)
    last = re.sub(r"\s+", "", ctx["agenda"]["backlog"]["top"][-1]["name"])
    end = next(i for i, page in enumerate(pages) if i >= start and last in page)
    return end - start + 1, pages[start : end + 1]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_agenda_of_six_owners_fits_on_two_pages(lang: str) -> None:
    sample = generate_sample(customers=2000, lang=lang)
    busy = Settings(pool_no_deal_days=365, pool_no_contact_days=180, daily_calls=12)
    result = analyze(
        sample.orders, sample.customers, sample.activities, as_of=sample.as_of, settings=busy
    )
    ctx = report.build_context(result, lang=lang)
    groups = ctx["agenda"]["groups"]
    assert len(groups) == 6 and all(len(g["rows"]) == report.AGENDA_CALLS for g in groups)
    assert len(ctx["agenda"]["backlog"]["top"]) == report.BACKLOG_ROWS
    pages, text = _pages_of_agenda(ctx)
    assert pages <= 2
    flat = "".join(text)
    for g in groups:  # every owner's first call, and the backlog's biggest, are on them
        assert re.sub(r"\s+", "", g["rows"][0]["name"]) in flat
    assert re.sub(r"\s+", "", ctx["agenda"]["backlog"]["top"][-1]["name"]) in flat


def test_agenda_lists_todays_ten_most_important_calls_then_counts_the_week(
    analysis_en: Analysis,
) -> None:
    from xlcrm.core.plan import build_plan

    few = dataclasses.replace(analysis_en, settings=analysis_en.settings.replace(daily_calls=12))
    ctx = report.build_context(few, lang="en")
    plan = build_plan(few.customers, as_of=few.as_of, settings=few.settings)
    first = plan.calls[plan.calls["date"] == plan.days[0]]
    for group in ctx["agenda"]["groups"]:
        mine = first[first["owner"].str.strip() == group["owner"]]
        assert [r["id"] for r in group["rows"]] == mine["customer_id"].head(10).tolist()
        assert [r["priority"] for r in group["rows"]] == [str(i) for i in range(1, 11)][: len(mine)]
        assert len(group["week"]) == len(plan.days) - 1
        if len(mine) > 10:
            assert group["more"] == f"… and {len(mine) - 10} more calls today"
    backlog = ctx["agenda"]["backlog"]
    assert sum(int(r["total"]) for r in backlog["rows"]) == len(plan.backlog)
    overdue = plan.backlog[plan.backlog["overdue_days"] > 0]
    assert len(backlog["top"]) == min(10, len(overdue))


def test_value_pages_show_expected_margin_only_where_margins_are_known() -> None:
    sample = generate_sample(customers=800)
    valued = analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)
    ctx = report.build_context(valued, lang="en")["value"]
    c = valued.customers
    assert ctx["has_margin"] and "in margin" in ctx["figures"][0]["note"]
    by_id = c.set_index("customer_id")["expected_margin"]
    for row in ctx["top"]:
        margin = by_id[row["id"]]
        assert (row["margin"] == "—") == bool(pd.isna(margin))
    bare_customers = sample.customers.drop(columns=["cost"])
    bare = analyze(sample.orders, bare_customers, sample.activities, as_of=sample.as_of)
    zh = report.build_context(bare, lang="zh")["value"]
    assert not zh["has_margin"] and "毛利" not in zh["figures"][0]["note"]
    html = report.render_html({**small_context(), "value": small_value_context()})
    assert "¥420" in html and "Margin" in html
