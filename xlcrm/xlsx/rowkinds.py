"""What a row under a header is when it is not data: a total, a note, a merged line.

Registers exported from ERP and shop systems, and ledgers kept by hand,
mix such rows into the data: 合计/小计/汇总/Total rows (also an Excel
Table's total row), footers like "共 3 个客户" or "制表：张三", and cells
merged down over the product lines of one order. Each rule here looks at
whole columns at once; only text cells are tested, and only when a column
has any.
"""

from __future__ import annotations

import re
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.xlsx.grid import Sheet

# Labels of total rows: the whole cell, or the cell starting with the word
# and then a separator ("合计：", "小计(3笔)"). English words only as the
# whole cell, so that a customer called "Total Wine" stays a customer.
_TOTAL: Final = re.compile(
    r"(?:(?:总|本页|本月|本年|本期|本日|全部)?(?:合计|小计|总计|汇总|累计)"
    r"|总额|总金额|合计金额)(?:[\s:：(（,，].*)?"
    r"|(?i:(?:grand\s*|sub\s*-?\s*)?totals?|sum|subtotal)\s*[:：]?\s*[-\d.,]*"
)
# Notes under a table: "共 3 个客户", "3 customers", "备注：…", "制表人：…".
_NOTE: Final = re.compile(
    r"(?:共计?|总共|合共)\s*[\d,]+\s*(?:个|条|笔|位|家|行|单|张|名|项).*"
    r"|(?:备注|注|说明|制表|制表人|制单|制单人|审核|审核人|打印|打印时间|导出时间|数据来源"
    r"|来源|单位)\s*[:：].*"
    r"|(?i:[\d,]+\s+(?:customers?|orders?|rows?|records?|clients?|entries)\b.*"
    r"|(?:notes?|source|printed|exported|prepared\s+by)\s*:.*)"
)
TOTAL_ROW: Final = "total_row"
NOTE_ROW: Final = "note_row"


#: Words one of which every total or note label holds (lower case); a column
#: holding none of them (the usual case) is not searched cell by cell.
TRIGGERS: Final = (
    "合计", "小计", "总计", "汇总", "累计", "总额", "总金额", "共", "备注", "注", "说明",
    "制表", "制单", "审核", "打印", "导出", "来源", "单位", "total", "sum", "customer",
    "order", "row", "record", "client", "entries", "note", "source", "printed",
    "exported", "prepared",
)  # fmt: skip


def footer_rows(
    probes: dict[str, tuple[np.ndarray, np.ndarray | None]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kind, column found, label) per row; kind is TOTAL_ROW, NOTE_ROW or None.

    ``probes`` maps a column name to its raw cells and, for typed columns
    (dates, amounts), the mask of cells that did not read as such (only
    those can be labels); None tests every text cell. Include the table's
    first column, where a total row's label usually sits.
    """
    n = len(next(iter(probes.values()))[0]) if probes else 0
    kind = np.full(n, None, dtype=object)
    where = np.full(n, None, dtype=object)
    label = np.full(n, None, dtype=object)
    for column, (values, candidates) in probes.items():
        if candidates is not None:
            idx = np.flatnonzero(candidates)
            if not idx.size:
                continue
            subset = values[idx]
        else:
            idx, subset = None, values
        text = _text_cells(subset)
        if text is None:
            continue
        for code, pattern in ((TOTAL_ROW, _TOTAL), (NOTE_ROW, _NOTE)):
            hit = text.str.fullmatch(pattern, na=False).to_numpy()
            at = np.flatnonzero(hit) if idx is None else idx[hit]
            at = at[pd.isna(kind[at])]
            if at.size:
                kind[at] = code
                where[at] = column
                label[at] = values[at]
    return kind, where, label


def _text_cells(values: np.ndarray) -> pd.Series | None:
    """The stripped text of the text cells (NaN elsewhere), or None when no cell
    is text or no text holds a word a label could hold."""
    try:
        joined = "\x00".join(values.tolist())
        is_text = None
    except TypeError:
        is_text = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
        if not is_text.any():
            return None
        joined = "\x00".join(values[is_text].tolist())
    if not _may_hold_label(joined):
        return None
    if is_text is None:
        return pd.Series(values, dtype=object).str.strip()
    text = values.copy()
    text[~is_text] = None
    return pd.Series(text, dtype=object).str.strip()


# English count words of a note ("3 customers"); they follow white space (see _NOTE)
_COUNT_WORDS: Final = ("customer", "order", "row", "record", "client", "entries")
_ASCII_SPACE: Final = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _may_hold_label(joined: str) -> bool:
    """False when no cell of ``joined`` (NUL-separated) can be a total or note label."""
    if joined.isascii():  # O(1); an ASCII label is an English one
        folded = joined.lower()
        if "total" in folded or "sum" in folded or ":" in joined:
            return True
        if not any(ch in joined for ch in _ASCII_SPACE):
            return False
        return any(word in folded for word in _COUNT_WORDS)
    folded = joined.casefold()
    return any(word in folded for word in TRIGGERS)


def fill_merged_down(sheet: Sheet, start: int, skip_cols: set[int]) -> dict[int, np.ndarray]:
    """Fill cells merged down over several rows (below the header) with their value.

    An order number, customer and date merged over the product lines of
    one order belong to each line. Columns in ``skip_cols`` (the amount) are
    not filled: their merged value is one amount for the whole group.
    Returns, for each skipped column, a mask of the rows (positions in
    ``sheet.rows``) that continue a merged cell of that column.
    """
    continued: dict[int, np.ndarray] = {}
    rows = sheet.rows
    for (r0, c0), (r1, _c1) in sheet.merged:
        first = r0 - (sheet.first_row - 1)
        last = r1 - (sheet.first_row - 1)
        col = c0 - sheet.first_col
        if last <= first or first < start or col < 0:
            continue
        last = min(last, len(rows) - 1)
        if col in skip_cols:
            mask = continued.setdefault(col, np.zeros(len(rows), dtype=bool))
            mask[first + 1 : last + 1] = True
            continue
        if first >= len(rows) or col >= len(rows[first]):
            continue
        value: Any = rows[first][col]
        for r in range(first + 1, last + 1):
            row = rows[r]
            if col < len(row) and (row[col] is None or row[col] == ""):
                row[col] = value
    return continued


def fill_order_lines(
    raw: dict[str, np.ndarray], parsed: dict[str, Any], columns: tuple[str, ...]
) -> list[str]:
    """Lines of one order whose customer or date is empty take them from the order's
    line above (an ERP register writes them on the first line only).

    Only rows with the same order number as the row above are filled, and only
    empty cells. ``raw`` is changed in place; returns the columns filled.
    """
    order = parsed["order_id"].values
    ids = order.to_numpy(dtype=object)
    same = np.zeros(len(ids), dtype=bool)
    # numpy compares the str objects in C, about 4x faster than a pandas str comparison
    same[1:] = np.asarray(ids[1:] == ids[:-1], dtype=bool)
    same &= order.notna().to_numpy()
    if not same.any():
        return []
    filled = []
    for column in columns:
        if column not in raw:
            continue
        gaps = parsed[column].blank & same
        if not gaps.any():
            continue
        # the first line of each run of equal order numbers carries the values
        starts = np.flatnonzero(~same)
        run = np.searchsorted(starts, np.arange(len(same)), side="right") - 1
        values = raw[column].copy()
        values[gaps] = values[starts[run[gaps]]]
        raw[column] = values
        filled.append(column)
    return filled


__all__ = [
    "NOTE_ROW",
    "TOTAL_ROW",
    "TRIGGERS",
    "fill_merged_down",
    "fill_order_lines",
    "footer_rows",
]
