"""Exact integer accounting of a concrete v3 position, computed as the contract computes it.

Token amounts are what `burn` would credit now (SqrtPriceMath.getAmount{0,1}Delta rounded down) and
uncollected fees are ``tokensOwed + mulDiv(feeGrowthInside − feeGrowthInsideLast, liquidity, 2¹²⁸)`` with the
contract's wrap-around (Tick.getFeeGrowthInside, Position.update). It builds on `amm.v3` and duplicates none
of it. Works on an `amm.v3.pool.Pool` (hypothetical positions) or on raw state read from chain.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from amm.analytics.position import RangePosition
from amm.v3.position import PositionInfo
from amm.v3.position import updated as position_updated
from amm.v3.sqrt_price_math import get_amount0_delta, get_amount1_delta
from amm.v3.tick import TickInfo, get_fee_growth_inside
from amm.v3.tick_math import get_sqrt_ratio_at_tick


class PoolLike(Protocol):
    """The parts of `amm.v3.pool.Pool` (or a chain snapshot with the same names) that we read."""

    sqrt_price_x96: int
    tick: int
    fee_growth_global0_x128: int
    fee_growth_global1_x128: int
    ticks: dict[int, TickInfo]
    positions: dict[Any, PositionInfo]


@dataclass(frozen=True)
class ExactPositionState:
    """A position's exact state: liquidity, tokens a full burn would credit, uncollected fees (raw ints)."""

    tick_lower: int
    tick_upper: int
    liquidity: int
    amount0: int
    amount1: int
    fees0: int
    fees1: int

    def to_dict(self) -> dict[str, int]:
        """Integers stay integers (Python's json writes them exactly)."""
        return asdict(self)

    def to_range(self, decimals0: int, decimals1: int) -> RangePosition:
        """The float view for analysis (`amm.analytics.position`)."""
        return RangePosition.from_raw(self.tick_lower, self.tick_upper, self.liquidity, decimals0, decimals1)

    def value_in_token1(self, sqrt_price_x96: int, decimals0: int, decimals1: int) -> float:
        """Display-only float value of tokens plus fees at the given pool price, in human token1."""
        price_raw = (sqrt_price_x96 / 2**96) ** 2
        raw = (self.amount0 + self.fees0) * price_raw + (self.amount1 + self.fees1)
        return raw / 10.0**decimals1


def position_amounts(
    sqrt_price_x96: int, tick_current: int, tick_lower: int, tick_upper: int, liquidity: int
) -> tuple[int, int]:
    """Tokens that burning ``liquidity`` credits, exactly as `UniswapV3Pool._modifyPosition` computes them."""
    sa, sb = get_sqrt_ratio_at_tick(tick_lower), get_sqrt_ratio_at_tick(tick_upper)
    if tick_current < tick_lower:
        return get_amount0_delta(sa, sb, liquidity, False), 0
    if tick_current < tick_upper:
        return get_amount0_delta(sqrt_price_x96, sb, liquidity, False), get_amount1_delta(
            sa, sqrt_price_x96, liquidity, False
        )
    return 0, get_amount1_delta(sa, sb, liquidity, False)


def uncollected_fees(
    position: PositionInfo,
    tick_lower: int,
    tick_upper: int,
    *,
    tick_current: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
    lower: TickInfo | None,
    upper: TickInfo | None,
) -> tuple[int, int]:
    """``tokensOwed`` after a poke (burn of 0): what `collect` would pay now, fees plus owed principal.

    Inputs are the pool's raw state (e.g. ``slot0``, ``feeGrowthGlobal{0,1}X128``, ``ticks(lower/upper)`` and
    ``positions(key)`` read from chain), so a live position can be valued without a pool model.
    """
    view = {t: info for t, info in ((tick_lower, lower), (tick_upper, upper)) if info is not None}
    inside0, inside1 = get_fee_growth_inside(
        view, tick_lower, tick_upper, tick_current, fee_growth_global0_x128, fee_growth_global1_x128
    )
    if position.liquidity == 0:
        return position.tokens_owed0, position.tokens_owed1
    poked = position_updated(position, 0, inside0, inside1)
    return poked.tokens_owed0, poked.tokens_owed1


def position_state(pool: PoolLike, owner: Hashable, tick_lower: int, tick_upper: int) -> ExactPositionState:
    """Exact state of ``owner``'s position in a pool model, without mutating the pool."""
    info = pool.positions.get((owner, tick_lower, tick_upper)) or PositionInfo()
    a0, a1 = position_amounts(pool.sqrt_price_x96, pool.tick, tick_lower, tick_upper, info.liquidity)
    f0, f1 = uncollected_fees(
        info,
        tick_lower,
        tick_upper,
        tick_current=pool.tick,
        fee_growth_global0_x128=pool.fee_growth_global0_x128,
        fee_growth_global1_x128=pool.fee_growth_global1_x128,
        lower=pool.ticks.get(tick_lower),
        upper=pool.ticks.get(tick_upper),
    )
    return ExactPositionState(tick_lower, tick_upper, info.liquidity, a0, a1, f0, f1)
