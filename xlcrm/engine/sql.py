"""The SQL every engine runs: raw order rows -> canonical orders -> one row per customer.

Written once, in DuckDB's dialect; :func:`for_dialect` transpiles it with
sqlglot for Spark (and could for any warehouse sqlglot knows). The
statements use only what both engines have in common: ``TRY_CAST``,
``REGEXP_MATCHES`` (Spark ``RLIKE``), ``FILTER`` clauses, ``LAG`` and
``FIRST_VALUE`` windows and an exact ``MEDIAN``.

Relations, by name:

``xlcrm_raw``
    The input as read, with the columns renamed to their role:
    ``customer_id_raw``, ``order_date_raw``, ``amount_raw`` and, when
    present, ``order_id_raw`` and ``status_raw``; plus ``xlcrm_file`` (file name) and
    ``xlcrm_row`` (row number within the file, where the reader knows it).
``xlcrm_map_<role>``
    Values the SQL fast path does not read, parsed in Python by
    :mod:`xlcrm.core.cells` (the workbook reader's own rules): ``raw``,
    ``clean`` (the value, NULL when unreadable), ``problem`` (reason code
    or NULL), ``blank`` (empty once trimmed). Only distinct values go
    through Python.
``xlcrm_canon``
    One row per input row: the parsed ``customer_id``, ``order_id``, ``day``
    (days since 1970-01-01), ``cents`` (the amount in whole cents), whether
    the row is ``blank`` (every read cell empty: skipped silently), and a
    reason code per required column where it cannot be read.

The reduction (:func:`reduction_sql`) is the definition of
:mod:`xlcrm.core.reduced`, in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CANON",
    "ROLES",
    "Fast",
    "canon_sql",
    "fast_path",
    "for_dialect",
    "reduction_sql",
]

ROLES: Final = ("customer_id", "order_date", "amount", "order_id", "status")
REQUIRED: Final = ("customer_id", "order_date", "amount")
#: Roles whose reason leaves the whole row out: the required ones and the status
#: (an order closed, cancelled or refunded, setting ``excluded_statuses``).
LEAVES_OUT: Final = (*REQUIRED, "status")
#: Reasons that leave the row out whichever column they are found in: a total or
#: note row's label may sit in the order number column too.
ROW_REASONS: Final = ("total_row", "note_row")
CANON: Final = "xlcrm_canon"

# Characters Python's str.strip() leaves alone (not whitespace), as a regex class body.
_SAFE: Final = (
    r"!-~\x{A1}-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{2030}-\x{205E}"
    r"\x{2060}-\x{2FFF}\x{3001}-\x{10FFFF}"
)
# Customer ids: no surrounding space, no dot ("123.0" is 123), not an Excel error (#N/A).
_ID_FIRST: Final = _SAFE.replace("!-~", '!-"$-\\-/-~')
_ID_LAST: Final = _SAFE.replace("!-~", "!-\\-/-~")
ID_PATTERN: Final = f"^[{_ID_FIRST}](?:[^.]*[{_ID_LAST}])?$"
# Order ids: no surrounding space, not an Excel error.
_OID_FIRST: Final = _SAFE.replace("!-~", '!-"$-~')
OID_PATTERN: Final = f"^[{_OID_FIRST}](?:.*[{_SAFE}])?$"
# What OID_PATTERN refuses: empty, a line break (its "." stops there), a bad first or last.
OID_REFUSED: Final = f"^$|\\n|^[^{_OID_FIRST}]|[^{_SAFE}]$"
# ISO dates, optionally with a time of day (dropped, as the reader does).
DATE_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
# Plain decimal numbers.
AMOUNT_PATTERN: Final = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"

#: Days since 1970-01-01 of the first and last dates the reader accepts (1900-01-01, 2199-12-31).
MIN_DAY: Final = -25567
MAX_DAY: Final = 83470

_INTEGER_TYPES: Final = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "INT",
    "LONG",
    "SHORT",
    "BYTE",
)
_FLOAT_TYPES: Final = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")
_TEXT_TYPES: Final = ("VARCHAR", "STRING", "TEXT", "CHAR")


def _base(kind: str) -> str:
    return kind.upper().split("(")[0].strip()


def is_text(kind: str) -> bool:
    """A column type that holds text."""
    return _base(kind) in _TEXT_TYPES


@dataclass(frozen=True)
class Fast:
    """How one role's raw column is read in SQL.

    ``expr`` reads a raw value (``{x}``) that needs no Python; ``guard`` is
    the condition under which ``expr`` applies (None: always). Values
    outside the guard go through Python (``xlcrm_map_<role>``); with
    ``expr`` None every distinct value does. ``per_value``: the guard is
    checked once per distinct value (customer ids: few values, many rows),
    and rows are then read by a lookup, with no check per row. ``refused``: a
    regular expression found in exactly the values the guard refuses, so that
    one expression finds them and the total labels together (two took twice
    as long over 100 million order ids).
    """

    expr: str | None
    guard: str | None
    per_value: bool = False
    refused: str | None = None


#: Whole days since 1970 of a DuckDB TIMESTAMP_NS ``{x}``, rounded down (``//`` rounds
#: toward zero).
_NS_DAY: Final = 86_400_000_000_000
_NS_DAYS: Final = (
    f"((epoch_ns({{x}}) - ((epoch_ns({{x}}) % {_NS_DAY}) + {_NS_DAY}) % {_NS_DAY}) // {_NS_DAY})"
)


def fast_path(role: str, kind: str) -> Fast:
    """The SQL reading of a raw column of type ``kind`` (as the engine reports it)."""
    base = _base(kind)
    text = base in _TEXT_TYPES
    if role in ("customer_id", "order_id"):
        if base in _INTEGER_TYPES:
            return Fast("CAST({x} AS VARCHAR)", None)
        if text and role == "customer_id":
            return Fast("{x}", "REGEXP_MATCHES({x}, '" + ID_PATTERN + "')", per_value=True)
        if text:
            return Fast("{x}", "REGEXP_MATCHES({x}, '" + OID_PATTERN + "')", refused=OID_REFUSED)
        return Fast(None, None)
    if role == "order_date":
        if base == "TIMESTAMP_NS":
            # DuckDB's CAST rounds toward 1970 (23:59:59.999999999 on 31 Dec 1969 became
            # 1 Jan 1970): the day is counted from the nanoseconds, rounded down
            return Fast(f"DATE '1970-01-01' + CAST({_NS_DAYS} AS INTEGER)", None)
        if base == "DATE" or base.startswith("TIMESTAMP"):
            return Fast("CAST({x} AS DATE)", None)
        if text:
            return Fast(
                "TRY_CAST(SUBSTR({x}, 1, 10) AS DATE)",
                "REGEXP_MATCHES({x}, '" + DATE_PATTERN + "')",
            )
        return Fast(None, None)
    if role == "status":
        return Fast(None, None)  # few distinct values: every one is looked up in Python
    if role == "amount":
        if base in _INTEGER_TYPES or base in _FLOAT_TYPES:
            return Fast("CAST({x} AS DOUBLE)", None)
        if text:
            return Fast("CAST({x} AS DOUBLE)", "REGEXP_MATCHES({x}, '" + AMOUNT_PATTERN + "')")
        return Fast(None, None)
    raise ValueError(f"unknown role {role!r}")


def _ref(role: str) -> str:
    return f"r.{role}_raw"


def label_sql(x: str, words: tuple[str, ...], refused: str | None = None) -> str:
    """True where the text ``x`` holds one of ``words`` in any letter case, the words
    every total or note label holds (:data:`xlcrm.xlsx.rowkinds.TRIGGERS`), or
    (``refused``) matches that regular expression too.

    One regular expression of alternatives: ten times faster than a LIKE per word.
    """
    pattern = "|".join(re.escape(w) for w in words)
    either = f"{refused}|" if refused else ""
    return f"REGEXP_MATCHES({x}, '{_quote(either)}(?i:{_quote(pattern)})')"


def slow_values_sql(
    role: str, fast: Fast, labels: tuple[str, ...] = (), *, values: str | None = None
) -> str:
    """Distinct raw values of ``role`` that the SQL fast path does not read, and
    (with ``labels``) those that could be a total or note label. ``values``: a
    query of the distinct values (column ``raw``) to check, for a per-value check
    (default: every value of the source)."""
    x = _ref(role)
    if fast.per_value and fast.guard is not None:
        values = values or f"SELECT DISTINCT {x} AS raw FROM xlcrm_raw AS r WHERE {x} IS NOT NULL"
        guard = fast.guard.replace("{x}", "raw")
        label = f" OR {label_sql('raw', labels)}" if labels else ""
        return f"SELECT raw FROM ({values}) AS v WHERE NOT ({guard}){label}"
    where = f"{x} IS NOT NULL"
    label = f" OR {label_sql(x, labels)}" if labels else ""
    if fast.expr is not None and fast.refused is not None and labels:
        return (
            f"SELECT DISTINCT {x} AS raw FROM xlcrm_raw AS r "
            f"WHERE {where} AND {label_sql(x, labels, fast.refused)}"
        )
    if fast.expr is not None and fast.guard is not None:
        where += " AND (NOT (" + fast.guard.replace("{x}", x) + f"){label})"
    elif fast.expr is not None:
        where += f" AND (FALSE{label})"
    return f"SELECT DISTINCT {x} AS raw FROM xlcrm_raw AS r WHERE {where}"


def _value(role: str, fast: Fast, mapped: bool) -> tuple[str, str]:
    """(value expression, problem expression) of one role over ``xlcrm_raw r`` + maps."""
    x = _ref(role)
    if fast.expr is None:
        return (f"m_{role}.clean", f"m_{role}.problem") if mapped else ("NULL", "NULL")
    value = fast.expr.replace("{x}", x)
    if not mapped:
        # no map: the slow-values query found no value its guard refuses (the guard
        # is not checked again on every row: a regular expression over 100 million
        # order ids took 3 s)
        return value, "NULL"
    # every value the guard refuses is in the map (and labels it accepts): the map wins
    return (
        f"CASE WHEN m_{role}.raw IS NULL THEN {value} ELSE m_{role}.clean END",
        f"m_{role}.problem",
    )


def canon_sql(kinds: dict[str, str], mapped: set[str], header_values: dict[str, str]) -> str:
    """``xlcrm_canon`` over ``xlcrm_raw``: parsed values and reason codes per row.

    ``kinds``: role -> raw column type (roles present only); ``mapped``: roles
    with an ``xlcrm_map_<role>`` table; ``header_values``: role -> header text,
    for telling repeated header rows (skipped, as in a sheet).
    """
    parts: dict[str, tuple[str, str]] = {}
    joins = []
    for role, kind in kinds.items():
        parts[role] = _value(role, fast_path(role, kind), role in mapped)
        if role in mapped:
            joins.append(f"LEFT JOIN xlcrm_map_{role} AS m_{role} ON {_ref(role)} = m_{role}.raw")
    cid, cid_problem = parts["customer_id"]
    date, date_problem = parts["order_date"]
    amount, amount_problem = parts["amount"]
    oid, oid_problem = parts.get("order_id", ("CAST(NULL AS VARCHAR)", "NULL"))
    _, status_problem = parts.get("status", ("NULL", "NULL"))
    blank = " AND ".join(
        f"({_ref(role)} IS NULL OR COALESCE(m_{role}.blank, FALSE))"
        if role in mapped
        else f"{_ref(role)} IS NULL"
        for role in kinds
    )
    # A repeated header row holds the header texts (only a text column can).
    texts = [role for role in REQUIRED if _base(kinds.get(role, "")) in _TEXT_TYPES]
    repeat = (
        " AND ".join(f"{_ref(role)} = '{_quote(header_values[role])}'" for role in REQUIRED)
        if len(texts) == len(REQUIRED) and all(role in header_values for role in REQUIRED)
        else ""
    )
    raws = ", ".join(f"{_ref(role)} AS {role}_raw" for role in kinds)
    return f"""
SELECT
  r.xlcrm_file AS xlcrm_file,
  r.xlcrm_row AS xlcrm_row,
  {raws},
  {cid} AS customer_id,
  {oid} AS order_id,
  {date} AS order_date,
  {amount} AS amount,
  {cid_problem} AS customer_id_problem,
  {date_problem} AS order_date_problem,
  {amount_problem} AS amount_problem,
  {oid_problem} AS order_id_problem,
  {status_problem} AS status_problem,
  ({blank}) OR COALESCE(({repeat or "FALSE"}), FALSE) AS skipped
FROM xlcrm_raw AS r
{" ".join(joins)}
"""


def _quote(text: str) -> str:
    return text.replace("'", "''")


def checked_sql(raws: tuple[str, ...] = (), unit: float = 1.0) -> str:
    """``xlcrm_checked`` over ``xlcrm_canon``: day, cents and a reason code per role.

    A required value that is empty is ``missing``; one that cannot be read
    keeps its reason (``bad_date`` …); dates outside 1900-2199 are
    ``date_out_of_range``; amounts that are not finite, or too large for
    whole cents, are ``bad_amount``. ``raws``: roles whose raw value to keep
    (for listing the rows left out). ``unit``: what one written amount
    stands for (10,000 under a 万元 header).
    """
    raw = "".join(f"c.{role}_raw, " for role in raws)
    day = "CAST(DATE_DIFF('day', DATE '1970-01-01', c.order_date) AS INTEGER)"
    amount = "c.amount" if unit == 1.0 else f"(c.amount * {float(unit)!r})"
    finite = f"ABS({amount}) < 1e15"
    # whole cents, halves away from zero: the same float steps as core.rfm.to_cents
    cents = f"CAST(SIGN({amount} * 100) * FLOOR(ABS({amount} * 100) + 0.5) AS BIGINT)"
    return f"""
SELECT
  c.xlcrm_file, c.xlcrm_row, {raw}c.customer_id, c.order_id, c.skipped,
  {day} AS day,
  CASE WHEN {finite} THEN {cents} END AS cents,
  CASE
    WHEN c.customer_id_problem IS NOT NULL THEN c.customer_id_problem
    WHEN c.customer_id IS NULL THEN 'missing'
  END AS customer_id_reason,
  CASE
    WHEN c.order_date_problem IS NOT NULL THEN c.order_date_problem
    WHEN c.order_date IS NULL THEN 'missing'
    WHEN {day} < {MIN_DAY} OR {day} > {MAX_DAY} THEN 'date_out_of_range'
  END AS order_date_reason,
  CASE
    WHEN c.amount_problem IS NOT NULL THEN c.amount_problem
    WHEN c.amount IS NULL THEN 'missing'
    WHEN NOT ({finite}) THEN 'bad_amount'
  END AS amount_reason,
  c.order_id_problem AS order_id_reason,
  c.status_problem AS status_reason
FROM {CANON} AS c
"""


def good_rows_sql(as_of_day: int, *, merged: bool = False) -> str:
    """Rows that count: readable, not skipped, dated on or before ``as_of_day``.

    ``merged``: customer ids found in ``xlcrm_id_map`` (``raw`` -> ``first``)
    count under the first spelling (setting ``merge_similar_ids``).
    """
    where = good_condition(as_of_day)
    if merged:
        return (
            "SELECT COALESCE(m.first, c.customer_id) AS customer_id, c.order_id, c.day, c.cents "
            "FROM xlcrm_checked AS c LEFT JOIN xlcrm_id_map AS m ON c.customer_id = m.raw "
            f"WHERE {where}"
        )
    return f"SELECT customer_id, order_id, day, cents FROM xlcrm_checked WHERE {where}"


def good_condition(as_of_day: int) -> str:
    """The condition on ``xlcrm_checked`` of the rows that count (:func:`good_rows_sql`)."""
    row_reasons = ", ".join(f"'{r}'" for r in ROW_REASONS)
    return " AND ".join(
        [
            "NOT skipped",
            *(f"{role}_reason IS NULL" for role in LEAVES_OUT),
            f"COALESCE(order_id_reason NOT IN ({row_reasons}), TRUE)",
            f"day <= {as_of_day}",
        ]
    )


def lines_sql(partition: tuple[int, int] | None = None) -> str:
    """The stored good rows (``xlcrm_lines``), or those of customer part ``k`` of ``parts``."""
    base = "SELECT customer_id, order_id, day, cents FROM xlcrm_lines"
    if partition is None:
        return base
    k, parts = partition
    return f"{base} WHERE HASH(customer_id) % {parts} = {k}"


def order_hashes_sql(lines: str) -> str:
    """One column: a hash of (customer, order id) of each of ``lines`` with an order id.
    All distinct, no two lines share both (two equal may be a collision)."""
    return f"SELECT HASH(customer_id, order_id) AS h FROM ({lines}) WHERE order_id IS NOT NULL"


def reduction_sql(
    lines: str,
    *,
    as_of_day: int,
    window_days: int,
    loyal_windows: int,
    history_days: int,
    order_ids: bool,
    dialect: str = "duckdb",
) -> str:
    """One row per customer of ``lines`` (customer_id, order_id, day, cents): the
    columns of :data:`xlcrm.core.reduced.REDUCED_COLUMNS`.

    Lines sharing a customer and an order id are one order (cents added,
    dated on the earliest line); a line without an order id is an order of
    its own. An order whose lines include a refund and add up to 0 or less
    is fully refunded: not a purchase. One window pass over each customer's orders, purchases and
    refunds apart, gives the gap to the previous purchase and the first
    purchase day; one aggregation gives every column.

    The median gap is exact in every engine. In DuckDB it is the median of the
    customer's gaps collected in a list: its ``MEDIAN`` aggregate took 5 times as
    long over a million customers (26 s against 5 s for 12.5 million lines).
    """
    a, w, h = as_of_day, window_days, history_days
    gaps = "gap) FILTER (WHERE buy AND gap > 0)"
    median = (
        f"list_median(LIST({gaps})" if dialect == "duckdb" else f"CAST(MEDIAN({gaps} AS DOUBLE)"
    )
    if order_ids:
        orders = """
  SELECT customer_id, day, cents, cents < 0 AS refund FROM lines WHERE order_id IS NULL
  UNION ALL
  SELECT customer_id, MIN(day) AS day, SUM(cents) AS cents, BOOL_OR(cents < 0) AS refund
  FROM lines WHERE order_id IS NOT NULL GROUP BY customer_id, order_id"""
    else:
        orders = "SELECT customer_id, day, cents, cents < 0 AS refund FROM lines"
    return f"""
WITH lines AS ({lines}),
orders AS ({orders}),
marked AS (
  SELECT customer_id, day, cents, cents >= 0 AND NOT (refund AND cents <= 0) AS buy,
    {a} - day AS age
  FROM orders
),
paced AS (
  SELECT customer_id, day, cents, buy, age,
    day - LAG(day) OVER (PARTITION BY customer_id, buy ORDER BY day) AS gap,
    FIRST_VALUE(day) OVER (PARTITION BY customer_id, buy ORDER BY day) AS first_buy
  FROM marked
)
SELECT
  customer_id,
  MIN(day) AS first_order_day,
  COUNT(*) AS orders,
  COUNT(*) FILTER (WHERE buy) AS frequency,
  CAST(SUM(cents) AS BIGINT) AS net_cents,
  MIN(day) FILTER (WHERE buy) AS first_day,
  MAX(day) FILTER (WHERE buy) AS last_day,
  {median} AS median_gap_days,
  COUNT(*) FILTER (
    WHERE buy AND age < {w * loyal_windows}
    AND (gap IS NULL OR ({a} - (day - gap)) // {w} <> age // {w})
  ) AS active_windows,
  COUNT(*) FILTER (WHERE buy AND age < {w}) AS recent_purchases,
  COUNT(*) FILTER (WHERE buy AND age >= {w} AND age < {2 * w}) AS prior_purchases,
  COUNT(*) FILTER (WHERE buy AND (gap IS NULL OR gap > 0)) AS purchase_days,
  CAST(SUM(cents) FILTER (WHERE buy AND day = first_buy) AS BIGINT) AS first_day_cents,
  CAST(SUM(cents) FILTER (WHERE buy) AS BIGINT) AS purchase_cents,
  MAX(({a} - first_buy) // {h}) FILTER (WHERE buy) AS history_windows,
  COUNT(*) FILTER (
    WHERE buy AND age // {h} < ({a} - first_buy) // {h}
    AND (gap IS NULL OR ({a} - (day - gap)) // {h} <> age // {h})
  ) AS history_active
FROM paced
GROUP BY customer_id
"""


def for_dialect(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB's dialect) in ``dialect`` ("duckdb" returns it unchanged)."""
    if dialect == "duckdb":
        return sql
    import sqlglot  # only the engines other than DuckDB need it

    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=dialect))
