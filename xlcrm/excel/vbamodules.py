"""The VBA modules that go into the add-in, as source text.

* From xlwings' template add-in (``quickstart_addin_ribbon.xlam``, BSD
  licence), read with oletools: the ``xlwings`` module (``RunPython``, the
  UDF bridge, the config lookup), its ``Dictionary`` class (used on Mac), and
  the document modules of the workbook and its config sheet. The template's
  ``PROJECT_NAME`` constant ("myaddin") names the config sheet and the
  per-user config file; it becomes "xlcrm". Its example callback module
  ``RibbonMyAddin`` is left out.
* ``XlcrmRibbon``: the ribbon callbacks (:func:`xlcrm.excel.ribbon.vba_module`).
* ``xlwings_udfs``: the worksheet-function wrappers, written by xlwings' own
  ``xlwings.udfs.generate_vba_wrapper``, the code behind its *Import
  Functions* button. That code imports pywin32 at module level, so it runs in
  a fresh interpreter with pywin32's modules stubbed (only its pure-Python
  generator is used) and xlwings' pass-through decorators swapped for the
  real ones before :mod:`xlcrm.excel.udfs` is imported.

Building needs oletools (a development dependency); installing does not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Final

from xlcrm.core.errors import OutputError
from xlcrm.excel import ribbon
from xlcrm.excel.vbaproject import Module

PROJECT_NAME: Final = "xlcrm"
TEMPLATE_PROJECT_NAME: Final = "myaddin"
UDF_MODULE: Final = "xlcrm.excel.udfs"
UDF_VBA_MODULE: Final = "xlwings_udfs"  # the name xlwings' Import Functions uses
ADDIN_NAME: Final = "xlcrm.xlam"
#: Template modules kept, in project order; ``RibbonMyAddin`` is xlwings' example.
TEMPLATE_MODULES: Final = ("ThisWorkbook", "Sheet2", "Dictionary", "xlwings")
PROJECT_NAME_LINE: Final = 'Public Const PROJECT_NAME As String = "{}"'
VERSION_RE: Final = re.compile(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', re.M)


def template_path() -> Path:
    """xlwings' ribbon add-in template, shipped in the installed xlwings package."""
    import xlwings

    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


def read_project(path: Path) -> tuple[str, list[Module]]:
    """Project name and modules (name, kind, source) of a workbook's VBA project.

    Read with oletools; the kinds come from the ``PROJECT`` stream's
    ``Module=``, ``Class=`` and ``Document=`` lines.
    """
    try:
        from oletools.olevba import VBA_Parser
    except ImportError:  # pragma: no cover - dev dependency
        raise OutputError(
            "building the add-in needs oletools", hint="pip install 'xlcrm[dev]'"
        ) from None
    parser = VBA_Parser(str(path))
    try:
        sources = {name.rsplit(".", 1)[0]: code for _f, _s, name, code in parser.extract_macros()}
        project_text = _project_stream(parser)
    finally:
        parser.close()
    kinds: dict[str, Any] = {}
    name = ""
    for line in project_text.splitlines():
        key, _, value = line.partition("=")
        if key == "Name":
            name = value.strip('"')
        elif key in ("Module", "Class", "Document"):
            module = value.split("/", 1)[0]
            kinds[module] = {"Module": "module", "Class": "class", "Document": "document"}[key]
    return name, [Module(m, kinds.get(m, "module"), sources[m]) for m in kinds if m in sources]


def _project_stream(parser: Any) -> str:
    """The text of the ``PROJECT`` stream of the (first) VBA project in the file."""
    for ole_parser in [parser, *getattr(parser, "ole_subfiles", [])]:
        ole = getattr(ole_parser, "ole_file", None)
        if ole is not None and ole.exists("PROJECT"):
            return str(ole.openstream("PROJECT").read().decode("cp1252"))
    raise OutputError("the add-in template has no VBA project")


def template_modules(template: Path | None = None) -> list[Module]:
    """The template's modules xlcrm keeps, renamed from "myaddin" to "xlcrm"."""
    template = template or template_path()
    if not template.is_file():
        raise OutputError(f"xlwings' add-in template is missing: {template}")
    _name, modules = read_project(template)
    found = {m.name: m for m in modules}
    missing = [m for m in TEMPLATE_MODULES if m not in found]
    if missing:
        raise OutputError(f"unexpected add-in template {template}: no module {', '.join(missing)}")
    kept = [found[m] for m in TEMPLATE_MODULES]
    old = PROJECT_NAME_LINE.format(TEMPLATE_PROJECT_NAME)
    xlwings = found["xlwings"]
    if xlwings.source.count(old) != 1:
        raise OutputError(f"unexpected add-in template {template}: no line {old!r}")
    new = PROJECT_NAME_LINE.format(PROJECT_NAME)
    renamed = Module(xlwings.name, xlwings.kind, xlwings.source.replace(old, new))
    return [renamed if m.name == "xlwings" else m for m in kept]


def xlwings_version(modules: list[Module]) -> str:
    """The ``XLWINGS_VERSION`` constant of the project's ``xlwings`` module."""
    for m in modules:
        match = VERSION_RE.search(m.source)
        if match:
            return match.group(1)
    raise OutputError("the VBA project has no XLWINGS_VERSION constant")


# --- worksheet-function wrappers ---------------------------------------------------

_WRAPPER_SCRIPT: Final = textwrap.dedent(
    """
    import io, json, sys, types

    # pywin32's COM modules, which xlwings.udfs imports at the top. Only its
    # pure-Python VBA generator runs here, so empty stand-ins are enough.
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *args, **kwargs: None
    win32com = types.ModuleType("win32com")
    win32com.client = client
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes,
                        "win32com": win32com, "win32com.client": client})

    import xlwings
    import xlwings.udfs as xu

    # On Linux xlwings.func/arg/ret only pass functions through; the real ones
    # attach the metadata (__xlfunc__) the generator reads.
    xlwings.func, xlwings.arg, xlwings.ret = xu.xlfunc, xu.xlarg, xu.xlret
    module_name, book_name = sys.argv[1], sys.argv[2]
    module = __import__(module_name, fromlist=["_"])
    book = types.SimpleNamespace(Name=book_name, FullName=book_name)
    buffer = io.StringIO()
    xu.generate_vba_wrapper(module_name, module, buffer, book)
    meta = {}
    for name in getattr(module, "__all__", []):
        info = getattr(module, name).__xlfunc__
        meta[name] = {
            "category": info["category"],
            "volatile": info["volatile"],
            "doc": info["ret"]["doc"],
            "ret": info["ret"]["options"],
            "args": [{"name": a["name"], "options": a["options"], "doc": a["doc"],
                      "optional": "optional" in a} for a in info["args"]],
        }
    json.dump({"vba": buffer.getvalue(), "meta": meta}, sys.stdout, default=repr)
    """
)


def udf_wrappers(module_name: str = UDF_MODULE) -> dict[str, Any]:
    """xlwings' VBA wrappers of ``module_name`` (key "vba") and its UDF metadata ("meta").

    Runs in a fresh interpreter that imports this checkout's xlcrm.
    """
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER_SCRIPT, module_name, ADDIN_NAME],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise OutputError(f"xlwings could not write the worksheet-function wrappers: {last}")
    return dict(json.loads(proc.stdout))


def udf_module(vba: str) -> Module:
    """The wrappers as the module xlwings' Import Functions would add."""
    header = [
        f'Attribute VB_Name = "{UDF_VBA_MODULE}"',
        "' Generated by `xlcrm addin build` with xlwings.udfs.generate_vba_wrapper"
        f" from {UDF_MODULE} - do not edit.",
        '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel',
    ]
    return Module(UDF_VBA_MODULE, "module", "\r\n".join(header) + "\r\n" + vba)


def addin_modules(template: Path | None = None) -> list[Module]:
    """Every module of the add-in's VBA project, in project order."""
    return [
        *template_modules(template),
        Module(ribbon.VBA_MODULE_NAME, "module", ribbon.vba_module()),
        udf_module(udf_wrappers()["vba"]),
    ]
