"""The engine path (DuckDB, Spark) against the workbook path: the same customers,
every column; rows left out counted and listed alike; inputs beyond one workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from engines import (
    AS_OF,
    SHOP,
    SHOP_HEADER,
    assert_engines_agree,
    assert_same_customers,
    history,
    write_csv,
)
from pandas.testing import assert_frame_equal

from xlcrm.cli import cli
from xlcrm.core import rfm
from xlcrm.core.analysis import analyze
from xlcrm.core.errors import InputError
from xlcrm.core.reduced import reduce_book, value_inputs
from xlcrm.core.settings import DEFAULT_SETTINGS
from xlcrm.engine.duck import DuckBackend
from xlcrm.engine.reduce import Backend, Reduction, reduce_orders
from xlcrm.engine.run import run_engine
from xlcrm.engine.sources import parse_source
from xlcrm.jobs import run_job
from xlcrm.xlsx.reader import read_orders_csv, read_workbook
from xlcrm.xlsx.sample import generate_sample, write_sample

TODAY = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More than 50,000 awkward order rows, as a CSV file."""
    return write_csv(history(60_000, 4_000), tmp_path_factory.mktemp("hist") / "orders.csv")


@pytest.fixture(scope="module")
def big_reduced(big_csv: Path) -> pd.DataFrame:
    """``big_csv`` reduced in DuckDB, once for the tests that compare against it."""
    return _duck_reduce(big_csv)


def _reduction(
    backend: Backend, spec: Path, *, as_of: str = AS_OF, partitions: int | None = None
) -> Reduction:
    """The orders of ``spec`` reduced in ``backend`` with the default settings."""
    return reduce_orders(
        backend,
        parse_source(spec),
        as_of_day=rfm.day_number(pd.Timestamp(as_of)),
        settings=DEFAULT_SETTINGS,
        partitions=partitions,
    )


def _duck_reduce(spec: Path, *, as_of: str = AS_OF, partitions: int | None = None) -> pd.DataFrame:
    backend = DuckBackend()
    try:
        found = _reduction(backend, spec, as_of=as_of, partitions=partitions)
    finally:
        backend.close()
    return found.reduced.to_frame()


# --- the workbook path and the engine path agree ---------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_workbooks_give_the_same_customers_on_every_path(tmp_path: Path, lang: str) -> None:
    book = write_sample(generate_sample(lang=lang, customers=600), tmp_path / f"s-{lang}.xlsx")
    data = read_workbook(book)
    reference = run_job(data, today=TODAY).analysis.customers
    # the workbook itself, its orders reduced in DuckDB
    assert_same_customers(run_engine(book, today=TODAY).analysis.customers, reference)
    # its tables exported to Parquet and CSV, read as files
    orders = data.orders.assign(order_date=data.orders["order_date"].dt.date)
    orders.to_parquet(tmp_path / "orders.parquet")
    # a Customers table of text cells, as a CSV holds it (mixed columns do not fit Parquet)
    text_customers = data.customers.astype("string")
    text_customers.to_parquet(tmp_path / "customers.parquet")
    data.activities.to_csv(tmp_path / "activities.csv", index=False)
    job = run_engine(
        tmp_path / "orders.parquet",
        today=TODAY,
        customers=tmp_path / "customers.parquet",
        activities=tmp_path / "activities.csv",
        settings_book=book,
    )
    assert_same_customers(job.analysis.customers, reference)


def test_a_generated_history_gives_the_same_customers_and_model_inputs(
    big_csv: Path, big_reduced: pd.DataFrame
) -> None:
    data = read_orders_csv(big_csv)
    assert len(data.orders) > 50_000
    book = rfm.prepare_orders(data.orders, as_of=AS_OF)
    expected = reduce_book(book, DEFAULT_SETTINGS)
    got = big_reduced
    assert_frame_equal(got, expected.to_frame(), check_exact=True)
    # the value model's inputs follow from the same table
    for name, values in value_inputs(expected).items():
        np.testing.assert_array_equal(
            pd.Series(values, index=expected.ids).loc[got["customer_id"]].to_numpy(),
            value_inputs(_reduced(got))[name],
            err_msg=name,
        )
    # and so does every column of the analysis
    engine = run_engine(big_csv, today=TODAY, as_of=AS_OF).analysis.customers
    assert_same_customers(engine, analyze(data.orders, as_of=AS_OF).customers)


def _reduced(frame: pd.DataFrame) -> object:
    from xlcrm.core.reduced import Reduced

    return Reduced.from_frame(
        frame, as_of_day=rfm.day_number(pd.Timestamp(AS_OF)), settings=DEFAULT_SETTINGS
    )


def test_rows_left_out_are_counted_and_listed_as_the_reader_lists_them(big_csv: Path) -> None:
    data = read_orders_csv(big_csv)
    job = run_engine(big_csv, today=TODAY, as_of=AS_OF)
    assert job.data.counts["orders"] == data.counts["orders"]
    columns = ["sheet", "row", "column", "value", "reason", "left_out"]
    # the rows left out (the reader's notices about similar ids have no engine twin yet)
    ours = job.data.quality[job.data.quality["left_out"]][columns].reset_index(drop=True)
    problems = data.problems[data.problems["left_out"]]
    theirs = problems[columns].sort_values(["row", "column"]).reset_index(drop=True)
    ours = ours.sort_values(["row", "column"]).reset_index(drop=True)
    assert ours["row"].astype("int64").tolist() == theirs["row"].tolist()
    assert_frame_equal(ours.drop(columns="row"), theirs.drop(columns="row"), check_dtype=False)
    dated_later = int((data.orders["order_date"] > pd.Timestamp(AS_OF)).sum())
    assert job.future_orders == dated_later > 0


def test_hash_partitions_change_nothing(big_csv: Path, big_reduced: pd.DataFrame) -> None:
    assert_frame_equal(_duck_reduce(big_csv, partitions=5), big_reduced)


def test_quantile_scores_are_exact_whatever_the_row_order(tmp_path: Path) -> None:
    """Amounts whose float sums depend on the order of addition (0.1 + 0.2 ...) tie
    exactly in cents, so ties and scores are the same on every engine and order."""
    rng = np.random.default_rng(3)
    n = 6_000
    orders = pd.DataFrame(
        {
            "customer_id": [f"T{i % 900}" for i in range(n)],
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 150, n), "D"),
            "amount": rng.choice([0.1, 0.2, 0.3, 0.7, 52.87], n),
        }
    )
    shuffled = orders.sample(frac=1.0, random_state=1).reset_index(drop=True)
    orders.to_parquet(tmp_path / "a.parquet")
    shuffled.to_parquet(tmp_path / "b.parquet")
    pandas_scores = analyze(orders, as_of=AS_OF).customers
    for part in ("a", "b"):
        got = run_engine(tmp_path / f"{part}.parquet", today=TODAY, as_of=AS_OF).analysis.customers
        assert_same_customers(got, pandas_scores)
    assert_same_customers(analyze(shuffled, as_of=AS_OF).customers, pandas_scores)
    assert pandas_scores["m_score"].nunique() > 1


def test_order_ids_shared_only_across_customers_need_no_grouping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Order numbers counted per customer (every customer has an order "1"): no line
    shares a customer and an order id, so the reduction skips adding up order lines,
    and every column is what the workbook path gives. A part where one pair repeats
    still adds its lines up."""
    from xlcrm.engine import sql

    frame = history(8_000, 600)
    # ids of one spelling each (" C1 " and "C1" are one customer with two counters)
    frame = frame[frame["Customer ID"].str.fullmatch(r"K\d+")].reset_index(drop=True)
    numbers = frame.groupby("Customer ID").cumcount() + 1
    frame["Order ID"] = numbers.astype(str).where(frame["Order ID"] != "", "")
    grouped: list[bool] = []
    original = sql.reduction_sql

    def spy(lines: str, **options: object) -> str:
        grouped.append(bool(options["order_ids"]))
        return original(lines, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(sql, "reduction_sql", spy)
    for name, rows in (("unique", frame), ("one repeat", _repeat_one_line(frame))):
        path = write_csv(rows, tmp_path / f"{name}.csv")
        data = read_orders_csv(path)
        expected = reduce_book(rfm.prepare_orders(data.orders, as_of=AS_OF), DEFAULT_SETTINGS)
        grouped.clear()
        assert_frame_equal(_duck_reduce(path, partitions=4), expected.to_frame(), check_exact=True)
        assert len(grouped) == 4
        assert grouped.count(True) == (0 if name == "unique" else 1), name


def _repeat_one_line(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its first numbered line given again, as a second line of that order."""
    first = frame.index[frame["Order ID"] != ""][0]
    line = frame.loc[[first]].assign(Amount="12.5")
    return pd.concat([frame, line], ignore_index=True)


@pytest.mark.parametrize(
    ("pairs", "may_repeat"),
    [
        ([("C1", "1"), ("C2", "1"), ("C1", "2")], False),
        ([("C1", "1"), ("C1", "1")], True),
        ([("C1", None), ("C1", None), ("C2", "1")], False),  # no order id: orders of their own
        ([], False),
    ],
)
def test_repeated_orders_are_found_by_their_hashes(
    pairs: list[tuple[str, str | None]], may_repeat: bool
) -> None:
    from xlcrm.engine.reduce import _orders_may_repeat

    backend = DuckBackend()
    try:
        backend.con.execute("CREATE TABLE lines (customer_id VARCHAR, order_id VARCHAR)")
        if pairs:
            backend.con.executemany("INSERT INTO lines VALUES (?, ?)", pairs)
        assert _orders_may_repeat(backend, "SELECT * FROM lines") is may_repeat
    finally:
        backend.close()


def test_slices_of_codes_and_of_text_are_put_one_under_the_other() -> None:
    from xlcrm.engine.results import _concat

    coded = pd.DataFrame({"grade": pd.Categorical(["A", None]), "n": [1, 2]})
    texts = pd.DataFrame({"grade": pd.Series(["B", "A"], dtype=str), "n": [3, 4]})
    other = pd.DataFrame({"grade": pd.Categorical(["C"]), "n": [5]})
    mixed = _concat([coded, texts])
    assert mixed["grade"].astype(object).where(mixed["grade"].notna(), None).tolist() == [
        "A",
        None,
        "B",
        "A",
    ]
    united = _concat([coded, other])
    assert isinstance(united["grade"].dtype, pd.CategoricalDtype)
    assert united["grade"].astype(object).where(united["grade"].notna(), None).tolist() == [
        "A",
        None,
        "C",
    ]


def test_parquet_dates_in_nanoseconds_fall_on_their_own_day(tmp_path: Path) -> None:
    """A timestamp a nanosecond before midnight is on that day, before 1970 too (DuckDB's
    CAST of nanoseconds rounds toward 1970)."""
    stamps = [
        "1969-12-31 23:59:59.999999999",
        "1969-12-31 12:00:00",
        "1950-06-30 23:59:59.999999999",
        "2023-05-01 23:59:59.999999999",
        "2024-02-29 00:00:00.000000001",
        "1970-01-01 00:00:00",
    ]
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "B", "A", "C", "B", "C"],
            "order_date": pd.to_datetime(stamps, format="ISO8601").astype("datetime64[ns]"),
            "amount": [10.0, 20.0, 5.0, 7.5, 3.0, 1.0],
        }
    )
    orders.to_parquet(tmp_path / "ns.parquet")
    assert pq.read_schema(tmp_path / "ns.parquet").field("order_date").type == "timestamp[ns]"
    got = run_engine(tmp_path / "ns.parquet", today=TODAY, as_of=AS_OF).analysis.customers
    want = analyze(orders, as_of=AS_OF).customers
    assert_same_customers(got, want)
    assert got["first_purchase"].dt.date.astype(str).tolist() == [
        "1950-06-30",
        "1969-12-31",
        "1970-01-01",
    ]


AWKWARD_BOOKS = {
    "order lines, refunds, blank and repeated header rows": [
        ["Order No", "Customer ID", "Order Date", "Amount"],
        ["O1", "C1", dt.datetime(2024, 1, 5), 100.0],
        ["O1", "C1", dt.datetime(2024, 1, 4), 50.5],
        [None, None, None, None],
        ["Order No", "Customer ID", "Order Date", "Amount"],
        ["O2", "C1", dt.datetime(2024, 1, 4), -20.0],
        [None, "C2", dt.datetime(2024, 3, 1), 10.0],
        [None, "C2", dt.datetime(2024, 3, 1), 10.0],
        ["O3", "C3", dt.datetime(2024, 7, 1), 10.0],
    ],
    "text cells: dates, amounts and ids the reader parses": [
        ["客户编号", "下单日期", "金额"],
        [123.0, "2024/3/5", "¥1,200.00"],
        ["123", "2024年3月6日", "(12.00)"],
        [" 00123 ", "20240307", "1.005"],
        ["#N/A", "2024-03-08", "5"],
        ["C9", "lots", "lots"],
        ["C9", 45356, 2.675],
        ["C9", dt.datetime(1850, 1, 1), 1],
    ],
}


@pytest.mark.parametrize("name", sorted(AWKWARD_BOOKS))
def test_awkward_books_agree_on_both_reductions(make_workbook: object, name: str) -> None:
    book = make_workbook({"Orders": AWKWARD_BOOKS[name]})  # type: ignore[operator]
    assert_engines_agree(book)


# --- inputs beyond one workbook ----------------------------------------------------------


def test_folders_globs_and_duckdb_tables_read_the_same(
    tmp_path: Path, big_csv: Path, big_reduced: pd.DataFrame
) -> None:
    expected = big_reduced
    frame = pd.read_csv(big_csv, dtype=str, keep_default_na=False)
    parts = tmp_path / "parts"
    parts.mkdir()
    third = len(frame) // 3 + 1
    for k in range(3):
        chunk = frame.iloc[k * third : (k + 1) * third]
        chunk.to_csv(parts / f"orders-{k}.csv", index=False)
        chunk.to_parquet(parts / f"orders-{k}.parquet")
    assert_frame_equal(_duck_reduce(parts / "*.csv"), expected)
    only_parquet = tmp_path / "pq"
    only_parquet.mkdir()
    for p in parts.glob("*.parquet"):
        p.rename(only_parquet / p.name)
    assert_frame_equal(_duck_reduce(only_parquet), expected)
    db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"CREATE TABLE orders AS SELECT * FROM read_parquet('{only_parquet}/*.parquet')"
        )
    assert_frame_equal(_duck_reduce(Path(f"{db}:orders")), expected)


def test_a_csv_with_title_rows_gbk_and_semicolons(tmp_path: Path) -> None:
    text = (
        "销售明细\n\n客户编号;下单日期;金额\n"
        "C1;2024-03-05;12,5\nC1;2024-04-05;10\nC2;2024-05-05;7\n"
    )
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    reduced = _duck_reduce(path)
    assert reduced["customer_id"].tolist() == ["C1", "C2"]
    assert reduced["frequency"].tolist() == [1, 1]  # "12,5" is not an amount: listed
    job = run_engine(path, today=TODAY, as_of=AS_OF)
    assert job.data.quality["row"].tolist() == [4]
    assert job.data.quality["value"].tolist() == ["12,5"]


def _cli(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["analyze", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_summary_workbook_and_parquet_above_the_customer_limit(tmp_path: Path) -> None:
    sample = generate_sample(customers=300)
    book = write_sample(sample, tmp_path / "shop.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb["Settings"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "sheet_customer_limit":
            row[1].value = 50
    wb.save(book)
    data = read_workbook(book)
    orders = data.orders.assign(order_date=data.orders["order_date"].dt.date)
    orders.to_parquet(tmp_path / "orders.parquet")
    code, out, err = _cli(
        tmp_path / "orders.parquet",
        "--settings",
        book,
        "--customers",
        book,
        "--activities",
        book,
        "-o",
        tmp_path / "result.xlsx",
        "--csv",
    )
    assert code == 0, err
    table = pq.read_table(tmp_path / "result.customers.parquet")
    full = table.to_pandas()
    reference = run_job(data, today=TODAY).analysis.customers
    assert len(full) == len(reference) == 300
    assert full["customer_id"].tolist() == reference["customer_id"].tolist()
    assert list(full.columns) == list(reference.columns)
    # every text column plain text (the slices' codes written as their values)
    for name in reference.columns:
        if pd.api.types.is_string_dtype(reference[name]):
            assert table.schema.field(name).type == "string", name
            got = full[name].astype(object).where(full[name].notna(), None).tolist()
            want = reference[name].astype(object).where(reference[name].notna(), None).tolist()
            assert got == want, name
    for name in ("r_score", "f_score", "m_score"):
        assert full[name].astype("Int64").equals(reference[name].astype("Int64"))
    for name in ("monetary", "rfm_class", "segment", "tier", "urgency", "abc_class"):
        assert (
            full[name].astype(object).fillna("-").tolist()
            == reference[name].astype(object).fillna("-").tolist()
        ), name
    assert (pd.to_datetime(full["next_followup"]) == reference["next_followup"]).all()
    csv = pd.read_csv(tmp_path / "result.customers.csv", encoding="utf-8-sig")
    assert len(csv) == 300 and "Customer ID" in csv.columns
    names = openpyxl.load_workbook(tmp_path / "result.xlsx", read_only=True).sheetnames
    shown = ["Dashboard", "Call plan", "RFM", "Follow-ups", "Data quality", "Settings"]
    assert names[: len(shown)] == shown
    assert "Lifecycle" not in names and "Value" not in names
    assert "result.customers.parquet" in out and "sheet_customer_limit" in out
    assert "Columns used" in out


def test_cli_a_nonsense_customer_limit_exits_2_naming_key_and_row(tmp_path: Path) -> None:
    book = write_sample(generate_sample(customers=50), tmp_path / "shop.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb["Settings"]
    at = next(r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == "sheet_customer_limit")
    ws.cell(row=at, column=2, value=0)
    wb.save(book)
    code, _, err = _cli(book, "-o", tmp_path / "x.xlsx")
    assert code == 2
    assert "sheet_customer_limit" in err and f"row {at}" in err


def test_cli_strict_and_missing_columns_exit_2(tmp_path: Path) -> None:
    pd.DataFrame(
        {"Customer ID": ["C1"], "Order Date": ["2024-01-01"], "Amount": ["lots"]}
    ).to_parquet(tmp_path / "o.parquet")
    code, _, err = _cli(tmp_path / "o.parquet", "--strict", "-o", tmp_path / "x.xlsx")
    assert code == 2 and "lots" in err
    pd.DataFrame({"Customer ID": ["C1"], "Amount": [1.0]}).to_parquet(tmp_path / "p.parquet")
    code, _, err = _cli(tmp_path / "p.parquet", "-o", tmp_path / "y.xlsx")
    assert code == 2 and "Order Date" in err and "p.parquet" in err
    code, _, err = _cli(tmp_path / "nothing" / "*.parquet")
    assert code == 2 and "no Parquet or CSV files" in err


# --- Spark ------------------------------------------------------------------------------


SPARK_CSV = (
    "销售明细\n"
    "导出日期 2024-06-30\n"
    "客户编号,下单日期,金额,备注\n"
    'C1,2024-01-02,10,"送货到\n后门"\n'
    'C2,2024-01-03,"5,坏\n'
    "C3,2024-01-04,30,\n"
    "C1,2024-02-05,40,\n"
)


@pytest.mark.slow
def test_spark_local_mode_gives_what_duckdb_gives(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from conftest import require_tool

    require_tool("java")
    from xlcrm.engine.spark import SparkBackend

    frame = history(20_000, 1_500, seed=11)
    csv_path = write_csv(frame, tmp_path / "orders.csv")
    frame.to_parquet(tmp_path / "orders.parquet")
    backend = SparkBackend(master="local[2]")
    try:
        for spec in (csv_path, tmp_path / "orders.parquet"):
            found = _reduction(backend, spec)
            assert_frame_equal(found.reduced.to_frame(), _duck_reduce(spec))
            assert found.counts == read_orders_csv(csv_path).counts["orders"]
        # dates as pandas writes them to Parquet: timestamps in nanoseconds, some before
        # 1970 and a nanosecond before midnight
        data = read_orders_csv(csv_path).orders
        data["order_date"] = data["order_date"].astype("datetime64[ns]")
        data.loc[:3, "order_date"] = pd.to_datetime(
            [
                "1969-12-31 23:59:59.999999999",
                "2023-05-01 23:59:59.999999999",
                "1950-01-01",
                "2024-02-29 00:00:00.000000001",
            ],
            format="ISO8601",
        ).astype("datetime64[ns]")
        stamped = tmp_path / "stamped.parquet"
        data.to_parquet(stamped)
        assert pq.read_schema(stamped).field("order_date").type == "timestamp[ns]"
        found = _reduction(backend, stamped)
        assert_frame_equal(found.reduced.to_frame(), _duck_reduce(stamped))
        # a folder where one file has nanoseconds and another microseconds: named
        (tmp_path / "mixed").mkdir()
        data.to_parquet(tmp_path / "mixed" / "a.parquet")
        data.astype({"order_date": "datetime64[us]"}).to_parquet(tmp_path / "mixed" / "b.parquet")
        with pytest.raises(InputError, match="order_date holds timestamps in nanoseconds"):
            _reduction(backend, tmp_path / "mixed")
        # a GBK export with title lines, a quote left open and a quoted line break
        awkward = tmp_path / "awkward.csv"
        awkward.write_bytes(SPARK_CSV.encode("gb18030"))
        duck = DuckBackend()
        try:
            want = _reduction(duck, awkward)
        finally:
            duck.close()
        found = _reduction(backend, awkward)
        assert_frame_equal(found.reduced.to_frame(), want.reduced.to_frame())
        assert found.counts == want.counts
        assert found.quality["reason"].tolist() == want.quality["reason"].tolist()
        assert want.reduced.to_frame()["frequency"].tolist() == [2, 1, 1]
        assert "csv_quote" in found.quality["reason"].tolist()
        # a cluster reads the files where they are: what it cannot read is exit 2
        backend.local = False
        with pytest.raises(InputError, match="first line"):
            backend._csv(parse_source(awkward))
        opened = tmp_path / "opened.csv"
        opened.write_text(SPARK_CSV.split("\n", 2)[2], encoding="utf-8")
        with pytest.raises(InputError, match="line 4 opens a quote"):
            backend._csv(parse_source(opened))
        broken_line = tmp_path / "broken_line.csv"
        broken_line.write_text(SPARK_CSV.split("\n", 2)[2].replace(',"5', ",5"), "utf-8")
        assert backend._csv(parse_source(broken_line))[2] is True  # whole files, not lines
        # a shop export: closed orders, subtotal and total rows, order lines
        pd.DataFrame(SHOP, columns=SHOP_HEADER).to_csv(tmp_path / "shop.csv", index=False)
        found = _reduction(backend, tmp_path / "shop.csv")
        assert_frame_equal(found.reduced.to_frame(), _duck_reduce(tmp_path / "shop.csv"))
        assert found.counts.left_out == 4
    finally:
        backend.close()
    job = run_engine(
        tmp_path / "orders.parquet",
        today=TODAY,
        as_of=AS_OF,
        engine="spark",
        spark_master="local[2]",
    )
    duck = run_engine(tmp_path / "orders.parquet", today=TODAY, as_of=AS_OF)
    assert_same_customers(job.analysis.customers, duck.analysis.customers)


@pytest.mark.parametrize("rows", [3, 7, 50, 1000])
def test_the_summary_keeps_the_same_rows_however_the_customers_are_sliced(rows: int) -> None:
    from xlcrm.engine import results

    rng = np.random.default_rng(rows)
    n, limit = 600, 40
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],  # sorted, as the slices come
            "rfm_class": pd.array(
                rng.choice(["important_value", "general_retain", None], n), dtype="string"
            ),
            "monetary": rng.integers(1, 5, n).astype(float),  # many ties
            "needs_followup": rng.random(n) < 0.6,
            "next_followup": pd.Timestamp("2025-06-01")
            + pd.to_timedelta(rng.integers(0, 6, n), unit="D"),
        }
    )
    for name in results.LEAN_COLUMNS:
        if name not in frame.columns:
            frame[name] = 0
    keeper = results._Keeper(limit)
    slices = (frame.iloc[s : s + rows].reset_index(drop=True) for s in range(0, n, rows))
    for _ in keeper.watch(slices):
        pass
    summary = keeper.summary()
    buyers = frame[frame["rfm_class"].notna()]
    keys = ["rfm_class", "monetary", "customer_id"]
    top = buyers.sort_values(keys, ascending=[True, False, True])
    expected_top = top.groupby("rfm_class").head(results.TOP_PER_CLASS)
    assert sorted(summary.loc[summary["top"], "customer_id"]) == sorted(expected_top["customer_id"])
    due = frame[frame["needs_followup"]].sort_values(["next_followup", "customer_id"])
    assert (
        summary.loc[summary["plan"], "customer_id"].tolist() == due["customer_id"][:limit].tolist()
    )
