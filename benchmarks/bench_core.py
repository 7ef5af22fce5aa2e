"""The analytics core against a bare pandas groupby over the same orders.

1,000,000 orders for 100,000 customers (seeded), a Customers frame with
grades, expected close dates and last contacts, and 200,000 activities.
The baseline is the least any RFM tool must do: last date, count and sum
per customer. The candidate is :func:`xlcrm.core.analysis.analyze` (scores,
classes, segments, tiers, churn warning, grades, schedule, Pareto, ABC).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import Case

N_CUSTOMERS = 100_000
N_ORDERS = 1_000_000
N_ACTIVITIES = 200_000
AS_OF = pd.Timestamp("2025-06-30")


def build(seed: int = 20250630) -> dict[str, Any]:
    """Canonical frames as the workbook reader produces them."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2021-01-01", "D")
    ids = np.array([f"C{i:06d}" for i in range(1, N_CUSTOMERS + 1)], dtype=object)
    # a skewed number of orders per customer, like real shops
    who = np.minimum((rng.pareto(1.2, N_ORDERS) * 3000).astype(np.int64), N_CUSTOMERS - 1)
    when = base + rng.integers(0, 1640, N_ORDERS).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(5, 1, N_ORDERS), 2)
    amount[rng.random(N_ORDERS) < 0.02] *= -1  # refunds
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([f"O{i:07d}" for i in range(1, N_ORDERS + 1)], dtype=str),
            "customer_id": pd.Series(ids[who], dtype=str),
            "order_date": when.astype("datetime64[ns]"),
            "amount": amount,
        }
    )
    created = base + rng.integers(0, 1400, N_CUSTOMERS).astype("timedelta64[D]")
    grades = np.array(["A", "B", "C", "D", "E", None], dtype=object)
    customers = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype=str),
            "name": pd.Series([f"Customer {i}" for i in range(1, N_CUSTOMERS + 1)], dtype=str),
            "owner": pd.Series(
                np.array(["Alice", "Bob", "Chen Wei", "Li Na", "Dana"], dtype=object)[
                    rng.integers(0, 5, N_CUSTOMERS)
                ],
                dtype=str,
            ),
            "created": created.astype("datetime64[ns]"),
            "grade": pd.Series(grades[rng.integers(0, 6, N_CUSTOMERS)], dtype=str),
            "expected_close": (
                np.datetime64("2025-06-01", "D")
                + rng.integers(0, 400, N_CUSTOMERS).astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
            "last_contact": (
                created + rng.integers(0, 200, N_CUSTOMERS).astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
        }
    )
    activities = pd.DataFrame(
        {
            "customer_id": pd.Series(ids[rng.integers(0, N_CUSTOMERS, N_ACTIVITIES)], dtype=str),
            "date": (base + rng.integers(0, 1640, N_ACTIVITIES).astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            ),
            "kind": pd.Series(
                np.array(["call", "visit", "email", "meeting"], dtype=object)[
                    rng.integers(0, 4, N_ACTIVITIES)
                ],
                dtype=str,
            ),
        }
    )
    return {"orders": orders, "customers": customers, "activities": activities}


def bare_groupby(data: dict[str, Any]) -> object:
    return (
        data["orders"]
        .groupby("customer_id")
        .agg(last=("order_date", "max"), count=("amount", "size"), total=("amount", "sum"))
    )


def full_analysis(data: dict[str, Any]) -> object:
    from xlcrm.core.analysis import analyze

    return analyze(data["orders"], data["customers"], data["activities"], as_of=AS_OF)


CASES = [
    Case(
        name="analyze core 1M orders / 100k customers",
        setup=build,
        baseline=bare_groupby,
        candidate=full_analysis,
        baseline_name="pandas groupby",
        max_ratio=3.0,
        max_peak_mb=1000,
    ),
]
