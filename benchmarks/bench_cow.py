"""CoW solver engine: `/solve` latency for auctions of 10, 100 and 1,000 orders, and the traders' surplus
against a baseline that routes each order alone on its best single path (as CoW's public baseline solver
does), on the same orders in the same run.

    .venv/bin/python benchmarks/bench_cow.py              # 10, 100, 1000 orders
    .venv/bin/python benchmarks/bench_cow.py --sizes 10 100

Orders: random sell orders between the built-in chain's five tokens, $1k-$200k (log-uniform), limits 0.5-3%
below the best single path's output, signed EIP-712. Both solvers see the pools as the chain holds them;
the auction carries no liquidity, so ours routes through our pools. Surplus of an order: what it receives
beyond its limit, valued in USDC at the pools' mid prices; for the batch, from the exact amounts of its
settlement (the contract's own rounding), for the baseline, from the exact quote of its single path. Gas is
reported beside it (the batch's estimate against 80k + 65k per order + each path's pool gas), not netted.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from amm.chain.session import start_devnet
from amm.v2.pair import Pair
from solver.intents.cow.api import auction_json, settlement_from_json
from solver.intents.cow.engine import CowEngine
from solver.intents.cow.order import CowOrder
from solver.intents.cow.server import CowServer
from solver.intents.cow.settlement import SETTLE_BASE_GAS, TRADE_GAS, Settlement
from solver.intents.cow.signing import sign
from solver.routing.router import Router
from solver.routing.universe import Universe

SYMBOLS = ("WETH", "USDC", "USDT", "DAI", "WBTC")
GAS_PRICE = 10 * 10**9
V2_GAS, V3_GAS = 55_000, 75_000


def single_path(
    universe: Universe, sell: str, buy: str, amount: int, *, execute: bool = False
) -> tuple[int, int]:
    """(output, pool gas) of the best single path: one pool, or two through any other token; with `execute`,
    its swaps are applied to the models (the next order sees the pools this one moved)."""
    best: tuple[int, int] = (0, 0)
    best_hops: list = []
    paths: list[list[tuple[str, str]]] = [[(sell, buy)]]
    others = [t.address for t in universe.tokens.values() if t.address not in (sell, buy)]
    paths += [[(sell, mid), (mid, buy)] for mid in others]
    for path in paths:
        amount_now, gas, hops = amount, 0, []
        for token_in, token_out in path:
            options = [
                (_quote(p, token_in, amount_now), p) for p in universe.pools_between(token_in, token_out)
            ]
            options = [(out, p) for out, p in options if out > 0]
            if not options:
                amount_now = 0
                break
            out, pool = max(options, key=lambda x: x[0])
            hops.append((pool, token_in, amount_now))
            amount_now = out
            gas += V2_GAS if pool.kind == "v2" else V3_GAS
        if amount_now > best[0]:
            best, best_hops = (amount_now, gas), hops
    if execute:
        for pool, token_in, amount_in in best_hops:
            zero_for_one = pool.zero_for_one(token_in)
            if isinstance(pool.model, Pair):
                pool.model.swap_exact_in(amount_in, zero_for_one)
            else:
                pool.model.swap(zero_for_one, amount_in)
    return best


def baseline(universe: Universe, orders, value) -> tuple[float, int, int]:
    """Each order alone on its best single path, one after another on the pools the earlier ones moved (as
    their settlements would execute in one block); an order whose limit is no longer met is not filled."""
    pools = copy.deepcopy(universe)
    total, filled, gas = 0.0, 0, 0
    for s in orders:
        o = s.order
        out, pool_gas = single_path(pools, o.sell_token, o.buy_token, o.sell_amount)
        if out < o.buy_amount:
            continue
        single_path(pools, o.sell_token, o.buy_token, o.sell_amount, execute=True)
        total += value(o.buy_token, out - o.buy_amount)
        filled += 1
        gas += SETTLE_BASE_GAS + TRADE_GAS + pool_gas
    return total, filled, gas


def _quote(pool, token_in: str, amount: int) -> int:
    zero_for_one = pool.zero_for_one(token_in)
    try:
        if isinstance(pool.model, Pair):
            return pool.model.get_amount_out(amount, zero_for_one)
        quote = pool.model.quote_exact_input(zero_for_one, amount)
        return -(quote.amount1 if zero_for_one else quote.amount0)
    except Exception:  # a pool that cannot take the amount is no path
        return 0


def make_orders(
    universe: Universe, usd: dict[str, float], count: int, seed: int, chain_id: int, valid_to: int
):
    rng = random.Random(seed)
    tokens = {s: universe.token(s) for s in SYMBOLS}
    orders = []
    while len(orders) < count:
        sell, buy = rng.sample(SYMBOLS, 2)
        dollars = 10 ** rng.uniform(3, 5.3)
        amount = int(dollars / usd[sell] * 10 ** tokens[sell].decimals)
        out, _ = single_path(universe, tokens[sell].address, tokens[buy].address, amount)
        if out <= 0:
            continue
        limit = int(out * (1 - rng.uniform(0.005, 0.03)))
        key = "0x" + rng.randbytes(32).hex()
        order = CowOrder(tokens[sell].address, tokens[buy].address, amount, limit, valid_to)
        orders.append(sign(order, key, chain_id))
    return orders


def usd_prices(universe: Universe) -> dict[str, float]:
    """USDC per whole token at the pools' margin (a $100 route), for valuing surplus."""
    router = Router(universe)
    usdc = universe.token("USDC")
    out = {"USDC": 1.0}
    for symbol in SYMBOLS:
        if symbol == "USDC":
            continue
        token = universe.token(symbol)
        probe = 10**token.decimals // 1000
        got = router.route(token.address, usdc.address, probe, gas_price_wei=0).amount_out
        out[symbol] = got / 10**usdc.decimals / (probe / 10**token.decimals)
    return out


def surplus_of_batch(settlements: list[Settlement], value) -> tuple[float, int, int]:
    total, filled, gas = 0.0, 0, 0
    for settlement in settlements:
        gas += settlement.gas
        for trade, done in zip(settlement.trades, settlement.executions(), strict=True):
            o = trade.order.order
            total += value(o.buy_token, done.buy - o.buy_amount)
            filled += 1
    return total, filled, gas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=3, help="timed /solve calls per size (median)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    session = start_devnet()
    try:
        node = session.node
        universe = Universe.discover(node)
        usd = usd_prices(universe)
        decimals = {t.address: t.decimals for t in universe.tokens.values()}
        symbol_of = {t.address: t.symbol for t in universe.tokens.values()}

        def value(token: str, raw: int) -> float:
            return raw / 10 ** decimals[token] * usd[symbol_of[token]]

        engine = CowEngine(chain_id=node.chain_id, node=node, universe=universe, slippage_bps=0)
        valid_to = int(node.block("latest")["timestamp"], 16) + 86_400
        print(
            f"{'orders':>7} {'/solve p50':>11} {'pairs':>6} {'filled':>7} {'batch surplus':>14} "
            f"{'baseline':>11} {'filled':>9} {'ratio':>6} {'batch gas':>10} {'baseline gas':>13}"
        )
        with CowServer(engine) as server, httpx.Client(timeout=600) as http:
            for size in args.sizes:
                signed = make_orders(universe, usd, size, args.seed + size, node.chain_id, valid_to)
                times, body = [], None
                for _ in range(args.repeats if size < 1000 else 1):
                    deadline = datetime.now(UTC) + timedelta(seconds=300)
                    auction = auction_json(signed, deadline=deadline, effective_gas_price=GAS_PRICE)
                    started = time.perf_counter()
                    reply = http.post(f"{server.url}/solve", json=auction)
                    times.append(time.perf_counter() - started)
                    reply.raise_for_status()
                    body = reply.json()
                assert body is not None
                by_uid = {s.uid: s for s in signed}  # the answer, as a driver would encode it, valued exactly
                settlements = [settlement_from_json(solution, by_uid) for solution in body["solutions"]]
                ours, filled, gas = surplus_of_batch(settlements, value)
                theirs, base_filled, base_gas = baseline(universe, signed, value)
                ratio = ours / theirs if theirs else float("nan")
                print(
                    f"{size:>7} {statistics.median(times) * 1000:>9.0f}ms {len(body['solutions']):>6} "
                    f"{filled:>4}/{size:<4} {ours:>12,.0f} $ {theirs:>9,.0f} $ "
                    f"{base_filled:>4}/{size:<4} {ratio:>5.2f}x "
                    f"{gas:>10,} {base_gas:>13,}"
                )
        print("surplus: USDC at the pools' mid prices beyond each order's limit; ratio = batch / baseline")
    finally:
        session.close()


if __name__ == "__main__":
    main()
