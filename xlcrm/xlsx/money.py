"""Money in Excel: number formats for a currency, and the currency a workbook's formats show.

:func:`money_format` gives the number format of single amounts (with the
currency's decimals), of sums (whole units) and of chart labels counted in a
:class:`~xlcrm.core.currency.Scale` (``$16.4M``, ``¥1,640万``).
:func:`workbook_currency` reads the number formats a workbook's cells use and
returns the currency when exactly one is shown, so ``currency`` need not be
set when the amounts are already formatted as money.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Final
from xml.etree import ElementTree

from xlcrm.core.currency import CODE_SYMBOLS, Currency, Scale, bad_symbol

_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# "[$€-407]", "[$USD]", "[$¥-zh-CN]": the text before the first "-"
_BRACKET: Final = re.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")
_QUOTED: Final = re.compile(r'"([^"]*)"')
_BARE_SIGNS: Final = "¥￥$€£₩₹"


def _quote(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def money_format(currency: Currency, *, whole: bool = False, scale: Scale | None = None) -> str:
    """The Excel number format of amounts in ``currency``.

    ``whole`` drops the cents (sums); ``scale`` is for values already divided
    by ``scale.divisor`` (chart data) and adds its suffix: ``"$"#,##0.0"M"``.
    Negative amounts get a minus before the symbol.
    """
    decimals = 0 if whole else currency.decimals
    suffix = ""
    if scale is not None:
        decimals, suffix = scale.decimals, scale.suffix
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    number += _quote(suffix) if suffix else ""
    if not currency.symbol:
        return number
    symbol = _quote(currency.symbol)
    if currency.after:
        shown = number + symbol
    elif currency.spaced:
        shown = _quote(currency.symbol + " ") + number
    else:
        shown = symbol + number
    return f"{shown};-{shown}"


def symbols_in_format(code: str) -> list[tuple[str, int]]:
    """Currency symbols a number format shows, each with the decimals of its section.

    ``'"¥"#,##0.00'`` -> ``[("¥", 2)]``; ``'[$€-407] #,##0'`` -> ``[("€", 0)]``;
    a format without a currency -> ``[]``.
    """
    found: list[tuple[str, int]] = []
    first = code.split(";")[0]
    decimals = 0
    whole = re.search(r"0\.(0+)", first)
    if whole:
        decimals = len(whole.group(1))
    for symbol in _BRACKET.findall(first):
        if symbol.strip():
            found.append((symbol.strip(), decimals))
    rest = _BRACKET.sub("", first)
    for quoted in _QUOTED.findall(rest):
        text = quoted.strip()
        known = text in CODE_SYMBOLS.values() or text.upper() in CODE_SYMBOLS
        if text and (known or text in ("元", "円")):
            found.append((text, decimals))
    bare = _QUOTED.sub("", rest)
    for ch in bare:
        if ch in _BARE_SIGNS:
            found.append(("¥" if ch == "￥" else ch, decimals))
    return found


def currency_from_formats(codes: list[str]) -> tuple[str, int | None] | None:
    """The one currency a list of number formats shows, with its decimals.

    None when no format shows a currency or when two currencies appear. The
    decimals are None when the formats disagree on them.
    """
    seen: Counter[tuple[str, int]] = Counter()
    for code in codes:
        seen.update(symbols_in_format(code))
    symbols = {symbol for symbol, _ in seen}
    if len(symbols) != 1:
        return None
    symbol = symbols.pop()
    if bad_symbol(symbol):
        return None
    decimals = {d for _, d in seen}
    return symbol, decimals.pop() if len(decimals) == 1 else None


def workbook_currency(path: str | os.PathLike[str]) -> tuple[str, int | None] | None:
    """The currency the cells of an ``.xlsx``/``.xlsm`` workbook are formatted in.

    Reads only ``xl/styles.xml``: the custom number formats that cell styles
    use. The built-in currency formats (ids 5-8) are left out: their symbol
    depends on the computer's regional settings. None for other files, for
    unreadable ones, and when no single currency is clear.
    """
    target = Path(path)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    try:
        with zipfile.ZipFile(target) as zf:
            root = ElementTree.fromstring(zf.read("xl/styles.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    codes = {
        fmt.get("numFmtId"): fmt.get("formatCode") or "" for fmt in root.iter(f"{_MAIN_NS}numFmt")
    }
    used: list[str] = []
    cell_xfs = root.find(f"{_MAIN_NS}cellXfs")
    for xf in cell_xfs if cell_xfs is not None else ():
        code = codes.get(xf.get("numFmtId"))
        if code:
            used.append(code)
    return currency_from_formats(used)
