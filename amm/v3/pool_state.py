"""PoolState: the storage of an in-memory UniswapV3Pool, its loading, and the calls that do not trade.

Split from `pool.Pool` by responsibility: this module holds the contract's state variables, `from_state`,
the hot-path tick index, initialize/oracle/fee-protocol/flash; `pool_liquidity` holds mint/burn/collect and
`pool` the swap and quotes.
"""

from collections.abc import Hashable
from itertools import count
from typing import Self

from amm.errors import Revert
from amm.v3 import oracle
from amm.v3.constants import MAX_UINT16, Q128, UINT128_MOD, wrap_int56
from amm.v3.full_math import mul_div, mul_div_rounding_up
from amm.v3.oracle import Observation
from amm.v3.position import PositionInfo
from amm.v3.tick import TickInfo, tick_spacing_to_max_liquidity_per_tick
from amm.v3.tick_bitmap import flip_tick
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_tick_at_sqrt_ratio,
    sqrt_ratio_at_tick_cached,
)

_MASK32 = (1 << 32) - 1
_MASK128 = UINT128_MOD - 1
_MASK256 = (1 << 256) - 1
_MASK160 = (1 << 160) - 1

PositionKey = tuple[Hashable, int, int]

# Index versions are unique across pools, so a shallow copy (which shares a cached quote prefix) that edits
# its index can never match the original's cache by accident.
index_versions = count(1)


def check_ticks(tick_lower: int, tick_upper: int) -> None:
    """UniswapV3Pool.checkTicks: a valid range, or Revert 'TLU', 'TLM', 'TUM'."""
    if tick_lower >= tick_upper:
        raise Revert("TLU")
    if tick_lower < MIN_TICK:
        raise Revert("TLM")
    if tick_upper > MAX_TICK:
        raise Revert("TUM")


class PoolState:
    """UniswapV3Pool storage and non-trading calls; see `amm.v3.pool.Pool` for the full model.

    Time: mutating calls take `timestamp=None`, meaning `self.timestamp`; an explicit timestamp also advances
    `self.timestamp` when the call succeeds. Owners are any hashable (e.g. an address string); mint credits
    the `owner` position and burn/collect act on it (the contract's msg.sender). Token transfers are assumed
    to be paid in full; `balance0`/`balance1` track what the pool would hold (paid in minus paid out).
    """

    _idx_version: int = 0  # bumped (from `index_versions`) on every edit of the tick index

    def __init__(
        self,
        fee: int,
        tick_spacing: int,
        *,
        max_liquidity_per_tick: int | None = None,
        address: str | None = None,
        token0: str | None = None,
        token1: str | None = None,
    ) -> None:
        if not 0 <= fee < 1_000_000:
            raise ValueError(f"fee must be in [0, 1e6) pips, got {fee}")
        if not 0 < tick_spacing < 16384:
            raise ValueError(f"tick_spacing must be in (0, 16384), got {tick_spacing}")
        self.fee = fee
        self.tick_spacing = tick_spacing
        self.max_liquidity_per_tick = (
            tick_spacing_to_max_liquidity_per_tick(tick_spacing)
            if max_liquidity_per_tick is None
            else max_liquidity_per_tick
        )
        self.address = address
        self.token0 = token0
        self.token1 = token1
        # slot0
        self.sqrt_price_x96 = 0
        self.tick = 0
        self.observation_index = 0
        self.observation_cardinality = 0
        self.observation_cardinality_next = 0
        self.fee_protocol = 0
        self.unlocked = False
        self.fee_growth_global0_x128 = 0
        self.fee_growth_global1_x128 = 0
        self.protocol_fees: tuple[int, int] = (0, 0)
        self.liquidity = 0
        self.ticks: dict[int, TickInfo] = {}
        self.tick_bitmap: dict[int, int] = {}
        self.positions: dict[PositionKey, PositionInfo] = {}
        self.observations: list[Observation] = []
        self.balance0 = 0
        self.balance1 = 0
        self.timestamp = 0
        # hot-path index: sorted initialised ticks with their liquidity_net and sqrt ratio
        self._idx_ticks: list[int] = []
        self._idx_nets: list[int] = []
        self._idx_sqrts: list[int] = []
        self._idx_version = next(index_versions)

    # ----------------------------------------------------------------------------------------------- loading
    @classmethod
    def from_state(
        cls,
        fee: int,
        tick_spacing: int,
        *,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        fee_growth_global0_x128: int = 0,
        fee_growth_global1_x128: int = 0,
        protocol_fees: tuple[int, int] = (0, 0),
        fee_protocol: int = 0,
        observation_index: int = 0,
        observation_cardinality: int = 1,
        observation_cardinality_next: int = 1,
        ticks: dict[int, TickInfo] | None = None,
        tick_bitmap: dict[int, int] | None = None,
        positions: dict[PositionKey, PositionInfo] | None = None,
        observations: list[Observation] | None = None,
        max_liquidity_per_tick: int | None = None,
        address: str | None = None,
        token0: str | None = None,
        token1: str | None = None,
        balance0: int = 0,
        balance1: int = 0,
        timestamp: int = 0,
        unlocked: bool = True,
    ) -> "Self":
        """Build a pool from on-chain state (slot0, globals, ticks, ...) and index it for the swap loop.

        The dicts are taken over, not copied. Without `tick_bitmap` it is derived from the ticks with non-zero
        liquidity_gross (or liquidity_net); with it, the bitmap decides where swaps stop, as in the contract,
        and a set bit without a `ticks` entry reads as an all-zero tick. Without `observations` the oracle
        slots read as zero (amounts and prices do not depend on them).
        """
        if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
            raise ValueError(f"sqrt_price_x96 {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
        implied = get_tick_at_sqrt_ratio(sqrt_price_x96)
        if tick not in (implied, implied - 1):  # implied - 1: a zeroForOne swap that stopped on a tick
            raise ValueError(f"tick {tick} does not match sqrt_price_x96 (implies {implied})")
        pool = cls(
            fee,
            tick_spacing,
            max_liquidity_per_tick=max_liquidity_per_tick,
            address=address,
            token0=token0,
            token1=token1,
        )
        pool.sqrt_price_x96 = sqrt_price_x96
        pool.tick = tick
        pool.liquidity = liquidity
        pool.fee_growth_global0_x128 = fee_growth_global0_x128
        pool.fee_growth_global1_x128 = fee_growth_global1_x128
        pool.protocol_fees = (protocol_fees[0], protocol_fees[1])
        pool.fee_protocol = fee_protocol
        pool.observation_index = observation_index
        pool.observation_cardinality = observation_cardinality
        pool.observation_cardinality_next = observation_cardinality_next
        pool.unlocked = unlocked
        pool.ticks = ticks if ticks is not None else {}
        pool.positions = positions if positions is not None else {}
        pool.observations = observations if observations is not None else []
        pool.balance0 = balance0
        pool.balance1 = balance1
        pool.timestamp = timestamp
        if tick_bitmap is None:
            tick_bitmap = {}
            for t, info in pool.ticks.items():
                if info.liquidity_gross or info.liquidity_net:
                    if t % tick_spacing:
                        raise ValueError(
                            f"initialised tick {t} is not a multiple of tick_spacing {tick_spacing}"
                        )
                    flip_tick(tick_bitmap, t, tick_spacing)
        pool.tick_bitmap = tick_bitmap
        pool.rebuild_index()
        return pool

    def rebuild_index(self) -> None:
        """Recompute the sorted tick index from `tick_bitmap` and `ticks` (after editing them by hand)."""
        spacing = self.tick_spacing
        found: list[int] = []
        for word_pos, word in self.tick_bitmap.items():
            while word:
                low = word & -word
                found.append(((word_pos << 8) + low.bit_length() - 1) * spacing)
                word ^= low
        found.sort()
        empty = TickInfo()
        self._idx_ticks = found
        self._idx_nets = [self.ticks.get(t, empty).liquidity_net for t in found]
        self._idx_sqrts = [sqrt_ratio_at_tick_cached(t) for t in found]
        self._idx_version = next(index_versions)

    @property
    def initialized_ticks(self) -> list[int]:
        """The initialised ticks in ascending order (a copy of the swap index)."""
        return list(self._idx_ticks)

    @property
    def slot0(self) -> tuple[int, int, int, int, int, int, bool]:
        """The contract's slot0 getter: (sqrtPriceX96, tick, observationIndex, observationCardinality,
        observationCardinalityNext, feeProtocol, unlocked)."""
        return (
            self.sqrt_price_x96,
            self.tick,
            self.observation_index,
            self.observation_cardinality,
            self.observation_cardinality_next,
            self.fee_protocol,
            self.unlocked,
        )

    # ------------------------------------------------------------------------------------------ lifecycle
    def _time(self, timestamp: int | None) -> int:
        return (self.timestamp if timestamp is None else timestamp) & _MASK32

    def _advance(self, timestamp: int | None) -> None:
        if timestamp is not None:
            self.timestamp = timestamp

    def _lock(self) -> None:
        if not self.unlocked:
            raise Revert("LOK")

    def initialize(self, sqrt_price_x96: int, *, timestamp: int = 0) -> None:
        """UniswapV3Pool.initialize: set the first price (reverts 'AI' if set, 'R' if out of range)."""
        if self.sqrt_price_x96 != 0:
            raise Revert("AI")
        tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
        obs: list[Observation] = []
        cardinality, cardinality_next = oracle.initialize(obs, timestamp & _MASK32)
        self.observations = obs
        self.sqrt_price_x96 = sqrt_price_x96
        self.tick = tick
        self.observation_index = 0
        self.observation_cardinality = cardinality
        self.observation_cardinality_next = cardinality_next
        self.fee_protocol = 0
        self.unlocked = True
        self.timestamp = timestamp

    def increase_observation_cardinality_next(self, observation_cardinality_next: int) -> None:
        """UniswapV3Pool.increaseObservationCardinalityNext: grow the oracle ring buffer."""
        self._lock()
        if not 0 <= observation_cardinality_next <= MAX_UINT16:
            raise ValueError("observation_cardinality_next is a uint16")
        self.observation_cardinality_next = oracle.grow(
            self.observations, self.observation_cardinality_next, observation_cardinality_next
        )

    def set_fee_protocol(self, fee_protocol0: int, fee_protocol1: int) -> None:
        """UniswapV3Pool.setFeeProtocol: each side 0 (off) or a denominator in [4, 10], else ''."""
        self._lock()
        if not (
            (fee_protocol0 == 0 or 4 <= fee_protocol0 <= 10)
            and (fee_protocol1 == 0 or 4 <= fee_protocol1 <= 10)
        ):
            raise Revert("")
        self.fee_protocol = fee_protocol0 + (fee_protocol1 << 4)

    def collect_protocol(self, amount0_requested: int, amount1_requested: int) -> tuple[int, int]:
        """UniswapV3Pool.collectProtocol: withdraw protocol fees, always leaving 1 wei in a non-empty slot."""
        self._lock()
        fees0, fees1 = self.protocol_fees
        amount0 = fees0 if amount0_requested > fees0 else amount0_requested
        amount1 = fees1 if amount1_requested > fees1 else amount1_requested
        if amount0 > 0:
            if amount0 == fees0:
                amount0 -= 1  # ensure that the slot is not cleared, for gas savings
            fees0 -= amount0
        if amount1 > 0:
            if amount1 == fees1:
                amount1 -= 1
            fees1 -= amount1
        self.protocol_fees = (fees0, fees1)
        self.balance0 -= amount0
        self.balance1 -= amount1
        return amount0, amount1

    def flash(
        self, amount0: int, amount1: int, paid0: int | None = None, paid1: int | None = None
    ) -> tuple[int, int]:
        """UniswapV3Pool.flash: lend amounts for one call; paid0/paid1 are what comes back on top of the loan.

        They default to the minimum fee, mulDivRoundingUp(amount, fee, 1e6); less reverts 'F0'/'F1'. All of
        the surplus accrues to in-range LPs (minus the protocol share). Returns (fee0, fee1).
        """
        self._lock()
        liquidity = self.liquidity
        if liquidity <= 0:
            raise Revert("L")
        fee0 = mul_div_rounding_up(amount0, self.fee, 1_000_000)
        fee1 = mul_div_rounding_up(amount1, self.fee, 1_000_000)
        paid0 = fee0 if paid0 is None else paid0
        paid1 = fee1 if paid1 is None else paid1
        if paid0 < fee0:
            raise Revert("F0")
        if paid1 < fee1:
            raise Revert("F1")
        fg0 = self.fee_growth_global0_x128
        fg1 = self.fee_growth_global1_x128
        pf0, pf1 = self.protocol_fees
        if paid0 > 0:
            fee_protocol0 = self.fee_protocol % 16
            fees0 = 0 if fee_protocol0 == 0 else paid0 // fee_protocol0
            if fees0 & _MASK128:
                pf0 = (pf0 + fees0) & _MASK128
            fg0 = (fg0 + mul_div(paid0 - fees0, Q128, liquidity)) & _MASK256
        if paid1 > 0:
            fee_protocol1 = self.fee_protocol >> 4
            fees1 = 0 if fee_protocol1 == 0 else paid1 // fee_protocol1
            if fees1 & _MASK128:
                pf1 = (pf1 + fees1) & _MASK128
            fg1 = (fg1 + mul_div(paid1 - fees1, Q128, liquidity)) & _MASK256
        self.fee_growth_global0_x128 = fg0
        self.fee_growth_global1_x128 = fg1
        self.protocol_fees = (pf0, pf1)
        self.balance0 += paid0
        self.balance1 += paid1
        return fee0, fee1

    # ------------------------------------------------------------------------------------------- oracle
    def observe(
        self, seconds_agos: list[int], *, timestamp: int | None = None
    ) -> tuple[list[int], list[int]]:
        """UniswapV3Pool.observe: (tickCumulatives, secondsPerLiquidityCumulativeX128s) per secondsAgo."""
        return oracle.observe(
            self.observations,
            self._time(timestamp),
            seconds_agos,
            self.tick,
            self.observation_index,
            self.liquidity,
            self.observation_cardinality,
        )

    def snapshot_cumulatives_inside(
        self, tick_lower: int, tick_upper: int, *, timestamp: int | None = None
    ) -> tuple[int, int, int]:
        """UniswapV3Pool.snapshotCumulativesInside: (tickCumulativeInside, secondsPerLiquidityInsideX128,
        secondsInside) for a range whose both ticks are initialised (reverts '' otherwise)."""
        check_ticks(tick_lower, tick_upper)
        lower = self.ticks.get(tick_lower)
        upper = self.ticks.get(tick_upper)
        if lower is None or not lower.initialized or upper is None or not upper.initialized:
            raise Revert("")
        if self.tick < tick_lower:
            return (
                wrap_int56(lower.tick_cumulative_outside - upper.tick_cumulative_outside),
                (lower.seconds_per_liquidity_outside_x128 - upper.seconds_per_liquidity_outside_x128)
                & _MASK160,
                (lower.seconds_outside - upper.seconds_outside) & _MASK32,
            )
        if self.tick < tick_upper:
            time = self._time(timestamp)
            tick_cumulative, spl = oracle.observe_single(
                self.observations,
                time,
                0,
                self.tick,
                self.observation_index,
                self.liquidity,
                self.observation_cardinality,
            )
            return (
                wrap_int56(tick_cumulative - lower.tick_cumulative_outside - upper.tick_cumulative_outside),
                (spl - lower.seconds_per_liquidity_outside_x128 - upper.seconds_per_liquidity_outside_x128)
                & _MASK160,
                (time - lower.seconds_outside - upper.seconds_outside) & _MASK32,
            )
        return (
            wrap_int56(upper.tick_cumulative_outside - lower.tick_cumulative_outside),
            (upper.seconds_per_liquidity_outside_x128 - lower.seconds_per_liquidity_outside_x128) & _MASK160,
            (upper.seconds_outside - lower.seconds_outside) & _MASK32,
        )
