"""Native Excel charts of the Dashboard in the brief's look (openpyxl).

Horizontal bars in the class and tier colours with their values written at
the bar ends (a bar of eight customers beside one of five hundred still
shows its number), value axes in short units (``$16M``, ``1,600万``), one
named font for every text, light grid lines, no legend. Every axis sets
``delete = 0``: without it some Excel builds hide the axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from xlcrm.palette import GRID, INK, MUTED, rgb

#: Chart text sizes, in hundredths of a point.
TITLE_SIZE = 1200
LABEL_SIZE = 900


@cache
def _labels_class() -> Any:
    """Data labels whose number format is their own (``sourceLinked="0"``).

    openpyxl writes the labels' format without ``sourceLinked``, which
    LibreOffice reads as "use the cells' format".
    """
    from openpyxl.chart.data_source import NumFmt
    from openpyxl.chart.label import DataLabelList
    from openpyxl.descriptors import Typed

    # openpyxl's metaclass serialises only the descriptors a class names itself
    names = (
        "dLbl", "delete", "spPr", "txPr", "dLblPos", "showLegendKey", "showVal",
        "showCatName", "showSerName", "showPercent", "showBubbleSize", "showLeaderLines",
        "separator", "extLst",
    )  # fmt: skip
    namespace = {name: DataLabelList.__dict__[name] for name in names}
    namespace["numFmt"] = Typed(expected_type=NumFmt, allow_none=True)
    namespace["__elements__"] = DataLabelList.__elements__
    return type("Labels", (DataLabelList,), namespace)


def _labels(number_format: str, **kw: Any) -> Any:
    from openpyxl.chart.data_source import NumFmt

    return _labels_class()(numFmt=NumFmt(formatCode=number_format, sourceLinked=False), **kw)


def _chars(font: str, size: int, colour: str, *, bold: bool = False) -> Any:
    from openpyxl.drawing.text import CharacterProperties, Font

    return CharacterProperties(
        latin=Font(typeface=font),
        ea=Font(typeface=font),
        cs=Font(typeface=font),
        sz=size,
        b=bold,
        solidFill=rgb(colour),
    )


def text_properties(font: str, size: int = LABEL_SIZE, colour: str = MUTED) -> Any:
    """A ``txPr`` for axis and data labels: ``font`` at ``size``."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import Paragraph, ParagraphProperties

    props = _chars(font, size, colour)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), r=[], endParaRPr=props)])


def chart_title(text: str, font: str) -> Any:
    """A bold chart title in ``font``, kept above the plot (no overlay)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import Paragraph, ParagraphProperties, RegularTextRun

    props = _chars(font, TITLE_SIZE, INK, bold=True)
    run = RegularTextRun(rPr=_chars(font, TITLE_SIZE, INK, bold=True), t=text)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _style_axis(axis: Any, font: str, number_format: str | None = None) -> None:
    from openpyxl.chart.axis import ChartLines
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    axis.delete = False
    axis.txPr = text_properties(font)
    axis.majorTickMark = "none"
    axis.minorTickMark = "none"
    axis.spPr = GraphicalProperties(ln=LineProperties(solidFill=rgb(GRID)))
    if number_format is not None:
        axis.number_format = number_format
        axis.numFmt.sourceLinked = False
        axis.majorGridlines = ChartLines(
            spPr=GraphicalProperties(ln=LineProperties(solidFill=rgb(GRID)))
        )
    else:
        axis.majorGridlines = None


def bar_chart(
    labels: Any,
    values: Any,
    *,
    title: str,
    colours: Sequence[str],
    number_format: str,
    font: str,
    label_format: str | None = None,
) -> Any:
    """Horizontal bars, first category on top, one colour per bar, values at the bar ends.

    ``labels`` and ``values`` are openpyxl ``Reference`` objects (values
    without a header cell). ``number_format`` is the value axis's,
    ``label_format`` the bar labels' (default: the axis's).
    """
    label_format = label_format or number_format
    from openpyxl.chart import BarChart, Series
    from openpyxl.chart.marker import DataPoint
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.gapWidth = 45
    chart.legend = None
    chart.title = chart_title(title, font)
    chart.roundedCorners = False
    series = Series(values, title=title)
    series.graphicalProperties = GraphicalProperties(solidFill=rgb(colours[0]) if colours else None)
    for i, colour in enumerate(colours):
        point = DataPoint(idx=i, invertIfNegative=False)
        point.graphicalProperties = GraphicalProperties(
            solidFill=rgb(colour), ln=LineProperties(solidFill=rgb(colour))
        )
        series.dPt.append(point)
    series.dLbls = _labels(
        label_format,
        dLblPos="outEnd",
        showVal=True,
        showLegendKey=False,
        showCatName=False,
        showSerName=False,
        showPercent=False,
        showBubbleSize=False,
        txPr=text_properties(font, colour=INK),
    )
    chart.series.append(series)
    chart.set_categories(labels)
    _style_axis(chart.x_axis, font)  # categories
    chart.x_axis.scaling.orientation = "maxMin"  # first class on top, as in the table
    _style_axis(chart.y_axis, font, number_format)
    chart.y_axis.crosses = "max"  # with categories reversed: values along the bottom
    chart.y_axis.scaling.min = 0
    return chart


def pareto_chart(
    xs: Any,
    ys: Any,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colour: str,
    font: str,
) -> Any:
    """The cumulative share of revenue against the share of customers, both 0-100 %."""
    from openpyxl.chart import ScatterChart, Series
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    chart = ScatterChart()
    chart.title = chart_title(title, font)
    chart.style = 13
    chart.legend = None
    chart.scatterStyle = "line"
    series = Series(ys, xs, title=title)
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties = GraphicalProperties(
        ln=LineProperties(solidFill=rgb(colour), w=28575)  # 2.25 pt
    )
    chart.series.append(series)
    for axis, name in ((chart.x_axis, x_title), (chart.y_axis, y_title)):
        _style_axis(axis, font, "0%")
        axis.title = chart_title(name, font)
        for paragraph in axis.title.tx.rich.p:  # axis titles: smaller, not bold
            for run in paragraph.r:
                run.rPr = _chars(font, LABEL_SIZE, MUTED)
            paragraph.pPr.defRPr = _chars(font, LABEL_SIZE, MUTED)
        axis.scaling.min, axis.scaling.max = 0, 1
        axis.majorUnit = 0.2
    chart.x_axis.majorGridlines = None
    return chart


def anchor_chart(ws: Any, chart: Any, first: tuple[int, int], last: tuple[int, int]) -> None:
    """Put ``chart`` on ``ws`` over the cells from ``first`` to ``last`` ((row, column), 1-based).

    Anchored to both corners, the chart keeps to its rows whatever height a
    spreadsheet program gives them, so it never straddles a page break.
    """
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor

    chart.anchor = TwoCellAnchor(
        editAs="oneCell",
        _from=AnchorMarker(col=first[1] - 1, row=first[0] - 1),
        to=AnchorMarker(col=last[1], row=last[0]),
    )
    ws.add_chart(chart)
