"""The range model of `amm.analytics.ranges` written as the straightforward per-step Python loop.

It is the specification the fast engine is tested against (equal to ~1e-9 relative) and the baseline the
benchmark reports its speed-up over. Deliberately plain: floats, `math`, one step and one range at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.ranges import METRICS, PathIs, RangeSpec


def _amounts(price: float, liq: float, pa: float, pb: float) -> tuple[float, float]:
    s = min(max(math.sqrt(price), math.sqrt(pa)), math.sqrt(pb))
    inv_b = 0.0 if math.isinf(pb) else 1.0 / math.sqrt(pb)
    return liq * (1.0 / s - inv_b), liq * (s - math.sqrt(pa))


def _other_liquidity(profile: LiquidityProfile | None, price: float) -> float:
    if profile is None:
        return 0.0
    edges = profile.edges
    for i in range(len(profile.liquidity)):
        if edges[i] <= price < edges[i + 1]:
            return float(profile.liquidity[i])
    return 0.0


def naive_path_metrics(
    path: Sequence[float],
    ranges: Sequence[RangeSpec],
    *,
    fee: float,
    capital: float,
    profile: LiquidityProfile | None = None,
    noise_volume: Sequence[float] | float | None = None,
    path_is: PathIs = "reference",
    protocol_fee_share: float = 0.0,
    time_weights: Sequence[float] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Same outputs as `RangeEngine.path_metrics`, computed step by step for each range."""
    p = [float(x) for x in path]
    n = len(p) - 1
    if noise_volume is None:
        vol = [0.0] * n
    elif isinstance(noise_volume, int | float):
        vol = [float(noise_volume)] * n
    else:
        vol = [float(v) for v in noise_volume]
    w = [1.0] * n if time_weights is None else [float(x) for x in time_weights]
    # pool price: follows the reference through the fee band, one arbitrage per step
    if path_is == "reference" and fee > 0:
        q = [p[0]]
        for t in range(1, n + 1):
            q.append(min(max(q[-1], p[t] * (1.0 - fee)), p[t] / (1.0 - fee)))
    else:
        q = list(p)
    g = fee / (1.0 - fee) * (1.0 - protocol_fee_share)
    h = fee * (1.0 - protocol_fee_share)
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    for r in ranges:
        pa, pb = r.lower, r.upper
        sa, sb = math.sqrt(pa), math.sqrt(pb)
        x1, y1 = _amounts(p[0], 1.0, pa, pb)
        liq = capital / (x1 * p[0] + y1)
        fee0 = fee1 = noise0 = noise1 = rebal = 0.0
        time_in = 0.0
        for t in range(1, n + 1):
            q_prev = q[t - 1]
            if pa <= q_prev < pb:
                time_in += w[t - 1]
                if vol[t - 1] > 0:
                    share = liq / (liq + _other_liquidity(profile, q_prev))
                    noise1 += h * vol[t - 1] / 2.0 * share
                    noise0 += h * vol[t - 1] / (2.0 * q_prev) * share
            a, b = math.sqrt(q_prev), math.sqrt(q[t])
            if b > a:
                fee1 += g * liq * max(0.0, min(b, sb) - max(a, sa))
            elif b < a:
                ua, ub = 1.0 / a, 1.0 / b
                hi = math.inf if pa == 0 else 1.0 / sa
                lo = 0.0 if math.isinf(pb) else 1.0 / sb
                fee0 += g * liq * max(0.0, min(ub, hi) - max(ua, lo))
            x_prev = _amounts(p[t - 1], liq, pa, pb)[0]
            rebal += x_prev * (p[t] - p[t - 1])
        pt, qt = p[n], q[n]
        xq, yq = _amounts(qt, liq, pa, pb)
        v_t = xq * pt + yq
        xr, yr = _amounts(pt, liq, pa, pb)
        lvr = rebal - (xr * pt + yr - capital)
        x0, y0 = _amounts(p[0], liq, pa, pb)
        hodl = x0 * pt + y0
        fees_arb = fee1 + fee0 * pt
        fees_noise = noise1 + noise0 * pt
        fees = fees_arb + fees_noise
        row = {
            "fees": fees,
            "fees_arb": fees_arb,
            "fees_noise": fees_noise,
            "lvr": lvr,
            "il": v_t / hodl - 1.0,
            "pnl": v_t + fees - capital,
            "pnl_vs_hodl": v_t + fees - hodl,
            "pnl_vs_rebalancing": v_t + fees - capital - rebal,
            "time_in_range": time_in / sum(w),
            "final_value": v_t + fees,
        }
        for m in METRICS:
            out[m].append(row[m])
    return {m: np.array(v) for m, v in out.items()}
