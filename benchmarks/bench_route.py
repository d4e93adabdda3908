"""Split routing: our router against the best single pool, Uniswap-style 5% splitting and a fine-grid optimum.

    .venv/bin/python benchmarks/bench_route.py            # built-in chain + synthetic 100-pool universe
    .venv/bin/python benchmarks/bench_route.py --quick    # fewer orders, coarser grid on 100 pools

Every figure is an exact, executable outcome on the same pool models (outputs net of gas, or inputs plus gas),
measured in this run, in basis points of the order (positive = we do better):
* ours with paths of up to 2 pools against (a) the best single pool and (c) the fine-grid optimum over
  the same two-hop network (0.1% steps on the built-in chain, 0.5% on 100 pools);
* ours with up to 3 pools against (b) smart-order-router style splitting (5% steps, up to 7 pool-disjoint
  routes of up to 3 pools), which sees the same paths.
Timing: our full route (float split search + gas decisions + exact legs) and the split search alone (search
and gas decisions), best of 3 runs, wall clock on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from amm.chain.session import start_devnet
from solver.routing import baselines
from solver.routing.network import build_network
from solver.routing.prices import reference_prices
from solver.routing.route import GasModel
from solver.routing.router import Router
from solver.routing.synthetic import synthetic_universe
from solver.routing.universe import Universe

GWEI = 10**9


def _net(route, unit: float) -> float:
    value = route.gas_units * unit
    return route.amount_out - value if route.order.exact_in else -(route.amount_in + value)


def _bps(ours: float, other: float | None) -> str:
    if other is None:
        return "    -"
    return f"{(ours - other) / abs(other) * 1e4:+8.3f}"


def _timed(router: Router, order: tuple, eth_price: float | None) -> tuple:
    """The route and its best-of-3 wall time, total and split search alone (ms)."""
    sell, buy, amount, kind, gwei, _ = order
    times, split_times = [], []
    for _ in range(3):
        started = time.perf_counter()
        route = router.route(sell, buy, amount, kind, gas_price_wei=gwei * GWEI, eth_price=eth_price)
        times.append(time.perf_counter() - started)
        split_times.append(route.stats.search_seconds)
    return route, min(times) * 1e3, min(split_times) * 1e3


def run_orders(universe: Universe, orders, *, grid_steps: int, label: str, eth_price: float | None) -> dict:
    """Route every order with ours (2 and 3 hops) and the three baselines; print one row per order."""
    gas = GasModel()
    print(f"\n== {label}: {len(universe.pools)} pools, {len(universe.tokens)} tokens")
    print(f"{'':<34}{'':>5}{'---------- ours, 2 hops -----------':>45}{'-- ours, 3 hops --':>28}")
    print(
        f"{'order':<34}{'gwei':>5}{'legs':>5}{'ms':>7}{'split':>7}{'vs single':>10}{'vs grid':>9}"
        f"{'legs':>6}{'ms':>7}{'vs SOR':>9}{'SOR s':>7}{'grid s':>7}"
    )
    results = {"vs_grid": [], "vs_sor": [], "vs_single": [], "ms": [], "split_ms": [], "ms3": []}
    two, three = Router(universe, max_hops=2, gas_model=gas), Router(universe, max_hops=3, gas_model=gas)
    for order in orders:
        _, _, amount, kind, gwei, text = order
        route, ms, split_ms = _timed(two, order, eth_price)
        route3, ms3, _ = _timed(three, order, eth_price)
        gas_token = route.order.buy if kind == "exact_in" else route.order.sell
        unit = gwei * GWEI * route.eth_price * 10**gas_token.decimals / 1e18
        network = build_network(universe, route.order.sell.address, route.order.buy.address, max_hops=3)
        two_hops = build_network(universe, route.order.sell.address, route.order.buy.address, max_hops=2)
        exact_in = kind == "exact_in"
        single = baselines.best_single_pool(two_hops, amount, exact_in, gas, unit)
        started = time.perf_counter()
        sor = baselines.sor_split(network, amount, exact_in, gas, unit)
        sor_s = time.perf_counter() - started
        started = time.perf_counter()
        grid = baselines.grid_optimum(two_hops, amount, exact_in, gas, unit, steps=grid_steps)
        grid_s = time.perf_counter() - started
        ours, ours3 = _net(route, unit), _net(route3, unit)
        print(
            f"{text:<34}{gwei:>5}{len(route.legs):>5}{ms:>7.1f}{split_ms:>7.1f}"
            f"{_bps(ours, single and single.net):>10}"
            f"{_bps(ours, grid.net):>9}{len(route3.legs):>6}{ms3:>7.1f}{_bps(ours3, sor and sor.net):>9}"
            f"{sor_s:>7.1f}{grid_s:>7.1f}"
        )
        results["ms"].append(ms)
        results["ms3"].append(ms3)
        results["split_ms"].append(split_ms)
        results["vs_grid"].append((ours - grid.net) / abs(grid.net) * 1e4)
        if sor is not None:
            results["vs_sor"].append((ours3 - sor.net) / abs(sor.net) * 1e4)
        if single is not None:
            results["vs_single"].append((ours - single.net) / abs(single.net) * 1e4)
    return results


def summary(label: str, r: dict) -> None:
    print(
        f"{label}: vs grid optimum worst {min(r['vs_grid']):+.4f} bp "
        f"(median {statistics.median(r['vs_grid']):+.4f}); "
        f"3 hops vs SOR-style median {statistics.median(r['vs_sor']):+.2f} bp "
        f"(worst {min(r['vs_sor']):+.2f}, "
        f"best {max(r['vs_sor']):+.1f}); "
        f"vs single pool median {statistics.median(r['vs_single']):+.1f} bp; "
        f"route median {statistics.median(r['ms']):.1f} ms (max {max(r['ms']):.1f}), "
        f"split search median {statistics.median(r['split_ms']):.1f} ms (max {max(r['split_ms']):.1f}); "
        f"3-hop route median {statistics.median(r['ms3']):.1f} ms"
    )


def devnet_orders(universe: Universe, quick: bool) -> list[tuple]:
    prices = reference_prices(universe, universe.token("USDC").address)
    orders = []
    pairs = [("USDC", "WETH"), ("WETH", "USDT"), ("WBTC", "USDC"), ("DAI", "WETH")]
    sizes = [10_000, 1_000_000, 10_000_000] if not quick else [1_000_000]
    for sell, buy in pairs:
        for usd in sizes:
            for kind in ("exact_in", "exact_out"):
                for gwei in (0, 30):
                    symbol = sell if kind == "exact_in" else buy
                    token = universe.token(symbol)
                    amount = int(usd * 10**6 / prices[token.address.lower()])
                    arrow = "->" if kind == "exact_in" else "<-"
                    text = f"{sell}{arrow}{buy} ${usd:,.0f} {'in' if kind == 'exact_in' else 'out'}"
                    orders.append((sell, buy, amount, kind, gwei, text))
    return orders


def synthetic_orders(quick: bool) -> list[tuple]:
    orders = []
    sizes = [30_000, 1_000_000, 20_000_000] if not quick else [1_000_000]
    for usd in sizes:
        for kind in ("exact_in", "exact_out"):
            for gwei in (0, 30):
                amount = int(usd / 2 * 10**18) if kind == "exact_in" else int(usd * 10**6)
                text = f"AAA{'->' if kind == 'exact_in' else '<-'}BBB ${usd:,.0f} {kind[6:]}"
                orders.append(("AAA", "BBB", amount, kind, gwei, text))
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer orders (a smoke run)")
    args = parser.parse_args()

    session = start_devnet()
    try:
        started = time.perf_counter()
        chain_universe = Universe.discover(session.node)
        load = time.perf_counter() - started
    finally:
        session.close()
    print(
        f"built-in chain: {len(chain_universe.pools)} pools loaded in {load:.2f} s "
        f"({chain_universe.cost.requests} requests, {chain_universe.cost.calls:,} calls)"
    )
    devnet = run_orders(
        chain_universe,
        devnet_orders(chain_universe, args.quick),
        grid_steps=1000,
        label="built-in chain",
        eth_price=None,
    )

    started = time.perf_counter()
    synthetic = synthetic_universe(100)
    built = time.perf_counter() - started
    print(f"\nsynthetic universe built in {built:.2f} s")
    hundred = run_orders(
        synthetic,
        synthetic_orders(args.quick),
        grid_steps=200 if not args.quick else 100,
        label="synthetic 100 pools",
        eth_price=3000.0,
    )
    print()
    summary("built-in chain", devnet)
    summary("100 pools", hundred)
    ok_bp = min(devnet["vs_grid"] + hundred["vs_grid"]) >= -1.0
    ok_ms = statistics.median(hundred["split_ms"]) < 10.0
    print(
        f"targets: within 1 bp of the optimum: {'met' if ok_bp else 'MISSED'}; "
        f"100-pool split under 10 ms (median): {'met' if ok_ms else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
