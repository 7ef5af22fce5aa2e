"""The xlwings Lite bundle runs with only the packages its requirements.txt names.

`xlcrm addin lite` writes main.py (xlcrm's modules embedded) and
requirements.txt. Here the bundle runs in a fresh virtual environment
(``venv``, no pip, started with ``-I``) whose site-packages holds only links
to the installed copies of the packages requirements.txt lists and their own
dependencies (no network in tests), so neither xlcrm nor WeasyPrint nor
Jinja2 can be imported from outside the bundle. It calls every
worksheet function (compared with the add-in's results) and every script on
a book backed by the sample workbook file.
"""

from __future__ import annotations

import json
import math
import subprocess
import textwrap
import venv
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from packaging.requirements import Requirement

from xlcrm.core.analysis import analyze
from xlcrm.core.schema import label
from xlcrm.excel import lite, udfs
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.sample import generate_sample, write_sample

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
AS_OF = pd.Timestamp("2026-06-30")


def test_committed_lite_files_equal_a_fresh_bundle() -> None:
    bundle = lite.build_bundle()
    assert (REPO / "workbook/lite/main.py").read_text("utf-8") == bundle.main, (
        "run `xlcrm addin lite -o workbook/lite`"
    )
    assert (REPO / "workbook/lite/requirements.txt").read_text("utf-8") == bundle.requirements


def test_requirements_name_only_pyodide_packages_and_xlwings() -> None:
    import xlwings

    names = [
        line for line in lite.build_bundle().requirements.splitlines() if not line.startswith("#")
    ]
    assert f"xlwings=={xlwings.__version__}" in names
    rest = sorted(n for n in names if n and not n.startswith("xlwings"))
    assert rest == ["numpy", "openpyxl", "pandas", "python-calamine", "scipy"]
    assert set(rest) <= set(lite.PYODIDE_PACKAGES.values())


def test_the_bundle_leaves_out_pdf_and_mail() -> None:
    files = lite.build_bundle().files
    assert not any(name.startswith(("xlcrm/report", "xlcrm/mail", "xlcrm/cli")) for name in files)
    assert "xlcrm/core/playbook/playbook.toml" in files
    assert "xlcrm/locale/zh/LC_MESSAGES/xlcrm.mo" in files


def _distributions(requirements: list[str]) -> set[str]:
    """The distributions these requirements pull in on this platform (no extras)."""
    seen: set[str] = set()
    todo = [Requirement(r).name for r in requirements]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _fresh_venv(requirements: list[str], folder: Path) -> Path:
    """A new virtual environment with links to exactly these distributions; its python."""
    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    _link_distributions(requirements, Path(site))
    return python


def _link_distributions(requirements: list[str], folder: Path) -> None:
    """Links in ``folder`` to exactly these distributions' files."""
    for name in _distributions(requirements):
        dist = metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            link = folder / top
            if not link.exists():
                link.symlink_to(Path(str(dist.locate_file(top))))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        return {"date": pd.Timestamp(value).isoformat()}
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6)
    return bool(a == b)


def _flat(value: Any) -> list[Any]:
    return [x for row in value for x in row] if isinstance(value, list) else [value]


def _column(series: pd.Series) -> list[list[Any]]:
    out = []
    for v in series.astype(object):
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append([None])
        elif isinstance(v, pd.Timestamp):
            out.append([v.to_pydatetime()])
        elif isinstance(v, int | np.integer | float | np.floating):
            out.append([float(v)])
        else:
            out.append([v])
    return out


HARNESS = textwrap.dedent(
    """
    import datetime as dt, importlib.util, json, os, runpy, sys

    main_py, tests_dir, book_path, calls_path = sys.argv[1:5]
    before = {n: importlib.util.find_spec(n) is not None
              for n in ("xlcrm", "weasyprint", "jinja2", "click", "rich")}

    def decode(v):
        if isinstance(v, list):
            return [decode(x) for x in v]
        if isinstance(v, dict) and "date" in v:
            return dt.datetime.fromisoformat(v["date"])
        return v

    def encode(v):
        if isinstance(v, list):
            return [encode(x) for x in v]
        if hasattr(v, "isoformat"):
            return {"date": dt.datetime.fromisoformat(v.isoformat()).isoformat()}
        if isinstance(v, float) and v != v:
            return None
        return v

    main = runpy.run_path(main_py, run_name="main")
    calls = json.load(open(calls_path, encoding="utf-8"))
    results = {name: encode(main[name](*decode(args))) for name, args in calls.items()}

    sys.path.insert(0, tests_dir)
    from fakexw import FakeXwBook

    scripts = {}
    for name in ("analyze", "followup_plan", "dashboard", "show_help"):
        book = FakeXwBook(book_path)
        main[name](book)
        scripts[name] = {"alerts": book.app.alerts,
                         "sheets": [s.name for s in book.sheets if s.rows]}
    loaded = sorted(n for n in sys.modules if n == "xlcrm" or n.startswith("xlcrm."))
    origins = {n: getattr(sys.modules[n], "__file__", "") or "" for n in loaded}
    print(json.dumps({"before": before, "results": results, "scripts": scripts,
                      "origins": origins,
                      "weasyprint": "weasyprint" in sys.modules,
                      "jinja2": "jinja2" in sys.modules}))
    """
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    path = write_sample(
        generate_sample(customers=120, as_of=AS_OF), tmp_path_factory.mktemp("s") / "shop.xlsx"
    )
    data = read_workbook(path)
    result = analyze(
        data.orders, data.customers, data.activities, as_of=AS_OF, settings=data.settings
    )
    c = result.customers.reset_index(drop=True).drop(columns="expected_close")
    c = c.merge(
        data.customers.drop_duplicates("customer_id")[
            ["customer_id", "need_status", "deal_status", "expected_close"]
        ],
        on="customer_id",
        how="left",
    )
    return path, c


def _calls(c: pd.DataFrame) -> dict[str, list[Any]]:
    r, f, m = _column(c.recency_days), _column(c.frequency), _column(c.monetary)
    as_of = AS_OF.to_pydatetime()
    grades = [[g] for g in c["grade"].astype(object).where(c["grade"].notna(), None)]
    return {
        "rfm_class": [r, f, m],
        "rfm_score": [r, f, m],
        "rfm_segment": [r, f, m, None, None, None, "zh"],
        "lifecycle_tier": [f, r],
        "churn_risk": [r, f, _column(c.recency_days / c.frequency.clip(lower=1))],
        "followup_grade": [
            grades,
            _column(c.need_status),
            _column(c.deal_status),
            _column(c.expected_close),
            as_of,
        ],
        "followup_cadence": [grades],
        "next_followup": [_column(c.last_contact), grades, as_of],
        "pareto_class": [m],
        "p_alive": [
            _column(c.repeat_days),
            _column(c.span_days),
            _column(c.age_days),
        ],
        "customer_value": [
            _column(c.repeat_days),
            _column(c.span_days),
            _column(c.age_days),
            _column(c.mean_repeat_spend),
        ],
        "loyalty_level": [
            _column(c.frequency.clip(lower=1, upper=5).where(c.frequency > 0)),
            _column(c.repurchase_prob),
            _column(c.r_score.astype(float) * 2),
            "zh",
        ],
        "relationship_level": [
            _column(c.rfm_class.map(lambda code: None if pd.isna(code) else label(code))),
            m,
        ],
    }


def test_the_bundle_runs_without_xlcrm_weasyprint_or_jinja2(
    sample: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    path, c = sample
    out = tmp_path / "lite"
    lite.write_bundle(out)
    requirements = [
        line
        for line in (out / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    python = _fresh_venv(requirements, tmp_path / "venv")
    calls = _calls(c)
    assert set(calls) == set(udfs.__all__)
    expected = {name: _jsonable(getattr(udfs, name)(*args)) for name, args in calls.items()}
    calls_file = tmp_path / "calls.json"
    calls_file.write_text(json.dumps(_jsonable(calls)), "utf-8")
    (tmp_path / "tmp").mkdir()  # the bundle unpacks itself here
    proc = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            HARNESS,
            str(out / "main.py"),
            str(REPO / "tests"),
            str(path),
            str(calls_file),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={"TMPDIR": str(tmp_path / "tmp"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["before"] == dict.fromkeys(
        ("xlcrm", "weasyprint", "jinja2", "click", "rich"), False
    )
    assert report["weasyprint"] is False and report["jinja2"] is False
    assert report["origins"] and all(
        origin.startswith(str(tmp_path / "tmp" / "xlcrm-lite-"))
        for origin in report["origins"].values()
    )
    for name in udfs.__all__:
        # the model's fit is iterative: another BLAS kernel moves the last digits
        got, want = _flat(report["results"][name]), _flat(expected[name])
        assert len(got) == len(want), name
        assert all(_same(a, b) for a, b in zip(got, want, strict=True)), name
    scripts = report["scripts"]
    assert scripts["analyze"]["alerts"][0].startswith("Analysed 120 customers")
    assert "RFM" in scripts["analyze"]["sheets"]
    assert scripts["followup_plan"]["alerts"][0].startswith("Call plan: ")
    assert scripts["dashboard"]["alerts"][0].startswith("Dashboard:")
    assert scripts["show_help"]["alerts"][0].startswith("Help:")
    assert "xlcrm help" in scripts["show_help"]["sheets"]
