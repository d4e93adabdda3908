"""Synthetic pool universes in memory: many v2/v3 pools between a few tokens, with varied liquidity.

For benchmarks and tests that need more pools than the built-in chain has. Every pool is an exact model
built the way the contracts would be (v3: initialize + mint of random positions; v2: reserves), with prices
scattered inside each pool's fee band around one set of "true" prices, as arbitrage leaves them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from amm.chain.addresses import FEE_TICK_SPACING
from amm.v2.pair import Pair
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from solver.routing.universe import Token, Universe

_Q96 = 2**96


@dataclass(frozen=True)
class SyntheticToken:
    symbol: str
    decimals: int
    usd: float


DEFAULT_TOKENS = (
    SyntheticToken("AAA", 18, 2.0),
    SyntheticToken("BBB", 6, 1.0),
    SyntheticToken("HUB", 18, 3000.0),
    SyntheticToken("HB2", 8, 90_000.0),
)


def _address(n: int) -> str:
    return "0x" + f"{n:040x}"


def _sorted(a: Token, b: Token) -> tuple[Token, Token]:
    return (a, b) if int(a.address, 16) < int(b.address, 16) else (b, a)


def v3_pool(
    rng: random.Random,
    t0: Token,
    t1: Token,
    price0_usd: float,
    price1_usd: float,
    fee: int,
    tvl_usd: float,
    positions: int,
    address: str,
) -> Pool:
    """A v3 pool near the true price (inside its fee band), with random positions worth ~tvl_usd."""
    spacing = FEE_TICK_SPACING[fee]
    raw_price = price0_usd / price1_usd * 10 ** (t1.decimals - t0.decimals)
    raw_price *= 1 + rng.uniform(-0.8, 0.8) * fee / 1e6
    sqrt_price = int(math.sqrt(raw_price) * _Q96)
    pool = Pool(fee, spacing, address=address, token0=t0.address, token1=t1.address)
    pool.initialize(sqrt_price)
    tick = get_tick_at_sqrt_ratio(sqrt_price)
    lowest, highest = (MIN_TICK // spacing + 1) * spacing, (MAX_TICK // spacing) * spacing
    weights = [rng.paretovariate(1.2) for _ in range(positions)]
    for k, weight in enumerate(weights):
        usd = tvl_usd * weight / sum(weights)
        if k == 0:  # a full-range position, as most pools have
            lower, upper = lowest, highest
        else:
            width = max(1, int(rng.lognormvariate(math.log(2000 / spacing + 1), 1.0))) * spacing
            centre = tick + int(rng.gauss(0, 0.5) * width)
            lower = max(lowest, (centre - width // 2) // spacing * spacing)
            upper = min(highest, lower + max(width, spacing))
        liquidity = _liquidity_for_usd(usd, lower, upper, sqrt_price, t0, t1, price0_usd, price1_usd)
        if liquidity > 0:
            pool.mint(f"lp{k}", lower, upper, liquidity)
    return pool


def _liquidity_for_usd(
    usd: float, lower: int, upper: int, sqrt_price: int, t0: Token, t1: Token, p0: float, p1: float
) -> int:
    """Liquidity whose tokens at the current price are worth about `usd`."""
    sa, sb, s = get_sqrt_ratio_at_tick(lower) / _Q96, get_sqrt_ratio_at_tick(upper) / _Q96, sqrt_price / _Q96
    s_in = min(max(s, sa), sb)
    amount0 = 1 / s_in - 1 / sb  # per unit liquidity
    amount1 = s_in - sa
    value = amount0 / 10**t0.decimals * p0 + amount1 / 10**t1.decimals * p1
    return int(usd / value) if value > 0 else 0


def v2_pair(
    rng: random.Random, t0: Token, t1: Token, p0: float, p1: float, tvl_usd: float, address: str
) -> Pair:
    skew = 1 + rng.uniform(-0.8, 0.8) * 0.003
    reserve0 = int(tvl_usd / 2 / p0 * 10**t0.decimals * skew)
    reserve1 = int(tvl_usd / 2 / p1 * 10**t1.decimals)
    return Pair.from_reserves(reserve0, reserve1, address=address, token0=t0.address, token1=t1.address)


def synthetic_universe(
    n_pools: int = 100,
    *,
    seed: int = 7,
    tokens: tuple[SyntheticToken, ...] = DEFAULT_TOKENS,
    direct_share: float = 0.4,
    tvl_usd: tuple[float, float] = (2e5, 5e7),
    v2_share: float = 0.25,
) -> Universe:
    """`n_pools` pools: `direct_share` between the first two tokens, the rest from each of them to the
    others (hubs), spread evenly; TVLs log-uniform in `tvl_usd`; a quarter v2 pairs, the rest v3 at all
    tiers."""
    rng = random.Random(seed)
    toks = [Token(_address(0x1000 + 0x111 * k), t.symbol, t.decimals) for k, t in enumerate(tokens)]
    usd = {t.address: s.usd for t, s in zip(toks, tokens, strict=True)}
    a, b = toks[0], toks[1]
    pairs = [(a, b)] * round(n_pools * direct_share)
    hub_pairs = [(x, h) for h in toks[2:] for x in (a, b)]
    while len(pairs) < n_pools:
        pairs.append(hub_pairs[(len(pairs) - round(n_pools * direct_share)) % len(hub_pairs)])
    models: list[Pool | Pair] = []
    for n, (x, y) in enumerate(pairs):
        t0, t1 = _sorted(x, y)
        tvl = math.exp(rng.uniform(math.log(tvl_usd[0]), math.log(tvl_usd[1])))
        address = _address(0xA000_0000 + n)
        if rng.random() < v2_share:
            models.append(v2_pair(rng, t0, t1, usd[t0.address], usd[t1.address], tvl, address))
        else:
            fee = rng.choice((100, 500, 3000, 10000))
            positions = rng.randint(3, 30)
            models.append(
                v3_pool(rng, t0, t1, usd[t0.address], usd[t1.address], fee, tvl, positions, address)
            )
    return Universe.from_models(models, toks)
