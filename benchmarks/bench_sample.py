"""`xlcrm demo`: generating the book and writing the styled workbook.

- generate: :func:`xlcrm.xlsx.sample.generate_sample` for 100,000 customers (about
  a million orders) against building an orders frame of the same length from
  plain random columns, the floor for any vectorised generator.
- write: :func:`xlcrm.xlsx.sample.write_sample` of the default 2,000-customer book
  (header styles, number formats, Excel tables, Settings sheet) against
  openpyxl's write-only mode dumping the same values bare.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import Case
from xlcrm.xlsx import sample

BIG = 100_000
OUT = Path(tempfile.gettempdir())


def _frame_floor(n_orders: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ids = pd.Series(np.arange(1, BIG + 1)).astype(str).str.zfill(6).radd("C").to_numpy()
    days = rng.integers(0, 730, n_orders).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, BIG, n_orders)],
            "order_date": (np.datetime64("2026-06-30") - days).astype("datetime64[ns]"),
            "amount": np.round(rng.lognormal(5.5, 0.8, n_orders), 2),
        }
    ).sort_values("order_date")


def _bare_write(book: sample.Sample) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for frame in (book.customers, book.orders, book.activities):
        ws = wb.create_sheet()
        ws.append(list(frame.columns))
        columns = [sample._column_values(frame[c]) for c in frame.columns]
        for row in zip(*columns, strict=True):
            ws.append(row)
    path = OUT / "xlcrm_bench_sample_bare.xlsx"
    wb.save(path)
    return path


def _setup_generate() -> int:
    return len(sample.generate_sample(customers=BIG).orders)


def _setup_write() -> Any:
    return sample.generate_sample()


CASES = [
    Case(
        name="generate 100k customers",
        setup=_setup_generate,
        baseline=_frame_floor,
        baseline_name="random orders frame",
        candidate=lambda _: sample.generate_sample(customers=BIG),
        max_ratio=8.0,
        max_peak_mb=1000,
        repeat=3,
    ),
    Case(
        name="write 2k-customer workbook",
        setup=_setup_write,
        baseline=_bare_write,
        baseline_name="openpyxl write-only, bare",
        candidate=lambda book: sample.write_sample(book, OUT / "xlcrm_bench_sample.xlsx"),
        max_ratio=1.5,
        max_peak_mb=300,
        repeat=3,
    ),
]
