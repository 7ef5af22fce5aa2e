"""The analysis of many customers in parts, with bounded memory.

:func:`xlcrm.core.analysis.analyze` builds one frame of every customer. For
ten million customers that frame alone takes gigabytes, so
:func:`analyze_in_parts` runs the stages that need every customer at once
(ranks for the scores, the class cut points, revenue shares) over all
customers, and every other stage on consecutive slices of customers, one
frame per slice. Concatenated, the slices are exactly what ``analyze``
returns (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.analysis import COLUMNS, STAGES, Analysis, Found, Run, finish
from xlcrm.core.reduced import Reduced

__all__ = ["PER_CUSTOMER", "Parts", "analyze_in_parts", "run_all"]

#: Stages that look at one customer at a time and whose results no all-customer
#: stage reads; every other stage sees all customers (a new stage is one of those
#: until it is listed here).
PER_CUSTOMER: Final = frozenset({"churn", "grades", "followups", "actions"})


def run_all(run: Run) -> Analysis:
    """Every stage on the whole run: :func:`~xlcrm.core.analysis.analyze` after ``prepare``."""
    found: Found = {}
    for stage in STAGES:
        found.update(stage(run, found))
    return finish(run, found)


@dataclass(frozen=True)
class Parts:
    """An analysis whose customers come in slices.

    ``analysis`` has the thresholds and Pareto summary of all customers and
    an empty ``customers`` frame; ``frames()`` yields the customers, sorted
    by id, ``rows`` at a time, with the columns of
    :data:`~xlcrm.core.analysis.COLUMNS`.
    """

    analysis: Analysis
    run: Run
    whole: Found
    rows: int

    @property
    def n_customers(self) -> int:
        return self.run.n

    def frames(self) -> Iterator[pd.DataFrame]:
        n = self.run.n
        for start in range(0, n, self.rows):
            stop = min(start + self.rows, n)
            part = _slice_run(self.run, start, stop)
            found = {key: _cut(value, start, stop, n) for key, value in self.whole.items()}
            for stage in STAGES:
                if stage.__name__ in PER_CUSTOMER:
                    found.update(stage(part, found))
            yield pd.DataFrame({name: found[name] for name in COLUMNS})


def analyze_in_parts(run: Run, *, rows: int = 1_000_000) -> Parts:
    """Run the all-customer stages now; the rest per slice of ``rows`` customers."""
    whole: Found = {}
    for stage in STAGES:
        if stage.__name__ not in PER_CUSTOMER:
            whole.update(stage(run, whole))
    empty = pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    analysis = finish(run, whole, customers=empty)
    return Parts(analysis, run, whole, max(1, int(rows)))


def _cut(value: Any, start: int, stop: int, n: int) -> Any:
    """The slice of a per-customer value; anything else (cut points, summaries) as it is."""
    if isinstance(value, tuple):
        return tuple(_cut(v, start, stop, n) for v in value)
    if isinstance(value, pd.Series) and len(value) == n:
        return value.iloc[start:stop].reset_index(drop=True)
    if isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)) and len(value) == n:
        return value[start:stop]
    return value


def _slice_run(run: Run, start: int, stop: int) -> Run:
    """The run of customers ``start``..``stop`` (positions in the sorted ids)."""
    inside = (run.at >= start) & (run.at < stop)
    reduced = run.reduced
    part = Reduced(
        reduced.ids[inside],
        {name: values[inside] for name, values in reduced.columns.items()},
        reduced.as_of_day,
        reduced.window_days,
        reduced.loyal_windows,
        reduced.history_days,
    )
    acts = (run.activity_at >= start) & (run.activity_at < stop)
    return replace(
        run,
        reduced=part,
        ids=run.ids[start:stop],
        at=run.at[inside] - start,
        sheet=run.sheet.iloc[start:stop].reset_index(drop=True),
        activity_at=run.activity_at[acts] - start,
        activity_day=run.activity_day[acts],
    )
