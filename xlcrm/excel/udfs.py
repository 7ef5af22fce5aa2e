"""Excel worksheet functions (xlwings UDFs): =RFM_CLASS(), =LIFECYCLE_TIER() ...

Every function has two forms:

* per cell, with explicit thresholds: ``=RFM_CLASS(B2,C2,D2,$H$1,$H$2,$H$3)``
  returns one value;
* on whole columns, thresholds left out: ``=RFM_CLASS(B2:B5001,C2:C5001,D2:D5001)``
  computes them from the columns (mean by default, as ``xlcrm analyze``) and
  returns one column that spills. This is the fast path: one call instead of
  thousands.

A function is its decorators plus one call into the core; the helpers below
only turn what Excel passes (2-D lists, floats, ``None`` for empty cells) into
arrays and the result back into a cell or a column. A bad argument gives an
Excel error text with the reason (``#VALUE! recency must be a number``) in
that row, never a traceback. Functions take no ``Book.caller()`` and no cell
addresses, so they run unchanged in xlwings Lite and in tests.

Parameters carry no type annotations on purpose: xlwings reads annotations as
converters.
"""

from __future__ import annotations

import functools
import gc
import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
import xlwings as xw

from xlcrm.core import cells, followup, lifecycle, pareto, rfm, schema, value
from xlcrm.core.errors import XlcrmError
from xlcrm.core.settings import DEFAULT_SETTINGS, Settings
from xlcrm.locale import LANGS, N_, t

__all__ = [
    "churn_risk",
    "customer_value",
    "followup_cadence",
    "followup_grade",
    "lifecycle_tier",
    "loyalty_level",
    "next_followup",
    "p_alive",
    "pareto_class",
    "relationship_level",
    "rfm_class",
    "rfm_score",
    "rfm_segment",
]

CATEGORY: Final = "xlcrm"
ERROR: Final = "#VALUE!"

_F = TypeVar("_F", bound=Callable[..., Any])


# --- normalising Excel input -----------------------------------------------------


class ArgumentError(ValueError):
    """A whole argument is unusable; the function returns ``#VALUE! <reason>``.

    ``message`` is a catalogue id with ``{fields}`` filled from ``args``,
    rendered in the function's language (:meth:`render`).
    """

    def __init__(self, message: str, **args: Any) -> None:
        super().__init__(message.format(**args) if args else message)
        self.message = message
        self.args_ = args

    def render(self, lang: str) -> str:
        return t(self.message, lang, **self.args_)


@dataclass(frozen=True)
class Column:
    """One argument as a column: values, and the rows whose cell is unusable."""

    values: np.ndarray
    bad: np.ndarray  # bool per row
    reason: str  # catalogue id of why a cell is bad; {name} is the argument
    single: bool  # one cell (per-cell form)
    name: str = ""

    def __len__(self) -> int:
        return len(self.values)


_first = operator.itemgetter(0)


def _flat(value: Any) -> tuple[np.ndarray, bool]:
    """Excel's 2-D list (or a scalar, or a 1-D list) -> 1-D object array, and 'one cell'."""
    if isinstance(value, list | tuple | np.ndarray):
        arr = np.asarray(value, dtype=object)
        if arr.ndim == 2 and arr.shape[1] != 1 and arr.shape[0] == 1:
            arr = arr.T  # a row given where a column is expected
        if arr.ndim == 2 and arr.shape[1] != 1:
            raise ArgumentError(N_("give one column, not a block of several columns"))
        flat = arr.reshape(-1)
        return flat, flat.size == 1
    return np.array([value], dtype=object), True


def numbers(value: Any, name: str) -> Column:
    """A number argument: floats, NaN where empty; text that is not a number is bad."""
    if isinstance(value, list) and value and isinstance(value[0], list) and len(value[0]) == 1:
        try:
            # fast path: a column of numbers, as xlwings hands it over ([[1.0], [2.0], ...])
            flat = np.fromiter(map(_first, value), np.float64, len(value))
            return Column(flat, np.zeros(flat.size, dtype=bool), "", flat.size == 1, name)
        except (TypeError, ValueError):
            pass  # blanks or text: parsed cell by cell below
    raw, single = _flat(value)
    parsed = cells.parse_amounts(raw)
    return Column(
        parsed.values.to_numpy(dtype=np.float64),
        parsed.bad,
        N_("{name} must be a number"),
        single,
        name,
    )


def dates(value: Any, name: str) -> Column:
    """A date argument (Excel date, serial number or date text) as datetime64[ns]."""
    raw, single = _flat(value)
    parsed = cells.parse_dates(raw)
    return Column(
        parsed.values.to_numpy(dtype="datetime64[ns]"),
        parsed.bad,
        N_("{name} must be a date"),
        single,
        name,
    )


def texts(value: Any, name: str) -> Column:
    """A text argument; empty cells become missing."""
    raw, single = _flat(value)
    parsed = cells.parse_text(raw)
    return Column(
        parsed.values.to_numpy(dtype=object), parsed.bad, N_("{name} is an error"), single, name
    )


def same_length(*columns: Column) -> int:
    """Rows of the columns; one-cell arguments broadcast to the others' length."""
    lengths = {len(c) for c in columns if not c.single}
    if len(lengths) > 1:
        raise ArgumentError(N_("the columns must have the same number of rows"))
    return lengths.pop() if lengths else 1


def spread(column: Column, n: int) -> Column:
    if len(column) == n:
        return column
    return Column(
        np.repeat(column.values, n),
        np.repeat(column.bad, n),
        column.reason,
        column.single,
        column.name,
    )


def optional_number(value: Any, name: str) -> float | None:
    """A threshold argument: None when left out or empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float | int) and not isinstance(value, bool):
        if np.isnan(value):
            return None
        return float(value)
    col = numbers(value, name)
    if len(col) != 1 or col.bad[0] or np.isnan(col.values[0]):
        raise ArgumentError(N_("{name} must be a number"), name=name)
    return float(col.values[0])


def cut_points(value: Any, name: str) -> np.ndarray | None:
    """Four ascending cut points (quintile edges) for a score, or None when left out."""
    if value is None:
        return None
    col = numbers(value, name)
    if len(col) == 1 and np.isnan(col.values[0]) and not col.bad[0]:
        return None
    cuts = col.values
    if col.bad.any() or len(cuts) != 4 or np.isnan(cuts).any() or (np.diff(cuts) < 0).any():
        raise ArgumentError(N_("{name} must be 4 ascending numbers"), name=name)
    return cuts


def check_lang(lang: Any) -> str:
    text = "en" if lang is None else str(lang).strip().lower()
    if text not in LANGS:
        raise ArgumentError(N_('lang must be "en" or "zh"'))
    return text


def as_of_day(value: Any) -> pd.Timestamp:
    """The analysis date: given, else today (only adapters read the clock)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return pd.Timestamp.today().normalize()
    col = dates(value, "as_of")
    if len(col) != 1 or col.bad[0] or np.isnat(col.values[0]):
        raise ArgumentError(N_("{name} must be a date"), name="as_of")
    return pd.Timestamp(col.values[0])


def settings_with(**overrides: Any) -> Settings:
    """Default settings with the thresholds given in the call."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    return DEFAULT_SETTINGS.replace(**changes) if changes else DEFAULT_SETTINGS


def whole_number(value: Any, name: str) -> int | None:
    number = optional_number(value, name)
    if number is None:
        return None
    if not float(number).is_integer():
        raise ArgumentError(N_("{name} must be a whole number"), name=name)
    return int(number)


# --- results back to Excel ---------------------------------------------------------


def _shape(out: np.ndarray, inputs: tuple[Column, ...]) -> Any:
    """One value for the per-cell form, else an N×1 column (spills)."""
    if all(c.single for c in inputs):
        return out[0].item() if isinstance(out[0], np.generic) else out[0]
    # 100,000 one-item lists: the garbage collector would scan them several
    # times over while they are made, for nothing (they hold no cycles).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return out.reshape(-1, 1).tolist()
    finally:
        if enabled:
            gc.enable()


def _mark_bad(out: np.ndarray, inputs: tuple[Column, ...], lang: str) -> np.ndarray:
    """Rows where an input cell was unusable get ``#VALUE! <reason>`` (first argument wins)."""
    for column in reversed(inputs):
        if column.bad.any():
            bad = np.broadcast_to(column.bad, out.shape) if len(column) == 1 else column.bad
            if out.dtype != object:
                out = out.astype(object)
            out[bad] = f"{ERROR} {t(column.reason, lang, name=column.name)}"
    return out


def labels(codes: Any, label: Callable[[str], str], *inputs: Column, lang: str = "en") -> Any:
    """Codes -> labels; missing -> empty text (Excel shows an empty array element as 0)."""
    arr = np.asarray(codes, dtype=object).reshape(-1)
    index, uniques = pd.factorize(arr, use_na_sentinel=True)
    table = np.array([*(label(code) for code in uniques), ""], dtype=object)
    out = table[index]  # index -1 (missing) picks the trailing ""
    return _shape(_mark_bad(out, inputs, lang), inputs)


def indexed_labels(
    index: np.ndarray,
    codes: tuple[str, ...],
    label: Callable[[str], str],
    *inputs: Column,
    lang: str = "en",
) -> Any:
    """Positions in ``codes`` (-1: none) -> labels; a table lookup, no per-row Python."""
    table = np.array([*(label(code) for code in codes), ""], dtype=object)
    return _shape(_mark_bad(table[index], inputs, lang), inputs)


def numbers_out(values: Any, *inputs: Column, lang: str = "en") -> Any:
    """Numbers; whole numbers as int, missing as empty text."""
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    out = arr.astype(object)
    whole = np.isfinite(arr) & (arr == np.round(arr))
    out[whole] = arr[whole].astype(np.int64).astype(object)
    out[np.isnan(arr)] = ""
    return _shape(_mark_bad(out, inputs, lang), inputs)


def dates_out(values: Any, *inputs: Column) -> Any:
    """Dates as ``datetime`` (Excel dates); missing as empty text."""
    stamps = pd.Series(np.asarray(values, dtype="datetime64[ns]").reshape(-1))
    out = np.array(stamps.dt.to_pydatetime(), dtype=object)
    out[stamps.isna().to_numpy()] = ""
    return _shape(_mark_bad(out, inputs, "en"), inputs)


def excel_errors(f: _F) -> _F:
    """Turn any failure into ``#VALUE! <reason>``: a cell never shows a traceback.

    The reason is in the function's ``lang`` argument when it has one (English
    otherwise, and when ``lang`` itself is wrong).
    """
    parameters = inspect.signature(f).parameters
    at = list(parameters).index("lang") if "lang" in parameters else None

    def language(args: tuple[Any, ...]) -> str:
        given = args[at] if at is not None and at < len(args) else None
        text = str(given).strip().lower() if given is not None else "en"
        return text if text in LANGS else "en"

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except XlcrmError as exc:
            return f"{ERROR} {exc.what(language(args))}"
        except ArgumentError as exc:
            return f"{ERROR} {exc.render(language(args))}"
        except Exception as exc:  # a bug must still not leak a traceback into a cell
            return f"{ERROR} {type(exc).__name__}: {exc}"

    return wrapper  # type: ignore[return-value]


def _rfm_columns(recency: Any, frequency: Any, monetary: Any) -> tuple[Column, Column, Column]:
    r = numbers(recency, "recency")
    f = numbers(frequency, "frequency")
    m = numbers(monetary, "monetary")
    n = same_length(r, f, m)
    return spread(r, n), spread(f, n), spread(m, n)


def _rfm_frame(r: Column, f: Column, m: Column) -> pd.DataFrame:
    """Rows with all three numbers, as the core's RFM frame (others left out)."""
    complete = ~(np.isnan(r.values) | np.isnan(f.values) | np.isnan(m.values))
    return pd.DataFrame(
        {
            "recency_days": r.values[complete],
            "frequency": f.values[complete],
            "monetary": m.values[complete],
        }
    )


def _need_columns(*columns: Column) -> None:
    if all(c.single for c in columns):
        raise ArgumentError(N_("give the cut points, or whole columns to compute them from"))


def _scores(
    recency: Any, frequency: Any, monetary: Any, r_cuts: Any, f_cuts: Any, m_cuts: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[Column, ...]]:
    """R, F, M scores by the core's one rule (quintiles, or the cut points given)."""
    r, f, m = _rfm_columns(recency, frequency, monetary)
    cuts = (
        cut_points(r_cuts, "r_cuts"),
        cut_points(f_cuts, "f_cuts"),
        cut_points(m_cuts, "m_cuts"),
    )
    if all(c is None for c in cuts):
        _need_columns(r, f, m)
        r_s, f_s, m_s = rfm.rfm_scores(r.values, f.values, m.values)
        # a row without a recency or monetary value shows no score
        missing = np.isnan(r.values) | np.isnan(m.values)
        r_s[missing] = f_s[missing] = m_s[missing] = np.nan
        return r_s, f_s, m_s, (r, f, m)
    if any(c is None for c in cuts):
        raise ArgumentError(
            N_("give all three of {names}, or none"), names="r_cuts, f_cuts, m_cuts"
        )
    r_cut, f_cut, m_cut = (c for c in cuts if c is not None)
    r_s, f_s, m_s = rfm.rfm_scores(r.values, f.values, m.values, cuts=(r_cut, f_cut, m_cut))
    return r_s, f_s, m_s, (r, f, m)


# --- the worksheet functions ------------------------------------------------------------

_RFM_DOCS: Final[dict[str, str]] = {
    "recency": "Days since the last purchase: one cell, or a column",
    "frequency": "Number of purchases: one cell, or a column",
    "monetary": "Net revenue: one cell, or a column",
    "lang": 'Language of the result: "en" (default) or "zh"',
    "r_cuts": "4 ascending recency days between scores 5|4|3|2|1 (blank: quintiles)",
    "f_cuts": "4 ascending frequencies between scores 1|2|3|4|5 (blank: quintiles)",
    "m_cuts": "4 ascending revenues between scores 1|2|3|4|5 (blank: quintiles)",
}


@xw.func(category=CATEGORY)
@xw.arg("recency", ndim=2, doc=_RFM_DOCS["recency"])
@xw.arg("frequency", ndim=2, doc=_RFM_DOCS["frequency"])
@xw.arg("monetary", ndim=2, doc=_RFM_DOCS["monetary"])
@xw.arg("r_cut", doc="Recency cut point: fewer days is high (blank: from the columns)")
@xw.arg("f_cut", doc="Frequency cut point: more is high (blank: from the columns)")
@xw.arg("m_cut", doc="Monetary cut point: more is high (blank: from the columns)")
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@xw.arg("method", doc='Cut points from the columns by "mean" (default), "median" or "score"')
@excel_errors
def rfm_class(
    recency, frequency, monetary, r_cut=None, f_cut=None, m_cut=None, lang="en", method="mean"
):
    """RFM class (important value ... general win-back) from recency, frequency and monetary."""
    lang = check_lang(lang)
    r, f, m = _rfm_columns(recency, frequency, monetary)
    cuts = (
        optional_number(r_cut, "r_cut"),
        optional_number(f_cut, "f_cut"),
        optional_number(m_cut, "m_cut"),
    )
    if all(c is None for c in cuts):
        _need_columns(r, f, m)
        thresholds = rfm.rfm_thresholds(_rfm_frame(r, f, m), method=str(method or "mean"))
    elif any(c is None for c in cuts):
        raise ArgumentError(N_("give all three of {names}, or none"), names="r_cut, f_cut, m_cut")
    else:
        thresholds = {
            k: float(c or 0)
            for k, c in zip(("recency_days", "frequency", "monetary"), cuts, strict=True)
        }
    index = rfm.class_index(r.values, f.values, m.values, thresholds=thresholds)
    return indexed_labels(
        index, schema.RFM_CLASSES, lambda c: schema.label(c, lang), r, f, m, lang=lang
    )


@xw.func(category=CATEGORY)
@xw.arg("recency", ndim=2, doc=_RFM_DOCS["recency"])
@xw.arg("frequency", ndim=2, doc=_RFM_DOCS["frequency"])
@xw.arg("monetary", ndim=2, doc=_RFM_DOCS["monetary"])
@xw.arg("r_cuts", ndim=1, doc=_RFM_DOCS["r_cuts"])
@xw.arg("f_cuts", ndim=1, doc=_RFM_DOCS["f_cuts"])
@xw.arg("m_cuts", ndim=1, doc=_RFM_DOCS["m_cuts"])
@excel_errors
def rfm_score(recency, frequency, monetary, r_cuts=None, f_cuts=None, m_cuts=None):
    """RFM score as three digits 1-5, e.g. 545 (R, F, M; 5 is best), by quintiles or cut points."""
    r_s, f_s, m_s, inputs = _scores(recency, frequency, monetary, r_cuts, f_cuts, m_cuts)
    combined = r_s * 100 + f_s * 10 + m_s
    return labels(np.where(np.isnan(combined), None, combined), lambda c: f"{c:.0f}", *inputs)


@xw.func(category=CATEGORY)
@xw.arg("recency", ndim=2, doc=_RFM_DOCS["recency"])
@xw.arg("frequency", ndim=2, doc=_RFM_DOCS["frequency"])
@xw.arg("monetary", ndim=2, doc=_RFM_DOCS["monetary"])
@xw.arg("r_cuts", ndim=1, doc=_RFM_DOCS["r_cuts"])
@xw.arg("f_cuts", ndim=1, doc=_RFM_DOCS["f_cuts"])
@xw.arg("m_cuts", ndim=1, doc=_RFM_DOCS["m_cuts"])
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@excel_errors
def rfm_segment(recency, frequency, monetary, r_cuts=None, f_cuts=None, m_cuts=None, lang="en"):
    """Named RFM segment (champions, loyal, at risk ...) from recency, frequency and monetary."""
    lang = check_lang(lang)
    r_s, f_s, m_s, inputs = _scores(recency, frequency, monetary, r_cuts, f_cuts, m_cuts)
    codes = rfm.segment_codes(r_s, f_s, m_s)
    return labels(codes, lambda c: schema.label(c, lang), *inputs, lang=lang)


@xw.func(category=CATEGORY)
@xw.arg("frequency", ndim=2, doc="Number of purchases (0 or blank: prospect)")
@xw.arg("recency", ndim=2, doc="Days since the last purchase")
@xw.arg("tenure", ndim=2, doc="Days since the customer was first seen (for loyal; optional)")
@xw.arg("active_windows", ndim=2, doc="Recent 90-day windows with a purchase (for loyal; optional)")
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@xw.arg("sleep_days", doc="Sleeping from this many days without purchase (default 90)")
@xw.arg("lost_days", doc="Lost from this many days without purchase (default 365)")
@xw.arg("mature_orders", doc="Mature from this many purchases (default 10)")
@excel_errors
def lifecycle_tier(
    frequency,
    recency,
    tenure=None,
    active_windows=None,
    lang="en",
    sleep_days=None,
    lost_days=None,
    mature_orders=None,
):
    """Lifecycle tier (potential, new, repeat, mature, loyal, sleeping, lost) of a customer."""
    lang = check_lang(lang)
    settings = settings_with(
        sleep_days=whole_number(sleep_days, "sleep_days"),
        lost_days=whole_number(lost_days, "lost_days"),
        mature_orders=whole_number(mature_orders, "mature_orders"),
    )
    f, r = numbers(frequency, "frequency"), numbers(recency, "recency")
    given = [f, r]
    ten = numbers(tenure, "tenure") if tenure is not None else None
    w = numbers(active_windows, "active_windows") if active_windows is not None else None
    given += [c for c in (ten, w) if c is not None]
    n = same_length(*given)
    f, r = spread(f, n), spread(r, n)
    codes = lifecycle.assign_tiers(
        f.values,
        r.values,
        spread(ten, n).values if ten is not None else None,
        spread(w, n).values if w is not None else None,
        settings=settings,
    )
    return labels(codes, lambda c: schema.tier_label(c, lang), *given, lang=lang)


@xw.func(category=CATEGORY)
@xw.arg("recency", ndim=2, doc="Days since the last purchase")
@xw.arg("frequency", ndim=2, doc="Number of purchases")
@xw.arg("median_gap", ndim=2, doc="Median days between purchases")
@xw.arg("recent_events", ndim=2, doc="Purchases + contacts in the last 90 days (optional)")
@xw.arg("prior_events", ndim=2, doc="Purchases + contacts in the 90 days before (optional)")
@xw.arg("lang", doc=_RFM_DOCS["lang"])
@xw.arg("gap_factor", doc="Warn when recency exceeds this many median gaps (default 2)")
@xw.arg("drop", doc="Warn when recent events fell by this share or more (default 0.5)")
@excel_errors
def churn_risk(
    recency,
    frequency,
    median_gap,
    recent_events=None,
    prior_events=None,
    lang="en",
    gap_factor=None,
    drop=None,
):
    """Churn warning in words (empty when none): a long gap or a drop in purchases and contacts."""
    lang = check_lang(lang)
    settings = settings_with(
        churn_gap_factor=optional_number(gap_factor, "gap_factor"),
        churn_drop=optional_number(drop, "drop"),
    )
    r, f = numbers(recency, "recency"), numbers(frequency, "frequency")
    g = numbers(median_gap, "median_gap")
    given = [r, f, g]
    a = numbers(recent_events, "recent_events") if recent_events is not None else None
    b = numbers(prior_events, "prior_events") if prior_events is not None else None
    given += [c for c in (a, b) if c is not None]
    n = same_length(*given)
    frame = pd.DataFrame(
        {
            "recency_days": spread(r, n).values,
            "frequency": spread(f, n).values,
            "median_gap_days": spread(g, n).values,
            "recent_events": spread(a, n).values if a is not None else np.zeros(n),
            "prior_events": spread(b, n).values if b is not None else np.zeros(n),
        }
    )
    warning = lifecycle.churn_warning(
        frame["recency_days"],
        frame["frequency"],
        frame["median_gap_days"],
        frame["recent_events"],
        frame["prior_events"],
        settings=settings,
    )
    warned = frame.assign(churn_reason=warning["churn_reason"])[warning["churn_warning"].to_numpy()]
    # Only warned rows are described. A drop-only warning may lack a median
    # gap; its gap text is never shown, and a placeholder keeps the core's
    # text builder away from NaN.
    warned = warned.fillna({"median_gap_days": 1.0})
    words = np.full(n, None, dtype=object)
    if len(warned):
        text = lifecycle.describe_churn(warned, lang, settings=settings)
        words[warned.index.to_numpy()] = text.to_numpy(dtype=object)
    return labels(words, str, *given, lang=lang)


# Volatile: with as_of left out the answer changes every day, not only when
# an argument changes, so Excel recalculates it with every calculation.
@xw.func(category=CATEGORY, volatile=True)
@xw.arg("grade", ndim=2, doc="Grade typed by the salesperson, A-E (blank: derived)")
@xw.arg("need_status", ndim=2, doc="Need status, e.g. unclear / no need (optional)")
@xw.arg("deal_status", ndim=2, doc="Deal status, e.g. lost (optional)")
@xw.arg("expected_close", ndim=2, doc="Expected closing date (optional)")
@xw.arg("as_of", doc="Analysis date (default: today)")
@xw.arg("a_days", doc="A when closing within this many days (default 30)")
@xw.arg("b_days", doc="B when closing within this many days (default 90)")
@xw.arg("c_days", doc="C when closing within this many days (default 180)")
@excel_errors
def followup_grade(
    grade,
    need_status=None,
    deal_status=None,
    expected_close=None,
    as_of=None,
    a_days=None,
    b_days=None,
    c_days=None,
):
    """Customer grade A-E: the given grade, else from need, deal status and expected close."""
    settings = settings_with(
        grade_a_days=whole_number(a_days, "a_days"),
        grade_b_days=whole_number(b_days, "b_days"),
        grade_c_days=whole_number(c_days, "c_days"),
    )
    columns = {"grade": texts(grade, "grade")}
    if need_status is not None:
        columns["need_status"] = texts(need_status, "need_status")
    if deal_status is not None:
        columns["deal_status"] = texts(deal_status, "deal_status")
    if expected_close is not None:
        columns["expected_close"] = dates(expected_close, "expected_close")
    n = same_length(*columns.values())
    frame = pd.DataFrame({k: spread(c, n).values for k, c in columns.items()})
    grades = followup.derive_grades(frame, as_of=as_of_day(as_of), settings=settings)
    return labels(grades["grade"].to_numpy(dtype=object), str, *columns.values())


def _grades(grade: Any) -> Column:
    raw, single = _flat(grade)
    parsed = cells.parse_grades(raw)
    return Column(
        parsed.values.to_numpy(dtype=object), parsed.bad, N_("{name} must be A-E"), single, "grade"
    )


@xw.func(category=CATEGORY)
@xw.arg("grade", ndim=2, doc="Grade A-E: one cell, or a column")
@xw.arg("a_days", doc="Days between follow-ups for A (default 1)")
@xw.arg("b_days", doc="... for B (default 7)")
@xw.arg("c_days", doc="... for C (default 15)")
@xw.arg("d_days", doc="... for D (default 30)")
@xw.arg("e_days", doc="... for E (default 365)")
@excel_errors
def followup_cadence(grade, a_days=None, b_days=None, c_days=None, d_days=None, e_days=None):
    """Days between follow-ups for a grade A-E (A daily ... E yearly)."""
    settings = settings_with(
        cadence_a=whole_number(a_days, "a_days"),
        cadence_b=whole_number(b_days, "b_days"),
        cadence_c=whole_number(c_days, "c_days"),
        cadence_d=whole_number(d_days, "d_days"),
        cadence_e=whole_number(e_days, "e_days"),
    )
    g = _grades(grade)
    known = ~pd.isna(g.values)
    days = np.full(len(g), np.nan)
    days[known] = followup.cadence_for(g.values[known], settings)
    return numbers_out(days, g)


# Volatile: with as_of left out the answer changes every day, not only when
# an argument changes, so Excel recalculates it with every calculation.
@xw.func(category=CATEGORY, volatile=True)
@xw.arg("last_contact", ndim=2, doc="Date of the last contact (blank: never contacted)")
@xw.arg("grade", ndim=2, doc="Grade A-E")
@xw.arg("as_of", doc="Analysis date (default: today)")
@excel_errors
def next_followup(last_contact, grade, as_of=None):
    """Date of the next follow-up: last contact + the grade's cadence (today if never contacted)."""
    contact, g = dates(last_contact, "last_contact"), _grades(grade)
    n = same_length(contact, g)
    contact, g = spread(contact, n), spread(g, n)
    known = ~pd.isna(g.values)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(int(known.sum())).astype(str),
            "grade": g.values[known],
            "last_contact": contact.values[known],
        }
    )
    due = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    due[known] = followup.schedule_followups(frame, as_of=as_of_day(as_of))["next_followup"]
    return dates_out(due, contact, g)


@xw.func(category=CATEGORY)
@xw.arg("monetary", ndim=2, doc="Net revenue per customer: a column (or one cell with floors)")
@xw.arg("a_min", doc="Revenue from which a customer is A (blank: top 80 % of revenue)")
@xw.arg("b_min", doc="Revenue from which a customer is B (blank: next 15 % of revenue)")
@excel_errors
def pareto_class(monetary, a_min=None, b_min=None):
    """ABC (Pareto) class: A makes the first 80 % of revenue, B the next 15 %, C the rest."""
    m = numbers(monetary, "monetary")
    floors = (optional_number(a_min, "a_min"), optional_number(b_min, "b_min"))
    if all(x is None for x in floors):
        _need_columns(m)
        return labels(pareto.abc_classes(m.values), str, m)
    if any(x is None for x in floors):
        raise ArgumentError(N_("give both a_min and b_min, or neither"))
    a, b = (x for x in floors if x is not None)
    return labels(pareto.abc_from_floors(m.values, a_min=a, b_min=b), str, m)


# --- value model: =P_ALIVE(), =CUSTOMER_VALUE() ------------------------------------
# The model learns from the whole customer base, so these take whole columns
# (the inputs on the Value sheet) and refuse a single cell.

_VALUE_DOCS: Final = {
    "repeat_days": "Repeat purchase days per customer: the whole column (Value sheet)",
    "span_days": "Days from the first to the last purchase day: the whole column",
    "age_days": "Days since the first purchase day: the whole column",
    "mean_repeat_spend": "Mean spend of the repeat purchase days: the whole column",
    "lang": 'Language of the reason when the model cannot be fitted: "en" (default) or "zh"',
    "margin_rate": "Optional: margin as a share of revenue (one cell, or a column) for the "
    "expected margin",
}


def _value_inputs(*args: Any) -> tuple[dict[str, np.ndarray], tuple[Column, ...]]:
    """The model's input arrays from the columns; unusable rows are left out."""
    names = ("repeat_days", "span_days", "age_days", "mean_repeat_spend")
    columns = [numbers(a, name) for a, name in zip(args, names, strict=False)]
    if all(c.single for c in columns):
        raise ArgumentError(N_("give whole columns: the model learns from all customers"))
    n = same_length(*columns)
    columns = [spread(c, n) for c in columns]
    x, span, age = (c.values for c in columns[:3])
    with np.errstate(invalid="ignore"):
        fits = (x >= 0) & (x == np.round(x)) & (span >= 0) & (span <= age) & ((x > 0) == (span > 0))
    blank = np.isnan(x) & np.isnan(span) & np.isnan(age)
    unreadable = np.any([c.bad for c in columns], axis=0)
    odd = ~fits & ~blank & ~unreadable
    if odd.any():  # after the cells' own reasons, which win
        reason = N_("repeat_days, span_days and age_days do not fit together")
        columns.append(Column(np.zeros(n), odd, reason, False))
    use = fits & ~unreadable
    spend = columns[3].values if len(args) > 3 else np.full(n, np.nan)
    inputs = {
        "repeat_days": np.where(use, x, 0).astype(np.int64),
        "span_days": np.where(use, span, np.nan),
        "age_days": np.where(use, age, np.nan),
        "mean_repeat_spend": np.where(use & (x > 0), spend, np.nan),
    }
    return inputs, tuple(columns)


def _value_scores(inputs: dict[str, np.ndarray], lang: str) -> dict[str, np.ndarray]:
    model = value.fit_value_model(inputs)
    if model.bgnbd is None:
        raise ArgumentError(value.describe_reason(model.reason, lang) or "")
    settings = DEFAULT_SETTINGS
    scores = value.score_customers(
        model,
        inputs,
        horizon_days=settings.value_horizon_days,
        monthly_discount=settings.value_monthly_discount,
    )
    scores["reason"] = np.array([model.reason], dtype=object)
    return scores


@xw.func(category=CATEGORY)
@xw.arg("repeat_days", ndim=2, doc=_VALUE_DOCS["repeat_days"])
@xw.arg("span_days", ndim=2, doc=_VALUE_DOCS["span_days"])
@xw.arg("age_days", ndim=2, doc=_VALUE_DOCS["age_days"])
@xw.arg("lang", doc=_VALUE_DOCS["lang"])
@excel_errors
def p_alive(repeat_days, span_days, age_days, lang="en"):
    """Chance that each customer still buys (BG/NBD P(alive)), fitted on whole columns."""
    lang = check_lang(lang)
    inputs, columns = _value_inputs(repeat_days, span_days, age_days)
    return numbers_out(_value_scores(inputs, lang)["p_alive"], *columns, lang=lang)


@xw.func(category=CATEGORY)
@xw.arg("repeat_days", ndim=2, doc=_VALUE_DOCS["repeat_days"])
@xw.arg("span_days", ndim=2, doc=_VALUE_DOCS["span_days"])
@xw.arg("age_days", ndim=2, doc=_VALUE_DOCS["age_days"])
@xw.arg("mean_repeat_spend", ndim=2, doc=_VALUE_DOCS["mean_repeat_spend"])
@xw.arg("lang", doc=_VALUE_DOCS["lang"])
@xw.arg("margin_rate", ndim=2, doc=_VALUE_DOCS["margin_rate"])
@excel_errors
def customer_value(
    repeat_days, span_days, age_days, mean_repeat_spend, lang="en", margin_rate=None
):
    """Expected spend over the next 12 months, discounted 1 % a month (× margin_rate: margin)."""
    lang = check_lang(lang)
    inputs, columns = _value_inputs(repeat_days, span_days, age_days, mean_repeat_spend)
    scores = _value_scores(inputs, lang)
    if scores["reason"][0] is not None:
        raise ArgumentError(value.describe_reason(str(scores["reason"][0]), lang) or "")
    worth = scores["expected_value"]
    if not _left_out(margin_rate):
        rate = numbers(margin_rate, "margin_rate")
        if not rate.single and len(rate) != len(worth):
            raise ArgumentError(N_("the columns must have the same number of rows"))
        rate = spread(rate, len(worth))
        worth = worth * rate.values  # a blank rate leaves the customer's margin blank
        columns = (*columns, rate)
    return numbers_out(worth, *columns, lang=lang)


def _left_out(value: Any) -> bool:
    """An optional argument not given (or an empty cell)."""
    return value is None or (isinstance(value, str) and not value.strip())


# The loyalty and relationship levels live in a module of their own (this one is
# long enough); imported last because they use the helpers above.
from xlcrm.excel.udfs_levels import loyalty_level, relationship_level  # noqa: E402
