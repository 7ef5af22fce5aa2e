"""Who will buy again and what each customer is worth: the BG/NBD model of
repeat purchasing and the Gamma-Gamma model of spend, fitted by maximum
likelihood on the purchase history up to ``as_of``.

Sources (cited at each formula below):

- [FHL05] Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way:
  An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.
- [FH13n] Fader & Hardie (2013), "Overcoming the BG/NBD Model's #NUM! Error
  Problem" (note 027): the log-likelihood written with a log-sum-exp.
- [FHL05b] Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
  Customer Base Analysis", Journal of Marketing Research 42(4), 415-430.
- [FH13g] Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note 025).

Like those papers, a customer's history is three numbers, counted in
purchase *days* (several orders on one day are one purchase): ``x`` repeat
purchase days, ``t_x`` the time from the first to the last purchase day and
``T`` the time from the first purchase day to ``as_of``. Times are in weeks,
the papers' unit, so fitted parameters compare with the published ones.
The Gamma-Gamma model uses ``x`` and the mean spend of the repeat purchase
days (the first day is left out: a first order often differs).

A fit that the data cannot support gives no numbers, only a reason code
(:data:`REASONS`), and never raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import optimize, special

from xlcrm.core.rfm import (
    OrderBook,
    as_floats,
    compact_key,
    distinct_groups,
    prepare_orders,
    sorted_by_id,
)
from xlcrm.core.value_series import alive_expectation
from xlcrm.locale import N_, t

__all__ = [
    "DAYS_PER_UNIT",
    "KNOWN_MARGIN",
    "REASONS",
    "TIME_UNIT",
    "BgNbd",
    "GammaGamma",
    "ValueModel",
    "bgnbd_log_likelihood",
    "customer_inputs",
    "distinct_histories",
    "expected_margin",
    "expected_purchases",
    "expected_spend",
    "expected_total",
    "expected_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_value_model",
    "gamma_gamma_log_likelihood",
    "inputs_from_book",
    "p_alive",
    "repurchase_band",
    "repurchase_band_label",
    "repurchase_probability",
    "score_customers",
]

TIME_UNIT: Final = "weeks"
DAYS_PER_UNIT: Final = 7.0
DAYS_PER_MONTH: Final = 365.25 / 12
#: Fewest customers with a repeat purchase day for a fit (each model).
MIN_REPEAT_BUYERS: Final = 20
#: Iteration cap of the optimiser; a fit that needs more is not trusted.
MAX_ITERATIONS: Final = 300
# SLSQP rather than L-BFGS-B: on a busy machine L-BFGS-B's threaded BLAS calls
# cost milliseconds per iteration of a four-parameter problem.
# Parameters live on a log scale inside these bounds (times scaled to a mean T
# of 1, spend to a mean of 1); a fit that ends on a bound is a boundary solution.
_LOG_LOW: Final = math.log(1e-5)
_LOG_HIGH: Final = math.log(1e5)
_ON_BOUND: Final = 1e-3

#: Why the model columns are blank (first that applies).
REASONS: Final = (
    "off",  # turned off in Settings
    "no_repeat_purchases",  # nobody bought on a second day
    "too_few_repeat_buyers",  # fewer than MIN_REPEAT_BUYERS customers bought again
    "no_dropout",  # boundary: a -> 0 or b -> inf, nobody seems to leave
    "fit_boundary",  # another parameter ran to the edge of its range
    "no_convergence",  # the optimiser hit its iteration cap
    "all_spend_equal",  # every repeat buyer spends the same: no spend model
    "spend_fit_failed",  # the spend model ran to an edge or has no finite mean
)

REASON_MESSAGES: Final = {
    "off": N_("the value model is turned off in Settings"),
    "no_repeat_purchases": N_(
        "nobody has bought on a second day yet, so there is no repeat buying to learn from"
    ),
    "too_few_repeat_buyers": N_(
        "fewer than {count} customers have bought on a second day: too few to fit the model"
    ),
    "no_dropout": N_("no drop-out visible in this history: P(alive) is not informative"),
    "fit_boundary": N_(
        "the model's fit ran to the edge of its range, so its numbers would not mean anything"
    ),
    "no_convergence": N_("the model's fit did not settle within {count} steps"),
    "all_spend_equal": N_(
        "every repeat buyer spends the same amount, so spend cannot be modelled: "
        "expected values are left blank"
    ),
    "spend_fit_failed": N_(
        "the spend model found no stable fit (spend varies too wildly or too little): "
        "expected values are left blank"
    ),
}


def describe_reason(code: str | None, lang: str = "en") -> str | None:
    """The reason code in words, in ``lang`` (``"en"`` or ``"zh"``)."""
    if code is None:
        return None
    count = MAX_ITERATIONS if code == "no_convergence" else MIN_REPEAT_BUYERS
    return t(REASON_MESSAGES[code], lang, count=count)


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters; ``alpha`` is in :data:`TIME_UNIT`."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    iterations: int


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters; ``v`` is in money."""

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int
    iterations: int

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase, p v / (q - 1) [FH13g]."""
        return self.p * self.v / (self.q - 1)


@dataclass(frozen=True)
class ValueModel:
    """Both fits, or the reason why a fit is missing.

    ``bgnbd`` is set when purchases could be modelled, ``gamma_gamma`` when
    spend could too; ``reason`` (one of :data:`REASONS`) says why not.
    """

    bgnbd: BgNbd | None
    gamma_gamma: GammaGamma | None
    reason: str | None


#: The model when it is turned off.
MODEL_OFF: Final = ValueModel(None, None, "off")


# --- inputs: orders -> purchase days ------------------------------------------------------


def inputs_from_book(book: OrderBook) -> dict[str, np.ndarray]:
    """Model inputs per customer code of ``book`` (arrays of ``book.n_customers``).

    ``repeat_days`` (x), ``span_days`` (t_x, first to last purchase day),
    ``age_days`` (T, first purchase day to as_of) and ``mean_repeat_spend``
    (mean spend of the repeat purchase days; NaN without one). A purchase
    day is a day with an order of amount >= 0; its spend is the sum of those
    orders, in cents. Refunds are not purchases. Customers without a
    purchase get x = 0 and NaN times.
    """
    n = book.n_customers
    buy = book.purchase
    code, day = book.code[buy], book.day[buy]
    cents = np.round(book.amount[buy] * 100.0)
    out = {
        "repeat_days": np.zeros(n, dtype=np.int64),
        "span_days": np.full(n, np.nan),
        "age_days": np.full(n, np.nan),
        "mean_repeat_spend": np.full(n, np.nan),
    }
    if not code.size:
        return out
    lo = int(day.min())
    span = int(day.max()) - lo + 1
    key, where = np.unique(compact_key(code, span, day - lo, n), return_inverse=True)
    day_cents = np.bincount(where, weights=cents, minlength=key.size)
    who, when = key // span, key % span + lo
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    ends = np.r_[starts[1:], who.size] - 1
    owner = who[starts]
    days = ends - starts + 1
    total = np.add.reduceat(day_cents, starts)
    repeat_cents = total - day_cents[starts]
    out["repeat_days"][owner] = days - 1
    out["span_days"][owner] = (when[ends] - when[starts]).astype(np.float64)
    out["age_days"][owner] = (book.as_of_day - when[starts]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_repeat_spend"][owner] = np.where(
            days > 1, repeat_cents / np.maximum(days - 1, 1) / 100.0, np.nan
        )
    return out


def customer_inputs(orders: pd.DataFrame, *, as_of: Any) -> pd.DataFrame:
    """The model's inputs per customer with a purchase, sorted by ``customer_id``.

    Columns ``customer_id``, ``repeat_days``, ``span_days``, ``age_days``,
    ``mean_repeat_spend`` (see :func:`inputs_from_book`).
    """
    book = prepare_orders(orders, as_of=as_of)
    columns = inputs_from_book(book)
    frame = sorted_by_id(book.ids, columns)
    return frame[frame["age_days"].notna()].reset_index(drop=True)


def _dot(a: Any, b: Any) -> float:
    """Dot product without BLAS: a multi-threaded BLAS dot on a busy machine can
    take milliseconds of thread hand-over for what is microseconds of work."""
    return float(np.einsum("i,i->", a, b))


def _floats(values: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


# --- BG/NBD --------------------------------------------------------------------------------


def _bgnbd_terms(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln A, ln B1, ln B2 with ln L = ln A + ln(exp(ln B1) + [x>0] exp(ln B2)).

    ``groups`` is ``np.unique(x, return_inverse=True)`` when already known.
    """
    r, alpha, a, b = params
    ux, xi = np.unique(x, return_inverse=True) if groups is None else groups
    # [FHL05] eq. 6, in logs as in [FH13n] eq. 3:
    # L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (a+T)^(r+x))
    #     + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) a^r / (G(r) (a+t_x)^(r+x))
    # The special functions depend on x only: evaluated once per distinct x.
    ln_a = (special.gammaln(r + ux) - special.gammaln(r) + r * np.log(alpha))[xi]
    beta_ab = special.betaln(a, b)
    ln_b1 = (special.betaln(a, b + ux) - beta_ab)[xi] - (r + x) * np.log(alpha + T)
    with np.errstate(invalid="ignore"):
        b2 = np.where(ux > 0, special.betaln(a + 1, b + ux - 1) - beta_ab, -np.inf)[xi]
    ln_b2 = np.where(x > 0, b2 - (r + x) * np.log(alpha + np.where(x > 0, t_x, T)), -np.inf)
    return ln_a, ln_b1, ln_b2


def bgnbd_log_likelihood(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under (r, alpha, a, b)."""
    x, t_x, T = np.broadcast_arrays(_floats(x), _floats(t_x), _floats(T))
    ln_a, ln_b1, ln_b2 = _bgnbd_terms(_floats(params), x, t_x, T)
    out: np.ndarray = ln_a + np.logaddexp(ln_b1, ln_b2)
    return out


def _bgnbd_objective(
    theta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in log-parameters."""
    params = np.exp(theta)
    r, alpha, a, b = params
    groups = np.unique(x, return_inverse=True) if groups is None else groups
    ln_a, ln_b1, ln_b2 = _bgnbd_terms(params, x, t_x, T, groups)
    both = np.logaddexp(ln_b1, ln_b2)
    w1 = np.exp(ln_b1 - both)
    w2 = 1.0 - w1
    repeat = x > 0
    ux, xi = groups
    dg = special.digamma
    ab = dg(a + b)
    abx = dg(a + b + ux)[xi]
    tx_safe = np.where(repeat, t_x, T)
    log_t, log_tx = np.log(alpha + T), np.log(alpha + tx_safe)
    # derivatives of ln A, ln B1, ln B2 (w2 is 0 where x = 0)
    d_r = (dg(r + ux) - dg(r))[xi] + math.log(alpha) - w1 * log_t - w2 * log_tx
    d_alpha = r / alpha - (r + x) * (w1 / (alpha + T) + w2 / (alpha + tx_safe))
    d_a = w1 * (ab - abx) + w2 * (dg(a + 1) - abx - dg(a) + ab)
    d_b = w1 * (dg(b + ux)[xi] - abx - dg(b) + ab) + w2 * (
        dg(np.where(ux > 0, b + ux - 1, b))[xi] - abx - dg(b) + ab
    )
    total = w.sum()
    value = -float(_dot(w, ln_a + both)) / total
    grad = -np.array([_dot(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * params / total
    return value, grad


def _compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the columns, their counts, and where each row went."""
    n = columns[0].size
    if n == 0:
        return [c[:0] for c in columns], np.zeros(0), np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for column in columns:
        ordered = column[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    group = np.cumsum(new) - 1
    where = np.empty(n, dtype=np.int64)
    where[order] = group
    firsts = order[new]
    counts = np.bincount(group).astype(np.float64)
    return [c[firsts] for c in columns], counts, where


def _on_bound(theta: np.ndarray) -> np.ndarray:
    return np.asarray((theta <= _LOG_LOW + _ON_BOUND) | (theta >= _LOG_HIGH - _ON_BOUND))


def fit_bgnbd(x: Any, t_x: Any, T: Any) -> BgNbd | str:
    """Maximum-likelihood BG/NBD fit, or a reason code (:data:`REASONS`).

    Parameters
    ----------
    x, t_x, T
        Repeat purchases, time of the last one and age, per customer, in
        :data:`TIME_UNIT`. Customers with a missing or negative age are left out.

    The optimiser works on log-parameters with times scaled to a mean age of
    one, inside bounds, with at most :data:`MAX_ITERATIONS` iterations. A
    solution on a bound is reported as ``"no_dropout"`` when it is the
    drop-out side (a -> 0 or b -> infinity: nobody seems to leave) and as
    ``"fit_boundary"`` otherwise.
    """
    x, t_x, T = np.broadcast_arrays(_floats(x), _floats(t_x), _floats(T))
    keep = np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T) & (T >= 0) & (x >= 0)
    x, t_x, T = x[keep], t_x[keep], T[keep]
    repeaters = int((x > 0).sum())
    if repeaters == 0:
        return "no_repeat_purchases"
    if repeaters < MIN_REPEAT_BUYERS:
        return "too_few_repeat_buyers"
    (cx, ctx, cT), weight, _ = _compress(x, t_x, T)
    return _fit_bgnbd_rows(cx, ctx, cT, weight)


def _fit_bgnbd_rows(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weight: np.ndarray,
    near: BgNbd | None = None,
) -> BgNbd | str:
    """:func:`fit_bgnbd` on distinct histories, ``weight`` customers each (at least one
    repeat); ``near`` is a fit of similar data to start from."""
    scale = float(_dot(weight, T) / weight.sum()) or 1.0
    ctx, cT = t_x / scale, T / scale
    rate = float(_dot(weight, x) / max(_dot(weight, cT), 1e-12))
    guess = [1.0, 1.0 / max(rate, 1e-4), 1.0, 1.0]
    if near is not None:
        guess = [near.r, near.alpha / scale, near.a, near.b]
    start = np.clip(np.log(guess), _LOG_LOW + 1, _LOG_HIGH - 1)
    result = optimize.minimize(
        _bgnbd_objective,
        start,
        args=(x, ctx, cT, weight, np.unique(x, return_inverse=True)),
        jac=True,
        method="SLSQP",
        bounds=[(_LOG_LOW, _LOG_HIGH)] * 4,
        options={"maxiter": MAX_ITERATIONS, "ftol": 1e-14},
    )
    theta = np.asarray(result.x)
    bound = _on_bound(theta)
    if (bound[2] and theta[2] < 0) or (bound[3] and theta[3] > 0):
        return "no_dropout"
    if bound.any():
        return "fit_boundary"
    if not result.success or not np.isfinite(result.fun):
        return "no_convergence"
    r, alpha, a, b = np.exp(theta)
    alpha *= scale
    ll = _dot(weight, bgnbd_log_likelihood((r, alpha, a, b), x, t_x, T))
    n = round(float(weight.sum()))
    return BgNbd(float(r), float(alpha), float(a), float(b), ll, n, int(result.nit))


def p_alive(model: BgNbd, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T): the chance the customer has not dropped out."""
    x, t_x, T = _floats(x), _floats(t_x), _floats(T)
    m = model
    with np.errstate(divide="ignore", invalid="ignore"):
        # [FHL05] eq. 13: P = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)),
        # as a logistic of the log odds so that large x never overflows.
        log_odds = (
            np.log(m.a)
            - np.log(m.b + x - 1)
            + (m.r + x) * (np.log(m.alpha + T) - np.log(m.alpha + t_x))
        )
        out: np.ndarray = np.where(x > 0, special.expit(-log_odds), 1.0)
    return np.where(np.isfinite(x + t_x + T), out, np.nan)


def _expectation_grid(
    model: BgNbd, horizons: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T] for every customer (rows) and horizon t > 0."""
    (cx, cT), _, where = _compress(x, T)
    k = horizons.size
    flat = alive_expectation(model, np.tile(horizons, cx.size), np.repeat(cx, k), np.repeat(cT, k))
    return flat.reshape(cx.size, k)[where]


def expected_purchases(model: BgNbd, t: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Expected purchases in the next ``t`` (weeks) given the history, [FHL05] eq. 10."""
    t, x, t_x, T = np.broadcast_arrays(_floats(t), _floats(x), _floats(t_x), _floats(T))
    alive = p_alive(model, x, t_x, T)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(alive) & np.isfinite(t) & (t >= 0)
    zero = ok & (t == 0)
    out[zero] = 0.0
    go = ok & (t > 0)
    if go.any():
        (cx, cT, ct), _, where = _compress(x[go], T[go], t[go])
        out[go] = alive[go] * alive_expectation(model, ct, cx, cT)[where]
    return out


def repurchase_probability(model: BgNbd, t: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(at least one purchase in the next ``t`` weeks | history).

    Alive at T, the next purchase comes at rate lambda (drop-out happens only
    just after a purchase, [FHL05] sec. 2), and lambda | data, alive ~
    Gamma(r+x, alpha+T) ([FHL05] sec. 3), so
    P = P(alive) (1 - ((alpha+T)/(alpha+T+t))^(r+x)).
    """
    t, x, t_x, T = np.broadcast_arrays(_floats(t), _floats(x), _floats(t_x), _floats(T))
    alive = p_alive(model, x, t_x, T)
    log_none = (model.r + x) * (np.log(model.alpha + T) - np.log(model.alpha + T + t))
    return np.asarray(alive * -np.expm1(log_none))


BAND_LABELS: Final = {
    "high": N_("high (over 70%)"),
    "medium": N_("medium (30% to 70%)"),
    "low": N_("low (under 30%)"),
}


def repurchase_band_label(code: str, lang: str = "en") -> str:
    """The band's name with its edges, in ``lang``."""
    return t(BAND_LABELS[code], lang)


def repurchase_band(probability: Any) -> np.ndarray:
    """``"high"`` above 0.7, ``"medium"`` from 0.3 to 0.7 inclusive, ``"low"`` below 0.3."""
    p = _floats(probability)
    with np.errstate(invalid="ignore"):
        band = np.select([p > 0.7, p >= 0.3, p < 0.3], ["high", "medium", "low"], "")
    out = band.astype(object)
    out[out == ""] = None
    return out


# --- Gamma-Gamma ------------------------------------------------------------------------


def gamma_gamma_log_likelihood(params: Any, x: Any, mean_spend: Any) -> np.ndarray:
    """Log-likelihood of each repeat buyer's mean spend under (p, q, v)."""
    p, q, v = _floats(params)
    x, z = np.broadcast_arrays(_floats(x), _floats(mean_spend))
    px = p * x
    # [FH13g] eq. 4 (the density of the mean of x gamma(p, nu) spends, nu ~ gamma(q, v)):
    # ln f = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln z + px ln x - (px+q) ln(v + x z)
    out: np.ndarray = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(z)
        + px * np.log(x)
        - (px + q) * np.log(v + x * z)
    )
    return out


@dataclass(frozen=True)
class _SpendRows:
    """Repeat buyers for the Gamma-Gamma fit, with the sums that do not depend on (p, q, v)."""

    x: np.ndarray
    z: np.ndarray
    ux: np.ndarray  # distinct x
    wx: np.ndarray  # customers per distinct x
    sum_x_log_xz: float  # sum of x (ln x + ln z)
    sum_log_z: float
    n: int


def _gg_objective(theta: np.ndarray, rows: _SpendRows) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of [FH13g] eq. 4 and its gradient in log-parameters.

    The gamma functions depend on x only and are evaluated once per distinct x.
    """
    p, q, v = np.exp(theta)
    pux = p * rows.ux
    lvz = np.log(v + rows.x * rows.z)
    ll = (
        _dot(rows.wx, special.gammaln(pux + q) - special.gammaln(pux))
        - rows.n * special.gammaln(q)
        + rows.n * q * math.log(v)
        + p * rows.sum_x_log_xz
        - rows.sum_log_z
        - _dot(p * rows.x + q, lvz)
    )
    dg = special.digamma
    d_p = _dot(rows.wx * rows.ux, dg(pux + q) - dg(pux)) + rows.sum_x_log_xz - _dot(rows.x, lvz)
    d_q = _dot(rows.wx, dg(pux + q)) - rows.n * dg(q) + rows.n * math.log(v) - lvz.sum()
    d_v = rows.n * q / v - np.sum((p * rows.x + q) / (v + rows.x * rows.z))
    grad = -np.array([d_p * p, d_q * q, d_v * v]) / rows.n
    return -float(ll) / rows.n, grad


def fit_gamma_gamma(x: Any, mean_spend: Any) -> GammaGamma | str:
    """Maximum-likelihood Gamma-Gamma fit on repeat buyers, or a reason code.

    Customers with x >= 1 and a positive mean repeat spend take part. Equal
    spends (to the cent) for everyone give ``"all_spend_equal"``; a fit on a
    bound, or with q <= 1 (no finite mean spend), gives ``"spend_fit_failed"``.
    """
    x, z = np.broadcast_arrays(_floats(x), _floats(mean_spend))
    keep = np.isfinite(x) & np.isfinite(z) & (x >= 1) & (z > 0)
    x, z = x[keep], z[keep]
    if x.size < MIN_REPEAT_BUYERS:
        return "too_few_repeat_buyers"
    cents = np.round(z * 100)
    if (cents == cents[0]).all():
        return "all_spend_equal"
    order = np.lexsort((z, x))  # the same fit whatever the order of the customers
    x, z = x[order], z[order]
    scale = float(z.mean())
    zs = z / scale
    ux, wx = np.unique(x, return_counts=True)
    rows = _SpendRows(
        x,
        zs,
        ux,
        wx.astype(np.float64),
        float(_dot(x, np.log(x) + np.log(zs))),
        float(np.log(zs).sum()),
        int(x.size),
    )
    result = optimize.minimize(
        _gg_objective,
        np.zeros(3),
        args=(rows,),
        jac=True,
        method="SLSQP",
        bounds=[(_LOG_LOW, _LOG_HIGH)] * 3,
        options={"maxiter": MAX_ITERATIONS, "ftol": 1e-14},
    )
    theta = np.asarray(result.x)
    if _on_bound(theta).any() or not result.success:
        return "spend_fit_failed"
    p, q, v = np.exp(theta)
    if q <= 1:
        return "spend_fit_failed"
    v *= scale
    ll = float(gamma_gamma_log_likelihood((p, q, v), x, z).sum())
    return GammaGamma(float(p), float(q), float(v), ll, int(x.size), int(result.nit))


def expected_spend(model: GammaGamma, x: Any, mean_spend: Any) -> np.ndarray:
    """Expected spend per future purchase day given x repeat days of mean ``mean_spend``.

    [FHL05b] eq. 5 / [FH13g] eq. 5: E(M | p, q, v, z, x) = p (v + x z) / (p x + q - 1),
    a weighted average of the population mean p v / (q - 1) and the
    customer's own mean z. Without a repeat purchase it is the population mean.
    """
    x, z = np.broadcast_arrays(_floats(x), _floats(mean_spend))
    own = (x >= 1) & np.isfinite(z) & (z > 0)
    xs, zs = np.where(own, x, 0.0), np.where(own, z, 0.0)
    out: np.ndarray = model.p * (model.v + xs * zs) / (model.p * xs + model.q - 1)
    return np.where(np.isfinite(x), out, np.nan)


def _month_ends(months: int) -> np.ndarray:
    return np.arange(1, months + 1) * DAYS_PER_MONTH / DAYS_PER_UNIT


def _discounted(cumulative: np.ndarray, monthly_discount: float) -> np.ndarray:
    """Sum over months of the month's expected purchases / (1 + rate)^month."""
    per_month = np.diff(cumulative, axis=1, prepend=0.0)
    factor = (1.0 + monthly_discount) ** -np.arange(1, cumulative.shape[1] + 1)
    return np.asarray(np.einsum("ij,j->i", per_month, factor))


def expected_value(
    model: BgNbd,
    spend: GammaGamma,
    x: Any,
    t_x: Any,
    T: Any,
    mean_spend: Any,
    *,
    months: int = 12,
    monthly_discount: float = 0.0,
) -> np.ndarray:
    """Discounted expected spend over the next ``months`` months.

    sum over m = 1..months of (E[purchases by the end of month m] - E[by the
    end of month m-1]) x expected spend / (1 + monthly_discount)^m, months of
    365.25/12 days (the monthly form of the CLV sum in [FHL05b]).
    """
    x, t_x, T = np.broadcast_arrays(_floats(x), _floats(t_x), _floats(T))
    alive = p_alive(model, x, t_x, T)
    ok = np.isfinite(alive)
    out = np.full(x.shape, np.nan)
    if ok.any():
        grid = _expectation_grid(model, _month_ends(months), x[ok], T[ok]) * alive[ok, None]
        out[ok] = _discounted(grid, monthly_discount)
    return out * expected_spend(spend, x, mean_spend)


#: Where a margin counts as known (:func:`xlcrm.core.relationship.customer_margins`):
#: given, revenue minus cost, or the customer's own rate; not the default rate.
KNOWN_MARGIN: Final = ("margin", "cost", "rate")


def expected_margin(expected: Any, margin: Any, revenue: Any, source: Any) -> np.ndarray:
    """Expected value in margin: each customer's expected value times its margin
    share of the net revenue so far (margin / revenue).

    Blank (NaN) where the margin is not known for that customer (``source`` not
    in :data:`KNOWN_MARGIN`: one default rate for everyone would only rescale the
    expected value), where the revenue so far is not positive, or without an
    expected value. A loss-making customer gets a negative expected margin.
    """
    worth, earned, sales = as_floats(expected), as_floats(margin), as_floats(revenue)
    known = np.isin(np.asarray(source, dtype=object), KNOWN_MARGIN)
    ok = known & (sales > 0) & np.isfinite(earned) & np.isfinite(worth)
    out = np.full(worth.shape, np.nan)
    out[ok] = np.round(worth[ok] * earned[ok] / sales[ok], 2)
    return out


# --- all at once --------------------------------------------------------------------------


Histories = tuple[np.ndarray, ...]


def distinct_histories(inputs: dict[str, np.ndarray]) -> Histories:
    """Customers with a purchase, grouped by identical (x, t_x, T) in whole days.

    Returns the positions of those customers, x, t_x and T (days) of each
    distinct history, customers per history and the history of each customer.
    Pass it on to :func:`fit_value_model`, :func:`score_customers` and
    :func:`expected_total` to group once.
    """
    idx = np.flatnonzero(np.isfinite(inputs["age_days"]))
    x = inputs["repeat_days"][idx].astype(np.int64)
    span = inputs["span_days"][idx].astype(np.int64)
    age = inputs["age_days"][idx].astype(np.int64)
    width = int(age.max()) + 1 if age.size else 1
    where, counts, first = distinct_groups((x * width + span) * width + age)
    return (
        idx,
        x[first].astype(np.float64),
        span[first].astype(np.float64),
        age[first].astype(np.float64),
        counts.astype(np.float64),
        where.ravel(),
    )


def fit_value_model(
    inputs: dict[str, np.ndarray],
    *,
    enabled: bool = True,
    histories: Histories | None = None,
    near: BgNbd | None = None,
) -> ValueModel:
    """Both fits from :func:`inputs_from_book` arrays (days), or the reason why not.

    ``near``: a BG/NBD fit of similar data to start the optimiser from.
    """
    if not enabled:
        return MODEL_OFF
    _, x, span, age, counts, _ = histories or distinct_histories(inputs)
    repeaters = counts[x > 0].sum()
    if repeaters == 0:
        return ValueModel(None, None, "no_repeat_purchases")
    if repeaters < MIN_REPEAT_BUYERS:
        return ValueModel(None, None, "too_few_repeat_buyers")
    bg = _fit_bgnbd_rows(x, span / DAYS_PER_UNIT, age / DAYS_PER_UNIT, counts, near)
    if isinstance(bg, str):
        return ValueModel(None, None, bg)
    gg = fit_gamma_gamma(inputs["repeat_days"], inputs["mean_repeat_spend"])
    if isinstance(gg, str):
        return ValueModel(bg, None, gg)
    return ValueModel(bg, gg, None)


def expected_total(
    model: BgNbd,
    inputs: dict[str, np.ndarray],
    horizons: Any,
    *,
    histories: Histories | None = None,
) -> np.ndarray:
    """Expected purchase days of all customers together within each horizon (weeks)."""
    _, x, span, age, counts, _ = histories or distinct_histories(inputs)
    t_x, T = span / DAYS_PER_UNIT, age / DAYS_PER_UNIT
    alive = p_alive(model, x, t_x, T)
    grid = _expectation_grid(model, _floats(horizons), x, T) * alive[:, None]
    return np.asarray(np.einsum("i,ij->j", counts, grid))


#: Columns of :func:`score_customers`.
SCORE_COLUMNS: Final = (
    "p_alive",
    "expected_purchases",
    "repurchase_prob",
    "repurchase_band",
    "expected_aov",
    "expected_value",
)


def score_customers(
    model: ValueModel,
    inputs: dict[str, np.ndarray],
    *,
    horizon_days: float = 90,
    monthly_discount: float = 0.01,
    months: int = 12,
    histories: Histories | None = None,
) -> dict[str, np.ndarray]:
    """Per-customer numbers for :data:`SCORE_COLUMNS` (NaN / None where the model is missing).

    ``expected_purchases`` and ``repurchase_prob`` are for the next
    ``horizon_days``; ``expected_value`` is the discounted expected spend
    over ``months`` months. Customers without a purchase stay blank.
    """
    n = inputs["repeat_days"].size
    out: dict[str, np.ndarray] = {name: np.full(n, np.nan) for name in SCORE_COLUMNS}
    out["repurchase_band"] = np.full(n, None, dtype=object)
    bg = model.bgnbd
    if bg is None:
        return out
    # customers with the same history get the same numbers: work on distinct histories
    idx, x, span, age, _, where = histories or distinct_histories(inputs)
    t_x, T = span / DAYS_PER_UNIT, age / DAYS_PER_UNIT
    t = horizon_days / DAYS_PER_UNIT
    alive = p_alive(bg, x, t_x, T)
    gg = model.gamma_gamma
    horizons = np.r_[t, _month_ends(months)] if gg is not None else np.array([t])
    grid = _expectation_grid(bg, horizons, x, T) * alive[:, None]
    prob = repurchase_probability(bg, t, x, t_x, T)
    out["p_alive"][idx] = alive[where]
    out["expected_purchases"][idx] = grid[where, 0]
    out["repurchase_prob"][idx] = prob[where]
    out["repurchase_band"][idx] = repurchase_band(prob)[where]
    if gg is not None:
        spend = inputs["mean_repeat_spend"][idx]
        aov = expected_spend(gg, inputs["repeat_days"][idx], spend)
        out["expected_aov"][idx] = aov
        out["expected_value"][idx] = _discounted(grid[:, 1:], monthly_discount)[where] * aov
    return out
