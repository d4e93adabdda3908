"""LiquidityAmounts (v3-periphery) against exact rationals, and against the pool's own mint arithmetic."""

from fractions import Fraction
from math import floor

from hypothesis import given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.liquidity_amounts import (
    get_amount0_for_liquidity,
    get_amount1_for_liquidity,
    get_amounts_for_liquidity,
    get_liquidity_for_amount0,
    get_liquidity_for_amount1,
    get_liquidity_for_amounts,
)
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

Q96 = 1 << 96
MAX_UINT128 = (1 << 128) - 1
prices = st.one_of(st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1), st.integers(Q96 // 4, 4 * Q96))
token_amounts = st.one_of(st.integers(0, 2**96), st.integers(0, 10**6))


@settings(max_examples=400, deadline=None)
@given(prices, prices, token_amounts, token_amounts, st.integers(0, MAX_UINT128), st.data())
def test_liquidity_and_amounts_against_exact_rationals(
    a: int, b: int, amount0: int, amount1: int, liquidity: int, data: st.DataObject
) -> None:
    """Liquidity for amounts is at most the exact value (the nested rounding loses < amount0/(sb-sa) + 1);
    amounts for liquidity are the exact values rounded down."""
    if a == b:
        return
    sa, sb = min(a, b), max(a, b)
    exact0 = Fraction(amount0 * sa * sb, Q96 * (sb - sa))
    exact1 = Fraction(amount1 * Q96, sb - sa)
    for fn, exact, slack in (
        (get_liquidity_for_amount0, exact0, Fraction(amount0, sb - sa) + 1),
        (get_liquidity_for_amount1, exact1, Fraction(1)),
    ):
        try:
            got = fn(a, b, amount0 if fn is get_liquidity_for_amount0 else amount1)
        except Revert as err:  # toUint128
            assert err.reason == "" and floor(exact) > MAX_UINT128 - slack
            continue
        assert exact - slack < got <= exact
    assert get_amount0_for_liquidity(a, b, liquidity) == floor(Fraction(liquidity * Q96 * (sb - sa), sa * sb))
    assert get_amount1_for_liquidity(a, b, liquidity) == floor(Fraction(liquidity * (sb - sa), Q96))
    # at the current price: token0 for the part above it, token1 for the part below
    price = data.draw(prices)
    p = min(max(price, sa), sb)
    assert get_amounts_for_liquidity(price, a, b, liquidity) == (
        floor(Fraction(liquidity * Q96 * (sb - p), p * sb)),
        floor(Fraction(liquidity * (p - sa), Q96)),
    )
    try:
        both = get_liquidity_for_amounts(price, a, b, amount0, amount1)
    except Revert:
        return
    if price <= sa:
        assert both == get_liquidity_for_amount0(sa, sb, amount0)
    elif price >= sb:
        assert both == get_liquidity_for_amount1(sa, sb, amount1)
    else:
        assert both == min(
            get_liquidity_for_amount0(price, sb, amount0), get_liquidity_for_amount1(sa, price, amount1)
        )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-5000, 5000),
    st.integers(-100, 99),
    st.integers(1, 100),
    st.integers(0, 10**24),
    st.integers(0, 10**24),
)
def test_minting_the_computed_liquidity_costs_at_most_the_amounts(
    tick: int, lower_k: int, width: int, amount0: int, amount1: int
) -> None:
    spacing = 60
    lower, upper = lower_k * spacing, (lower_k + width) * spacing
    price = get_sqrt_ratio_at_tick(tick) + 1
    ratio_a, ratio_b = get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper)
    try:  # the periphery reverts too when the liquidity does not fit uint128 (price right at a range edge)
        liquidity = get_liquidity_for_amounts(price, ratio_a, ratio_b, amount0, amount1)
    except Revert:
        return
    if liquidity == 0:
        return
    pool = Pool(3000, spacing)
    pool.initialize(price)
    try:
        paid0, paid1 = pool.mint("lp", lower, upper, liquidity)
    except Revert as err:
        assert err.reason == "LO"  # more than maxLiquidityPerTick
        return
    assert paid0 <= amount0 and paid1 <= amount1
    down0, down1 = get_amounts_for_liquidity(price, ratio_a, ratio_b, liquidity)
    assert 0 <= paid0 - down0 <= 1 and 0 <= paid1 - down1 <= 1
