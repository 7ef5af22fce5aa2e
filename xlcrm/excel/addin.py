"""Build the xlcrm Excel add-in, ``workbook/xlcrm.xlam``, on any OS.

The add-in is complete when it is opened; nothing is imported into it later:

* the package (sheets, styles, theme) starts from xlwings' template
  ``quickstart_addin_ribbon.xlam`` (BSD licence);
* its config sheet ``xlcrm.conf`` says ``UDF Modules = xlcrm.excel.udfs``
  (xlwings reads the sheet named after its ``PROJECT_NAME`` constant);
* ``xl/vbaProject.bin`` is written from source (:mod:`xlcrm.excel.vbaproject`)
  with the modules of :func:`xlcrm.excel.vbamodules.addin_modules`: xlwings'
  own VBA, the ribbon callbacks and the worksheet-function wrappers;
* the ribbon ``customUI/customUI14.xml`` and its package relationship are
  written last (any tool that re-saves the package, openpyxl included, drops
  that relationship). The committed add-in's ribbon is English;
  :func:`with_ribbon_language` gives the same add-in with Chinese labels.

The zip entries carry a fixed date, so the same inputs give the same bytes:
a test compares the committed add-in with a fresh build.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from xlcrm import files
from xlcrm.core.errors import OutputError
from xlcrm.excel import ribbon, vbamodules, vbaproject
from xlcrm.locale import N_

ADDIN_NAME: Final = vbamodules.ADDIN_NAME
PROJECT_NAME: Final = vbamodules.PROJECT_NAME
UDF_MODULES: Final = vbamodules.UDF_MODULE
CONF_SHEET: Final = f"{PROJECT_NAME}.conf"
TEMPLATE_CONF_SHEET: Final = "_myaddin.conf"
CUSTOMUI_PART: Final = "customUI/customUI14.xml"
OLD_CUSTOMUI_PART: Final = "customUI/customUI.xml"
VBA_PART: Final = "xl/vbaProject.bin"
UI_REL_TYPE: Final = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
UI_REL_TYPE_2006: Final = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
CONF_SHEET_PART: Final = "xl/worksheets/sheet1.xml"
#: The document module of the config sheet keeps the template's code name.
CONF_SHEET_CODE_NAME: Final = "Sheet2"
# A fixed timestamp makes the build reproducible: same inputs, same bytes.
ZIP_DATE: Final = (2024, 1, 1, 0, 0, 0)

#: Settings written into the add-in's config sheet (key, value), keys as
#: xlwings' VBA reads them. Only fixed ones: a value here hides the user's
#: own config file (the interpreter path belongs there).
CONF_ROWS: Final[tuple[tuple[str, str], ...]] = (("UDF Modules", UDF_MODULES),)


def default_workbook_dir() -> Path:
    """``workbook/`` of a source checkout, else the current directory."""
    checkout = Path(__file__).resolve().parents[2] / "workbook"
    return checkout if checkout.is_dir() else Path.cwd()


def shipped_addin() -> Path:
    """The built add-in: inside the installed package, else the checkout's ``workbook/``."""
    packaged = Path(__file__).with_name(ADDIN_NAME)
    return packaged if packaged.is_file() else default_workbook_dir() / ADDIN_NAME


def _conf_sheet_xml(rows: tuple[tuple[str, str], ...]) -> str:
    cells = []
    for i, (key, value) in enumerate(rows, start=1):
        row = f'<c r="A{i}" s="1" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        if value:
            row += f'<c r="B{i}" s="1" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        cells.append(f'<row r="{i}">{row}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetPr codeName="{CONF_SHEET_CODE_NAME}" /><dimension ref="A1:B{len(rows)}" />'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0" /></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15.75" />'
        '<cols><col min="1" max="1" width="18" style="1" customWidth="1" />'
        '<col min="2" max="2" width="24" style="1" customWidth="1" /></cols>'
        f"<sheetData>{''.join(cells)}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3" />'
        "</worksheet>"
    )


def _package_rels(old: str) -> str:
    """``_rels/.rels`` without the template's ribbon, plus ours."""
    ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    ET.register_namespace("", ns)
    root = ET.fromstring(old)
    for rel in list(root):
        if rel.get("Type") in (UI_REL_TYPE, UI_REL_TYPE_2006):
            root.remove(rel)
    ids = {rel.get("Id") for rel in root}
    n = 1
    while f"rId{n}" in ids:
        n += 1
    ET.SubElement(
        root,
        f"{{{ns}}}Relationship",
        {"Id": f"rId{n}", "Type": UI_REL_TYPE, "Target": CUSTOMUI_PART},
    )
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + ET.tostring(
        root, encoding="unicode"
    )


def _zip(parts: dict[str, bytes]) -> bytes:
    """A zip of ``parts`` in this order, with fixed dates (reproducible)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zout:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    return buffer.getvalue()


def addin_bytes(template: Path | None = None, lang: str = "en") -> bytes:
    """The add-in package, built from xlwings' template and xlcrm's sources."""
    template = template or vbamodules.template_path()
    if not template.is_file():
        raise OutputError(
            N_("xlwings' add-in template is missing"),
            file=str(template),
            hint=N_("reinstall xlwings"),
        )
    with zipfile.ZipFile(template) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    workbook_xml = parts["xl/workbook.xml"].decode("utf-8")
    if f'name="{TEMPLATE_CONF_SHEET}"' not in workbook_xml:
        raise OutputError(
            N_("unexpected add-in template (no sheet {sheet!r})"),
            file=str(template),
            hint=N_("reinstall xlwings"),
            args={"sheet": TEMPLATE_CONF_SHEET},
        )
    workbook_xml = workbook_xml.replace(f'name="{TEMPLATE_CONF_SHEET}"', f'name="{CONF_SHEET}"')
    # The template records the folder it was saved in on its author's PC.
    workbook_xml = re.sub(r"<mc:AlternateContent .*?</mc:AlternateContent>", "", workbook_xml)
    parts["xl/workbook.xml"] = workbook_xml.encode("utf-8")
    parts[CONF_SHEET_PART] = _conf_sheet_xml(CONF_ROWS).encode("utf-8")
    parts[VBA_PART] = vbaproject.build(PROJECT_NAME, vbamodules.addin_modules(template))
    parts.pop(OLD_CUSTOMUI_PART, None)
    rels = _package_rels(parts.pop("_rels/.rels").decode("utf-8"))
    # [Content_Types].xml first, as Office writes it; the ribbon last.
    ordered = {"[Content_Types].xml": parts.pop("[Content_Types].xml"), **parts}
    ordered["_rels/.rels"] = rels.encode("utf-8")
    ordered[CUSTOMUI_PART] = ribbon.customui_xml(lang).encode("utf-8")
    return _zip(ordered)


def with_ribbon_language(addin: bytes, lang: str) -> bytes:
    """The same add-in with the ribbon's labels in ``lang`` (nothing else changes)."""
    with zipfile.ZipFile(io.BytesIO(addin)) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    if CUSTOMUI_PART not in parts:
        raise OutputError(N_("not an xlcrm add-in (no ribbon)"))
    parts[CUSTOMUI_PART] = ribbon.customui_xml(lang).encode("utf-8")
    return _zip(parts)


def build_addin(out_dir: Path | None = None, template: Path | None = None) -> Path:
    """Write ``xlcrm.xlam`` (English ribbon) into ``out_dir``; return its path."""
    out_dir = out_dir or default_workbook_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    write_file(target, addin_bytes(template))
    return target


def write_file(target: Path, data: bytes) -> None:
    """Replace ``target`` atomically; a refusal is one clear error naming the file."""
    try:
        files.write_bytes(target, data)
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write ({reason})"),
            file=str(target),
            hint=N_("quit Excel and run the command again"),
            args={"reason": exc.reason},
        ) from None
