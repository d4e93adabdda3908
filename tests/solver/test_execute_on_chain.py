"""Routes executed on anvil through RouteExecutor: every leg gets exactly what the pool models said.

Each route is computed on the universe read at the chain's pristine state, then sent as one transaction; the
contract's LegExecuted events report what each real pool took and paid, and the user's balances the totals.
"""

from __future__ import annotations

import pytest

from amm.chain.node import Node
from amm.chain.tokens import balances
from solver.routing.executor import RouteExecutor
from solver.routing.prices import reference_prices
from solver.routing.route import GasModel
from solver.routing.router import Router
from solver.routing.universe import Universe

PAIRS = [("USDC", "WETH"), ("WETH", "USDC"), ("WBTC", "DAI"), ("DAI", "USDT"), ("USDT", "WBTC")]
SIZES = {"1k": 1_000, "500k": 500_000, "15M": 15_000_000}  # small, splitting, price-moving


def _amount(universe: Universe, symbol: str, usd: float) -> int:
    price = reference_prices(universe, universe.token("USDC").address)[universe.token(symbol).address.lower()]
    return int(usd * 10**6 / price)


def _execute_and_compare(chain: Node, executor: RouteExecutor, fund, user: str, route) -> None:
    token_in, token_out = route.token_in.address, route.token_out.address
    fund(token_in, user, route.max_amount_in * 2)
    before = balances(chain, [token_in, token_out], user)
    done = executor.execute(route, sender=user)
    after = balances(chain, [token_in, token_out], user)
    expected = [(leg.pool.lower(), leg.amount_in, leg.amount_out) for leg in route.legs]
    assert [(r.pool.lower(), r.amount_in, r.amount_out) for r in done.legs] == expected
    assert (done.amount_in, done.amount_out) == (route.amount_in, route.amount_out)
    assert before[0] - after[0] == route.amount_in
    assert after[1] - before[1] == route.amount_out


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize(("sell", "buy"), PAIRS, ids=str)
def test_every_leg_matches_the_pools(
    chain: Node, universe: Universe, executor: RouteExecutor, fund, user, sell, buy, size, kind
) -> None:
    amount = _amount(universe, sell if kind == "exact_in" else buy, SIZES[size])
    route = Router(universe).route(sell, buy, amount, kind, gas_price_wei=10**9)
    assert route.legs
    _execute_and_compare(chain, executor, fund, user, route)


@pytest.mark.parametrize("kind", ["exact_in", "exact_out"])
def test_three_hop_routes_execute_exactly(chain, universe, executor, fund, user, kind) -> None:
    """DAI -> WBTC through USDC and WETH: some legs leave a token that another leg brought in."""
    amount = _amount(universe, "DAI" if kind == "exact_in" else "WBTC", 3_000_000)
    route = Router(universe, max_hops=3).route("DAI", "WBTC", amount, kind, gas_price_wei=0)
    hops = {leg.token_in.lower() for leg in route.legs} - {route.token_in.address.lower()}
    assert len(hops) >= 2, "expected legs out of at least two intermediate tokens"
    _execute_and_compare(chain, executor, fund, user, route)


def test_gas_model_tracks_the_executor(chain, universe, executor, fund, user) -> None:
    """The default gas model against what RouteExecutor really uses: within -35%/+50% on every route and
    within 15% on average (one leg, many legs, v2 and v3, with and without tick crossings)."""
    router = Router(universe, max_hops=2, gas_model=GasModel())
    errors = []
    orders = [
        ("USDC", "WETH", 2_000_000),
        ("WBTC", "DAI", 200_000),
        ("WETH", "USDT", 3_000),
        ("DAI", "WETH", 800_000),
        ("USDT", "USDC", 50_000),
    ]
    for sell, buy, usd in orders:
        snapshot = chain.snapshot()
        route = router.route(sell, buy, _amount(universe, sell, usd), gas_price_wei=0)
        fund(route.token_in.address, user, route.amount_in)
        used = executor.execute(route, sender=user).gas_used
        chain.revert(snapshot)
        errors.append((route.gas_units - used) / used)
    assert all(-0.35 <= e <= 0.5 for e in errors), errors
    assert sum(abs(e) for e in errors) / len(errors) < 0.15, errors
