"""A tiny benchmark harness: each case times a baseline and a candidate in
the same run (alternating, median of several repeats) and reports the ratio
candidate/baseline against the limit the project promises.

A module ``benchmarks/bench_<topic>.py`` exposes ``CASES: list[Case]``.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Case:
    """One comparison.

    ``setup()`` builds the data once (not timed); its result is passed to
    ``baseline`` and ``candidate``. ``ratio = candidate time / baseline time``
    must be ``<= max_ratio`` and/or ``>= min_ratio``. ``max_peak_mb`` bounds
    the candidate's peak traced memory, or what ``peak_mb(data)`` reports
    after the timed runs (for a candidate that runs in a child process and
    measures its resident memory, which tracing Python allocations misses).
    ``warmup=False`` skips the untimed first run (for cases of minutes).
    """

    name: str
    setup: Callable[[], Any]
    baseline: Callable[[Any], object]
    candidate: Callable[[Any], object]
    baseline_name: str = "baseline"
    max_ratio: float | None = None
    min_ratio: float | None = None
    max_peak_mb: float | None = None
    repeat: int = 5
    warmup: bool = True
    peak_mb: Callable[[Any], float] | None = None


@dataclass
class Result:
    name: str
    baseline_name: str
    baseline_s: float
    candidate_s: float
    peak_mb: float
    ok: bool
    limit: str

    @property
    def ratio(self) -> float:
        return self.candidate_s / self.baseline_s if self.baseline_s else float("inf")


def _time(fn: Callable[[Any], object], data: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(data)
    return time.perf_counter() - start


def _peak_mb(fn: Callable[[Any], object], data: Any) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def run_case(case: Case) -> Result:
    data = case.setup()
    if case.warmup:
        case.candidate(data)  # warm-up: imports, caches
    base: list[float] = []
    cand: list[float] = []
    for _ in range(case.repeat):
        base.append(_time(case.baseline, data))
        cand.append(_time(case.candidate, data))
    peak = case.peak_mb(data) if case.peak_mb is not None else _peak_mb(case.candidate, data)
    b, c = statistics.median(base), statistics.median(cand)
    ratio = c / b if b else float("inf")
    ok = True
    limits = []
    if case.max_ratio is not None:
        ok &= ratio <= case.max_ratio
        limits.append(f"<= {case.max_ratio:g}x")
    if case.min_ratio is not None:
        ok &= ratio >= case.min_ratio
        limits.append(f">= {case.min_ratio:g}x")
    if case.max_peak_mb is not None:
        ok &= peak <= case.max_peak_mb
        limits.append(f"peak <= {case.max_peak_mb:g} MB")
    return Result(case.name, case.baseline_name, b, c, peak, ok, ", ".join(limits))
