"""Every page of the English and Chinese briefs, for the team and for one owner.

WeasyPrint lays each brief out and :mod:`pagelayout` reads its boxes:
no page but the last is more than 60 % blank, no heading ends a page, no
table row is split across pages, no customer name is broken over two lines.
The PDFs also use one font family for text and charts, and the wording and
figures follow the print rules (one date style, "as of" once on the cover,
currency, 万 in Chinese, no owner columns in one owner's brief).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pagelayout import layout_problems
from pypdf import PdfReader

from xlcrm.core.analysis import Analysis, analyze
from xlcrm.core.settings import DEFAULT_SETTINGS
from xlcrm.report import build_context, render_html, to_pdf
from xlcrm.report.render import template_dir
from xlcrm.xlsx import sample as sm

pytestmark = pytest.mark.slow

OWNERS = {"en": "Alice Morgan", "zh": "王芳"}


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    out = {}
    for lang in ("en", "zh"):
        s = sm.generate_sample(customers=800, lang=lang)
        settings = DEFAULT_SETTINGS.replace(currency=sm.CURRENCY[lang], currency_decimals=2)
        out[lang] = analyze(s.orders, s.customers, s.activities, as_of=s.as_of, settings=settings)
    return out


@pytest.fixture(scope="module")
def briefs(analyses: dict[str, Analysis]) -> dict[tuple[str, bool], dict[str, Any]]:
    """(lang, one owner?) -> context, HTML and PDF bytes."""
    out = {}
    for lang, analysis in analyses.items():
        for single in (False, True):
            context = build_context(analysis, lang=lang, owner=OWNERS[lang] if single else None)
            html = render_html(context)
            out[lang, single] = {"context": context, "html": html, "pdf": to_pdf(html)}
    return out


CASES = [("en", False), ("en", True), ("zh", False), ("zh", True)]


@pytest.mark.parametrize(("lang", "single"), CASES)
def test_every_page_is_laid_out_like_a_report(
    briefs: dict[tuple[str, bool], dict[str, Any]], lang: str, single: bool
) -> None:
    html = briefs[lang, single]["html"]
    assert layout_problems(html, str(template_dir())) == []


def _font_families(pdf: bytes, tmp: Path) -> set[str]:
    path = tmp / "b.pdf"
    path.write_bytes(pdf)
    names = set()
    for page in PdfReader(path).pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            base = str(ref.get_object()["/BaseFont"]).lstrip("/")
            base = base.split("+", 1)[-1]  # subset prefix
            names.add(re.sub(r"-(Bold|Oblique|Italic|Regular|Medium|Light)$", "", base))
    return names


@pytest.mark.parametrize(("lang", "single"), CASES)
def test_text_and_charts_share_one_font_family(
    briefs: dict[tuple[str, bool], dict[str, Any]], lang: str, single: bool, tmp_path: Path
) -> None:
    families = _font_families(briefs[lang, single]["pdf"], tmp_path)
    assert len(families) == 1, families
    if lang == "zh":
        assert "CJK" in families.pop()


def _text(pdf: bytes, tmp: Path) -> list[str]:
    path = tmp / "t.pdf"
    path.write_bytes(pdf)
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cover_says_as_of_once_and_every_date_has_one_style(
    briefs: dict[tuple[str, bool], dict[str, Any]], lang: str, tmp_path: Path
) -> None:
    pages = _text(briefs[lang, False]["pdf"], tmp_path)
    as_of = {"en": "as of", "zh": "截至"}[lang]
    assert pages[0].casefold().count(as_of) == 1
    everything = "\n".join(pages)
    assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日", everything)
    assert not re.search(r"\d{1,2} (January|February|March|April|May|June|July)", everything)
    assert re.search(r"20\d\d-\d\d-\d\d", pages[0])


def test_money_carries_the_currency_and_chinese_cards_count_in_wan(
    briefs: dict[tuple[str, bool], dict[str, Any]],
) -> None:
    en, zh = briefs["en", False]["context"], briefs["zh", False]["context"]
    revenue_en = next(f["value"] for f in en["figures"] if f["label"] == "Revenue")
    revenue_zh = next(f["value"] for f in zh["figures"] if f["label"] == "销售额")
    assert re.fullmatch(r"\$\d{1,3}(,\d{3})+", revenue_en)
    assert re.fullmatch(r"¥[\d,]+(\.\d)?万", revenue_zh)
    svg = str(zh["charts"][1]["svg"])  # revenue per RFM class
    assert "万" in svg and "¥" in svg


def test_fractional_thresholds_read_as_whole_days_and_orders(
    analyses: dict[str, Analysis], briefs: dict[tuple[str, bool], dict[str, Any]]
) -> None:
    cuts = analyses["en"].thresholds
    context = briefs["en", False]["context"]
    assert cuts["frequency"] != int(cuts["frequency"])  # the mean: a fraction
    text = " ".join(context["cuts"]) + " ".join(s["definition"] for s in context["class_sections"])
    assert not re.search(r"\d\.\d+ (orders|purchases|days)", text)
    assert f"at least {int(cuts['frequency']) + 1} orders" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_owners_brief_has_no_owner_columns_and_no_owner_chart(
    briefs: dict[tuple[str, bool], dict[str, Any]], lang: str
) -> None:
    owner_word = {"en": "Owner", "zh": "负责人"}[lang]
    single, team = briefs[lang, True], briefs[lang, False]
    assert f"<th>{owner_word}</th>" not in single["html"]
    assert f"<th>{owner_word}</th>" in team["html"]
    assert len(single["context"]["charts"]) == len(team["context"]["charts"]) - 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_prospect_section_counts_by_grade_instead_of_dashes(
    briefs: dict[tuple[str, bool], dict[str, Any]], analyses: dict[str, Analysis], lang: str
) -> None:
    section = next(
        s for s in briefs[lang, False]["context"]["tier_sections"] if s["code"] == "potential"
    )
    prospects = section["prospects"]
    values = [x["value"] for x in prospects["stats"]]
    assert "—" not in values
    customers = analyses[lang].customers
    potential = customers[customers["tier"] == "potential"]
    assert values[0] == f"{len(potential):,}"
    assert [int(v.replace(",", "")) for v in values[1:]] == [
        int((potential["grade"] == g).sum()) for g in "ABCDE"
    ]
    assert prospects["rows"] and prospects["owners"]
    assert [r["grade"] for r in prospects["rows"]] == sorted(r["grade"] for r in prospects["rows"])
