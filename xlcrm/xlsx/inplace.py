"""In-place safety: can xlcrm add its sheets to the user's workbook without loss?

openpyxl does not carry every part of a package over. :func:`check_in_place`
refuses before anything is loaded or written when the workbook holds a part
it would drop, or when Excel has it open.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Final

from xlcrm.core.errors import OutputError
from xlcrm.locale import N_, t
from xlcrm.xlsx.columns import OWN_SHEET_NAMES, TABLE_PREFIX
from xlcrm.xlsx.package import (
    lock_file,
    locked_error,
    part_contains,
    part_rels,
    rels_name,
    sheet_parts,
    table_name,
)

# Package parts openpyxl does not carry over (or only partly): their presence
# makes --in-place refuse before anything is loaded or written.
_UNSAFE_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("xl/charts/", N_("charts")),
    ("xl/chartsheets/", N_("chart sheets")),
    ("xl/drawings/", N_("drawings (charts, images or shapes)")),
    ("xl/media/", N_("images")),
    ("xl/pivotTables/", N_("pivot tables")),
    ("xl/pivotCache/", N_("pivot tables")),
    ("xl/slicers/", N_("slicers")),
    ("xl/slicerCaches/", N_("slicers")),
    ("xl/timelines/", N_("timelines")),
    ("xl/timelineCaches/", N_("timelines")),
    ("xl/ctrlProps/", N_("form controls")),
    ("xl/activeX/", N_("ActiveX controls")),
    ("xl/embeddings/", N_("embedded objects")),
    ("xl/queryTables/", N_("query tables")),
    ("xl/connections.xml", N_("data connections")),
    ("xl/model/", N_("a data model")),
    ("xl/threadedComments/", N_("threaded comments")),
    ("customUI/", N_("a custom ribbon")),
)
_MACROS: Final = N_("macros")
_EXTENSION_MARK: Final = b"<extLst"
_EXTENSIONS: Final = N_("Excel extensions (sparklines, newer conditional formats or validations)")


def unsafe_parts(path: str | os.PathLike[str], *, lang: str = "en") -> list[str]:
    """What in the workbook at ``path`` openpyxl would drop on saving (empty = safe).

    Reads only the zip directory and the package's XML parts, never loads the
    workbook. Parts of xlcrm's own sheets (the dashboard charts of an earlier
    run) do not count: those sheets are replaced. VBA counts as unsafe in a
    .xlsx-named file only: a .xlsm is loaded with ``keep_vba``.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise OutputError(
            N_("not an Excel workbook (.xlsx/.xlsm)"), file=str(path), hint=N_("save it as .xlsx")
        ) from None
    found: list[str] = []
    with archive:
        names = archive.namelist()
        own = _own_parts(archive) if "xl/workbook.xml" in names else set()
        for name in names:
            if name in own:
                continue
            if _is_comment_vml(name):
                continue  # legacy comment boxes: openpyxl rewrites them
            for prefix, what in _UNSAFE_PARTS:
                if name.startswith(prefix) and what not in found:
                    found.append(what)
            if (
                name.endswith("vbaProject.bin")
                and path.suffix.lower() != ".xlsm"
                and _MACROS not in found
            ):
                found.append(_MACROS)
        for name in names:
            sheet_part = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if sheet_part and name not in own and part_contains(archive, name, _EXTENSION_MARK):
                found.append(_EXTENSIONS)
                break
    return [t(what, lang) for what in found]


def _is_comment_vml(name: str) -> bool:
    return name.startswith("xl/drawings/") and (name.endswith(".vml") or name.endswith(".vml.rels"))


def _own_parts(archive: zipfile.ZipFile) -> set[str]:
    """Parts that belong to sheets xlcrm wrote (named like ours, holding an xlcrm_ table)."""
    own: set[str] = set()
    for name, part in sheet_parts(archive).items():
        if name not in OWN_SHEET_NAMES or not part:
            continue
        rels = part_rels(archive, part)
        tables = [t for kind, t in rels if kind == "table"]
        if not any(table_name(archive, t).startswith(TABLE_PREFIX) for t in tables):
            continue
        own.update((part, rels_name(part)))
        todo = [t for _, t in rels]
        while todo:
            item = todo.pop()
            if item in own:
                continue
            own.update((item, rels_name(item)))
            todo.extend(t for _, t in part_rels(archive, item))
    return own


def check_in_place(path: str | os.PathLike[str], *, lang: str = "en") -> None:
    """Raise :class:`OutputError` unless xlcrm can add sheets to ``path`` without loss.

    Also refuses a workbook open in Excel (its ``~$`` lock file exists): Excel
    would later save its own copy over ours.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise OutputError(
            N_("--in-place works on .xlsx and .xlsm workbooks only"),
            file=str(path),
            hint=N_("write to a new file with -o"),
        )
    if lock_file(path).exists():
        raise locked_error(path)
    found = unsafe_parts(path, lang=lang)
    # openpyxl also flattens rich text (runs of differently formatted text in a
    # cell) and drops dynamic-array metadata, turning =SORT(UNIQUE(...)) into a
    # legacy array formula
    words = {
        "rich": t("rich text (differently formatted words in a cell)", lang),
        "meta": t("dynamic array formulas (xl/metadata.xml)", lang),
    }
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/metadata.xml" in names:
            found.append(words["meta"])
        rich = "xl/sharedStrings.xml" in names and bool(
            re.search(rb"<(?:\w+:)?r>", archive.read("xl/sharedStrings.xml"))
        )
        rich = rich or any(  # rich text written inline in a sheet
            re.search(rb"<is>\s*<r>", archive.read(name))
            for name in names
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
        if rich:
            found.append(words["rich"])
    if found:
        raise OutputError(
            N_("--in-place would lose {what}; the file was left unchanged"),
            file=str(path),
            hint=N_("run without --in-place to write the results to a new file"),
            args={"what": t(", ", lang).join(found)},
        )
