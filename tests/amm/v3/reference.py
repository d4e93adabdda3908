"""A literal, slow port of UniswapV3Pool.swap built only from the library modules, for differential tests.

It walks the bitmap with TickBitmap.nextInitializedTickWithinOneWord, calls SwapMath.computeSwapStep and
Tick.cross exactly as the contract does, on a deep copy of the pool, and returns the copy. The fast pool
(sorted tick index, inlined step math, zero-liquidity jumps) must leave the very same state.
"""

import copy

from amm.errors import Revert
from amm.v3 import oracle
from amm.v3.full_math import mul_div
from amm.v3.liquidity_math import add_delta
from amm.v3.pool import Pool
from amm.v3.swap_math import compute_swap_step
from amm.v3.tick import cross
from amm.v3.tick_bitmap import next_initialized_tick_within_one_word
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio_exact,
)

Q128 = 1 << 128
MASK256 = (1 << 256) - 1
MASK128 = (1 << 128) - 1


def reference_swap(
    pool: Pool, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int, timestamp: int
) -> tuple[Pool, int, int, int]:
    """Run the contract's swap on a copy: (new pool, amount0, amount1, initialised ticks crossed)."""
    p = copy.deepcopy(pool)
    if amount_specified == 0:
        raise Revert("AS")
    if not p.unlocked:
        raise Revert("LOK")
    start_price, start_tick = p.sqrt_price_x96, p.tick
    if zero_for_one:
        ok = MIN_SQRT_RATIO < sqrt_price_limit_x96 < start_price
    else:
        ok = start_price < sqrt_price_limit_x96 < MAX_SQRT_RATIO
    if not ok:
        raise Revert("SPL")
    time = timestamp & 0xFFFFFFFF
    fee_protocol = p.fee_protocol % 16 if zero_for_one else p.fee_protocol >> 4
    liquidity_start = p.liquidity
    exact_input = amount_specified > 0
    remaining, calculated = amount_specified, 0
    price, tick = start_price, start_tick
    fee_growth = p.fee_growth_global0_x128 if zero_for_one else p.fee_growth_global1_x128
    protocol_fee = 0
    liquidity = liquidity_start
    observed = None
    crossed = 0
    while remaining != 0 and price != sqrt_price_limit_x96:
        step_start = price
        tick_next, initialized = next_initialized_tick_within_one_word(
            p.tick_bitmap, tick, p.tick_spacing, zero_for_one
        )
        tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
        price_next = get_sqrt_ratio_at_tick(tick_next)
        if zero_for_one:
            target = sqrt_price_limit_x96 if price_next < sqrt_price_limit_x96 else price_next
        else:
            target = sqrt_price_limit_x96 if price_next > sqrt_price_limit_x96 else price_next
        price, amount_in, amount_out, fee_amount = compute_swap_step(
            price, target, liquidity, remaining, p.fee
        )
        if exact_input:
            remaining -= amount_in + fee_amount
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee_amount
        if fee_protocol > 0:
            delta = fee_amount // fee_protocol
            fee_amount -= delta
            protocol_fee = (protocol_fee + delta) & MASK128
        if liquidity > 0:
            fee_growth = (fee_growth + mul_div(fee_amount, Q128, liquidity)) & MASK256
        if price == price_next:
            if initialized:
                if observed is None:
                    observed = oracle.observe_single(
                        p.observations,
                        time,
                        0,
                        start_tick,
                        p.observation_index,
                        liquidity_start,
                        p.observation_cardinality,
                    )
                tick_cumulative, spl = observed
                net = cross(
                    p.ticks,
                    tick_next,
                    fee_growth if zero_for_one else p.fee_growth_global0_x128,
                    p.fee_growth_global1_x128 if zero_for_one else fee_growth,
                    spl,
                    tick_cumulative,
                    time,
                )
                crossed += 1
                if zero_for_one:
                    net = -net
                liquidity = add_delta(liquidity, net)
            tick = tick_next - 1 if zero_for_one else tick_next
        elif price != step_start:
            tick = get_tick_at_sqrt_ratio_exact(price)

    if tick != start_tick:
        p.observation_index, p.observation_cardinality = oracle.write(
            p.observations,
            p.observation_index,
            time,
            start_tick,
            liquidity_start,
            p.observation_cardinality,
            p.observation_cardinality_next,
        )
        p.tick = tick
    p.sqrt_price_x96 = price
    p.liquidity = liquidity
    if zero_for_one:
        p.fee_growth_global0_x128 = fee_growth
        p.protocol_fees = ((p.protocol_fees[0] + protocol_fee) & MASK128, p.protocol_fees[1])
    else:
        p.fee_growth_global1_x128 = fee_growth
        p.protocol_fees = (p.protocol_fees[0], (p.protocol_fees[1] + protocol_fee) & MASK128)
    if zero_for_one == exact_input:
        amount0, amount1 = amount_specified - remaining, calculated
    else:
        amount0, amount1 = calculated, amount_specified - remaining
    p.balance0 += amount0
    p.balance1 += amount1
    p.timestamp = timestamp
    return p, amount0, amount1, crossed


def state_of(pool: Pool) -> dict[str, object]:
    """Everything a contract getter could observe, as plain comparable data."""
    return {
        "slot0": pool.slot0,
        "liquidity": pool.liquidity,
        "fee_growth_global0_x128": pool.fee_growth_global0_x128,
        "fee_growth_global1_x128": pool.fee_growth_global1_x128,
        "protocol_fees": pool.protocol_fees,
        "ticks": {t: info.copy() for t, info in pool.ticks.items()},
        "tick_bitmap": {w: b for w, b in pool.tick_bitmap.items() if b},
        "positions": {k: v.copy() for k, v in pool.positions.items()},
        "observations": list(pool.observations),
        "balances": (pool.balance0, pool.balance1),
        "index": (pool.initialized_ticks, list(pool._idx_nets), list(pool._idx_sqrts)),
    }
