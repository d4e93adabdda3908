"""Orders that cannot be routed as asked fail with a clear, specific error; odd but valid ones still work."""

from __future__ import annotations

import json

import pytest

from amm.v2.pair import Pair
from amm.v3.pool import Pool
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.routing.errors import (
    InsufficientLiquidity,
    InvalidOrder,
    NoRoute,
    RoutingError,
    SameToken,
    UnknownToken,
)
from solver.routing.router import Router
from solver.routing.synthetic import synthetic_universe
from solver.routing.universe import Token, Universe

A = Token("0x" + "1" * 40, "AAA", 18)
B = Token("0x" + "2" * 40, "BBB", 18)
C = Token("0x" + "3" * 40, "CCC", 18)
D = Token("0x" + "4" * 40, "DDD", 18)


def _empty_pools() -> list[Pool | Pair]:
    """A v3 pool that was initialised but never given liquidity, and a v2 pair never minted."""
    pool = Pool(3000, 60, address="0x" + "a" * 40, token0=A.address, token1=B.address)
    pool.initialize(get_sqrt_ratio_at_tick(0))
    pair = Pair.from_reserves(0, 0, address="0x" + "b" * 40, token0=A.address, token1=B.address)
    return [pool, pair]


def _funded_pair(t0: Token, t1: Token, address: str) -> Pair:
    return Pair.from_reserves(10**24, 10**24, address=address, token0=t0.address, token1=t1.address)


def test_unknown_token(universe: Universe) -> None:
    with pytest.raises(UnknownToken, match=r"unknown token 'PEPE'.*DAI, USDC, USDT, WBTC, WETH"):
        Router(universe).route("PEPE", "USDC", 10**18, gas_price_wei=0)
    with pytest.raises(UnknownToken):
        Router(universe).route("USDC", "0x" + "9" * 40, 10**6, gas_price_wei=0)


def test_same_token_in_and_out(universe: Universe) -> None:
    with pytest.raises(SameToken, match="same token"):
        Router(universe).route("USDC", "usdc", 10**6, gas_price_wei=0)


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_amount_must_be_a_positive_integer(universe: Universe, amount) -> None:
    with pytest.raises(InvalidOrder):
        Router(universe).route("USDC", "WETH", amount, gas_price_wei=0)


def test_settings_that_make_no_sense(universe: Universe) -> None:
    with pytest.raises(RoutingError, match="max_hops"):
        Router(universe, max_hops=4)
    with pytest.raises(RoutingError, match="slippage"):
        Router(universe).route("USDC", "WETH", 10**6, slippage_bps=10_000, gas_price_wei=0)
    with pytest.raises(RoutingError, match="gas price"):
        Router(universe).route("USDC", "WETH", 10**6, gas_price_wei=-1)


def test_no_path_within_the_hop_limit(universe: Universe) -> None:
    """WBTC and DAI share no pool: one hop is not enough, two are."""
    with pytest.raises(NoRoute, match="no path of pools from WBTC to DAI within 1 hops"):
        Router(universe, max_hops=1).route("WBTC", "DAI", 10**8, gas_price_wei=0)
    assert Router(universe, max_hops=2).route("WBTC", "DAI", 10**8, gas_price_wei=0).amount_out > 0


def test_no_path_at_all() -> None:
    """Two pairs that share no token: nothing connects A to D."""
    universe = Universe.from_models(
        [_funded_pair(A, B, "0x" + "c" * 40), _funded_pair(C, D, "0x" + "d" * 40)], [A, B, C, D]
    )
    with pytest.raises(NoRoute, match="no path of pools from AAA to DDD"):
        Router(universe, max_hops=3).route("AAA", "DDD", 10**18, gas_price_wei=0)


def test_pools_without_liquidity() -> None:
    universe = Universe.from_models(_empty_pools(), [A, B])
    with pytest.raises(NoRoute, match="no pool with liquidity connects AAA to BBB"):
        Router(universe).route("AAA", "BBB", 10**18, gas_price_wei=0)


def test_empty_pools_are_ignored_next_to_a_funded_one() -> None:
    universe = Universe.from_models([*_empty_pools(), _funded_pair(A, B, "0x" + "e" * 40)], [A, B])
    route = Router(universe).route("AAA", "BBB", 10**20, gas_price_wei=0)
    assert [leg.pool for leg in route.legs] == ["0x" + "e" * 40]


def test_buying_more_than_the_pools_hold(universe: Universe) -> None:
    with pytest.raises(
        InsufficientLiquidity, match="cannot buy 1e\\+06 WBTC: the pools on its paths hold at most"
    ):
        Router(universe).route("USDC", "WBTC", 10**6 * 10**8, "exact_out", gas_price_wei=0)


def test_selling_more_than_the_pools_can_absorb(universe: Universe) -> None:
    with pytest.raises(
        InsufficientLiquidity, match="would more than halve or double prices and drain the pools"
    ):
        Router(universe).route("USDC", "WBTC", 10**18 * 10**6, gas_price_wei=0)


def test_too_small_to_pay_anything(universe: Universe) -> None:
    """One wei of WETH buys less than one raw unit of USDC."""
    with pytest.raises(InvalidOrder, match="too small"):
        Router(universe).route("WETH", "USDC", 1, gas_price_wei=0)


def test_gas_needs_a_price_when_no_pool_links_to_weth() -> None:
    universe = synthetic_universe(6, seed=1)
    with pytest.raises(RoutingError, match="cannot value gas in BBB"):
        Router(universe).route("AAA", "BBB", 10**18, gas_price_wei=10**9)
    route = Router(universe).route("AAA", "BBB", 10**18, gas_price_wei=10**9, eth_price=3000.0)
    assert route.gas_cost == route.gas_units * 10**9 * 3000 * 10**6 // 10**18


def test_route_is_json_safe_with_exact_integers(universe: Universe) -> None:
    route = Router(universe).route("USDC", "WETH", 2_000_000 * 10**6, gas_price_wei=2 * 10**9)
    data = json.loads(json.dumps(route.to_dict()))
    assert data["amount_in"] == str(route.amount_in) and data["amount_out"] == str(route.amount_out)
    assert int(data["min_amount_out"]) == route.amount_out * (10_000 - 50) // 10_000
    assert sum(
        int(leg["amount_in"]) for leg in data["legs"] if leg["token_in"] == route.token_in.address
    ) == (route.amount_in)
    assert all(int(leg["min_amount_out"]) <= int(leg["amount_out"]) for leg in data["legs"])
    assert 0 < data["price_impact"] < 0.05


def test_mispriced_pools_between_intermediates_do_not_make_a_cycle() -> None:
    """Two H1/H2 pools 5% apart: with three hops the float flows would run H1 -> H2 -> H1 through them
    (an arbitrage loop no leg order can execute); the router drops the loop's smaller edge and routes."""

    def pair(t0: Token, t1: Token, n: int, r0: int = 10**24, r1: int = 10**24) -> Pair:
        return Pair.from_reserves(r0, r1, address=f"0x{n:040x}", token0=t0.address, token1=t1.address)

    universe = Universe.from_models(
        [
            pair(A, C, 1),
            pair(C, B, 2),
            pair(A, D, 3),
            pair(D, B, 4),
            pair(C, D, 5),
            pair(C, D, 6, 10**24, 105 * 10**22),
        ],
        [A, B, C, D],
    )
    route = Router(universe, max_hops=3).route("AAA", "BBB", 10**23, gas_price_wei=0)
    tokens_in = [leg.token_in for leg in route.legs]
    seen = {A.address}
    for leg in route.legs:  # each leg spends a token that an earlier leg (or the order) brought in
        assert leg.token_in in seen
        seen.add(leg.token_out)
    assert len(tokens_in) >= 3
