"""The layers are folders, and imports flow one way: core <- io <- adapters.

- ``xlcrm/core/`` imports only the standard library, numpy, pandas, scipy,
  other core modules and the message catalogue (``xlcrm.locale``, standard
  library only);
- the io packages (``xlsx``, ``report``, ``mail``, ``files``, ``jobs``, the
  message catalogue) never import an adapter (``cli``, ``excel``);
- nothing imports the CLI.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import xlcrm

PACKAGE = Path(xlcrm.__file__).parent
FORBIDDEN_IN_CORE = (
    "xlwings",
    "openpyxl",
    "jinja2",
    "weasyprint",
    "click",
    "rich",
    "python_calamine",
    "duckdb",
    "ibis",
    "pyspark",
    "babel",
)
CORE_THIRD_PARTY = {"numpy", "pandas", "scipy"}
ADAPTERS = {"xlcrm.cli", "xlcrm.cli_engine", "xlcrm.excel", "xlcrm.__main__"}


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    """Absolute module names imported by a file (``from xlcrm import x`` -> ``xlcrm.x``)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                base = _module_name(path).split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module])
            else:
                module = node.module
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def _layer(name: str) -> str:
    if name.startswith(("xlcrm.core.", "xlcrm.locale")) or name == "xlcrm.core":
        return "core"
    if any(name == a or name.startswith(a + ".") for a in ADAPTERS):
        return "adapter"
    return "io"


def test_importing_the_core_loads_no_io_or_adapter_library():
    modules = [_module_name(p) for p in _modules(PACKAGE / "core")]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import xlcrm.core.playbook as p; p.load()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_IN_CORE]
    assert bad == []


def test_core_modules_import_only_core_modules_stdlib_numpy_pandas_and_scipy():
    allowed_top = set(sys.stdlib_module_names) | CORE_THIRD_PARTY
    problems = []
    for path in _modules(PACKAGE / "core"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "xlcrm":
                if not name.startswith(("xlcrm.core.", "xlcrm.locale")):
                    problems.append(f"{path.name}: {name}")
            elif top not in allowed_top:
                problems.append(f"{path.name}: {name}")
    assert problems == []


def test_io_modules_never_import_an_adapter():
    problems = []
    for path in _modules(PACKAGE):
        if _layer(_module_name(path)) != "io":
            continue
        for name in _imports(path):
            if name.startswith("xlcrm") and _layer(name) == "adapter":
                problems.append(f"{_module_name(path)}: {name}")
    assert problems == []


def test_only_the_entry_point_imports_the_cli():
    problems = [
        f"{_module_name(path)}"
        for path in _modules(PACKAGE)
        if path.name != "__main__.py"
        and any(n == "xlcrm.cli" or n.startswith("xlcrm.cli.") for n in _imports(path))
    ]
    assert problems == []


def test_layers_are_folders():
    top = {p.name for p in PACKAGE.iterdir() if not p.name.startswith("__")}
    assert {"core", "xlsx", "report", "mail", "excel"} <= top


def test_core_never_reads_the_clock():
    for path in _modules(PACKAGE / "core"):
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now", "date.today", "Timestamp.now", "Timestamp.today", "time.time"):
            assert call not in text, f"{path.name} calls {call}"
