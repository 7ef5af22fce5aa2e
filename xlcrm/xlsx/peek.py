"""What python-calamine does not say about a sheet, read from the package's XML.

Only looked at when needed, with byte searches instead of an XML parse of
the whole sheet: cells holding Excel errors and formulas without a saved
result (calamine returns both empty), an Excel Table's total rows, the
zero-padding number format of id cells, and how far a sheet's cells reach
(a stray cell at XFD1048576 makes calamine allocate the whole used range,
which it cannot survive).
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Final, TypeVar
from xml.etree import ElementTree

from xlcrm.core.cells import CURRENCY_CODES
from xlcrm.xlsx.package import sheet_parts

T = TypeVar("T")
_CELL_REF: Final = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_VALUE: Final = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_NS_MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def col_index(letters: bytes | str) -> int:
    """0-based column index of column letters (A -> 0, XFD -> 16383)."""
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + (ch - 64)
    return n - 1


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The part of one sheet, or None."""
    return sheet_parts(archive).get(sheet_name) or None


def _sheet_xml(path: Path, sheet_name: str) -> bytes:
    """The XML of one sheet (empty when it cannot be found or read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            return b"" if part is None else archive.read(part)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return b""


def uncached_formulas(path: Path, sheet_name: str) -> set[tuple[int, int]]:
    """(Excel row, 0-based column) of formula cells that hold no saved result.

    A program that writes formulas without calculating them (openpyxl, many
    report generators) leaves ``<v>`` out or empty; Excel fills it on save.
    """
    data = _sheet_xml(path, sheet_name)
    start, end = data.find(b"<sheetData"), data.rfind(b"</sheetData>")
    found: set[tuple[int, int]] = set()
    if start < 0:
        return found
    for match in _FORMULA_CELL.finditer(data, start, end if end > 0 else len(data)):
        body = match.group(3)
        if b"<f" in body and not _CACHED.search(body):
            found.add((int(match.group(2)), col_index(match.group(1))))
    return found


_FORMULA_CELL: Final = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?>(.*?)</c>', re.S)
_CACHED: Final = re.compile(rb"<v>[^<]+</v>")


def error_cells(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """(Excel row, 0-based column) -> error text for every ``t="e"`` cell of a sheet."""
    data = _sheet_xml(path, sheet_name)
    found: dict[tuple[int, int], str] = {}
    pos = data.find(b't="e"')
    while pos != -1:
        start = data.rfind(b"<", 0, pos)
        end = data.find(b">", pos)
        ref = _CELL_REF.search(data, start, end)
        if ref and end != -1:
            text = "#ERROR"
            if data[end - 1 : end] != b"/":
                close = data.find(b"</", end)
                close_c = data.find(b"c>", close)
                value = _CELL_VALUE.search(data, end, close_c + 2 if close_c != -1 else len(data))
                if value:
                    text = value.group(1).decode("utf-8", "replace")
            found[(int(ref.group(2)), col_index(ref.group(1)))] = text
        pos = data.find(b't="e"', pos + 5)
    return found


# python-calamine holds a sheet's used range as a dense grid (~32 bytes a cell);
# beyond this many cells the range is checked against the cells really there.
MAX_CELLS: Final = 20_000_000
# Columns beyond a run of this many empty columns, and rows beyond a run of
# this many empty rows, are far outside the table: stray cells.
_COLUMN_GAP: Final = 64
_ROW_GAP: Final = 10_000
_DIMENSION: Final = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ANY_CELL: Final = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(/>|>.*?</c>)', re.S)


def _area(match: re.Match[bytes]) -> int:
    c0, r0 = col_index(match.group(1)), int(match.group(2))
    if match.group(3) is None:
        return 1
    c1, r1 = col_index(match.group(3)), int(match.group(4))
    return (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)


@functools.lru_cache(maxsize=32)
def _fits(path: Path, sheet_name: str, stamp: tuple[int, int]) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            if part is None:
                return True
            with archive.open(part) as fh:
                head = fh.read(4096)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return True  # calamine will say what is wrong with the file
    found = _DIMENSION.search(head)
    if found is not None and found.group(3) is not None and _area(found) <= MAX_CELLS:
        return True  # Excel, openpyxl, xlsxwriter and LibreOffice write it
    data = _sheet_xml(path, sheet_name)
    rows = [int(m) for m in _ROW_NUMBERS.findall(data[:65536])]
    last = data.rfind(b'<row r="')
    if last >= 0:
        rows.append(int(_ROW_NUMBERS.match(data, last).group(1)))  # type: ignore[union-attr]
    columns = {col_index(c) for c in _COLUMN_LETTERS.findall(data[:65536])}
    if not rows or not columns:
        return _cells_extent(data)[0] <= MAX_CELLS
    widest = max(columns)
    # one scan: any cell right of the widest column of the first rows?
    beyond = re.compile(rb'<c r="(?:[A-Z]{2,}|[' + chr(min(widest + 66, 90)).encode() + rb"-Z])\d")
    if widest < 25 and beyond.search(data) is None:
        return (max(rows) - min(rows) + 1) * (widest - min(columns) + 1) <= MAX_CELLS
    return _cells_extent(data)[0] <= MAX_CELLS


def fits(path: Path, sheet_name: str) -> bool:
    """True when the sheet's cells span a range small enough to read at once.

    Usually only the start of the sheet's XML is read (its ``<dimension>``).
    A sheet without one (openpyxl's write-only mode) is checked with a few
    byte searches; a sheet that reaches far is measured cell by cell.
    """
    stat = path.stat()
    return _fits(path, sheet_name, (stat.st_mtime_ns, stat.st_size))


_ROW_NUMBERS: Final = re.compile(rb'<row r="(\d+)"')
_COLUMN_LETTERS: Final = re.compile(rb'<c r="([A-Z]+)\d')


def _cells_extent(data: bytes) -> tuple[int, list[int], list[int]]:
    """(area of the cells holding something, their rows, their columns)."""
    rows: list[int] = []
    cols: list[int] = []
    for match in _ANY_CELL.finditer(data):
        if match.group(3) != b"/>":
            rows.append(int(match.group(2)))
            cols.append(col_index(match.group(1)))
    if not rows:
        return 0, rows, cols
    return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1), rows, cols


def _bound(values: list[int], gap: int) -> int:
    """The last value before the first run of more than ``gap`` unused values."""
    ordered = sorted(set(values))
    for before, after in itertools.pairwise(ordered):
        if after - before > gap:
            return before
    return ordered[-1]


def bounded_package(path: Path, sheet_name: str) -> tuple[bytes, list[tuple[int, str, str]]]:
    """A copy of the package whose sheet keeps only the cells of its table.

    Cells beyond a run of empty columns or rows (:data:`_COLUMN_GAP`,
    :data:`_ROW_GAP`) are dropped; they are returned as (row, column letters,
    value as stored) so that they can be listed.
    """
    import io

    _, rows, cols = _cells_extent(_sheet_xml(path, sheet_name))
    last_row = _bound(rows, _ROW_GAP) if rows else 0
    last_col = _bound(cols, _COLUMN_GAP) if cols else 0
    dropped: list[tuple[int, str, str]] = []

    def keep(match: re.Match[bytes]) -> bytes:
        row, col = int(match.group(2)), col_index(match.group(1))
        if row <= last_row and col <= last_col:
            return match.group(0)
        if match.group(3) != b"/>":
            value = _CELL_TEXT.search(match.group(3))
            text = value.group(1).decode("utf-8", "replace") if value else ""
            dropped.append((row, match.group(1).decode(), text))
        return b""

    out = io.BytesIO()
    with zipfile.ZipFile(path) as archive:
        part = sheet_part(archive, sheet_name)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for info in archive.infolist():
                data = archive.read(info.filename)
                if info.filename == part:
                    data = _ANY_CELL.sub(keep, data)
                    data = re.sub(rb"<dimension [^>]*/>", b"", data, count=1)
                copy.writestr(info.filename, data)
    return out.getvalue(), dropped


_CELL_TEXT: Final = re.compile(rb"<(?:v|t)(?: [^>]*)?>([^<]*)</(?:v|t)>")


_NUM_FMT: Final = re.compile(rb'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"')
# A number format that pads with zeros, maybe with fixed text around: 000000, "C"0000
_PADDING: Final = re.compile(r'(?:"([^"]*)"|\\(.))?(0+)(?:"([^"]*)"|\\(.))?')


def _formats_by_row(
    path: Path, sheet_name: str, column: int, classify: Callable[[str], T | None]
) -> dict[int, T]:
    """Excel row -> ``classify(format code)`` for the cells of ``column`` (0-based)
    whose number format ``classify`` recognises. Only the styles part is read
    unless one of its formats is recognised."""
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    known: dict[int, T] = {}
    for fmt_id, code in _NUM_FMT.findall(styles):
        kind = classify(html.unescape(code.decode("utf-8", "replace")))
        if kind is not None:
            known[int(fmt_id)] = kind
    if not known:
        return {}
    xfs_at = styles.find(b"<cellXfs")
    xfs = styles[xfs_at : styles.find(b"</cellXfs>", xfs_at)] if xfs_at >= 0 else b""
    styled: dict[bytes, T] = {}
    for index, xf in enumerate(re.findall(rb"<xf\b[^>]*>", xfs)):
        fmt = re.search(rb'numFmtId="(\d+)"', xf)
        if fmt and int(fmt.group(1)) in known:
            styled[str(index).encode()] = known[int(fmt.group(1))]
    if not styled:
        return {}
    letters = _letters(column).encode()
    cell = re.compile(rb'<c r="' + letters + rb'(\d+)"[^>]*?\bs="(\d+)"')
    data = _sheet_xml(path, sheet_name)
    return {int(row): styled[style] for row, style in cell.findall(data) if style in styled}


def _padding(code: str) -> tuple[str, int, str] | None:
    found = _PADDING.fullmatch(code)
    if found is None or len(found.group(3)) < 2:
        return None
    prefix = found.group(1) or found.group(2) or ""
    suffix = found.group(4) or found.group(5) or ""
    return prefix, len(found.group(3)), suffix


def padded_ids(path: Path, sheet_name: str, column: int) -> dict[int, tuple[str, int, str]]:
    """Excel row -> (prefix, width, suffix) for the number cells of ``column`` (0-based)
    whose number format pads with zeros (123 shown as 000123)."""
    return _formats_by_row(path, sheet_name, column, _padding)


# [$€-407], [$HK$-C04], [$USD] or a sign in quotes or after a backslash: "¥"#,##0, \$#,##0
_BRACKET_CURRENCY: Final = re.compile(r"\[\$([^\]-]+)(?:-[0-9A-Fa-f]+)?\]")
_SIGN: Final = re.compile(r'"([^"]*)"|\\(.)|([¥￥$€£])')


def _currency(code: str) -> str | None:
    found = _BRACKET_CURRENCY.search(code)
    texts = [found.group(1)] if found else []
    texts += [a or b or c for a, b, c in _SIGN.findall(code.split(";")[0])]
    for text in texts:
        key = unicodedata.normalize("NFKC", text).strip().casefold()
        if key in CURRENCY_CODES:
            return CURRENCY_CODES[key]
    return None


def currency_formats(path: Path, sheet_name: str, column: int) -> dict[int, str]:
    """Excel row -> currency code for the number cells of ``column`` (0-based) whose
    number format shows a currency (¥1,234 / [$€-407]1.234). Empty unless the
    workbook's formats name two currencies or more: one currency is nothing to warn of."""
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    named = {
        _currency(html.unescape(code.decode("utf-8", "replace")))
        for _, code in _NUM_FMT.findall(styles)
    }
    if len(named - {None}) < 2:
        return {}
    return _formats_by_row(path, sheet_name, column, _currency)


def _letters(column: int) -> str:
    out = ""
    n = column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _part_rels(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(type, target part) of the relationships of ``part``."""
    folder, _, name = part.rpartition("/")
    try:
        root = ElementTree.fromstring(archive.read(f"{folder}/_rels/{name}.rels"))
    except KeyError:
        return []
    out = []
    for node in root:
        target = node.get("Target", "")
        full = (
            target.lstrip("/")
            if target.startswith("/")
            else str(PurePosixPath(folder, target)).replace("/worksheets/../", "/")
        )
        out.append((node.get("Type", ""), _normpath(full)))
    return out


def _normpath(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def table_total_rows(path: Path, sheet_name: str) -> set[int]:
    """Excel rows that are the total row of an Excel Table (Table Design > Total Row)."""
    rows: set[int] = set()
    try:
        with zipfile.ZipFile(path) as archive:
            if not any(n.startswith("xl/tables/") for n in archive.namelist()):
                return rows
            part = sheet_part(archive, sheet_name)
            if part is None:
                return rows
            for kind, target in _part_rels(archive, part):
                if not kind.endswith("/table"):
                    continue
                table = ElementTree.fromstring(archive.read(target))
                count = int(table.get("totalsRowCount", "0") or 0)
                ref = table.get("ref", "")
                last = re.search(r"(\d+)$", ref)
                if count and last:
                    end = int(last.group(1))
                    rows.update(range(end - count + 1, end + 1))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return rows
    return rows


__all__ = [
    "MAX_CELLS",
    "bounded_package",
    "col_index",
    "currency_formats",
    "error_cells",
    "fits",
    "padded_ids",
    "sheet_part",
    "sheet_parts",
    "table_total_rows",
    "uncached_formulas",
]
