"""=P_ALIVE() and =CUSTOMER_VALUE() on the Value sheet's columns equal `xlcrm analyze`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from xlcrm.core.analysis import analyze
from xlcrm.excel import udfs
from xlcrm.xlsx.sample import generate_sample

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def buyers() -> pd.DataFrame:
    s = generate_sample(customers=600, as_of=AS_OF)
    c = analyze(s.orders, s.customers, s.activities, as_of=AS_OF).customers
    return c[c["frequency"] > 0].reset_index(drop=True)


def column(values: Any) -> list[list[Any]]:
    """A column as xlwings hands it over: empty cells are None."""
    return [[None if pd.isna(v) else float(v)] for v in values]


def flat(result: Any) -> np.ndarray:
    return np.array([row[0] for row in result], dtype=object)


def test_p_alive_on_whole_columns_equals_the_analysis(buyers):
    got = udfs.p_alive(
        column(buyers["repeat_days"]), column(buyers["span_days"]), column(buyers["age_days"])
    )
    np.testing.assert_allclose(flat(got).astype(float), buyers["p_alive"], rtol=1e-9)


def test_customer_value_on_whole_columns_equals_the_analysis(buyers):
    got = udfs.customer_value(
        column(buyers["repeat_days"]),
        column(buyers["span_days"]),
        column(buyers["age_days"]),
        column(buyers["mean_repeat_spend"]),
    )
    np.testing.assert_allclose(flat(got).astype(float), buyers["expected_value"], rtol=1e-9)


def test_a_single_cell_gives_a_value_error_with_its_reason():
    got = udfs.p_alive(3, 40, 100)
    assert got.startswith("#VALUE!") and "whole columns" in got
    assert udfs.customer_value(3, 40, 100, 25.0).startswith("#VALUE!")


def test_rows_that_do_not_fit_together_get_their_reason_and_the_rest_a_number(buyers):
    x = column(buyers["repeat_days"])
    span = column(buyers["span_days"])
    age = column(buyers["age_days"])
    x[0], span[1] = [-1.0], [1e6]  # negative; longer than the customer's age
    x[2], span[2], age[2] = [None], [None], [None]  # an empty row: left blank
    span[3] = ["many"]
    out = flat(udfs.p_alive(x, span, age))
    assert str(out[0]).startswith("#VALUE!") and "fit together" in out[0]
    assert str(out[1]).startswith("#VALUE!")
    assert out[2] == ""
    assert out[3] == "#VALUE! span_days must be a number"
    assert all(isinstance(v, int | float) for v in out[4:])


def test_a_book_without_repeat_buyers_says_why_in_the_language_asked():
    ones = [[0.0]] * 30
    got = udfs.p_alive(ones, ones, [[float(d)] for d in range(30)], "zh")
    assert got.startswith("#VALUE!") and "第二个日子" in got


def test_customer_value_times_a_margin_rate_gives_the_expected_margin(buyers):
    inputs = [
        column(buyers[name])
        for name in ("repeat_days", "span_days", "age_days", "mean_repeat_spend")
    ]
    worth = buyers["expected_value"].to_numpy(dtype=float)
    one_rate = flat(udfs.customer_value(*inputs, "en", [[0.25]])).astype(float)
    np.testing.assert_allclose(one_rate, worth * 0.25, rtol=1e-9)
    rates: list[list[Any]] = [[0.1 + (i % 5) / 10] for i in range(len(buyers))]
    rates[0] = [None]  # a customer whose margin is not known stays blank
    rates[1] = ["lots"]
    got = flat(udfs.customer_value(*inputs, "en", rates))
    assert got[0] == ""
    assert str(got[1]).startswith("#VALUE!") and "margin_rate" in str(got[1])
    expected = worth[2:] * np.array([r[0] for r in rates[2:]], dtype=float)
    np.testing.assert_allclose(got[2:].astype(float), expected, rtol=1e-9)
    short = udfs.customer_value(*inputs, "en", [[0.2], [0.3]])
    assert str(short).startswith("#VALUE!")
