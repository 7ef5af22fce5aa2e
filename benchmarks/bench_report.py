"""The PDF brief: 100,000 customers against 1,000, measured in the same run.

Both analyses are computed in setup (seeded numpy orders, ``analyze()``), so
the timings cover only what the brief adds: context, HTML and WeasyPrint.
The brief's size follows classes, tiers and capped top lists, so the two
should take about the same time. Run alone with ``python -m benchmarks report``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import Case

AS_OF = pd.Timestamp("2025-06-30")
OWNERS = np.array(["Alice", "Bob", "Chen Wei", "Li Na", "Dana"], dtype=object)


def synthetic_analysis(customers: int, *, seed: int = 20250630) -> Any:
    """Analysis of a seeded synthetic book: ~10 orders and 2 activities per customer."""
    from xlcrm.core.analysis import analyze

    rng = np.random.default_rng(seed)
    n_acts = customers * 2
    base = np.datetime64("2021-01-01")
    ids = np.array([f"C{i:06d}" for i in range(1, customers + 1)], dtype=object)
    created = base + rng.integers(0, 1400, customers).astype("timedelta64[D]")
    people = pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"Customer {i}" for i in range(1, customers + 1)],
            "owner": OWNERS[rng.integers(0, len(OWNERS), customers)],
            "created": pd.to_datetime(created),
            "grade": np.array(["A", "B", "C", "D", "E", None], dtype=object)[
                rng.integers(0, 6, customers)
            ],
            "last_contact": pd.to_datetime(
                created + rng.integers(0, 500, customers).astype("timedelta64[D]")
            ),
        }
    )
    # Each customer buys at their own rate and spend level between joining and a
    # last-active day, so R, F and M vary independently: every class and tier
    # shows up at 1,000 as at 100,000 customers, and only the count differs.
    per = rng.poisson(rng.lognormal(1.9, 0.8, customers))
    lot = rng.random(customers)
    per[lot < 0.1] = 0  # prospects
    per[(lot >= 0.1) & (lot < 0.15)] = 1  # one-off buyers
    start = rng.integers(0, 1400, customers)
    stop = np.maximum(start, 1640 - rng.exponential(250, customers).astype(np.int64))
    who = np.repeat(np.arange(customers), per)
    day = start[who] + (rng.random(who.size) * (stop - start + 1)[who]).astype(np.int64)
    spend = rng.normal(5, 0.7, customers)
    orders = pd.DataFrame(
        {
            "customer_id": ids[who],
            "order_date": pd.to_datetime(base + day.astype("timedelta64[D]")),
            "amount": np.round(rng.lognormal(spend[who], 0.5), 2),
        }
    )
    activities = pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, customers, n_acts)],
            "date": pd.to_datetime(base + rng.integers(0, 1640, n_acts).astype("timedelta64[D]")),
            "kind": np.array(["call", "visit", "email", "meeting"], dtype=object)[
                rng.integers(0, 4, n_acts)
            ],
        }
    )
    return analyze(orders, people, activities, as_of=AS_OF)


def _setup() -> dict[str, Any]:
    return {"small": synthetic_analysis(1_000), "large": synthetic_analysis(100_000)}


def _brief(analysis: Any) -> bytes:
    from xlcrm.report import render_pdf

    return render_pdf(analysis, lang="en")


CASES = [
    Case(
        name="brief: 100,000 customers vs 1,000",
        setup=_setup,
        baseline=lambda data: _brief(data["small"]),
        candidate=lambda data: _brief(data["large"]),
        baseline_name="brief for 1,000 customers",
        max_ratio=1.3,
        repeat=3,
    ),
]
