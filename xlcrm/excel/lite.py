"""Write the xlwings Lite bundle: ``main.py`` and ``requirements.txt``.

xlwings Lite keeps a workbook's Python in two texts, ``main.py`` and
``requirements.txt``; its packages come from Pyodide or as pure-Python wheels
from PyPI. xlcrm itself is not on PyPI and pulls WeasyPrint (no Pango in
Pyodide), so the bundle carries the xlcrm modules the worksheet functions and
scripts need *inside* ``main.py``:

* the modules are found by following every ``import xlcrm...`` of
  :mod:`xlcrm.excel.lite_main` (also those inside functions), leaving out the
  PDF brief and e-mail (:data:`LEFT_OUT`), which Lite cannot run;
* each module's text is embedded; on start ``main.py`` writes them to a
  temporary folder and puts it first on ``sys.path`` (Pyodide has an
  in-memory file system), so ``import xlcrm.rfm`` and package data
  (the playbook) work as usual;
* their third-party imports must all be packages Pyodide provides
  (:data:`PYODIDE_PACKAGES`) or xlwings: the build stops otherwise, and
  ``requirements.txt`` lists exactly the ones used.

The result is regenerated into ``workbook/lite/``; a test runs it in an
interpreter that has only those packages.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from xlcrm.core.errors import OutputError

PACKAGE_ROOT: Final = Path(__file__).resolve().parents[1]  # .../xlcrm
ENTRY: Final = "xlcrm.excel.lite_main"
#: Not in Lite: the PDF brief needs WeasyPrint (Pango), e-mail needs sockets.
LEFT_OUT: Final = frozenset({"xlcrm.report", "xlcrm.mail", "xlcrm.charts"})
#: import name -> requirement; Pyodide builds these, so they are not pinned.
PYODIDE_PACKAGES: Final = {
    "numpy": "numpy",
    "pandas": "pandas",
    "openpyxl": "openpyxl",
    "python_calamine": "python-calamine",
    "scipy": "scipy",
}
#: Package data the modules read: the playbook (TOML), compiled message catalogues.
DATA_SUFFIXES: Final = (".toml", ".mo")


@dataclass(frozen=True)
class Bundle:
    files: dict[str, str | bytes]  # path in the bundle ("xlcrm/core/rfm.py") -> content
    main: str
    requirements: str


def _module_path(name: str) -> Path | None:
    base = PACKAGE_ROOT.parent.joinpath(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _imports(name: str, path: Path) -> set[str]:
    """Every module named by an import statement in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def collect(entry: str = ENTRY) -> tuple[dict[str, Path], dict[str, set[str]]]:
    """The xlcrm modules ``entry`` needs (with their packages) and their third-party imports."""
    modules: dict[str, Path] = {}
    third: dict[str, set[str]] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in modules or any(name == m or name.startswith(m + ".") for m in LEFT_OUT):
            continue
        path = _module_path(name)
        if path is None:
            continue  # "from xlcrm.x import function": the module is listed too
        modules[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for imported in _imports(name, path):
            top = imported.split(".")[0]
            if top == "xlcrm":
                todo.append(imported)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                third.setdefault(top, set()).add(name)
    return modules, third


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE_ROOT.parent).as_posix()


def _package_data(folder: Path) -> dict[str, str | bytes]:
    """Data files of a package (not of its subpackages): TOML as text, catalogues as bytes."""
    found: dict[str, str | bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix not in DATA_SUFFIXES or not path.is_file():
            continue
        if _in_subpackage(folder, path):
            continue  # bundled with its own package, if that is needed
        found[_relative(path)] = (
            path.read_bytes() if path.suffix == ".mo" else path.read_text(encoding="utf-8")
        )
    return found


def _in_subpackage(folder: Path, path: Path) -> bool:
    here = path.parent
    while here != folder:
        if (here / "__init__.py").is_file():
            return True
        here = here.parent
    return False


def _embedded(content: str | bytes) -> str:
    """Content as a Python expression, one literal per line (text) or per 48 bytes."""
    if isinstance(content, bytes):
        pieces = [content[i : i + 48] for i in range(0, len(content), 48)]
        body = "".join(f"        {piece!r},\n" for piece in pieces)
        return f'b"".join(\n    [\n{body}    ]\n)'
    body = "".join(f"        {line!r},\n" for line in content.split("\n"))
    return f'"\\n".join(\n    [\n{body}    ]\n)'


_LOADER: Final = '''
def _unpack_xlcrm(files):
    """Write the bundled xlcrm modules to a folder and import them from there."""
    import hashlib, os, sys, tempfile

    digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:12]
    root = os.path.join(tempfile.gettempdir(), "xlcrm-lite-" + digest)
    for name, content in files.items():
        path = os.path.join(root, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
    # A changed bundle replaces modules loaded from an earlier one.
    for name in [m for m in sys.modules if m == "xlcrm" or m.startswith("xlcrm.")]:
        if not str(getattr(sys.modules[name], "__file__", "")).startswith(root):
            del sys.modules[name]
    if root not in sys.path:
        sys.path.insert(0, root)


_unpack_xlcrm(_XLCRM_FILES)
'''


def build_bundle(xlwings_version: str | None = None) -> Bundle:
    """The Lite bundle from this checkout's (or this installation's) xlcrm."""
    if xlwings_version is None:
        import xlwings

        xlwings_version = str(xlwings.__version__)
    modules, third = collect()
    unknown = {k: v for k, v in third.items() if k not in PYODIDE_PACKAGES and k != "xlwings"}
    if unknown:
        where = "; ".join(f"{pkg} (in {', '.join(sorted(mods))})" for pkg, mods in unknown.items())
        raise OutputError(f"xlwings Lite has no package for: {where}")
    files: dict[str, str | bytes] = {}
    for name, path in sorted(modules.items()):
        if name == ENTRY:
            continue
        files[_relative(path)] = path.read_text(encoding="utf-8")
        if path.name == "__init__.py":
            files.update(_package_data(path.parent))
    entry = modules[ENTRY].read_text(encoding="utf-8")
    tree = ast.parse(entry)
    doc_end = tree.body[0].end_lineno if ast.get_docstring(tree) else 0
    lines = entry.split("\n")
    docstring, code = "\n".join(lines[:doc_end]), "\n".join(lines[doc_end:])
    version = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:12]
    parts = [
        docstring,
        "",
        f"# --- xlcrm's modules, embedded by `xlcrm addin lite` (bundle {version}) ---",
        "# Generated from xlcrm.excel.lite_main and the modules it imports - do not edit.",
        "_XLCRM_FILES = {",
        *(f"    {name!r}: {_embedded(text)}," for name, text in files.items()),
        "}",
        _LOADER,
        "# --- xlcrm.excel.lite_main ---",
        code.lstrip("\n"),
    ]
    requirements = [
        "# xlwings Lite packages for xlcrm (generated by `xlcrm addin lite`).",
        "# Pyodide provides all but xlwings; their versions come with Pyodide, so no pins.",
        f"xlwings=={xlwings_version}",
        *sorted(PYODIDE_PACKAGES[p] for p in third if p in PYODIDE_PACKAGES),
        "",
    ]
    return Bundle(files, "\n".join(parts), "\n".join(requirements))


def write_bundle(out_dir: Path) -> list[Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``out_dir``; return their paths."""
    from xlcrm.excel.addin import write_file

    bundle = build_bundle()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("main.py", bundle.main), ("requirements.txt", bundle.requirements)):
        target = out_dir / name
        write_file(target, text.encode("utf-8"))
        written.append(target)
    return written
