"""Keeping pools current: `PoolWatcher` (one header and one eth_getLogs per block, then only the pools that
logged anything, read through the state lens) against re-reading every watched pool each block, same run.

    .venv/bin/python benchmarks/bench_watcher.py [--blocks 40] [--swaps-per-block 2]

All 14 built-in pools are watched; each block carries a few random swaps (PoolActor) on random v3 pools.
After every block both views are checked equal. Printed: milliseconds and JSON-RPC calls per block, and the
watcher's time as a ratio of the re-read's.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import POOLS
from amm.chain.session import start_devnet
from amm.chain.state import read_pool_states
from amm.chain.tokens import deal
from amm.chain.watcher import PoolWatcher

MIN_LIMIT, MAX_LIMIT = 4295128739 + 1, 1461446703485210103287273052203988822378723970342 - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--swaps-per-block", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    session = start_devnet()
    try:
        node, roles = session.node, session.roles
        assert roles is not None
        v3 = [p for p in POOLS if p.kind == "v3"]
        v2 = [p.address for p in POOLS if p.kind == "v2"]
        actor = node.deploy(roles.deployer, artifacts.load("PoolActor").bytecode, what="PoolActor")
        for token in (mainnet.USDC, mainnet.WETH, mainnet.USDT, mainnet.WBTC, mainnet.DAI):
            deal(node, token, actor, 10**30)
        abi = artifacts.interface("PoolActor")
        watcher = PoolWatcher(node, [p.address for p in v3], v2)
        rng = random.Random(args.seed)
        ours, theirs, our_calls, their_calls = [], [], [], []
        node.rpc.call("evm_setAutomine", [False])
        for _ in range(args.blocks):
            for _ in range(args.swaps_per_block):
                spec = rng.choice(v3)
                zero_for_one = rng.random() < 0.5
                amount = 10 ** rng.randrange(3, 7) * (10**12 if spec.token0.decimals == 18 else 1)
                data = abi.encode(
                    "swap", spec.address, zero_for_one, amount, MIN_LIMIT if zero_for_one else MAX_LIMIT
                )
                node.rpc.call(
                    "eth_sendTransaction",
                    [{"from": roles.deployer, "to": actor, "data": "0x" + data.hex(), "gas": hex(2_000_000)}],
                )
            node.mine()
            calls = node.rpc.calls
            started = time.perf_counter()
            watcher.poll()
            ours.append(time.perf_counter() - started)
            our_calls.append(node.rpc.calls - calls)
            calls = node.rpc.calls
            started = time.perf_counter()
            fresh = read_pool_states(node, [p.address for p in v3], v2, watcher.block)
            theirs.append(time.perf_counter() - started)
            their_calls.append(node.rpc.calls - calls)
            same = {
                a: dataclasses.replace(s, block=0, timestamp=0, cost=None)
                for a, s in {**fresh.v3, **fresh.v2}.items()
            }
            mine = {
                a: dataclasses.replace(s, block=0, timestamp=0, cost=None) for a, s in watcher.states.items()
            }
            assert mine == same, "the watcher drifted from the chain"
        node.rpc.call("evm_setAutomine", [True])
        mid = {"ours": statistics.median(ours) * 1000, "theirs": statistics.median(theirs) * 1000}
        pools = len(v3) + len(v2)
        print(
            f"{pools} pools watched, {args.blocks} blocks of {args.swaps_per_block} swaps, equal after each"
        )
        print(
            f"  PoolWatcher (logs, then touched pools)  {mid['ours']:7.1f} ms/block"
            f"  {statistics.median(our_calls):6.0f} calls/block"
        )
        print(
            f"  re-read every pool each block           {mid['theirs']:7.1f} ms/block"
            f"  {statistics.median(their_calls):6.0f} calls/block"
        )
        print(f"{mid['ours'] / mid['theirs']:.2f}x the re-read")
    finally:
        session.close()


if __name__ == "__main__":
    main()
