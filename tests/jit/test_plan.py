"""The planner on the built-in chain's pool models (pure: no chain calls after reading the pools)."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from amm.chain import addresses as mainnet
from amm.errors import Revert
from amm.v3.pool import Pool
from solver.jit.plan import GasModel, Planner, spot_price
from solver.jit.simulate import Swap, evaluate, replay
from solver.routing.universe import Universe

INVENTORY = (10_000_000 * 10**6, 3_000 * 10**18)  # USDC, WETH
USDC_WETH = mainnet.v3_pool_address(mainnet.USDC, mainnet.WETH, 500)


def _model(pools: Universe, address: str = USDC_WETH) -> Pool:
    model = pools.pool(address).model
    assert isinstance(model, Pool)
    return model


def test_fast_evaluation_equals_the_call_by_call_replay(pools: Universe) -> None:
    """The planner's inner loop (no copy of the pool) against mint, swap, burn, collect on a copy."""
    rng = random.Random(14)
    checked = reverted = 0
    for ref in pools.pools:
        if not isinstance(ref.model, Pool):
            continue
        m = ref.model
        spacing = m.tick_spacing
        for _ in range(40):
            swap = Swap(rng.random() < 0.5, rng.choice((1, -1)) * int(10 ** rng.uniform(2, 25)))
            active = (m.tick // spacing) * spacing
            lower = active - rng.randint(-3, 6) * spacing
            upper = lower + rng.randint(1, 8) * spacing
            liquidity = int(m.liquidity * 10 ** rng.uniform(-4, 3)) + 1
            try:
                fast = evaluate(m, swap, lower, upper, liquidity)
            except Revert as error:
                with pytest.raises(Revert, match=str(error) or None):
                    replay(m, swap, lower, upper, liquidity)
                reverted += 1
                continue
            assert fast == replay(m, swap, lower, upper, liquidity), (ref.name, swap, lower, upper, liquidity)
            checked += 1
        # and the same reverts: a limit on the wrong side of the price, a zero amount
        for swap in (
            Swap(True, 10**6, m.sqrt_price_x96 + 1),
            Swap(False, 10**6, m.sqrt_price_x96),
            Swap(True, 0),
        ):
            with pytest.raises(Revert) as fast_error:
                evaluate(m, swap, active, active + spacing, 10**9)
            with pytest.raises(Revert, match=str(fast_error.value)):
                replay(m, swap, active, active + spacing, 10**9)
            reverted += 1
    assert checked > 300 and reverted == 30


def test_values_add_up(pools: Universe) -> None:
    m = _model(pools)
    swap = Swap(True, 2_000_000 * 10**6)
    plan = Planner(bribe_share=Fraction(1, 5)).plan(m, swap, INVENTORY, gas_price_wei=10**10)
    o = plan.outcome
    assert plan.execute and o is not None
    price = spot_price(o.sqrt_price_x96)
    assert plan.reference_price == price
    assert plan.fee_income == o.fee0 * price + o.fee1
    assert plan.price_impact == (o.burn0 - o.mint0) * price + (o.burn1 - o.mint1)
    assert plan.gas_cost == plan.gas_units * 10**10  # token1 is WETH: gas is paid in it
    gross = plan.fee_income + plan.price_impact - plan.gas_cost
    assert plan.bribe == gross / 5 and plan.net == gross - plan.bribe
    assert 0 < plan.fee_share < 1
    # the victim gets a better price with us in the pool
    assert plan.victim_gain > 0 and -o.swap1 > -plan.victim_without[1]
    # a given reference price is used as is
    fair = spot_price(m.sqrt_price_x96)
    marked = Planner().plan(m, swap, INVENTORY, gas_price_wei=10**10, reference_price=fair)
    assert marked.reference_price == fair and marked.outcome is not None
    mo = marked.outcome
    assert marked.fee_income == mo.fee0 * fair + mo.fee1


def test_exact_output_and_both_directions(pools: Universe) -> None:
    m = _model(pools)
    for swap in (Swap(False, -1_000_000 * 10**6), Swap(True, -300 * 10**18), Swap(False, 400 * 10**18)):
        plan = Planner().plan(m, swap, INVENTORY, gas_price_wei=10**10)
        assert plan.execute, (swap, plan.reason)
        o = plan.outcome
        assert o is not None and (o.fee0 if swap.zero_for_one else o.fee1) > 0
        assert (o.fee1 if swap.zero_for_one else o.fee0) == 0  # fees come in the input token only


def test_skips_say_why(pools: Universe) -> None:
    m = _model(pools)
    planner = Planner()
    assert planner.plan(m, Swap(True, 10**9), (0, 0), gas_price_wei=10**10).reason == "no_inventory"
    limit = m.sqrt_price_x96 + 1  # a zero-for-one swap with its limit above the price reverts SPL
    assert planner.plan(m, Swap(True, 10**9, limit), INVENTORY, gas_price_wei=10**10).reason == "swap_reverts"
    small = planner.plan(m, Swap(True, 100 * 10**6), INVENTORY, gas_price_wei=10**10)
    assert small.decision == "skip" and small.reason == "below_break_even"
    thin = planner.plan(
        m, Swap(True, 3_000_000 * 10**6), (200_000 * 10**6, 60 * 10**18), gas_price_wei=10**10
    )
    assert thin.reason == "impact_exceeds_fees" and thin.fee_income + thin.price_impact <= 0
    strict = Planner(min_profit=Fraction(10**30)).plan(
        m, Swap(True, 2 * 10**12), INVENTORY, gas_price_wei=10**10
    )
    assert strict.reason == "below_min_profit"


def test_break_even_is_where_the_position_starts_to_pay(pools: Universe) -> None:
    m = _model(pools)
    planner = Planner()
    plan = planner.plan(m, Swap(True, 100 * 10**6), INVENTORY, gas_price_wei=10**10)
    o = plan.outcome
    assert plan.break_even is not None and o is not None
    context_swap = Swap(True, plan.break_even)
    at = evaluate(m, context_swap, o.tick_lower, o.tick_upper, o.liquidity)
    below = evaluate(
        m,
        replace(context_swap, amount_specified=plan.break_even * 4000 // 4096),
        o.tick_lower,
        o.tick_upper,
        o.liquidity,
    )
    gas = plan.gas_cost

    def net(x: object) -> Fraction:
        price = spot_price(x.sqrt_price_x96)  # type: ignore[attr-defined]
        return x.delta0 * price + x.delta1 - gas  # type: ignore[attr-defined]

    assert net(at) > 0 >= net(below)


def test_inventory_caps_the_position(pools: Universe) -> None:
    m = _model(pools)
    swap = Swap(True, 3_000_000 * 10**6)
    thin = (3_000_000 * 10**6, 1_000 * 10**18)
    plan = Planner().plan(m, swap, thin, gas_price_wei=10**10)
    rich = Planner().plan(m, swap, INVENTORY, gas_price_wei=10**10)
    assert plan.outcome is not None and rich.outcome is not None
    assert plan.outcome.mint0 <= thin[0] and plan.outcome.mint1 <= thin[1]
    assert plan.outcome.liquidity < rich.outcome.liquidity and plan.fee_share < rich.fee_share


def test_gas_model_counts_new_ticks() -> None:
    gas = GasModel()
    assert gas.units(2) - gas.units(0) == 2 * (gas.per_new_tick + gas.burn_per_new_tick)
