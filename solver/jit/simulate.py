"""Exact outcome of mint -> swap -> burn -> collect on a v3 pool model, two ways that must agree.

`evaluate` is the planner's inner loop: it never copies or mutates the pool. It inserts our two ticks into
copies of the swap index, runs the pool's own swap loop with our liquidity added, and reads our fees off the
fee growth between the moments the price entered and left our range (the contract's outside/inside
bookkeeping reduces to exactly that for one swap), so it costs one swap quote. `replay` does the same on a
full copy of the pool with the model's `mint`, `swap`, `burn` and `collect`: slower, but the contract's code
path verbatim. The planner runs `replay` on the plan it picks and refuses to return a plan where they differ.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from dataclasses import dataclass
from typing import Protocol

from amm.v3.constants import MAX_UINT128, Q128
from amm.v3.full_math import mul_div
from amm.v3.pool import Pool
from amm.v3.sqrt_price_math import get_amount0_delta, get_amount1_delta
from amm.v3.swap_loop import swap_loop
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_tick_at_sqrt_ratio, sqrt_ratio_at_tick_cached

_MASK256 = (1 << 256) - 1
_MASK128 = (1 << 128) - 1
JIT_OWNER = "jit"
"""The owner key our position has in a model replay (any hashable; on chain it is the executor)."""


class SwapLike(Protocol):
    """What a plan needs of the pending swap: the pool call's direction, amount and price limit."""

    @property
    def zero_for_one(self) -> bool: ...
    @property
    def amount_specified(self) -> int: ...
    @property
    def sqrt_price_limit_x96(self) -> int: ...


@dataclass(frozen=True)
class Swap:
    """A pool swap as `UniswapV3Pool.swap` takes it (limit 0: none)."""

    zero_for_one: bool
    amount_specified: int
    sqrt_price_limit_x96: int = 0


@dataclass(frozen=True)
class Outcome:
    """Every integer of one JIT round trip, from the pool's ledger."""

    tick_lower: int
    tick_upper: int
    liquidity: int
    mint0: int  # paid to the pool by the mint
    mint1: int
    swap0: int  # the victim's swap with us in the pool (pool's side: + paid in, - paid out)
    swap1: int
    burn0: int  # principal the burn credits back
    burn1: int
    fee0: int  # fees collected on top of the principal
    fee1: int
    sqrt_price_x96: int  # after the swap
    tick: int

    @property
    def delta0(self) -> int:
        """What the round trip changes our token0 by (collected minus paid)."""
        return self.burn0 + self.fee0 - self.mint0

    @property
    def delta1(self) -> int:
        return self.burn1 + self.fee1 - self.mint1


def price_limit(swap: SwapLike) -> int:
    """The limit the pool sees: the router's default when the swap gives none."""
    if swap.sqrt_price_limit_x96:
        return swap.sqrt_price_limit_x96
    return MIN_SQRT_RATIO + 1 if swap.zero_for_one else MAX_SQRT_RATIO - 1


def mint_amounts(pool: Pool, tick_lower: int, tick_upper: int, liquidity: int) -> tuple[int, int]:
    """What `mint` makes the owner pay (rounded up), at the pool's current price."""
    sl, su = sqrt_ratio_at_tick_cached(tick_lower), sqrt_ratio_at_tick_cached(tick_upper)
    if pool.tick < tick_lower:
        return get_amount0_delta(sl, su, liquidity, True), 0
    if pool.tick < tick_upper:
        sp = pool.sqrt_price_x96
        return get_amount0_delta(sp, su, liquidity, True), get_amount1_delta(sl, sp, liquidity, True)
    return 0, get_amount1_delta(sl, su, liquidity, True)


def _burn_amounts(
    tick: int, sqrt_price: int, tick_lower: int, tick_upper: int, liquidity: int
) -> tuple[int, int]:
    """What `burn` credits back (rounded down) at the given price."""
    sl, su = sqrt_ratio_at_tick_cached(tick_lower), sqrt_ratio_at_tick_cached(tick_upper)
    if tick < tick_lower:
        return get_amount0_delta(sl, su, liquidity, False), 0
    if tick < tick_upper:
        return (
            get_amount0_delta(sqrt_price, su, liquidity, False),
            get_amount1_delta(sl, sqrt_price, liquidity, False),
        )
    return 0, get_amount1_delta(sl, su, liquidity, False)


def _with_ticks(
    pool: Pool, tick_lower: int, tick_upper: int, liquidity: int
) -> tuple[list[int], list[int], list[int]]:
    """Copies of the pool's swap index with our range's ticks in (liquidity_net +L at lower, -L at upper)."""
    ticks, nets, sqrts = list(pool._idx_ticks), list(pool._idx_nets), list(pool._idx_sqrts)
    for tick, delta in ((tick_lower, liquidity), (tick_upper, -liquidity)):
        k = bisect_left(ticks, tick)
        if k < len(ticks) and ticks[k] == tick:
            nets[k] += delta
        else:
            ticks.insert(k, tick)
            nets.insert(k, delta)
            sqrts.insert(k, sqrt_ratio_at_tick_cached(tick))
    return ticks, nets, sqrts


def evaluate(pool: Pool, swap: SwapLike, tick_lower: int, tick_upper: int, liquidity: int) -> Outcome:
    """The exact round trip without touching `pool` (raises the pool's Revert if the swap would revert)."""
    mint0, mint1 = mint_amounts(pool, tick_lower, tick_upper, liquidity)
    zero_for_one = swap.zero_for_one
    in_range = tick_lower <= pool.tick < tick_upper
    ticks, nets, sqrts = _with_ticks(pool, tick_lower, tick_upper, liquidity)
    fg_start = pool.fee_growth_global0_x128 if zero_for_one else pool.fee_growth_global1_x128
    fee_protocol = pool.fee_protocol % 16 if zero_for_one else pool.fee_protocol >> 4
    limit = price_limit(swap)
    pool._check_swap(zero_for_one, swap.amount_specified, limit)
    crossings: list[tuple[int, int]] = []
    amount0, amount1, sqrt_price, tick, _, fg_end, _, _ = swap_loop(
        ticks,
        nets,
        sqrts,
        pool.tick_spacing,
        pool.fee,
        fee_protocol,
        zero_for_one,
        swap.amount_specified,
        limit,
        pool.sqrt_price_x96,
        pool.tick,
        pool.liquidity + (liquidity if in_range else 0),
        fg_start,
        crossings,
    )
    if tick is None:
        tick = get_tick_at_sqrt_ratio(sqrt_price)
    # fee growth while the price was inside our range: from entering (or the start) to leaving (or the end)
    entered = fg_start if in_range else None
    left = None
    for crossed, fg in crossings:
        if crossed in (tick_lower, tick_upper):
            if entered is None:
                entered = fg
            else:
                left = fg
                break
    fees = 0
    if entered is not None:
        growth = ((fg_end if left is None else left) - entered) & _MASK256
        fees = mul_div(growth, liquidity, Q128) & _MASK128
    burn0, burn1 = _burn_amounts(tick, sqrt_price, tick_lower, tick_upper, liquidity)
    return Outcome(
        tick_lower,
        tick_upper,
        liquidity,
        mint0,
        mint1,
        amount0,
        amount1,
        burn0,
        burn1,
        fees if zero_for_one else 0,
        0 if zero_for_one else fees,
        sqrt_price,
        tick,
    )


def clone(pool: Pool) -> Pool:
    """A detached copy of the pool model that mint/swap/burn/collect can mutate freely."""
    twin = copy.copy(pool)
    twin.ticks = {t: info.copy() for t, info in pool.ticks.items()}
    twin.tick_bitmap = dict(pool.tick_bitmap)
    twin.positions = {key: info.copy() for key, info in pool.positions.items()}
    twin.observations = list(pool.observations)
    twin._idx_ticks = list(pool._idx_ticks)
    twin._idx_nets = list(pool._idx_nets)
    twin._idx_sqrts = list(pool._idx_sqrts)
    return twin


def replay(pool: Pool, swap: SwapLike, tick_lower: int, tick_upper: int, liquidity: int) -> Outcome:
    """The round trip on a copy of the model, call by call as the bundle makes them on chain."""
    twin = clone(pool)
    mint0, mint1 = twin.mint(JIT_OWNER, tick_lower, tick_upper, liquidity)
    amount0, amount1 = twin.swap(swap.zero_for_one, swap.amount_specified, price_limit(swap))
    burn0, burn1 = twin.burn(JIT_OWNER, tick_lower, tick_upper, liquidity)
    got0, got1 = twin.collect(JIT_OWNER, tick_lower, tick_upper, MAX_UINT128, MAX_UINT128)
    return Outcome(
        tick_lower,
        tick_upper,
        liquidity,
        mint0,
        mint1,
        amount0,
        amount1,
        burn0,
        burn1,
        got0 - burn0,
        got1 - burn1,
        twin.sqrt_price_x96,
        twin.tick,
    )
