"""Fixed gas per leg: the router stops splitting where a leg no longer pays for itself."""

from __future__ import annotations

import pytest

from solver.routing.route import GasModel
from solver.routing.router import Router
from solver.routing.universe import Universe

GWEI = 10**9


def _net_at(route, gas_price_wei: int) -> float:
    """The route's output net of gas valued at another gas price (same ETH price)."""
    gas_token = route.order.buy if route.order.exact_in else route.order.sell
    value = route.gas_units * gas_price_wei * route.eth_price * 10**gas_token.decimals / 1e18
    return route.amount_out - value if route.order.exact_in else -(route.amount_in + value)


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
def test_gas_drops_small_legs(universe: Universe, kind: str) -> None:
    amount = 300_000 * 10**6 if kind == "exact_in" else 90 * 10**18  # ~$300k USDC -> WETH
    router = Router(universe, max_hops=2)
    free = router.route("USDC", "WETH", amount, kind, gas_price_wei=0)
    costly = router.route("USDC", "WETH", amount, kind, gas_price_wei=200 * GWEI)
    assert len(costly.legs) < len(free.legs)
    assert costly.stats.dropped_for_gas > 0
    # each choice is the better one at its own gas price
    assert _net_at(costly, 200 * GWEI) > _net_at(free, 200 * GWEI)
    assert _net_at(free, 0) >= _net_at(costly, 0)


def test_small_orders_take_one_path_large_ones_split(universe: Universe) -> None:
    router = Router(universe, max_hops=2)
    small = router.route("USDC", "WETH", 2_000 * 10**6, gas_price_wei=30 * GWEI)
    large = router.route("USDC", "WETH", 5_000_000 * 10**6, gas_price_wei=30 * GWEI)
    assert len({leg.token_in for leg in small.legs}) <= 2 and len(small.legs) <= 2
    assert len(large.legs) >= 5


def test_gas_is_reported_in_units_wei_and_the_output_token(universe: Universe) -> None:
    gas = GasModel()
    route = Router(universe, gas_model=gas).route("USDC", "WETH", 10**6 * 10**6, gas_price_wei=20 * GWEI)
    assert route.gas_units == gas.base + sum(gas.leg(leg.kind, leg.ticks_crossed) for leg in route.legs)
    assert route.gas_cost_wei == route.gas_units * 20 * GWEI
    assert route.eth_price == 1.0 and route.gas_cost == route.gas_cost_wei  # output is WETH: 1 wei = 1 wei
    assert route.net_amount_out == route.amount_out - route.gas_cost
    usdc = Router(universe, gas_model=gas).route("WETH", "USDC", 300 * 10**18, gas_price_wei=20 * GWEI)
    assert 2_000 < usdc.eth_price < 5_000  # WETH's mid price in USDC, from the pools
    assert usdc.gas_cost == round(usdc.gas_units * 20 * GWEI * usdc.eth_price * 10**6 / 10**18)
