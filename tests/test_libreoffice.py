"""The analyze output opened by a real spreadsheet application (LibreOffice headless).

One soffice run converts three workbooks back to .xlsx, recalculating every
formula on load (a private profile sets Calc's "recalculate on load" to
always):

* the output as written, to check LibreOffice opens it and keeps the tables;
* the output with the cached values of the formula cells removed, so every
  figure read back was computed by LibreOffice from the live formulas;
* the output with a new grade and contact date typed into a follow-up row,
  as a sales rep would, to check the schedule follows.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import require_tool

from xlcrm.core.analysis import analyze
from xlcrm.core.schema import label
from xlcrm.xlsx.writer import write_results

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _soffice() -> None:
    require_tool("soffice")


AS_OF = pd.Timestamp("2025-06-30")

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def small_book() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 40
    ids = [f"{i:05d}" for i in range(1, n + 1)]
    names = [f"Customer {i}" for i in range(1, n + 1)]
    names[:3] = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)"]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "name": names,
            "owner": rng.choice(["Alice", "Bob", "王芳"], n),
            "grade": rng.choice(["A", "B", "C", "D", "E", None], n),
            "last_contact": pd.to_datetime("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
        }
    )
    customers.loc[::7, "last_contact"] = pd.NaT
    k = 300
    orders = pd.DataFrame(
        {
            "customer_id": rng.choice(ids[:-5], k),  # the last five are prospects
            "order_date": pd.to_datetime("2023-07-01")
            + pd.to_timedelta(rng.integers(0, 730, k), unit="D"),
            "amount": np.round(rng.lognormal(5, 1, k), 2),
        }
    )
    activities = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, 60),
            "date": pd.to_datetime("2025-03-01") + pd.to_timedelta(rng.integers(0, 120, 60), "D"),
            "kind": "call",
        }
    )
    return orders, customers, activities


def strip_cached_values(src: Path, dst: Path) -> int:
    """Copy ``src`` without the cached values of formula cells; return how many were removed."""
    removed = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                text, n = re.subn(r"(</f>)<v>[^<]*</v>", r"\1", data.decode())
                removed += n
                data = text.encode()
            zout.writestr(info, data)
    return removed


def convert(files: list[Path], outdir: Path, profile: Path) -> None:
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    outdir.mkdir()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("lo")
    orders, customers, activities = small_book()
    result = analyze(orders, customers, activities, as_of=AS_OF)
    written = write_results(result, None, tmp / "written.xlsx", lang="en")
    stripped = tmp / "stripped.xlsx"
    assert strip_cached_values(written, stripped) > 3 * 30
    wb = openpyxl.load_workbook(written)
    ws = wb["Follow-ups"]
    edited_id = ws["A2"].value
    ws["E2"] = "A"
    ws["F2"] = pd.Timestamp("2025-06-25").to_pydatetime()
    wb.save(tmp / "edited.xlsx")
    # the edited copy went through openpyxl, which drops cached values: LO must compute
    convert([written, stripped, tmp / "edited.xlsx"], tmp / "out", tmp / "profile")
    return {"result": result, "dir": tmp / "out", "written": written, "edited_id": edited_id}


def read(path: Path, sheet: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet, engine="calamine")


def expected_followups(result: object) -> pd.DataFrame:
    c = result.customers  # type: ignore[attr-defined]
    frame = c.set_index("customer_id")[["cadence_days", "next_followup", "overdue_days"]]
    return frame.assign(urgency=[label(code, "en") for code in c["urgency"]])


def test_libreoffice_computes_the_follow_up_formulas_as_python_does(
    converted: dict[str, object],
) -> None:
    frame = read(converted["dir"] / "stripped.xlsx", "Follow-ups")  # type: ignore[operator]
    frame = frame.set_index(frame["Customer ID"].astype(str).str.zfill(5))
    want = expected_followups(converted["result"]).loc[frame.index]
    assert frame["Cadence days"].astype(int).tolist() == want["cadence_days"].tolist()
    assert pd.to_datetime(frame["Next follow-up"]).tolist() == want["next_followup"].tolist()
    assert frame["Days overdue"].astype(int).tolist() == want["overdue_days"].tolist()
    assert frame["Urgency"].tolist() == want["urgency"].tolist()
    assert set(want["urgency"]) >= {"Urgent", "Slow"}  # more than one branch is exercised


def test_schedule_follows_a_grade_and_contact_date_typed_in(converted: dict[str, object]) -> None:
    frame = read(converted["dir"] / "edited.xlsx", "Follow-ups")  # type: ignore[operator]
    row = frame.iloc[0]
    assert str(row["Customer ID"]).zfill(5) == converted["edited_id"]
    assert row["Cadence days"] == 1
    assert pd.Timestamp(row["Next follow-up"]) == pd.Timestamp("2025-06-26")
    assert row["Days overdue"] == (AS_OF - pd.Timestamp("2025-06-26")).days
    assert row["Urgency"] == "Urgent"


def test_libreoffice_opens_the_output_and_keeps_tables_and_text(
    converted: dict[str, object],
) -> None:
    back = converted["dir"] / "written.xlsx"  # type: ignore[operator]
    for sheet in ("RFM", "Lifecycle", "Follow-ups", "Data quality"):
        ours = read(converted["written"], sheet)  # type: ignore[arg-type]
        theirs = read(back, sheet)
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    names = set(read(back, "RFM")["Name"])
    assert {'=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)"} <= names
    wb = openpyxl.load_workbook(back)
    assert {"RFM", "Lifecycle", "Follow-ups", "Dashboard", "Data quality", "Settings"} <= set(
        wb.sheetnames
    )
