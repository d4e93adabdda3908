"""The stress pools: the arbitrageur leaves every pool inside its fee band around the market and never loses
at market prices, its swaps are the models' own, third-party LPs withdraw exactly their share, and the
router's slippage gauges what liquidity is left."""

from __future__ import annotations

import copy
from collections.abc import Mapping

import pytest

from amm.v2.pair import ZERO_ADDRESS, Pair
from amm.v3.pool import Pool
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.stress.stress_pools import (
    PoolsConfig,
    arbitrage,
    build_universe,
    positions_in_range,
    raw_price,
    reference_slippage,
    usd,
    v3_pool_ref,
    withdraw,
)

START = {"USDC": 1.0, "WETH": 3000.0, "WBTC": 90_000.0}
MOVED = {"USDC": 1.0, "WETH": 2850.0, "WBTC": 92_700.0}  # ETH -5%, BTC +3%
OURS = "books-lp"


def universe() -> Universe:
    return build_universe(PoolsConfig(positions=4), START)


def pool_price(model: Pool | Pair) -> float:
    """Raw token1 per raw token0."""
    if isinstance(model, Pool):
        return (model.sqrt_price_x96 / 2**96) ** 2
    return model.reserve1 / model.reserve0


def in_band(u: Universe, prices: Mapping[str, float], slack: float = 1e-9) -> list[str]:
    """Names of the pools whose price lies outside their fee band around the market."""
    out = []
    for ref in u.pools:
        keep = 1 - ref.fee / 1e6
        target, price = raw_price(u, ref, prices), pool_price(ref.model)
        if not target * keep * (1 - slack) <= price <= target / keep * (1 + slack):
            out.append(ref.name)
    return out


def test_the_universe_is_mainnet_shaped_and_starts_in_its_fee_bands() -> None:
    u = universe()
    assert sorted(p.name for p in u.pools) == [
        "USDC/WETH-3000",
        "USDC/WETH-500",
        "USDC/WETH-v2",
        "WBTC/USDC-3000",
        "WBTC/WETH-3000",
    ]
    assert in_band(u, START) == []
    assert v3_pool_ref(u, "WETH", "USDC", 500).name == "USDC/WETH-500"


def test_arbitrage_moves_every_pool_into_its_fee_band_and_never_loses() -> None:
    u = universe()
    assert set(in_band(u, MOVED)) == {p.name for p in u.pools}  # a 5% move: every pool is off the market
    before = {p.address: (p.model.balance0, p.model.balance1) for p in u.pools}
    version = u.version
    result = arbitrage(u, MOVED, 60.0)
    assert in_band(u, MOVED) == []
    assert set(result.trades) == {p.address for p in u.pools}
    assert u.version > version  # routers' caches see the change
    for ref in u.pools:
        trade = result.trades[ref.address]
        assert trade.profit_usd > 0
        # the trade is the model's own: what the pool holds moved by exactly the amounts
        b0, b1 = before[ref.address]
        d0, d1 = ref.model.balance0 - b0, ref.model.balance1 - b1
        if trade.token_in == ref.token0:
            assert (d0, -d1) == (trade.amount_in, trade.amount_out)
        else:
            assert (d1, -d0) == (trade.amount_in, trade.amount_out)
        value = usd(u, trade.token_out, trade.amount_out, MOVED) - usd(
            u, trade.token_in, trade.amount_in, MOVED
        )
        assert trade.profit_usd == pytest.approx(value)
        assert 0 < trade.fees_usd < trade.profit_usd * 10
    # on the market already: nothing more to take
    assert arbitrage(u, MOVED, 120.0).trades == {}


def test_an_arbitrage_that_would_not_pay_its_gas_is_not_made() -> None:
    u = universe()
    state = copy.deepcopy(u)
    tiny = {"USDC": 1.0, "WETH": 3000 * 1.004, "WBTC": 90_000.0}
    paid = arbitrage(state, tiny, 60.0)
    costly = max(t.profit_usd for t in paid.trades.values()) + 1
    result = arbitrage(u, tiny, 60.0, gas_usd=costly)
    assert result.trades == {}
    assert all(
        pool_price(a.model) == pool_price(b.model) for a, b in zip(u.pools, universe().pools, strict=True)
    )


def test_withdraw_half_burns_exactly_half_of_third_party_liquidity_and_leaves_ours() -> None:
    u = universe()
    lp_pool = v3_pool_ref(u, "WETH", "USDC", 500).model
    assert isinstance(lp_pool, Pool)
    spacing = lp_pool.tick_spacing
    ours = (
        lp_pool.tick // spacing * spacing - 10 * spacing,
        lp_pool.tick // spacing * spacing + 10 * spacing,
    )
    lp_pool.mint(OURS, *ours, 10**18)
    before = {ref.address: copy.deepcopy(ref.model) for ref in u.pools}
    burnt = withdraw(u, 0.5, keep_owner=OURS, time_s=60.0)
    assert set(burnt) == {ref.address for ref in u.pools}
    for ref in u.pools:
        old, new = before[ref.address], ref.model
        if isinstance(new, Pool):
            assert isinstance(old, Pool)
            for key, info in old.positions.items():
                expected = info.liquidity if key[0] == OURS else info.liquidity - info.liquidity // 2
                assert new.positions[key].liquidity == expected, (ref.name, key)
            active = sum(i.liquidity for (_, lo, hi), i in new.positions.items() if lo <= new.tick < hi)
            assert new.liquidity == active
            assert new.sqrt_price_x96 == old.sqrt_price_x96  # a withdrawal is not a trade
        else:
            assert isinstance(old, Pair)
            for holder, balance in old.balance_of.items():
                expected = balance if holder == ZERO_ADDRESS else balance - balance // 2
                assert new.balance_of.get(holder, 0) == expected
            assert new.reserve0 * 2 == pytest.approx(old.reserve0, rel=1e-3)
    assert lp_pool.positions[(OURS, *ours)].liquidity == 10**18


def test_router_slippage_grows_with_size_and_with_withdrawn_liquidity() -> None:
    u = universe()
    small = reference_slippage(u, Router(u), 10_000, START, 20 * 10**9)
    large = reference_slippage(u, Router(u), 1_000_000, START, 20 * 10**9)
    assert 0 < small < large
    withdraw(u, 0.9, keep_owner=OURS)
    thin = reference_slippage(u, Router(u), 1_000_000, START, 20 * 10**9)
    assert thin > 3 * large


def test_positions_in_range_fall_with_a_crash_and_a_withdrawal_and_never_count_ours() -> None:
    u = universe()
    lp_pool = v3_pool_ref(u, "WETH", "USDC", 500).model
    assert isinstance(lp_pool, Pool)
    spacing = lp_pool.tick_spacing
    lp_pool.mint(
        OURS, lp_pool.tick // spacing * spacing - spacing, lp_pool.tick // spacing * spacing + spacing, 1
    )
    working, live = positions_in_range(u, OURS)
    third_party = sum(
        1
        for ref in u.pools
        if isinstance(ref.model, Pool)
        for key, i in ref.model.positions.items()
        if key[0] != OURS and i.liquidity
    )
    assert live == third_party and 0 < working <= live
    arbitrage(
        u, {"USDC": 1.0, "WETH": 2100.0, "WBTC": 63_000.0}, 60.0
    )  # both -30%: narrow ranges left behind
    assert positions_in_range(u, OURS)[0] < working
    withdraw(u, 1.0, keep_owner=OURS, time_s=120.0)
    assert positions_in_range(u, OURS) == (0, 0)
