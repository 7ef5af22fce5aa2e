"""Seeded simulation of the BG/NBD purchase process and Gamma-Gamma spend,
for the value model's tests and benchmark (not part of xlcrm).

The story of [FHL05] sec. 2: each customer buys at a Poisson rate lambda ~
Gamma(r, alpha) (per week) and, after each repeat purchase, leaves for good
with probability p ~ Beta(a, b). Each purchase's spend is Gamma(p_s, nu) with
nu ~ Gamma(q, v) [FH13g].
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_histories(
    n: int, r: float, alpha: float, a: float, b: float, T: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """x, t_x per customer observed for T weeks, and the purchases (who, when) in order."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    T = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,))
    x = np.zeros(n)
    t_x = np.zeros(n)
    now = np.zeros(n)
    events: list[tuple[np.ndarray, np.ndarray]] = []
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / lam[active]
        bought = now[active] <= T[active]
        active = active[bought]
        x[active] += 1
        t_x[active] = now[active]
        events.append((active.copy(), now[active].copy()))
        stays = rng.random(active.size) >= drop[active]
        active = active[stays]
    return x, t_x, events


def simulate_orders(
    n: int,
    params: tuple[float, float, float, float],
    spend: tuple[float, float, float],
    *,
    first_from: str,
    first_days: int,
    as_of: str,
    seed: int,
) -> pd.DataFrame:
    """Orders (customer_id, order_date, amount) of ``n`` customers whose first
    purchase falls uniformly in ``first_days`` days from ``first_from``;
    purchases up to ``as_of``."""
    rng = np.random.default_rng(seed)
    start = np.datetime64(first_from, "D")
    end = np.datetime64(as_of, "D")
    first = start + rng.integers(0, first_days, n).astype("timedelta64[D]")
    T = (end - first).astype(np.float64) / 7.0
    _, _, events = simulate_histories(n, *params, T, rng)
    who = np.concatenate([np.arange(n)] + [w for w, _ in events])
    weeks = np.concatenate([np.zeros(n)] + [t for _, t in events])
    day = first[who] + np.floor(weeks * 7).astype("timedelta64[D]")
    p_s, q, v = spend
    nu = rng.gamma(q, 1.0 / v, n)
    amount = np.round(rng.gamma(p_s, 1.0, who.size) / nu[who], 2)
    ids = np.array([f"S{i:07d}" for i in range(n)], dtype=object)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(ids[who], dtype=str),
            "order_date": day.astype("datetime64[ns]"),
            "amount": amount,
        }
    )
