"""Quotes per second: amm.v3.Pool.quote against QuoterV2 on local anvil, for the same swaps; state load time.

The pool is the built-in chain's USDC/WETH 0.05% pool at its mainnet address (~200 positions, ~260-300
initialised ticks: the reference shape of shared/references.md), loaded with `load_v3_pool`. Two swaps: one
that stays inside the current tick range, and one that crosses ~30 initialised ticks; each is asked 100
times with slightly different amounts, of the model and of QuoterV2's quoteExactInputSingle, which is called
(a) through a web3 v8 contract `.call()`, (b) as one raw eth_call at a time over a keep-alive httpx client,
(c) as raw JSON-RPC batches of 100. Every model quote is compared with QuoterV2's answer (exact matches are
printed). Then the pool's full state is read batched (`read_v3_state`) and with one call per item.

Multi-tick quotes (issue 17 item 6), on the same pool state: `Pool.quote` (full steps from cached prefix sums,
`amm.v3.step_prefix`) against the step-by-step loop it replaces (`Pool._quote_loop`), for swaps crossing 0,
~30 and ~100 initialised ticks, each rate with its ratio to the one-tick rate (target: >= 0.5x) and a check
that both give identical SwapQuotes, and the rate when the state is new at every quote (the first quote on a
state runs the loop); then `quote_ladder` pricing 100 sizes against 100 single quotes, with the prefix kept
(same state) and dropped before every call (a fresh state: the ladder builds the prefix at once, single
quotes from the second on).

Last, degenbot (issue 17 item 7) quotes the same swaps on the same pool state, read from the same node, in
its own Python 3.12 venv (`benchmarks/peer_degenbot.py`, run by .venv-degenbot/bin/python or
$AMM_DEGENBOT_PYTHON): both rates, the ratio, and how many amounts out are identical. Without that venv the
benchmark says so and prints ours alone.

Run: .venv/bin/python benchmarks/bench_quote.py [--seconds 2] [--multi-tick-only]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

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
ROOT = Path(__file__).resolve().parent.parent


class PeerCase(NamedTuple):
    """Swaps measured on our pool, to measure again on degenbot: name, direction, exact inputs, our rate."""

    name: str
    zero_for_one: bool
    amounts: list[int]
    rate: float


ROUNDS = 3  # multi-tick figures: each measured in this many turns, best kept


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
) -> PeerCase:
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
    return PeerCase(f"{name}, 0 -> 1", True, cycle, rate_ours)


def multi_tick(pool: Pool, seconds: float) -> list[PeerCase]:
    """Fast quotes against the step loop on one pool state: 0, ~30 and ~100 ticks crossed, and a ladder."""
    below = sum(t <= pool.tick for t in pool.initialized_ticks)
    zero_for_one = below >= len(pool.initialized_ticks) - below  # the side with more ticks to cross
    side = "0 -> 1" if zero_for_one else "1 -> 0"
    print(f"\nmulti-tick quotes, {side} exact input, same pool state (fast path vs the step loop before)")

    def drop() -> None:  # as if the state had just changed: no prefix, not quoted yet
        pool._prefix0 = pool._prefix1 = None
        pool._seen0 = pool._seen1 = None

    one_tick = amount_for_crossings(pool, zero_for_one, 1) // 2
    rows = [("one-tick", one_tick)]
    for target in (30, 100):
        amount = amount_for_crossings(pool, zero_for_one, target)
        rows.append((f"{target}-tick", amount + amount // 2000))
    cases = []
    for name, base in rows:
        amounts = [base + base * i // 1000 for i in range(-N // 2, N // 2)]  # +-5%, all on the same side
        fast = [pool.quote(zero_for_one, a) for a in amounts]
        loop = [pool._quote_loop(zero_for_one, a) for a in amounts]
        same = sum(tuple(f) == tuple(s) for f, s in zip(fast, loop, strict=True))
        crossed = sorted({q.ticks_crossed for q in fast})
        cases.append((name, amounts, same, crossed))

    def run(fn: Callable[..., Any], amounts: list[int], fresh: bool = False) -> int:
        for a in amounts:
            if fresh:
                drop()
            fn(zero_for_one, a)
        return len(amounts)

    # the machine is shared: measure the cases in turns, best of each, so that load drifts hit all alike
    best: dict[tuple[str, str], float] = {}
    for _ in range(ROUNDS):
        for name, amounts, _same, _crossed in cases:
            for kind, fn, fresh in (
                ("fast", pool.quote, False),
                ("fresh", pool.quote, True),
                ("loop", pool._quote_loop, False),
            ):
                rate = best_rate(lambda: run(fn, amounts, fresh), seconds / ROUNDS)  # noqa: B023
                best[name, kind] = max(best.get((name, kind), 0.0), rate)
    base_rate = best["one-tick", "fast"]
    for name, amounts, same, crossed in cases:
        rate_fast, rate_fresh, rate_loop = (best[name, k] for k in ("fast", "fresh", "loop"))
        print(
            f"  {name:9s} ({crossed[0]}-{crossed[-1]} crossed): fast {rate_fast:10,.0f} quotes/s "
            f"= {rate_fast / base_rate:5.2f}x the one-tick rate | step loop {rate_loop:10,.0f}/s "
            f"(fast is {rate_fast / rate_loop:5.1f}x) | new state each quote {rate_fresh:9,.0f}/s | "
            f"identical {same}/{len(amounts)}"
        )

    peer_cases = [PeerCase(f"{name}, {side}", zero_for_one, a, best[name, "fast"]) for name, a, _, _ in cases]
    deep = rows[-1][1]
    sizes = [deep * (i + 1) // N for i in range(N)]  # 1% .. 100% of the ~100-tick swap
    ladder = pool.quote_ladder(zero_for_one, sizes)
    same = sum(
        tuple(q) == tuple(pool._quote_loop(zero_for_one, a)) for q, a in zip(ladder, sizes, strict=True)
    )

    def ladder_call(fresh: bool = False) -> int:
        if fresh:
            drop()
        pool.quote_ladder(zero_for_one, sizes)
        return N

    def singles(fn: Callable[..., Any], fresh: bool = False) -> int:
        if fresh:
            drop()
        for a in sizes:
            fn(zero_for_one, a)
        return N

    rate_ladder = best_rate(ladder_call, seconds)
    rate_singles = best_rate(lambda: singles(pool.quote), seconds)
    rate_ladder_fresh = best_rate(lambda: ladder_call(True), seconds)
    rate_singles_fresh = best_rate(lambda: singles(pool.quote, True), seconds)
    rate_loop = best_rate(lambda: singles(pool._quote_loop), seconds)
    print(
        f"  ladder of {N} sizes (1%..100% of the 100-tick swap, 0-{ladder[-1].ticks_crossed} crossed), "
        f"identical to the step loop {same}/{N}:"
    )
    for label, rate in (
        ("quote_ladder, same state", rate_ladder),
        (f"{N} single quotes, same state", rate_singles),
        ("quote_ladder, fresh state each call", rate_ladder_fresh),
        (f"{N} single quotes, fresh state", rate_singles_fresh),
        (f"{N} step-loop quotes (before)", rate_loop),
    ):
        print(f"    {label:38s} {rate / N:9,.0f} ladders/s = {rate:10,.0f} sizes/s")
    print(
        f"  quote_ladder is {rate_ladder / rate_singles:.2f}x {N} single quotes (same state), "
        f"{rate_ladder_fresh / rate_singles_fresh:.2f}x on a fresh state, "
        f"{rate_ladder_fresh / rate_loop:.1f}x {N} step-loop quotes"
    )
    return peer_cases


def peer_degenbot(
    url: str, address: str, block: int, pool: Pool, cases: list[PeerCase], seconds: float
) -> None:
    """degenbot on the same pool state (our model's ticks and bitmap, its scalars read from the same node at
    the same block) and the same swaps, in its own venv.

    Prints, per case, both rates, the ratio and how many amounts out are identical; without the venv, why not.
    """
    python = Path(os.environ.get("AMM_DEGENBOT_PYTHON", ROOT / ".venv-degenbot" / "bin" / "python"))
    print(
        f"\ndegenbot, same pool state and swaps (exact input, full tick state, caches hot), run by {python}:"
    )
    if not python.exists():
        print(
            "  not measured: no degenbot venv. degenbot 0.5.0 needs Python >= 3.12 and web3 < 8 (this "
            "project runs 3.11 with web3 8); `make bench` creates .venv-degenbot when a python3.12 exists."
        )
        return
    spacing = pool.tick_spacing
    words = range((-887272 // spacing) >> 8, ((887272 // spacing) >> 8) + 1)  # every word, empty ones too
    job = {
        "url": url,
        "address": address,
        "block": block,
        "bitmap": {w: pool.tick_bitmap.get(w, 0) for w in words},
        "ticks": {
            t: [i.liquidity_net, i.liquidity_gross] for t, i in pool.ticks.items() if i.liquidity_gross
        },
        "seconds": seconds,
        "scenarios": [{"name": c.name, "zero_for_one": c.zero_for_one, "amounts": c.amounts} for c in cases],
    }
    with tempfile.TemporaryDirectory() as home:  # degenbot writes its config and database under HOME
        done = subprocess.run(
            [str(python), str(Path(__file__).with_name("peer_degenbot.py"))],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": home},
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        print(f"  not measured: degenbot failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        return
    answer = json.loads(done.stdout)
    print(f"  degenbot {answer['version']} on Python {answer['python']}")
    for case in cases:
        theirs = answer["scenarios"][case.name]
        ours = [
            -(q.amount1 if case.zero_for_one else q.amount0)
            for q in (pool.quote(case.zero_for_one, a) for a in case.amounts)
        ]
        same = sum(a == b for a, b in zip(ours, theirs["outs"], strict=True))
        print(
            f"  {case.name:22s} amm.v3.Pool.quote {case.rate:10,.0f}/s | degenbot {theirs['rate']:9,.0f}/s | "
            f"Pool is {case.rate / theirs['rate']:6.1f}x faster | identical amounts out {same}/{len(ours)}"
        )


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
    parser.add_argument(
        "--multi-tick-only", action="store_true", help="only the model's multi-tick figures (no QuoterV2)"
    )
    args = parser.parse_args()
    session = start_devnet()
    try:
        node = session.node
        address = pool_by_name("USDC/WETH-500").address
        state = read_v3_state(node, address)
        pool, block = v3_pool_from_state(state), state.block
        print(
            f"pool USDC/WETH-500 at {address} on the built-in chain (block {block}): "
            f"{len(pool.initialized_ticks)} initialised ticks, active liquidity {pool.liquidity:,}"
        )
        if args.multi_tick_only:
            peer_degenbot(session.url, address, block, pool, multi_tick(pool, args.seconds), args.seconds)
            return
        w3 = Web3(HTTPProvider(session.url))
        one_tick = 10**6  # 1 USDC: stays inside the current tick range
        assert pool.quote(True, one_tick + one_tick // 10).ticks_crossed == 0
        cases = [scenario("one-tick swap", pool, requests_for(pool, one_tick), node, w3, args.seconds)]
        deep = amount_for_crossings(pool, True, 30)
        cases.append(scenario("~30-tick swap", pool, requests_for(pool, deep), node, w3, args.seconds))
        cases += multi_tick(pool, args.seconds)
        state_load(node, address)
        peer_degenbot(session.url, address, block, pool, cases, args.seconds)
    finally:
        session.close()


if __name__ == "__main__":
    main()
