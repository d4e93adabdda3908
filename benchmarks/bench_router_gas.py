"""The router against a proven optimum net of gas: pairs x sizes x gas prices x kinds (issue 19).

    .venv/bin/python benchmarks/bench_router_gas.py            # the full grid (~4 minutes)
    .venv/bin/python benchmarks/bench_router_gas.py --quick    # fewer pairs and sizes (~1 minute)

The reference (`solver.routing.reference.optimum`) is a slow branch and bound over the same pools and gas
model: which legs trade, how many ticks each crosses, every single path over every choice of pools, each
candidate executed exactly on the pool models; its dual bound proves it optimal to 0.01 bp (cells where it
ran out of nodes are marked *). Per cell: gap = (reference net - router net) / |reference net| in bp, net =
output less gas (exact input) or minus input plus gas (exact output), gas at the router's valuation of ETH.
Positive: the router is short of the optimum; negative: the router beat the reference's best split.

Then the synthetic universes: the router's median time at 100 pools (best of 3 per order), its gap to the
proven optimum on a 20-pool synthetic universe, and, at 100 pools, to the fine-grid split of
`baselines.grid_optimum` (exact quotes on 0.5% steps; the branch and bound cannot close there).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from amm.chain.session import start_devnet
from solver.routing import baselines, reference
from solver.routing.errors import InsufficientLiquidity
from solver.routing.network import build_network
from solver.routing.prices import reference_prices
from solver.routing.route import GasModel, Route
from solver.routing.router import Router
from solver.routing.synthetic import synthetic_universe
from solver.routing.universe import Universe

GWEI = 10**9
GAS_PRICES = (1, 30, 300)
KINDS = ("exact_in", "exact_out")
NO_DIRECT = [("DAI", "WBTC"), ("USDT", "WBTC"), ("USDT", "DAI"), ("WBTC", "USDT"), ("WBTC", "DAI")]
DIRECT = [("WETH", "USDC"), ("USDC", "WETH"), ("WBTC", "WETH"), ("DAI", "WETH")]
SIZES = (0.1, 0.3, 1, 3, 10, 30, 100, 1000, 3000, 20_000)  # WETH worth
QUICK_PAIRS = [("DAI", "WBTC"), ("WBTC", "USDT"), ("WETH", "USDC")]
QUICK_SIZES = (0.1, 1, 10, 100, 20_000)


@dataclass
class Cell:
    pair: str
    kind: str
    size: float
    gwei: int
    gap: float | None  # bp; None: the pools cannot fill the order
    proven: bool = True
    ms: float = 0.0


def net(route: Route) -> float:
    value = route.gas_units * unit(route)
    return route.amount_out - value if route.order.exact_in else -(route.amount_in + value)


def unit(route: Route) -> float:
    gas_token = route.order.buy if route.order.exact_in else route.order.sell
    return route.gas_price_wei * route.eth_price * 10**gas_token.decimals / 1e18


def timed_route(router: Router, sell: str, buy: str, amount: int, kind: str, gwei: int, eth_price=None):
    """The route and its best-of-3 wall time in ms."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        route = router.route(sell, buy, amount, kind, gas_price_wei=gwei * GWEI, eth_price=eth_price)
        best = min(best, time.perf_counter() - started)
    return route, best * 1e3


def gap_cell(router: Router, sell: str, buy: str, amount: int, kind: str, gwei: int, eth_price=None):
    """(gap in bp, proven, router ms) of one order against the branch and bound."""
    route, ms = timed_route(router, sell, buy, amount, kind, gwei, eth_price)
    universe = router.universe
    network = build_network(universe, route.order.sell.address, route.order.buy.address, max_hops=3)
    ref = reference.optimum(network, amount, kind == "exact_in", GasModel(), unit(route), max_nodes=4000)
    return (ref.best.net - net(route)) / abs(ref.best.net) * 1e4, ref.complete, ms


def fmt(cell: Cell) -> str:
    if cell.gap is None:
        return f"{'n/a':>11}"
    return f"{cell.gap:>+10.3f}{' ' if cell.proven else '*'}"


def builtin_grid(universe: Universe, pairs, sizes) -> list[Cell]:
    router = Router(universe)
    prices = reference_prices(universe, universe.token("WETH").address)  # raw WETH per raw token
    cells: list[Cell] = []
    print(
        f"\n== built-in chain: {len(universe.pools)} pools; gap in bp to the proven optimum (+: router short)"
    )
    print(
        f"{'pair':<12}{'kind':<5}{'WETH':>8}" + "".join(f"{f'{g} gwei':>12}" for g in GAS_PRICES) + "  max ms"
    )
    for sell, buy in pairs:
        for kind in KINDS:
            for size in sizes:
                token = universe.token(sell if kind == "exact_in" else buy)
                amount = int(size * 10**18 / prices[token.address.lower()])
                row = []
                for gwei in GAS_PRICES:
                    try:
                        gap, proven, ms = gap_cell(router, sell, buy, amount, kind, gwei)
                        cell = Cell(f"{sell}->{buy}", kind, size, gwei, gap, proven, ms)
                    except InsufficientLiquidity:
                        cell = Cell(f"{sell}->{buy}", kind, size, gwei, None)
                    row.append(cell)
                cells.extend(row)
                ms = max((c.ms for c in row), default=0.0)
                print(
                    f"{sell + '->' + buy:<12}{kind[6:]:<5}{size:>8g}"
                    + "".join(fmt(c) for c in row)
                    + f"{ms:>6.1f}"
                )
    return cells


def summary(cells: list[Cell], label: str) -> bool:
    """Worst and median gap per gas price and kind, and overall; True if every cell is within 1 bp."""
    print(f"\n{label}: worst / median gap in bp (cells; * = reference not proven in some)")
    filled = [c for c in cells if c.gap is not None]
    for kind in KINDS:
        parts = []
        for gwei in GAS_PRICES:
            gaps = [c.gap for c in filled if c.kind == kind and c.gwei == gwei]
            unproven = any(not c.proven for c in filled if c.kind == kind and c.gwei == gwei)
            if gaps:
                parts.append(
                    f"{gwei:>3} gwei {max(gaps):+.3f} / {statistics.median(gaps):+.3f} ({len(gaps)}"
                    f"{'*' if unproven else ''})"
                )
        print(f"  {kind:<10}" + "   ".join(parts))
    gaps = [c.gap for c in filled]
    times = [c.ms for c in filled]
    unproven, unfilled = sum(not c.proven for c in filled), len(cells) - len(filled)
    print(
        f"  overall: worst {max(gaps):+.3f} bp, median {statistics.median(gaps):+.3f} bp over {len(gaps)} "
        f"cells ({unproven} not proven; {unfilled} the pools cannot fill); router median "
        f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms (best of 3)"
    )
    return max(gaps) <= 1.0


def synthetic_timing(quick: bool) -> float:
    universe = synthetic_universe(100)
    router = Router(universe)
    sizes = (300, 30_000, 3_000_000) if quick else (300, 3_000, 30_000, 300_000, 3_000_000, 30_000_000)
    times = []
    for usd in sizes:
        for kind in KINDS:
            for gwei in GAS_PRICES:
                amount = int(usd / 2 * 10**18) if kind == "exact_in" else int(usd * 10**6)
                _, ms = timed_route(router, "AAA", "BBB", amount, kind, gwei, eth_price=3000.0)
                times.append(ms)
    median = statistics.median(times)
    print(
        f"\n== synthetic 100 pools: router median {median:.1f} ms, max {max(times):.1f} ms over "
        f"{len(times)} orders ($300 to ${max(sizes):,}, both kinds, {', '.join(map(str, GAS_PRICES))} gwei)"
    )
    return median


def synthetic_gaps(pools: int, sizes) -> list[Cell]:
    """Gap to the proven optimum (20 pools) or to the fine-grid split (100 pools), one row per size."""
    universe = synthetic_universe(pools)
    router = Router(universe)
    grid = pools > 40
    what = "the 0.5% fine-grid split" if grid else "the proven optimum"
    print(f"\n== synthetic {pools} pools: gap in bp to {what} (+: router short)")
    print(f"{'AAA->BBB $':<12}{'kind':<5}" + "".join(f"{f'{g} gwei':>12}" for g in GAS_PRICES) + "  max ms")
    cells = []
    for usd in sizes:
        for kind in KINDS:
            amount = int(usd / 2 * 10**18) if kind == "exact_in" else int(usd * 10**6)
            row = []
            for gwei in GAS_PRICES:
                if grid:
                    route, ms = timed_route(router, "AAA", "BBB", amount, kind, gwei, eth_price=3000.0)
                    network = build_network(universe, route.order.sell.address, route.order.buy.address)
                    best = baselines.grid_optimum(
                        network, amount, kind == "exact_in", GasModel(), unit(route), steps=200
                    )
                    gap, proven = (best.net - net(route)) / abs(best.net) * 1e4, True
                else:
                    gap, proven, ms = gap_cell(router, "AAA", "BBB", amount, kind, gwei, eth_price=3000.0)
                row.append(Cell("AAA->BBB", kind, usd, gwei, gap, proven, ms))
            cells.extend(row)
            print(
                f"{usd:<12,}{kind[6:]:<5}" + "".join(fmt(c) for c in row) + f"{max(c.ms for c in row):>6.1f}"
            )
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer pairs and sizes (about a minute)")
    args = parser.parse_args()
    started = time.perf_counter()
    session = start_devnet()
    try:
        universe = Universe.discover(session.node)
    finally:
        session.close()
    pairs = QUICK_PAIRS if args.quick else NO_DIRECT + DIRECT
    cells = builtin_grid(universe, pairs, QUICK_SIZES if args.quick else SIZES)
    ok_chain = summary(cells, "built-in chain")
    median_ms = synthetic_timing(args.quick)
    ok_synthetic = True
    if not args.quick:
        twenty = synthetic_gaps(20, (300, 30_000, 300_000, 3_000_000))
        ok_synthetic &= summary(twenty, "synthetic 20 pools")
        hundred = synthetic_gaps(100, (300, 30_000, 300_000, 3_000_000))
        ok_synthetic &= summary(hundred, "synthetic 100 pools vs the fine grid")
    print(
        f"\ntargets: every cell within 1 bp: {'met' if ok_chain and ok_synthetic else 'MISSED'}; "
        f"median router time at 100 pools under 10 ms: {'met' if median_ms < 10 else 'MISSED'} "
        f"({median_ms:.1f} ms); ran in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
