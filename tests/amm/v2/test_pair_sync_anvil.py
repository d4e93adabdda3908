"""amm.chain.sync for v2: a pair read at a mid-history block and caught up from its logs (Sync, Transfer,
Mint, Burn) equals the pair read at the last block, protocol fee (kLast) included."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from amm.chain.models import load_v2_pair
from amm.chain.sync import V2Sync

from .live_pair import LivePair, V2Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare


def test_v2_pair_loaded_mid_history_and_synced_equals_a_fresh_read(bare_node: Bare) -> None:
    v2 = V2Rig.deploy(bare_node)
    live = LivePair.create(v2, bare_node.next_timestamp())
    live.set_fee_to(v2.fee_to)
    rng = random.Random(7)
    lp, trader = v2.users[0], v2.users[1]
    live.mint(lp, lp, 10**24, 3 * 10**21)
    middle = 0
    for step in range(30):
        live.ts += rng.choice([0, 1, 12, 600])
        m = live.model
        if step % 5 == 4:
            live.mint(lp, lp, m.reserve0 // 10, m.reserve1 // 10)
        elif step % 7 == 6:
            live.burn(lp, lp, m.balance_of[lp] // 9)
        else:
            amount_in = m.reserve1 // rng.randrange(5, 500)
            live.swap(trader, (m.get_amount_out(amount_in, False), 0), (0, amount_in), trader)
        if step == 12:
            middle = bare_node.node.block_number()
    synced = V2Sync.load(bare_node.node, live.address, middle, fee_on=True)
    synced.catch_up(bare_node.node, use_cache=False)
    fresh = load_v2_pair(bare_node.node, live.address)
    fields = (
        "reserve0",
        "reserve1",
        "block_timestamp_last",
        "price0_cumulative_last",
        "price1_cumulative_last",
    )
    fields += ("total_supply", "k_last")
    assert [getattr(synced.pair, f) for f in fields] == [getattr(fresh, f) for f in fields]
    assert synced.pair.k_last != 0
