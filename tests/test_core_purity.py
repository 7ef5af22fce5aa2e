"""The core imports only the standard library, numpy and pandas."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import xlcrm

CORE = ("schema", "settings", "errors", "rfm", "lifecycle", "followup", "pareto", "analysis")
CORE_PACKAGES = ("playbook",)
FORBIDDEN = ("xlwings", "openpyxl", "jinja2", "weasyprint", "click", "rich", "python_calamine")
PACKAGE = Path(xlcrm.__file__).parent


def test_importing_the_core_loads_no_io_or_adapter_library():
    modules = [f"xlcrm.{name}" for name in (*CORE, *CORE_PACKAGES)]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import xlcrm.playbook as p; p.load()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert bad == []


def _core_files() -> list[Path]:
    files = [PACKAGE / f"{name}.py" for name in CORE]
    for package in CORE_PACKAGES:
        files += sorted((PACKAGE / package).rglob("*.py"))
    return files


def test_core_modules_import_only_core_modules_stdlib_numpy_and_pandas():
    allowed_xlcrm = {f"xlcrm.{name}" for name in (*CORE, *CORE_PACKAGES)} | {"xlcrm"}
    allowed_top = set(sys.stdlib_module_names) | {"numpy", "pandas", "xlcrm"}
    problems = []
    for path in _core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
                if node.module == "xlcrm":
                    names = [f"xlcrm.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                module = ".".join(name.split(".")[:2])
                if top not in allowed_top or (top == "xlcrm" and module not in allowed_xlcrm):
                    problems.append(f"{path.name}: {name}")
    assert problems == []


def test_core_never_reads_the_clock():
    for path in _core_files():
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now", "date.today", "Timestamp.now", "Timestamp.today", "time.time"):
            assert call not in text, f"{path.name} calls {call}"
