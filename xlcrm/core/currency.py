"""The currency amounts are shown in: a symbol, a number of decimals, a short form.

One rule for the workbook, the brief and the email. The ``currency`` setting
holds a symbol (``¥``, ``$``, ``€``, ``元``) or an ISO code (``CNY``,
``USD``), shown as its symbol; ``currency_decimals`` the decimals of single
amounts (a customer's spend, a threshold). Sums (totals, revenue by class)
are shown without cents, and large sums get a short form for cards and chart
labels: ``$16.4M`` in English, ``1,640万`` in Chinese, where readers count in
ten thousands. Exact figures stay in the workbook's cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

#: ISO codes (and RMB) shown as their symbol.
CODE_SYMBOLS: Final[dict[str, str]] = {
    "CNY": "¥",
    "RMB": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "KRW": "₩",
    "INR": "₹",
    "AUD": "A$",
    "CAD": "C$",
    "SGD": "S$",
}
#: Currencies counted in whole units.
NO_CENTS: Final = frozenset({"JPY", "KRW", "VND", "円", "₩"})
#: Most characters a currency symbol may have.
MAX_SYMBOL: Final = 4
#: Characters a symbol may not hold: they mean something in an Excel number format.
FORBIDDEN: Final = frozenset('"\\;@#?*_0123456789[]')
#: Highest ``currency_decimals``.
MAX_DECIMALS: Final = 4


@dataclass(frozen=True)
class Currency:
    """How money is shown: ``symbol`` ("" for none) and ``decimals`` of single amounts."""

    symbol: str = ""
    decimals: int = 2

    @property
    def after(self) -> bool:
        """The symbol follows the number (``1,234元``) rather than leading it (``¥1,234``)."""
        return bool(self.symbol) and ord(self.symbol[-1]) > 0x2E80

    @property
    def spaced(self) -> bool:
        """A letter code is set off by a space (``CHF 1,234``)."""
        return bool(self.symbol) and self.symbol[-1].isascii() and self.symbol[-1].isalpha()

    def attach(self, number: str) -> str:
        """``number`` (already formatted, without sign) with the symbol."""
        if not self.symbol:
            return number
        if self.after:
            return f"{number}{self.symbol}"
        return f"{self.symbol} {number}" if self.spaced else f"{self.symbol}{number}"


def symbol_of(setting: str) -> str:
    """The symbol shown for a ``currency`` setting: ``"usd" -> "$"``, ``"¥" -> "¥"``."""
    text = str(setting or "").strip()
    return CODE_SYMBOLS.get(text.upper(), text)


def bad_symbol(setting: str) -> bool:
    """True when ``setting`` cannot be a currency symbol or code (too long, digits, quotes)."""
    text = str(setting or "").strip()
    return len(text) > MAX_SYMBOL or any(ch in FORBIDDEN or ch.isspace() for ch in text)


def currency_of(setting: str, decimals: int | None = None) -> Currency:
    """The :class:`Currency` of the ``currency`` and ``currency_decimals`` settings.

    Without decimals: 0 for currencies counted in whole units (JPY, KRW), else 2.
    """
    text = str(setting or "").strip()
    symbol = symbol_of(text)
    if decimals is None:
        decimals = 0 if text.upper() in NO_CENTS or symbol in NO_CENTS else 2
    return Currency(symbol, int(decimals))


def format_amount(value: float, currency: Currency, *, whole: bool = False) -> str:
    """``value`` with thousands separators, the currency's decimals (none if ``whole``)
    and its symbol: ``-1234.5 -> '-¥1,234.50'``."""
    decimals = 0 if whole else currency.decimals
    text = f"{_half_up(abs(value), decimals):,.{decimals}f}"
    sign = "-" if value < 0 and any(ch not in "0.," for ch in text) else ""
    return sign + currency.attach(text)


def _half_up(value: float, decimals: int) -> Decimal:
    """``value`` rounded half away from zero, as accountants (and Excel) round money."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scale:
    """A unit large sums are counted in: ``divisor`` and the ``suffix`` after the number."""

    divisor: float = 1.0
    suffix: str = ""
    decimals: int = 0


def money_scale(largest: float, lang: str) -> Scale:
    """The unit a reader of ``lang`` expects for sums up to ``largest``.

    Chinese counts in 万 (10⁴) from 100,000 and in 亿 (10⁸) from 1亿; English
    in K from 10,000 and in M from 1,000,000. One decimal while the largest
    scaled value is below 100 (``16.4M``), none above (``164M``).
    """
    size = abs(largest) if math.isfinite(largest) else 0.0
    if lang == "zh":
        steps = ((1e8, "亿", 1e8), (1e4, "万", 1e5))
    else:
        steps = ((1e6, "M", 1e6), (1e3, "K", 1e4))
    for divisor, suffix, start in steps:
        if size >= start:
            return Scale(divisor, suffix, 1 if size / divisor < 100 else 0)
    return Scale()


def format_short(value: float, currency: Currency, lang: str, scale: Scale | None = None) -> str:
    """A sum in the unit readers of ``lang`` expect: ``$16.4M``, ``¥1,640万``.

    ``scale`` (default: the value's own) lets a set of figures share one unit.
    """
    scale = scale or money_scale(value, lang)
    if scale.divisor == 1:
        return format_amount(value, currency, whole=True)
    text = f"{_half_up(abs(value) / scale.divisor, scale.decimals):,.{scale.decimals}f}"
    text += scale.suffix
    sign = "-" if value < 0 else ""
    return sign + currency.attach(text)
