"""Shared helpers for the v3 tests: prices from ratios, usable tick bounds and pool set-ups."""

from math import isqrt

from amm.v3.pool import Pool

FEE_TIERS = {100: 1, 500: 10, 3000: 60, 10000: 200}
E18 = 10**18
MAX_UINT128 = (1 << 128) - 1


def sqrt_price(amount1: int, amount0: int) -> int:
    """sqrtPriceX96 of the price amount1/amount0 (token1 per token0), rounded down."""
    return isqrt((amount1 << 192) // amount0)


def min_usable_tick(tick_spacing: int) -> int:
    """The lowest tick a position can use: -887272 rounded up to a multiple of the spacing."""
    return -(887272 // tick_spacing) * tick_spacing


def max_usable_tick(tick_spacing: int) -> int:
    """The highest tick a position can use: 887272 rounded down to a multiple of the spacing."""
    return (887272 // tick_spacing) * tick_spacing


def new_pool(fee: int, sqrt_price_x96: int, positions: list[tuple[int, int, int]], owner: str = "lp") -> Pool:
    """A pool initialised at a price with the given (lower, upper, liquidity) positions minted by `owner`."""
    pool = Pool(fee, FEE_TIERS[fee])
    pool.initialize(sqrt_price_x96)
    for lower, upper, liquidity in positions:
        pool.mint(owner, lower, upper, liquidity)
    return pool
