"""The value model's cost inside the core analysis (issue 16).

Both cases time :func:`xlcrm.core.analysis.analyze` on the same book twice:
with the value model turned off (baseline) and on (candidate: fit, score,
the third churn signal and the holdout check). ``ratio = on / off``; the
model may add at most 1x the analysis time (ratio <= 2) on a book simulated
from the BG/NBD process itself, and at most 2x (ratio <= 3) on a uniform book
where nobody drops out, whose fit must stop at its boundary.

- 100,000 customers simulated with the published CDNOW parameters (first
  purchases spread over 12 weeks, 39 weeks observed).
- 1,000,000 uniformly random orders of 100,000 customers over 4.5 years
  (the book of ``bench_core``'s size, without refunds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import Case

N_SIMULATED = 100_000
N_UNIFORM_CUSTOMERS = 100_000
N_UNIFORM_ORDERS = 1_000_000
CDNOW = (0.243, 4.414, 0.793, 2.426)
CDNOW_SPEND = (6.25, 3.74, 15.44)
SIM_AS_OF = "2024-09-29"
UNIFORM_AS_OF = "2025-06-30"


def simulated(n: int = N_SIMULATED) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from valuesim import simulate_orders

    orders = simulate_orders(
        n, CDNOW, CDNOW_SPEND, first_from="2024-01-01", first_days=84, as_of=SIM_AS_OF, seed=16
    )
    return {"orders": orders, "as_of": SIM_AS_OF}


def uniform(n_orders: int = N_UNIFORM_ORDERS, n_customers: int = N_UNIFORM_CUSTOMERS) -> dict:
    rng = np.random.default_rng(20250630)
    ids = np.array([f"C{i:06d}" for i in range(n_customers)], dtype=object)
    orders = pd.DataFrame(
        {
            "customer_id": pd.Series(ids[rng.integers(0, n_customers, n_orders)], dtype=str),
            "order_date": (
                np.datetime64("2021-01-01", "D")
                + rng.integers(0, 1640, n_orders).astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
            "amount": np.round(rng.lognormal(5, 1, n_orders), 2),
        }
    )
    return {"orders": orders, "as_of": UNIFORM_AS_OF}


def model_off(data: dict[str, Any]) -> object:
    from xlcrm.core.analysis import analyze
    from xlcrm.core.settings import Settings

    return analyze(data["orders"], as_of=data["as_of"], settings=Settings(value_model=False))


def model_on(data: dict[str, Any]) -> object:
    from xlcrm.core.analysis import analyze

    result = analyze(data["orders"], as_of=data["as_of"])
    assert result.value.reason in (None, "no_dropout", "fit_boundary", "no_convergence")
    return result


CASES = [
    Case(
        name="value model on 100k customers simulated from BG/NBD",
        setup=simulated,
        baseline=model_off,
        candidate=model_on,
        baseline_name="analyze, model off",
        max_ratio=2.0,
        max_peak_mb=1000,
    ),
    Case(
        name="value model on 1M uniform orders (no drop-out)",
        setup=uniform,
        baseline=model_off,
        candidate=model_on,
        baseline_name="analyze, model off",
        max_ratio=3.0,
        max_peak_mb=1500,
        repeat=3,
    ),
]
