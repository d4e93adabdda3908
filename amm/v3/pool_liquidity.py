"""Liquidity provision for the in-memory UniswapV3Pool: mint, burn, collect (_modifyPosition)."""

from bisect import bisect_left
from collections.abc import Hashable

from amm.errors import Revert
from amm.v3 import oracle
from amm.v3.constants import MAX_INT128, MAX_UINT128, UINT128_MOD
from amm.v3.liquidity_math import add_delta
from amm.v3.pool_state import PoolState, check_ticks, index_versions
from amm.v3.position import updated as position_updated
from amm.v3.sqrt_price_math import get_amount0_delta_signed, get_amount1_delta_signed
from amm.v3.tick import TickInfo, get_fee_growth_inside
from amm.v3.tick import updated as tick_updated
from amm.v3.tick_bitmap import flip_tick
from amm.v3.tick_math import sqrt_ratio_at_tick_cached

_MASK128 = UINT128_MOD - 1


class PoolLiquidity(PoolState):
    """mint/burn/collect on top of PoolState; every check runs before the first write."""

    # ------------------------------------------------------------------------------------------ positions
    def mint(
        self, owner: Hashable, tick_lower: int, tick_upper: int, amount: int, *, timestamp: int | None = None
    ) -> tuple[int, int]:
        """UniswapV3Pool.mint: add liquidity to owner's position; returns the tokens owed to the pool."""
        self._lock()
        if amount <= 0:
            raise Revert("")  # require(amount > 0)
        if amount > MAX_INT128:
            raise Revert("")  # SafeCast.toInt128
        amount0, amount1 = self._modify_position(owner, tick_lower, tick_upper, amount, timestamp)
        self.balance0 += amount0
        self.balance1 += amount1
        return amount0, amount1

    def burn(
        self, owner: Hashable, tick_lower: int, tick_upper: int, amount: int, *, timestamp: int | None = None
    ) -> tuple[int, int]:
        """UniswapV3Pool.burn: remove liquidity; the tokens are credited to tokens_owed (collect them after).

        `amount` 0 "pokes" the position to credit its fees (reverts 'NP' for an empty position).
        """
        self._lock()
        if not 0 <= amount <= MAX_INT128:
            if amount < 0:
                raise ValueError("amount is a uint128")
            raise Revert("")  # SafeCast.toInt128
        key = (owner, tick_lower, tick_upper)
        amount0_int, amount1_int = self._modify_position(owner, tick_lower, tick_upper, -amount, timestamp)
        amount0, amount1 = -amount0_int, -amount1_int
        if amount0 > 0 or amount1 > 0:
            position = self.positions[key]
            position.tokens_owed0 = (position.tokens_owed0 + amount0) & _MASK128
            position.tokens_owed1 = (position.tokens_owed1 + amount1) & _MASK128
        return amount0, amount1

    def collect(
        self,
        owner: Hashable,
        tick_lower: int,
        tick_upper: int,
        amount0_requested: int = MAX_UINT128,
        amount1_requested: int = MAX_UINT128,
    ) -> tuple[int, int]:
        """UniswapV3Pool.collect: pay out up to the requested tokens owed to owner's position."""
        self._lock()
        position = self.positions.get((owner, tick_lower, tick_upper))
        owed0 = position.tokens_owed0 if position is not None else 0
        owed1 = position.tokens_owed1 if position is not None else 0
        amount0 = owed0 if amount0_requested > owed0 else amount0_requested
        amount1 = owed1 if amount1_requested > owed1 else amount1_requested
        if position is not None:
            if amount0 > 0:
                position.tokens_owed0 -= amount0
            if amount1 > 0:
                position.tokens_owed1 -= amount1
        self.balance0 -= amount0
        self.balance1 -= amount1
        return amount0, amount1

    def _modify_position(
        self, owner: Hashable, tick_lower: int, tick_upper: int, liquidity_delta: int, timestamp: int | None
    ) -> tuple[int, int]:
        """UniswapV3Pool._modifyPosition + _updatePosition, computed in full before anything is written."""
        check_ticks(tick_lower, tick_upper)
        time = self._time(timestamp)
        tick = self.tick
        fg0 = self.fee_growth_global0_x128
        fg1 = self.fee_growth_global1_x128
        ticks = self.ticks
        key = (owner, tick_lower, tick_upper)

        lower = ticks.get(tick_lower)
        upper = ticks.get(tick_upper)
        flipped_lower = flipped_upper = False
        if liquidity_delta != 0:
            tick_cumulative, spl = oracle.observe_single(
                self.observations,
                time,
                0,
                tick,
                self.observation_index,
                self.liquidity,
                self.observation_cardinality,
            )
            args = (fg0, fg1, spl, tick_cumulative, time)
            lower, flipped_lower = tick_updated(
                lower, tick_lower, tick, liquidity_delta, *args, False, self.max_liquidity_per_tick
            )
            upper, flipped_upper = tick_updated(
                upper, tick_upper, tick, liquidity_delta, *args, True, self.max_liquidity_per_tick
            )
            # TickBitmap.flipTick: require(tick % tickSpacing == 0), lower first
            if flipped_lower and tick_lower % self.tick_spacing:
                raise Revert("")
            if flipped_upper and tick_upper % self.tick_spacing:
                raise Revert("")

        view = {}
        if lower is not None:
            view[tick_lower] = lower
        if upper is not None:
            view[tick_upper] = upper
        inside0, inside1 = get_fee_growth_inside(view, tick_lower, tick_upper, tick, fg0, fg1)
        position = position_updated(self.positions.get(key), liquidity_delta, inside0, inside1)

        amount0 = amount1 = 0
        in_range = False
        liquidity_after = self.liquidity
        if liquidity_delta != 0:
            if tick < tick_lower:
                amount0 = get_amount0_delta_signed(
                    sqrt_ratio_at_tick_cached(tick_lower),
                    sqrt_ratio_at_tick_cached(tick_upper),
                    liquidity_delta,
                )
            elif tick < tick_upper:
                in_range = True
                amount0 = get_amount0_delta_signed(
                    self.sqrt_price_x96, sqrt_ratio_at_tick_cached(tick_upper), liquidity_delta
                )
                amount1 = get_amount1_delta_signed(
                    sqrt_ratio_at_tick_cached(tick_lower), self.sqrt_price_x96, liquidity_delta
                )
                liquidity_after = add_delta(self.liquidity, liquidity_delta)
            else:
                amount1 = get_amount1_delta_signed(
                    sqrt_ratio_at_tick_cached(tick_lower),
                    sqrt_ratio_at_tick_cached(tick_upper),
                    liquidity_delta,
                )

        # ---- commit (nothing below can revert)
        if liquidity_delta != 0:
            assert lower is not None and upper is not None
            ticks[tick_lower] = lower
            ticks[tick_upper] = upper
            for t, info, flipped in ((tick_lower, lower, flipped_lower), (tick_upper, upper, flipped_upper)):
                if flipped:
                    flip_tick(self.tick_bitmap, t, self.tick_spacing)
                self._index_sync(t, info, flipped)
        self.positions[key] = position
        if liquidity_delta < 0:
            if flipped_lower:
                del ticks[tick_lower]
            if flipped_upper:
                del ticks[tick_upper]
        if in_range:
            self.observation_index, self.observation_cardinality = oracle.write(
                self.observations,
                self.observation_index,
                time,
                tick,
                self.liquidity,
                self.observation_cardinality,
                self.observation_cardinality_next,
            )
            self.liquidity = liquidity_after
        self._advance(timestamp)
        return amount0, amount1

    def _index_sync(self, tick: int, info: TickInfo, flipped: bool) -> None:
        """Mirror a tick update into the sorted index: insert/remove on a flip, else refresh liquidity_net."""
        self._idx_version = next(index_versions)  # cached quote prefixes of the old index are stale
        idx = self._idx_ticks
        k = bisect_left(idx, tick)
        present = k < len(idx) and idx[k] == tick
        if flipped:
            word_pos = (tick // self.tick_spacing) >> 8
            bit = 1 << ((tick // self.tick_spacing) & 0xFF)
            now_set = bool(self.tick_bitmap.get(word_pos, 0) & bit)
            if now_set and not present:
                idx.insert(k, tick)
                self._idx_nets.insert(k, info.liquidity_net)
                self._idx_sqrts.insert(k, sqrt_ratio_at_tick_cached(tick))
                return
            if not now_set and present:
                del idx[k]
                del self._idx_nets[k]
                del self._idx_sqrts[k]
                return
        if present:
            self._idx_nets[k] = info.liquidity_net
