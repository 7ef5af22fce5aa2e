"""Small vector charts for the PDF brief, as inline SVG made in Python.

Each function takes plain, already aggregated values (a handful of bars or
at most a few hundred curve points) and returns :class:`markupsafe.Markup`
holding one ``<svg>`` element. Every piece of text is escaped here, so the
result can go into an autoescaping template as is. No file access, no clock.

The SVG sets its own fonts and colours: WeasyPrint draws inline SVG with
its own renderer, which does not see the document's CSS variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from markupsafe import Markup

# the house palette, shared with the workbook and report.css
from xlcrm.palette import ACCENT, GREY, GRID, INK, MUTED, WARN
from xlcrm.palette import ACCENT_2 as ACCENT_2  # re-exported for the brief's context
from xlcrm.palette import AMBER as AMBER

#: The brief's body font per language (templates/report.css): charts use the same
#: family as the text around them. WeasyPrint draws SVG text with the first family
#: of the list (no fallback along it), so the first is the one the text uses.
FONT_STACKS: Final = {
    "en": (
        "'Noto Sans CJK SC', 'Source Han Sans SC', 'Noto Sans', 'Segoe UI', "
        "'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif"
    ),
    "zh": (
        "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', "
        "'Noto Sans', 'DejaVu Sans', sans-serif"
    ),
}
FONT_STACK: Final = FONT_STACKS["en"]


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value, the value as shown, and its colour."""

    label: str
    value: float
    shown: str
    colour: str = ACCENT


@dataclass(frozen=True)
class Series:
    """One stacked part of a bar row: legend name and colour."""

    name: str
    colour: str


def _num(x: float) -> str:
    """Coordinates with at most one decimal, no trailing zeros."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _clip(text: str, limit: int) -> str:
    """Shorten a label to ``limit`` characters (CJK counted double)."""
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E80 else 1
        if width > limit:
            return text[: max(i - 1, 1)] + "…"
    return text


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 9,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>'
    )


def _svg(width: float, height: float, body: list[str], title: str, lang: str = "en") -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="{escape(FONT_STACKS.get(lang, FONT_STACK))}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    width: float = 300,
    label_width: float = 96,
    row: float = 17,
    lang: str = "en",
) -> Markup:
    """Horizontal bars, one per label, longest = widest; values written at the end."""
    value_room = 58.0
    plot = width - label_width - value_room
    top = max((b.value for b in bars), default=0.0)
    height = max(row * len(bars) + 4, 24)
    body: list[str] = []
    for i, b in enumerate(bars):
        y = 2 + i * row
        length = 0.0 if top <= 0 else max(plot * b.value / top, 1.0 if b.value > 0 else 0.0)
        body.append(_text(label_width - 6, y + row * 0.62, _clip(b.label, 18), anchor="end"))
        body.append(
            f'<rect x="{_num(label_width)}" y="{_num(y + 2)}" width="{_num(length)}" '
            f'height="{_num(row - 5)}" fill="{b.colour}"/>'
        )
        body.append(_text(label_width + length + 4, y + row * 0.62, b.shown, fill=MUTED))
    if not bars:
        body.append(_text(width / 2, 16, "–", anchor="middle", fill=MUTED))
    return _svg(width, height, body, title, lang)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[float], str]],
    series: Sequence[Series],
    *,
    title: str,
    width: float = 620,
    label_width: float = 120,
    row: float = 17,
    lang: str = "en",
) -> Markup:
    """Horizontal stacked bars (e.g. follow-ups per owner split by urgency) with a legend."""
    value_room = 40.0
    plot = width - label_width - value_room
    top = max((sum(v) for _, v, _ in rows), default=0.0)
    legend_h = 18.0
    height = legend_h + max(row * len(rows), row) + 4
    body: list[str] = []
    x = label_width
    for s in series:
        body.append(f'<rect x="{_num(x)}" y="3" width="9" height="9" fill="{s.colour}"/>')
        body.append(_text(x + 13, 11, s.name, size=8.5, fill=MUTED))
        x += 13 + 7.5 * max(len(s.name), 4) + 14
    for i, (label, values, shown) in enumerate(rows):
        y = legend_h + i * row
        body.append(_text(label_width - 6, y + row * 0.62, _clip(label, 22), anchor="end"))
        x = label_width
        for value, s in zip(values, series, strict=True):
            length = 0.0 if top <= 0 else plot * value / top
            if length > 0:
                body.append(
                    f'<rect x="{_num(x)}" y="{_num(y + 2)}" width="{_num(length)}" '
                    f'height="{_num(row - 5)}" fill="{s.colour}"/>'
                )
            x += length
        body.append(_text(x + 4, y + row * 0.62, shown, fill=MUTED))
    if not rows:
        body.append(_text(width / 2, legend_h + 12, "–", anchor="middle", fill=MUTED))
    return _svg(width, height, body, title, lang)


def funnel_chart(
    stages: Sequence[Bar], *, title: str, width: float = 300, row: float = 19, lang: str = "en"
) -> Markup:
    """Centred bars whose width follows the value, top to bottom, label and value inside."""
    top = max((s.value for s in stages), default=0.0)
    min_w = 70.0
    height = max(row * len(stages) + 2, 24)
    centre = width / 2
    body: list[str] = []
    for i, s in enumerate(stages):
        y = 1 + i * row
        w = min_w if top <= 0 else min_w + (width - min_w) * s.value / top
        body.append(
            f'<rect x="{_num(centre - w / 2)}" y="{_num(y)}" width="{_num(w)}" '
            f'height="{_num(row - 3)}" rx="2" fill="{s.colour}"/>'
        )
        body.append(
            _text(
                centre,
                y + row * 0.6,
                f"{_clip(s.label, 16)}  {s.shown}",
                anchor="middle",
                fill="#ffffff" if s.colour in (ACCENT, WARN, INK, MUTED) else INK,
                size=8.5,
            )
        )
    return _svg(width, height, body, title, lang)


def pareto_chart(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    marker: tuple[float, float] | None = None,
    marker_label: str = "",
    width: float = 300,
    height: float = 170,
    lang: str = "en",
) -> Markup:
    """Cumulative revenue share (y) against share of customers (x), both 0..1.

    ``marker`` highlights one point (e.g. top 20 % of buyers -> their revenue share).
    """
    left, right, top, bottom = 34.0, 8.0, 6.0, 28.0
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + pw * min(max(x, 0.0), 1.0)

    def py(y: float) -> float:
        return top + ph * (1 - min(max(y, 0.0), 1.0))

    body: list[str] = []
    for k in range(0, 6):
        f = k / 5
        body.append(
            f'<line x1="{_num(px(0))}" y1="{_num(py(f))}" x2="{_num(px(1))}" y2="{_num(py(f))}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(
            _text(left - 4, py(f) + 3, f"{round(f * 100)}%", size=7.5, anchor="end", fill=MUTED)
        )
        body.append(
            _text(px(f), top + ph + 10, f"{round(f * 100)}%", size=7.5, anchor="middle", fill=MUTED)
        )
    body.append(
        f'<line x1="{_num(px(0))}" y1="{_num(py(0))}" x2="{_num(px(1))}" y2="{_num(py(1))}" '
        f'stroke="{GREY}" stroke-width="0.8" stroke-dasharray="3 3"/>'
    )
    if points:
        coords = " ".join(f"{_num(px(x))},{_num(py(y))}" for x, y in [(0.0, 0.0), *points])
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{ACCENT}" stroke-width="1.8"/>'
        )
    if marker is not None:
        mx, my = marker
        body.append(
            f'<line x1="{_num(px(mx))}" y1="{_num(py(0))}" x2="{_num(px(mx))}" '
            f'y2="{_num(py(my))}" stroke="{WARN}" stroke-width="0.8" stroke-dasharray="2 2"/>'
        )
        body.append(f'<circle cx="{_num(px(mx))}" cy="{_num(py(my))}" r="2.8" fill="{WARN}"/>')
        if marker_label:
            body.append(_text(px(mx) + 5, py(my) + 11, marker_label, size=8, fill=WARN))
    body.append(_text(left + pw / 2, height - 3, x_label, size=8, anchor="middle", fill=MUTED))
    body.append(
        f'<text x="9" y="{_num(top + ph / 2)}" font-size="8" text-anchor="middle" '
        f'fill="{MUTED}" transform="rotate(-90 9 {_num(top + ph / 2)})">{escape(y_label)}</text>'
    )
    return _svg(width, height, body, title, lang)


def line_chart(
    lines: Sequence[tuple[Series, Sequence[float]]],
    *,
    title: str,
    x_label: str,
    width: float = 460,
    height: float = 170,
    lang: str = "en",
) -> Markup:
    """Lines over the same steps 1..n (e.g. weeks), y from 0 to the largest value, with a legend."""
    left, right, top, bottom = 40.0, 8.0, 18.0, 28.0
    pw, ph = width - left - right, height - top - bottom
    steps = max((len(v) for _, v in lines), default=0)
    peak = max((max(v) for _, v in lines if len(v)), default=0.0) or 1.0

    def px(i: float) -> float:
        return left + pw * (i / max(steps - 1, 1))

    def py(y: float) -> float:
        return top + ph * (1 - min(max(y / peak, 0.0), 1.0))

    body: list[str] = []
    for k in range(0, 5):
        y = peak * k / 4
        body.append(
            f'<line x1="{_num(left)}" y1="{_num(py(y))}" x2="{_num(left + pw)}" '
            f'y2="{_num(py(y))}" stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(_text(left - 4, py(y) + 3, f"{y:,.0f}", size=7.5, anchor="end", fill=MUTED))
    for i in range(steps):
        if steps <= 13 or i % max(steps // 10, 1) == 0 or i == steps - 1:
            body.append(
                _text(px(i), top + ph + 10, str(i + 1), size=7.5, anchor="middle", fill=MUTED)
            )
    x = left
    for series, values in lines:
        if len(values):
            coords = " ".join(f"{_num(px(i))},{_num(py(v))}" for i, v in enumerate(values))
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{series.colour}" '
                f'stroke-width="1.8"/>'
            )
        body.append(f'<rect x="{_num(x)}" y="4" width="10" height="3" fill="{series.colour}"/>')
        body.append(_text(x + 13, 9, series.name, size=8))
        x += 26 + 5.5 * len(series.name)
    body.append(_text(left + pw / 2, height - 3, x_label, size=8, anchor="middle", fill=MUTED))
    return _svg(width, height, body, title, lang)


@dataclass(frozen=True)
class Step:
    """One stage of a conversion funnel: its name, deals reached, the text shown on
    the bar, the conversion from it to the next stage (text, empty for the last)."""

    label: str
    value: float
    shown: str
    conversion: str = ""
    colour: str = ACCENT


def conversion_funnel(
    steps: Sequence[Step],
    *,
    title: str,
    width: float = 300,
    row: float = 18,
    gap: float = 11,
    legend: Sequence[Series] = (),
    lang: str = "en",
) -> Markup:
    """A sales funnel: centred bars as wide as the deals that reached each stage,
    the stage and its figures on the left, the conversion to the next stage written
    in the gap below each bar (``↓ 75%``)."""
    label_width = 86.0
    plot = width - label_width - 4
    top = max((s.value for s in steps), default=0.0)
    min_w = 6.0
    legend_h = 14.0 if legend else 0.0
    height = legend_h + max(len(steps) * row + max(len(steps) - 1, 0) * gap + 2, 24)
    centre = label_width + plot / 2
    body: list[str] = []
    x = label_width
    for item in legend:
        body.append(f'<rect x="{_num(x)}" y="2" width="8" height="8" fill="{item.colour}"/>')
        body.append(_text(x + 11, 9.5, item.name, size=7.5, fill=MUTED))
        x += 11 + 6.5 * max(len(item.name), 4) + 10
    for i, s in enumerate(steps):
        y = legend_h + 1 + i * (row + gap)
        w = min_w if top <= 0 else max(plot * s.value / top, min_w)
        body.append(_text(label_width - 5, y + row * 0.45, _clip(s.label, 16), anchor="end"))
        body.append(
            _text(label_width - 5, y + row * 0.92, s.shown, anchor="end", size=7, fill=MUTED)
        )
        body.append(
            f'<rect x="{_num(centre - w / 2)}" y="{_num(y)}" width="{_num(w)}" '
            f'height="{_num(row)}" rx="1.5" fill="{s.colour}"/>'
        )
        if s.conversion and i < len(steps) - 1:
            body.append(
                _text(centre, y + row + gap * 0.78, f"↓ {s.conversion}", anchor="middle", size=7.5)
            )
    if not steps:
        body.append(_text(width / 2, 16, "–", anchor="middle", fill=MUTED))
    return _svg(width, height, body, title, lang)
