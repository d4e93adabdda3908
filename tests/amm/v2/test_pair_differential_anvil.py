"""amm.v2.Pair against the real UniswapV2Pair bytecode: random operation sequences, compared step by step.

Each hypothesis example creates a fresh pair of the module's test tokens through the real UniswapV2Factory
(inside an evm_snapshot), then EOAs drive it the way routers and bots do: transfer tokens in and call mint,
transfer LP tokens in and call burn, transfer in and call swap (the library amount, one wei too much, flash
style with the output token paid back, zero, all of a reserve, to a token address), donate, skim, sync, move
LP tokens, and switch the protocol fee (factory feeTo, set by the impersonated feeToSetter) on and off, at
chosen block timestamps (some examples cross the uint32 wrap of timestamps). After every step the returned
amounts or the revert reasons and the whole pair state (reserves, timestamp, price accumulators, kLast,
supply, every LP balance, token balances) must be equal.

Longer soak:
    AMM_ANVIL_EXAMPLES=1000 .venv/bin/pytest tests/amm/v2/test_pair_differential_anvil.py -s --timeout 0
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v2.library import get_amount_in, get_amount_out
from amm.v2.pair import ZERO_ADDRESS

from .live_pair import LivePair, V2Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

EXAMPLES = int(os.environ.get("AMM_ANVIL_EXAMPLES", "35"))
OPERATIONS_PER_EXAMPLE = 18  # at least; with v3's 50 x 28 that is >= 2,030 operations in CI
OPERATIONS = ["mint"] * 3 + ["swap"] * 6 + ["burn"] * 2 + ["donate", "skim", "sync", "lp", "fee", "jump"]


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V2Rig:
    return V2Rig.deploy(bare)


def _amounts(exponent_max: int) -> st.SearchStrategy[int]:
    return st.integers(0, exponent_max).flatmap(lambda e: st.integers(max(1, 2 ** (e - 1)), 2**e))


def step(data: st.DataObject, live: LivePair) -> None:
    """Draw and run one operation on the chain and the model."""
    m = live.model
    users = live.rig.users
    who = data.draw(st.sampled_from(users))
    to = data.draw(st.sampled_from(users))
    live.ts += data.draw(st.sampled_from([0, 1, 1, 12, 13, 3600]))
    op = data.draw(st.sampled_from(OPERATIONS))
    if op == "mint":
        a0 = data.draw(_amounts(90))
        a1 = (
            a0 * m.reserve1 // m.reserve0
            if m.reserve0 and data.draw(st.booleans())
            else data.draw(_amounts(90))
        )
        live.mint(who, to, a0, a1)
    elif op == "swap":
        swap(data, live, who, to)
    elif op == "burn":
        holders = [u for u in users if m.balance_of.get(u, 0)]
        if holders and data.draw(st.sampled_from([True] * 5 + [False])):
            who = data.draw(st.sampled_from(holders))
        held = m.balance_of.get(who, 0)
        live.burn(who, to, data.draw(st.sampled_from([held, held // 2, held // 7, 0, held + 1])))
    elif op == "donate":
        big = data.draw(st.sampled_from([False] * 6 + [True]))  # past uint112: the next update reverts
        live.transfer_in(who, data.draw(_amounts(120 if big else 80)), data.draw(_amounts(80)))
    elif op == "skim":
        live.skim(who, to)
    elif op == "sync":
        live.sync(who)
    elif op == "lp":
        held = m.balance_of.get(who, 0)
        live.transfer_lp(who, to, data.draw(st.sampled_from([held // 3, held, held + 1])))
    elif op == "fee":
        live.set_fee_to(data.draw(st.sampled_from([live.rig.fee_to, ZERO_ADDRESS])))
        return
    else:
        live.ts += data.draw(st.sampled_from([86_400, 10**6]))
        return
    live.check_state()


def swap(data: st.DataObject, live: LivePair, who: str, to: str) -> None:
    """Transfer an input in and ask for some output: the library amount, more, less, nothing, too much."""
    m = live.model
    zero_for_one = data.draw(st.booleans())
    reserves = (m.reserve0, m.reserve1) if zero_for_one else (m.reserve1, m.reserve0)
    if reserves[0] and data.draw(st.sampled_from([True] * 5 + [False])):  # a share of the reserve
        amount_in = max(1, reserves[0] * data.draw(st.integers(1, 1000)) >> data.draw(st.integers(0, 40)))
    else:
        amount_in = data.draw(_amounts(96))
    try:
        best = get_amount_out(amount_in, *reserves)
    except Revert:
        best = 1
    kind = data.draw(
        st.sampled_from(["best"] * 4 + ["more", "less", "zero", "reserve", "flash", "token", "none"])
    )
    out = {"best": best, "more": best + 1, "less": best // 2, "zero": 0, "reserve": reserves[1]}.get(
        kind, best
    )
    ins = (amount_in, 0) if zero_for_one else (0, amount_in)
    if kind == "flash":  # take the output token and pay it back with the fee, in the same token
        out = min(best, reserves[1] - 1) if reserves[1] > 1 else 1
        try:
            back = get_amount_in(out, reserves[0], reserves[1]) * reserves[1] // max(reserves[0], 1) + 2
        except Revert:
            back = out * 2
        ins = (0, back) if zero_for_one else (back, 0)
    if kind == "none":
        ins = (0, 0)
    outs = (0, out) if zero_for_one else (out, 0)
    receiver = data.draw(st.sampled_from([live.rig.token0, live.rig.token1])) if kind == "token" else to
    live.swap(who, outs, ins, receiver)


def test_pair_matches_bytecode_over_random_sequences(
    bare_node: Bare, rig: V2Rig, differential_counts: dict[str, Counter[str]]
) -> None:
    """Every operation of every example compared with the real pair; the count is asserted."""
    totals = differential_counts.setdefault("v2 UniswapV2Pair", Counter())

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: failures log their steps
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        node = bare_node.node
        snapshot = node.snapshot()
        try:
            now = bare_node.next_timestamp()
            live = LivePair.create(rig, data.draw(st.sampled_from([now] * 5 + [2**32 - 20_000])))
            if data.draw(st.sampled_from([True] * 7 + [False])):  # most examples start from a funded pair
                lp = rig.users[0]
                live.mint(lp, lp, data.draw(_amounts(100)) + 2**20, data.draw(_amounts(100)) + 2**20)
                live.check_state()
            goal = data.draw(st.integers(OPERATIONS_PER_EXAMPLE, 30))
            while live.ops < goal:  # (time jumps and feeTo switches are not operations)
                step(data, live)
        finally:
            node.revert(snapshot)
        totals["examples"] += 1
        totals["operations"] += live.ops
        totals["reverts"] += live.reverts
        totals.update(live.reasons)

    run()
    print(f"\nv2 differential vs UniswapV2Pair bytecode: {dict(totals)}")
    assert totals["operations"] >= OPERATIONS_PER_EXAMPLE * EXAMPLES, totals
