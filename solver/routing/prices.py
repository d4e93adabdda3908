"""Reference (mid) prices of tokens from the pools themselves: for gas in the output token, and for display.

Each token is priced through the deepest pool that links it to an already priced one, starting from an anchor:
the same rule `amm pools` uses for USD values, but in raw units of any anchor token and without fees.
"""

from __future__ import annotations

import math

from amm.v2.pair import Pair
from solver.routing.universe import PoolRef, Universe

_Q96 = float(2**96)


def mid_rate(pool: PoolRef, token_in: str) -> float:
    """Raw units of the other token per raw unit of `token_in` at the pool's current price, before fees."""
    model = pool.model
    zero_for_one = pool.zero_for_one(token_in)
    if isinstance(model, Pair):
        r_in, r_out = (model.reserve0, model.reserve1) if zero_for_one else (model.reserve1, model.reserve0)
        return r_out / r_in if r_in > 0 else 0.0
    price = (model.sqrt_price_x96 / _Q96) ** 2  # token1 per token0
    return price if zero_for_one else (1.0 / price if price > 0 else 0.0)


def depth(pool: PoolRef, token: str) -> float:
    """Raw units of `token` on the pool's books near its price (virtual reserve for v3, reserve for v2)."""
    model = pool.model
    is0 = token.lower() == pool.token0.lower()
    if isinstance(model, Pair):
        return float(model.reserve0 if is0 else model.reserve1)
    s = model.sqrt_price_x96 / _Q96
    liquidity = float(model.liquidity)
    return liquidity / s if is0 else liquidity * s


def reference_prices(universe: Universe, anchor: str, max_hops: int = 3) -> dict[str, float]:
    """Price of each reachable token (lower-case address) in raw anchor units per raw unit of it."""
    prices = {anchor.lower(): 1.0}
    for _ in range(max_hops):
        best: dict[str, tuple[float, float]] = {}  # token -> (depth in anchor units, price)
        for pool in universe.pools:
            if not pool.has_liquidity:
                continue
            for known, unknown in ((pool.token0, pool.token1), (pool.token1, pool.token0)):
                k, u = known.lower(), unknown.lower()
                if k not in prices or u in prices:
                    continue
                rate = mid_rate(pool, unknown)  # known per unknown
                value = depth(pool, known) * prices[k]
                if rate > 0 and math.isfinite(rate) and value > best.get(u, (-1.0, 0.0))[0]:
                    best[u] = (value, rate * prices[k])
        if not best:
            break
        prices.update({token: price for token, (_, price) in best.items()})
    return prices
