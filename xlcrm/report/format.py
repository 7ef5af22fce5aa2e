"""Pure formatters of the brief and the email: numbers, money, shares, dates.

One formatting path: :mod:`xlcrm.report.context` and :mod:`xlcrm.mail` call
these, and :mod:`xlcrm.report.render` registers them as Jinja filters. A
missing value (None, NaN, NA, NaT) is shown as :data:`DASH`.
"""

from __future__ import annotations

from typing import Any, Final, cast

import pandas as pd

__all__ = ["DASH", "FILTERS", "fmt_date", "fmt_int", "fmt_money", "fmt_pct", "is_missing"]

DASH: Final = "—"


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(cast(Any, value)))
    except (TypeError, ValueError):
        return False


def fmt_int(value: object) -> str:
    """A whole number with thousands separators: ``1234.4 -> '1,234'``; missing -> ``'—'``."""
    if is_missing(value):
        return DASH
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def fmt_money(value: object, currency: str = "", decimals: int = 0) -> str:
    """An amount with thousands separators and an optional currency sign.

    ``fmt_money(-1234.5, "¥") -> '-¥1,235'``; a word currency gets a space:
    ``fmt_money(10, "RMB") -> 'RMB 10'``. Missing -> ``'—'``.
    """
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    text = f"{abs(number):,.{decimals}f}"
    if currency:
        text = f"{currency} {text}" if currency[-1].isalpha() else f"{currency}{text}"
    sign = "-" if number < 0 and text.strip("0.,¥$€£ RMBCNYUSD") else ""
    return f"{sign}{text}"


def fmt_pct(value: object, decimals: int = 1) -> str:
    """A share 0..1 as a percentage: ``0.4567 -> '45.7%'``; missing -> ``'—'``."""
    if is_missing(value):
        return DASH
    return f"{float(value) * 100:.{decimals}f}%"  # type: ignore[arg-type]


def fmt_date(value: object, lang: str = "en", long: bool = False) -> str:
    """A date as ``2024-06-30``; ``long=True`` gives ``30 June 2024`` / ``2024年6月30日``."""
    if is_missing(value):
        return DASH
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if not long:
        return ts.strftime("%Y-%m-%d")
    if lang == "zh":
        return f"{ts.year}年{ts.month}月{ts.day}日"
    return f"{ts.day} {ts.strftime('%B')} {ts.year}"


FILTERS: Final = {
    "fmt_int": fmt_int,
    "fmt_money": fmt_money,
    "fmt_pct": fmt_pct,
    "fmt_date": fmt_date,
}
