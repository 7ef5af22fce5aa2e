"""The demo workbook generator (xlcrm.xlsx.sample) and the committed sample workbooks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_tool
from openpyxl import load_workbook

from xlcrm.core.errors import OutputError, SettingsError
from xlcrm.core.settings import settings_from_mapping
from xlcrm.xlsx import sample as sm

REPO = Path(__file__).resolve().parents[1]
AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def book() -> sm.Sample:
    return sm.generate_sample()


def purchases_per_customer(s: sm.Sample) -> pd.DataFrame:
    bought = s.orders[s.orders["amount"] >= 0]
    return bought.groupby("customer_id").agg(
        last=("order_date", "max"), n=("amount", "size"), revenue=("amount", "sum")
    )


# --- the committed workbooks ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_committed_sample_equals_regenerated_cell_values(lang: str, tmp_path: Path) -> None:
    committed = REPO / "workbook" / f"sample_{lang}.xlsx"
    fresh = sm.write_sample(sm.generate_sample(lang=lang), tmp_path / "fresh.xlsx")
    expected = sm.read_sample_values(committed)
    got = sm.read_sample_values(fresh)
    assert list(got) == list(expected)
    for sheet, rows in expected.items():
        assert got[sheet] == rows, (
            f"{committed.name} sheet {sheet!r} differs from `xlcrm demo --lang {lang}`; "
            f"regenerate it with: xlcrm demo --lang {lang} -o workbook/sample_{lang}.xlsx --force"
        )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_committed_sample_is_under_one_megabyte(lang: str) -> None:
    assert (REPO / "workbook" / f"sample_{lang}.xlsx").stat().st_size < 1_000_000


# --- determinism and scale ----------------------------------------------------------


def test_same_seed_gives_identical_frames() -> None:
    a = sm.generate_sample(customers=300, seed=11)
    b = sm.generate_sample(customers=300, seed=11)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.orders, b.orders)
    pd.testing.assert_frame_equal(a.activities, b.activities)


def test_different_seeds_give_different_books() -> None:
    a = sm.generate_sample(customers=300, seed=11)
    b = sm.generate_sample(customers=300, seed=12)
    assert not a.orders["amount"].equals(b.orders["amount"])
    assert not a.customers["name"].equals(b.customers["name"])


def test_default_is_about_2000_customers_and_20000_orders(book: sm.Sample) -> None:
    assert len(book.customers) == 2000
    assert 17_000 <= len(book.orders) <= 23_000
    assert len(book.activities) > 3_000


@pytest.mark.parametrize("customers", [200, 5_000])
def test_orders_scale_with_customers(customers: int) -> None:
    s = sm.generate_sample(customers=customers)
    assert len(s.customers) == customers
    assert 8.5 <= len(s.orders) / customers <= 11.5


def test_orders_cover_two_years_ending_at_as_of(book: sm.Sample) -> None:
    assert book.as_of == AS_OF
    assert book.orders["order_date"].max() == AS_OF
    assert book.orders["order_date"].min() == AS_OF - pd.Timedelta(days=729)
    for frame, col in [
        (book.activities, "date"),
        (book.customers, "created"),
        (book.customers, "last_contact"),
    ]:
        assert frame[col].max() <= AS_OF, col


def test_as_of_moves_the_whole_book() -> None:
    s = sm.generate_sample(customers=100, as_of="2025-01-31")
    assert s.orders["order_date"].max() == pd.Timestamp("2025-01-31")
    assert s.activities["date"].max() <= pd.Timestamp("2025-01-31")


def test_too_few_customers_or_unknown_language_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="at least 10"):
        sm.generate_sample(customers=3)
    with pytest.raises(SettingsError, match="language"):
        sm.generate_sample(lang="fr")


# --- the spread of customers ----------------------------------------------------------


def test_ids_are_zero_padded_text_and_keys_match(book: sm.Sample) -> None:
    ids = book.customers["customer_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"C\d{5}").all()
    assert book.orders["order_id"].is_unique
    assert book.orders["order_id"].str.fullmatch(r"SO-\d{6}").all()
    assert book.orders["customer_id"].isin(ids).all()
    assert book.activities["customer_id"].isin(ids).all()
    # numbered in order of creation, like a real CRM
    assert book.customers["created"].is_monotonic_increasing


def test_spread_has_prospects_one_off_buyers_regulars_and_lapsed(book: sm.Sample) -> None:
    per = purchases_per_customer(book)
    recency = (AS_OF - per["last"]).dt.days
    prospects = len(book.customers) - len(per)
    assert prospects >= 200
    assert (per["n"] == 1).sum() >= 200  # one-off buyers
    assert ((per["n"] >= 5) & (recency < 90)).sum() >= 400  # active regulars
    assert ((recency >= 90) & (recency < 365)).sum() >= 100  # lapsed for months
    assert (recency >= 365).sum() >= 100  # lapsed for over a year
    assert (per["n"] >= 30).sum() >= 50  # big accounts


def test_revenue_is_concentrated_like_pareto(book: sm.Sample) -> None:
    revenue = book.orders.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top20 = revenue.iloc[: len(revenue) // 5].sum() / revenue.sum()
    assert 0.6 <= top20 <= 0.95


def test_refunds_are_negative_and_follow_a_purchase(book: sm.Sample) -> None:
    refunds = book.orders[book.orders["amount"] < 0]
    assert 100 <= len(refunds) <= 0.05 * len(book.orders)
    per = purchases_per_customer(book)
    assert refunds["customer_id"].isin(per.index).all()
    net = book.orders.groupby("customer_id")["amount"].sum()
    assert (net >= 0).all()  # a refund never exceeds what was bought


def test_small_book_still_has_a_refund() -> None:
    s = sm.generate_sample(customers=10, seed=3)
    assert (s.orders["amount"] < 0).any()


def test_leads_have_status_expected_close_and_grades(book: sm.Sample) -> None:
    c = book.customers
    assert set(c["deal_status"].dropna()) == {"Open", "Won", "Lost"}
    assert set(c["need_status"].dropna()) == {"Clear", "Unclear", "No need"}
    assert set(c["grade"].dropna()) == set("ABCDE")
    assert 0.1 <= c["grade"].notna().mean() <= 0.6  # graded for some, derived for others
    is_open = c["deal_status"] == "Open"
    assert c.loc[is_open, "expected_close"].notna().all()
    assert c.loc[~is_open, "expected_close"].isna().all()
    assert (c.loc[is_open, "expected_close"] > AS_OF).mean() > 0.8
    assert c["last_contact"].notna().any() and c["last_contact"].isna().any()


def test_kinds_of_customer_are_one_table() -> None:
    names = [t.name for t in sm.CUSTOMER_TYPES]
    assert len(names) == len(set(names))
    assert sum(t.share for t in sm.CUSTOMER_TYPES) == pytest.approx(1.0)
    leads = [t for t in sm.CUSTOMER_TYPES if t.last_order is None]
    assert leads and all(t.orders == (0, 0.0) for t in leads)


@pytest.fixture(scope="module")
def analysed(book: sm.Sample):
    from xlcrm.core.analysis import analyze

    return analyze(book.orders, book.customers, book.activities, as_of=book.as_of).customers


@pytest.mark.parametrize(("customers", "seed"), [(2000, sm.DEFAULT_SEED), (300, 4), (20_000, 9)])
def test_a_live_team_has_10_to_25_percent_overdue(customers: int, seed: int) -> None:
    from xlcrm.core.analysis import analyze

    s = sm.generate_sample(customers=customers, seed=seed)
    c = analyze(s.orders, s.customers, s.activities, as_of=s.as_of).customers
    assert 0.10 <= (c["overdue_days"] > 0).mean() <= 0.25


def test_last_contacts_follow_the_grades(analysed: pd.DataFrame) -> None:
    leads = analysed[analysed["cadence_basis"] == "grade"]
    since = (AS_OF - leads["last_contact"]).dt.days
    typical = since.groupby(leads["grade"]).median()
    assert typical["A"] <= 1 and typical["B"] <= 7 and typical["C"] <= 15
    assert typical["A"] < typical["B"] < typical["C"] < typical["E"]
    # most leads are on schedule, the plan starts from a realistic backlog
    on_time = leads["overdue_days"] == 0
    assert 0.7 <= on_time.mean() <= 0.95


def test_open_leads_close_around_as_of_and_a_few_need_requalifying(
    book: sm.Sample, analysed: pd.DataFrame
) -> None:
    c = book.customers
    close = (c.loc[c["deal_status"] == "Open", "expected_close"] - AS_OF).dt.days
    assert close.between(-30, 300).all()
    assert close.between(0, 90).mean() >= 0.5
    assert 0.02 <= (close < 0).mean() <= 0.15
    assert analysed["requalify"].sum() >= 5
    # a typed grade whose close passed is kept, a derived one becomes D
    stale = analysed[analysed["requalify"]]
    assert (stale.loc[stale["grade_source"] == "derived", "grade"] == "D").all()
    assert stale["grade_source"].eq("given").any()


def test_owners_and_activity_kinds(book: sm.Sample) -> None:
    owners = book.customers["owner"].value_counts()
    assert 5 <= len(owners) <= 8
    assert owners.max() > owners.min()  # uneven books
    assert set(book.owners["owner"]) == set(owners.index)
    assert book.owners["email"].isna().sum() == 1
    assert set(book.activities["kind"]) == {"Call", "Visit", "Email", "Meeting"}


def test_chinese_book_uses_chinese_names_owners_and_statuses() -> None:
    s = sm.generate_sample(customers=200, lang="zh")
    assert s.customers["name"].str.contains(r"[\u4e00-\u9fff]").all()
    assert s.customers["owner"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert set(s.activities["kind"]) == {"电话", "拜访", "邮件", "会议"}
    assert set(s.customers["deal_status"].dropna()) <= {"跟进中", "已成交", "丢单"}
    assert set(s.customers["need_status"].dropna()) <= {"需求明确", "需求不明", "无需求"}
    assert s.company == "示例贸易有限公司"


# --- the workbook ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[sm.Sample, Path]]:
    out = tmp_path_factory.mktemp("books")
    books = {}
    for lang in ("en", "zh"):
        s = sm.generate_sample(customers=120, seed=5, lang=lang)
        books[lang] = (s, sm.write_sample(s, out / f"{lang}.xlsx"))
    return books


EXPECTED_HEADERS = {
    "en": {
        "Customers": [
            "Customer ID",
            "Name",
            "Owner",
            "Created",
            "Grade",
            "Expected close",
            "Deal status",
            "Need status",
            "Last contact",
            "Satisfaction",
            "Likely to recommend",
            "Referred by",
            "Cost",
        ],
        "Orders": ["Order ID", "Customer ID", "Order date", "Amount"],
        "Activities": ["Customer ID", "Date", "Kind"],
        "Deals": [
            "Deal ID",
            "Customer ID",
            "Owner",
            "Stage",
            "Amount",
            "Created",
            "Expected Close",
            "Closed",
            "Status",
            "Lost Reason",
        ],
        "Stage history": ["Deal ID", "Stage", "Date"],
        "Feedback": ["Date", "Customer ID", "Kind", "Status", "Closed", "Satisfaction"],
    },
    "zh": {
        "客户": [
            "客户编号",
            "客户名称",
            "负责人",
            "创建日期",
            "等级",
            "预计成交日期",
            "成交状态",
            "需求状态",
            "最后联系日期",
            "满意度",
            "推荐意愿",
            "推荐人",
            "成本",
        ],
        "订单": ["订单编号", "客户编号", "下单日期", "订单金额"],
        "跟进记录": ["客户编号", "跟进日期", "跟进方式"],
        "商机": [
            "商机编号",
            "客户编号",
            "负责人",
            "阶段",
            "金额",
            "创建日期",
            "预计成交日期",
            "关闭日期",
            "状态",
            "输单原因",
        ],
        "商机阶段记录": ["商机编号", "阶段", "日期"],
        "反馈": ["日期", "客户编号", "类型", "状态", "关闭日期", "满意度"],
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_workbook_has_named_sheets_headers_and_tables(
    lang: str, small_books: dict[str, tuple[sm.Sample, Path]]
) -> None:
    _, path = small_books[lang]
    wb = load_workbook(path)
    settings = {"en": "Settings", "zh": "设置"}[lang]
    assert wb.sheetnames == [*EXPECTED_HEADERS[lang], settings]
    for title, headers in EXPECTED_HEADERS[lang].items():
        ws = wb[title]
        assert [c.value for c in ws[1]] == headers
        assert ws.freeze_panes == "A2"
        assert ws[1][0].font.b
        (table,) = ws.tables.values()
        assert table.ref == f"A1:{ws.cell(1, len(headers)).column_letter}{ws.max_row}"
        assert [col.name for col in table.tableColumns] == headers


def test_workbook_cells_have_types_and_formats(
    small_books: dict[str, tuple[sm.Sample, Path]],
) -> None:
    _, path = small_books["en"]
    wb = load_workbook(path)
    orders = wb["Orders"]
    first = [c for c in orders[2]]
    assert isinstance(first[0].value, str) and isinstance(first[1].value, str)
    assert first[2].is_date and first[2].number_format == "yyyy-mm-dd"
    assert isinstance(first[3].value, float) and "#,##0.00" in first[3].number_format
    customers = wb["Customers"]
    assert all(isinstance(c.value, str) for c in customers["A"][1:])
    assert all(c.is_date for c in customers["D"][1:])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_workbook_reads_back_to_the_frames(
    lang: str, small_books: dict[str, tuple[sm.Sample, Path]]
) -> None:
    s, path = small_books[lang]
    for key, frame in [
        ("customers", s.customers),
        ("orders", s.orders),
        ("activities", s.activities),
    ]:
        read = pd.read_excel(
            path, sheet_name=sm.SHEET_NAMES[key][lang], dtype=object, engine="calamine"
        )
        assert list(read.columns) == [sm.HEADERS[c][lang] for c in frame.columns]
        for col, header in zip(frame.columns, read.columns, strict=True):
            want, got = frame[col], read[header]
            if col in {"created", "expected_close", "last_contact", "order_date", "date"}:
                pd.testing.assert_series_equal(
                    pd.to_datetime(got).astype("datetime64[ns]"), want, check_names=False
                )
            elif col == "amount":
                np.testing.assert_array_equal(got.astype(float), want)
            else:
                assert (
                    got.where(got.notna(), None).tolist()
                    == want.astype(object).where(want.notna(), None).tolist()
                ), col


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_settings_sheet_holds_settings_and_owners(
    lang: str, small_books: dict[str, tuple[sm.Sample, Path]]
) -> None:
    s, path = small_books[lang]
    ws = load_workbook(path)[{"en": "Settings", "zh": "设置"}[lang]]
    assert (ws["A1"].value, ws["B1"].value) == sm.SETTINGS_HEADER[lang]
    assert (ws["D1"].value, ws["E1"].value) == sm.OWNERS_HEADER[lang]
    pairs = {
        row[0]: row[1] for row in ws.iter_rows(min_row=2, max_col=2, values_only=True) if row[0]
    }
    as_of_key = {"en": "as_of", "zh": "分析日期"}[lang]
    assert pairs[as_of_key] == AS_OF.to_pydatetime()
    settings, unknown = settings_from_mapping({k: v for k, v in pairs.items()})
    assert unknown == [as_of_key]  # read by the reader, not a Settings field
    assert settings.language == lang
    assert settings.company == s.company
    # the plan's settings, in the sheet's language
    assert (settings.pool_no_deal_days, settings.pool_no_contact_days) == (365, 180)
    assert settings.work_days == (0, 1, 2, 3, 4) and settings.holidays
    assert settings.calls_for(s.owners["owner"].iloc[-1]) == 12
    assert settings.tier_cadence["lost"] == 365 and settings.purchase_is_contact
    owners = [row for row in ws.iter_rows(min_row=2, min_col=4, max_col=5, values_only=True)]
    owners = [row for row in owners if row[0]]
    assert [o for o, _ in owners] == s.owners["owner"].tolist()
    assert sum(email is None for _, email in owners) == 1
    assert all(re.fullmatch(r"[\w.]+@example\.com", e) for _, e in owners if e)


def test_chinese_settings_keys_are_the_chinese_aliases() -> None:
    keys = [key for key, _ in sm.generate_sample(customers=10, lang="zh").settings_rows()]
    assert keys[:6] == ["分析日期", "公司名称", "语言", "货币", "货币小数位数", "分层阈值方法"]
    assert "A类跟进天数" in keys
    assert {"流失客户跟进天数", "公海未联系天数", "每日拜访数", "节假日", "调休上班日"} <= set(keys)


def test_write_into_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    s = sm.generate_sample(customers=10)
    with pytest.raises(OutputError, match="folder does not exist"):
        sm.write_sample(s, tmp_path / "nope" / "x.xlsx")


def test_written_workbook_is_marked_as_sample(
    small_books: dict[str, tuple[sm.Sample, Path]], tmp_path: Path
) -> None:
    assert sm.is_sample_workbook(small_books["en"][1])
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"not a zip")
    assert not sm.is_sample_workbook(other)
    assert not sm.is_sample_workbook(tmp_path / "missing.xlsx")


def test_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    sm.write_sample(sm.generate_sample(customers=10), tmp_path / "a.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_opens_the_sample_and_sees_the_values(tmp_path: Path) -> None:
    soffice = require_tool("soffice")
    source = REPO / "workbook" / "sample_en.xlsx"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # UTF-8, first sheet
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "sample_en.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(EXPECTED_HEADERS["en"]["Customers"])
    assert len(lines) == 2001
    assert re.match(r"C00001,[^,]+,[^,]+,\d{4}-\d{2}-\d{2},", lines[1])


def test_default_book_reaches_every_class_segment_and_tier(book: sm.Sample) -> None:
    """The demo shows every section of the analysis and the brief."""
    from xlcrm.core.analysis import analyze
    from xlcrm.core.schema import RFM_CLASSES, SEGMENTS, TIERS

    result = analyze(book.orders, book.customers, book.activities, as_of=book.as_of)
    counts = result.customers
    assert set(counts["rfm_class"].dropna()) == set(RFM_CLASSES)
    assert set(counts["segment"].dropna()) == set(SEGMENTS)
    assert set(counts["tier"]) == set(TIERS)
    assert counts["churn_warning"].any()
    assert set(counts["grade"]) == set("ABCDE")


def test_chinese_statuses_are_words_the_core_understands() -> None:
    from xlcrm.core.followup import NO_NEED_WORDS, UNCLEAR_NEED_WORDS

    assert sm.DEAL_STATUSES["lost"]["zh"] in NO_NEED_WORDS
    assert sm.NEED_STATUSES["none"]["zh"] in NO_NEED_WORDS
    assert sm.NEED_STATUSES["unclear"]["zh"] in UNCLEAR_NEED_WORDS
    assert sm.NEED_STATUSES["unclear"]["en"].casefold() in UNCLEAR_NEED_WORDS
