"""`xlcrm analyze` end to end against python-calamine reading the same file.

The workbook (1,000,000 orders, 100,000 customers, 200,000 activities) is
built once with seeded randomness and cached in the temp folder; delete the
file to rebuild it. Two books: orders skewed towards few customers (as real
shops), and orders spread so that every customer buys (so every result sheet
has 100,000 rows). Run alone with ``python -m benchmarks analyze``; besides
the harness table it prints the read / compute / write split of one run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import Case

N_CUSTOMERS = 100_000
N_ORDERS = 1_000_000
N_ACTIVITIES = 200_000
AS_OF = "2025-06-30"
CACHE = Path(tempfile.gettempdir()) / f"xlcrm_bench_analyze_{N_ORDERS}_{N_CUSTOMERS}.xlsx"
CACHE_ALL = CACHE.with_name(CACHE.stem + "_all.xlsx")


def build_workbook(path: Path, *, everyone: bool = False) -> Path:
    """Write the benchmark workbook with openpyxl's write-only mode (once)."""
    from openpyxl import Workbook

    rng = np.random.default_rng(20250630)
    base = np.datetime64("2021-01-01")
    ids = np.array([f"C{i:06d}" for i in range(1, N_CUSTOMERS + 1)], dtype=object)
    owners = np.array(["Alice", "Bob", "Chen Wei", "Li Na", "Dana"], dtype=object)
    grades = np.array(["A", "B", "C", "D", "E", ""], dtype=object)
    wb = Workbook(write_only=True)

    ws = wb.create_sheet("Customers")
    ws.append(["Customer ID", "Name", "Owner", "Created", "Grade", "Last contact"])
    created = base + rng.integers(0, 1400, N_CUSTOMERS).astype("timedelta64[D]")
    contact = created + rng.integers(0, 200, N_CUSTOMERS).astype("timedelta64[D]")
    owner_ix = rng.integers(0, len(owners), N_CUSTOMERS)
    grade_ix = rng.integers(0, len(grades), N_CUSTOMERS)
    for i in range(N_CUSTOMERS):
        ws.append(
            [
                ids[i],
                f"Customer {i + 1}",
                owners[owner_ix[i]],
                created[i].astype(object),
                grades[grade_ix[i]] or None,
                contact[i].astype(object),
            ]
        )

    ws = wb.create_sheet("Orders")
    ws.append(["Order ID", "Customer ID", "Order Date", "Amount"])
    # a skewed number of orders per customer, like real shops
    who = np.minimum((rng.pareto(1.2, N_ORDERS) * 3000).astype(np.int64), N_CUSTOMERS - 1)
    if everyone:  # every customer buys at least once, the rest at random
        who = np.r_[rng.permutation(N_CUSTOMERS), rng.integers(0, N_CUSTOMERS, N_ORDERS)]
        who = who[:N_ORDERS]
    when = base + rng.integers(0, 1640, N_ORDERS).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(5, 1, N_ORDERS), 2)
    for i in range(N_ORDERS):
        ws.append([f"O{i + 1:07d}", ids[who[i]], when[i].astype(object), float(amount[i])])

    ws = wb.create_sheet("Activities")
    ws.append(["Customer ID", "Date", "Kind"])
    who = rng.integers(0, N_CUSTOMERS, N_ACTIVITIES)
    when = base + rng.integers(0, 1640, N_ACTIVITIES).astype("timedelta64[D]")
    kinds = np.array(["call", "visit", "email", "meeting"], dtype=object)
    kind_ix = rng.integers(0, 4, N_ACTIVITIES)
    for i in range(N_ACTIVITIES):
        ws.append([ids[who[i]], when[i].astype(object), kinds[kind_ix[i]]])

    ws = wb.create_sheet("Settings")
    ws.append(["Setting", "Value"])
    ws.append(["as_of", AS_OF])
    tmp = path.with_suffix(".part.xlsx")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


def setup() -> dict[str, Any]:
    if not CACHE.exists():
        build_workbook(CACHE)
    out = CACHE.with_name(CACHE.stem + ".out.xlsx")
    return {"book": CACHE, "out": out}


def setup_everyone() -> dict[str, Any]:
    if not CACHE_ALL.exists():
        build_workbook(CACHE_ALL, everyone=True)
    out = CACHE_ALL.with_name(CACHE_ALL.stem + ".out.xlsx")
    return {"book": CACHE_ALL, "out": out}


def read_calamine(data: dict[str, Any]) -> object:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(data["book"]))
    return [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]


def analyze_end_to_end(data: dict[str, Any], timings: dict[str, float] | None = None) -> object:
    from xlcrm.core.analysis import analyze
    from xlcrm.xlsx.reader import read_workbook
    from xlcrm.xlsx.writer import write_results

    t0 = time.perf_counter()
    book = read_workbook(data["book"])
    t1 = time.perf_counter()
    result = analyze(
        book.orders,
        book.customers,
        book.activities,
        as_of=book.as_of or AS_OF,
        settings=book.settings,
    )
    t2 = time.perf_counter()
    write_results(result, book, data["out"], lang="en")
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(read=t1 - t0, compute=t2 - t1, write=t3 - t2)
    return data["out"]


def _candidate(data: dict[str, Any]) -> object:
    timings: dict[str, float] = {}
    out = analyze_end_to_end(data, timings)
    print(
        "  analyze split: read {read:.2f} s, compute {compute:.2f} s, write {write:.2f} s".format(
            **timings
        )
    )
    return out


CASES = [
    Case(
        name="analyze 1M orders / 100k customers",
        setup=setup,
        baseline=read_calamine,
        candidate=_candidate,
        baseline_name="calamine read",
        max_ratio=2.0,
        repeat=3,
    ),
    Case(
        name="analyze 1M orders, all 100k customers buy",
        setup=setup_everyone,
        baseline=read_calamine,
        candidate=_candidate,
        baseline_name="calamine read",
        max_ratio=2.0,
        repeat=3,
    ),
]
