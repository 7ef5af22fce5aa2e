"""The reader against python-calamine reading the same Orders sheet to lists.

The workbook (1,000,000 orders over 100,000 customer ids, a 100,000-row
Customers sheet and a Settings sheet) is built once with seeded randomness
and cached in the temp folder; delete the file to rebuild it. Run alone with
``python -m benchmarks read``.

The baseline reads only the Orders sheet; the candidate, ``read_workbook``,
reads every sheet and parses ids, dates and amounts. The reader's promise
is at most 1.5x, which leaves the analyze end-to-end case (2x) room for the
core and the writer.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.harness import Case

N_CUSTOMERS = 100_000
N_ORDERS = 1_000_000
CACHE = Path(tempfile.gettempdir()) / f"xlcrm_bench_read_{N_ORDERS}_{N_CUSTOMERS}_v1.xlsx"


def build_workbook(path: Path) -> Path:
    """Write the benchmark workbook with openpyxl's write-only mode (once)."""
    from openpyxl import Workbook

    rng = np.random.default_rng(20240305)
    base = np.datetime64("2021-01-01")
    ids = np.array([f"C{i:06d}" for i in range(1, N_CUSTOMERS + 1)], dtype=object)
    owners = np.array(["Alice", "Bob", "Chen Wei", "Li Na", "Dana"], dtype=object)
    grades = np.array(["A", "B", "C", "D", "E", ""], dtype=object)
    wb = Workbook(write_only=True)

    ws = wb.create_sheet("Customers")
    ws.append(["Customer ID", "Name", "Owner", "Created", "Grade", "Last contact"])
    created = (base + rng.integers(0, 1400, N_CUSTOMERS).astype("timedelta64[D]")).astype(object)
    contact = (
        created.astype("datetime64[D]") + rng.integers(0, 200, N_CUSTOMERS).astype("timedelta64[D]")
    ).astype(object)
    owner_ix = rng.integers(0, len(owners), N_CUSTOMERS)
    grade_ix = rng.integers(0, len(grades), N_CUSTOMERS)
    for i in range(N_CUSTOMERS):
        ws.append(
            [
                ids[i],
                f"Customer {i + 1}",
                owners[owner_ix[i]],
                created[i],
                grades[grade_ix[i]] or None,
                contact[i],
            ]
        )

    ws = wb.create_sheet("Orders")
    ws.append(["Order ID", "Customer ID", "Order Date", "Amount"])
    who = rng.integers(0, N_CUSTOMERS, N_ORDERS)
    when = (base + rng.integers(0, 1640, N_ORDERS).astype("timedelta64[D]")).astype(object)
    amount = np.round(rng.lognormal(5, 1, N_ORDERS), 2).tolist()
    for i in range(N_ORDERS):
        ws.append([f"O{i + 1:07d}", ids[who[i]], when[i], amount[i]])

    ws = wb.create_sheet("Settings")
    ws.append(["Setting", "Value"])
    ws.append(["as_of", "2025-06-30"])
    tmp = path.with_suffix(".part.xlsx")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


def setup() -> Path:
    if not CACHE.exists():
        build_workbook(CACHE)
    return CACHE


def calamine_orders(path: Path) -> object:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Orders").to_python()
    book.close()
    return rows


def reader(path: Path) -> object:
    from xlcrm.xlsx.reader import read_workbook

    return read_workbook(path)


CASES = [
    Case(
        name="read_workbook 1M orders + 100k customers",
        setup=setup,
        baseline=calamine_orders,
        candidate=reader,
        baseline_name="calamine Orders -> lists",
        max_ratio=1.5,
        repeat=3,
    ),
]
