"""Seeded LP positions with an uneven, mainnet-like liquidity profile.

Four kinds of LP, in proportions that differ for volatile and stable pairs: full range, active (narrow,
near the price), wide, and one-sided "range orders" above or below the price. Sizes are Pareto-distributed,
so a few whales hold much of the liquidity. Amounts here are float estimates handed to the position manager as
`amountDesired`; the chain computes the exact liquidity.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

from amm.chain.devnet.spec import PoolSpec

MIN_TICK, MAX_TICK = -887272, 887272
LOG_TICK = math.log(1.0001)
MIN_POSITION_USD = 2_000.0
_normal = NormalDist()


@dataclass(frozen=True)
class PositionPlan:
    lp: int  # index into the LP accounts
    tick_lower: int
    tick_upper: int
    amount0: int
    amount1: int
    kind: str


@dataclass(frozen=True)
class RangeMix:
    """Share of each kind of position, and the log-price half-widths that shape them."""

    full: float
    active: float
    wide: float
    active_center_sd: float
    active_half_width: float  # median, log-price
    wide_half_width: float
    one_sided_offset: float


VOLATILE = RangeMix(0.06, 0.54, 0.28, 0.03, 0.04, 0.35, 0.02)
STABLE = RangeMix(0.05, 0.65, 0.25, 0.0003, 0.0008, 0.005, 0.0005)


def rng_for(pool: PoolSpec, purpose: str, seed: int) -> random.Random:
    """A generator of its own for each pool and purpose, so adding a pool leaves the others unchanged."""
    return random.Random(f"{seed}:{pool.name}:{purpose}")


def gauss(rng: random.Random) -> float:
    """A standard normal draw from `random()` alone (stable across Python versions)."""
    return _normal.inv_cdf(min(max(rng.random(), 1e-12), 1 - 1e-12))


def usable_ticks(spacing: int) -> tuple[int, int]:
    return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing


def price_tick(raw_price: float) -> int:
    return math.floor(math.log(raw_price) / LOG_TICK)


def align_range(lower: float, upper: float, spacing: int) -> tuple[int, int]:
    """Round a tick interval outward to the spacing, at least one spacing wide, within the usable ticks."""
    lo_usable, hi_usable = usable_ticks(spacing)
    lo = max(lo_usable, math.floor(lower / spacing) * spacing)
    hi = min(hi_usable, math.ceil(upper / spacing) * spacing)
    if hi <= lo:
        hi = lo + spacing
    return lo, hi


def amounts_for_value(
    raw_price: float, tick_lower: int, tick_upper: int, value_token1: float
) -> tuple[int, int]:
    """Token amounts (raw units) of a position worth `value_token1` (raw token1 units) at `raw_price`."""
    sqrt_p = math.sqrt(raw_price)
    sa, sb = math.exp(tick_lower * LOG_TICK / 2), math.exp(tick_upper * LOG_TICK / 2)
    s = min(max(sqrt_p, sa), sb)
    x_per_l = 1 / s - 1 / sb
    y_per_l = s - sa
    liquidity = value_token1 / (x_per_l * raw_price + y_per_l)
    return int(liquidity * x_per_l), int(liquidity * y_per_l)


def pareto_weights(rng: random.Random, n: int, alpha: float = 1.3, cap: float = 15.0) -> list[float]:
    raw = [(1 - rng.random()) ** (-1 / alpha) for _ in range(n)]
    median = sorted(raw)[n // 2]
    capped = [min(w, cap * median) for w in raw]
    total = sum(capped)
    return [w / total for w in capped]


def plan_range(rng: random.Random, mix: RangeMix, center_tick: int, spacing: int) -> tuple[int, int, str]:
    """One position's tick range and kind."""
    u = rng.random()
    if u < mix.full:
        return (*usable_ticks(spacing), "full")
    if u < mix.full + mix.active:
        center = center_tick + gauss(rng) * mix.active_center_sd / LOG_TICK
        half = math.exp(math.log(mix.active_half_width) + 0.8 * gauss(rng)) / LOG_TICK
        return (*align_range(center - half, center + half, spacing), "active")
    if u < mix.full + mix.active + mix.wide:
        center = center_tick + gauss(rng) * 3 * mix.active_center_sd / LOG_TICK
        half = math.exp(math.log(mix.wide_half_width) + 0.5 * gauss(rng)) / LOG_TICK
        return (*align_range(center - half, center + half, spacing), "wide")
    offset = math.exp(math.log(mix.one_sided_offset) + 0.8 * gauss(rng)) / LOG_TICK
    width = math.exp(math.log(1.5 * mix.one_sided_offset) + 0.6 * gauss(rng)) / LOG_TICK
    if rng.random() < 0.5:  # above the price: token0 only
        lo, hi = align_range(center_tick + offset, center_tick + offset + width, spacing)
        lo = max(lo, (center_tick // spacing + 1) * spacing)
        return lo, max(hi, lo + spacing), "above"
    lo, hi = align_range(center_tick - offset - width, center_tick - offset, spacing)
    hi = min(hi, (center_tick // spacing) * spacing)
    return min(lo, hi - spacing), hi, "below"


def plan_positions(pool: PoolSpec, usd: dict[str, float], lps: int, seed: int) -> list[PositionPlan]:
    """The pool's initial positions, spread over `lps` LP accounts, worth `pool.tvl_usd` together."""
    rng = rng_for(pool, "positions", seed)
    mix = STABLE if pool.stable else VOLATILE
    raw_price = pool.raw_price(usd)
    center = price_tick(raw_price)
    usd_per_raw1 = usd[pool.symbol1] / 10**pool.token1.decimals
    plans = []
    for weight in pareto_weights(rng, pool.positions):
        lower, upper, kind = plan_range(rng, mix, center, pool.tick_spacing)
        value_usd = max(weight * pool.tvl_usd, MIN_POSITION_USD)
        amount0, amount1 = amounts_for_value(raw_price, lower, upper, value_usd / usd_per_raw1)
        plans.append(PositionPlan(rng.randrange(lps), lower, upper, amount0, amount1, kind))
    return plans


def plan_v2_adds(pool: PoolSpec, usd: dict[str, float], lps: int, seed: int) -> list[PositionPlan]:
    """Liquidity adds for a v2 pair: half the value in each token, at the pair's price."""
    rng = rng_for(pool, "v2-adds", seed)
    plans = []
    for weight in pareto_weights(rng, pool.positions):
        value_usd = weight * pool.tvl_usd
        amount0 = int(value_usd / 2 / usd[pool.symbol0] * 10**pool.token0.decimals)
        amount1 = int(value_usd / 2 / usd[pool.symbol1] * 10**pool.token1.decimals)
        plans.append(PositionPlan(rng.randrange(lps), 0, 0, amount0, amount1, "v2"))
    return plans
