"""constantProduct against our exact UniswapV2 model (`amm.v2`, proven against the pair's bytecode), plus
properties for the fees other forks use."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.v2 import library
from amm.v2.pair import Pair
from solver.intents.cow.liquidity import ConstantProductPool, InfeasibleSwap, parse_liquidity_entry

A, B = "0x" + "aa" * 20, "0x" + "0b" * 20  # B sorts first: token0
MAX112 = (1 << 112) - 1
reserve = st.integers(10**3, 10**33)
amount = st.integers(1, 10**30)


def pool(r_a: int, r_b: int, fee: str = "0.003") -> ConstantProductPool:
    entry = {
        "kind": "constantProduct",
        "tokens": {A: {"balance": str(r_a)}, B: {"balance": str(r_b)}},
        "fee": fee,
        "id": "7",
        "address": "0x" + "11" * 20,
        "router": "0x" + "22" * 20,
        "gasEstimate": "90171",
    }
    parsed = parse_liquidity_entry(entry)
    assert isinstance(parsed, ConstantProductPool)
    return parsed


@settings(max_examples=300, deadline=None)
@given(r_a=reserve, r_b=reserve, x=amount)
def test_matches_uniswap_v2_library(r_a: int, r_b: int, x: int) -> None:
    """Fee 0.003: getAmountOut/getAmountIn of UniswapV2Library to the wei, and infeasible where it reverts."""
    p = pool(r_a, r_b)
    expected_out = library.get_amount_out(x, r_a, r_b)
    if expected_out == 0 or r_a + x > MAX112:
        with pytest.raises(InfeasibleSwap):
            p.quote_exact_in(A, B, x)
    else:
        assert p.quote_exact_in(A, B, x) == expected_out
    if x >= r_b:
        with pytest.raises(InfeasibleSwap):
            p.quote_exact_out(A, B, x)
        return
    expected_in = library.get_amount_in(x, r_a, r_b)
    if r_a + expected_in > MAX112:
        with pytest.raises(InfeasibleSwap):
            p.quote_exact_out(A, B, x)
    else:
        assert p.quote_exact_out(A, B, x) == expected_in


@settings(max_examples=200, deadline=None)
@given(r0=st.integers(10**3, 10**25), r1=st.integers(10**3, 10**25), x=st.integers(1, 10**24))
def test_swap_on_the_pair_model_pays_the_quote(r0: int, r1: int, x: int) -> None:
    """The quoted output is what amm.v2's Pair pays for a swap of that input (token0 -> token1)."""
    p = pool(r1, r0)  # B is token0
    pair = Pair.from_reserves(r0, r1)
    try:
        quoted = p.quote_exact_in(B, A, x)
    except InfeasibleSwap:
        return
    assert pair.swap_exact_in(x, True) == quoted


@settings(max_examples=300, deadline=None)
@given(
    r_a=reserve,
    r_b=reserve,
    x=amount,
    fee=st.sampled_from(["0", "0.0025", "0.003", "0.01", "0.000001", "0.3"]),
)
def test_any_fee_is_the_exact_formula(r_a: int, r_b: int, x: int, fee: str) -> None:
    """out = floor(x(1-f) r_out / (r_in + x(1-f))), in = floor(r_in y / ((r_out - y)(1-f))) + 1, exactly."""
    p = pool(r_a, r_b, fee)
    keep = 1 - Fraction(fee)
    try:
        assert p.quote_exact_in(A, B, x) == int(x * keep * r_b / (r_a + x * keep))
    except InfeasibleSwap:
        assert int(x * keep * r_b / (r_a + x * keep)) == 0 or r_a + x > MAX112
    if x < r_b:
        try:
            assert p.quote_exact_out(A, B, x) == int(Fraction(r_a * x) / ((r_b - x) * keep)) + 1
        except InfeasibleSwap:
            assert r_a + int(Fraction(r_a * x) / ((r_b - x) * keep)) + 1 > MAX112


@settings(max_examples=300, deadline=None)
@given(r_a=reserve, r_b=reserve, y=amount, fee=st.sampled_from(["0.0025", "0.003", "0.01"]))
def test_round_trip_never_pays_back_more(r_a: int, r_b: int, y: int, fee: str) -> None:
    """Buy y exactly, sell y back on the moved reserves: never more input back than was paid (and the
    exact-out input sold exact-in covers y)."""
    p = pool(r_a, r_b, fee)
    try:
        paid = p.quote_exact_out(A, B, y)
    except InfeasibleSwap:
        return
    assert p.quote_exact_in(A, B, paid) >= y
    assert p.input_covering_output(A, B, y) == paid
    moved = pool(r_a + paid, r_b - y, fee)
    try:
        back = moved.quote_exact_in(B, A, y)
    except InfeasibleSwap:
        return
    assert back <= paid


def test_direction_and_tokens() -> None:
    p = pool(10**20, 10**21)
    assert p.tokens == (B, A)
    assert p.quote_exact_in(A.upper().replace("0X", "0x"), B, 10**18) == p.quote_exact_in(A, B, 10**18)
    with pytest.raises(InfeasibleSwap):
        p.quote_exact_in(A, A, 1)
    with pytest.raises(InfeasibleSwap):
        p.quote_exact_in(A, "0x" + "cc" * 20, 1)
    with pytest.raises(InfeasibleSwap):
        p.quote_exact_in(A, B, 0)
    assert p.gas_estimate == 90171 and p.id == "7" and p.router == "0x" + "22" * 20
