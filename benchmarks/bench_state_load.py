"""Reading a v3 pool's full state: PoolLens (a few eth_calls with a state override) against the raw batch.

    .venv/bin/python benchmarks/bench_state_load.py            # benchmark pool + a 2,000-position 0.01% pool
    .venv/bin/python benchmarks/bench_state_load.py --quick    # 300 positions in the wide pool

Both loaders run in the same process, on the same node and block, and must return equal states (all ten
built-in v3 pools are read both ways first, as `solver route` reads them):

1. the benchmark pool, USDC/WETH-500 on the built-in chain: calls, requests and the median of several reads
   for each; the last line is the lens's time as a multiple of the raw batch's (target <= 1.2x);
2. a synthetic wide 0.01% pool (tick spacing 1: the raw batch reads all 6,934 bitmap words and every tick),
   built on the built-in chain with positions spread over ~3,000 bitmap words, then read on an anvil fork of
   that chain, which fetches every storage slot from its upstream on first touch as a mainnet fork does
   (target: under a second). Each loader gets a fresh fork for its cold read, then reads again warm.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from eth_utils import to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import POOLS, pool_by_name
from amm.chain.node import Node
from amm.chain.session import start_devnet, start_fork
from amm.chain.state import ReadCost, V3PoolState, read_pool_states, read_v3_state
from amm.chain.tokens import deal
from amm.v3.tick_math import get_sqrt_ratio_at_tick

WIDE_FEE = 100  # 0.01%: tick spacing 1
CENTRE = 265_000  # ~30 WETH per WBTC in raw units (1e18 / 1e8)
SPREAD = 400_000  # positions' lower ticks within CENTRE ± SPREAD: ~3,100 bitmap words
GAS_PER_MINT = 700_000


def timed(read: Callable[[], V3PoolState], repeats: int) -> tuple[V3PoolState, float]:
    """The state and the median seconds over `repeats` reads (after one warm-up read)."""
    state = read()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        again = read()
        seconds.append(time.perf_counter() - started)
        assert strip_cost(again) == strip_cost(state)
    return state, statistics.median(seconds)


def strip_cost(state: V3PoolState) -> V3PoolState:
    return replace(state, cost=ReadCost(0, 0))


def build_wide_pool(node: Node, sender: str, positions: int, seed: int = 7) -> str:
    """Create WBTC/WETH-100 and mint `positions` seeded random ranges through PoolActor, in blocks of
    many transactions (automine off), so thousands of ticks go in within seconds."""
    factory = node.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    factory.transact("createPool", mainnet.WBTC, mainnet.WETH, WIDE_FEE, sender=sender)
    address = to_checksum_address(factory.call("getPool", mainnet.WBTC, mainnet.WETH, WIDE_FEE))
    pool = node.contract("UniswapV3Pool", address)
    pool.transact("initialize", get_sqrt_ratio_at_tick(CENTRE), sender=sender)
    actor = node.deploy(sender, artifacts.load("PoolActor").bytecode)
    for token in (mainnet.WBTC, mainnet.WETH):
        deal(node, token, actor, 2**200)
    rng = random.Random(seed)
    actor_abi = artifacts.interface("PoolActor")
    nonce = int(node.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
    txs = []
    for i in range(positions):
        lower = CENTRE + rng.randint(-SPREAD, SPREAD)
        upper = min(lower + rng.randint(1, 3_000), 887_272)
        data = actor_abi.encode("mint", address, lower, upper, 10 ** rng.randint(9, 15))
        tx = {"from": sender, "to": actor, "data": "0x" + data.hex(), "gas": hex(GAS_PER_MINT)}
        txs.append(("eth_sendTransaction", [{**tx, "nonce": hex(nonce + i)}]))
    node.rpc.call("evm_setAutomine", [False])
    try:
        hashes = node.rpc.batch(txs)
        while int(node.rpc.call("txpool_status")["pending"], 16):
            node.rpc.call("evm_mine")
    finally:
        node.rpc.call("evm_setAutomine", [True])
    receipts = node.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    failed = sum(int(r["status"], 16) != 1 for r in receipts)
    assert failed == 0, f"{failed} of {positions} mints failed"
    return address


def line(label: str, cost: ReadCost, seconds: float) -> str:
    return f"  {label:<15} {cost.calls:6,d} calls in {cost.requests:3d} requests, {seconds * 1e3:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 positions in the wide pool")
    parser.add_argument("--positions", type=int, default=2_000, help="positions in the wide 0.01%% pool")
    parser.add_argument("--repeats", type=int, default=7, help="timed reads of the benchmark pool per loader")
    args = parser.parse_args()
    positions = 300 if args.quick else args.positions

    devnet = start_devnet()
    try:
        node = devnet.node
        block = node.block_number()
        spec = pool_by_name("USDC/WETH-500")
        batch, batch_s = timed(lambda: read_v3_state(node, spec.address, block, lens=False), args.repeats)
        lensed, lens_s = timed(lambda: read_v3_state(node, spec.address, block, lens=True), args.repeats)
        assert strip_cost(lensed) == strip_cost(batch), "the lens and the raw batch disagree"
        every = {p.address: None for p in POOLS if p.kind == "v3"}
        all_batch = read_pool_states(node, every, (), block, lens=False)
        all_lens = read_pool_states(node, every, (), block, lens=True)
        assert all_lens.v3 == all_batch.v3
        print(f"all {len(every)} v3 pools of the built-in chain at block {block} (tick spacings unknown):")
        for label, states in (("raw batch", all_batch), ("PoolLens", all_lens)):
            print(line(label, states.cost, states.cost.seconds))

        sender = node.accounts()[6]
        started = time.perf_counter()
        wide = build_wide_pool(node, sender, positions)
        built_s = time.perf_counter() - started
        local_batch = read_v3_state(node, wide, lens=False)
        local_lens = read_v3_state(node, wide, lens=True)
        assert strip_cost(local_lens) == strip_cost(local_batch)
        words, ticks = len(local_batch.bitmap), len(local_batch.ticks)
        print(
            f"wide pool WBTC/WETH-100 ({wide}): {positions:,} positions, {ticks:,} initialised ticks in"
            f" {words:,} bitmap words, built in {built_s:.1f} s"
        )
        print("  on the built-in chain (warm):")
        print(line("raw batch", local_batch.cost, local_batch.cost.seconds))
        print(line("PoolLens", local_lens.cost, local_lens.cost.seconds))
        fork_block = node.block_number()
        print(f"  on an anvil fork of it (block {fork_block}): cold = first read on a fresh fork, then warm")
        for label, use_lens in (("raw batch", False), ("PoolLens", True)):
            fork = start_fork(node.rpc.url, fork_block)
            try:
                cold = read_v3_state(fork.node, wide, fork_block, lens=use_lens)
                warm = read_v3_state(fork.node, wide, fork_block, lens=use_lens)
            finally:
                fork.close()
            assert strip_cost(cold) == strip_cost(warm) == strip_cost(local_batch)
            print(line(f"{label} cold", cold.cost, cold.cost.seconds))
            print(line(f"{label} warm", warm.cost, warm.cost.seconds))
    finally:
        devnet.close()

    print(f"benchmark pool {spec.name} ({spec.address}) at block {block}, median of {args.repeats} reads:")
    print(line("raw batch", batch.cost, batch_s))
    print(line("PoolLens", lensed.cost, lens_s))
    print(f"{lens_s / batch_s:.2f}x the raw batch")


if __name__ == "__main__":
    main()
