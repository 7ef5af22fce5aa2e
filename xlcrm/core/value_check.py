"""Holdout check of the value model: fit on the orders up to a calibration
end, then compare the repeat purchases it predicts with those that happened
afterwards, week by week (as [FHL05] fig. 2 and 3 do for CDNOW).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcrm.core import value
from xlcrm.core.rfm import OrderBook, day_number, to_timestamp

__all__ = ["HoldoutCheck", "holdout_check"]


@dataclass(frozen=True)
class HoldoutCheck:
    """The model fitted on the calibration period and its weekly check.

    ``weeks`` has one row per week after the calibration end: ``week`` (1..),
    ``end`` (last day of the week, the last week may be shorter),
    ``predicted`` and ``actual`` repeat purchase days in that week, and
    their running totals ``predicted_cumulative`` and ``actual_cumulative``.
    Empty when the model could not be fitted (``model.reason`` says why).
    """

    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    model: value.ValueModel
    weeks: pd.DataFrame


def holdout_check(
    book: OrderBook, *, calibration_end: Any, near: value.BgNbd | None = None
) -> HoldoutCheck:
    """Fit on ``book``'s orders up to ``calibration_end`` and check the rest.

    ``book`` holds the orders up to the end of the holdout period
    (``book.as_of_day``). Only customers who bought by the calibration end
    are counted: their purchase days after it are the repeat purchases the
    model predicts.
    """
    cal = to_timestamp(calibration_end)
    cal_day = day_number(cal)
    end_day = book.as_of_day
    if cal_day >= end_day:
        raise ValueError("the calibration must end before the holdout period")
    early = book.day <= cal_day
    refunded = book.refunded[early] if book.refunded is not None else None
    calibration = OrderBook(
        book.ids, book.code[early], book.day[early], book.cents[early], cal_day, refunded
    )
    inputs = value.inputs_from_book(calibration)
    histories = value.distinct_histories(inputs)
    model = value.fit_value_model(inputs, histories=histories, near=near)
    holdout_end = pd.Timestamp(np.datetime64(end_day, "D"))
    n_weeks = math.ceil((end_day - cal_day) / 7)
    week_end = np.minimum(np.arange(1, n_weeks + 1) * 7, end_day - cal_day)
    empty = pd.DataFrame(
        columns=["week", "end", "predicted", "actual", "predicted_cumulative", "actual_cumulative"]
    )
    if model.bgnbd is None:
        return HoldoutCheck(cal, holdout_end, model, empty)
    # actual: distinct purchase days after the calibration end of customers seen in it
    seen = np.isfinite(inputs["age_days"])
    later = ~early & book.purchase
    code, day = book.code[later], book.day[later]
    keep = seen[code]
    code, day = code[keep], day[keep]
    span = end_day - cal_day + 1
    distinct = np.unique(code.astype(np.int64) * span + (day - cal_day))
    week = (distinct % span - 1) // 7
    actual = np.bincount(week, minlength=n_weeks)[:n_weeks].astype(np.float64)
    # predicted: sum over customers of E[purchases by the end of each week]
    predicted_cum = value.expected_total(
        model.bgnbd, inputs, week_end / value.DAYS_PER_UNIT, histories=histories
    )
    predicted = np.diff(predicted_cum, prepend=0.0)
    weeks = pd.DataFrame(
        {
            "week": np.arange(1, n_weeks + 1),
            "end": (np.datetime64(cal_day, "D") + week_end.astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            ),
            "predicted": predicted,
            "actual": actual,
            "predicted_cumulative": predicted_cum,
            "actual_cumulative": np.cumsum(actual),
        }
    )
    return HoldoutCheck(cal, holdout_end, model, weeks)
