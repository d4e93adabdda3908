"""`PoolWatcher` through random swaps, mints and burns over many blocks, with `anvil_reorg` and
`anvil_rollback` between them: after every poll its states equal a fresh read of the chain at its block."""

from __future__ import annotations

import contextlib
import dataclasses
import random

from amm.chain import artifacts
from amm.chain.devnet.spec import POOLS
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.state import read_pool_states
from amm.chain.watcher import PoolWatcher

V3 = [p.address for p in POOLS if p.kind == "v3"][:4]
V2 = [p.address for p in POOLS if p.kind == "v2"][:1]
MIN_LIMIT, MAX_LIMIT = 4295128739 + 1, 1461446703485210103287273052203988822378723970342 - 1


def _storage(states: dict) -> dict:
    """What the pools hold, without when and at what cost each was read."""
    return {a: dataclasses.replace(s, block=0, timestamp=0, cost=None) for a, s in states.items()}


def _fresh(chain: Node, watcher: PoolWatcher) -> dict:
    states = read_pool_states(chain, V3, V2, watcher.block, lens=False)  # the raw batch as the oracle
    return _storage({**states.v3, **states.v2})


def _mine_random(chain: Node, actor: str, rng: random.Random, owner: str) -> None:
    """One block of random swaps, mints and burns by `actor` on the watched v3 pools (or nothing)."""
    abi = artifacts.interface("PoolActor")
    for _ in range(rng.randrange(0, 4)):
        spec = rng.choice([p for p in POOLS if p.kind == "v3"][:4])
        pool = chain.contract("UniswapV3Pool", spec.address)
        tick = pool.call("slot0")[1] // spec.tick_spacing * spec.tick_spacing
        action = rng.choice(["swap", "swap", "mint", "burn"])
        if action == "swap":
            zero_for_one = rng.random() < 0.5
            amount = 10 ** rng.randrange(3, 8) * (10**12 if spec.token0.decimals == 18 else 1)
            limit = (
                (4295128739 + 1) if zero_for_one else (1461446703485210103287273052203988822378723970342 - 1)
            )
            data = abi.encode("swap", spec.address, zero_for_one, amount, limit)
        elif action == "mint":
            data = abi.encode(
                "mint", spec.address, tick - 5 * spec.tick_spacing, tick + 5 * spec.tick_spacing, 10**15
            )
        else:
            data = abi.encode(
                "burn", spec.address, tick - 5 * spec.tick_spacing, tick + 5 * spec.tick_spacing, 10**13
            )
        with contextlib.suppress(TransactionFailed):  # a burn of nothing reverts: one change fewer
            chain.send(owner, actor, data, gas=3_000_000, what=action)
    chain.mine()


def _actor(chain: Node, roles, fund) -> str:
    actor = chain.deploy(roles.deployer, artifacts.load("PoolActor").bytecode, what="PoolActor")
    for symbol in ("USDC", "WETH", "USDT", "WBTC", "DAI"):
        fund(symbol, actor, 10**30)
    return actor


def test_the_watcher_equals_a_fresh_read_after_every_block_and_reorg(chain: Node, roles, fund) -> None:
    actor = _actor(chain, roles, fund)
    watcher = PoolWatcher(chain, V3, V2)
    rng = random.Random(5)
    reorgs = rollbacks = changed = rolled = 0
    for step in range(24):
        _mine_random(chain, actor, rng, roles.deployer)
        if step % 6 == 5 or step % 8 == 7:  # a change in the last block, for the reorg to take away
            swap = artifacts.interface("PoolActor").encode("swap", V3[1], False, 10**16, MAX_LIMIT)
            chain.send(roles.deployer, actor, swap, gas=3_000_000, what="swap to undo")
            watcher.poll()  # the watcher has applied the block the chain is about to take back
            assert _storage(watcher.states) == _fresh(chain, watcher)
        if step % 6 == 5:  # replace the last 2 blocks with 2 others (one with a swap of its own)
            swap = artifacts.interface("PoolActor").encode("swap", V3[0], True, 10**9, 4295128740)
            tx = {"from": roles.deployer, "to": actor, "data": "0x" + swap.hex(), "gas": hex(3_000_000)}
            chain.rpc.call("anvil_reorg", [2, [[tx, 1]]])
            chain.mine()  # the chain moves past the replaced blocks: found from the next block's parent
            reorgs += 1
        if step % 8 == 7:  # drop the last block outright
            chain.rpc.call("anvil_rollback", [1])
            rollbacks += 1
        applied = watcher.poll()
        changed += sum(len(a.touched) for a in applied)
        rolled += sum(a.rolled_back_to is not None for a in applied)
        assert watcher.block == chain.block_number() and watcher.hash == chain.block("latest")["hash"]
        assert _storage(watcher.states) == _fresh(chain, watcher)
    assert reorgs >= 3 and rollbacks >= 2 and changed > 10 and rolled >= 3  # it exercised what it claims


def test_a_reorg_deeper_than_kept_reads_everything_again(chain: Node, roles, fund) -> None:
    actor = _actor(chain, roles, fund)
    watcher = PoolWatcher(chain, V3, V2, depth=2)
    rng = random.Random(9)
    for _ in range(5):
        _mine_random(chain, actor, rng, roles.deployer)
        watcher.poll()
    reads = watcher.reads
    chain.rpc.call("anvil_reorg", [4, []])
    watcher.poll()
    assert watcher.reads >= reads + len(V3) + len(V2)  # a full read
    assert _storage(watcher.states) == _fresh(chain, watcher)


def test_following_new_heads_over_a_websocket(chain: Node, roles, fund) -> None:
    """The node's own WebSocket (anvil serves ws:// on its port): each new head is applied as it comes."""
    actor = _actor(chain, roles, fund)
    watcher = PoolWatcher(chain, V3, V2)
    ws_url = chain.rpc.url.replace("http://", "ws://")
    swap = artifacts.interface("PoolActor").encode("swap", V3[2], True, 10**12, MIN_LIMIT)
    seen: list = []
    heads = watcher.follow(ws_url, stop=lambda: len(seen) >= 3, timeout=0.2)
    next(heads)  # subscribed
    for _ in range(3):
        chain.send(roles.deployer, actor, swap, gas=3_000_000, what="swap")
        applied = next(heads)
        seen += applied
        assert watcher.block == chain.block_number()
    assert V3[2] in {a for applied in seen for a in applied.touched}
    assert _storage(watcher.states) == _fresh(chain, watcher)
    heads.close()
