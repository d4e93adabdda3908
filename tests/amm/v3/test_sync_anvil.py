"""amm.chain.sync from a real mid-history block: a pool read at block B, plus its logs after B, equals the
pool read at the last block (fastlane-bot #296: state drifting through event handling).

On a bare anvil (which keeps historical state) a pool gets a random history of every event kind the sync
handles: mints by several owners, swaps exact in and out with and without price limits, burns and pokes,
collects, a flash loan, protocol fee changes and collection, oracle growth. It is read at a block in the
middle (so later burns hit positions minted before the load) and caught up from its logs. The v2 twin is
tests/amm/v2/test_pair_sync_anvil.py.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest

from amm.chain.models import load_v3_pool
from amm.chain.sync import V3Sync
from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

from .live_pool import MAX_UINT128, LivePool, V3Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V3Rig:
    return V3Rig.deploy(bare)


def random_history(live: LivePool, rng: random.Random, steps: int) -> None:
    """Random operations of every kind; LivePool compares each with the model on the way."""
    m = live.model
    for _ in range(4):  # some liquidity around the price first
        base = (m.tick // 10) * 10
        live.mint(
            rng.randrange(4), base - rng.randrange(1, 300) * 10, base + rng.randrange(1, 300) * 10, 10**20
        )
    for _ in range(steps):
        who = rng.randrange(4)
        base = (m.tick // 10) * 10
        op = rng.choice(["mint"] * 3 + ["swap"] * 5 + ["burn", "collect", "flash", "fee", "oracle"])
        held = sorted((k for k, p in m.positions.items() if p.liquidity), key=repr)  # type: ignore[arg-type]
        if op == "mint" or (op == "burn" and not held):
            lower = base + rng.randrange(-40, 40) * 10
            live.mint(who, lower, lower + rng.randrange(1, 30) * 10, rng.randrange(10**15, 10**19))
        elif op == "swap":
            zero_for_one = rng.random() < 0.5
            amount = rng.randrange(10**12, 10**17) * rng.choice([1, -1])
            away = rng.choice([None, 100, 500, 2000])
            limit = None if away is None else base + (-away if zero_for_one else away)
            price_limit = (
                get_sqrt_ratio_at_tick(limit)
                if limit is not None
                else (MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1)
            )
            live.swap(who, zero_for_one, amount, price_limit)
        elif op == "burn":
            owner, lower, upper = rng.choice(held)
            liquidity = m.positions[(owner, lower, upper)].liquidity
            live.burn(live.rig.actors.index(owner), lower, upper, rng.choice([liquidity, liquidity // 2, 0]))
        elif op == "collect" and m.positions:
            owner, lower, upper = rng.choice(sorted(m.positions, key=repr))  # type: ignore[arg-type]
            live.collect(
                live.rig.actors.index(owner), lower, upper, MAX_UINT128, rng.choice([MAX_UINT128, 1])
            )
        elif op == "flash" and m.liquidity:
            amount = m.balance0 // 10
            live.flash(who, amount, 0, amount + -(-amount * m.fee // 10**6) + 5, 0)
        elif op == "fee":
            live.set_fee_protocol(rng.choice([0, 4, 7, 10]), rng.choice([0, 5, 6]))
            live.collect_protocol(MAX_UINT128, MAX_UINT128)
        elif op == "oracle":
            live.increase_cardinality(m.observation_cardinality_next + rng.randrange(1, 4))


def quotes(pool: Pool) -> list[object]:
    out: list[object] = []
    for zero_for_one in (True, False):
        for amount in (1, 10**12, 10**16, 10**18, 10**20, 10**24, -(10**12), -(10**17), -(10**21)):
            try:
                out.append(pool.quote(zero_for_one, amount))
            except Revert as err:
                out.append(err.reason)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_v3_pool_loaded_mid_history_and_synced_equals_a_fresh_read(
    bare_node: Bare, rig: V3Rig, seed: int
) -> None:
    rng = random.Random(seed)
    live = LivePool.create(rig, 500, get_sqrt_ratio_at_tick(rng.randrange(-2000, 2000)))
    random_history(live, rng, 40)
    middle = bare_node.node.block_number()
    (owner, lower, upper), position = next((k, p) for k, p in live.model.positions.items() if p.liquidity > 1)
    live.burn(rig.actors.index(owner), lower, upper, position.liquidity // 2)  # minted before the load
    live.collect(rig.actors.index(owner), lower, upper, MAX_UINT128, MAX_UINT128)
    random_history(live, rng, 60)
    synced = V3Sync.load(bare_node.node, live.address, middle)
    applied = synced.catch_up(bare_node.node, use_cache=False)
    fresh = load_v3_pool(bare_node.node, live.address)
    assert applied == synced.applied > 30
    kinds = {"Mint", "Swap", "Burn", "Collect", "Flash", "SetFeeProtocol", "CollectProtocol"}
    assert kinds <= set(synced.events), synced.events
    p = synced.pool
    assert (p.sqrt_price_x96, p.tick, p.liquidity, p.tick_bitmap) == (
        fresh.sqrt_price_x96,
        fresh.tick,
        fresh.liquidity,
        fresh.tick_bitmap,
    )
    assert {t: (i.liquidity_gross, i.liquidity_net) for t, i in p.ticks.items()} == {
        t: (i.liquidity_gross, i.liquidity_net) for t, i in fresh.ticks.items()
    }
    assert quotes(p) == quotes(fresh)
    assert p.slot0 == fresh.slot0 and p.observations[: p.observation_cardinality] == fresh.observations
    assert synced.fees_exact  # every swap of the history replays exactly
    assert (p.fee_growth_global0_x128, p.fee_growth_global1_x128, p.protocol_fees) == (
        fresh.fee_growth_global0_x128,
        fresh.fee_growth_global1_x128,
        fresh.protocol_fees,
    )
    assert p.ticks == fresh.ticks
    assert synced.unknown_positions  # burns of liquidity minted before the load went through stand-ins
