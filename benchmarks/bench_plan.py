"""The daily call plan on top of the analytics core.

The book of :mod:`benchmarks.bench_core` (1,000,000 orders, 100,000
customers, 200,000 activities), its customers spread over 20 owners. The
baseline is :func:`xlcrm.core.analysis.analyze`; the candidate is the same
analysis followed by :func:`xlcrm.core.plan.build_plan` (five working days,
20 calls a day per owner). The plan may add at most 30 % to the analysis.

``XLCRM_BENCH_CUSTOMERS`` scales the book down for a quick run (orders and
activities follow: 10 and 2 per customer).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import bench_core
from benchmarks.harness import Case

OWNERS = 20


def build() -> dict[str, Any]:
    customers = int(os.environ.get("XLCRM_BENCH_CUSTOMERS", bench_core.N_CUSTOMERS))
    saved = (bench_core.N_CUSTOMERS, bench_core.N_ORDERS, bench_core.N_ACTIVITIES)
    bench_core.N_CUSTOMERS, bench_core.N_ORDERS, bench_core.N_ACTIVITIES = (
        customers,
        customers * 10,
        customers * 2,
    )
    try:
        data = bench_core.build()
    finally:
        bench_core.N_CUSTOMERS, bench_core.N_ORDERS, bench_core.N_ACTIVITIES = saved
    rng = np.random.default_rng(20)
    owners = np.array([f"Owner {i:02d}" for i in range(1, OWNERS + 1)], dtype=object)
    data["customers"] = data["customers"].assign(
        owner=pd.Series(owners[rng.integers(0, OWNERS, len(data["customers"]))], dtype=str)
    )
    return data


def analysis_only(data: dict[str, Any]) -> object:
    from xlcrm.core.analysis import analyze

    return analyze(data["orders"], data["customers"], data["activities"], as_of=bench_core.AS_OF)


def analysis_and_plan(data: dict[str, Any]) -> object:
    from xlcrm.core.plan import build_plan

    result = analysis_only(data)
    return build_plan(result.customers, as_of=result.as_of, settings=result.settings)  # type: ignore[attr-defined]


CASES = [
    Case(
        name="call plan 100k customers / 20 owners",
        setup=build,
        baseline=analysis_only,
        candidate=analysis_and_plan,
        baseline_name="analyze",
        max_ratio=1.3,
    ),
]
