"""limitOrder: the reference solver's own unit tests (crates/solvers/src/boundary/liquidity/limit_order.rs)
and 0x's rounding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.intents.cow.liquidity import ForeignLimitOrder, InfeasibleSwap

USDC, WETH = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
ETH = 10**18


def order(maker: int, taker: int, fee: int = 10 * ETH) -> ForeignLimitOrder:
    """Maker sells USDC for WETH, as in the crate's tests."""
    return ForeignLimitOrder("0", "0x" + "de" * 20, 66_358, USDC, WETH, maker, taker, fee)


def test_amount_out_in_round_trip() -> None:
    o = order(300 * ETH, 100 * ETH)
    out = o.quote_exact_in(WETH, USDC, 50 * ETH)
    assert o.quote_exact_out(WETH, USDC, out) == 50 * ETH


def test_amount_in_out_round_trip() -> None:
    o = order(100 * ETH, 300 * ETH)
    amount_in = o.quote_exact_out(WETH, USDC, 50 * ETH)
    assert o.quote_exact_in(WETH, USDC, amount_in) == 50 * ETH


def test_too_high_amounts() -> None:
    with pytest.raises(InfeasibleSwap):
        order(300 * ETH, 100 * ETH).quote_exact_in(WETH, USDC, 200 * ETH)
    with pytest.raises(InfeasibleSwap):
        order(100 * ETH, 300 * ETH).quote_exact_out(WETH, USDC, 200 * ETH)


def test_wrong_direction() -> None:
    o = order(100 * ETH, 100 * ETH)
    with pytest.raises(InfeasibleSwap):
        o.quote_exact_out(USDC, WETH, ETH)
    with pytest.raises(InfeasibleSwap):
        o.quote_exact_in(USDC, WETH, ETH)


def test_taker_fee_is_pro_rata_rounded_down() -> None:
    o = order(300, 7, fee=5)
    assert o.taker_token_fee(3) == 2  # floor(3 * 5 / 7)
    assert o.taker_token_fee(7) == 5


@settings(max_examples=300, deadline=None)
@given(maker=st.integers(1, 10**30), taker=st.integers(1, 10**30), frac=st.integers(1, 10**6))
def test_covering_input_is_the_least_that_covers(maker: int, taker: int, frac: int) -> None:
    """input_covering_output rounds the exact-out input up: it covers, and one wei less does not."""
    o = order(maker, taker)
    want = max(maker * frac // 10**6, 1)
    try:
        x = o.input_covering_output(WETH, USDC, want)
    except InfeasibleSwap:
        assert -(-want * taker // maker) > taker
        return
    assert x >= o.quote_exact_out(WETH, USDC, want)
    assert o.quote_exact_in(WETH, USDC, x) >= want
    assert x == 1 or o.quote_exact_in(WETH, USDC, x - 1) < want
