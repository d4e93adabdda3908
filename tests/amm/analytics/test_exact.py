"""Analytics formulas against the exact integer v3 Pool: fees from flow, IL, exact position state."""

import itertools
import math

import pytest

from amm.analytics.exact import position_amounts, position_state, uncollected_fees
from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.position import amounts, impermanent_loss, value
from amm.analytics.ranges import RangeEngine, RangeSpec
from amm.v3.pool import Pool
from amm.v3.position import PositionInfo
from amm.v3.tick_math import get_sqrt_ratio_at_tick

Q96 = 2**96
FEE = 3000  # pips
G = FEE / (1_000_000 - FEE)  # fee on input: fee / (1 − fee) per unit moved into the curve
LOWER, UPPER = -600, 600
L_OURS = 10**20


def _pool() -> Pool:
    pool = Pool(FEE, 60)
    pool.initialize(get_sqrt_ratio_at_tick(0))
    pool.mint("bg", -6000, 6000, 10**21)
    pool.mint("bg2", -1200, 300, 3 * 10**20)
    pool.mint("me", LOWER, UPPER, L_OURS)
    return pool


def _swap_to(pool: Pool, tick: int) -> None:
    """Swap with a huge exact input up to the price of ``tick`` (the limit stops it there)."""
    zero_for_one = tick < pool.tick
    pool.swap(zero_for_one, 10**30, get_sqrt_ratio_at_tick(tick))


def _flow_fees(sqrts: list[int]) -> tuple[float, float]:
    """Our fees from the flow formula: g·L·|Δ√P| (token1, up) and g·L·|Δ(1/√P)| (token0, down), in range."""
    sa, sb = get_sqrt_ratio_at_tick(LOWER) / Q96, get_sqrt_ratio_at_tick(UPPER) / Q96
    fee0 = fee1 = 0.0
    for before, after in itertools.pairwise(sqrts):
        a, b = before / Q96, after / Q96
        if b > a:
            fee1 += G * L_OURS * max(0.0, min(b, sb) - max(a, sa))
        else:
            fee0 += G * L_OURS * max(0.0, min(1 / b, 1 / sa) - max(1 / a, 1 / sb))
    return fee0, fee1


TICKS = [900, -900, 120, -300, 660]


def test_fee_from_flow_matches_exact_swaps() -> None:
    pool = _pool()
    sqrts = [pool.sqrt_price_x96]
    for t in TICKS:
        _swap_to(pool, t)
        sqrts.append(pool.sqrt_price_x96)
    state = position_state(pool, "me", LOWER, UPPER)
    f0, f1 = _flow_fees(sqrts)
    assert state.fees0 > 0 and state.fees1 > 0
    # rounding: feeAmount is rounded up per swap step, fee growth and the share are floored
    assert abs(state.fees0 - f0) <= 1e-9 * f0 + 10
    assert abs(state.fees1 - f1) <= 1e-9 * f1 + 10


def test_range_engine_arb_fees_match_exact_pool() -> None:
    """The engine, fed the pool's own price path, earns what the contract credits (raw units, decimals 0)."""
    pool = _pool()
    prices = [(pool.sqrt_price_x96 / Q96) ** 2]
    for t in TICKS:
        _swap_to(pool, t)
        prices.append((pool.sqrt_price_x96 / Q96) ** 2)
    pa = (get_sqrt_ratio_at_tick(LOWER) / Q96) ** 2
    pb = (get_sqrt_ratio_at_tick(UPPER) / Q96) ** 2
    capital = float(value(prices[0], L_OURS, pa, pb))
    engine = RangeEngine([RangeSpec(pa, pb)], fee=FEE / 1e6, capital=capital, path_is="pool")
    m = engine.path_metrics(prices)
    state = position_state(pool, "me", LOWER, UPPER)
    exact = state.fees0 * prices[-1] + state.fees1
    assert m["fees_arb"][0] == pytest.approx(exact, rel=1e-9)
    # the position's value at the end: tokens a burn would credit, valued at the final price
    assert m["final_value"][0] - m["fees"][0] == pytest.approx(
        state.amount0 * prices[-1] + state.amount1, rel=1e-9
    )


def test_noise_trade_fee_is_fee_times_input_times_share() -> None:
    pool = _pool()
    _swap_to(pool, 120)  # inside our range and bg2's; active = bg + bg2 + me
    before = position_state(pool, "me", LOWER, UPPER)
    amount_in = 10**16  # small: stays inside the tick interval
    tick0 = pool.tick
    pool.swap(False, amount_in)
    assert pool.tick // 60 == tick0 // 60
    after = position_state(pool, "me", LOWER, UPPER)
    share = L_OURS / pool.liquidity
    assert after.fees1 - before.fees1 == pytest.approx(FEE / 1e6 * amount_in * share, abs=2)


def test_il_against_mint_swap_burn() -> None:
    pool = _pool()
    p0 = (pool.sqrt_price_x96 / Q96) ** 2
    x0, y0 = 0, 0
    # a second position of ours minted at the start: what we paid is the deposit to HODL
    x0, y0 = pool.mint("il", -1800, 1200, 5 * 10**19)
    for t in (700, -1500, 400):
        _swap_to(pool, t)
    p1 = (pool.sqrt_price_x96 / Q96) ** 2
    pa, pb = (get_sqrt_ratio_at_tick(-1800) / Q96) ** 2, (get_sqrt_ratio_at_tick(1200) / Q96) ** 2
    b0, b1 = pool.burn("il", -1800, 1200, 5 * 10**19)
    fx, fy = amounts(p1, 5 * 10**19, pa, pb)
    assert abs(b0 - fx) <= 1e-12 * fx + 2 and abs(b1 - fy) <= 1e-12 * fy + 2
    il_exact = (b0 * p1 + b1) / (x0 * p1 + y0) - 1
    assert il_exact < 0
    assert il_exact == pytest.approx(float(impermanent_loss(p1, p0, pa, pb)), rel=1e-9)


def test_position_state_equals_burn_and_collect() -> None:
    pool = _pool()
    for t in TICKS:
        _swap_to(pool, t)
    state = position_state(pool, "me", LOWER, UPPER)
    assert state.liquidity == L_OURS
    assert position_amounts(pool.sqrt_price_x96, pool.tick, LOWER, UPPER, L_OURS) == (
        state.amount0,
        state.amount1,
    )
    burned = pool.burn("me", LOWER, UPPER, L_OURS)
    assert burned == (state.amount0, state.amount1)
    collected = pool.collect("me", LOWER, UPPER)
    assert collected == (state.amount0 + state.fees0, state.amount1 + state.fees1)


def test_uncollected_fees_from_raw_chain_state() -> None:
    pool = _pool()
    for t in TICKS[:3]:
        _swap_to(pool, t)
    info = pool.positions[("me", LOWER, UPPER)]
    # as read from chain: positions(key), ticks(lower/upper), slot0.tick, feeGrowthGlobal
    raw = PositionInfo(
        info.liquidity,
        info.fee_growth_inside0_last_x128,
        info.fee_growth_inside1_last_x128,
        info.tokens_owed0,
        info.tokens_owed1,
    )
    fees = uncollected_fees(
        raw,
        LOWER,
        UPPER,
        tick_current=pool.tick,
        fee_growth_global0_x128=pool.fee_growth_global0_x128,
        fee_growth_global1_x128=pool.fee_growth_global1_x128,
        lower=pool.ticks[LOWER],
        upper=pool.ticks[UPPER],
    )
    state = position_state(pool, "me", LOWER, UPPER)
    assert fees == (state.fees0, state.fees1)
    assert raw.tokens_owed0 == info.tokens_owed0  # no mutation of the inputs
    empty = PositionInfo(0, 0, 0, 7, 9)
    assert uncollected_fees(
        empty,
        LOWER,
        UPPER,
        tick_current=0,
        fee_growth_global0_x128=0,
        fee_growth_global1_x128=0,
        lower=None,
        upper=None,
    ) == (7, 9)


def test_position_state_to_range_and_dict() -> None:
    pool = _pool()
    state = position_state(pool, "me", LOWER, UPPER)
    rng = state.to_range(0, 0)
    assert rng.liquidity == pytest.approx(L_OURS) and rng.pa == pytest.approx(1.0001**LOWER)
    d = state.to_dict()
    assert isinstance(d["amount0"], int) and d["liquidity"] == L_OURS
    assert state.value_in_token1(pool.sqrt_price_x96, 0, 0) == pytest.approx(
        float(value(1.0, L_OURS, 1.0001**LOWER, 1.0001**UPPER)), rel=1e-9
    )


def test_liquidity_profile_from_pool_ticks() -> None:
    pool = _pool()
    _swap_to(pool, -1000)
    nets = {t: info.liquidity_net for t, info in pool.ticks.items()}
    profile = LiquidityProfile.from_ticks(nets, 0, 0)
    price = (pool.sqrt_price_x96 / Q96) ** 2
    assert float(profile.active_at(price)) == pytest.approx(pool.liquidity, rel=1e-15)
    assert float(profile.active_at(1.0001**-7000)) == 0.0
    assert math.isclose(float(profile.active_at(1.0001**100)), 10**21 + 3 * 10**20 + L_OURS, rel_tol=1e-15)
