"""The Dashboard sheet laid out as a two-page landscape report, and its hidden chart data.

Page 1: title, key figures, the RFM classes and the lifecycle tiers (tables on
the left, three charts on the right). Page 2: the segments (table, what each
means), the Pareto curve and the customers to return to the pool. The tables
show exact figures (sums without cents); the charts read a hidden sheet
holding the same figures in a short unit (``$16M``, ``1,600万``) and the curve.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

from xlcrm.core.currency import Currency, Scale, money_scale
from xlcrm.locale import t
from xlcrm.palette import ACCENT, INK, MUTED, rgb
from xlcrm.xlsx.charts import anchor_chart, bar_chart, pareto_chart
from xlcrm.xlsx.columns import CHART_DATA_NAMES, NUMBER_FORMATS, col_letter
from xlcrm.xlsx.dashboard import Block, Dashboard
from xlcrm.xlsx.money import money_format
from xlcrm.xlsx.printing import font_name, set_page_setup, text_width

#: Rows of each printed page; page 2 starts at PAGE_ROWS + 1.
PAGE_ROWS: Final = 44
#: The blocks drawn as bar charts.
CHARTED: Final = ("rfm_class", "tier")
#: Customers to return to the pool listed on the printed page (the rest are counted).
POOL_LISTED: Final = 11
#: Columns A-E hold the tables, F is a gutter, G-N the charts.
TABLE_COLUMNS: Final = 5
CHART_FIRST, CHART_LAST = 7, 14
CHART_COLUMN_WIDTH: Final = 9.0


#: Row height (pt) and width of a digit (px) at 11 pt, per workbook language, taken
#: generously: Calibri's (LibreOffice: Carlito); 等线's fallback on computers
#: without it is DejaVu Sans, a third wider.
ROW_PT: Final[dict[str, float]] = {"en": 15.0, "zh": 17.0}
DIGIT_PX: Final[dict[str, float]] = {"en": 7.0, "zh": 9.3}


@dataclass(frozen=True)
class _Fonts:
    """The few cell styles of the Dashboard, all in one family, and its row height."""

    name: str
    row: float = 15.0

    def font(self, **kw: Any) -> Any:
        return _font(self.name, tuple(sorted(kw.items())))


@functools.lru_cache(maxsize=64)
def _font(name: str, kw: tuple[tuple[str, Any], ...]) -> Any:
    """A Dashboard font, made once per look (openpyxl copies it into the workbook)."""
    from openpyxl.styles import Font

    return Font(name=name, **{"size": 11, "color": rgb(INK), **dict(kw)})


def _put(ws: Any, row: int, col: int, value: Any, font: Any, number_format: str = "") -> Any:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text starting with = stays text
    cell.font = font
    if number_format:
        cell.number_format = number_format
    return cell


def _kind_format(kind: str, dash: Dashboard) -> str:
    if kind == "money":
        return money_format(dash.currency, whole=True)  # sums: no cents
    return NUMBER_FORMATS[kind]


def _table(ws: Any, block: Block, row0: int, dash: Dashboard, fonts: _Fonts) -> int:
    """The heading, table and note of ``block`` from ``row0``; returns the next free row."""
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    _put(ws, row0, 1, block.title, fonts.font(size=13, bold=True, color=rgb(ACCENT)))
    head = row0 + 1
    fill = PatternFill("solid", fgColor=rgb(ACCENT))
    headers, kinds = block.headers[:TABLE_COLUMNS], block.kinds[:TABLE_COLUMNS]
    for j, (h, kind) in enumerate(zip(headers, kinds, strict=True), start=1):
        cell = _put(ws, head, j, h, fonts.font(bold=True, color="FFFFFF"))
        cell.fill = fill
        cell.alignment = Alignment(
            horizontal="left" if kind == "text" else "right", vertical="bottom", wrap_text=True
        )
    ws.row_dimensions[head].height = 2 * fonts.row  # headers wrap to two lines
    for i, row in enumerate(block.rows, start=1):
        for j, (value, kind) in enumerate(zip(row[:TABLE_COLUMNS], kinds, strict=True), start=1):
            _put(ws, head + i, j, value, fonts.font(), _kind_format(kind, dash))
    last = head + max(len(block.rows), 1)
    table = Table(
        displayName=block.table,
        ref=f"A{head}:{col_letter(len(headers))}{last}",
        tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=True),
    )
    table.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
    ws.add_table(table)
    nxt = last + 1
    if block.note:
        ws.merge_cells(start_row=nxt, start_column=1, end_row=nxt + 1, end_column=TABLE_COLUMNS)
        cell = _put(ws, nxt, 1, block.note, fonts.font(size=9, italic=True, color=rgb(MUTED)))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        nxt += 2
    return nxt + 1


def _explanations(ws: Any, block: Block, row0: int, col: int, fonts: _Fonts) -> int:
    """A block's text columns past the table (a segment's meaning) as lines
    "label: text" from ``row0`` in column ``col``, small; returns the next free row."""
    extra = [j for j in range(TABLE_COLUMNS, len(block.headers)) if block.kinds[j] == "text"]
    if not extra:
        return row0
    _put(ws, row0, col, block.headers[extra[0]], fonts.font(size=11, bold=True))
    for i, row in enumerate(block.rows, start=1):
        text = " ".join(str(row[j]) for j in extra if row[j])
        _put(ws, row0 + i, col, f"{row[0]}: {text}", fonts.font(size=9, color=rgb(MUTED)))
    return row0 + len(block.rows) + 2


def _pool(ws: Any, block: Block, row0: int, fonts: _Fonts, lang: str) -> None:
    """The customers to return to the pool as a table: name, ID, owner, why (the why
    runs on across the empty cells to the right, so it is never cut)."""
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    _put(ws, row0, 1, block.title, fonts.font(size=13, bold=True, color=rgb(ACCENT)))
    order = (1, 0, 2, 3)  # the block's ID, name, owner, why -> name first
    head = row0 + 1
    fill = PatternFill("solid", fgColor=rgb(ACCENT))
    headers = [block.headers[k] for k in order]
    for j, h in enumerate(headers, start=1):
        cell = _put(ws, head, j, h, fonts.font(bold=True, color="FFFFFF"))
        cell.fill = fill
        cell.alignment = Alignment(vertical="bottom")
    rows = [r for r in block.rows if r[1] or r[2] or r[3]]  # customers, not the "more" line
    listed = rows[:POOL_LISTED]
    for i, row in enumerate(listed, start=1):
        for j, k in enumerate(order, start=1):
            _put(ws, head + i, j, row[k], fonts.font(size=10))
    table = Table(
        displayName=block.table,
        ref=f"A{head}:{col_letter(len(headers))}{head + max(len(listed), 1)}",
        tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=True),
    )
    table.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
    ws.add_table(table)
    total = len(rows) + sum(_more_count(r) for r in block.rows if not (r[1] or r[2] or r[3]))
    if total > POOL_LISTED:
        more = t(
            "… and {n} more: filter Attention on the Follow-ups sheet",
            lang,
            n=total - POOL_LISTED,
        )
        _put(ws, head + POOL_LISTED + 1, 1, more, fonts.font(size=9, italic=True, color=rgb(MUTED)))


def _more_count(row: list[Any]) -> int:
    """The number in the block's closing "… and N more" line."""
    digits = "".join(ch for ch in str(row[0]) if ch.isdigit())
    return int(digits) if digits else 0


def _chart_data(wb: Any, dash: Dashboard, lang: str, index: int | None) -> dict[str, Any]:
    """The hidden sheet the charts read: per block label, count, revenue in a short unit;
    the Pareto curve. Returns openpyxl references by name."""
    from openpyxl.chart import Reference
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = wb.create_sheet(CHART_DATA_NAMES[lang], index)
    ws.sheet_state = "hidden"
    refs: dict[str, Any] = {}
    col = 1
    charted = [b for b in dash.blocks if b.key in CHARTED]
    largest = max((abs(float(r[3])) for b in charted for r in b.rows), default=0.0)
    scale = money_scale(largest, lang)
    for block in charted:
        headers = [block.headers[0], block.headers[1], block.headers[3]]
        for j, h in enumerate(headers):
            ws.cell(row=1, column=col + j, value=h)
        for i, row in enumerate(block.rows, start=2):
            ws.cell(row=i, column=col, value=row[0])
            ws.cell(row=i, column=col + 1, value=row[1])
            ws.cell(row=i, column=col + 2, value=float(row[3]) / scale.divisor)
        n = max(len(block.rows), 1)
        letter = col_letter(col)
        table = Table(
            displayName=f"xlcrm_chart_{block.key}",
            ref=f"{letter}1:{col_letter(col + 2)}{n + 1}",
            tableStyleInfo=TableStyleInfo(name="TableStyleLight1"),
        )
        table.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
        ws.add_table(table)
        refs[block.key] = (
            Reference(ws, min_col=col, min_row=2, max_row=n + 1),
            Reference(ws, min_col=col + 1, min_row=2, max_row=n + 1),
            Reference(ws, min_col=col + 2, min_row=2, max_row=n + 1),
        )
        col += 4
    if dash.curve:
        headers = [t("Share of customers", lang), t("Share of revenue", lang)]
        ws.cell(row=1, column=col, value=headers[0])
        ws.cell(row=1, column=col + 1, value=headers[1])
        for i, (x, y) in enumerate(dash.curve, start=2):
            ws.cell(row=i, column=col, value=x)
            ws.cell(row=i, column=col + 1, value=y)
        last = len(dash.curve) + 1
        table = Table(
            displayName="xlcrm_chart_pareto",
            ref=f"{col_letter(col)}1:{col_letter(col + 1)}{last}",
            tableStyleInfo=TableStyleInfo(name="TableStyleLight1"),
        )
        table.tableColumns = [TableColumn(id=j, name=h) for j, h in enumerate(headers, start=1)]
        ws.add_table(table)
        refs["pareto"] = (
            Reference(ws, min_col=col, min_row=2, max_row=last),
            Reference(ws, min_col=col + 1, min_row=2, max_row=last),
        )
    refs["money_labels"] = money_format(dash.currency, scale=scale)
    axis = Scale(scale.divisor, scale.suffix, 1 if largest / scale.divisor < 10 else 0)
    # the axis without the symbol: short ticks that never crowd; the bars carry it
    refs["money_axis"] = money_format(Currency(), scale=axis)
    return refs


def add_dashboard(
    wb: Any,
    dash: Dashboard,
    name: str,
    lang: str,
    index: int | None,
    *,
    company: str = "",
    as_of_text: str = "",
) -> None:
    """Add the Dashboard sheet ``name`` (and its hidden chart data) to openpyxl ``wb``."""
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    fonts = _Fonts(font_name(lang), ROW_PT.get(lang, ROW_PT["en"]))
    ws = wb.create_sheet(name, index)
    ws.sheet_view.showGridLines = False
    for row in range(1, 3 * PAGE_ROWS + 1):  # fixed heights: the pages hold what they should
        ws.row_dimensions[row].height = fonts.row
    _put(ws, 1, 1, dash.title, fonts.font(size=18, bold=True, color=rgb(ACCENT)))
    ws.row_dimensions[1].height = 1.8 * fonts.row
    _put(ws, 2, 1, dash.subtitle, fonts.font(color=rgb(MUTED)))
    _put(ws, 4, 1, t("Key figures", lang), fonts.font(size=13, bold=True, color=rgb(ACCENT)))
    r = 5
    run_on: set[str] = set()  # cells whose text runs on to the right: no column width
    for label_text, value, kind in dash.figures:
        _put(ws, r, 1, label_text, fonts.font())
        if kind == "text" and value:  # a sentence (why the value model is missing): below
            r += 1
            cell = _put(ws, r, 1, value, fonts.font(size=9, italic=True, color=rgb(MUTED)))
            run_on.add(cell.coordinate)
        elif value is not None and value == value:  # not missing
            cell = _put(ws, r, 2, value, fonts.font(bold=True), _kind_format(kind, dash))
            cell.alignment = Alignment(horizontal="right")
        r += 1
    classes, tiers, segments, pool = (
        dash.block(k) for k in ("rfm_class", "tier", "segment", "pool")
    )
    r += 1
    for block in (classes, tiers):  # page 1, beside three charts
        if block is not None:
            r = _table(ws, block, r, dash, fonts)
    # page 2 starts after page 1's tables: the insights' key figures (deals,
    # feedback) can make page 1 longer, and tables must never overlap
    page2 = max(PAGE_ROWS + 1, r + 1)
    r = page2 + 1
    if segments is not None:  # beside the Pareto chart; what they mean runs full width below
        r = _table(ws, segments, r, dash, fonts)
        r = _explanations(ws, segments, max(r, page2 + 17), 1, fonts)
    if pool is not None:
        _pool(ws, pool, r, fonts, lang)
    _widths(ws, dash, run_on)
    refs = _chart_data(wb, dash, lang, None)
    counts = ("#,##0", "#,##0")
    money = (refs["money_axis"], refs["money_labels"])
    third = (PAGE_ROWS - 3) // 3
    charts = (
        ("rfm_class", 1, t("Customers by RFM class", lang), counts, (4, 3 + third)),
        ("rfm_class", 2, t("Revenue by RFM class", lang), money, (4 + third, 3 + 2 * third)),
        ("tier", 1, t("Customers by tier", lang), counts, (4 + 2 * third, PAGE_ROWS)),
    )
    for key, which, title, (axis_format, label_format), (top, bottom) in charts:
        block = dash.block(key)
        if block is None or key not in refs:
            continue
        labels, numbers, revenue = refs[key]
        chart = bar_chart(
            labels,
            numbers if which == 1 else revenue,
            title=title,
            colours=block.colours,
            number_format=axis_format,
            label_format=label_format,
            font=fonts.name,
        )
        anchor_chart(ws, chart, (top, CHART_FIRST), (bottom, CHART_LAST))
    if "pareto" in refs:
        xs, ys = refs["pareto"]
        chart = pareto_chart(
            xs,
            ys,
            title=t("Pareto curve", lang),
            x_title=t("Share of customers", lang),
            y_title=t("Share of revenue", lang),
            colour=ACCENT,
            font=fonts.name,
        )
        anchor_chart(ws, chart, (page2 + 1, CHART_FIRST), (page2 + 16, CHART_LAST))
    set_page_setup(
        ws,
        lang=lang,
        area=f"A1:{col_letter(CHART_LAST)}{max(ws.max_row, page2 + PAGE_ROWS - 1)}",
        title_rows=None,
        left_header=company,
        right_header=as_of_text,
    )
    # Excel and LibreOffice ignore manual page breaks when fitting to pages: a fixed
    # scale that fits Letter and A4 keeps page 2 at its break.
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = _fixed_scale(ws, DIGIT_PX.get(lang, DIGIT_PX["en"]), page2 - 1)
    ws.row_breaks = RowBreak(brk=[Break(id=page2 - 1)])


#: Printable landscape area shared by Letter and A4 with the margins of
#: :func:`~xlcrm.xlsx.printing.set_page_setup`, in points, with 4 % to spare.
PRINTABLE: Final = (0.96 * (11 - 1) * 72, 0.96 * (8.27 - 1.5) * 72)


def _fixed_scale(ws: Any, digit_px: float, rows: int = PAGE_ROWS) -> int:
    """The print scale (%) at which one page of the Dashboard fits the paper."""
    width_px = sum(
        digit_px * (ws.column_dimensions[col_letter(j)].width or 8.43) + 5
        for j in range(1, CHART_LAST + 1)
    )
    height_pt = sum((ws.row_dimensions[r].height or 15) for r in range(1, rows + 1))
    fit = min(PRINTABLE[0] / (width_px * 0.75), PRINTABLE[1] / height_pt)
    return max(10, min(100, int(fit * 100)))


def _widths(ws: Any, dash: Dashboard, run_on: set[str]) -> None:
    """Column widths from the labels and the widest figure of each column (the
    cells in ``run_on`` run on to the right and set no width)."""
    from openpyxl.cell.cell import Cell

    widths = [0.0] * TABLE_COLUMNS
    for row in ws.iter_rows(min_row=4, max_col=TABLE_COLUMNS):
        for j, cell in enumerate(row):
            if not isinstance(cell, Cell) or cell.value is None or cell.coordinate in run_on:
                continue
            if j == 0 and (cell.font.sz or 11) != 11:
                continue  # headings and explanations run on into the empty cells beside them
            if j == 3 and (cell.font.sz or 11) < 11:
                continue  # the pool's "why" runs on to the right
            if cell.alignment.wrap_text:
                continue  # table headers wrap
            if ws.cell(row=cell.row, column=1).value and j == 0 and _is_note(ws, cell):
                continue
            widths[j] = max(widths[j], _shown_width(cell, dash))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[col_letter(j)].width = round(max(width + 2, 9), 1)
    ws.column_dimensions[col_letter(TABLE_COLUMNS + 1)].width = 2
    for j in range(CHART_FIRST, CHART_LAST + 1):
        ws.column_dimensions[col_letter(j)].width = CHART_COLUMN_WIDTH


def _is_note(ws: Any, cell: Any) -> bool:
    return any(cell.coordinate in rng for rng in ws.merged_cells.ranges)


def _shown_width(cell: Any, dash: Dashboard) -> float:
    value = cell.value
    bold = 1.1 if cell.font.b else 1.0
    if isinstance(value, str):
        return text_width(value) * bold
    if isinstance(value, float) and "%" in cell.number_format:
        return len(f"{value:.1%}") * bold
    if isinstance(value, int | float):
        shown = f"{float(value):,.0f}"
        if "#,##0" in cell.number_format and dash.currency.symbol and '"' in cell.number_format:
            shown = dash.currency.attach(shown)
        return text_width(shown) * bold
    return 0.0
