"""FullMath, BitMath, LiquidityMath, SqrtPriceMath and SwapMath against exact rational arithmetic.

Every expectation is derived here, independently of the implementation: floor/ceil of the exact rational
formula (Fraction), the bounds the contract promises (no result past 256/160/128 bits), and the rounding
directions that keep the pool solvent. The same libraries run inside the real pool bytecode in the
differential tests (test_differential_anvil.py, test_swap_scenarios_anvil.py).
"""

from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.bit_math import least_significant_bit, most_significant_bit
from amm.v3.full_math import mul_div, mul_div_rounding_up
from amm.v3.liquidity_math import add_delta
from amm.v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from amm.v3.swap_math import compute_swap_step
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

Q96 = 1 << 96
U256 = 1 << 256
MAX_UINT256 = U256 - 1
MAX_UINT160 = (1 << 160) - 1
MAX_UINT128 = (1 << 128) - 1
EDGES_256 = [0, 1, 2, 3, Q96, 1 << 128, 1 << 255, MAX_UINT256 - 1, MAX_UINT256]

uint256 = st.one_of(st.integers(0, MAX_UINT256), st.sampled_from(EDGES_256), st.integers(0, 2**130))
prices = st.one_of(
    st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1),
    st.integers(Q96 // 2, 2 * Q96),
    st.sampled_from([MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1, Q96]),
)
liquidities = st.one_of(
    st.integers(1, MAX_UINT128), st.integers(1, 10**24), st.sampled_from([1, MAX_UINT128])
)
amounts = st.one_of(st.integers(0, 2**128), st.integers(0, MAX_UINT256), st.integers(0, 10**6))
fees = st.one_of(st.sampled_from([100, 500, 3000, 10000]), st.integers(0, 999_999))


def reason(fn, *args):  # type: ignore[no-untyped-def]
    """The Revert reason fn raises, or None."""
    try:
        fn(*args)
    except Revert as err:
        return err.reason
    return None


# ------------------------------------------------------------------------------------------------ FullMath
@settings(max_examples=400, deadline=None)
@given(uint256, uint256, uint256)
def test_mul_div_is_the_exact_floor_or_reverts(a: int, b: int, d: int) -> None:
    if d == 0 or a * b // d > MAX_UINT256:
        assert reason(mul_div, a, b, d) == ""
    else:
        assert mul_div(a, b, d) == a * b // d


@settings(max_examples=400, deadline=None)
@given(uint256, uint256, uint256)
def test_mul_div_rounding_up_is_the_exact_ceiling_or_reverts(a: int, b: int, d: int) -> None:
    if d == 0 or ceil(Fraction(a * b, d)) > MAX_UINT256:
        assert reason(mul_div_rounding_up, a, b, d) == ""
    else:
        assert mul_div_rounding_up(a, b, d) == ceil(Fraction(a * b, d))


def test_full_math_at_the_256_bit_boundary() -> None:
    # (2**256 - 2)**2 == (2**256 - 1) * (2**256 - 3) + 1: the floor just fits, the ceiling does not
    a = d_plus_one = MAX_UINT256 - 1
    d = d_plus_one - 1
    assert a * a == MAX_UINT256 * d + 1
    assert mul_div(a, a, d) == MAX_UINT256
    assert reason(mul_div_rounding_up, a, a, d) == ""
    assert mul_div(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div_rounding_up(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert reason(mul_div, MAX_UINT256, 2, 1) == ""
    assert reason(mul_div, 1, 1, 0) == ""


# ---------------------------------------------------------------------------------- BitMath, LiquidityMath
@given(st.one_of(st.integers(1, MAX_UINT256), st.sampled_from([1 << i for i in range(256)])))
def test_bit_math_matches_bit_positions(x: int) -> None:
    assert most_significant_bit(x) == x.bit_length() - 1
    assert least_significant_bit(x) == (x & -x).bit_length() - 1
    assert x >> most_significant_bit(x) == 1
    assert (x >> least_significant_bit(x)) & 1 == 1


def test_bit_math_rejects_zero() -> None:
    assert reason(most_significant_bit, 0) == reason(least_significant_bit, 0) == ""


@given(
    st.one_of(st.integers(0, MAX_UINT128), st.sampled_from([0, 1, MAX_UINT128])),
    st.one_of(st.integers(-(2**127), 2**127 - 1), st.sampled_from([-(2**127), -1, 0, 1, 2**127 - 1])),
)
def test_add_delta_is_checked_uint128_addition(x: int, y: int) -> None:
    total = x + y
    if total < 0:
        assert reason(add_delta, x, y) == "LS"
    elif total > MAX_UINT128:
        assert reason(add_delta, x, y) == "LA"
    else:
        assert add_delta(x, y) == total


# ------------------------------------------------------------------------------------------- SqrtPriceMath
def exact_amount0(a: int, b: int, liquidity: int) -> Fraction:
    """Token0 between two sqrt prices: L * (1/sqrt(a) - 1/sqrt(b)), in X96 units."""
    lo, hi = min(a, b), max(a, b)
    return Fraction(liquidity * Q96 * (hi - lo), lo * hi)


def exact_amount1(a: int, b: int, liquidity: int) -> Fraction:
    """Token1 between two sqrt prices: L * (sqrt(b) - sqrt(a))."""
    return Fraction(liquidity * abs(b - a), Q96)


@settings(max_examples=400, deadline=None)
@given(prices, prices, st.integers(0, MAX_UINT128))
def test_amount_deltas_are_the_exact_amounts_rounded(a: int, b: int, liquidity: int) -> None:
    for fn, exact in ((get_amount0_delta, exact_amount0), (get_amount1_delta, exact_amount1)):
        value = exact(a, b, liquidity)
        assert fn(a, b, liquidity, True) == ceil(value)
        assert fn(a, b, liquidity, False) == floor(value)
        assert fn(b, a, liquidity, True) == ceil(value)  # argument order does not matter


@settings(max_examples=400, deadline=None)
@given(prices, liquidities, amounts)
def test_next_price_from_input_never_moves_past_what_the_input_pays(
    price: int, liquidity: int, amount: int
) -> None:
    # token0 in: sqrt(P') = L sqrt(P) / (L + amount sqrt(P)), rounded up (the price falls no further)
    exact = Fraction(liquidity * Q96 * price, liquidity * Q96 + amount * price)
    got = reason(get_next_sqrt_price_from_input, price, liquidity, amount, True)
    if got is None:
        nxt = get_next_sqrt_price_from_input(price, liquidity, amount, True)
        assert ceil(exact) <= nxt <= price
        if amount * price < U256 and liquidity * Q96 + amount * price < U256:  # no overflow shortcut taken
            assert nxt == ceil(exact)
        if nxt < price:
            assert get_amount0_delta(nxt, price, liquidity, True) <= amount
    else:  # only when floor(L * 2**96 / P) + amount overflows uint256
        assert got == "" and liquidity * Q96 // price + amount > MAX_UINT256
    # token1 in: sqrt(P') = sqrt(P) + amount / L, rounded down
    exact1 = price + Fraction(amount * Q96, liquidity)
    if floor(exact1) <= MAX_UINT160:
        assert get_next_sqrt_price_from_input(price, liquidity, amount, False) == floor(exact1)
    else:
        assert reason(get_next_sqrt_price_from_input, price, liquidity, amount, False) == ""


@settings(max_examples=400, deadline=None)
@given(prices, liquidities, amounts)
def test_next_price_from_output_always_pays_the_output(price: int, liquidity: int, amount: int) -> None:
    # token1 out: sqrt(P') = sqrt(P) - amount / L, rounded down (the price falls at least that far)
    target = price - Fraction(amount * Q96, liquidity)
    if floor(target) > 0:
        nxt = get_next_sqrt_price_from_output(price, liquidity, amount, True)
        assert nxt == floor(target)
        assert get_amount1_delta(nxt, price, liquidity, False) >= amount
    else:
        assert reason(get_next_sqrt_price_from_output, price, liquidity, amount, True) == ""
    # token0 out: sqrt(P') = L sqrt(P) / (L - amount sqrt(P)), rounded up; impossible once amount*sqrt(P) >= L
    room = liquidity * Q96 - amount * price
    if amount * price < U256 and room > 0 and ceil(Fraction(liquidity * Q96 * price, room)) <= MAX_UINT160:
        nxt = get_next_sqrt_price_from_output(price, liquidity, amount, False)
        assert nxt == ceil(Fraction(liquidity * Q96 * price, room))
        assert get_amount0_delta(price, nxt, liquidity, False) >= amount
    else:
        assert reason(get_next_sqrt_price_from_output, price, liquidity, amount, False) == ""


def test_next_price_needs_a_price_and_liquidity() -> None:
    for fn in (get_next_sqrt_price_from_input, get_next_sqrt_price_from_output):
        assert reason(fn, 0, 1, 1, True) == reason(fn, Q96, 0, 1, False) == ""
        assert fn(Q96, 10**18, 0, True) == fn(Q96, 10**18, 0, False) == Q96  # nothing in or out


# ------------------------------------------------------------------------------------------------ SwapMath
@settings(max_examples=600, deadline=None)
@given(
    prices, prices, st.one_of(st.integers(0, MAX_UINT128), st.just(0)), st.integers(-(2**200), 2**200), fees
)
@example(Q96, Q96 * 101 // 100, 0, 10**18, 3000)  # no liquidity: straight to the target, nothing traded
def test_compute_swap_step_against_exact_amounts(
    current: int, target: int, liquidity: int, remaining: int, fee: int
) -> None:
    zero_for_one = current >= target
    nxt, amount_in, amount_out, fee_amount = compute_swap_step(current, target, liquidity, remaining, fee)
    lo, hi = sorted((current, target))
    assert lo <= nxt <= hi  # towards the target, never past it
    amount_in_exact = exact_amount0 if zero_for_one else exact_amount1
    amount_out_exact = exact_amount1 if zero_for_one else exact_amount0
    if remaining >= 0:  # exact input: input + fee never exceeds what is offered
        assert amount_in + fee_amount <= remaining
        assert amount_in == ceil(amount_in_exact(current, nxt, liquidity))
        assert amount_out == floor(amount_out_exact(current, nxt, liquidity))
        budget = remaining * (10**6 - fee) // 10**6
        if budget >= ceil(amount_in_exact(current, target, liquidity)):
            assert nxt == target
            assert fee_amount == ceil(Fraction(amount_in * fee, 10**6 - fee))
        else:  # stopped short: everything offered is spent, the rest of it as fee
            assert nxt != target
            assert amount_in + fee_amount == remaining
    else:  # exact output: never more out than asked, and the input covers it
        assert amount_out <= -remaining
        assert amount_in == ceil(amount_in_exact(current, nxt, liquidity))
        assert amount_out == min(floor(amount_out_exact(current, nxt, liquidity)), -remaining)
        assert fee_amount == ceil(Fraction(amount_in * fee, 10**6 - fee))
        if -remaining >= floor(amount_out_exact(current, target, liquidity)):
            assert nxt == target


@pytest.mark.parametrize("fee", [0, 3000])
def test_tiny_exact_input_is_all_fee(fee: int) -> None:
    """1 wei in with a fee: the budget after fee is 0, the price stays, and the wei is kept as fee."""
    nxt, amount_in, amount_out, fee_amount = compute_swap_step(Q96, Q96 // 2, 10**18, 1, fee)
    if fee:
        assert (nxt, amount_in, amount_out, fee_amount) == (Q96, 0, 0, 1)
    else:  # no fee: the wei moves the price a hair and buys nothing (rounded down)
        assert nxt < Q96 and (amount_in, amount_out, fee_amount) == (1, 0, 0)


def test_tick_math_bounds_are_the_extreme_tick_prices() -> None:
    """MIN/MAX_SQRT_RATIO are sqrt(1.0001**-887272) and sqrt(1.0001**887272) in Q64.96, to 1e-12."""
    from decimal import Decimal, getcontext  # noqa: PLC0415

    getcontext().prec = 60
    for ratio, tick in ((MIN_SQRT_RATIO, -887272), (MAX_SQRT_RATIO, 887272)):
        exact = Decimal("1.0001") ** (Decimal(tick) / 2) * Decimal(Q96)
        assert abs(Decimal(ratio) - exact) / exact < Decimal("1e-9")
