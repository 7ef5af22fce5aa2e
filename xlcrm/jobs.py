"""One analysis run on a workbook that has been read.

Every entry point (the CLI commands and the ribbon buttons) applies the same
precedence, option > Settings sheet > default, then runs the core. The
default analysis date is an adapter's choice, so the caller passes ``today``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from xlcrm.core.analysis import Analysis, analyze
from xlcrm.xlsx.reader import WorkbookData

__all__ = ["Job", "run_job"]


@dataclass(frozen=True)
class Job:
    """A workbook read and analysed, with the language the output is in."""

    data: WorkbookData
    analysis: Analysis
    lang: str

    @property
    def future_orders(self) -> int:
        """Orders dated after as_of: read, but ignored by the analysis."""
        dates = self.data.orders["order_date"]
        return int((dates > self.analysis.as_of).sum())


def run_job(
    data: WorkbookData,
    *,
    today: dt.date,
    as_of: Any = None,
    lang: str | None = None,
    threshold: str | None = None,
) -> Job:
    """Analyse ``data`` with options winning over its Settings sheet.

    Parameters
    ----------
    data
        What :func:`xlcrm.xlsx.reader.read_workbook` returned.
    today
        The analysis date when neither ``as_of`` nor the Settings sheet gives one.
    as_of, lang, threshold
        Options; ``None`` leaves the Settings sheet's value (or the default).
    """
    settings = data.settings
    if threshold:
        settings = settings.replace(threshold_method=threshold)
    day = as_of or data.as_of or today
    result = analyze(
        data.orders,
        data.customers,
        data.activities,
        as_of=pd.Timestamp(day).normalize(),
        settings=settings,
    )
    return Job(data, result, lang or settings.language or "en")
