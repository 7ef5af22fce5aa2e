"""Options over the Settings sheet, then the core: :func:`run_job` and its :class:`Job`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from xlcrm.core.analysis import Analysis, analyze
from xlcrm.core.changes import compare_analyses
from xlcrm.core.insights import with_insights
from xlcrm.core.plan import CallPlan, build_plan
from xlcrm.core.rfm import DateLike
from xlcrm.core.settings import Settings
from xlcrm.xlsx.carryover import Edits, Typed, carry_over
from xlcrm.xlsx.money import workbook_currency
from xlcrm.xlsx.quality import collect, from_core
from xlcrm.xlsx.reader import WorkbookData

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Job:
    """A workbook read and analysed, with the language the output is in.

    ``kept``: Call plan rows reps typed that the written plan keeps (done
    calls not yet logged, notes), or None.
    """

    data: WorkbookData
    analysis: Analysis
    lang: str
    reconciliation: str = ""
    kept: pd.DataFrame | None = None

    @cached_property
    def plan(self) -> CallPlan:
        """The daily call plan of this analysis."""
        a = self.analysis  # open complaints and stuck deals come from the insights
        return build_plan(with_insights(a), as_of=a.as_of, settings=a.settings)

    @property
    def future_orders(self) -> int:
        """Orders dated after as_of: read, but ignored by the analysis."""
        dates = self.data.orders["order_date"]
        return int((dates > self.analysis.as_of).sum())


def run_job(
    data: WorkbookData,
    *,
    today: dt.date,
    as_of: DateLike | None = None,
    lang: str | None = None,
    threshold: str | None = None,
    typed: Typed | None = None,
    compare_as_of: DateLike | None = None,
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
    typed
        What reps typed into xlcrm's sheets and is not in the workbook's own
        sheets yet (:mod:`xlcrm.xlsx.carryover`): done calls count as
        contacts, typed grades as given grades (source "followups"), and the
        rows are kept in the new Call plan.
    compare_as_of
        An earlier day: the book is analysed as of that day too, and
        ``analysis.insights.changes`` says what changed since
        (:func:`~xlcrm.core.changes.compare_analyses`).

    Problems the analysis finds in the Deals, stage history and Feedback
    sheets and in referrals join ``data.quality`` (the Data quality sheet).
    """
    if typed is not None and not typed.empty:
        data = carry_over(data, typed)
    settings = with_workbook_currency(data.settings, data.path)
    if threshold:
        settings = settings.replace(threshold_method=threshold)
    day = pd.Timestamp(as_of or data.as_of or today).normalize()

    def run(on: pd.Timestamp) -> Analysis:
        return analyze(
            data.orders,
            data.customers,
            data.activities,
            as_of=on,
            settings=settings,
            deals=data.deals,
            stage_history=data.stage_history,
            feedback=data.feedback,
        )

    result = run(day)
    if typed is not None and len(typed.grades):
        result = _typed_on_followups(result, typed)
    insights = result.insights
    if insights is not None:
        if compare_as_of is not None:
            since = pd.Timestamp(compare_as_of).normalize()
            changes = compare_analyses(
                run(since).customers, result.customers, since=since, as_of=day
            )
            insights = dataclasses.replace(insights, changes=changes)
            result = dataclasses.replace(result, insights=insights)
        found = from_core(insights.issues, data.sheet_names, data.headers)
        if len(found):
            data = dataclasses.replace(data, quality=collect([data.quality, found]))
    kept = typed.calls if typed is not None and len(typed.calls) else None
    return Job(data, result, lang or settings.language or "en", kept=kept)


def _typed_on_followups(result: Analysis, typed: Typed) -> Analysis:
    """Mark grades typed on the Follow-ups sheet (and carried over) as such."""
    customers = result.customers.copy()
    typed_ids = set(typed.grades["customer_id"])
    on_sheet = customers["customer_id"].isin(typed_ids) & (customers["grade_source"] == "given")
    source = customers["grade_source"].astype(object).where(~on_sheet, "followups")
    customers["grade_source"] = pd.Series(source.to_numpy(), dtype=str)
    return dataclasses.replace(result, customers=customers)


def left_to_carry(typed: Typed, edits: Edits) -> Typed:
    """What is still to carry over once ``edits`` wrote ``typed`` into the workbook.

    The done calls are in Activities now; notes stay for the new plan; typed
    grades stay when some customer was not on the Customers sheet (carrying
    one that was written changes nothing: it is the sheet's now).
    """
    grades = typed.grades if len(typed.grades) > edits.graded else typed.grades.iloc[0:0]
    return Typed(typed.notes.reset_index(drop=True), grades, typed.quality)


def with_workbook_currency(settings: Settings, path: str | os.PathLike[str] | None) -> Settings:
    """``settings`` with the currency of the workbook's number formats when none is set.

    A ``currency`` on the Settings sheet wins; so do its ``currency_decimals``.
    """
    if settings.currency or path is None:
        return settings
    found = workbook_currency(path)
    if found is None:
        return settings
    symbol, decimals = found
    if settings.currency_decimals is not None or decimals is None:
        return settings.replace(currency=symbol)
    return settings.replace(currency=symbol, currency_decimals=decimals)
