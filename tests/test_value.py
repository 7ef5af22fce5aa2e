"""The value model (BG/NBD + Gamma-Gamma) against the published CDNOW results,
invariants, and the cases where a fit must not be trusted.

Published numbers and where they come from:

- [FHL05] Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way",
  Marketing Science 24(2): maximum-likelihood BG/NBD estimates on the CDNOW
  sample (2,357 customers, 39-week calibration from 1997-01-01), r = 0.243,
  alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4 (the paper's
  comparison with the Pareto/NBD, whose LL is -9595.0). The same four values
  are the fitted CDNOW parameters in the examples of the BTYD R package.
- The accompanying Excel implementation (Fader, Hardie & Lee, "Implementing the
  BG/NBD model for customer base analysis in Excel", 2005): customer 1
  (x = 2, t_x = 30.43, T = 38.86 weeks) expects 1.226 purchases in the next
  39 weeks; E[X(t)] of a new customer at t = 0.1429, 1, 3, 31.8571, 32, 78
  weeks is 0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576 (these values as
  checked by the `lifetimes` package's tests against that sheet).
- [FH13g] Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value":
  on the 946 CDNOW customers with a repeat purchase, p = 6.25, q = 3.74,
  v (gamma) = 15.44 (also quoted in BTYD's spend.LL documentation).

tests/data/CDNOW_sample.txt is the raw transaction log of the sample (see
tests/data/README.md); the fits below start from it, so the purchase-day
counting is checked too.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from valuesim import simulate_histories, simulate_orders

from xlcrm.core import value, value_series
from xlcrm.core.rfm import prepare_orders
from xlcrm.core.value import BgNbd, GammaGamma

DATA = Path(__file__).parent / "data"
PUBLISHED = BgNbd(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, 0)


def _cdnow_orders() -> pd.DataFrame:
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """Model inputs of the CDNOW sample at the end of the calibration period."""
    return value.customer_inputs(_cdnow_orders(), as_of="1997-09-30")


def _weeks(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        frame["repeat_days"].to_numpy(np.float64),
        frame["span_days"].to_numpy() / 7,
        frame["age_days"].to_numpy() / 7,
    )


# --- published results ------------------------------------------------------------------


def test_purchase_days_of_the_cdnow_log_match_the_published_summary(cdnow):
    summary = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    ours = cdnow.assign(ID=cdnow["customer_id"].astype(int)).merge(summary, on="ID")
    assert len(ours) == len(summary) == 2357
    assert (ours["repeat_days"] == ours["x"]).all()
    # the summary rounds weeks to two decimals
    assert np.abs(ours["span_days"] / 7 - ours["t_x"]).max() <= 0.005
    assert np.abs(ours["age_days"] / 7 - ours["T"]).max() <= 0.005
    repeat = ours["x"] > 0
    zbar_gap = np.abs(ours.loc[repeat, "mean_repeat_spend"] - ours.loc[repeat, "zbar"])
    assert zbar_gap.max() <= 0.005 + 1e-9
    assert ours.loc[~repeat, "mean_repeat_spend"].isna().all()


def test_bgnbd_fit_reproduces_the_published_cdnow_estimates(cdnow):
    fit = value.fit_bgnbd(*_weeks(cdnow))
    assert isinstance(fit, BgNbd)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.n_customers == 2357


def test_the_worked_example_expects_1_226_purchases_in_39_weeks():
    got = value.expected_purchases(PUBLISHED, 39, 2, 30.43, 38.86)
    assert got[0] == pytest.approx(1.226, abs=5e-4)


def test_unconditional_expectation_matches_the_published_spreadsheet(cdnow):
    fit = value.fit_bgnbd(*_weeks(cdnow))
    assert isinstance(fit, BgNbd)
    weeks = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    sheet = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    got = value.expected_purchases(fit, weeks, 0, 0, 0)
    np.testing.assert_allclose(got, sheet, atol=6e-4)


def test_gamma_gamma_fit_reproduces_the_published_cdnow_estimates(cdnow):
    fit = value.fit_gamma_gamma(cdnow["repeat_days"], cdnow["mean_repeat_spend"])
    assert isinstance(fit, GammaGamma)
    assert fit.n_customers == 946
    assert fit.p == pytest.approx(6.25, rel=0.01)
    assert fit.q == pytest.approx(3.74, rel=0.01)
    assert fit.v == pytest.approx(15.44, rel=0.01)
    # the fitted log-likelihood is the maximum: the published values score no higher
    published = value.gamma_gamma_log_likelihood(
        (6.25, 3.74, 15.44),
        cdnow["repeat_days"][cdnow["repeat_days"] > 0],
        cdnow["mean_repeat_spend"].dropna(),
    ).sum()
    assert published <= fit.log_likelihood < published + 0.1


# --- formulas ---------------------------------------------------------------------------------


def test_purchase_days_merge_same_day_orders_and_leave_refunds_out():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B", "C", "C"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",
                    "2024-01-11",
                    "2024-01-21",
                    "2024-01-05",
                    "2024-01-02",
                    "2024-01-09",
                ]
            ),
            "amount": [10.0, 5.0, 20.0, -20.0, 7.0, 3.0, 4.0],
        }
    )
    got = value.customer_inputs(orders, as_of="2024-01-31")
    expected = pd.DataFrame(
        {
            "customer_id": pd.Series(["A", "B", "C"], dtype=str),
            "repeat_days": np.array([1, 0, 1], dtype=np.int64),
            "span_days": [10.0, 0.0, 7.0],
            "age_days": [30.0, 26.0, 29.0],
            "mean_repeat_spend": [20.0, np.nan, 4.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_gradient_of_the_likelihood_matches_finite_differences(cdnow):
    x, t_x, T = _weeks(cdnow)
    (cx, ctx, cT), w, _ = value._compress(x, t_x / T.mean(), T / T.mean())
    theta = np.log([0.4, 0.2, 0.9, 2.0])
    err = optimize.check_grad(
        lambda th: value._bgnbd_objective(th, cx, ctx, cT, w)[0],
        lambda th: value._bgnbd_objective(th, cx, ctx, cT, w)[1],
        theta,
    )
    assert err < 1e-6


def test_series_and_quadrature_agree_also_at_a_equal_one_and_many_purchases():
    rng = np.random.default_rng(7)
    n = 60
    x = np.r_[rng.integers(0, 30, n - 3), 500, 5000, 0].astype(np.float64)
    T = np.r_[rng.uniform(0, 80, n - 1), 0.0]
    t = rng.uniform(0.5, 60, n)
    for a in (0.3, 0.79, 0.999999, 1.0, 1.000001, 2.5, 40.0):
        for r, b in ((0.24, 2.4), (5.0, 0.3), (40.0, 8.0)):
            model = BgNbd(r, 3.0, a, b, 0.0, 0, 0)
            series = value_series.alive_expectation(model, t, x, T)
            quadrature = value_series.quadrature(model, t, x, T)
            np.testing.assert_allclose(series, quadrature, rtol=1e-8, err_msg=f"{a} {r} {b}")


def test_expected_purchases_are_continuous_through_a_equal_one():
    near = [
        value.expected_purchases(BgNbd(0.5, 3.0, a, 2.0, 0.0, 0, 0), 13, 4, 20, 40)[0]
        for a in (1 - 1e-9, 1.0, 1 + 1e-9)
    ]
    assert max(near) - min(near) < 1e-7
    assert all(math.isfinite(v) and v > 0 for v in near)


def test_five_thousand_purchase_days_give_finite_numbers():
    model = BgNbd(0.243, 4.414, 0.793, 2.426, 0.0, 0, 0)
    x, t_x, T = [5000.0, 5000.0, 1.0], [300.0, 150.0, 0.5], [300.0, 300.0, 300.0]
    alive = value.p_alive(model, x, t_x, T)
    buys = value.expected_purchases(model, 90 / 7, x, t_x, T)
    prob = value.repurchase_probability(model, 90 / 7, x, t_x, T)
    assert np.isfinite(alive).all() and np.isfinite(buys).all() and np.isfinite(prob).all()
    assert alive[0] > 0.99 and alive[1] < 1e-10  # silent for half the history: gone
    assert buys[0] == pytest.approx(5000 / 300 * 90 / 7, rel=0.05)
    assert value.bgnbd_log_likelihood(PUBLISHED_PARAMS, x, t_x, T).size == 3
    assert np.isfinite(value.bgnbd_log_likelihood(PUBLISHED_PARAMS, x, t_x, T)).all()


PUBLISHED_PARAMS = (0.243, 4.414, 0.793, 2.426)


def test_repurchase_bands_have_inclusive_middle_edges():
    bands = value.repurchase_band([0.71, 0.7, 0.5, 0.3, 0.29, np.nan])
    assert list(bands) == ["high", "medium", "medium", "medium", "low", None]


def test_expected_spend_shrinks_own_mean_towards_the_population():
    gg = GammaGamma(6.25, 3.74, 15.44, 0.0, 946, 0)
    population = gg.mean_spend
    one, many = value.expected_spend(gg, [1, 50], [100.0, 100.0])
    assert population < one < many < 100.0
    assert value.expected_spend(gg, 0, np.nan)[0] == pytest.approx(population)


def test_expected_value_discounts_later_months():
    bg = BgNbd(0.243, 4.414, 0.793, 2.426, 0.0, 0, 0)
    gg = GammaGamma(6.25, 3.74, 15.44, 0.0, 946, 0)
    plain = value.expected_value(bg, gg, 2, 30.43, 38.86, 22.35, monthly_discount=0.0)
    discounted = value.expected_value(bg, gg, 2, 30.43, 38.86, 22.35, monthly_discount=0.05)
    year = value.expected_purchases(bg, 365.25 / 7, 2, 30.43, 38.86)
    spend = value.expected_spend(gg, 2, 22.35)
    assert plain[0] == pytest.approx(year[0] * spend[0], rel=1e-9)
    assert 0 < discounted[0] < plain[0]


# --- invariants (property tests) ------------------------------------------------------------

params = st.tuples(
    st.floats(0.01, 50), st.floats(0.05, 200), st.floats(0.01, 50), st.floats(0.01, 50)
)


@st.composite
def histories(draw):
    T = draw(st.floats(0, 500))
    t_x = draw(st.floats(0, 1)) * T
    x = draw(st.integers(0, 5000))
    return float(x), (t_x if x else 0.0), T


@settings(max_examples=200, deadline=None, derandomize=True)
@given(params, histories())
def test_p_alive_is_a_probability(theta, history):
    model = BgNbd(*theta, 0.0, 0, 0)
    alive = value.p_alive(model, *history)[0]
    assert 0.0 <= alive <= 1.0
    prob = value.repurchase_probability(model, 13, *history)[0]
    assert 0.0 <= prob <= alive


@settings(max_examples=40, deadline=None, derandomize=True)
@given(params, histories(), st.floats(0.1, 50), st.floats(0.1, 50))
def test_expected_purchases_grow_with_the_horizon(theta, history, t1, extra):
    model = BgNbd(*theta, 0.0, 0, 0)
    short, long = value.expected_purchases(model, [t1, t1 + extra], *history)
    assert np.isfinite(short) and np.isfinite(long)
    assert 0 <= short <= long * (1 + 1e-9)


def test_duplicating_every_customer_gives_the_same_fit(cdnow):
    x, t_x, T = _weeks(cdnow)
    once = value.fit_bgnbd(x, t_x, T)
    twice = value.fit_bgnbd(np.r_[x, x], np.r_[t_x, t_x], np.r_[T, T])
    assert isinstance(once, BgNbd) and isinstance(twice, BgNbd)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(twice, name) == pytest.approx(getattr(once, name), rel=1e-9)
    assert twice.log_likelihood == pytest.approx(2 * once.log_likelihood, rel=1e-12)
    z = cdnow["mean_repeat_spend"].to_numpy()
    spend_once = value.fit_gamma_gamma(x, z)
    spend_twice = value.fit_gamma_gamma(np.r_[x, x], np.r_[z, z])
    assert isinstance(spend_once, GammaGamma) and isinstance(spend_twice, GammaGamma)
    assert spend_twice.p == pytest.approx(spend_once.p, rel=1e-6)
    assert spend_twice.v == pytest.approx(spend_once.v, rel=1e-6)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    st.tuples(st.floats(0.3, 2.0), st.floats(2.0, 10.0), st.floats(0.5, 2.0), st.floats(1.5, 5.0)),
    st.integers(0, 2**31),
)
def test_parameters_are_recovered_from_simulated_customers(truth, seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    T = rng.uniform(26, 52, n)
    x, t_x, _ = simulate_histories(n, *truth, T, rng)
    fit = value.fit_bgnbd(x, t_x, T)
    assert isinstance(fit, BgNbd), fit
    got = np.array([fit.r, fit.alpha, fit.a, fit.b])
    # 20,000 customers pin r and alpha to a few per cent; a and b less tightly
    np.testing.assert_allclose(got[:2], truth[:2], rtol=0.12)
    np.testing.assert_allclose(got[2:], truth[2:], rtol=0.3)
    # the mean drop-out probability a/(a+b) is what the data really show
    assert fit.a / (fit.a + fit.b) == pytest.approx(truth[2] / (truth[2] + truth[3]), rel=0.1)


def test_simulated_orders_recover_cdnow_parameters_from_purchase_days():
    orders = simulate_orders(
        30_000,
        PUBLISHED_PARAMS,
        (6.25, 3.74, 15.44),
        first_from="2024-01-01",
        first_days=84,
        as_of="2024-09-29",
        seed=11,
    )
    inputs = value.inputs_from_book(prepare_orders(orders, as_of="2024-09-29"))
    model = value.fit_value_model(inputs)
    assert model.reason is None and model.bgnbd and model.gamma_gamma
    np.testing.assert_allclose(
        [model.bgnbd.r, model.bgnbd.alpha, model.bgnbd.a, model.bgnbd.b],
        PUBLISHED_PARAMS,
        rtol=0.15,
    )
    np.testing.assert_allclose(
        [model.gamma_gamma.p, model.gamma_gamma.q, model.gamma_gamma.v],
        (6.25, 3.74, 15.44),
        rtol=0.15,
    )


# --- when the data cannot support a fit --------------------------------------------------------


def _inputs(orders: pd.DataFrame, as_of: str) -> dict[str, np.ndarray]:
    return value.inputs_from_book(prepare_orders(orders, as_of=as_of))


def test_uniform_orders_without_drop_out_stop_with_their_reason():
    rng = np.random.default_rng(3)
    n_orders, n_customers = 200_000, 5_000
    orders = pd.DataFrame(
        {
            "customer_id": pd.Series(rng.integers(0, n_customers, n_orders).astype(str)),
            "order_date": pd.to_datetime("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 900, n_orders), "D"),
            "amount": np.round(rng.lognormal(4, 1, n_orders), 2),
        }
    )
    inputs = _inputs(orders, "2024-06-30")
    model = value.fit_value_model(inputs)
    assert model.bgnbd is None
    assert model.reason in ("no_dropout", "fit_boundary", "no_convergence")
    assert model.reason == "no_dropout"
    scores = value.score_customers(model, inputs)
    assert np.isnan(scores["p_alive"]).all()
    assert "P(alive) is not informative" in value.describe_reason(model.reason, "en")
    assert "存活概率" in value.describe_reason(model.reason, "zh")


def test_no_repeat_purchases_leave_the_columns_blank_with_a_reason():
    orders = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(50)],
            "order_date": pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(50), "D"),
            "amount": np.arange(50) + 1.0,
        }
    )
    inputs = _inputs(orders, "2024-06-30")
    model = value.fit_value_model(inputs)
    assert (model.bgnbd, model.reason) == (None, "no_repeat_purchases")
    scores = value.score_customers(model, inputs)
    assert all(np.isnan(scores[c]).all() for c in ("p_alive", "expected_value"))
    assert (scores["repurchase_band"] == None).all()  # noqa: E711


def test_too_few_repeat_buyers_is_a_reason_not_a_fit():
    days = ["2024-01-01", "2024-02-01"]
    orders = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(5) for _ in days] + ["D1"],
            "order_date": pd.to_datetime(days * 5 + ["2024-03-01"]),
            "amount": [10.0] * 11,
        }
    )
    model = value.fit_value_model(_inputs(orders, "2024-06-30"))
    assert model.reason == "too_few_repeat_buyers"
    assert "20" in value.describe_reason(model.reason)


def test_equal_spend_keeps_purchases_and_blanks_values():
    orders = (
        simulate_orders(
            3_000,
            PUBLISHED_PARAMS,
            (6.25, 3.74, 15.44),
            first_from="2024-01-01",
            first_days=84,
            as_of="2024-09-29",
            seed=5,
        )
        .drop_duplicates(["customer_id", "order_date"])
        .assign(amount=25.0)
    )
    inputs = _inputs(orders, "2024-09-29")
    model = value.fit_value_model(inputs)
    assert model.bgnbd is not None and model.gamma_gamma is None
    assert model.reason == "all_spend_equal"
    scores = value.score_customers(model, inputs)
    assert np.isfinite(scores["p_alive"]).all()
    assert np.isnan(scores["expected_value"]).all()


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_tiny_books_never_crash(rows):
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A"][:rows],
            "order_date": pd.to_datetime(["2024-01-01", "2024-01-05"][:rows]),
            "amount": [5.0, 6.0][:rows],
        }
    )
    inputs = _inputs(orders, "2024-01-31")
    model = value.fit_value_model(inputs)
    assert model.bgnbd is None and model.reason in value.REASONS
    value.score_customers(model, inputs)


def test_turned_off_model_says_so():
    model = value.fit_value_model({}, enabled=False)
    assert model.reason == "off"
