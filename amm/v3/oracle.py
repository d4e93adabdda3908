"""Oracle: the ring buffer of (timestamp, tickCumulative, secondsPerLiquidityCumulativeX128) observations.

The contract's `Observation[65535]` is a list here that grows with `grow`; slots past its end read as the zero
observation, like unwritten storage. Timestamps are uint32 and the accumulators wrap (int56, uint160) as in
Solidity 0.7.6.
"""

from typing import NamedTuple

from amm.errors import Revert
from amm.v3.constants import UINT160_MOD, wrap_int56

_MASK32 = (1 << 32) - 1
_MASK160 = UINT160_MOD - 1


class Observation(NamedTuple):
    """Oracle.Observation, in the field order of the `observations(uint256)` getter."""

    block_timestamp: int = 0
    tick_cumulative: int = 0
    seconds_per_liquidity_cumulative_x128: int = 0
    initialized: bool = False


_ZERO = Observation()


def _at(observations: list[Observation], i: int) -> Observation:
    return observations[i] if i < len(observations) else _ZERO


def transform(last: Observation, block_timestamp: int, tick: int, liquidity: int) -> Observation:
    """Oracle.transform: advance an observation to block_timestamp at the given tick and liquidity."""
    delta = (block_timestamp - last.block_timestamp) & _MASK32
    return Observation(
        block_timestamp,
        wrap_int56(last.tick_cumulative + tick * delta),
        (last.seconds_per_liquidity_cumulative_x128 + ((delta << 128) // (liquidity if liquidity > 0 else 1)))
        & _MASK160,
        True,
    )


def initialize(observations: list[Observation], time: int) -> tuple[int, int]:
    """Oracle.initialize: write slot 0; returns (cardinality, cardinalityNext) = (1, 1)."""
    obs = Observation(time & _MASK32, 0, 0, True)
    if observations:
        observations[0] = obs
    else:
        observations.append(obs)
    return 1, 1


def write(
    observations: list[Observation],
    index: int,
    block_timestamp: int,
    tick: int,
    liquidity: int,
    cardinality: int,
    cardinality_next: int,
) -> tuple[int, int]:
    """Oracle.write: at most one observation per block; returns (indexUpdated, cardinalityUpdated)."""
    last = _at(observations, index)
    if last.block_timestamp == block_timestamp:
        return index, cardinality
    if cardinality_next > cardinality and index == cardinality - 1:
        cardinality_updated = cardinality_next
    else:
        cardinality_updated = cardinality
    index_updated = (index + 1) % cardinality_updated
    new = transform(last, block_timestamp, tick, liquidity)
    while len(observations) <= index_updated:
        observations.append(_ZERO)
    observations[index_updated] = new
    return index_updated, cardinality_updated


def grow(observations: list[Observation], current: int, next_: int) -> int:
    """Oracle.grow: pre-populate slots [current, next) with timestamp 1; reverts 'I' if current == 0."""
    if current <= 0:
        raise Revert("I")
    if next_ <= current:
        return current
    while len(observations) < next_:
        observations.append(_ZERO)
    for i in range(current, next_):
        observations[i] = observations[i]._replace(block_timestamp=1)
    return next_


def lte(time: int, a: int, b: int) -> bool:
    """Oracle.lte: chronological a <= b for uint32 timestamps that may have wrapped once before `time`."""
    if a <= time and b <= time:
        return a <= b
    a_adjusted = a if a > time else a + (1 << 32)
    b_adjusted = b if b > time else b + (1 << 32)
    return a_adjusted <= b_adjusted


def binary_search(
    observations: list[Observation], time: int, target: int, index: int, cardinality: int
) -> tuple[Observation, Observation]:
    """Oracle.binarySearch: the initialised observations at or around `target`."""
    left = (index + 1) % cardinality  # oldest observation
    right = left + cardinality - 1  # newest observation
    while True:
        i = (left + right) // 2
        before_or_at = _at(observations, i % cardinality)
        if not before_or_at.initialized:
            left = i + 1
            continue
        at_or_after = _at(observations, (i + 1) % cardinality)
        target_at_or_after = lte(time, before_or_at.block_timestamp, target)
        if target_at_or_after and lte(time, target, at_or_after.block_timestamp):
            return before_or_at, at_or_after
        if not target_at_or_after:
            right = i - 1
        else:
            left = i + 1


def get_surrounding_observations(
    observations: list[Observation],
    time: int,
    target: int,
    tick: int,
    index: int,
    liquidity: int,
    cardinality: int,
) -> tuple[Observation, Observation]:
    """Oracle.getSurroundingObservations; reverts 'OLD' if target precedes the oldest observation."""
    before_or_at = _at(observations, index)
    if lte(time, before_or_at.block_timestamp, target):
        if before_or_at.block_timestamp == target:
            return before_or_at, _ZERO
        return before_or_at, transform(before_or_at, target, tick, liquidity)
    before_or_at = _at(observations, (index + 1) % cardinality)
    if not before_or_at.initialized:
        before_or_at = _at(observations, 0)
    if not lte(time, before_or_at.block_timestamp, target):
        raise Revert("OLD")
    return binary_search(observations, time, target, index, cardinality)


def observe_single(
    observations: list[Observation],
    time: int,
    seconds_ago: int,
    tick: int,
    index: int,
    liquidity: int,
    cardinality: int,
) -> tuple[int, int]:
    """Oracle.observeSingle -> (tickCumulative, secondsPerLiquidityCumulativeX128) as of `seconds_ago`."""
    if seconds_ago == 0:
        last = _at(observations, index)
        if last.block_timestamp != time:
            last = transform(last, time, tick, liquidity)
        return last.tick_cumulative, last.seconds_per_liquidity_cumulative_x128

    target = (time - seconds_ago) & _MASK32
    before_or_at, at_or_after = get_surrounding_observations(
        observations, time, target, tick, index, liquidity, cardinality
    )
    if target == before_or_at.block_timestamp:
        return before_or_at.tick_cumulative, before_or_at.seconds_per_liquidity_cumulative_x128
    if target == at_or_after.block_timestamp:
        return at_or_after.tick_cumulative, at_or_after.seconds_per_liquidity_cumulative_x128
    observation_time_delta = (at_or_after.block_timestamp - before_or_at.block_timestamp) & _MASK32
    target_delta = (target - before_or_at.block_timestamp) & _MASK32
    tick_diff = wrap_int56(at_or_after.tick_cumulative - before_or_at.tick_cumulative)
    # Solidity int division truncates towards zero; the divisor (a uint32) is positive
    q = abs(tick_diff) // observation_time_delta
    q = q if tick_diff >= 0 else -q
    spl_diff = (
        at_or_after.seconds_per_liquidity_cumulative_x128 - before_or_at.seconds_per_liquidity_cumulative_x128
    ) & _MASK160
    return (
        wrap_int56(before_or_at.tick_cumulative + q * target_delta),
        (
            before_or_at.seconds_per_liquidity_cumulative_x128
            + ((spl_diff * target_delta) // observation_time_delta)
        )
        & _MASK160,
    )


def observe(
    observations: list[Observation],
    time: int,
    seconds_agos: list[int],
    tick: int,
    index: int,
    liquidity: int,
    cardinality: int,
) -> tuple[list[int], list[int]]:
    """Oracle.observe: observe_single for each entry of seconds_agos; reverts 'I' if cardinality == 0."""
    if cardinality <= 0:
        raise Revert("I")
    tick_cumulatives: list[int] = []
    seconds_per_liquidity: list[int] = []
    for seconds_ago in seconds_agos:
        tc, spl = observe_single(observations, time, seconds_ago, tick, index, liquidity, cardinality)
        tick_cumulatives.append(tc)
        seconds_per_liquidity.append(spl)
    return tick_cumulatives, seconds_per_liquidity
