"""The real-export rules on files the engine reads itself (CSV, Parquet): closed
orders, total and subtotal rows, amounts in 万元 and in other currencies give what
the workbook reader gives on the same rows, and the same Data quality reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from engines import SHOP, SHOP_HEADER, assert_same_customers

from xlcrm.engine.run import run_engine
from xlcrm.jobs import run_job
from xlcrm.xlsx.reader import read_orders_csv

TODAY = dt.date(2024, 6, 30)
AS_OF = "2024-06-30"
QUALITY = ["row", "column", "value", "reason", "left_out"]


def export(rows: list[list[str]], header: list[str], path: Path) -> Path:
    pd.DataFrame(rows, columns=header, dtype=object).to_csv(path, index=False)
    return path


def both(path: Path, tmp_path: Path, **settings: str) -> tuple[object, object]:
    """The engine's job on the CSV, and the reader's (the workbook path) on the same file."""
    engine = run_engine(path, today=TODAY, as_of=AS_OF)
    data = read_orders_csv(path)
    return engine, run_job(data, today=TODAY, as_of=AS_OF)


def left_out(quality: pd.DataFrame) -> list[tuple[object, ...]]:
    rows = quality[quality["left_out"].astype(bool)][QUALITY]
    return sorted((int(r[0]), *r[1:]) for r in rows.itertuples(index=False))


def spend(job: object) -> dict[str, tuple[int, float]]:
    c = job.analysis.customers  # type: ignore[attr-defined]
    buyers = c[c["frequency"] > 0]
    return {
        str(i): (int(f), float(m))
        for i, f, m in zip(
            buyers["customer_id"], buyers["frequency"], buyers["monetary"], strict=True
        )
    }


def test_a_shop_export_as_csv_gives_what_the_reader_gives(tmp_path: Path) -> None:
    path = export(SHOP, SHOP_HEADER, tmp_path / "淘宝订单.csv")
    engine, reader = both(path, tmp_path)
    assert (
        spend(engine)
        == spend(reader)
        == {
            "buyerA": (2, 110.0),
            "buyerB": (1, 40.0),
            "buyerC": (1, 50.0),
        }
    )
    assert_same_customers(engine.analysis.customers, reader.analysis.customers)
    got = left_out(engine.data.quality)
    assert got == left_out(reader.data.problems)
    reasons = {(r[1], r[3]) for r in got}
    assert reasons == {
        ("订单状态", "status_excluded"),
        ("订单编号", "total_row"),
        ("买家会员名", "total_row"),
    }
    assert engine.data.counts["orders"].left_out == 4


def test_the_same_export_as_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(SHOP, columns=SHOP_HEADER, dtype="string")
    frame.to_parquet(tmp_path / "orders.parquet")
    engine = run_engine(tmp_path / "orders.parquet", today=TODAY, as_of=AS_OF)
    assert spend(engine) == {"buyerA": (2, 110.0), "buyerB": (1, 40.0), "buyerC": (1, 50.0)}


def test_an_amount_in_ten_thousands_and_other_currencies(tmp_path: Path) -> None:
    rows = [
        ["K1", "2024-01-02", "¥1.5"],
        ["K2", "2024-01-03", "¥0.2"],
        ["K3", "2024-01-04", "$0.3"],
        ["K4", "2024-01-05", "2"],
        ["K5", "2024-01-06", "HK$1"],
        ["K1", "2024-02-02", "−0.5"],  # a Unicode minus: a refund
    ]
    path = export(rows, ["客户编号", "日期", "销售额（万元）"], tmp_path / "ledger.csv")
    engine, reader = both(path, tmp_path)
    assert (
        spend(engine)
        == spend(reader)
        == {
            "K1": (1, 10000.0),
            "K2": (1, 2000.0),
            "K4": (1, 20000.0),
        }
    )
    got = left_out(engine.data.quality)
    assert got == left_out(reader.data.problems)
    assert [(r[0], r[2], r[3]) for r in got] == [
        (4, "$0.3", "other_currency"),
        (6, "HK$1", "other_currency"),
    ]
    detail = engine.data.quality.loc[engine.data.quality["left_out"], "detail"]
    assert set(detail) == {"CNY"}


def test_the_excluded_statuses_setting_reaches_the_engine(tmp_path: Path) -> None:
    book = tmp_path / "settings.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "设置"
    ws.append(["设置项", "值"])
    ws.append(["排除的订单状态", "交易关闭"])
    wb.save(book)
    path = export(SHOP, SHOP_HEADER, tmp_path / "orders.csv")
    engine = run_engine(path, today=TODAY, as_of=AS_OF, settings_book=book)
    assert spend(engine) == {"buyerA": (2, 110.0), "buyerB": (2, 80.0), "buyerC": (1, 50.0)}


def test_ids_differing_in_case_width_or_invisible_characters(tmp_path: Path) -> None:
    rows = [
        ["C001", "2024-01-02", "10"],
        ["c001", "2024-01-03", "20"],
        ["Ｃ００１", "2024-01-04", "30"],
        ["C001\u200b", "2024-01-05", "40"],
        ["C002", "2024-01-06", "50"],
    ]
    path = export(rows, ["Customer ID", "Date", "Amount"], tmp_path / "orders.csv")
    engine, reader = both(path, tmp_path)
    assert spend(engine) == spend(reader)
    assert len(spend(engine)) == 5  # listed, not merged
    listed = engine.data.quality[engine.data.quality["reason"] == "similar_id"]
    theirs = reader.data.problems[reader.data.problems["reason"] == "similar_id"]

    def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return sorted(frame[["row", "value", "detail"]].astype(str).itertuples(index=False))

    assert rows(listed) == rows(theirs)
    assert list(listed["row"].astype(int)) == [3, 4, 5] and set(listed["detail"]) == {"C001"}
    book = tmp_path / "settings.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Setting", "Value"])
    wb.active.append(["merge_similar_ids", "yes"])
    wb.active.title = "Settings"
    wb.save(book)
    merged = run_engine(path, today=TODAY, as_of=AS_OF, settings_book=book)
    assert spend(merged) == {"C001": (4, 100.0), "C002": (1, 50.0)}


# --- quotes left open -------------------------------------------------------------

OPEN_QUOTE = (
    "Customer ID,Date,Amount\n"
    "C1,2024-01-02,10\n"
    'C2,2024-01-03,"20\n'
    "C3,2024-01-04,30\n"
    "C4,2024-01-05,40\n"
)


def quote_rows(quality: pd.DataFrame) -> list[tuple[str, int, str]]:
    rows = quality[quality["reason"] == "csv_quote"]
    return sorted(
        (str(s), int(r), str(v))
        for s, r, v in zip(rows["sheet"], rows["row"], rows["value"], strict=True)
    )


def test_a_quote_left_open_gives_what_the_reader_gives(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(OPEN_QUOTE, encoding="utf-8")
    engine, reader = both(path, tmp_path)
    assert spend(engine) == spend(reader)
    assert sorted(spend(engine)) == ["C1", "C2", "C3", "C4"]
    assert_same_customers(engine.analysis.customers, reader.analysis.customers)
    listed = quote_rows(engine.data.quality)
    assert listed == quote_rows(reader.data.problems) == [("orders.csv", 3, 'C2,2024-01-03,"20')]
    assert engine.data.counts["orders"].read == 4


def test_a_quoted_line_break_is_one_cell_and_the_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    """A note or an address over two lines, in quotes: one cell, as the reader reads it
    (DuckDB's parallel scanner refused such files). Rows after it are numbered as the
    reader numbers them, here the row left out for its amount."""
    path = tmp_path / "notes.csv"
    path.write_text(
        "Customer ID,Date,Amount,Note\n"
        'C1,2024-01-02,10,"call first\nback door"\n'
        "C2,2024-01-03,20,\n"
        "C3,2024-01-04,lots,\n"
        'C1,2024-01-05,40,"a b\nc"\n',
        encoding="utf-8",
    )
    engine, reader = both(path, tmp_path)
    assert spend(engine) == spend(reader) == {"C1": (2, 50.0), "C2": (1, 20.0)}
    assert left_out(engine.data.quality) == left_out(reader.data.problems)
    assert left_out(engine.data.quality)[0][0] == 4
    assert not quote_rows(engine.data.quality)  # closed quotes are no problem


def test_quotes_left_open_in_a_folder_of_csv_files(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    texts = {
        "a.csv": "Customer ID,Date,Amount\nA1,2024-01-02,10\nA2,2024-01-03,11\n",
        "b.csv": (
            'Customer ID,Date,Amount\nB1,2024-01-02,10\nB2,2024-01-03,"20\nB3,2024-01-04,30\n'
        ),
        # the quote opened on line 3 closes on line 4 (lines 3-4 were one cell); line 4
        # read plainly has cells beyond the header (its quoted "a, b" falls apart)
        "c.csv": (
            "Customer ID,Date,Amount\n"
            "D1,2024-01-02,10\n"
            'D2,2024-01-03,"20\n'
            'D3,2024-01-04,30,"a, b","c"\n'
            'D4,2024-01-05,"40"\n'
            "D5,2024-01-06,50\n"
            'D6,2024-01-07,"6,5"\n'
        ),
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    engine = run_engine(folder, today=TODAY, as_of=AS_OF)
    expected: dict[str, tuple[int, float]] = {}
    listed: list[tuple[str, int, str]] = []
    for name in texts:
        reader = run_job(read_orders_csv(folder / name), today=TODAY, as_of=AS_OF)
        expected.update(spend(reader))
        listed.extend(quote_rows(reader.data.problems))
    assert spend(engine) == expected
    assert {"B3", "D3", "D4", "D5"} <= set(expected)
    assert quote_rows(engine.data.quality) == sorted(listed)
    assert [(s, r) for s, r, _ in sorted(listed)] == [("b.csv", 3), ("c.csv", 3)]


def test_a_clean_csv_is_read_where_it_is(tmp_path: Path, monkeypatch: object) -> None:
    from xlcrm.engine import csvquote

    path = tmp_path / "orders.csv"
    path.write_text(
        'Customer ID,Date,Amount,Note\n"C1","2024-01-02","10","a, b"\n'
        'C2,2024-01-03,20,"say ""hi"""\nC3,2024-01-04,30,x\n',
        encoding="utf-8",
    )
    assert csvquote.odd_lines(path) == []
    assert csvquote.find_open_quotes(path, ",") == []
    copies: list[Path] = []
    real = csvquote.mend
    monkeypatch.setattr(  # type: ignore[attr-defined]
        csvquote, "mend", lambda src, *a: copies.append(src) or real(src, *a)
    )
    engine, reader = both(path, tmp_path)
    assert copies == []
    assert spend(engine) == spend(reader) == {"C1": (1, 10.0), "C2": (1, 20.0), "C3": (1, 30.0)}
    assert quote_rows(engine.data.quality) == []


def test_the_pre_check_across_chunk_edges(tmp_path: Path) -> None:
    from xlcrm.engine import csvquote

    lines = ['a,"b', 'c,"d"', "", '"', 'e,""f', "g", 'h"']
    path = tmp_path / "q.csv"
    path.write_bytes("\n".join(lines).encode())
    odd, offset = [], 0
    for number, line in enumerate(lines, start=1):
        if line.count('"') % 2:
            odd.append((number, offset))
        offset += len(line) + 1
    for chunk in (1, 2, 3, 5, 1 << 20):
        assert csvquote.odd_lines(path, chunk) == odd


def test_a_csv_duckdb_still_cannot_read_names_the_file_and_line(tmp_path: Path) -> None:
    from xlcrm.core.errors import InputError

    lines = ["Customer ID,Date,Amount"] + [f"C{i},2024-01-02,{i}" for i in range(60000)]
    lines[50000] = "C9,2024-01-02,5,x,y,z"  # past DuckDB's sample: found while reading
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        run_engine(path, today=TODAY, as_of=AS_OF, lang="zh")
    except InputError as exc:
        assert exc.file == str(path) and exc.row == 50001
        text = exc.render("zh")
        assert "orders.csv" in text and "50001" in text and "DuckDB" in text
        assert not any(w in text for w in ("Error", "Invalid", "line"))
    else:
        raise AssertionError("the engine read a line with six cells under three headers")


def test_a_gbk_file_keeps_its_name_on_data_quality(tmp_path: Path) -> None:
    path = tmp_path / "订单.csv"
    text = (
        "客户编号,日期,金额\nC1,2024-01-02,10\nC2,2024-01-03,abc\n"
        'C3,2024-01-04,"30\nC4,2024-01-05,40\n'
    )
    path.write_bytes(text.encode("gbk"))
    engine, reader = both(path, tmp_path)
    assert spend(engine) == spend(reader)
    assert quote_rows(engine.data.quality) == quote_rows(reader.data.problems)
    assert set(engine.data.quality["sheet"]) == {"订单.csv"}  # not the UTF-8 copy's name


def test_the_command_names_the_status_column_in_the_users_language(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from xlcrm.cli import cli

    path = export(SHOP, SHOP_HEADER, tmp_path / "orders.csv")
    args = ["analyze", str(path), "--engine", "duckdb", "--as-of", AS_OF]
    zh = CliRunner().invoke(cli, [*args, "--lang", "zh", "-o", str(tmp_path / "zh.xlsx")])
    assert zh.exit_code == 0, zh.stderr
    assert "订单状态 = '订单状态'" in zh.stdout and "status" not in zh.stdout
    en = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "en.xlsx")])
    assert "order status = '订单状态'" in en.stdout


@pytest.mark.parametrize(
    ("ids", "none"),
    [
        (["C001", "C002", "X-9"], True),
        (["c001", "c002", "x-9"], True),
        (["C001", "c002"], False),  # letters of both cases: the keys are needed
        (["Ab1", "aB1"], False),
        (["C001 ", "C002"], False),  # something to strip
        (["Ｃ００１", "C001"], False),  # full width
        (["C001\u200b", "C002"], False),  # invisible
    ],
)
def test_ids_of_one_case_need_no_keys(ids: list[str], none: bool) -> None:
    import pyarrow as pa

    from xlcrm.core import cells
    from xlcrm.engine.reduce import _none_similar

    assert _none_similar(pa.chunked_array([pa.array(ids)])) is none
    if none:  # never says "none" where the keys find a pair
        assert not cells.similar_id_keys(pd.Series(ids)).duplicated().any()


def test_one_expression_finds_what_the_order_id_guard_refuses_and_the_labels() -> None:
    import duckdb

    from xlcrm.engine import sql
    from xlcrm.xlsx import rowkinds

    rng = np.random.default_rng(5)
    alphabet = [*"aZ9#-. \t\n\r", "\u00a0", "\u3000", "\u200b", "\u2028", "合", "计", "é"]
    values = ["", " ", "#1", "a\nb", "a ", "\u3000a", "a\u00a0", "x", "#", "合计", "TOTAL 3"]
    values += ["Order-1", "o1", "\u200b", "a\u202fb", "ab\u2028", "\n", "1\n"]
    values += ["".join(rng.choice(alphabet, rng.integers(1, 6))) for _ in range(3000)]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE v (x VARCHAR)")
        con.executemany("INSERT INTO v VALUES (?)", [[v] for v in values])
        two = f"NOT REGEXP_MATCHES(x, '{sql.OID_PATTERN}') OR " + sql.label_sql(
            "x", rowkinds.TRIGGERS
        )
        one = sql.label_sql("x", rowkinds.TRIGGERS, sql.OID_REFUSED)
        found_two = {r[0] for r in con.execute(f"SELECT x FROM v WHERE {two}").fetchall()}
        found_one = {r[0] for r in con.execute(f"SELECT x FROM v WHERE {one}").fetchall()}
    assert found_one == found_two
    assert {"", "#1", "a\nb", "a ", "合计", "TOTAL 3"} <= found_one
    assert "o1" not in found_one and "x" not in found_one
