"""Random cell contents and sheet shapes: the reader returns data or raises the
documented XlcrmError, never anything else (and never loops or crashes).

Complements the two fuzz tests in test_reader.py (one Orders table): here the
whole workbook varies — which sheets exist and how they are named, where the
header sits, merged and error cells, the Settings sheet, CSV bytes in any
encoding — and every cell parser gets arbitrary Python values.
"""

from __future__ import annotations

import datetime as dt
import string
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from conftest import build_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlcrm.core import cells
from xlcrm.core.errors import XlcrmError
from xlcrm.xlsx.reader import read_orders_csv, read_workbook

HEADERS = [
    "Customer ID",
    "客户编号",
    "Order Date",
    "日期",
    "Amount",
    "金额（元）",
    "Order ID",
    "Name",
    "Owner",
    "Grade",
    "Created",
    "Last contact",
    "Date",
    "Kind",
    "Setting",
    "Value",
    "Email",
    "",
]
SHEETS = [
    "Orders",
    "订单",
    "Customers",
    "客户",
    "Activities",
    "跟进记录",
    "Settings",
    "设置",
    "Data",
]
SETTING_KEYS = [
    "as_of",
    "截止日期",
    "threshold_method",
    "day_first",
    "sleep_days",
    "cadence_a",
    "language",
    "map.orders.amount",
    "map.orders.sheet",
    "map.customers.owner",
    "map.nothing.here",
    "company",
    "no_such_key",
]

# Values an xlsx cell can hold (openpyxl writes them), including text Excel shows as errors.
XLSX_CELL = st.one_of(
    st.none(),
    st.sampled_from(HEADERS),
    st.sampled_from(["#N/A", "#VALUE!", "#REF!", "=1+1", "@x", "(12.00)", "¥1,234.5", "1,23"]),
    st.sampled_from(["2024-03-05", "5/3/2024", "2024年3月5日", "31/02/2024", "1850-01-01", "yes"]),
    st.text(alphabet=string.printable + "年月日金额客户¥￥", max_size=10),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
)
ROW = st.lists(XLSX_CELL, max_size=7)


@st.composite
def sheet_rows(draw: st.DrawFn) -> list[list[Any]]:
    rows = draw(st.lists(ROW, max_size=10))
    if draw(st.booleans()):  # most of the time a plausible header somewhere near the top
        header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
        rows.insert(draw(st.integers(0, min(len(rows), 3))), header)
    return rows


@st.composite
def settings_rows(draw: st.DrawFn) -> list[list[Any]]:
    rows: list[list[Any]] = [["Setting", "Value"]] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 5))):
        rows.append([draw(st.sampled_from(SETTING_KEYS)), draw(XLSX_CELL)])
    return rows


@st.composite
def workbooks(draw: st.DrawFn) -> tuple[dict[str, list[list[Any]]], dict[str, list[str]], set[str]]:
    names = draw(st.lists(st.sampled_from(SHEETS), min_size=1, max_size=4, unique=True))
    sheets = {}
    merged: dict[str, list[str]] = {}
    for name in names:
        if name in ("Settings", "设置"):
            sheets[name] = draw(settings_rows())
        else:
            sheets[name] = draw(sheet_rows())
            if draw(st.booleans()):
                merged[name] = [draw(st.sampled_from(["A1:B1", "A1:A2", "B2:C3", "C1:C2"]))]
    hidden = set(draw(st.lists(st.sampled_from(names), max_size=1)))
    return sheets, merged, hidden


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable())
    return value


def check(data: Any) -> None:
    orders = data.orders
    assert list(orders.columns[:3]) == ["customer_id", "order_date", "amount"]
    assert orders["customer_id"].notna().all()
    assert orders["order_date"].notna().all()
    assert np.isfinite(orders["amount"].to_numpy(dtype=float)).all()
    assert (orders["order_date"] >= cells.MIN_DATE).all()
    assert (orders["order_date"] <= cells.MAX_DATE).all()
    quality = data.quality
    assert list(quality.columns) == [
        "sheet", "row", "column", "value", "reason", "left_out", "detail"
    ]  # fmt: skip
    assert (quality["row"] >= 1).all()
    ledger = data.ledger  # every order row read is kept or left out for a reason
    assert ledger.rows_read == ledger.rows_kept + sum(r for r, _ in ledger.left_out.values())
    assert ledger.cents_read == ledger.cents_kept + sum(c for _, c in ledger.left_out.values())
    assert ledger.rows_kept == len(orders)
    data.quality_table("zh")  # every reason has words


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(book=workbooks(), strict=st.booleans(), lang=st.sampled_from(["en", "zh"]))
def test_random_workbooks_give_data_or_an_xlcrm_error(
    book: tuple[dict[str, list[list[Any]]], dict[str, list[str]], set[str]],
    strict: bool,
    lang: str,
) -> None:
    sheets, merged, hidden = book
    sheets = {n: [[_printable(v) for v in row] for row in rows] for n, rows in sheets.items()}
    if len(hidden) == len(sheets):
        hidden = set()  # a workbook needs one visible sheet
    with tempfile.TemporaryDirectory() as folder:
        path = build_workbook(Path(folder) / "fuzz.xlsx", sheets, merged=merged, hidden=hidden)
        try:
            data = read_workbook(path, strict=strict, lang=lang)
        except XlcrmError as exc:
            text = str(exc)
            assert "\n" not in text and str(path) in text
            return
    check(data)


CSV_TEXT = st.lists(
    st.lists(XLSX_CELL.map(lambda v: "" if v is None else str(v)), max_size=5), max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    rows=CSV_TEXT,
    header=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"]),
    junk=st.binary(max_size=8),
)
def test_random_csv_bytes_give_data_or_an_xlcrm_error(
    rows: list[list[str]], header: bool, delimiter: str, encoding: str, junk: bytes
) -> None:
    if header:
        rows = [["Customer ID", "Order Date", "Amount"], *rows]
    text = "\n".join(delimiter.join(row) for row in rows)
    try:
        data_bytes = text.encode(encoding)
    except UnicodeEncodeError:
        data_bytes = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_bytes(data_bytes + junk)
        try:
            data = read_orders_csv(path)
        except XlcrmError as exc:
            assert "\n" not in str(exc)
            return
    check(data)


ANY_VALUE = st.one_of(
    XLSX_CELL,
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.just(np.float64("nan")),
    st.just(pd.NaT),
    st.just(pd.Timestamp("2024-01-01", tz="UTC")),
    st.binary(max_size=4),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(ANY_VALUE, max_size=12), day_first=st.booleans())
def test_every_cell_parser_takes_any_value(values: list[Any], day_first: bool) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    for parse in (
        cells.parse_ids,
        cells.parse_text,
        cells.parse_grades,
        cells.parse_kinds,
        cells.parse_amounts,
        lambda v: cells.parse_dates(v, day_first=day_first),
    ):
        parsed = parse(arr)
        assert len(parsed.values) == len(parsed.blank) == len(parsed.problem) == len(values)
        # a cell is blank, has a problem, or has a value, never two of those
        has_value = parsed.values.notna().to_numpy()
        assert not (has_value & parsed.bad).any()
        assert not (parsed.blank & parsed.bad).any()
