"""Pure formatters of the brief and the email: numbers, money, shares, dates.

One formatting path: :mod:`xlcrm.report.context` and :mod:`xlcrm.mail` call
these, and :mod:`xlcrm.report.render` registers them as Jinja filters. A
missing value (None, NaN, NA, NaT) is shown as :data:`DASH`.
"""

from __future__ import annotations

from typing import Any, Final, cast

import pandas as pd

from xlcrm.core.currency import Currency, format_amount, format_short, money_scale
from xlcrm.locale import N_, t

__all__ = [
    "DASH",
    "FILTERS",
    "NAME_LIMIT",
    "fmt_date",
    "fmt_int",
    "fmt_money",
    "fmt_money_short",
    "fmt_name",
    "fmt_number",
    "fmt_pct",
    "is_missing",
]

DASH: Final = "—"
#: Names (customers, owners) are cut to this many characters in the brief's tables
#: and charts; the workbook keeps them whole. A 32,000-character name would make
#: the PDF layout take minutes.
NAME_LIMIT: Final = 60


def fmt_name(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def is_missing(value: object) -> bool:
    """None, NaN, ``pd.NA`` or ``NaT``: shown as :data:`DASH`."""
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


def fmt_number(value: object, decimals: int = 2) -> str:
    """A number with thousands separators and ``decimals`` decimals: ``1234.5 -> '1,234.50'``."""
    if is_missing(value):
        return DASH
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def fmt_money(value: object, currency: str = "", decimals: int = 0) -> str:
    """An amount with thousands separators and an optional currency symbol.

    ``fmt_money(-1234.5, "¥") -> '-¥1,235'`` (rounded half up); a letter code
    gets a space: ``fmt_money(10, "RMB") -> 'RMB 10'``; a CJK symbol follows:
    ``fmt_money(10, "元") -> '10元'``. Missing -> ``'—'``.
    """
    if is_missing(value):
        return DASH
    return format_amount(float(value), Currency(currency, decimals))  # type: ignore[arg-type]


def fmt_money_short(value: object, currency: str = "", lang: str = "en", top: float = 0.0) -> str:
    """A sum in the unit readers of ``lang`` expect: ``$16.4M``, ``¥1,640万``.

    ``top`` (default: the value itself) picks the unit, so figures shown
    together share one. Missing -> ``'—'``.
    """
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    scale = money_scale(max(abs(top), abs(number)) if top else number, lang)
    return format_short(number, Currency(currency, 0), lang, scale)


def fmt_pct(value: object, decimals: int = 1) -> str:
    """A share 0..1 as a percentage: ``0.4567 -> '45.7%'``; missing -> ``'—'``."""
    if is_missing(value):
        return DASH
    return f"{float(value) * 100:.{decimals}f}%"  # type: ignore[arg-type]


# Long dates, one message per month: the month's name and the order of the
# parts both belong to the language ("30 June 2024", "2024年6月30日").
_LONG_DATES: Final = (
    N_("{day} January {year}"),
    N_("{day} February {year}"),
    N_("{day} March {year}"),
    N_("{day} April {year}"),
    N_("{day} May {year}"),
    N_("{day} June {year}"),
    N_("{day} July {year}"),
    N_("{day} August {year}"),
    N_("{day} September {year}"),
    N_("{day} October {year}"),
    N_("{day} November {year}"),
    N_("{day} December {year}"),
)


def fmt_date(value: object, lang: str = "en", long: bool = False) -> str:
    """A date as ``2024-06-30``; ``long=True`` gives ``30 June 2024`` / ``2024年6月30日``."""
    if is_missing(value):
        return DASH
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if not long:
        return ts.strftime("%Y-%m-%d")
    return t(_LONG_DATES[ts.month - 1], lang, day=ts.day, year=ts.year)


FILTERS: Final = {
    "fmt_int": fmt_int,
    "fmt_money": fmt_money,
    "fmt_money_short": fmt_money_short,
    "fmt_number": fmt_number,
    "fmt_pct": fmt_pct,
    "fmt_date": fmt_date,
}
