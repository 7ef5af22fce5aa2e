"""What python-calamine does not say about a sheet, read from the package's XML.

Only looked at when needed, with byte searches instead of an XML parse of
the whole sheet: the cells holding Excel errors (calamine returns them
empty).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Final
from xml.etree import ElementTree

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


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package (``xl/worksheets/sheet1.xml``)."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rids = {
        node.get("name", ""): node.get(f"{_NS_REL}id") for node in book.iter(f"{_NS_MAIN}sheet")
    }
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for node in rels:
        target = node.get("Target", "")
        targets[node.get("Id")] = (
            target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        )
    return {name: targets[rid] for name, rid in rids.items() if rid in targets}


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The part of one sheet, or None."""
    return sheet_parts(archive).get(sheet_name)


def error_cells(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """(Excel row, 0-based column) -> error text for every ``t="e"`` cell of a sheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            if part is None:
                return {}
            data = archive.read(part)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
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


__all__ = ["col_index", "error_cells", "sheet_part", "sheet_parts"]
