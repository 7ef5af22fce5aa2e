"""The engine path at scale: 100,000,000 orders of 10,000,000 customers in Parquet.

Cases (ratios against a bare DuckDB ``GROUP BY customer_id`` timed in the same run):

- the reduction (reading, checking, per-customer table) at most 10x;
- ``xlcrm analyze orders.parquet`` end to end (scores, tiers, plan, the Parquet
  result and the summary workbook) at most 20x, peak resident memory under 6 GB;
- on 1,000,000 orders the DuckDB path within 1.5x of the pandas path.

The history is generated once by DuckDB and cached in ``~/.cache/xlcrm-bench``
(``XLCRM_BENCH_CACHE``). ``XLCRM_BENCH_ORDERS`` sets its size (default 100M;
customers are a tenth of the orders). Run alone with ``python -m benchmarks engine``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Case

N_ORDERS = int(os.environ.get("XLCRM_BENCH_ORDERS", "100000000"))
N_SMALL = 1_000_000
AS_OF = "2025-06-30"
CACHE = Path(os.environ.get("XLCRM_BENCH_CACHE", Path.home() / ".cache" / "xlcrm-bench"))


def history(n_orders: int) -> Path:
    """``orders-N.parquet``: order id, customer id, date, amount (2 % refunds), built once."""
    import duckdb

    path = CACHE / f"orders-{n_orders}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    customers = max(n_orders // 10, 1)
    tmp = path.with_suffix(".part")
    with duckdb.connect() as con:
        con.execute(
            f"""
            COPY (
              SELECT
                'O' || CAST(i AS VARCHAR) AS order_id,
                'C' || LPAD(CAST(HASH(i, 1) % {customers} AS VARCHAR), 8, '0') AS customer_id,
                DATE '2021-01-01' + CAST(HASH(i, 2) % 1640 AS INTEGER) AS order_date,
                CASE WHEN HASH(i, 4) % 50 = 0 THEN -1 ELSE 1 END
                  * ROUND(5 + (HASH(i, 3) % 50000) / 100.0, 2) AS amount
              FROM range({n_orders}) AS t(i)
            ) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """
        )
    os.replace(tmp, path)
    return path


def bare_group_by(data: dict[str, Any]) -> object:
    """Last date, count and sum per customer: the floor any reduction stands on."""
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET threads = 2")
        return (
            con.sql(
                "SELECT customer_id, MAX(order_date), COUNT(*), SUM(amount) "
                f"FROM read_parquet('{data['orders']}') GROUP BY customer_id"
            )
            .to_arrow_table()
            .num_rows
        )


def reduction(data: dict[str, Any]) -> object:
    from xlcrm.core import rfm
    from xlcrm.core.settings import DEFAULT_SETTINGS
    from xlcrm.engine.duck import DuckBackend
    from xlcrm.engine.reduce import reduce_orders
    from xlcrm.engine.sources import parse_source

    backend = DuckBackend(threads=2)
    try:
        found = reduce_orders(
            backend,
            parse_source(str(data["orders"])),
            as_of_day=rfm.day_number(rfm.to_timestamp(AS_OF)),
            settings=DEFAULT_SETTINGS,
        )
    finally:
        backend.close()
    return found.reduced.n_customers


def analyze_cli(data: dict[str, Any]) -> object:
    """``xlcrm analyze`` in a child process; its peak resident memory is recorded."""
    out = Path(data["out"]) / "result.xlsx"
    command = [sys.executable, "-m", "xlcrm", "analyze", str(data["orders"]), "-o", str(out)]
    command += ["--as-of", AS_OF]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            errors.seek(0)
            raise RuntimeError(errors.read().decode(errors="replace"))
    data["peak_mb"] = max(data.get("peak_mb", 0.0), usage.ru_maxrss / 1024)
    print(f"  analyze: {time.perf_counter() - started:.1f} s, peak {usage.ru_maxrss / 1024:.0f} MB")
    return out


def setup_big() -> dict[str, Any]:
    return {"orders": history(N_ORDERS), "out": tempfile.mkdtemp(prefix="xlcrm-bench-")}


def setup_small() -> dict[str, Any]:
    import pandas as pd

    path = history(N_SMALL)
    return {"orders": path, "frame": pd.read_parquet(path)}


def pandas_path(data: dict[str, Any]) -> object:
    import pandas as pd

    from xlcrm.core.analysis import analyze

    frame = pd.read_parquet(data["orders"])
    return len(analyze(frame, as_of=AS_OF).customers)


def duckdb_path(data: dict[str, Any]) -> object:
    import datetime as dt

    from xlcrm.engine.run import run_engine

    job = run_engine(data["orders"], today=dt.date(2025, 6, 30), as_of=AS_OF, threads=2)
    return len(job.analysis.customers)


big = f"{N_ORDERS / 1e6:g}M orders"
CASES = [
    Case(
        name=f"engine reduction, {big}",
        setup=setup_big,
        baseline=bare_group_by,
        candidate=reduction,
        baseline_name="bare GROUP BY",
        max_ratio=10.0,
        repeat=1,
        warmup=False,
        peak_mb=lambda data: 0.0,
    ),
    Case(
        name=f"analyze end to end, {big}",
        setup=setup_big,
        baseline=bare_group_by,
        candidate=analyze_cli,
        baseline_name="bare GROUP BY",
        max_ratio=20.0,
        max_peak_mb=6000.0,
        repeat=1,
        warmup=False,
        peak_mb=lambda data: float(data.get("peak_mb", 0.0)),
    ),
    Case(
        name="DuckDB path vs pandas path, 1M orders",
        setup=setup_small,
        baseline=pandas_path,
        candidate=duckdb_path,
        baseline_name="pandas path",
        max_ratio=1.5,
        repeat=3,
    ),
]
