"""The router against a brute-force fine-grid search: never worse by more than 1 bp, net of gas.

The grid (`baselines.grid_optimum`) tries every split of the order among the direct pools and the
intermediate-token groups in steps of 0.1% of the order (exact max-plus DP over exact quotes at every grid
point), and every split of each intermediate token on its own 0.1% grid; its best split is then executed
exactly. Each pool's output is concave in its input, so a grid step h loses at most ~I·h² of the output
against the continuous optimum at price impact I: 0.1% steps are within 1e-7 (0.001 bp) even at 10% impact,
so being within 1 bp of the grid means being within ~1 bp of the true optimum. The grid is also a real,
executable split: the router may beat it (it usually does, by rounding), never lose to it by more than 1 bp.
"""

from __future__ import annotations

import pytest

from solver.routing import baselines
from solver.routing.network import build_network
from solver.routing.prices import reference_prices
from solver.routing.route import GasModel
from solver.routing.router import Router
from solver.routing.synthetic import synthetic_universe
from solver.routing.universe import Universe

GWEI = 10**9
BP = 1e-4


def _net(route, unit: float) -> float:
    value = route.gas_units * unit
    return route.amount_out - value if route.order.exact_in else -(route.amount_in + value)


def _compare(universe: Universe, sell: str, buy: str, usd: float, kind: str, hops: int, gwei: int) -> None:
    usdc = (
        universe.token("USDC").address if any(t.symbol == "USDC" for t in universe.tokens.values()) else None
    )
    anchor = usdc or universe.token(buy).address
    prices = reference_prices(universe, anchor)
    side = universe.token(sell if kind == "exact_in" else buy)
    amount = int(usd * 10 ** (6 if usdc else universe.token(buy).decimals) / prices[side.address.lower()])
    gas = GasModel()
    router = Router(universe, max_hops=hops, gas_model=gas)
    route = router.route(sell, buy, amount, kind, gas_price_wei=gwei * GWEI, eth_price=None if usdc else 1.0)
    gas_token = route.order.buy if kind == "exact_in" else route.order.sell
    unit = gwei * GWEI * route.eth_price * 10**gas_token.decimals / 1e18
    network = build_network(universe, route.order.sell.address, route.order.buy.address, max_hops=hops)
    grid = baselines.grid_optimum(network, amount, kind == "exact_in", gas, unit, steps=1000)
    ours = _net(route, unit)
    assert ours >= grid.net - BP * abs(grid.net), (
        f"router {ours:.6e} vs grid {grid.net:.6e}: {(ours - grid.net) / abs(grid.net) / BP:+.4f} bp"
    )
    single = baselines.best_single_pool(network, amount, kind == "exact_in", gas, unit)
    if single is not None:
        assert ours >= single.net - 1e-9 * abs(single.net)


CASES = [
    # (sell, buy, max hops): three direct pools; a direct pool and one intermediate token with three pools on
    # each side; three direct pools and three intermediate tokens
    ("USDC", "WETH", 1),
    ("WBTC", "USDC", 2),
    ("USDC", "WETH", 2),
]


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
@pytest.mark.parametrize("usd", [20_000, 2_000_000, 15_000_000], ids=["20k", "2M", "15M"])
@pytest.mark.parametrize(("sell", "buy", "hops"), CASES, ids=str)
def test_within_1bp_of_the_grid_without_gas(universe: Universe, sell, buy, hops, usd, kind) -> None:
    _compare(universe, sell, buy, usd, kind, hops, 0)


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
@pytest.mark.parametrize("usd", [3_000, 300_000], ids=["3k", "300k"])
@pytest.mark.parametrize(("sell", "buy", "hops"), CASES[1:], ids=str)
def test_within_1bp_of_the_grid_with_gas(universe: Universe, sell, buy, hops, usd, kind) -> None:
    """At 50 gwei a leg costs ~$12: small orders must not be split, large ones still are."""
    _compare(universe, sell, buy, usd, kind, hops, 50)


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
@pytest.mark.parametrize("gwei", [0, 30])
def test_within_1bp_of_the_grid_on_a_synthetic_universe(kind: str, gwei: int) -> None:
    """Twelve v2/v3 pools between two tokens and two intermediate tokens, all fee tiers, uneven liquidity."""
    universe = synthetic_universe(12, seed=3, tvl_usd=(1e5, 2e7))
    _compare(universe, "AAA", "BBB", 400_000, kind, 2, gwei)
