"""Fifteen pool shapes x sixteen swaps, each run on a real UniswapV3Pool and on the model, compared exactly.

The shapes (fee tier, starting price, positions) and swaps (exact input/output of 1e18 and 1000 wei, both
directions, with and without a price limit, and "swap everything up to a price") are the usual stress set for
a v3 pool: prices at 1:1, 10:1, 1:10, near the extreme ratios and exactly at them, liquidity full range,
around the price, one-sided, or at maxLiquidityPerTick. Nothing is expected from a recorded run: for every
case the real bytecode computes the outcome on anvil and the model must agree on the amounts (from the Swap
event), the revert reason, slot0, liquidity, fee growth and every tick; the model's quote must equal its
swap; then every position is burned and collected on both sides, and the whole pool is read back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from amm.errors import Revert
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

from ._helpers import E18, FEE_TIERS, MAX_UINT128, max_usable_tick, min_usable_tick, sqrt_price
from .live_pool import LivePool, V3Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

Position = tuple[int, int, int]


def full_range(fee: int, liquidity: int = 2 * E18) -> Position:
    spacing = FEE_TIERS[fee]
    return min_usable_tick(spacing), max_usable_tick(spacing), liquidity


def max_per_tick(spacing: int) -> int:
    """maxLiquidityPerTick, counted from the usable ticks (the live pool's getter is checked elsewhere)."""
    count = (max_usable_tick(spacing) - min_usable_tick(spacing)) // spacing + 1
    return MAX_UINT128 // count


ONE = sqrt_price(1, 1)
SHAPES: dict[str, tuple[int, int, list[Position]]] = {
    "0.05%, 1:1, full range": (500, ONE, [full_range(500)]),
    "0.3%, 1:1, full range": (3000, ONE, [full_range(3000)]),
    "1%, 1:1, full range": (10000, ONE, [full_range(10000)]),
    "0.3%, 10:1, full range": (3000, sqrt_price(10, 1), [full_range(3000)]),
    "0.3%, 1:10, full range": (3000, sqrt_price(1, 10), [full_range(3000)]),
    "0.3%, 1:1, nothing in range, liquidity on both sides": (
        3000,
        ONE,
        [(min_usable_tick(60), -60, 2 * E18), (60, max_usable_tick(60), 2 * E18)],
    ),
    "0.3%, 1:1, full range plus both sides": (
        3000,
        ONE,
        [full_range(3000), (min_usable_tick(60), -60, 2 * E18), (60, max_usable_tick(60), 2 * E18)],
    ),
    "0.05%, 1:1, one narrow range (stable-like)": (500, ONE, [(-10, 10, 2 * E18)]),
    "0.3%, 1:1, token0 only above": (3000, ONE, [(0, 2000 * 60, 2 * E18)]),
    "0.3%, 1:1, token1 only below": (3000, ONE, [(-2000 * 60, 0, 2 * E18)]),
    "0.3%, near the max price": (3000, sqrt_price(2**127, 1), [full_range(3000)]),
    "0.3%, near the min price": (3000, sqrt_price(1, 2**127), [full_range(3000)]),
    "0.3%, 1:1, maxLiquidityPerTick full range": (3000, ONE, [full_range(3000, max_per_tick(60))]),
    "0.3%, at MAX_SQRT_RATIO - 1": (3000, MAX_SQRT_RATIO - 1, [full_range(3000)]),
    "0.3%, at MIN_SQRT_RATIO": (3000, MIN_SQRT_RATIO, [full_range(3000)]),
}

EVERYTHING = 2**255 - 1
SWAPS: list[tuple[str, bool, int, int | None]] = [
    ("exactly 1e18 token0 in", True, E18, None),
    ("exactly 1e18 token1 in", False, E18, None),
    ("exactly 1e18 token1 out", True, -E18, None),
    ("exactly 1e18 token0 out", False, -E18, None),
    ("exactly 1e18 token0 in, limit price 0.5", True, E18, sqrt_price(1, 2)),
    ("exactly 1e18 token1 in, limit price 2", False, E18, sqrt_price(2, 1)),
    ("exactly 1e18 token1 out, limit price 0.5", True, -E18, sqrt_price(1, 2)),
    ("exactly 1e18 token0 out, limit price 2", False, -E18, sqrt_price(2, 1)),
    ("exactly 1000 token0 in", True, 1000, None),
    ("exactly 1000 token1 in", False, 1000, None),
    ("exactly 1000 token1 out", True, -1000, None),
    ("exactly 1000 token0 out", False, -1000, None),
    ("token1 in up to price 2.5", False, EVERYTHING, sqrt_price(5, 2)),
    ("token0 in down to price 0.4", True, EVERYTHING, sqrt_price(2, 5)),
    ("token0 in 'down' to price 2.5", True, EVERYTHING, sqrt_price(5, 2)),
    ("token1 in 'up' to price 0.4", False, EVERYTHING, sqrt_price(2, 5)),
]


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V3Rig:
    return V3Rig.deploy(bare)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_swap_matches_the_pool_then_everyone_exits(bare_node: Bare, rig: V3Rig, shape: str) -> None:
    fee, price, positions = SHAPES[shape]
    live = LivePool.create(rig, fee, price)
    for lower, upper, liquidity in positions:
        live.mint(0, lower, upper, liquidity)
    start = live.save()
    outcomes = []
    for name, zero_for_one, amount, limit in SWAPS:
        live.log.append(f"--- {shape}: {name}")
        if limit is None:
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        try:
            quote: object = live.model.quote(zero_for_one, amount, limit)
        except Revert as err:
            quote = err.reason
        result = live.swap(0, zero_for_one, amount, limit)  # asserts model == chain (amounts or reason)
        outcomes.append(result)
        if isinstance(result, str):
            assert quote == result
        else:
            m = live.model
            assert quote == (*result, m.sqrt_price_x96, m.tick, m.liquidity, quote.ticks_crossed)  # type: ignore[union-attr]
            live.check_state()
            for lower, upper, liquidity in positions:  # every LP can leave, with exactly the chain's amounts
                live.burn(0, lower, upper, liquidity)
                live.collect(0, lower, upper, MAX_UINT128, MAX_UINT128)
            assert live.model.liquidity == 0
        live.check_full_state()
        live.restore(start)
        start = live.save()
    assert any(not isinstance(o, str) for o in outcomes)  # the shape trades at all
