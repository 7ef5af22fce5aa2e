"""The built wheel works on its own: console script, ``xlcrm demo``, package data.

Builds the wheel from this checkout, installs it into a fresh virtual
environment in a temporary folder, and runs it from outside the checkout, so
nothing can come from the source tree: templates (force-included from the
top-level ``templates/`` as ``xlcrm/report/templates``) and the playbook TOML must
load from the installed package.

Dependencies: by default the fresh venv borrows the third-party packages of
the interpreter running the tests (a ``.pth`` line appended *after* the venv's
own site-packages, so ``xlcrm`` itself can only come from the wheel; the
editable install's own ``.pth`` there is not processed). That keeps the test
offline and fast. ``XLCRM_WHEEL_DEPS=install`` instead installs the wheel
with all its declared dependencies from the package index (slow, needs the
index), which also proves the dependency list is complete.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
FULL_INSTALL = os.environ.get("XLCRM_WHEEL_DEPS", "") == "install"
RUNTIME_DEPS = {
    "pandas",
    "numpy",
    "openpyxl",
    "python-calamine",
    "jinja2",
    "weasyprint",
    "xlwings",
    "click",
    "rich",
}


def _run(
    args: list[str | Path], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return result


def _check(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without isolation when the backend is at hand (offline, seconds); else
    # `build` fetches hatchling into an isolated environment.
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    _check(
        _run(
            [sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", out, REPO],
            cwd=out,
        )
    )
    (built,) = out.glob("xlcrm-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    python = root / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    if FULL_INSTALL:
        _check(_run([sys.executable, "-m", "venv", root], cwd=root.parent))
        _check(_run([*pip, "install", "--quiet", wheel], cwd=root.parent))
    else:
        _check(_run([sys.executable, "-m", "venv", "--without-pip", root], cwd=root.parent))
        _check(
            _run([*pip, "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=root.parent)
        )
        site = _check(
            _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root)
        ).stdout.strip()
        borrowed = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
        (Path(site) / "zz_xlcrm_test_deps.pth").write_text("\n".join(borrowed) + "\n")
    return root


def test_wheel_carries_package_templates_and_playbook(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    templates = {
        f"xlcrm/report/templates/{p.relative_to(REPO / 'templates').as_posix()}"
        for p in (REPO / "templates").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert templates, "templates/ is empty"
    assert templates <= names, sorted(templates - names)
    data = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "xlcrm").rglob("*")
        if p.is_file()
        and p.suffix in {".toml", ".py", ".html", ".css", ".json", ".yaml"}
        and "__pycache__" not in p.parts
    }
    assert data <= names, sorted(data - names)
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("xlcrm/excel/xlcrm.xlam")
    assert shipped == (REPO / "workbook" / "xlcrm.xlam").read_bytes()  # the built add-in
    assert not any(n.startswith(("tests/", "benchmarks/", "workbook/")) for n in names)


def test_wheel_metadata_declares_runtime_deps_and_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    required = {
        re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0].lower()
        for r in meta.get_all("Requires-Dist") or []
        if "extra ==" not in r
    }
    assert required >= RUNTIME_DEPS
    assert meta["Requires-Python"] == ">=3.11"
    assert "xlcrm = xlcrm.cli:main" in entry_points


def test_installed_console_script_help(venv: Path, tmp_path: Path) -> None:
    result = _check(_run([venv / "bin" / "xlcrm", "--help"], cwd=tmp_path))
    assert result.stdout.startswith("Usage: xlcrm")
    assert "demo" in result.stdout and "Example:" in result.stdout


def test_installed_python_dash_m(venv: Path, tmp_path: Path) -> None:
    result = _check(_run([venv / "bin" / "python", "-m", "xlcrm", "demo", "--help"], tmp_path))
    assert "Example:" in result.stdout


def test_installed_demo_writes_the_sample_workbook(venv: Path, tmp_path: Path) -> None:
    for lang in ("en", "zh"):
        target = tmp_path / f"sample_{lang}.xlsx"
        result = _check(
            _run(
                [
                    venv / "bin" / "xlcrm",
                    "demo",
                    "--lang",
                    lang,
                    "--customers",
                    "200",
                    "-o",
                    target,
                ],
                cwd=tmp_path,
            )
        )
        assert target.stat().st_size > 10_000
        assert result.stderr == ""


PROBE = r"""
import json, sys
from importlib import resources
from pathlib import Path
import xlcrm, xlcrm.core.playbook, xlcrm.report, xlcrm.excel.addin

pkg = resources.files("xlcrm")
tdir = pkg / "report" / "templates"
templates = sorted(p.name for p in tdir.iterdir() if p.is_file() and not p.name.startswith("."))
playbook = sorted(p.name for p in (pkg / "core" / "playbook").iterdir() if p.name.endswith(".toml"))
book = xlcrm.core.playbook.load()
print(json.dumps({
    "xlcrm": xlcrm.__file__,
    "templates": templates,
    "template_dir": str(xlcrm.report.template_dir()),
    "playbook": playbook,
    "playbook_kinds": sorted(book),
    "addin": str(xlcrm.excel.addin.shipped_addin()),
    "prefix": sys.prefix,
}))
"""


def test_installed_package_loads_templates_and_playbook_from_itself(
    venv: Path, tmp_path: Path
) -> None:
    found = json.loads(_check(_run([venv / "bin" / "python", "-c", PROBE], cwd=tmp_path)).stdout)
    inside = str(venv.resolve())
    assert Path(found["xlcrm"]).resolve().is_relative_to(inside)
    assert Path(found["template_dir"]).resolve().is_relative_to(inside)
    assert Path(found["addin"]).resolve().is_relative_to(inside)  # `xlcrm addin install` uses it
    repo_templates = sorted(
        p.name for p in (REPO / "templates").iterdir() if p.is_file() and not p.name.startswith(".")
    )
    assert found["templates"] == repo_templates
    assert found["playbook"] == sorted(
        p.name for p in (REPO / "xlcrm" / "core" / "playbook").glob("*.toml")
    )
    assert found["playbook"], "no playbook TOML in the installed package"
    assert found["playbook_kinds"]
