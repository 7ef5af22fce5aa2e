"""Worksheet functions: both forms equal `xlcrm analyze`; xlwings' Windows machinery takes them."""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xlcrm.core import lifecycle, schema
from xlcrm.core.analysis import analyze
from xlcrm.excel import udfs
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.sample import generate_sample, write_sample

AS_OF = pd.Timestamp("2026-06-30")
PER_CELL_ROWS = 60  # per-cell calls on a spread of customers (the column form covers all)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample workbook, read and analysed exactly as `xlcrm analyze` does."""
    path = write_sample(
        generate_sample(customers=400, as_of=AS_OF), tmp_path_factory.mktemp("s") / "shop.xlsx"
    )
    data = read_workbook(path)
    result = analyze(
        data.orders, data.customers, data.activities, as_of=AS_OF, settings=data.settings
    )
    c = result.customers.reset_index(drop=True)
    rhythm = lifecycle.purchase_rhythm(data.orders, as_of=AS_OF, settings=data.settings)
    c = c.merge(rhythm[["customer_id", "active_windows"]], on="customer_id", how="left")
    c["active_windows"] = c["active_windows"].fillna(0)
    c["tenure"] = (AS_OF - c["created"]).dt.days
    sheet = data.customers.drop_duplicates("customer_id").drop(columns=["grade"], errors="ignore")
    raw = data.customers.drop_duplicates("customer_id")[["customer_id", "grade"]]
    c = (
        c.drop(columns="expected_close")
        .merge(
            sheet[["customer_id", "need_status", "deal_status", "expected_close"]],
            on="customer_id",
            how="left",
        )
        .merge(raw.rename(columns={"grade": "given_grade"}), on="customer_id", how="left")
    )
    rows = np.linspace(0, len(c) - 1, PER_CELL_ROWS).astype(int)
    return {"c": c, "result": result, "rows": rows}


def excel(series: pd.Series) -> list[list[Any]]:
    """A column as Excel hands it to a UDF: 2-D, floats, None for empty, datetimes."""
    out: list[list[Any]] = []
    for v in series.astype(object):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            out.append([None])
        elif isinstance(v, pd.Timestamp):
            out.append([v.to_pydatetime()])
        elif isinstance(v, int | np.integer | float | np.floating):
            out.append([float(v)])
        else:
            out.append([v])
    return out


def cell(series: pd.Series, i: int) -> list[list[Any]]:
    return excel(series.iloc[[i]])


def labels(codes: pd.Series, fn: Any, lang: str = "en") -> list[str]:
    return ["" if pd.isna(v) else fn(v, lang) for v in codes]


def flat(result: Any) -> list[Any]:
    assert isinstance(result, list) and all(len(row) == 1 for row in result), result
    return [row[0] for row in result]


# --- RFM --------------------------------------------------------------------------------


def test_rfm_class_column_equals_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    got = udfs.rfm_class(excel(c.recency_days), excel(c.frequency), excel(c.monetary))
    assert flat(got) == labels(c.rfm_class, schema.label)


def test_rfm_class_column_in_chinese(book: dict[str, Any]) -> None:
    c = book["c"]
    args = (excel(c.recency_days), excel(c.frequency), excel(c.monetary))
    got = udfs.rfm_class(*args, None, None, None, "zh")
    assert flat(got) == labels(c.rfm_class, schema.label, "zh")


def test_rfm_class_per_cell_with_the_analysis_thresholds(book: dict[str, Any]) -> None:
    c, t = book["c"], book["result"].thresholds
    for i in book["rows"]:
        got = udfs.rfm_class(
            cell(c.recency_days, i),
            cell(c.frequency, i),
            cell(c.monetary, i),
            t["recency_days"],
            t["frequency"],
            t["monetary"],
        )
        code = c.rfm_class.iloc[i]
        assert got == ("" if pd.isna(code) else schema.label(code)), i


def _score_cuts(values: pd.Series, scores: pd.Series, *, lower_is_better: bool) -> list[float]:
    """Four cut points that reproduce the analysis's quintile scores value by value."""
    v = values.astype(float)
    s = scores.astype("Float64")
    floor = float(v.min()) - 1
    cuts = []
    for k in range(1, 5):
        pick = s >= 6 - k if lower_is_better else s <= k
        chosen = v[pick.fillna(False).to_numpy()]
        cuts.append(float(chosen.max()) if len(chosen) else floor)
    return cuts


def _cuts(c: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    return (
        _score_cuts(c.recency_days, c.r_score, lower_is_better=True),
        _score_cuts(c.frequency, c.f_score, lower_is_better=False),
        _score_cuts(c.monetary, c.m_score, lower_is_better=False),
    )


def _expected_scores(c: pd.DataFrame) -> list[str]:
    return [
        "" if pd.isna(r) else f"{r}{f}{m}"
        for r, f, m in zip(c.r_score, c.f_score, c.m_score, strict=True)
    ]


def test_rfm_score_column_equals_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    got = udfs.rfm_score(excel(c.recency_days), excel(c.frequency), excel(c.monetary))
    assert flat(got) == _expected_scores(c)


def test_rfm_score_and_segment_per_cell_with_cut_points(book: dict[str, Any]) -> None:
    c = book["c"]
    r_cuts, f_cuts, m_cuts = _cuts(c)
    expected_scores = _expected_scores(c)
    for i in book["rows"]:
        args = (cell(c.recency_days, i), cell(c.frequency, i), cell(c.monetary, i))
        assert udfs.rfm_score(*args, r_cuts, f_cuts, m_cuts) == expected_scores[i], i
        code = c.segment.iloc[i]
        expected = "" if pd.isna(code) else schema.label(code, "zh")
        assert udfs.rfm_segment(*args, r_cuts, f_cuts, m_cuts, "zh") == expected, i


def test_rfm_segment_column_equals_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    got = udfs.rfm_segment(excel(c.recency_days), excel(c.frequency), excel(c.monetary))
    assert flat(got) == labels(c.segment, schema.label)


# --- lifecycle ------------------------------------------------------------------------------


def test_lifecycle_tier_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    cols = (c.frequency, c.recency_days, c.tenure, c.active_windows)
    got = udfs.lifecycle_tier(*(excel(s) for s in cols))
    assert flat(got) == labels(c.tier, schema.tier_label)
    for i in book["rows"]:
        one = udfs.lifecycle_tier(*(cell(s, i) for s in cols), "zh", 90, 365, 10)
        assert one == schema.tier_label(c.tier.iloc[i], "zh"), i


def test_churn_risk_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    warned = c[c.churn_warning.astype(bool)].fillna({"median_gap_days": 1.0})
    words = lifecycle.describe_churn(warned, "en").reindex(c.index)
    expected = ["" if pd.isna(w) else w for w in words]
    assert any(expected), "the sample has churn warnings"
    cols = (c.recency_days, c.frequency, c.median_gap_days, c.recent_events, c.prior_events)
    assert flat(udfs.churn_risk(*(excel(s) for s in cols))) == expected
    for i in book["rows"]:
        assert udfs.churn_risk(*(cell(s, i) for s in cols), "en", 2.0, 0.5) == expected[i], i


# --- follow-ups --------------------------------------------------------------------------------


def test_followup_grade_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    cols = (c.given_grade, c.need_status, c.deal_status, c.expected_close)
    got = udfs.followup_grade(*(excel(s) for s in cols), AS_OF.to_pydatetime())
    assert flat(got) == list(c.grade)
    for i in book["rows"]:
        one = udfs.followup_grade(*(cell(s, i) for s in cols), AS_OF.to_pydatetime(), 30, 90, 180)
        assert one == c.grade.iloc[i], i


def _by_grade(c: pd.DataFrame) -> pd.DataFrame:
    """Leads and open deals: the customers whose cadence is their grade's (the
    functions below); buying customers follow their tier, lost ones yearly."""
    picked = c[(c.cadence_basis == "grade") & (c.tier != "lost")].reset_index(drop=True)
    assert len(picked) > 50
    return picked


def test_followup_cadence_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = _by_grade(book["c"])
    assert flat(udfs.followup_cadence(excel(c.grade))) == list(c.cadence_days)
    for i in book["rows"][book["rows"] < len(c)]:
        one = udfs.followup_cadence(cell(c.grade, i), 1, 7, 15, 30, 365)
        assert one == c.cadence_days.iloc[i], i


def test_next_followup_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = _by_grade(book["c"])
    expected = [t.to_pydatetime() for t in c.next_followup]
    got = udfs.next_followup(excel(c.last_contact), excel(c.grade), AS_OF.to_pydatetime())
    assert flat(got) == expected
    for i in book["rows"][book["rows"] < len(c)]:
        one = udfs.next_followup(cell(c.last_contact, i), cell(c.grade, i), AS_OF.to_pydatetime())
        assert one == expected[i], i


def test_pareto_class_both_forms_equal_analysis(book: dict[str, Any]) -> None:
    c = book["c"]
    expected = ["" if pd.isna(v) else v for v in c.abc_class]
    assert flat(udfs.pareto_class(excel(c.monetary))) == expected
    a_min = float(c.monetary[c.abc_class == "A"].min())
    b_min = float(c.monetary[c.abc_class == "B"].min())
    for i in book["rows"]:
        assert udfs.pareto_class(cell(c.monetary, i), a_min, b_min) == expected[i], i


# --- Excel inputs and errors ------------------------------------------------------------------


def test_text_in_a_number_cell_marks_only_that_row() -> None:
    got = udfs.rfm_class(
        [[10.0], ["ten"], [None], [40.0]],
        [[5.0], [2.0], [None], [1.0]],
        [[900.0], [5.0], [None], [9]],
    )
    assert flat(got) == [
        "Important value",
        "#VALUE! recency must be a number",
        "",
        "General win-back",
    ]


def test_reasons_are_in_the_language_of_the_call() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    args = ([[10.0], ["ten"]], [[5.0], [2.0]], [[900.0], [5.0]])
    for name in ("rfm_class", "rfm_segment"):
        en = flat(getattr(udfs, name)(*args, None, None, None, "en"))[1]
        zh = flat(getattr(udfs, name)(*args, None, None, None, "zh"))[1]
        assert en.startswith("#VALUE! recency") and not cjk.search(en), en
        assert zh.startswith("#VALUE! recency") and cjk.search(zh), zh
    # a whole-call error too; a wrong lang answers in English
    assert cjk.search(udfs.lifecycle_tier([[1.0]], [[1.0]], None, None, "zh", 1.5))
    assert not cjk.search(udfs.rfm_class([[1.0]], [[1.0]], [[1.0]], 1, 1, 1, "fr"))


def test_per_cell_empty_cells_give_empty_text() -> None:
    assert udfs.rfm_class([[None]], [[None]], [[None]], 30, 3, 500) == ""
    assert udfs.next_followup([[None]], [[None]], AS_OF.to_pydatetime()) == ""
    assert udfs.pareto_class([[None]], 100, 10) == ""


def test_numbers_typed_as_text_are_read() -> None:
    assert udfs.rfm_class([["10"]], [[" 5 "]], [["¥1,200.00"]], 30, 3, 500) == "Important value"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: udfs.rfm_class([[1.0]], [[1.0]], [[1.0]], 1, 1, 1, "fr"), 'lang must be "en"'),
        (lambda: udfs.rfm_class([[1.0]], [[1.0]], [[1.0]]), "give the cut points"),
        (lambda: udfs.rfm_class([[1.0]], [[1.0]], [[1.0]], 1), "all three"),
        (lambda: udfs.rfm_class([[1.0]], [[1.0]], [[1.0]], "x", 1, 1), "r_cut must be a number"),
        (
            lambda: udfs.rfm_class([[1.0], [2.0]], [[1.0]] * 3, [[1.0]] * 3),
            "same number of rows",
        ),
        (
            lambda: udfs.rfm_score([[1.0]], [[1.0]], [[1.0]], [1, 2], [1, 2, 3, 4], [1, 2, 3, 4]),
            "r_cuts must be 4 ascending numbers",
        ),
        (lambda: udfs.followup_cadence([["Z"]]), "grade must be A-E"),
        (lambda: udfs.lifecycle_tier([[1.0]], [[1.0]], None, None, "en", 1.5), "whole number"),
        (lambda: udfs.next_followup([[None]], [["A"]], "not a date"), "as_of must be a date"),
        (lambda: udfs.rfm_class([[1.0, 2.0], [3.0, 4.0]], [[1.0]], [[1.0]], 1, 1, 1), "one column"),
        (lambda: udfs.lifecycle_tier([[1.0]], [[1.0]], None, None, "en", 400, 100), "sleep_days"),
    ],
)
def test_bad_arguments_give_an_excel_error_with_the_reason(call: Any, message: str) -> None:
    got = call()
    assert isinstance(got, str) and got.startswith("#VALUE! "), got
    assert message in got
    assert "Traceback" not in got


def test_whole_column_spills_one_column(book: dict[str, Any]) -> None:
    c = book["c"]
    got = udfs.pareto_class(excel(c.monetary))
    assert isinstance(got, list) and len(got) == len(c)
    assert all(isinstance(row, list) and len(row) == 1 for row in got)


def test_every_udf_has_a_one_line_wizard_description() -> None:
    for name in udfs.__all__:
        doc = getattr(udfs, name).__doc__
        assert doc and "\n" not in doc.strip() and len(doc) <= 255, name


# --- xlwings' own (Windows) UDF machinery ------------------------------------------------------


@pytest.fixture(scope="module")
def windows_udfs() -> dict[str, Any]:
    """xlwings' Import Functions output for the UDF module (see xlcrm.excel.vbamodules)."""
    from xlcrm.excel.vbamodules import udf_wrappers

    return udf_wrappers()


def test_xlwings_writes_a_vba_function_for_every_udf(windows_udfs: dict[str, Any]) -> None:
    vba = windows_udfs["vba"]
    for name in udfs.__all__:
        params = inspect.signature(getattr(udfs, name)).parameters.values()
        sig = ", ".join(
            ("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
            for p in params
        )
        assert f"Function {name}({sig})\n" in vba, name
        body = vba.split(f"Function {name}(", 1)[1].split("End Function", 1)[0]
        assert ("Application.Volatile" in body) == ("as_of" in sig), name
        args = ", ".join(p.name for p in params)
        assert (
            f'{name} = XLPy.CallUDF("xlcrm.excel.udfs", "{name}", Array({args}), '
            "ActiveWorkbook, Application.Caller)"
        ) in vba
    declared = [line for line in vba.splitlines() if line.startswith("Function ")]
    assert len(declared) == len(udfs.__all__)  # helpers are not exposed to Excel


def test_xlwings_metadata_has_wizard_docs_and_no_converters(windows_udfs: dict[str, Any]) -> None:
    for name, meta in windows_udfs["meta"].items():
        assert meta["category"] == "xlcrm"
        assert meta["doc"] == getattr(udfs, name).__doc__
        assert "convert" not in meta["ret"]
        for arg in meta["args"]:
            assert "convert" not in arg["options"], (name, arg)  # annotations would convert
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
        data_args = [a for a in meta["args"] if a["options"].get("ndim") == 2]
        assert data_args and not data_args[0]["optional"], name


# --- xlwings Lite: its main.py (xlcrm.excel.lite_main) exposes the same functions -------------


@pytest.fixture(scope="module")
def lite() -> Any:
    from xlcrm.excel import lite_main

    return lite_main


def test_lite_has_every_udf_with_the_same_signature_and_doc(lite: Any) -> None:
    for name in udfs.__all__:
        mine, theirs = getattr(lite, name), getattr(udfs, name)
        assert inspect.signature(mine) == inspect.signature(theirs), name
        assert mine.__doc__ == theirs.__doc__, name


def test_lite_functions_give_the_add_in_results(lite: Any, book: dict[str, Any]) -> None:
    c = book["c"]
    args = (excel(c.recency_days), excel(c.frequency), excel(c.monetary))
    assert lite.rfm_class(*args) == udfs.rfm_class(*args)
    assert lite.pareto_class(excel(c.monetary)) == udfs.pareto_class(excel(c.monetary))


def test_lite_scripts_cover_the_buttons_that_can_run_there(lite: Any) -> None:
    from xlcrm.excel import ribbon

    scripts = {b.action for b in ribbon.BUTTONS} - {"pdf_brief", "email_brief"}
    for action in scripts:
        assert callable(getattr(lite, action)), action
