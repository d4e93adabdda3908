"""`JitRunner`, the bot behind `solver jit run`: fed large swaps, it executes profitable bundles, and its
summary equals what the chain says happened."""

from __future__ import annotations

from collections import Counter, defaultdict

from amm.chain.devnet.build import Roles
from amm.chain.node import Node
from solver.jit.bundle import BundleResult
from solver.jit.feed import SwapFeed
from solver.jit.runner import JitRunner
from solver.routing.universe import Universe

from .conftest import Jit
from .victims import USDC, sign

GAS_PRICE = 10**10


def _logs(node: Node, jit: Jit, name: str, first: int, last: int) -> list[dict]:
    event = jit.executor.contract.interface.event(name)
    logs = node.rpc.call(
        "eth_getLogs",
        [
            {
                "address": jit.executor.address,
                "fromBlock": hex(first),
                "toBlock": hex(last),
                "topics": ["0x" + event.topic.hex()],
            }
        ],
    )
    return [event.decode(log) for log in logs]


def test_runner_summary_equals_the_chain(jit: Jit, node: Node, fifo_roles: Roles) -> None:
    universe = Universe.discover(node)
    feed = SwapFeed(node, users=3, seed=3, gas_price_wei=GAS_PRICE)
    feed.prepare()
    tokens = sorted({t for p in universe.pools for t in (p.token0, p.token1)})
    start_block = node.block_number()
    start = dict(zip(tokens, jit.executor.balances(tuple(tokens)), strict=True))
    owner_eth = node.balance(jit.owner)
    node.rpc.call("evm_setAutomine", [False])
    try:
        runner = JitRunner(node, jit.executor, jit.owner, universe, gas_price_wei=GAS_PRICE)
        sent = 0
        for _ in range(4):
            sent += len(feed.send(3))
            # a transaction the bot must skip: not a swap
            usdc = node.contract("MintableERC20", USDC).interface
            raw = sign(node, jit.victim_key, USDC, usdc.encode("transfer", jit.stranger, 1))
            node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
            sent += 1
            rows = runner.step()
            assert len(rows) == 4
        runner.close()
    finally:
        node.rpc.call("evm_setAutomine", [True])
    s = runner.summary
    end_block = node.block_number()
    assert s.blocks == 4 == end_block - start_block
    assert s.seen == sent == 16
    assert s.executed >= 1, s
    assert s.skipped["unknown_target"] == 4
    assert s.seen == s.executed + sum(s.skipped.values())
    # every executed row is an ordered bundle; a block's bundles open it, one after another
    executed = [r for r in runner.rows if r.decision == "executed"]
    assert len(executed) == s.executed
    by_block: dict[int, list[BundleResult]] = defaultdict(list)
    for row in executed:
        assert row.bundle is not None and row.bundle.position_left.empty
        by_block[row.block].append(row.bundle)
    for bundles in by_block.values():
        expected = [tx for b in bundles for tx in (b.mint_tx, b.victim_tx, b.burn_tx)]
        assert list(bundles[0].order[: len(expected)]) == expected
    # inventory change, fees and gas: the summary is the chain's
    end = dict(zip(tokens, jit.executor.balances(tuple(tokens)), strict=True))
    change = Counter({t: end[t] - start[t] for t in tokens if end[t] != start[t]})
    assert {t: v for t, v in s.deltas.items() if v} == change
    burned = _logs(node, jit, "Burned", start_block + 1, end_block)
    assert len(burned) == s.executed
    assert sum(s.fees.values()) == sum(
        e["collected0"] + e["collected1"] - e["principal0"] - e["principal1"] for e in burned
    )
    assert s.gas_wei == owner_eth - node.balance(jit.owner)
