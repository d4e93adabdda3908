"""Classic UniswapV2Pair situations on the real bytecode, side by side with the model (LivePair compares).

Swaps at the library price and one wei beyond it (reverts 'UniswapV2: K'), flash-style swaps that pay the
output token back, both directions, burns, price accumulators across block timestamps, and the protocol fee
switched off and on by the factory's feeToSetter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from amm.v2.library import get_amount_in, get_amount_out
from amm.v2.pair import MINIMUM_LIQUIDITY, ZERO_ADDRESS

from .live_pair import LivePair, V2Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

E18 = 10**18
RESERVES = [(5, 10), (10, 5), (10, 10), (100, 100), (1000, 1000), (1, 10**6)]


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V2Rig:
    return V2Rig.deploy(bare)


def funded(rig: V2Rig, reserve0: int, reserve1: int) -> LivePair:
    live = LivePair.create(rig, rig.chain.next_timestamp())
    lp = rig.users[0]
    live.mint(lp, lp, reserve0, reserve1)
    return live


@pytest.mark.parametrize(("reserve0", "reserve1"), RESERVES)
@pytest.mark.parametrize("amount_in", [E18, 2 * E18, 12345])
def test_library_output_is_accepted_and_one_more_wei_is_not(
    bare_node: Bare, rig: V2Rig, reserve0: int, reserve1: int, amount_in: int
) -> None:
    live = funded(rig, reserve0 * E18, reserve1 * E18)
    trader = rig.users[1]
    for zero_for_one in (True, False):
        m = live.model
        reserves = (m.reserve0, m.reserve1) if zero_for_one else (m.reserve1, m.reserve0)
        best = get_amount_out(amount_in, *reserves)
        outs, ins = ((0, best), (amount_in, 0)) if zero_for_one else ((best, 0), (0, amount_in))
        too_much = (outs[0] + (not zero_for_one), outs[1] + zero_for_one)
        assert live.swap(trader, too_much, ins, trader) == "UniswapV2: K"
        accepted = live.swap(trader, outs, (0, 0), trader)  # the input sent above still counts
        assert accepted == ((ins[0], ins[1]) if best else "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT")
        live.check_state()


@pytest.mark.parametrize(("reserve0", "reserve1"), RESERVES)
def test_flash_swap_paid_back_in_the_same_token(
    bare_node: Bare, rig: V2Rig, reserve0: int, reserve1: int
) -> None:
    live = funded(rig, reserve0 * E18, reserve1 * E18)
    trader = rig.users[1]
    out = live.model.reserve0 // 3
    # the least token0 that satisfies K when token0 is both taken and returned: in*997/1000 >= out
    back = -(-out * 1000 // 997)
    assert live.swap(trader, (out, 0), (back - 1, 0), trader) == "UniswapV2: K"
    assert live.swap(trader, (out, 0), (1, 0), trader) == (back, 0)
    live.check_state()
    needed = get_amount_in(E18, live.model.reserve1, live.model.reserve0)
    assert live.swap(trader, (E18, 0), (0, needed - 1), trader) == "UniswapV2: K"
    assert isinstance(live.swap(trader, (E18, 0), (0, 1), trader), tuple)


def test_burn_and_price_accumulators_over_time(bare_node: Bare, rig: V2Rig) -> None:
    live = funded(rig, 3 * E18, 3 * E18)
    lp, trader = rig.users[0], rig.users[1]
    for dt, action in ((1, "sync"), (9, "swap"), (10, "sync"), (0, "sync"), (3600, "burn")):
        live.ts += dt
        if action == "sync":
            live.sync(trader)
        elif action == "swap":
            live.swap(trader, (E18, 0), (0, 3 * E18), trader)
        else:
            held = live.model.balance_of[lp]
            assert held == 3 * E18 - MINIMUM_LIQUIDITY
            amounts = live.burn(lp, lp, held)
            assert isinstance(amounts, tuple) and min(amounts) > 0
        live.check_state()
    assert live.model.total_supply == MINIMUM_LIQUIDITY
    assert live.model.price0_cumulative_last and live.model.price1_cumulative_last


@pytest.mark.parametrize("fee_on", [False, True])
def test_protocol_fee_off_and_on(bare_node: Bare, rig: V2Rig, fee_on: bool) -> None:
    live = LivePair.create(rig, rig.chain.next_timestamp())
    live.set_fee_to(rig.fee_to if fee_on else ZERO_ADDRESS)
    lp, trader = rig.users[0], rig.users[1]
    live.mint(lp, lp, 1000 * E18, 1000 * E18)
    out = get_amount_out(E18, 1000 * E18, 1000 * E18)
    live.swap(trader, (out, 0), (0, E18), trader)
    live.burn(lp, lp, live.model.balance_of[lp])
    live.check_state()
    fees = live.model.balance_of.get(rig.fee_to, 0)
    assert (fees > 0) == fee_on
    assert live.model.total_supply == MINIMUM_LIQUIDITY + fees
    if fee_on:
        live.set_fee_to(ZERO_ADDRESS)  # switched off again: kLast is cleared at the next mint
        live.mint(lp, lp, E18, E18)
        live.check_state()
        assert live.model.k_last == 0
