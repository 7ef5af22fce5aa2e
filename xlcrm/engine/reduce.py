"""Order rows in an engine -> the per-customer table, with counts of rows left out.

:func:`reduce_orders` drives a backend (:mod:`xlcrm.engine.duck`,
:mod:`xlcrm.engine.spark`) through the statements of :mod:`xlcrm.engine.sql`:
read the source, parse the values the SQL cannot read with the workbook
reader's rules (once per distinct value), check every row, count and list
the rows left out, then reduce the good rows to one row per customer, in
hash partitions of the customers so that memory stays bounded.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xlcrm.core import cells
from xlcrm.core.reduced import REDUCED_COLUMNS, Reduced
from xlcrm.core.settings import Settings, status_key
from xlcrm.engine import sql
from xlcrm.engine.sources import Columns, Source
from xlcrm.xlsx import quality as qual
from xlcrm.xlsx import rowkinds
from xlcrm.xlsx.tables import RowCounts, amount_unit

__all__ = ["Backend", "Progress", "Reduction", "reduce_orders"]

#: Orders per hash partition of the customers (the reduction of one fits in ~1.5 GB).
ROWS_PER_PARTITION: Final = 12_500_000
#: Rows left out that are listed one by one (all are counted).
LIST_LIMIT: Final = 1000


class Backend(Protocol):
    """What the reduction needs from an engine. Queries are SELECTs in DuckDB's
    dialect; a backend for another engine transpiles them (:func:`sql.for_dialect`).
    A backend may keep a list ``quality`` of Data quality rows it found while reading."""

    dialect: str

    def load(self, source: Source, column_map: Mapping[str, str]) -> tuple[Columns, int | None]: ...
    def view(self, name: str, query: str) -> None: ...
    def materialize(self, name: str, query: str) -> None: ...
    def fetch(self, query: str) -> pa.Table: ...
    def register(self, name: str, table: pa.Table) -> None: ...


class Progress(Protocol):
    """Stages with a row count: the CLI draws them as a progress bar."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, rows: int) -> None: ...


class _Quiet:
    def stage(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, rows: int) -> None:
        return None


@dataclass(frozen=True)
class Reduction:
    """What :func:`reduce_orders` found.

    ``reduced`` is the per-customer table; ``counts`` the rows read into it,
    left out and skipped (blank or repeated header rows); ``future`` the
    readable orders dated after as_of; ``problems`` one row per (column,
    reason) with the number of rows; ``quality`` the first rows left out (or
    with an unreadable optional value) in the reader's format; ``columns``
    which column was used for each role.
    """

    reduced: Reduced
    counts: RowCounts
    future: int
    problems: pd.DataFrame
    quality: pd.DataFrame
    columns: Columns
    partitions: int


def reduce_orders(
    backend: Backend,
    source: Source,
    *,
    as_of_day: int,
    settings: Settings,
    column_map: Mapping[str, str] | None = None,
    list_limit: int = LIST_LIMIT,
    partitions: int | None = None,
    progress: Progress | None = None,
) -> Reduction:
    """Reduce the orders of ``source`` to one row per customer in ``backend``.

    ``partitions`` (default: one per :data:`ROWS_PER_PARTITION` rows) splits
    the customers by a hash of their id; each part is reduced on its own.
    """
    bar = progress or _Quiet()
    bar.stage("reading", None)
    columns, known_rows = backend.load(source, column_map or {})
    # DuckDB checks the customer ids once reduced: the reduction finds the distinct ids
    # anyway (a DISTINCT of its own took 6 s over 100 million rows); one that fails the
    # check sends everything through again with the ids parsed in Python
    later = _ids_checked_later(backend, columns)
    mapped, main_currency = _map_slow_values(
        backend, columns, settings, skip=("customer_id",) if later else ()
    )
    total = known_rows or 0
    # Spark shuffles and spills by itself; DuckDB gets the customers in hash partitions.
    parts = partitions or (
        max(1, math.ceil(total / ROWS_PER_PARTITION)) if backend.dialect == "duckdb" else 1
    )
    unit = amount_unit(columns.headers.get("amount", ""))
    check = functools.partial(
        _check, backend, source, columns, as_of_day, list_limit, unit, main_currency, bar
    )
    counts, future, problems, good, quality = check(mapped)
    reduce = functools.partial(
        _reduce, backend, as_of_day, settings, "order_id" in columns.names, parts, bar
    )
    reduced, ids = reduce(good, merged=False)
    if later and _map_ids(backend, columns, ids, as_of_day, settings):
        del ids
        mapped.add("customer_id")
        counts, future, problems, good, quality = check(mapped)
        reduced, ids = reduce(good, merged=False)
    similar, id_map = _similar_ids(backend, source, columns, ids, settings)
    del ids
    if id_map is not None:  # merge_similar_ids: reduce again, the look-alikes under one id
        backend.register("xlcrm_id_map", id_map)
        reduced, _ = reduce(good, merged=True)
    if len(similar):
        quality = similar if not len(quality) else pd.concat([quality, similar], ignore_index=True)
    # rows a backend listed while reading the source (DuckDB: quotes left open in a CSV)
    read = [q for q in getattr(backend, "quality", []) if len(q)]
    if read:
        quality = pd.concat([*read, quality] if len(quality) else read, ignore_index=True)
    return Reduction(reduced, counts, future, problems, quality, columns, parts)


def _check(
    backend: Backend,
    source: Source,
    columns: Columns,
    as_of_day: int,
    list_limit: int,
    unit: float,
    main_currency: str | None,
    bar: Progress,
    mapped: set[str],
) -> tuple[RowCounts, int, pd.DataFrame, int, pd.DataFrame]:
    """The views ``xlcrm_canon`` and ``xlcrm_checked`` over the maps of ``mapped``;
    the rows counted, and the first left out listed."""
    backend.view("xlcrm_canon", sql.canon_sql(columns.kinds, mapped, columns.headers))
    keep = (
        "xlcrm_file, xlcrm_row, customer_id, order_id, day, cents, skipped, "
        "customer_id_reason, order_date_reason, amount_reason, order_id_reason, status_reason"
    )
    backend.view("xlcrm_checked", f"SELECT {keep} FROM ({sql.checked_sql(unit=unit)}) AS c")
    counts, future, problems, good = _count(backend, columns, as_of_day)
    bar.advance(counts.read + counts.left_out + counts.skipped)
    quality = (
        _listing(backend, source, columns, list_limit, unit, main_currency)
        if _has_problems(problems)
        else qual.empty_quality()
    )
    bar.stage("reducing", good)
    return counts, future, problems, good, quality


def _ids_checked_later(backend: Backend, columns: Columns) -> bool:
    """Customer ids as text in DuckDB: checked on the distinct ids the reduction finds."""
    kind = columns.kinds.get("customer_id", "")
    return backend.dialect == "duckdb" and sql.fast_path("customer_id", kind).per_value


def _map_ids(
    backend: Backend, columns: Columns, ids: pa.ChunkedArray, as_of_day: int, settings: Settings
) -> bool:
    """Check the customer ids: those the reduction found, and those of the rows it did
    not take (left out, skipped, dated after as_of). Register the map of the ids the
    SQL does not read (or that may be a total label); False when there are none."""
    backend.register("xlcrm_found_ids", pa.table({"raw": ids}))
    others = (
        "SELECT DISTINCT customer_id FROM xlcrm_checked "
        f"WHERE customer_id IS NOT NULL AND NOT COALESCE(({sql.good_condition(as_of_day)}), FALSE)"
    )
    values = f"SELECT raw FROM xlcrm_found_ids UNION {others}"
    fast = sql.fast_path("customer_id", columns.kinds["customer_id"])
    raw = backend.fetch(sql.slow_values_sql("customer_id", fast, rowkinds.TRIGGERS, values=values))
    if len(raw) == 0:
        return False
    _register_map(backend, "customer_id", raw.column("raw"), settings, rowkinds.TRIGGERS)
    return True


def _reduce(
    backend: Backend,
    as_of_day: int,
    settings: Settings,
    order_ids: bool,
    parts: int,
    bar: Progress,
    good: int,
    *,
    merged: bool,
) -> tuple[Reduced, pa.ChunkedArray]:
    """The good rows (look-alike ids under one spelling when ``merged``) reduced to
    one row per customer, in ``parts`` hash partitions of the customers; and the
    customer ids, sorted, as Arrow text."""
    good_rows = sql.good_rows_sql(as_of_day, merged=merged)
    # The good rows are stored once: each part reads only them, and the engine plans
    # the reduction on known sizes (over the view its estimates were far too small).
    if parts > 1 and hasattr(backend, "store_parts"):
        # one pass writes each part's rows apart (compressed): a part reads only its own
        backend.materialize("xlcrm_lines_empty", good_rows + " LIMIT 0")
        relations = backend.store_parts(good_rows, parts)
        sources = [f"SELECT customer_id, order_id, day, cents FROM {r}" for r in relations]
    else:
        backend.materialize("xlcrm_lines", good_rows)
        sources = [sql.lines_sql((k, parts) if parts > 1 else None) for k in range(parts)]
    pieces = []
    for lines in sources:
        statement = sql.reduction_sql(
            lines,
            as_of_day=as_of_day,
            window_days=settings.window_days,
            loyal_windows=settings.loyal_windows,
            history_days=settings.value_horizon_days,
            order_ids=order_ids and _orders_may_repeat(backend, lines),
            dialect=backend.dialect,
        )
        pieces.append(backend.fetch(statement))
        bar.advance(good // parts)
    return _to_reduced(pieces, as_of_day, settings)


def _orders_may_repeat(backend: Backend, lines: str) -> bool:
    """Whether two of ``lines`` may share a customer and an order id (lines of one
    order, to be added up). In DuckDB the hashes of the pairs are sorted: all
    distinct, no pair repeats, and the reduction need not group the lines by order
    (a third of its time when no order has two lines). Equal hashes, whether of one
    pair or a rare collision, keep the grouping. Sorted in numpy, 12.5 million
    hashes take 0.4 s with the fetch; DuckDB's COUNT(DISTINCT) took 1 s."""
    if backend.dialect != "duckdb":
        return True
    column = backend.fetch(sql.order_hashes_sql(lines)).column(0)
    hashes = np.sort(column.to_numpy())
    del column
    return bool((hashes[1:] == hashes[:-1]).any())


# --- values the SQL does not read: parsed in Python, once per distinct value ---------------

_PARSERS: Final = {
    "customer_id": cells.parse_ids,
    "order_id": cells.parse_text,
    "amount": cells.parse_amounts,
    "status": cells.parse_text,
}
#: Roles whose text may be a total or note label (合计, 小计, Total …): the label of
#: a total row usually sits in the first column, which is one of these or a date.
_LABELLED: Final = ("customer_id", "order_id")


def _map_slow_values(
    backend: Backend, columns: Columns, settings: Settings, skip: tuple[str, ...] = ()
) -> tuple[set[str], str | None]:
    """Register ``xlcrm_map_<role>`` for each role with values the SQL does not read
    (or that may be a total label, or a status to leave out); returns those roles
    and the amount column's main currency when amounts are written with one.
    ``skip``: roles checked later."""
    mapped: set[str] = set()
    main_currency = None
    for role, kind in columns.kinds.items():
        if role in skip:
            continue
        fast = sql.fast_path(role, kind)
        labels = rowkinds.TRIGGERS if role in _LABELLED and sql.is_text(kind) else ()
        if fast.expr is not None and fast.guard is None and not labels:
            continue
        raw = backend.fetch(sql.slow_values_sql(role, fast, labels)).column("raw")
        if len(raw) == 0:
            continue
        main_currency = _register_map(backend, role, raw, settings, labels) or main_currency
        mapped.add(role)
    return mapped, main_currency


def _register_map(
    backend: Backend,
    role: str,
    raw: pa.ChunkedArray,
    settings: Settings,
    labels: tuple[str, ...],
) -> str | None:
    """Parse the distinct ``raw`` values of ``role`` with the reader's rules and register
    them as ``xlcrm_map_<role>``; the amounts' main currency if they name one."""
    main_currency = None
    values = np.asarray(raw.to_pylist(), dtype=object)
    if role == "order_date":
        parsed = cells.parse_dates(values, day_first=settings.day_first)
        clean = pa.array(parsed.values.dt.date.where(parsed.values.notna(), None), pa.date32())
        problems = parsed.problem
    elif role == "amount":
        parsed = cells.parse_amounts(values)
        clean = pa.array(parsed.values.to_numpy(dtype=np.float64), pa.float64(), from_pandas=True)
        problems = np.asarray(parsed.problem, dtype=object)
        if parsed.currency is not None:
            main_currency = _other_currencies(backend, raw, parsed.currency, problems, settings)
    else:
        parsed = _PARSERS[role](values)
        text = parsed.values.astype(object).where(parsed.values.notna(), None)
        problems = np.asarray(parsed.problem, dtype=object)
        if role == "status":
            keys = settings.excluded_status_keys
            out = np.fromiter(
                (v is not None and status_key(v) in keys for v in text), bool, len(text)
            )
            problems = np.where(out & pd.isna(problems), qual.STATUS_EXCLUDED, problems)
        if labels:
            kind_, _, _ = rowkinds.footer_rows({role: (values, None)})
            label = pd.notna(kind_)
            problems = np.where(label, kind_, problems)
            text = text.where(~label, None)
        clean = pa.array(text.tolist(), pa.string())
    problem = pa.array([None if pd.isna(p) else str(p) for p in problems], pa.string())
    table = pa.table(
        {"raw": raw, "clean": clean, "problem": problem, "blank": pa.array(parsed.blank)}
    )
    backend.register(f"xlcrm_map_{role}", table)
    return main_currency


def _other_currencies(
    backend: Backend,
    raw: pa.Array,
    currency: np.ndarray,
    problems: np.ndarray,
    settings: Settings,
) -> str | None:
    """Mark amounts written in another currency than the column's main one (the
    Settings sheet's currency when written, else the one on the most rows);
    returns the main currency."""
    named = pd.notna(currency)
    if not named.any():
        return None
    written = pd.unique(currency[named])
    main = str(written[0])
    if len(written) > 1:
        backend.register(
            "xlcrm_currency", pa.table({"raw": raw, "currency": pa.array(currency, pa.string())})
        )
        counts = backend.fetch(
            "SELECT m.currency, COUNT(*) AS n, MIN(r.xlcrm_row) AS first "
            "FROM xlcrm_raw AS r JOIN xlcrm_currency AS m ON r.amount_raw = m.raw "
            "WHERE m.currency IS NOT NULL GROUP BY m.currency ORDER BY n DESC, first"
        ).to_pylist()
        wanted = cells.CURRENCY_CODES.get(
            settings.currency.strip().casefold(), settings.currency.strip().upper()
        )
        found = [str(c["currency"]) for c in counts]
        main = wanted if wanted and wanted in found else found[0]
    other = named & (currency != main) & pd.isna(problems)
    problems[other] = qual.OTHER_CURRENCY
    return main


# --- counting and listing the rows left out -------------------------------------------------

_REASON_COLUMNS: Final = ("customer_id", "order_date", "amount", "order_id", "status")


def _leaves_out(reasons: Mapping[str, Any]) -> bool:
    """A row's reasons (role -> code or None) leave it out."""
    return any(reasons[r] is not None for r in sql.LEAVES_OUT) or (
        reasons["order_id"] in sql.ROW_REASONS
    )


def _count(
    backend: Backend, columns: Columns, as_of_day: int
) -> tuple[RowCounts, int, pd.DataFrame, int]:
    reasons = ", ".join(f"{c}_reason" for c in _REASON_COLUMNS)
    table = backend.fetch(
        f"SELECT skipped, {reasons}, COUNT(*) AS n, "
        f"COUNT(*) FILTER (WHERE day > {as_of_day}) AS future "
        f"FROM xlcrm_checked GROUP BY skipped, {reasons}"
    ).to_pandas()
    required = [f"{c}_reason" for c in sql.LEAVES_OUT]
    skipped = table["skipped"].fillna(False).astype(bool)
    labelled = table["order_id_reason"].isin(sql.ROW_REASONS)
    bad = (table[required].notna().any(axis=1) | labelled) & ~skipped
    good = ~bad & ~skipped
    n = table["n"].astype(np.int64)
    counts = RowCounts(
        read=int(n[good].sum()), left_out=int(n[bad].sum()), skipped=int(n[skipped].sum())
    )
    future = int(table.loc[good, "future"].astype(np.int64).sum())
    rows = []
    for role in _REASON_COLUMNS:
        col = f"{role}_reason"
        hit = table[col].notna() & ~skipped
        for reason, group in table[hit].groupby(col):
            header = columns.headers.get(role, role)
            leaves = role in sql.LEAVES_OUT or reason in sql.ROW_REASONS
            rows.append((header, str(reason), int(group["n"].astype(np.int64).sum()), leaves))
    problems = pd.DataFrame(rows, columns=["column", "reason", "rows", "left_out"])
    good_lines = counts.read - future
    return counts, future, problems, good_lines


def _has_problems(problems: pd.DataFrame) -> bool:
    return bool(len(problems))


def _listing(
    backend: Backend,
    source: Source,
    columns: Columns,
    limit: int,
    unit: float = 1.0,
    main_currency: str | None = None,
) -> pd.DataFrame:
    """The first ``limit`` rows with a problem, one quality row per problem cell."""
    if source.kind == "frame":  # rows of a workbook: the reader listed them already
        return qual.empty_quality()
    reasons = ", ".join(f"{c}_reason" for c in _REASON_COLUMNS)
    raws = ", ".join(f"{role}_raw" for role in columns.names)
    problem = " OR ".join(f"{c}_reason IS NOT NULL" for c in _REASON_COLUMNS)
    checked = sql.checked_sql(tuple(columns.names), unit)
    statement = f"""
SELECT xlcrm_file, xlcrm_row, {reasons}, {raws}
FROM ({checked}) AS k
WHERE NOT skipped AND ({problem})
ORDER BY xlcrm_file, xlcrm_row
LIMIT {int(limit)}
"""
    found = backend.fetch(statement).to_pylist()
    firsts = _first_rows(backend, source) if source.kind == "csv" and len(source.files) > 1 else {}
    out: list[dict[str, Any]] = []
    for row in found:
        required_bad = _leaves_out({c: row[f"{c}_reason"] for c in _REASON_COLUMNS})
        file_name = str(row["xlcrm_file"]).replace("\\", "/").rsplit("/", 1)[-1]
        number = row["xlcrm_row"]
        if number is not None and row["xlcrm_file"] in firsts:
            number = number - firsts[row["xlcrm_file"]] + source.header_row + 2
        for role in _REASON_COLUMNS:
            reason = row[f"{role}_reason"]
            if reason is None:
                continue
            value = row.get(f"{role}_raw")
            out.append(
                {
                    "sheet": file_name,
                    "row": number,
                    "column": columns.headers.get(role, role),
                    "value": qual.display(value),
                    "reason": reason,
                    "left_out": required_bad,
                    "detail": main_currency if reason == qual.OTHER_CURRENCY else None,
                }
            )
    if not out:
        return qual.empty_quality()
    frame = pd.DataFrame(out)
    frame["sheet"] = frame["sheet"].astype("str")
    frame["row"] = frame["row"].astype("Int64")
    frame["column"] = frame["column"].astype("str")
    frame["value"] = frame["value"].astype("str")
    frame["reason"] = frame["reason"].astype("str")
    frame["left_out"] = frame["left_out"].astype(bool)
    frame["detail"] = frame["detail"].astype("str")
    return frame


def _first_rows(backend: Backend, source: Source) -> dict[str, int]:
    table = backend.fetch(
        "SELECT xlcrm_file, MIN(xlcrm_row) AS first FROM xlcrm_checked GROUP BY xlcrm_file"
    )
    return {
        str(f): int(r)
        for f, r in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)
    }


# --- customer ids that differ only in case, width or invisible characters ----------------


#: What Python's ``str.strip()`` removes from ASCII text.
_ASCII_SPACE: Final = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _none_similar(ids: pa.ChunkedArray) -> bool:
    """True when no two of the distinct ``ids`` share a key of
    :func:`xlcrm.core.cells.similar_id_keys`, found in Arrow without the keys: ASCII
    ids with nothing to strip, whose letters are all of one case."""
    if not pc.all(pc.string_is_ascii(ids)).as_py():
        return False
    same = pc.all(pc.equal(pc.utf8_trim(ids, characters=_ASCII_SPACE), ids)).as_py()
    if same is False:
        return False
    cases = (pc.ascii_lower, pc.ascii_upper)
    return any(pc.all(pc.equal(case(ids), ids)).as_py() is not False for case in cases)


def _similar_ids(
    backend: Backend, source: Source, columns: Columns, ids: pa.ChunkedArray, settings: Settings
) -> tuple[pd.DataFrame, pa.Table | None]:
    """Customer ids (``ids``: those the reduction found) that differ only in case,
    full width or invisible characters from an id seen before them: Data quality
    rows (at the id's first row), and with ``merge_similar_ids`` the map (id ->
    the first id) to reduce them under."""
    merge = settings.merge_similar_ids
    if source.kind == "frame" or len(ids) < 2:  # a workbook's rows: the reader did it
        return qual.empty_quality(), None
    if _none_similar(ids):  # ten million ids checked in 0.5 s (the keys take 9 s)
        return qual.empty_quality(), None
    unique = pd.Series(ids.to_numpy(zero_copy_only=False), dtype=object)
    shared = cells.similar_id_keys(unique).duplicated(keep=False).to_numpy()
    if not shared.any():
        return qual.empty_quality(), None
    candidates = unique[shared]
    backend.register("xlcrm_similar", pa.table({"raw": pa.array(candidates.tolist(), pa.string())}))
    firsts = backend.fetch(
        "SELECT c.customer_id, c.xlcrm_file, MIN(c.xlcrm_row) AS row FROM xlcrm_checked AS c "
        "JOIN xlcrm_similar AS s ON c.customer_id = s.raw "
        "WHERE c.customer_id_reason IS NULL AND NOT c.skipped "
        "GROUP BY c.customer_id, c.xlcrm_file"
    ).to_pandas()
    firsts["file"] = firsts["xlcrm_file"].astype(str)
    firsts = firsts.sort_values(["file", "row", "customer_id"]).drop_duplicates("customer_id")
    firsts["key"] = cells.similar_id_keys(firsts["customer_id"]).to_numpy()
    firsts["first"] = firsts.groupby("key")["customer_id"].transform("first")
    odd = firsts[firsts["customer_id"] != firsts["first"]]
    offsets = _first_rows(backend, source) if source.kind == "csv" and len(source.files) > 1 else {}
    rows = [
        (r - offsets[f] + source.header_row + 2) if f in offsets else r
        for f, r in zip(odd["xlcrm_file"], odd["row"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "sheet": [str(f).replace("\\", "/").rsplit("/", 1)[-1] for f in odd["xlcrm_file"]],
            "row": pd.array(rows, dtype="Int64"),
            "column": columns.headers.get("customer_id", "customer_id"),
            "value": [qual.display(v) for v in odd["customer_id"]],
            "reason": qual.MERGED_ID if merge else qual.SIMILAR_ID,
            "left_out": False,
            "detail": odd["first"].astype(str).to_numpy(),
        }
    )
    id_map = None
    if merge:
        id_map = pa.table(
            {
                "raw": pa.array(odd["customer_id"].tolist(), pa.string()),
                "first": pa.array(odd["first"].tolist(), pa.string()),
            }
        )
    return frame, id_map


# --- the per-customer table -----------------------------------------------------------------


def _to_reduced(
    pieces: list[pa.Table], as_of_day: int, settings: Settings
) -> tuple[Reduced, pa.ChunkedArray]:
    """The pieces (let go of here, column by column) as one table sorted by id; and
    the sorted ids as Arrow text."""
    table = pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]
    pieces.clear()
    # sorted by id here, the core's own sort of the ids finds them in order: in DuckDB,
    # on every core (ten million rows in 2 s; Arrow's sort and takes took 7.6 s). Text
    # is compared byte by byte in both: code point order, as Python compares it.
    # the columns come out as the core holds them (whole numbers, missing as 0; the
    # median a float, missing as NaN): a conversion of its own per column took 1.4 s
    typed = ", ".join(
        f"CAST({name} AS DOUBLE) AS {name}"
        if name == "median_gap_days"
        else f"CAST(COALESCE({name}, 0) AS BIGINT) AS {name}"
        for name in REDUCED_COLUMNS
    )
    with duckdb.connect() as con:
        con.register("xlcrm_pieces", table)
        del table
        table = con.sql(
            f"SELECT customer_id, {typed} FROM xlcrm_pieces ORDER BY customer_id"
        ).to_arrow_table()
    sorted_ids = table.column("customer_id")
    ids = sorted_ids.to_numpy(zero_copy_only=False)
    table = table.drop_columns(["customer_id"])
    columns: dict[str, np.ndarray] = {}
    for name in REDUCED_COLUMNS:  # one column at a time, each let go once converted
        column = table.column(name)
        table = table.drop_columns([name])
        values = column.to_numpy(zero_copy_only=False)  # a missing median (null): NaN
        columns[name] = values if values.flags.writeable else values.copy()
        del column, values
    reduced = Reduced(
        ids,
        columns,
        as_of_day,
        settings.window_days,
        settings.loyal_windows,
        settings.value_horizon_days,
    )
    return reduced, sorted_ids
