"""mint / burn / collect / protocol fees on a real UniswapV3Pool, side by side with the model.

Classic LP situations (a 0.3% pool at price 1:10 with a little full-range liquidity; ranges above, across and
below the price, at the extreme usable ticks, with 2**102 liquidity; burn then collect; a position burned to
zero after fees; protocol fees switched on by the factory owner and collected) are run on anvil; every amount
comes from the pool's events and every storage value is compared (LivePool does both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

from ._helpers import E18, MAX_UINT128, max_usable_tick, min_usable_tick, sqrt_price
from .live_pool import LivePool, V3Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

SPACING = 60
MIN_T, MAX_T = min_usable_tick(SPACING), max_usable_tick(SPACING)
RANGES = [
    (-22980, 0, 10000),  # above the price: token0 only
    (MAX_T - SPACING, MAX_T, 2**102),
    (-22980, MAX_T, 10000),
    (MIN_T + SPACING, MAX_T - SPACING, 100),  # across the price: both tokens
    (MIN_T, MAX_T, 10000),
    (-46080, -23040, 10000),  # below the price: token1 only
    (MIN_T, MIN_T + SPACING, 2**102),
    (MIN_T, -23040, 10000),
    (-240, 0, 10000),
    (-46080, -46020, 10000),
]


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V3Rig:
    return V3Rig.deploy(bare)


def pool_at(rig: V3Rig, price: int, liquidity: int) -> LivePool:
    live = LivePool.create(rig, 3000, price)
    live.mint(0, MIN_T, MAX_T, liquidity)
    return live


def test_mints_burns_and_collects_at_price_1_to_10(bare_node: Bare, rig: V3Rig) -> None:
    live = pool_at(rig, sqrt_price(1, 10), 3161)
    assert live.model.tick < -23000  # the ranges above sit on both sides of this price
    for lower, upper, amount in RANGES:
        minted = live.mint(1, lower, upper, amount)
        assert isinstance(minted, tuple) and minted != (0, 0)
    live.check_state()
    for lower, upper, amount in RANGES:  # burn credits tokens owed (rounded down); collect pays them
        burned = live.burn(1, lower, upper, amount)
        collected = live.collect(1, lower, upper, MAX_UINT128, MAX_UINT128)
        assert collected == burned
    live.check_full_state()


def test_failed_mints_revert_with_the_contracts_reasons(bare_node: Bare, rig: V3Rig) -> None:
    live = pool_at(rig, sqrt_price(1, 10), 3161)
    cap = live.model.max_liquidity_per_tick
    for lower, upper, amount, reason in [
        (1, 0, 1, "TLU"),
        (-887273, 0, 1, "TLM"),
        (0, 887273, 1, "TUM"),
        (MIN_T + SPACING, MAX_T - SPACING, cap + 1, "LO"),
        (MIN_T + SPACING, MAX_T - SPACING, 0, ""),
        (1, 61, 5, ""),  # not on the spacing
    ]:
        assert live.mint(1, lower, upper, amount) == reason
    live.mint(1, MIN_T + SPACING, MAX_T - SPACING, 1000)
    assert live.mint(2, MIN_T + SPACING, MAX_T - SPACING, cap - 1000 + 1) == "LO"
    assert isinstance(live.mint(2, MIN_T + SPACING, MAX_T - SPACING, cap - 1000), tuple)
    assert live.burn(3, MIN_T + SPACING, MAX_T - SPACING, 1) == "LS"  # someone else's liquidity
    assert live.burn(3, MIN_T + SPACING, MAX_T - SPACING, 0) == "NP"  # poking an empty position
    live.check_full_state()


def test_fees_of_a_position_burned_to_zero(bare_node: Bare, rig: V3Rig) -> None:
    live = pool_at(rig, sqrt_price(1, 1), 2 * E18)
    live.mint(1, MIN_T, MAX_T, E18, dt=10)
    live.swap(2, True, E18, MIN_SQRT_RATIO + 1)
    live.swap(2, False, E18, MAX_SQRT_RATIO - 1)
    live.burn(1, MIN_T, MAX_T, E18)
    position = live.model.positions[(rig.actors[1], MIN_T, MAX_T)]
    assert position.liquidity == 0 and position.tokens_owed0 and position.tokens_owed1
    live.check_state()  # fee growth snapshot and tokens owed equal the chain's
    assert live.burn(1, MIN_T, MAX_T, 0) == "NP"
    live.collect(1, MIN_T, MAX_T, 1, 0)
    live.collect(1, MIN_T, MAX_T, MAX_UINT128, MAX_UINT128)
    live.check_full_state()


def test_protocol_fees_accumulate_and_are_collected(bare_node: Bare, rig: V3Rig) -> None:
    live = pool_at(rig, sqrt_price(1, 1), 2 * E18)
    assert live.set_fee_protocol(6, 6) == ()
    live.mint(0, MIN_T + SPACING, MAX_T - SPACING, E18)
    live.swap(1, True, E18 // 10, MIN_SQRT_RATIO + 1)
    live.swap(1, False, E18 // 100, MAX_SQRT_RATIO - 1)
    fees = live.model.protocol_fees
    assert fees[0] > 0 and fees[1] > 0
    assert live.collect_protocol(MAX_UINT128, MAX_UINT128) == (fees[0] - 1, fees[1] - 1)  # one wei stays
    assert live.set_fee_protocol(3, 0) == ""
    assert live.set_fee_protocol(0, 10) == ()
    live.swap(1, True, E18 // 10, MIN_SQRT_RATIO + 1)
    live.check_full_state()
