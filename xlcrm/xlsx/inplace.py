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

from xlcrm.xlsx.columns import OWN_SHEET_NAMES, TABLE_PREFIX
from xlcrm.xlsx.package import (
    lock_file,
    output_error,
    part_contains,
    part_rels,
    rels_name,
    sheet_parts,
    table_name,
)

# Package parts openpyxl does not carry over (or only partly): their presence
# makes --in-place refuse before anything is loaded or written.
_UNSAFE_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("xl/charts/", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/drawings/", "drawings (charts, images or shapes)"),
    ("xl/media/", "images"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/pivotCache/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/queryTables/", "query tables"),
    ("xl/connections.xml", "data connections"),
    ("xl/model/", "a data model"),
    ("xl/threadedComments/", "threaded comments"),
    ("customUI/", "a custom ribbon"),
)
_EXTENSION_MARK: Final = b"<extLst"
_EXTENSIONS: Final = "Excel extensions (sparklines, newer conditional formats or validations)"
_PART_WORDS_ZH: Final[dict[str, str]] = {
    "charts": "图表",
    "chart sheets": "图表工作表",
    "drawings (charts, images or shapes)": "绘图（图表、图片或形状）",
    "images": "图片",
    "pivot tables": "数据透视表",
    "slicers": "切片器",
    "timelines": "日程表",
    "form controls": "表单控件",
    "ActiveX controls": "ActiveX 控件",
    "embedded objects": "嵌入对象",
    "query tables": "查询表",
    "data connections": "数据连接",
    "a data model": "数据模型",
    "threaded comments": "批注会话",
    "a custom ribbon": "自定义功能区",
    "macros": "宏",
    _EXTENSIONS: "Excel 扩展功能（迷你图、新版条件格式或数据验证）",
}


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
        raise output_error("not_workbook", lang, path) from None
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
                and "macros" not in found
            ):
                found.append("macros")
        for name in names:
            sheet_part = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if sheet_part and name not in own and part_contains(archive, name, _EXTENSION_MARK):
                found.append(_EXTENSIONS)
                break
    if lang == "zh":
        return [_PART_WORDS_ZH.get(what, what) for what in found]
    return found


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
        raise output_error("suffix", lang, path)
    if lock_file(path).exists():
        raise output_error("locked", lang, path)
    found = unsafe_parts(path, lang=lang)
    # openpyxl also flattens rich text (runs of differently formatted text in a
    # cell) and drops dynamic-array metadata, turning =SORT(UNIQUE(...)) into a
    # legacy array formula
    words = {
        "rich": ("rich text (differently formatted words in a cell)", "单元格中的富文本格式"),
        "meta": ("dynamic array formulas (xl/metadata.xml)", "动态数组公式（xl/metadata.xml）"),
    }
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/metadata.xml" in names:
            found.append(words["meta"][lang == "zh"])
        rich = "xl/sharedStrings.xml" in names and bool(
            re.search(rb"<(?:\w+:)?r>", archive.read("xl/sharedStrings.xml"))
        )
        rich = rich or any(  # rich text written inline in a sheet
            re.search(rb"<is>\s*<r>", archive.read(name))
            for name in names
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
        if rich:
            found.append(words["rich"][lang == "zh"])
    if found:
        raise output_error("lose", lang, path, what=", ".join(found))
