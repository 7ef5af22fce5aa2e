"""The value model where users see it: analysis columns, the third churn signal,
Settings, the Value sheet, `xlcrm model` and the brief."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xlcrm.cli import cli
from xlcrm.core import lifecycle, value
from xlcrm.core.analysis import analyze, summary
from xlcrm.core.insights import with_insights
from xlcrm.core.settings import Settings
from xlcrm.xlsx.sample import generate_sample, setting_key, write_sample
from xlcrm.xlsx.sheets import build_result_sheets

DATA = Path(__file__).parent / "data"
AS_OF = pd.Timestamp("2026-06-30")


def run(*args: str) -> SimpleNamespace:
    """The command line, in this process (tests/test_cli.py runs the installed one)."""
    result = CliRunner().invoke(cli, list(args))
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture(scope="module")
def sample() -> object:
    return generate_sample()


@pytest.fixture(scope="module")
def analysis(sample):
    return analyze(sample.orders, sample.customers, sample.activities, as_of=sample.as_of)


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW log as a plain orders CSV, as a user would export it."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with open(DATA / "CDNOW_sample.txt") as src, open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Customer ID", "Order Date", "Amount"])
        for line in src:
            _, customer, day, _, amount = line.split()
            writer.writerow([customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", amount])
    return path


# --- analysis -------------------------------------------------------------------------------


def test_buyers_get_model_numbers_and_prospects_stay_blank(analysis):
    c = analysis.customers
    assert analysis.value.reason is None
    buyers = c["frequency"] > 0
    for column in ("p_alive", "expected_purchases", "repurchase_prob", "expected_value"):
        assert c.loc[buyers, column].notna().all(), column
        assert c.loc[~buyers, column].isna().all(), column
    assert c["p_alive"].between(0, 1).all() or c["p_alive"].isna().any()
    assert set(c.loc[buyers, "repurchase_band"]) <= {"high", "medium", "low"}
    assert (c.loc[buyers, "repeat_days"] <= c.loc[buyers, "frequency"] - 1).all()
    figures = summary(analysis)
    warned = c["churn_warning"].astype(bool)
    assert figures["value_at_risk"] == pytest.approx(c.loc[warned, "expected_value"].sum())
    assert figures["expected_value"] == pytest.approx(c["expected_value"].sum())


def test_expected_margin_uses_each_customers_known_margin_share(analysis, sample):
    frame = with_insights(analysis)
    known = frame["margin_source"].isin(value.KNOWN_MARGIN) & frame["expected_value"].notna()
    assert known.any() and (~known & frame["expected_value"].notna()).any()
    share = frame.loc[known, "margin"] / frame.loc[known, "monetary"]
    np.testing.assert_allclose(
        frame.loc[known, "expected_margin"], frame.loc[known, "expected_value"] * share, atol=0.01
    )
    assert frame.loc[~known, "expected_margin"].isna().all()  # the default rate is not a margin
    figures = summary(analysis)
    warned = frame["churn_warning"].astype(bool)
    assert figures["margin_customers"] == int(known.sum())
    assert figures["expected_margin"] == pytest.approx(frame["expected_margin"].sum())
    assert figures["margin_at_risk"] == pytest.approx(frame.loc[warned, "expected_margin"].sum())
    without = sample.customers.drop(columns=["margin", "cost", "margin_rate"], errors="ignore")
    bare = analyze(sample.orders, without, sample.activities, as_of=sample.as_of)
    assert bare.customers["expected_margin"].isna().all()
    assert summary(bare)["expected_margin"] is None

    def value_keys(a):
        sheet = next(s for s in build_result_sheets(a) if s.key == "value")
        return [c.key for c in sheet.columns]

    assert "expected_margin" not in value_keys(bare)  # no all-blank column
    assert value_keys(analysis)[-1] == "expected_margin"


def test_expected_margin_rules():
    got = value.expected_margin(
        [100.0, 100.0, 100.0, 100.0, 100.0, np.nan],
        [30.0, -10.0, 30.0, 30.0, 30.0, 30.0],
        [200.0, 200.0, 200.0, 0.0, 200.0, 200.0],
        ["cost", "margin", "default", "rate", None, "rate"],
    )
    np.testing.assert_allclose(got, [15.0, -5.0, np.nan, np.nan, np.nan, np.nan])


def test_model_off_in_settings_leaves_columns_blank_and_says_so(sample):
    off = analyze(
        sample.orders,
        sample.customers,
        sample.activities,
        as_of=sample.as_of,
        settings=Settings(value_model=False),
    )
    assert off.value.reason == "off" and off.value_check is None
    assert off.customers["p_alive"].isna().all()
    assert off.customers["repeat_days"].notna().any()  # the inputs are still shown
    assert summary(off)["value_reason"] == "off"


def test_holdout_check_counts_what_happened(analysis, sample):
    check = analysis.value_check
    cal = check.calibration_end
    assert cal == AS_OF - pd.Timedelta(days=90)
    orders = sample.orders[sample.orders["amount"] >= 0]
    seen = set(orders.loc[orders["order_date"] <= cal, "customer_id"])
    later = orders[(orders["order_date"] > cal) & (orders["order_date"] <= AS_OF)]
    later = later[later["customer_id"].isin(seen)]
    days = later.drop_duplicates(["customer_id", "order_date"])
    assert check.weeks["actual"].sum() == len(days)
    assert len(check.weeks) == 13
    assert (check.weeks["predicted"] > 0).all()


# --- churn --------------------------------------------------------------------------------


def test_p_alive_below_the_threshold_is_a_third_churn_signal():
    got = lifecycle.churn_warning(
        [10, 10, 10, 200],
        [5, 5, 5, 5],
        [30, 3, 30, 30],
        [3, 3, 0, 3],
        [3, 3, 6, 3],
        [0.9, 0.2, 0.1, 0.1],
        settings=Settings(churn_p_alive=0.3),
    )
    reasons = got["churn_reason"].astype(object).where(got["churn_reason"].notna(), None)
    assert reasons.tolist() == [None, "gap+alive", "drop+alive", None]
    frame = pd.DataFrame(
        {
            "churn_reason": ["alive"],
            "recency_days": [10.0],
            "median_gap_days": [30.0],
            "recent_events": [3],
            "prior_events": [3],
            "p_alive": [0.213],
        }
    )
    en = lifecycle.describe_churn(frame, "en", settings=Settings())[0]
    zh = lifecycle.describe_churn(frame, "zh", settings=Settings())[0]
    assert "21%" in en and "30%" in en
    assert "21%" in zh and "价值模型" in zh


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("value_horizon_days", 0),
        ("value_horizon_days", "soon"),
        ("value_monthly_discount", 1.5),
        ("churn_p_alive", -0.1),
        ("value_model", "maybe"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nonsense_value_settings_exit_2_naming_key_and_row(tmp_path, key, bad, lang):
    book = write_sample(generate_sample(customers=60, lang=lang), tmp_path / "shop.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb[wb.sheetnames[-1]]
    wanted = setting_key(key, lang)
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == wanted)
    ws.cell(row, 2).value = bad
    wb.save(book)
    result = run("analyze", str(book), "--lang", lang, "-o", str(tmp_path / "out.xlsx"))
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert wanted in line  # the key as the sheet spells it (价值模型 on a Chinese sheet)
    assert (f"row {row}" if lang == "en" else f"第 {row} 行") in line


def test_every_value_setting_is_on_both_samples_settings_sheets():
    for lang in ("en", "zh"):
        keys = [k for k, _ in generate_sample(customers=20, lang=lang).settings_rows()]
        for name in (
            "value_model",
            "value_horizon_days",
            "value_monthly_discount",
            "churn_p_alive",
        ):
            assert setting_key(name, lang) in keys
        if lang == "zh":
            assert all(not setting_key(n, lang).isascii() for n in ("value_model", "churn_p_alive"))


# --- workbook and CLI -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "sheet", "header"), [("en", "Value", "P(alive)"), ("zh", "客户价值", "存活概率")]
)
def test_analyze_writes_the_value_sheet(tmp_path, lang, sheet, header):
    book = write_sample(generate_sample(customers=400, lang=lang), tmp_path / "shop.xlsx")
    out = tmp_path / "out.xlsx"
    result = run("analyze", str(book), "--lang", lang, "-o", str(out))
    assert result.returncode == 0, result.stderr
    frame = pd.read_excel(out, sheet_name=sheet, engine="calamine")
    assert header in frame.columns
    worth = frame.iloc[:, -2].dropna().to_numpy()
    assert (np.diff(worth) <= 1e-9).all()  # biggest expected value first
    margin = {"en": "Expected margin (12 months)", "zh": "预期毛利（12 个月）"}[lang]
    assert frame.columns[-1] == margin and frame[margin].notna().any()


def test_model_command_reproduces_cdnow_from_a_csv(cdnow_csv):
    result = run("model", str(cdnow_csv), "--as-of", "1997-09-30", "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    bg, gg = got["bgnbd"], got["gamma_gamma"]
    assert set(bg) >= {"r", "alpha", "a", "b", "time_unit", "log_likelihood"}
    assert set(gg) >= {"p", "q", "v"}
    assert bg["time_unit"] == "weeks"
    assert bg["r"] == pytest.approx(0.243, rel=0.01)
    assert bg["alpha"] == pytest.approx(4.414, rel=0.01)
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert gg["p"] == pytest.approx(6.25, rel=0.01)


def test_model_command_holdout_by_week_in_both_languages(cdnow_csv):
    result = run(
        "model", str(cdnow_csv), "--as-of", "1997-09-30", "--holdout-end", "1998-06-30", "--json"
    )
    assert result.returncode == 0, result.stderr
    weeks = json.loads(result.stdout)["holdout"]["weeks"]
    assert len(weeks) == 39
    assert weeks[-1]["actual_cumulative"] == 1882  # distinct purchase days, weeks 40-78
    assert 1500 < weeks[-1]["predicted_cumulative"] < 1882  # FHL05: the BG/NBD under-forecasts
    text = run("model", str(cdnow_csv), "--as-of", "1997-09-30", "--holdout-end", "1998-06-30")
    assert "time unit: weeks" in text.stdout and "-9,582.43" in text.stdout
    zh = run("model", str(cdnow_csv), "--as-of", "1997-09-30", "--lang", "zh")
    assert "时间单位：周" in zh.stdout and "对数似然" in zh.stdout


def test_model_command_refuses_a_holdout_end_before_the_analysis_date(cdnow_csv):
    result = run("model", str(cdnow_csv), "--as-of", "1997-09-30", "--holdout-end", "1997-01-01")
    assert result.returncode == 2
    assert "must come after" in result.stderr and "Traceback" not in result.stderr


def test_model_command_states_why_it_cannot_fit(tmp_path):
    path = tmp_path / "once.csv"
    path.write_text("Customer ID,Order Date,Amount\nA,2024-01-01,5\nB,2024-01-02,6\n")
    result = run("model", str(path), "--as-of", "2024-02-01", "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["bgnbd"] is None and got["reason"] == "no_repeat_purchases"
    assert got["reason_text"] == value.describe_reason("no_repeat_purchases")
