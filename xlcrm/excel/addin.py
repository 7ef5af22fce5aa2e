"""Build and install the xlcrm Excel add-in (``workbook/xlcrm.xlam``).

Building works on any OS and only uses :mod:`zipfile`:

* the package starts from xlwings' ``quickstart_addin_ribbon.xlam`` (BSD
  licence), whose compiled VBA project holds xlwings' ``RunPython``;
* its config sheet is rewritten to ``myaddin.conf`` with
  ``UDF Modules = xlcrm.excel.udfs`` (the template's compiled VBA reads its
  settings from a sheet named after its ``PROJECT_NAME``, "myaddin");
* the ribbon ``customUI/customUI14.xml`` and its package relationship are
  written last, replacing the template's ribbon. (Any tool that re-saves the
  package, openpyxl included, drops that relationship.)
* the ribbon callbacks are written as VBA source, ``xlcrm_ribbon.bas``.

VBA source cannot be compiled into ``xl/vbaProject.bin`` without Excel, so
:func:`install_addin` finishes the job on Windows or macOS with Excel: it
imports the callbacks through Excel's object model (as xlwings' own Import
Functions does), imports the worksheet functions, and copies the add-in to
Excel's start-up folder. On Linux it explains and stops.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from xlcrm.core.errors import OutputError
from xlcrm.excel import ribbon

UDF_MODULES: Final = "xlcrm.excel.udfs"
CONF_SHEET: Final = "myaddin.conf"
TEMPLATE_CONF_SHEET: Final = "_myaddin.conf"
ADDIN_NAME: Final = "xlcrm.xlam"
BAS_NAME: Final = "xlcrm_ribbon.bas"
CUSTOMUI_PART: Final = "customUI/customUI14.xml"
OLD_CUSTOMUI_PART: Final = "customUI/customUI.xml"
UI_REL_TYPE: Final = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
UI_REL_TYPE_2006: Final = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
CONF_SHEET_PART: Final = "xl/worksheets/sheet1.xml"
# A fixed timestamp makes the build reproducible: same inputs, same bytes.
ZIP_DATE: Final = (2024, 1, 1, 0, 0, 0)

#: Settings written into the add-in's config sheet (key, value), keys as
#: xlwings' VBA reads them. Only keys with a value: an empty cell would hide
#: the user's own xlwings config file.
CONF_ROWS: Final[tuple[tuple[str, str], ...]] = (("UDF Modules", UDF_MODULES),)


def template_path() -> Path:
    """xlwings' ribbon add-in template, shipped in the xlwings package."""
    import xlwings

    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


def default_workbook_dir() -> Path:
    """``workbook/`` of a source checkout, else the current directory."""
    checkout = Path(__file__).resolve().parents[2] / "workbook"
    return checkout if checkout.is_dir() else Path.cwd()


@dataclass(frozen=True)
class BuildResult:
    addin: Path
    bas: Path


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
        '<sheetPr codeName="Sheet2" /><dimension ref="A1:B{n}" />'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0" /></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15.75" />'
        '<cols><col min="1" max="1" width="18" style="1" customWidth="1" />'
        '<col min="2" max="2" width="24" style="1" customWidth="1" /></cols>'
        "<sheetData>{rows}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3" />'
        "</worksheet>"
    ).format(n=len(rows), rows="".join(cells))


def _package_rels(old: str) -> str:
    """``_rels/.rels`` without the template's ribbon, plus ours."""
    import xml.etree.ElementTree as ET

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


def _write(zout: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    zout.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)


def build_addin(out_dir: Path | None = None, template: Path | None = None) -> BuildResult:
    """Write ``xlcrm.xlam`` and ``xlcrm_ribbon.bas`` into ``out_dir``.

    The add-in is complete except for the ribbon callbacks, which are in the
    ``.bas`` file until :func:`install_addin` imports them with Excel.
    """
    out_dir = out_dir or default_workbook_dir()
    template = template or template_path()
    if not template.is_file():
        raise OutputError(f"xlwings' add-in template is missing: {template}")
    out_dir.mkdir(parents=True, exist_ok=True)
    addin = out_dir / ADDIN_NAME
    bas = out_dir / BAS_NAME

    with zipfile.ZipFile(template) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    workbook_xml = parts["xl/workbook.xml"].decode("utf-8")
    if f'name="{TEMPLATE_CONF_SHEET}"' not in workbook_xml:
        raise OutputError(f"unexpected add-in template (no sheet {TEMPLATE_CONF_SHEET!r})")
    parts["xl/workbook.xml"] = workbook_xml.replace(
        f'name="{TEMPLATE_CONF_SHEET}"', f'name="{CONF_SHEET}"'
    ).encode("utf-8")
    parts[CONF_SHEET_PART] = _conf_sheet_xml(CONF_ROWS).encode("utf-8")
    parts.pop(OLD_CUSTOMUI_PART, None)
    # The ribbon goes in last: the relationship and part are written after
    # every other edit, so nothing can drop them again.
    rels = _package_rels(parts.pop("_rels/.rels").decode("utf-8"))
    ribbon_xml = ribbon.customui_xml()

    with tempfile.NamedTemporaryFile(dir=out_dir, suffix=".xlam.tmp", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        with zipfile.ZipFile(tmp_path, "w") as zout:
            # [Content_Types].xml first, as Office writes it.
            _write(zout, "[Content_Types].xml", parts.pop("[Content_Types].xml"))
            for name, data in parts.items():
                _write(zout, name, data)
            _write(zout, "_rels/.rels", rels)
            _write(zout, CUSTOMUI_PART, ribbon_xml)
        tmp_path.chmod(0o644)  # mkstemp makes it private; it is a file to share
        tmp_path.replace(addin)
    finally:
        tmp_path.unlink(missing_ok=True)
    bas.write_bytes(ribbon.vba_module().encode("ascii"))
    return BuildResult(addin, bas)


# --- install (needs Excel) ---------------------------------------------------------

LINUX_MESSAGE: Final = {
    "en": """\
xlcrm addin install needs Microsoft Excel (Windows or macOS); there is none here.
What it cannot do on this system:
  - import the ribbon callbacks ({bas_name}) into the add-in's VBA project:
    only Excel compiles VBA, and only with "Trust access to the VBA project object model";
  - import the worksheet functions (=RFM_CLASS() ...), which xlwings writes as a
    VBA module through the same object model;
  - copy the add-in into Excel's start-up folder (XLSTART) and load it.
What works here: `xlcrm addin build` writes {addin} and {bas_name}.
On a Windows PC with Excel run: pip install xlcrm; xlwings addin install; xlcrm addin install.
In Excel on the web or on a Mac without Windows, use workbook/lite/ (xlwings Lite).""",
    "zh": """\
xlcrm addin install 需要 Microsoft Excel（Windows 或 macOS），本机没有 Excel。
在本系统上无法完成：
  - 把功能区回调（{bas_name}）导入加载项的 VBA 工程：只有 Excel 能编译 VBA，
    且需勾选“信任对 VBA 工程对象模型的访问”；
  - 导入工作表函数（=RFM_CLASS() 等），xlwings 也是通过同一对象模型写入 VBA 模块；
  - 把加载项复制到 Excel 启动文件夹（XLSTART）并加载。
本机可以做的：`xlcrm addin build` 会写出 {addin} 和 {bas_name}。
在装有 Excel 的 Windows 电脑上运行：pip install xlcrm；xlwings addin install；xlcrm addin install。
网页版 Excel 或没有 Windows 的 Mac 请使用 workbook/lite/（xlwings Lite）。""",
}


class InstallUnsupported(Exception):
    """Raised by :func:`install_addin` where Excel cannot be driven."""


def install_addin(work_dir: Path | None = None, *, lang: str = "en") -> list[str]:
    """Finish and install the add-in with the local Excel; returns what was done.

    Windows: copy a fresh build to Excel's start-up folder, import the ribbon
    callbacks and the worksheet functions into it through Excel's object
    model, point it at this Python, save it. macOS: copy it and enable
    RunPython; the callbacks must be imported once in the VBA editor, since
    Excel for Mac does not offer the VBA object model to scripts. Elsewhere
    raise :class:`InstallUnsupported` with an explanation.
    """
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        where = default_workbook_dir()
        raise InstallUnsupported(
            LINUX_MESSAGE[lang].format(addin=where / ADDIN_NAME, bas_name=BAS_NAME)
        )
    built = build_addin(work_dir or Path(tempfile.mkdtemp(prefix="xlcrm-addin-")))
    if sys.platform.startswith("win"):
        return _install_windows(built)
    return _install_mac(built)


def _startup_dir(app: Any) -> Path:
    return Path(app.startup_path)


def _install_windows(built: BuildResult) -> list[str]:  # pragma: no cover - needs Excel
    import pywintypes
    import xlwings as xw
    from xlwings import udfs  # imports pythoncom: Windows only

    done: list[str] = []
    app: Any = xw.apps.active if xw.apps else xw.App(visible=False)
    target = _startup_dir(app) / ADDIN_NAME
    for open_app in xw.apps:
        for book in list(open_app.books):
            if book.name.lower() == ADDIN_NAME:
                book.close()
    shutil.copyfile(built.addin, target)
    done.append(f"copied the add-in to {target}")
    book = app.books.open(str(target))
    try:
        project = book.api.VBProject
        components = project.VBComponents
    except pywintypes.com_error as exc:
        raise OutputError(
            "Excel refused access to the add-in's VBA project",
            hint="File > Options > Trust Center > Trust Center Settings > Macro Settings: "
            "tick 'Trust access to the VBA project object model', then run again",
        ) from exc
    with contextlib.suppress(pywintypes.com_error):  # absent on first install
        components.Remove(components(ribbon.VBA_MODULE_NAME))
    components.Import(str(built.bas))
    done.append(f"imported the ribbon callbacks ({built.bas.name})")
    conf = book.sheets[CONF_SHEET]
    pythonw = Path(sys.executable).with_name("pythonw.exe")
    interpreter = pythonw if pythonw.exists() else Path(sys.executable)
    row = len(CONF_ROWS) + 1
    conf.range(f"A{row}").value = ["Interpreter_Win", str(interpreter)]
    done.append(f"set the add-in's Python to {interpreter}")
    udfs.import_udfs(UDF_MODULES, book.api)
    done.append(f"imported the worksheet functions from {UDF_MODULES}")
    book.save()
    done.append("saved the add-in; restart Excel if the xlcrm tab does not appear")
    return done


def _install_mac(built: BuildResult) -> list[str]:  # pragma: no cover - needs Excel
    import xlwings as xw
    from xlwings.cli import runpython_install

    done: list[str] = []
    app: Any = xw.apps.active if xw.apps else xw.App(visible=False)
    target = _startup_dir(app) / ADDIN_NAME
    shutil.copyfile(built.addin, target)
    done.append(f"copied the add-in to {target}")
    # Not next to the add-in: Excel opens every file in its start-up folder.
    bas = Path.home() / BAS_NAME
    shutil.copyfile(built.bas, bas)
    runpython_install(None)
    done.append("enabled RunPython (AppleScript file for Excel's sandbox)")
    done.append(
        "still to do once by hand: Excel > Tools > Macro > Visual Basic Editor, select "
        f"the xlcrm add-in's project, File > Import File… {bas}, save; Excel for Mac "
        "does not let scripts edit VBA projects. Worksheet functions: not on Mac "
        "(xlwings UDFs are Windows-only; use workbook/lite/ with xlwings Lite)"
    )
    return done
