"""The analysis workbook on screen and on paper, read back with openpyxl.

Fonts, column widths, frozen columns, page setup, the Dashboard's charts and
hidden chart data, the Follow-ups highlight, the Data quality note, words for
yes/no, and the currency: its setting, its default from the workbook's number
formats, and the formats it gives.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from test_writer import FakeAnalysis, fake_analysis, fake_customers

from xlcrm.core.currency import Currency, currency_of, format_amount, format_short, money_scale
from xlcrm.core.errors import SettingsError
from xlcrm.core.settings import DEFAULT_SETTINGS, settings_from_mapping
from xlcrm.jobs import run_job
from xlcrm.palette import CLASS_COLOURS, TIER_COLOURS
from xlcrm.xlsx import sample as sm
from xlcrm.xlsx.dashsheet import PAGE_ROWS
from xlcrm.xlsx.money import money_format, symbols_in_format, workbook_currency
from xlcrm.xlsx.printing import FONTS, text_width, wrapped_lines
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.writer import write_results

AS_OF = pd.Timestamp("2026-06-30")
SHEETS = {
    "en": ("Dashboard", "RFM", "Lifecycle", "Follow-ups", "Data quality", "Settings"),
    "zh": ("仪表盘", "RFM分析", "生命周期", "跟进计划", "数据质量", "设置"),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The analysis workbook of a 400-customer sample, per language."""
    tmp = tmp_path_factory.mktemp("print")
    out = {}
    for lang in ("en", "zh"):
        source = sm.write_sample(
            sm.generate_sample(customers=400, lang=lang), tmp / f"s_{lang}.xlsx"
        )
        job = run_job(read_workbook(source, lang=lang), today=dt.date(2026, 6, 30), lang=lang)
        out[lang] = write_results(job.analysis, job.data, tmp / f"out_{lang}.xlsx", lang=lang)
    return out


def _width(ws: Any, letter: str) -> float:
    return float(ws.column_dimensions[letter].width or 8.43)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_cell_and_chart_text_names_the_one_font(books: dict[str, Path], lang: str) -> None:
    wb = openpyxl.load_workbook(books[lang])
    families = {
        cell.font.name
        for ws in wb.worksheets
        if ws.sheet_state == "visible"
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert families == {FONTS[lang]}
    with zipfile.ZipFile(books[lang]) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        faces = {f for n in charts for f in re.findall(r'typeface="([^"]*)"', zf.read(n).decode())}
        styles = zf.read("xl/styles.xml").decode()
    assert len(charts) == 4 and faces == {FONTS[lang]}
    # the default font too, without Excel's theme "minor" scheme that would override the name
    first_font = re.search(r"<font>.*?</font>", styles, re.S)
    assert first_font and f'val="{FONTS[lang]}"' in first_font.group(0)
    assert "scheme" not in first_font.group(0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_headers_fit_with_their_filter_button(books: dict[str, Path], lang: str) -> None:
    wb = openpyxl.load_workbook(books[lang])
    for name in SHEETS[lang][1:4]:
        ws = wb[name]
        for cell in ws[1]:
            needed = text_width(str(cell.value)) + 2.5
            assert _width(ws, cell.column_letter) >= needed, (name, cell.value)
    gap = {"en": "Median gap (days)", "zh": "购买间隔中位数(天)"}[lang]
    recency = {"en": "Recency", "zh": "最近购买间隔(天)"}[lang]
    for sheet, header in ((SHEETS[lang][2], gap), (SHEETS[lang][1], recency)):
        ws = wb[sheet]
        letter = next(c.column_letter for c in ws[1] if c.value == header)
        assert _width(ws, letter) >= min(19, text_width(header) + 2.5)


def test_names_up_to_thirty_characters_are_not_clipped_and_numbers_fit(tmp_path: Path) -> None:
    c = fake_customers()
    c.loc[0, "name"] = "Northern Precision Tools Ltd."  # 29 characters, the longest of five
    c.loc[1, "name"] = "江苏恒瑞精密机械制造有限公司"  # 14 CJK characters = 28 columns
    c.loc[0, "monetary"] = -12_345_678.91
    out = write_results(FakeAnalysis(c), None, tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(out)["RFM"]
    assert _width(ws, "B") >= 29 + 1
    shown = format_amount(-12_345_678.91, Currency())
    assert _width(ws, "F") >= len(shown) + 1  # Monetary: the widest number, sign included


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_id_and_name_stay_in_view_and_every_sheet_prints_landscape_one_page_wide(
    books: dict[str, Path], lang: str
) -> None:
    wb = openpyxl.load_workbook(books[lang])
    dash, rfm, life, follow, quality, settings = (wb[n] for n in SHEETS[lang])
    assert rfm.freeze_panes == life.freeze_panes == follow.freeze_panes == "C2"
    for ws in (rfm, life, follow, quality):
        assert ws.print_title_rows == "$1:$1"
        table = next(iter(ws.tables.values()))
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        last_col = re.sub(r"\d", "", table.ref.split(":")[1])
        assert re.fullmatch(rf"'?{re.escape(ws.title)}'?!\$A\$1:\${last_col}\$\d+", ws.print_area)
    for ws in (dash, rfm, life, follow, quality, settings):
        assert ws.page_setup.orientation == "landscape", ws.title
        assert "&P" in ws.oddFooter.right.text and ws.oddFooter.left.text == "&A"
    # the Dashboard: two pages at a fixed scale (fitting to pages drops manual breaks)
    assert not dash.sheet_properties.pageSetUpPr.fitToPage
    assert 30 <= dash.page_setup.scale <= 100
    assert [b.id for b in dash.row_breaks.brk] == [PAGE_ROWS]
    assert dash.print_area.endswith(f"$N${2 * PAGE_ROWS}")


def _chart_xml(book: Path) -> list[str]:
    with zipfile.ZipFile(book) as zf:
        names = sorted(n for n in zf.namelist() if n.startswith("xl/charts/chart"))
        return [zf.read(n).decode() for n in names]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dashboard_charts_use_the_brief_colours_show_values_and_keep_their_axes(
    books: dict[str, Path], lang: str
) -> None:
    charts = _chart_xml(books[lang])
    bars = [x for x in charts if "<barChart>" in x]
    assert len(bars) == 3
    class_colours = [c.lstrip("#").upper() for c in CLASS_COLOURS.values()]
    tier_colours = [c.lstrip("#").upper() for c in TIER_COLOURS.values()]
    for xml in bars:
        points = re.findall(r"<dPt>.*?</dPt>", xml, re.S)
        fills = [re.search(r'srgbClr val="([0-9A-F]{6})"', p).group(1) for p in points]  # type: ignore[union-attr]
        assert fills in (class_colours, tier_colours)
        assert '<showVal val="1" />' in xml and 'sourceLinked="0"' in xml
        assert '<barDir val="bar" />' in xml  # horizontal: labels never rotated
    for xml in charts:
        axes = re.findall(r"<(?:catAx|valAx)>.*?</(?:catAx|valAx)>", xml, re.S)
        assert len(axes) == 2 and all('<delete val="0" />' in a for a in axes)
    revenue = bars[1]
    label_format = re.search(r'<dLbls><numFmt formatCode="([^"]*)"', revenue).group(1)  # type: ignore[union-attr]
    assert (".00" not in label_format) and (
        "万" in label_format if lang == "zh" else "M" in label_format
    )


def test_dashboard_holds_no_helper_data_and_the_charts_read_a_hidden_sheet(
    books: dict[str, Path],
) -> None:
    wb = openpyxl.load_workbook(books["en"])
    ws = wb["Dashboard"]
    assert ws.max_column <= 5  # tables in A:E; only charts to the right
    assert ws.max_row <= 2 * PAGE_ROWS
    hidden = wb["xlcrm chart data"]
    assert hidden.sheet_state == "hidden"
    assert set(hidden.tables) == {"xlcrm_chart_rfm_class", "xlcrm_chart_tier", "xlcrm_chart_pareto"}
    refs = set(re.findall(r"<f>'([^']*)'!", "".join(_chart_xml(books["en"]))))
    assert refs == {"xlcrm chart data"}
    # sums without cents, the money chart in a short unit with the exact figures in the table
    revenue_cell = next(
        r[1] for r in ws.iter_rows(min_row=5, max_row=14) if r[0].value == "Revenue"
    )
    assert ".00" not in revenue_cell.number_format and "$" in revenue_cell.number_format


def test_shares_within_each_dashboard_table_add_up_to_one(books: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(books["en"])["Dashboard"]
    for name in ("xlcrm_dashboard_rfm_class", "xlcrm_dashboard_tier", "xlcrm_dashboard_segment"):
        rows = ws[ws.tables[name].ref][1:]
        assert sum(r[2].value for r in rows) == pytest.approx(1.0)


def test_follow_ups_highlight_only_the_calls_due_today(books: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(books["en"])
    ws = wb["Follow-ups"]
    column = {c.value: c.column for c in ws[1]}
    nxt, late = column["Next follow-up"], column["Days overdue"]
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    whole_rows = [f for ref, fs in rules.items() if ref.startswith("A2:") for f in fs]
    assert whole_rows == [f"${get_column_letter(nxt)}2=xlcrm_as_of"]
    # days overdue: red figures, not a red row
    assert [f"${get_column_letter(late)}2>0"] in rules.values()
    values = openpyxl.load_workbook(books["en"], data_only=True)["Follow-ups"]
    rows = list(values.iter_rows(min_row=2, values_only=True))
    due_today = sum(pd.Timestamp(r[nxt - 1]) == AS_OF for r in rows)
    overdue = sum((r[late - 1] or 0) > 0 for r in rows)
    assert 0 < due_today < len(rows) / 4 and overdue < len(rows)


def test_long_actions_wrap_with_the_height_of_their_lines(books: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(books["en"])["Follow-ups"]
    letter = next(c.column_letter for c in ws[1] if c.value == "Recommended action")
    width = _width(ws, letter)
    assert 50 <= width <= 62
    for row in range(2, 40):
        cell = ws[f"{letter}{row}"]
        lines = wrapped_lines(str(cell.value), width)
        assert cell.alignment.wrap_text
        height = ws.row_dimensions[row].height
        assert (height or 15) >= 15 * lines


def test_wrapped_lines_keep_words_whole_and_break_cjk_anywhere() -> None:
    assert wrapped_lines("aaa bbb ccc", 9.5) == 2  # 8 usable: "aaa bbb" / "ccc"
    assert wrapped_lines("short", 60) == 1
    assert wrapped_lines("一二三四五六七八九十", 11.5) == 2  # 10 usable = five characters
    assert wrapped_lines("x" * 25, 11.5) == 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_data_quality_without_problems_says_so_and_what_was_checked(
    books: dict[str, Path], lang: str
) -> None:
    ws = openpyxl.load_workbook(books[lang])[SHEETS[lang][4]]
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    table_end = int(ws.tables["xlcrm_quality"].ref.split(":")[1][1:])
    assert ws.max_row > table_end + 7  # the note, under the table of notices
    note = [c.value for c in ws["A"][table_end + 1 :] if c.value]
    assert note[0] == {"en": "No problems found.", "zh": "未发现问题。"}[lang]
    assert re.search(r"\d[\d,]* (order rows|行订单)", note[1])
    assert len(note) >= 7 and texts  # the checks, one per line


def test_data_quality_with_a_problem_has_no_such_note(tmp_path: Path) -> None:
    from test_writer import QUALITY

    out = write_results(fake_analysis(), QUALITY, tmp_path / "q.xlsx")
    ws = openpyxl.load_workbook(out)["Data quality"]
    assert ws.max_row == 1 + len(QUALITY)


def test_churn_warning_reads_as_words_in_the_workbook_language(books: dict[str, Path]) -> None:
    for lang, words in (("en", {"Yes", "No"}), ("zh", {"是", "否"})):
        ws = openpyxl.load_workbook(books[lang])[SHEETS[lang][2]]
        col = next(c.column_letter for c in ws[1] if c.value in ("Churn warning", "流失预警"))
        assert {c.value for c in ws[col][1:]} == words


# --- currency ---------------------------------------------------------------------


def test_currency_symbols_decimals_and_short_sums() -> None:
    assert currency_of("usd") == Currency("$", 2)
    assert currency_of("JPY") == Currency("¥", 0)
    assert currency_of("¥", 0).decimals == 0
    assert format_amount(-1234.5, currency_of("CNY")) == "-¥1,234.50"
    assert format_amount(1234.5, currency_of("元"), whole=True) == "1,235元"
    assert format_amount(10, currency_of("CHF")) == "CHF 10.00"
    assert format_short(24_652_980, currency_of("$"), "en") == "$24.7M"
    assert format_short(24_652_980, currency_of("¥"), "zh") == "¥2,465万"
    assert format_short(2_465_298_000, currency_of("¥"), "zh") == "¥24.7亿"
    assert format_short(8_500, currency_of(""), "zh") == "8,500"
    assert money_scale(99_999, "zh").divisor == 1 and money_scale(100_000, "zh").suffix == "万"


def test_excel_money_formats_follow_the_currency() -> None:
    assert money_format(currency_of("$")) == '"$"#,##0.00;-"$"#,##0.00'
    assert money_format(currency_of("$"), whole=True) == '"$"#,##0;-"$"#,##0'
    assert money_format(currency_of("元")) == '#,##0.00"元";-#,##0.00"元"'
    assert money_format(Currency()) == "#,##0.00"
    scale = money_scale(16e6, "zh")
    assert money_format(currency_of("¥"), scale=scale) == '"¥"#,##0"万";-"¥"#,##0"万"'


def test_currency_read_from_number_formats_only_when_one_is_clear() -> None:
    assert symbols_in_format('"¥"#,##0.00') == [("¥", 2)]
    assert symbols_in_format("[$€-407] #,##0") == [("€", 0)]
    assert symbols_in_format("#,##0.00;[Red]-#,##0.00") == []
    assert symbols_in_format('#,##0.00"元"') == [("元", 2)]
    assert symbols_in_format('0" days"') == []


def _book_with_formats(path: Path, formats: list[str], settings: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Customer ID", "Order date", "Amount"])
    for i, fmt in enumerate(formats, start=2):
        ws.append([f"C{i}", dt.date(2026, 1, i), 100.0 * i])
        ws.cell(row=i, column=3).number_format = fmt
    if settings:
        s = wb.create_sheet("Settings")
        s.append(["Setting", "Value"])
        for row in settings:
            s.append(row)
    wb.save(path)
    return path


def test_a_job_takes_the_currency_of_the_amounts_unless_the_settings_name_one(
    tmp_path: Path,
) -> None:
    one = _book_with_formats(tmp_path / "a.xlsx", ['"€"#,##0.0'] * 3, [])
    assert workbook_currency(one) == ("€", 1)
    job = run_job(read_workbook(one), today=dt.date(2026, 6, 30))
    assert job.analysis.settings.money == Currency("€", 1)
    two = _book_with_formats(tmp_path / "b.xlsx", ['"€"#,##0.00', '"$"#,##0.00'], [])
    assert workbook_currency(two) is None
    named = _book_with_formats(tmp_path / "c.xlsx", ['"€"#,##0.00'], [["currency", "CNY"]])
    job = run_job(read_workbook(named), today=dt.date(2026, 6, 30))
    assert job.analysis.settings.money == Currency("¥", 2)
    assert workbook_currency(tmp_path / "none.csv") is None


@pytest.mark.parametrize(
    ("key", "value"),
    [("currency", "12$"), ("currency", "dollars"), ("currency_decimals", "7")],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nonsense_currency_settings_stop_with_key_and_row(
    tmp_path: Path, key: str, value: str, lang: str
) -> None:
    book = _book_with_formats(tmp_path / "bad.xlsx", ["#,##0"], [["company", "X"], [key, value]])
    with pytest.raises(SettingsError) as info:
        read_workbook(book, lang=lang)
    assert info.value.row == 3 and info.value.sheet == "Settings"
    line = info.value.render(lang)
    assert key in line
    if lang == "zh":
        assert "设置" in line and "must" not in line


def test_currency_settings_have_chinese_keys() -> None:
    settings, unknown = settings_from_mapping({"货币": "USD", "货币小数位数": "0"})
    assert not unknown and settings.money == Currency("$", 0)
    assert DEFAULT_SETTINGS.money == Currency("", 2)


def test_rfm_money_column_uses_the_currency_and_its_decimals(tmp_path: Path) -> None:
    analysis = fake_analysis()
    analysis = FakeAnalysis(
        analysis.customers, settings=DEFAULT_SETTINGS.replace(currency="€", currency_decimals=0)
    )
    ws = openpyxl.load_workbook(write_results(analysis, None, tmp_path / "e.xlsx"))["RFM"]
    letter = next(c.column_letter for c in ws[1] if c.value == "Monetary")
    assert ws[f"{letter}2"].number_format == '"€"#,##0;-"€"#,##0'
