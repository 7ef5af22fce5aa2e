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

from xlcrm.core.analysis import COLUMNS, STAGES, Analysis, Found, Run, finish, plain_text
from xlcrm.core.reduced import Reduced

__all__ = ["PER_CUSTOMER", "Parts", "analyze_in_parts", "run_all"]

#: Stages that look at one customer at a time and whose results no all-customer
#: stage reads; every other stage sees all customers (a new stage is one of those
#: until it is listed here).
PER_CUSTOMER: Final = frozenset({"churn", "grades", "followups", "actions"})
#: Per-customer working values (not columns of the result) the stages of
#: :data:`PER_CUSTOMER` read; every other per-customer value of the all-customer
#: stages is let go once the summary of all customers is made.
SLICE_INPUTS: Final = frozenset({"class_index", "tier_index"})
#: Columns of the per-customer table (:mod:`xlcrm.core.reduced`) those stages read.
SLICE_TABLE: Final = frozenset({"recent_purchases", "prior_purchases"})
#: Text columns with at most this many distinct values are held as codes into
#: their distinct values between the all-customer stages and the slices.
FEW_VALUES: Final = 127
#: Values looked at first: a text column with more distinct ones among them is left as it is
#: (factorizing ten million distinct ids to learn so took 4 s).
_LOOK: Final = 10_000


def run_all(run: Run) -> Analysis:
    """Every stage on the whole run: :func:`~xlcrm.core.analysis.analyze` after ``prepare``."""
    found: Found = {}
    for stage in STAGES:
        found.update(plain_text(stage(run, found)))
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

    def frames(self, *, last: bool = False, coded: bool = False) -> Iterator[pd.DataFrame]:
        """The slices in order; ``last``: let go of every customer's values once the
        last slice is made (the memory they hold; ``frames`` then yields no more).
        ``coded``: text columns of few distinct values come as categorical columns
        (the same values; no text made per customer, for writers that encode them)."""
        n = self.run.n
        if n and not self.whole:
            raise RuntimeError("the slices were already made with last=True")
        for start in range(0, n, self.rows):
            stop = min(start + self.rows, n)
            part = _slice_run(self.run, start, stop)
            found = _Whole(stop - start, compact=coded)
            for key, value in self.whole.items():
                dict.__setitem__(found, key, _cut(value, start, stop, n))
            for stage in STAGES:
                if stage.__name__ in PER_CUSTOMER:
                    found.update(stage(part, found))
            read = found.categorical if coded else found.__getitem__
            frame = pd.DataFrame({name: read(name) for name in COLUMNS})
            del found, part
            if last and stop == n:
                self.whole.clear()
            yield frame


def analyze_in_parts(run: Run, *, rows: int = 1_000_000) -> Parts:
    """Run the all-customer stages now; the rest per slice of ``rows`` customers."""
    n = run.n
    # text of few distinct values held as codes (one text value of ten million customers
    # is 80 MB, its code 10 MB), given back as text to the stages that read it
    whole = _Whole(n)
    for stage in STAGES:
        if stage.__name__ not in PER_CUSTOMER:
            whole.update(stage(run, whole))
    empty = pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    analysis = finish(run, whole, customers=empty)
    # what the slices need
    kept = {
        key: value
        for key, value in whole.items()
        if key in COLUMNS or key in SLICE_INPUTS or not _per_customer(value, n)
    }
    del whole
    table = {k: v for k, v in run.reduced.columns.items() if k in SLICE_TABLE}
    sliced = replace(run, reduced=replace(run.reduced, columns=table))
    return Parts(analysis, sliced, kept, max(1, int(rows)))


class _Whole(dict[str, Any]):
    """What the stages found: text columns of few distinct values stored as
    :class:`_Codes` (``compact``; else as the stage gave them), read back as the
    text column they were."""

    def __init__(self, n: int, *, compact: bool = True) -> None:
        super().__init__()
        self.n = n
        self.compact = compact

    def __getitem__(self, key: str) -> Any:
        return _expand(super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        return _expand(super().get(key, default))

    def categorical(self, key: str) -> Any:
        """The value of ``key``; a text column of few values as a categorical column
        on its codes (nothing copied: ten million customers' text takes 80 MB)."""
        value = super().__getitem__(key)
        if isinstance(value, _Codes):
            categories = pd.Index(value.values)
            return pd.Series(pd.Categorical.from_codes(value.codes, categories=categories))
        return value

    def update(self, found: Found) -> None:  # type: ignore[override]
        for key, value in found.items():
            super().__setitem__(key, _compact(value, self.n) if self.compact else value)


@dataclass(frozen=True)
class _Codes:
    """A text column as codes into its distinct values (``-1``: missing)."""

    codes: np.ndarray
    values: pd.api.extensions.ExtensionArray

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, where: slice) -> _Codes:
        return _Codes(self.codes[where], self.values)

    def expand(self) -> pd.Series:
        return pd.Series(self.values.take(self.codes, allow_fill=True))


def _per_customer(value: Any, n: int) -> bool:
    if isinstance(value, tuple):
        return any(_per_customer(v, n) for v in value)
    kinds = (_Codes, pd.Series, np.ndarray, pd.api.extensions.ExtensionArray)
    return isinstance(value, kinds) and (len(value) == n)


def _compact(value: Any, n: int) -> Any:
    """A per-customer text column with few distinct values as :class:`_Codes`."""
    if not (isinstance(value, pd.Series) and len(value) == n):
        return value
    if isinstance(value.dtype, pd.CategoricalDtype) and isinstance(value.index, pd.RangeIndex):
        categories = pd.Index(value.cat.categories, dtype=str)
        return _Codes(value.cat.codes.to_numpy(), categories.array)  # no copy of the text
    if not isinstance(value.dtype, pd.StringDtype) or not isinstance(value.index, pd.RangeIndex):
        return value
    if len(pd.unique(value.to_numpy()[:_LOOK])) > FEW_VALUES:  # ids, names: not worth codes
        return value
    codes, values = value.factorize()
    if len(values) > FEW_VALUES:
        return value
    return _Codes(codes.astype(np.int8), pd.Index(values).array)


def _expand(value: Any) -> Any:
    """A value as the stages read it: text, not codes or categories."""
    if isinstance(value, _Codes):
        return value.expand()
    if isinstance(value, pd.Series) and isinstance(value.dtype, pd.CategoricalDtype):
        return plain_text({"": value})[""]
    return value


def _cut(value: Any, start: int, stop: int, n: int) -> Any:
    """The slice of a per-customer value; anything else (cut points, summaries) as it is."""
    if isinstance(value, tuple):
        return tuple(_cut(v, start, stop, n) for v in value)
    if isinstance(value, _Codes) and len(value) == n:
        return value[start:stop]
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
