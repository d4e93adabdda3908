"""Quotes per second: amm.v3.Pool.quote against QuoterV2 on local anvil, for the same swaps; state load time.

The pool is the built-in chain's USDC/WETH 0.05% pool at its mainnet address (~200 positions, ~260-300
initialised ticks: the reference shape of shared/references.md), loaded with `load_v3_pool`. Two swaps: one
that stays inside the current tick range, and one that crosses ~30 initialised ticks; each is asked 100
times with slightly different amounts, of the model and of QuoterV2's quoteExactInputSingle, which is called
(a) through a web3 v8 contract `.call()`, (b) as one raw eth_call at a time over a keep-alive httpx client,
(c) as raw JSON-RPC batches of 100. Every model quote is compared with QuoterV2's answer (exact matches are
printed). Then the pool's full state is read batched (`read_v3_state`) and with one call per item.

Run: .venv/bin/python benchmarks/bench_quote.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench_pool_pure import amount_for_crossings  # this directory is on sys.path when run as a script
from web3 import HTTPProvider, Web3

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import pool_by_name
from amm.chain.models import v3_pool_from_state
from amm.chain.quoter import (
    QuoteRequest,
    QuoterResult,
    decode_quote,
    expected_answer,
    quote_many,
    quoter_call,
)
from amm.chain.session import start_devnet
from amm.chain.state import read_v3_state
from amm.v3.pool import Pool

N = 100  # distinct swaps per scenario (and the batch size)


def best_rate(fn: Callable[[], int], seconds: float) -> float:
    """Items per second of fn (which returns how many it did): the best of ~0.2 s windows."""
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < 0.2:
            done += fn()
        best = max(best, done / elapsed)
        if time.perf_counter() >= deadline:
            return best


def requests_for(pool: Pool, base: int) -> list[QuoteRequest]:
    assert pool.token0 is not None and pool.token1 is not None
    return [QuoteRequest(pool.token0, pool.token1, pool.fee, base + base * i // 1000) for i in range(N)]


def exact_matches(pool: Pool, requests: Sequence[QuoteRequest], answers: Sequence[QuoterResult | str]) -> int:
    """How many of QuoterV2's answers equal what the model's quote says it must answer, to the wei."""
    matches = 0
    for request, answer in zip(requests, answers, strict=True):
        want = expected_answer(request, pool.quote(True, request.amount))
        got = answer if isinstance(answer, str) else (answer.amount, answer.sqrt_price_x96_after)
        matches += got == want
    return matches


def scenario(
    name: str, pool: Pool, requests: list[QuoteRequest], node: Any, w3: Web3, seconds: float
) -> None:
    crossed = pool.quote(True, requests[0].amount).ticks_crossed
    print(f"\n{name}: 0 -> 1 exact input of {requests[0].amount:,} (+0..10%), {crossed} ticks crossed")
    cycle = [r.amount for r in requests]

    def ours() -> int:
        quote = pool.quote
        for amount in cycle:
            quote(True, amount)
        return len(cycle)

    quoter = w3.eth.contract(
        address=Web3.to_checksum_address(mainnet.QUOTER_V2), abi=artifacts.load("QuoterV2").abi
    )
    fn = quoter.functions.quoteExactInputSingle
    params = [(r.token_in, r.token_out, r.amount, r.fee, 0) for r in requests]
    calls = [quoter_call(r) for r in requests]
    state = {"i": 0}

    def web3_one() -> int:
        fn(params[state["i"] % N]).call()
        state["i"] += 1
        return 1

    def raw_one() -> int:
        method, call_params = calls[state["i"] % N]
        decode_quote(node.rpc.call(method, call_params))
        state["i"] += 1
        return 1

    def raw_batch() -> int:
        for raw in node.rpc.batch(calls, size=N):
            decode_quote(raw)
        return N

    rate_ours = best_rate(ours, seconds)
    rows = [
        ("QuoterV2, web3 v8 contract .call()", best_rate(web3_one, seconds)),
        ("QuoterV2, raw eth_call, keep-alive", best_rate(raw_one, seconds)),
        (f"QuoterV2, raw JSON-RPC batch of {N}", best_rate(raw_batch, seconds)),
    ]
    matches = exact_matches(pool, requests, quote_many(node, requests))
    print(f"  {'amm.v3.Pool.quote':40s} {rate_ours:12,.0f} quotes/s")
    for label, rate in rows:
        print(f"  {label:40s} {rate:12,.0f} quotes/s   Pool is {rate_ours / rate:8,.1f}x faster")
    print(f"  exact matches with QuoterV2 (amount out and price after): {matches}/{len(requests)}")


def state_load(node: Any, address: str) -> None:
    """read_v3_state (batched) against the same calls sent one at a time."""
    started = time.perf_counter()
    state = read_v3_state(node, address)
    batched = time.perf_counter() - started
    pool = artifacts.interface("UniswapV3Pool")
    tag = hex(state.block)
    items = [pool.encode(n) for n in ("slot0", "liquidity", "feeGrowthGlobal0X128", "feeGrowthGlobal1X128")]
    items += [pool.encode(n) for n in ("protocolFees", "fee", "tickSpacing", "maxLiquidityPerTick")]
    lowest, highest = (-887272 // state.tick_spacing) >> 8, (887272 // state.tick_spacing) >> 8
    items += [pool.encode("tickBitmap", w) for w in range(lowest, highest + 1)]
    items += [pool.encode("ticks", t) for t in state.ticks]
    items += [pool.encode("observations", i) for i in range(state.observation_cardinality)]
    started = time.perf_counter()
    for data in items:
        node.rpc.call("eth_call", [{"to": address, "data": "0x" + data.hex()}, tag])
    single = time.perf_counter() - started
    model = v3_pool_from_state(state)
    print(f"\nfull state of the pool: {len(state.ticks)} ticks, {len(state.bitmap)} non-empty bitmap words")
    print(
        f"  read_v3_state, batched:      {state.cost.calls:5d} calls in {state.cost.requests} requests, "
        f"{batched * 1e3:7.1f} ms (model built: {len(model.initialized_ticks)} ticks)"
    )
    print(
        f"  one eth_call per item:       {len(items):5d} calls in {len(items)} requests, "
        f"{single * 1e3:7.1f} ms   batched is {single / batched:.1f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    args = parser.parse_args()
    session = start_devnet()
    try:
        node = session.node
        address = pool_by_name("USDC/WETH-500").address
        pool = v3_pool_from_state(read_v3_state(node, address))
        print(
            f"pool USDC/WETH-500 at {address} on the built-in chain (block {node.block_number()}): "
            f"{len(pool.initialized_ticks)} initialised ticks, active liquidity {pool.liquidity:,}"
        )
        w3 = Web3(HTTPProvider(session.url))
        one_tick = 10**6  # 1 USDC: stays inside the current tick range
        assert pool.quote(True, one_tick + one_tick // 10).ticks_crossed == 0
        scenario("one-tick swap", pool, requests_for(pool, one_tick), node, w3, args.seconds)
        deep = amount_for_crossings(pool, True, 30)
        scenario("~30-tick swap", pool, requests_for(pool, deep), node, w3, args.seconds)
        state_load(node, address)
        print(
            "\ndegenbot: not measured. degenbot 0.5.0 needs Python >= 3.12 and web3 < 8; this project runs "
            "Python 3.11 with web3 8, so it cannot be installed here (shared/references.md has its figures)."
        )
    finally:
        session.close()


if __name__ == "__main__":
    main()
