"""Turn columns of raw cell values into typed columns, vectorised.

A column arrives as a 1-D object array of whatever python-calamine (or the
CSV reader) produced: ``str``, ``float``, ``int``, ``bool``, ``date``,
``datetime``, ``time``, ``timedelta``, ``None`` or ``""``. Each ``parse_*``
function returns a :class:`Parsed`: the typed values (NA where blank or
unreadable), a blank mask and, per cell, the code of the problem (``None``
when the cell is fine or blank).

Whole-column pandas/numpy operations do the work; the per-cell type lookup
is a C-level ``map(type, ...)``. Strings that a first fast attempt cannot
read go through a short list of explicit formats, each tried only on what is
still unread. This module is pure: no files, no clock, only numpy and pandas.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from itertools import repeat
from typing import Final

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from xlcrm.core.schema import ACTIVITY_KIND_ALIASES, GRADES, header_key

# Problem codes a cell can have (labels live in reader.REASONS).
BAD_ID: Final = "bad_id"
BAD_DATE: Final = "bad_date"
DATE_OUT_OF_RANGE: Final = "date_out_of_range"
BAD_AMOUNT: Final = "bad_amount"
#: Amounts from this size on are not read: they cannot be counted in whole cents
#: (int64) and no small business books them.
MAX_AMOUNT: Final = 1e15
BAD_GRADE: Final = "bad_grade"
EXCEL_ERROR: Final = "excel_error"
NUMBER_AS_DATE: Final = "number_as_date"
AMBIGUOUS_DATE: Final = "ambiguous_date"

EXCEL_ERRORS: Final = frozenset(
    {
        "#N/A",
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
        "#NUM!",
        "#NAME?",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)

# Dates outside this window are refused: Excel cannot hold dates before 1900
# and anything past 2199 is a typo, not an order.
_EXCEL_ERRORS_WIDE: Final = np.array(sorted(EXCEL_ERRORS), dtype=StringDType())

MIN_DATE: Final = pd.Timestamp("1900-01-01")
MAX_DATE: Final = pd.Timestamp("2199-12-31")
_EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
_MAX_SERIAL: Final = (MAX_DATE - _EXCEL_EPOCH).days + 1
# A number (or a date cell) before 1910 in a date column is a count, a
# quantity or a total row's SUM shown as a date, never a customer's date:
# Excel shows 8 as 1900-01-08.
SMALL_DATE: Final = pd.Timestamp("1910-01-01")
_MIN_SERIAL: Final = (SMALL_DATE - _EXCEL_EPOCH).days

# Tried in this order on text still unread; times of day are cut off first.
_YEAR_FIRST: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_MONTH_FIRST: Final = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_DAY_FIRST: Final = ("%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y")
_ALWAYS_DAY_FIRST: Final = ("%d.%m.%Y",)
_MONTH_NAMES: Final = (
    "%d %b %Y",
    "%d-%b-%Y",
    "%b %d %Y",
    "%d %B %Y",
    "%B %d %Y",
    "%d-%b-%y",
    "%b-%d-%Y",
)

# A time of day after a date: "14:22", "下午 2:22:07", "2:22 PM", ISO "T14:22:01.5Z",
# "+08:00" or "+0800" zones, "14时22分". The date is kept as written (no zone shift).
_TIME_SUFFIX: Final = (
    r"(?:(?:[ T]+|\s*(?:上午|下午|中午|晚上|凌晨|早上)\s*)\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT)?\s*(?:[+-]\d{2}(?::?\d{2})?)?)?"
    r"|\s*(?:上午|下午|中午|晚上|凌晨|早上)?\s*\d{1,2}[时點点].*)$"
)
# d/m/y or m/d/y: the two leading numbers, to decide the order per column
_SLASHED: Final = r"^(\d{1,2})[/-](\d{1,2})[/-](?:\d{2}|\d{4})$"
_CURRENCY: Final = (
    r"(?i)(?:rmb|cny|usd|hkd|eur|gbp|jpy|us\$|hk\$|人民币|港币|港元|美元|欧元|英镑|日元|円"
    r"|元|圆|块|[¥$€£])"
)
# The currency a written sign or code stands for; "¥" alone is taken as yuan.
CURRENCY_CODES: Final[dict[str, str]] = {
    "rmb": "CNY",
    "cny": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "圆": "CNY",
    "块": "CNY",
    "¥": "CNY",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "美元": "USD",
    "hkd": "HKD",
    "hk$": "HKD",
    "港币": "HKD",
    "港元": "HKD",
    "eur": "EUR",
    "€": "EUR",
    "欧元": "EUR",
    "gbp": "GBP",
    "£": "GBP",
    "英镑": "GBP",
    "jpy": "JPY",
    "円": "JPY",
    "日元": "JPY",
}
_CURRENCY_FIRST: Final = (
    r"(?i)(rmb|cny|usd|hkd|eur|gbp|jpy|us\$|hk\$|人民币|港币|港元|美元|欧元|英镑|日元|円"
    r"|元|圆|块|[¥$€£])"
)
# Minus signs people paste from other programs: U+2212 (math), U+2012/2013 (dashes),
# U+FE63 (small); the full-width U+FF0D becomes "-" under NFKC.
_MINUS_SIGNS: Final = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-"})
# 1.2万 (ten thousand), 3亿 (hundred million), 5千 (thousand), with or without 元
_MULTIPLIERS: Final[dict[str, float]] = {"千": 1e3, "万": 1e4, "亿": 1e8}
_MULTIPLIER_SUFFIX: Final = r"([千万亿])元?$"
_PLAIN_NUMBER: Final = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+"


@dataclass(frozen=True)
class Parsed:
    """One parsed column.

    Attributes
    ----------
    values
        Typed values, positional index ``0..n-1``; NA/NaT/NaN where blank or unreadable.
    blank
        ``True`` where the cell is empty (or only spaces).
    problem
        Object array: a problem code where the cell cannot be read, else ``None``.
    """

    values: pd.Series
    blank: np.ndarray
    problem: np.ndarray
    #: Amounts only: the currency code written in a text cell ("CNY", "USD" …), else None;
    #: None for the whole column when no cell names one.
    currency: np.ndarray | None = None

    @property
    def bad(self) -> np.ndarray:
        """``True`` where the cell has a problem."""
        return pd.notna(self.problem)


_STR, _NUM, _NONE, _DATE = 1, 2, 3, 4
_TYPE_CODES: Final[dict[type, int]] = {
    str: _STR,
    np.str_: _STR,
    float: _NUM,
    int: _NUM,
    np.float64: _NUM,
    np.int64: _NUM,
    type(None): _NONE,
    dt.date: _DATE,
    dt.datetime: _DATE,
    pd.Timestamp: _DATE,
}


def _kinds(values: np.ndarray) -> np.ndarray:
    """Small int code per cell (0 for bool, time, timedelta and anything else)."""
    codes = map(_TYPE_CODES.get, map(type, values), repeat(0))
    return np.fromiter(codes, dtype=np.int8, count=len(values))


def _as_object(values: object) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    return arr.reshape(-1) if arr.ndim != 1 else arr


def _masks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(is str, is number, is None/NaN, is date or datetime) per cell."""
    kinds = _kinds(values)
    is_str = kinds == _STR
    is_num = kinds == _NUM
    is_none = kinds == _NONE
    if is_num.any():
        nums = values[is_num].astype(float)
        nan = np.isnan(nums)
        if nan.any():
            idx = np.flatnonzero(is_num)[nan]
            is_num[idx] = False
            is_none[idx] = True
    is_date = kinds == _DATE
    return is_str, is_num, is_none, is_date


@dataclass(frozen=True)
class _Strings:
    """A column of strings, stripped, with masks: empty, Excel error, contains a dot."""

    text: np.ndarray
    empty: np.ndarray
    error: np.ndarray
    dotted: np.ndarray


_NOT_PLAIN_SPACE: Final = re.compile(r"[^\S ]")
_ASCII_SPACE: Final = "\t\n\v\f\r\x1c\x1d\x1e\x1f"


def _scan_strings(values: np.ndarray, *, find_dots: bool = False) -> _Strings:
    """Strip strings and find empty ones, Excel errors and dots.

    The column is first joined into one string with NUL separators and
    searched with C-speed substring tests: most columns have no padded,
    empty, ``#``-prefixed or dotted value at all, and then no per-value work
    is done. Otherwise numpy's string functions handle the column.
    """
    return _scan_joined(values, "\x00".join(values.tolist()), find_dots=find_dots)


def _scan_joined(values: np.ndarray, joined: str, *, find_dots: bool) -> _Strings:
    n = len(values)
    none = np.zeros(n, dtype=bool)
    if joined.isascii():  # O(1) in CPython; then a few memchr scans replace the regex
        odd_space = any(ch in joined for ch in _ASCII_SPACE)
    else:
        odd_space = _NOT_PLAIN_SPACE.search(joined) is not None
    padded = (
        odd_space
        or " \x00" in joined
        or "\x00 " in joined
        or joined.startswith(" ")
        or joined.endswith(" ")
    )
    maybe_empty = (
        joined == "" or "\x00\x00" in joined or joined.startswith("\x00") or joined.endswith("\x00")
    )
    maybe_error = "#" in joined
    maybe_dot = find_dots and "." in joined
    del joined
    if not (padded or maybe_empty or maybe_error or maybe_dot):
        return _Strings(values, none, none, none)
    wide = values.astype(StringDType())
    text = values
    if padded:
        stripped = np.strings.strip(wide)
        changed = stripped != wide
        if changed.any():
            text = values.copy()
            text[changed] = stripped[changed].astype(object)
        wide = stripped
        maybe_empty = True
    empty = np.strings.str_len(wide) == 0 if maybe_empty else none
    error = none
    if maybe_error:
        error = np.strings.startswith(wide, "#")
        if error.any():
            error[error] = np.isin(wide[error], _EXCEL_ERRORS_WIDE)
    dotted = np.strings.find(wide, ".") >= 0 if maybe_dot else none
    return _Strings(text, empty, error, dotted)


def _join_strings(values: np.ndarray) -> str | None:
    """The column joined with NUL separators, or None when a cell is not a ``str``."""
    try:
        return "\x00".join(values.tolist())
    except TypeError:
        return None


def _strip(values: np.ndarray) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Stripped strings as an object Series + (empty, Excel error) masks."""
    scan = _scan_strings(values)
    return pd.Series(scan.text, dtype=object), scan.empty, scan.error


def _number_text(nums: np.ndarray) -> np.ndarray:
    """123.0 -> "123"; 12.5 -> "12.5" (what the user sees, without Excel's .0)."""
    out = np.empty(len(nums), dtype=object)
    whole = np.isfinite(nums) & (np.abs(nums) < 1e15) & (nums == np.floor(nums))
    out[whole] = nums[whole].astype(np.int64).astype(str)
    rest = ~whole
    if rest.any():
        out[rest] = [repr(float(x)) for x in nums[rest]]
    return out


def _texts(
    values: np.ndarray, *, find_dots: bool = False
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Text form of every cell + (blank, excel error, date, not text-like, text with a dot) masks.

    Numbers become their whole-number text when whole, dates ISO text; bools,
    times and durations are flagged as not text-like.
    """
    n = len(values)
    joined = _join_strings(values)
    if joined is not None:  # every cell is a string: no per-cell type lookup needed
        scan = _scan_joined(values, joined, find_dots=find_dots)
        del joined
        out = scan.text
        blank = scan.empty.copy()
        if blank.any():
            out = out.copy() if out is values else out
            out[blank] = None
        no = np.zeros(n, dtype=bool)
        return pd.Series(out, dtype=object), blank, scan.error, no, no, scan.dotted
    is_str, is_num, is_none, is_date = _masks(values)
    out = np.full(n, None, dtype=object)
    blank = is_none.copy()
    error = np.zeros(n, dtype=bool)
    dotted = np.zeros(n, dtype=bool)
    if is_str.any():
        idx = np.flatnonzero(is_str)
        scan = _scan_strings(values[is_str], find_dots=find_dots)
        out[idx] = scan.text
        blank[idx[scan.empty]] = True
        error[idx[scan.error]] = True
        dotted[idx[scan.dotted]] = True
    if is_num.any():
        out[is_num] = _number_text(values[is_num].astype(float))
    if is_date.any():
        out[is_date] = [v.isoformat() for v in values[is_date]]
    other = ~(is_str | is_num | is_none | is_date)
    if other.any():
        out[other] = [str(v) for v in values[other]]
    out[blank] = None
    return pd.Series(out, dtype=object), blank, error, is_date, other, dotted


def parse_ids(values: object) -> Parsed:
    """Customer (or order) ids as text.

    ``"00123"`` stays ``"00123"``; the numbers 123 and 123.0 and the text
    ``"123.0"`` are all ``"123"``. Dates, booleans and times are not ids.
    """
    arr = _as_object(values)
    text, blank, error, is_date, other, dotted = _texts(arr, find_dots=True)
    problem = np.full(len(arr), None, dtype=object)
    if dotted.any():
        text[dotted] = text[dotted].str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    bad = other | is_date
    problem[bad] = BAD_ID
    problem[error] = EXCEL_ERROR
    text[bad | error] = None
    return Parsed(text.astype("str"), blank, problem)


def parse_text(values: object) -> Parsed:
    """Free text (names, owners, statuses): stripped, numbers without a trailing .0."""
    arr = _as_object(values)
    text, blank, error, _, _, _ = _texts(arr)
    problem = np.full(len(arr), None, dtype=object)
    problem[error] = EXCEL_ERROR
    text[error] = None
    return Parsed(text.astype("str"), blank, problem)


def parse_grades(values: object) -> Parsed:
    """A-E grades; ``"a"``, ``"A类"``, ``"A级"``, ``"Grade A"`` are all ``"A"``."""
    parsed = parse_text(values)
    text = np.array(parsed.values.astype(object), dtype=object)
    present = pd.notna(text)
    plain = pd.Series(text, dtype=object).isin(GRADES).to_numpy()
    odd = present & ~plain
    if odd.any():
        cleaned = (
            pd.Series(text[odd], dtype=object)
            .str.upper()
            .str.replace(r"[\s类级]|GRADE|CLASS|LEVEL", "", regex=True)
            .to_numpy(dtype=object, copy=True)
        )
        fine = pd.Series(cleaned, dtype=object).isin(GRADES).to_numpy()
        cleaned[~fine] = None
        text[odd] = cleaned
    problem = parsed.problem.copy()
    bad = odd & pd.isna(text) & pd.isna(problem)
    problem[bad] = BAD_GRADE
    return Parsed(pd.Series(text, dtype=object).astype("str"), parsed.blank, problem)


def parse_kinds(values: object) -> Parsed:
    """Activity kinds: known words (en/zh) become codes, other text is kept as written."""
    parsed = parse_text(values)
    text = parsed.values.astype(object)
    present = ~pd.isna(text).to_numpy()
    out = text.to_numpy(dtype=object).copy()
    if present.any():
        keys = pd.Series(out[present], dtype=object)
        uniques = pd.unique(keys)
        lookup = {u: ACTIVITY_KIND_ALIASES.get(header_key(u), u) for u in uniques}
        out[present] = keys.map(lookup).to_numpy(dtype=object)
    return Parsed(pd.Series(out, dtype=object).astype("str"), parsed.blank, parsed.problem)


def _clean_amount_text(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """¥1,234.50 / RMB 1234.5 / (12.00) / −5 / 1.2万 -> plain number text (or "x"),
    the multiplier of a 万/亿/千 suffix, and the currency named (None where none)."""
    s = text.str.translate(_MINUS_SIGNS).str.normalize("NFKC")
    found = s.str.extract(_CURRENCY_FIRST, expand=False)
    currency = found.str.lower().map(CURRENCY_CODES).to_numpy(dtype=object)
    currency[pd.isna(currency)] = None
    s = s.str.replace(_CURRENCY, "", regex=True)
    s = s.str.replace(r"\s+", "", regex=True)
    unit = s.str.extract(_MULTIPLIER_SUFFIX, expand=False)
    multiplier = unit.map(_MULTIPLIERS).fillna(1.0).to_numpy(dtype=float)
    s = s.str.replace(_MULTIPLIER_SUFFIX, "", regex=True)
    neg = s.str.fullmatch(r"\(.*\)|-\(.*\)", na=False)
    s = s.where(~neg, "-" + s.str.replace(r"[-()]", "", regex=True))
    trailing_minus = s.str.fullmatch(r"[\d.,]+-", na=False)
    s = s.where(~trailing_minus, "-" + s.str.rstrip("-"))
    s = s.str.replace(r"^([+-])[+-]?", r"\1", regex=True)
    valid = s.str.fullmatch(_PLAIN_NUMBER, na=False)
    currency[~valid.to_numpy()] = None
    return s.where(valid, "x").str.replace(",", "", regex=False), multiplier, currency


def parse_amounts(values: object) -> Parsed:
    """Amounts as float: numbers as they are; text with currency signs, thousands
    separators, accounting brackets (``(12.00)`` is -12), other minus signs
    (U+2212) and 万/亿/千 (``1.2万`` is 12000). A currency written in a cell
    (¥, $, HK$, €, £, JPY, 元 …) is returned in :attr:`Parsed.currency`."""
    arr = _as_object(values)
    n = len(arr)
    is_str, is_num, is_none, _ = _masks(arr)
    out = np.full(n, np.nan)
    blank = is_none.copy()
    problem = np.full(n, None, dtype=object)
    currency: np.ndarray | None = None
    if is_num.any():
        out[is_num] = arr[is_num].astype(float)
    if is_str.any():
        idx = np.flatnonzero(is_str)
        text, empty, err = _strip(arr[is_str])
        blank[idx[empty]] = True
        problem[idx[err]] = EXCEL_ERROR
        nums = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
        # "nan", "inf" and "1e999" are not amounts a person typed
        unread = ~np.isfinite(nums) & ~empty & ~err
        if unread.any():
            cleaned, multiplier, named = _clean_amount_text(text[unread])
            nums[unread] = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
            nums[unread] *= multiplier
            still = unread & ~np.isfinite(nums)
            nums[still] = np.nan
            problem[idx[still]] = BAD_AMOUNT
            if pd.notna(named).any():
                currency = np.full(n, None, dtype=object)
                currency[idx[unread]] = named
        out[idx] = nums
    other = ~(is_str | is_num | is_none)
    problem[other] = BAD_AMOUNT
    # not finite, or too large to count in whole cents (a pasted id, an exponent typo)
    with np.errstate(invalid="ignore"):
        huge = ~np.isnan(out) & ~(np.abs(out) < MAX_AMOUNT)
    problem[huge & pd.isna(problem)] = BAD_AMOUNT
    out[~np.isfinite(out) | huge] = np.nan
    return Parsed(pd.Series(out, dtype="float64"), blank, problem, currency)


def _dates_from_numbers(nums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Excel serial numbers (45356) and yyyymmdd numbers (20240305) -> datetime64[ns],
    a read mask, and a mask of small numbers (0 to a day before 1910: not dates)."""
    out = np.full(len(nums), np.datetime64("NaT"), dtype="datetime64[ns]")
    serial = (nums >= _MIN_SERIAL) & (nums < _MAX_SERIAL)
    if serial.any():
        days = np.floor(nums[serial]).astype(np.int64)
        out[serial] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).to_numpy(
            dtype="datetime64[ns]"
        )
    ymd = (nums >= 19000101) & (nums <= 21991231) & (nums == np.floor(nums))
    if ymd.any():
        text = pd.Series(nums[ymd].astype(np.int64).astype(str))
        out[ymd] = pd.to_datetime(text, format="%Y%m%d", errors="coerce").to_numpy(
            dtype="datetime64[ns]"
        )
    small = (nums >= 0) & (nums < _MIN_SERIAL)
    return out, ~np.isnat(out), small


def _date_order(s: pd.Series, day_first: bool) -> tuple[bool | None, np.ndarray]:
    """Day or month first for a column of d/m/y-or-m/d/y texts, and the ambiguous cells.

    A value whose first number is above 12 (25/03/2024) proves day first, one
    whose second number is (03/25/2024) month first. Without proof either
    way the setting decides. With proof both ways (None is returned) a value
    that reads two ways (05/03/2024, not 05/05/2024) cannot be read.
    """
    parts = s.str.extract(_SLASHED)
    first = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    second = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    proves_day = bool((first > 12).any())
    proves_month = bool((second > 12).any())
    ambiguous = (first <= 12) & (second <= 12) & (first != second)
    if proves_day and proves_month:
        return None, ambiguous
    if proves_day or proves_month:
        return proves_day, np.zeros(len(s), dtype=bool)
    return day_first, np.zeros(len(s), dtype=bool)


def _dates_from_text(text: pd.Series, day_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """Text dates -> datetime64[ns] (NaT where unread), trying explicit formats in order;
    and a problem code per cell where the reason is known (ambiguous, a small number)."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    codes = np.full(len(text), None, dtype=object)
    if not len(text):
        return out, codes
    s = text.str.normalize("NFKC")
    timed = s.str.contains(r"[:时點点]", regex=True, na=False)
    if timed.any():
        s = s.where(~timed, s.str.replace(_TIME_SUFFIX, "", regex=True))
    s = s.str.replace("号", "日", regex=False).str.replace(",", " ", regex=False)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    # "2024 年 3 月 5 日" -> "2024年3月5日"
    s = s.str.replace(r"\s*([年月日])\s*", r"\1", regex=True)
    numeric = s.str.fullmatch(r"\d+(?:\.\d+)?", na=False).to_numpy()
    numeric = numeric & ~s.str.fullmatch(r"\d{8}", na=False).to_numpy()
    if numeric.any():
        nums, ok, small = _dates_from_numbers(s[numeric].astype(float).to_numpy())
        idx = np.flatnonzero(numeric)
        out[idx[ok]] = nums[ok]
        codes[idx[small & ~ok]] = NUMBER_AS_DATE
    order, ambiguous = _date_order(s, day_first)
    codes[ambiguous] = AMBIGUOUS_DATE
    # with proof both ways each unambiguous value reads its one way
    orders = {None: _MONTH_FIRST + _DAY_FIRST, True: _DAY_FIRST, False: _MONTH_FIRST}
    middle = orders[order]
    formats = _YEAR_FIRST + middle + _ALWAYS_DAY_FIRST + _MONTH_NAMES
    todo = np.isnat(out) & ~numeric & ~ambiguous
    for fmt in formats:
        if not todo.any():
            break
        got = pd.to_datetime(s[todo], format=fmt, errors="coerce").to_numpy(dtype="datetime64[ns]")
        hit = ~np.isnat(got)
        idx = np.flatnonzero(todo)
        out[idx[hit]] = got[hit]
        todo[idx[hit]] = False
    return out, codes


def _all_dates(arr: np.ndarray) -> Parsed | None:
    """Fast path: a column of real Excel dates, all in range (the usual case)."""
    if not len(arr) or _TYPE_CODES.get(type(arr[0])) != _DATE:
        return None
    if not (_kinds(arr) == _DATE).all():
        return None
    try:
        stamps = pd.to_datetime(arr, errors="raise")
    except (ValueError, TypeError, OverflowError):
        return None
    if not isinstance(stamps, pd.DatetimeIndex) or stamps.tz is not None or stamps.hasnans:
        return None
    days = stamps.floor("D")
    if days.min() < SMALL_DATE or days.max() > MAX_DATE:
        return None
    n = len(arr)
    return Parsed(
        pd.Series(days.as_unit("ns").to_numpy()),
        np.zeros(n, dtype=bool),
        np.full(n, None, dtype=object),
    )


def _day_stamps(dates: np.ndarray) -> pd.Series:
    """Date and datetime objects -> naive timestamps at midnight (NaT where impossible).

    Excel dates have no time zone; a zone-aware value (only from other
    front ends) keeps its wall-clock date.
    """
    series = pd.Series(dates, dtype=object)
    try:
        stamps = pd.to_datetime(series, errors="coerce")
    except (ValueError, TypeError):  # mixed or aware time zones
        naive = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in dates]
        stamps = pd.to_datetime(pd.Series(naive, dtype=object), errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.dt.floor("D")


def parse_dates(values: object, *, day_first: bool = False) -> Parsed:
    """Dates as datetime64[ns] at midnight (a time of day is dropped).

    Reads Excel dates, serial numbers (45356), yyyymmdd numbers, and text
    such as 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 5 Mar 2024 and
    03/05/2024, with or without a time of day (``2024/3/5 下午 2:22:07``,
    ``2024-03-05T14:22:01Z``, ``2024-03-05 14:22:01 +0800``; the date is
    kept as written, the time and zone dropped).

    Day or month first is decided for the whole column: a value like
    25/03/2024 proves day first, 03/25/2024 month first; without proof
    ``day_first`` decides; with proof both ways, values that read two ways
    are refused (``ambiguous_date``). Dates before 1900 or after 2199 are
    refused (``date_out_of_range``), and so are numbers and date cells before
    1910 (``number_as_date``: a count or a quantity, which Excel would show
    as a day in 1900).
    """
    arr = _as_object(values)
    n = len(arr)
    fast = _all_dates(arr)
    if fast is not None:
        return fast
    is_str, is_num, is_none, is_date = _masks(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    blank = is_none.copy()
    problem = np.full(n, None, dtype=object)
    if is_date.any():
        idx = np.flatnonzero(is_date)
        unit = _day_stamps(arr[is_date])
        low = (unit < MIN_DATE) | (unit > MAX_DATE)
        problem[idx[low.to_numpy()]] = DATE_OUT_OF_RANGE
        small = ((unit >= MIN_DATE) & (unit < SMALL_DATE)).to_numpy()
        problem[idx[small]] = NUMBER_AS_DATE
        low = low | small
        problem[idx[unit.isna().to_numpy()]] = BAD_DATE
        fine = ~low & unit.notna()
        out[idx[fine.to_numpy()]] = unit[fine].to_numpy(dtype="datetime64[ns]")
    if is_num.any():
        idx = np.flatnonzero(is_num)
        got, ok, small = _dates_from_numbers(arr[is_num].astype(float))
        out[idx[ok]] = got[ok]
        problem[idx[~ok]] = np.where(small[~ok], NUMBER_AS_DATE, BAD_DATE)
    if is_str.any():
        idx = np.flatnonzero(is_str)
        text, empty, err = _strip(arr[is_str])
        blank[idx[empty]] = True
        problem[idx[err]] = EXCEL_ERROR
        todo = ~empty & ~err
        got, codes = _dates_from_text(text[todo], day_first)
        sub = idx[todo]
        out[sub] = got
        unread = np.isnat(got)
        if unread.any():
            reasons = _undated_reason(text[todo][unread])
            known = codes[unread]
            problem[sub[unread]] = np.where(pd.notna(known), known, reasons)
    other = ~(is_str | is_num | is_none | is_date)
    problem[other] = BAD_DATE
    stamps = pd.Series(out)
    outside = ((stamps < MIN_DATE) | (stamps > MAX_DATE)).to_numpy()
    problem[outside] = DATE_OUT_OF_RANGE
    out[outside] = np.datetime64("NaT")
    return Parsed(pd.Series(out, dtype="datetime64[ns]"), blank, problem)


def _undated_reason(text: pd.Series) -> np.ndarray:
    """A text that looks like a date with a year before 1900 is out of range, else unreadable."""
    year = pd.to_numeric(text.str.extract(r"(?:^|\D)(\d{4})(?:\D|$)")[0], errors="coerce")
    early = (year < MIN_DATE.year).fillna(False).to_numpy(dtype=bool)
    return np.where(early, DATE_OUT_OF_RANGE, BAD_DATE).astype(object)


_ZERO_WIDTH: Final = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None))


def similar_id_keys(ids: object) -> pd.Series:
    """The form under which customer ids that differ only in letter case, full-width
    characters, zero-width characters or surrounding spaces become equal.

    ``"C001"``, ``"c001"``, ``"Ｃ００１"`` and ``"C001\u200b"`` share a key.
    """
    text = pd.Series(_as_object(ids), dtype=object).astype(str)
    if "".join(text.tolist()).isascii():  # no full-width or invisible characters
        return text.str.lower().str.strip()
    return text.str.translate(_ZERO_WIDTH).str.normalize("NFKC").str.casefold().str.strip()


def parse_date_value(value: object, *, day_first: bool = False) -> pd.Timestamp | None:
    """One value (e.g. the Settings sheet's as_of) -> Timestamp, or None when blank.

    Raises ``ValueError`` when the value is not a date.
    """
    parsed = parse_dates(np.array([value], dtype=object), day_first=day_first)
    if parsed.blank[0]:
        return None
    stamp = parsed.values.iloc[0]
    if pd.isna(stamp):
        raise ValueError(str(parsed.problem[0]))
    return pd.Timestamp(stamp)


__all__ = [
    "AMBIGUOUS_DATE",
    "BAD_AMOUNT",
    "BAD_DATE",
    "BAD_GRADE",
    "BAD_ID",
    "DATE_OUT_OF_RANGE",
    "EXCEL_ERROR",
    "EXCEL_ERRORS",
    "MAX_AMOUNT",
    "NUMBER_AS_DATE",
    "Parsed",
    "parse_amounts",
    "parse_date_value",
    "parse_dates",
    "parse_grades",
    "parse_ids",
    "parse_kinds",
    "parse_text",
    "similar_id_keys",
]
