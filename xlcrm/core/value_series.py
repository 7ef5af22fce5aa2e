"""E[purchases in the next t | alive]: the BG/NBD conditional expectation,
evaluated so that it stays finite and accurate for every fitted model.

The closed form ([FHL05] eq. 10) holds a Gaussian hypergeometric function
and a factor 1/(a-1); for many purchases its series first grows for
thousands of terms, and near a = 1 it is 0/0. Two series forms (one of
them after Euler's transformation, where the 0/0 cancels exactly), summed
in plain floating point or in logs, and a tanh-sinh quadrature as the
fallback, keep it within about 1e-10 of 40-digit arithmetic. Used by
:mod:`xlcrm.core.value`; [FHL05] is cited there.
"""

from __future__ import annotations

import math
from typing import Final, Protocol

import numpy as np
from scipy import special

__all__ = ["alive_expectation", "quadrature"]


class Params(Protocol):
    """BG/NBD parameters (``xlcrm.core.value.BgNbd``)."""

    @property
    def r(self) -> float: ...
    @property
    def alpha(self) -> float: ...
    @property
    def a(self) -> float: ...
    @property
    def b(self) -> float: ...


def _series_log(
    log_first: np.ndarray,
    sign_first: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    log_z: np.ndarray,
    k0: int,
    max_terms: int = 200_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum of a hypergeometric-type series in log space.

    Term k0 is ``sign_first * exp(log_first)``; each next term is the
    previous times (a+k)(b+k)/((c+k)(k+1)) z, k = k0, k0+1, ... (c+k > 0).
    Returns log|sum|, sign(sum) and log(sum of |terms|) (for the caller's
    cancellation check); NaN where the series did not converge in ``max_terms``.
    """
    n = log_first.size
    scale = log_first.copy()  # running sums are stored times exp(-scale)
    signed = sign_first.astype(np.float64)
    absolute = np.where(sign_first != 0, 1.0, 0.0)
    log_term = log_first.copy()
    sign = sign_first.astype(np.float64)
    z = np.exp(log_z)
    active = np.flatnonzero(sign_first != 0)
    k = k0
    while active.size and k < k0 + max_terms:
        aa, bb, cc = a[active] + k, b[active] + k, c[active] + k
        with np.errstate(divide="ignore"):
            step = np.log(np.abs(aa)) + np.log(np.abs(bb)) - np.log(cc) - math.log(k + 1)
        log_term[active] += step + log_z[active]
        sign[active] *= np.sign(aa) * np.sign(bb)
        lt, sc = log_term[active], scale[active]
        grow = lt > sc
        shift = np.where(grow, sc - lt, 0.0)
        signed[active] *= np.exp(shift)
        absolute[active] *= np.exp(shift)
        sc = np.where(grow, lt, sc)
        scale[active] = sc
        part = np.exp(lt - sc)
        signed[active] += sign[active] * part
        absolute[active] += np.where(sign[active] != 0, part, 0.0)
        # tail after this term < term * q / (1 - q), q the largest later ratio
        # Once every factor is positive the ratio moves monotonically towards z.
        ratio = np.exp(step + log_z[active])
        q = np.maximum(np.minimum(ratio, 0.999999), z[active])
        with np.errstate(divide="ignore"):
            tail = lt + np.log(q) - np.log1p(-q)
        settled = (aa > 0) & (bb > 0) & (ratio < 1)
        done = (sign[active] == 0) | (settled & (tail < sc + np.log(absolute[active]) - 38))
        active = active[~done]
        k += 1
    log_abs_sum = scale + np.log(absolute)
    with np.errstate(divide="ignore"):
        log_sum = scale + np.log(np.abs(signed))
    unconverged = np.zeros(n, dtype=bool)
    unconverged[active] = True
    log_sum[unconverged] = np.nan
    return log_sum, np.sign(signed), log_abs_sum


def _series(
    log_first: np.ndarray,
    sign_first: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    log_z: np.ndarray,
    k0: int,
    max_terms: int = 200_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_series_log` computed in plain floating point where that cannot overflow.

    Terms are multiplied out eight at a time over all rows that are still
    summing; rows whose terms grow past 1e250 are handed to :func:`_series_log`.
    """
    n = log_first.size
    log_sum = np.full(n, np.nan)
    sign_sum = np.zeros(n)
    log_abs = np.full(n, -np.inf)
    zero = sign_first == 0
    log_sum[zero] = -np.inf
    big = ~zero & (log_first > 500)
    rows = np.flatnonzero(~zero & ~big)
    term = sign_first[rows] * np.exp(log_first[rows])
    total, absolute = term.copy(), np.abs(term)
    aa, bb, cc = a[rows], b[rows], c[rows]
    z = np.exp(log_z[rows])
    k = k0
    overflow: list[np.ndarray] = []
    while rows.size and k < k0 + max_terms:
        for _ in range(8):
            ratio = (aa + k) * (bb + k) / ((cc + k) * (k + 1)) * z
            term = term * ratio
            total += term
            absolute += np.abs(term)
            k += 1
        # tail after this term < |term| q / (1 - q), q the largest later ratio;
        # once every factor is positive the ratio moves monotonically towards z.
        size = np.abs(ratio)
        q = np.maximum(np.minimum(size, 0.999999), z)
        settled = (aa + k > 0) & (bb + k > 0) & (size < 1)
        done = (term == 0) | (settled & (np.abs(term) * q / (1 - q) <= 1e-17 * absolute))
        blown = ~np.isfinite(absolute) | (absolute > 1e250)
        done &= ~blown
        if done.any():
            at = rows[done]
            with np.errstate(divide="ignore"):
                log_sum[at] = np.log(np.abs(total[done]))
                log_abs[at] = np.log(absolute[done])
            sign_sum[at] = np.sign(total[done])
        if blown.any():
            overflow.append(rows[blown])
        keep = ~done & ~blown
        rows, term, total, absolute = rows[keep], term[keep], total[keep], absolute[keep]
        aa, bb, cc, z = aa[keep], bb[keep], cc[keep], z[keep]
    redo = np.concatenate([np.flatnonzero(big), *overflow])
    if redo.size:
        sub = _series_log(
            log_first[redo], sign_first[redo], a[redo], b[redo], c[redo], log_z[redo], k0, max_terms
        )
        log_sum[redo], sign_sum[redo], log_abs[redo] = sub
    return log_sum, sign_sum, log_abs


# Accept a closed-form evaluation when cancellation cost at most this many digits
# (relative error ~ 1e-16 * 10**digits); otherwise use the other form or quadrature.
_MAX_LOSS: Final = math.log(1e5)


def alive_expectation(model: Params, t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T, x, T].

    Given alive at T, the future is a fresh BG/NBD process with r+x, alpha+T,
    a, b+x ([FHL05] sec. 3, the posterior of lambda and p). Its mean is
    [FHL05] eq. 10 without the P(alive) factor:
        (a+b+x-1)/(a-1) [1 - u^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
        u = (alpha+T)/(alpha+T+t), z = 1 - u.
    Near a = 1 that is 0/0, and for many purchases the 2F1 series first grows
    for thousands of terms. So it is evaluated in one of two forms, in logs:
      form O (away from a = 1), multiplied through by C = a+b+x-1:
        [C (1 - u^(r+x)) - u^(r+x) S_O] / (a-1),
        S_O = sum_{k>=1} (r+x)_k (b+x)_k / ((C+1)_{k-1} k!) z^k;
      form E (Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z),
      which turns u^(r+x) 2F1(...) into u^(a-1) 2F1(a+b-1-r, a-1; C; z) and
      lets the factor (a-1) cancel exactly):
        C (1 - u^(a-1))/(a-1) - u^(a-1) S_E,
        S_E = sum_{k>=1} (a+b-1-r)_k (a)_{k-1} / ((C+1)_{k-1} k!) z^k.
    Elements where both lose too many digits go to quadrature (:func:`_quadrature`).
    """
    m = model
    r1, b1 = m.r + x, m.b + x
    c = m.a + m.b + x - 1
    log_u = np.log(m.alpha + T) - np.log(m.alpha + T + t)
    log_z = np.log(t) - np.log(m.alpha + T + t)
    eps = m.a - 1
    out = np.full(x.shape, np.nan)
    todo = np.ones(x.shape, dtype=bool)
    for form in ("E", "O") if abs(eps) < 0.25 else ("O", "E"):
        idx = np.flatnonzero(todo)
        if not idx.size:
            break
        lu, lz, cc = log_u[idx], log_z[idx], c[idx]
        if form == "O":
            ra, rb = r1[idx], b1[idx]
            first = np.log(ra) + np.log(rb) + lz
            s_log, s_sign, s_abs = _series(first, np.ones(idx.size), ra, rb, cc, lz, 1)
            lead = cc * -np.expm1(ra * lu)
            tail = s_sign * np.exp(ra * lu + s_log)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = (lead - tail) / eps
            size = np.maximum(np.abs(lead), np.exp(ra * lu + s_abs))
            loss = np.log(size) - np.log(np.abs(lead - tail))
        else:
            d = np.full(idx.size, m.a + m.b - 1 - m.r)
            with np.errstate(divide="ignore"):
                first = np.log(np.abs(d)) + lz
            b_e = np.full(idx.size, m.a - 1)
            s_log, s_sign, s_abs = _series(first, np.sign(d), d, b_e, cc, lz, 1)
            s_log = np.where(d == 0, -np.inf, s_log)
            e_lu = eps * lu
            ratio = -lu if eps == 0 else -np.expm1(e_lu) / eps
            lead = cc * ratio
            tail = np.where(d == 0, 0.0, s_sign * np.exp(e_lu + s_log))
            value = lead - tail
            size = np.maximum(np.abs(lead), np.exp(e_lu + s_abs))
            with np.errstate(divide="ignore"):
                loss = np.log(size) - np.log(np.abs(value))
        ok = np.isfinite(value) & (loss <= _MAX_LOSS) & (value >= 0)
        out[idx[ok]] = value[ok]
        todo[idx[ok]] = False
    idx = np.flatnonzero(todo)
    if idx.size:
        out[idx] = quadrature(m, t[idx], x[idx], T[idx])
    return out


def quadrature(model: Params, t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] for p ~ Beta(a, b+x) by tanh-sinh quadrature.

    The individual-level mean of [FHL05] (appendix: E[X(t) | lambda, p] =
    (1 - exp(-lambda p t))/p), averaged over the gamma posterior of lambda in
    closed form and over the beta posterior of p numerically. The double
    exponential rule copes with the p^(a-1) end-point singularity.
    """
    m = model
    h = 1.0 / 64
    s = np.arange(-300, 301) * h  # |s| <= 4.7: nodes reach 1e-40 of either end
    u = np.pi * np.sinh(s)
    log_p = -np.logaddexp(0.0, -u)
    log_q = -np.logaddexp(0.0, u)  # log(1 - p), exact near p = 1
    log_dp = np.log(np.pi * np.cosh(s) * h) + log_p + log_q
    b1 = (m.b + x)[:, None]
    y = (t / (m.alpha + T))[:, None]
    r1 = (m.r + x)[:, None]
    p = np.exp(log_p)[None, :]
    log_w = (m.a - 1) * log_p + (b1 - 1) * log_q + log_dp - special.betaln(m.a, b1)
    # (1 - (1+py)^-r1)/p, with expm1/log1p so that small p y stays exact
    g = -np.expm1(-r1 * np.log1p(p * y)) / p
    return np.asarray((np.exp(log_w) * g).sum(axis=1))
