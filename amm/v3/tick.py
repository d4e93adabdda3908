"""Tick: per-tick state (Tick.Info) and the library functions that maintain it."""

from dataclasses import dataclass

from amm.errors import Revert
from amm.v3.constants import MAX_INT128, MAX_UINT128, MIN_INT128, UINT160_MOD, UINT256_MOD, wrap_int56
from amm.v3.liquidity_math import add_delta
from amm.v3.tick_math import MAX_TICK, MIN_TICK

_MASK256 = UINT256_MOD - 1
_MASK160 = UINT160_MOD - 1
_MASK32 = (1 << 32) - 1


@dataclass(slots=True)
class TickInfo:
    """Tick.Info: every field the contract stores for a tick (the `ticks(int24)` getter, in order)."""

    liquidity_gross: int = 0
    liquidity_net: int = 0
    fee_growth_outside0_x128: int = 0
    fee_growth_outside1_x128: int = 0
    tick_cumulative_outside: int = 0
    seconds_per_liquidity_outside_x128: int = 0
    seconds_outside: int = 0
    initialized: bool = False

    def copy(self) -> "TickInfo":
        """A detached copy (the pool hands out live objects; copy before keeping one)."""
        return TickInfo(
            self.liquidity_gross,
            self.liquidity_net,
            self.fee_growth_outside0_x128,
            self.fee_growth_outside1_x128,
            self.tick_cumulative_outside,
            self.seconds_per_liquidity_outside_x128,
            self.seconds_outside,
            self.initialized,
        )


def tick_spacing_to_max_liquidity_per_tick(tick_spacing: int) -> int:
    """Tick.tickSpacingToMaxLiquidityPerTick: uint128 max divided by the number of usable ticks."""
    min_tick = -(-MIN_TICK // tick_spacing) * tick_spacing  # Solidity `/` truncates towards zero
    max_tick = (MAX_TICK // tick_spacing) * tick_spacing
    num_ticks = (max_tick - min_tick) // tick_spacing + 1
    return MAX_UINT128 // num_ticks


def get_fee_growth_inside(
    ticks: dict[int, TickInfo],
    tick_lower: int,
    tick_upper: int,
    tick_current: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
) -> tuple[int, int]:
    """Tick.getFeeGrowthInside: fee growth per unit of liquidity inside [lower, upper), mod 2**256."""
    lower = ticks.get(tick_lower) or _EMPTY
    upper = ticks.get(tick_upper) or _EMPTY
    if tick_current >= tick_lower:
        below0 = lower.fee_growth_outside0_x128
        below1 = lower.fee_growth_outside1_x128
    else:
        below0 = fee_growth_global0_x128 - lower.fee_growth_outside0_x128
        below1 = fee_growth_global1_x128 - lower.fee_growth_outside1_x128
    if tick_current < tick_upper:
        above0 = upper.fee_growth_outside0_x128
        above1 = upper.fee_growth_outside1_x128
    else:
        above0 = fee_growth_global0_x128 - upper.fee_growth_outside0_x128
        above1 = fee_growth_global1_x128 - upper.fee_growth_outside1_x128
    return (
        (fee_growth_global0_x128 - below0 - above0) & _MASK256,
        (fee_growth_global1_x128 - below1 - above1) & _MASK256,
    )


def updated(
    info: TickInfo | None,
    tick: int,
    tick_current: int,
    liquidity_delta: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
    seconds_per_liquidity_cumulative_x128: int,
    tick_cumulative: int,
    time: int,
    upper: bool,
    max_liquidity: int,
) -> tuple[TickInfo, bool]:
    """Tick.update without side effects: returns (new info, flipped) so the pool can commit atomically."""
    new = info.copy() if info is not None else TickInfo()
    gross_before = new.liquidity_gross
    gross_after = add_delta(gross_before, liquidity_delta)
    if gross_after > max_liquidity:
        raise Revert("LO")
    flipped = (gross_after == 0) != (gross_before == 0)
    if gross_before == 0:
        # by convention, all growth before a tick was initialized happened below the tick
        if tick <= tick_current:
            new.fee_growth_outside0_x128 = fee_growth_global0_x128
            new.fee_growth_outside1_x128 = fee_growth_global1_x128
            new.seconds_per_liquidity_outside_x128 = seconds_per_liquidity_cumulative_x128
            new.tick_cumulative_outside = tick_cumulative
            new.seconds_outside = time
        new.initialized = True
    new.liquidity_gross = gross_after
    net = new.liquidity_net - liquidity_delta if upper else new.liquidity_net + liquidity_delta
    if (
        not MIN_INT128 <= net <= MAX_INT128
    ):  # LowGasSafeMath on int256 cannot overflow here; SafeCast.toInt128
        raise Revert("")
    new.liquidity_net = net
    return new, flipped


def update(
    ticks: dict[int, TickInfo],
    tick: int,
    tick_current: int,
    liquidity_delta: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
    seconds_per_liquidity_cumulative_x128: int,
    tick_cumulative: int,
    time: int,
    upper: bool,
    max_liquidity: int,
) -> bool:
    """Tick.update: apply a liquidity change; returns whether it flipped (reverts 'LO', 'LS', 'LA')."""
    new, flipped = updated(
        ticks.get(tick),
        tick,
        tick_current,
        liquidity_delta,
        fee_growth_global0_x128,
        fee_growth_global1_x128,
        seconds_per_liquidity_cumulative_x128,
        tick_cumulative,
        time,
        upper,
        max_liquidity,
    )
    ticks[tick] = new
    return flipped


def clear(ticks: dict[int, TickInfo], tick: int) -> None:
    """Tick.clear: delete a tick's data."""
    ticks.pop(tick, None)


def cross_info(
    info: TickInfo,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
    seconds_per_liquidity_cumulative_x128: int,
    tick_cumulative: int,
    time: int,
) -> int:
    """Tick.cross on one TickInfo: flip the 'outside' accumulators in place; returns liquidity_net."""
    info.fee_growth_outside0_x128 = (fee_growth_global0_x128 - info.fee_growth_outside0_x128) & _MASK256
    info.fee_growth_outside1_x128 = (fee_growth_global1_x128 - info.fee_growth_outside1_x128) & _MASK256
    info.seconds_per_liquidity_outside_x128 = (
        seconds_per_liquidity_cumulative_x128 - info.seconds_per_liquidity_outside_x128
    ) & _MASK160
    info.tick_cumulative_outside = wrap_int56(tick_cumulative - info.tick_cumulative_outside)
    info.seconds_outside = (time - info.seconds_outside) & _MASK32
    return info.liquidity_net


def cross(
    ticks: dict[int, TickInfo],
    tick: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
    seconds_per_liquidity_cumulative_x128: int,
    tick_cumulative: int,
    time: int,
) -> int:
    """Tick.cross: transition a tick as the price moves through it; returns its liquidity_net.

    Like a storage mapping, a missing tick reads as all-zero (and is then written).
    """
    info = ticks.get(tick)
    if info is None:
        info = ticks[tick] = TickInfo()
    return cross_info(
        info,
        fee_growth_global0_x128,
        fee_growth_global1_x128,
        seconds_per_liquidity_cumulative_x128,
        tick_cumulative,
        time,
    )


_EMPTY = TickInfo()
