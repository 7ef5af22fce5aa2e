"""How xlcrm's sheets look on screen and on paper: one font, column widths, page setup.

* :data:`FONTS`: one named family per workbook language, for every cell and
  chart xlcrm writes (a style without a name shows as a serif in LibreOffice).
* :func:`column_width`: from the header (bold, plus the filter button) and
  the content: the widest number (Excel shows ``####`` for a number that does
  not fit), the 95th percentile of texts and any text up to
  :data:`ALWAYS_FITS` characters; wider texts wrap at :data:`WRAP_AT`.
* :func:`set_page_setup`: landscape, one page wide, the header row on every
  page, a print area, the sheet name and page numbers in the footer, so that
  File > Print gives a usable report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.currency import Currency
from xlcrm.locale import t
from xlcrm.palette import MUTED, rgb

#: The font family of every cell and chart text, by workbook language: Excel's
#: default body font (Calibri; 等线 in Chinese Excel), which LibreOffice
#: replaces by a metric twin (Carlito) or a CJK sans-serif.
FONTS: Final[dict[str, str]] = {"en": "Calibri", "zh": "等线"}
BODY_SIZE: Final = 11
#: A text of up to this many characters (a CJK character counts two) is never cut.
ALWAYS_FITS: Final = 30
#: Texts whose 95th percentile is wider than this wrap at this width.
WRAP_AT: Final = 60
#: Height (pt) of a line of 11 pt text, generous for the fonts that stand in for
#: the named one (a CJK fallback is taller).
LINE_PT: Final[dict[str, float]] = {"en": 15.0, "zh": 17.0}
#: Room for the filter button of a table header, in characters.
FILTER_BUTTON: Final = 2.5
#: Rows sampled to measure a large column.
SAMPLE_ROWS: Final = 5000


def font_name(lang: str) -> str:
    """The font family of a workbook in ``lang``."""
    return FONTS.get(lang, FONTS["en"])


def use_font(wb: Any, lang: str) -> None:
    """Make the family of ``lang`` the default font of a new openpyxl workbook.

    The default (Normal style) font sets the width unit of columns and the
    height of empty rows; a named font (no theme "minor" scheme) shows the
    same family in Excel and LibreOffice.
    """
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList

    default = Font(name=font_name(lang), size=BODY_SIZE, family=2)
    wb._fonts = IndexedList([default])  # index 0 is the default font
    normal = next((s for s in wb._named_styles if s.name == "Normal"), None)
    if normal is not None:
        normal.font = default


def text_width(text: str) -> float:
    """Width of ``text`` in Excel character units: East Asian characters count two."""
    if text.isascii():  # O(1): most texts
        return float(len(text))
    return float(len(text) + sum(1 for ch in text if ord(ch) > 0x2E80))


def _text_widths(values: pd.Series) -> np.ndarray:
    texts = values.dropna()
    if len(texts) > SAMPLE_ROWS:
        texts = texts.sample(SAMPLE_ROWS, random_state=0)
    if len(texts) > _LOOP_ROWS:  # pandas' string methods, in C
        texts = texts.astype(str)
        wide = texts.str.count(r"[\u2e81-\U0010ffff]").to_numpy(dtype=float)
        return texts.str.len().to_numpy(dtype=float) + wide
    # the few hundred rows of most sheets: a loop takes a third of the time of the
    # string methods' set-up
    shown = texts.to_numpy(dtype=object)
    return np.fromiter((text_width(str(t)) for t in shown), dtype=float, count=len(shown))


#: Up to this many texts a column's widths are measured in a Python loop.
_LOOP_ROWS: Final = 500


def _number_text(value: float, kind: str, currency: Currency) -> str:
    if kind == "money":
        sign = "-" if value < 0 else ""
        return sign + currency.attach(f"{abs(value):,.{currency.decimals}f}")
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "float":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Width:
    """A column's width in Excel character units, and whether its text wraps."""

    chars: float
    wrap: bool = False


def column_width(values: pd.Series, header: str, kind: str, currency: Currency) -> Width:
    """The width a column needs: header with filter button, and its content.

    Numbers: the widest value shown (positive or negative). Dates: ten digits.
    Text: the 95th percentile, at least every text up to :data:`ALWAYS_FITS`;
    past :data:`WRAP_AT` the column wraps.
    """
    head = text_width(header) * 1.1 + FILTER_BUTTON + 1  # bold
    content = 0.0
    if kind == "date":
        content = 10
    elif kind == "text":
        widths = _text_widths(values)
        if len(widths):
            p95 = float(np.quantile(widths, 0.95))
            longest = float(widths.max())
            content = max(p95, min(longest, ALWAYS_FITS))
            if content > WRAP_AT:
                return Width(max(head, WRAP_AT + 1), True)
    else:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        if len(numbers):
            extremes = (float(numbers.max()), float(numbers.min()))
            content = max(text_width(_number_text(v, kind, currency)) for v in extremes)
    return Width(round(max(head, content + 1.5), 1))


def _escape(text: str) -> str:
    """Header and footer text: ``&`` starts a code there."""
    return text.replace("&", "&&")


def set_page_setup(
    ws: Any,
    *,
    lang: str,
    area: str | None,
    title_rows: str | None = "1:1",
    left_header: str = "",
    right_header: str = "",
    fit_height: int = 0,
) -> None:
    """Landscape, one page wide (``fit_height`` pages tall, 0: as many as needed),
    ``title_rows`` repeated on every page, ``area`` printed, headers and page numbers.

    The paper size is left to the printer (A4 or Letter).
    """
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = fit_height
    ws.page_margins = PageMargins(
        left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3
    )
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area
    parts = (
        (ws.oddHeader.left, _escape(left_header)),
        (ws.oddHeader.right, _escape(right_header)),
        (ws.oddFooter.left, "&A"),  # the sheet's name
        (ws.oddFooter.right, t("Page &P of &N", lang)),
    )
    for part, text in parts:
        if text:
            part.text, part.size, part.color = text, 8, rgb(MUTED)
            part.font = f"{font_name(lang)},Regular"


_TOKENS: Final = re.compile(r"[\u2e80-\U0010ffff]|[^\s\u2e80-\U0010ffff]+\s*|\s+")


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapping cell ``width`` characters wide.

    Greedy like Excel: words stay whole (a word longer than a line is split),
    a line may break before any CJK character.
    """
    usable = max(width - 1.5, 1.0)
    lines, used = 1, 0.0
    for token in _TOKENS.findall(str(text)):
        shown = text_width(token.rstrip())
        if used and used + shown > usable:
            lines, used = lines + 1, 0.0
            if not token.strip():
                continue
        if shown > usable:  # a very long word runs over several lines
            lines += math.ceil(shown / usable) - 1
            shown %= usable
        used += text_width(token)
    return lines


def row_heights(frame: pd.DataFrame, wrap: dict[str, float], line_pt: float) -> np.ndarray:
    """Height (pt) of each row whose wrapped cells need more than one line, else 0.

    ``wrap`` maps a column of ``frame`` to its width. Each distinct text is
    measured once, so long tables of repeated texts stay fast.
    """
    lines = np.ones(len(frame), dtype=np.int64)
    for key, width in wrap.items():
        values = frame[key]
        present = values.notna().to_numpy()
        if not present.any():
            continue
        texts = values[present].astype(str)
        measured = {u: wrapped_lines(u, width) for u in pd.unique(texts)}
        counts = texts.map(measured).to_numpy(dtype=np.int64)
        lines[present] = np.maximum(lines[present], counts)
    return np.where(lines > 1, lines * line_pt, 0.0)
