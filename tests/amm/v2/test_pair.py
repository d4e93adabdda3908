"""UniswapV2Pair state machine in memory: derived amounts, reverts, atomicity. The same scenarios run against
the real pair bytecode in test_pair_anvil.py and test_pair_differential_anvil.py."""

import copy
from math import isqrt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v2.library import get_amount_out
from amm.v2.pair import MINIMUM_LIQUIDITY, ZERO_ADDRESS, Pair

E18 = 10**18


def funded(amount0: int, amount1: int, fee_to: str | None = None) -> Pair:
    pair = Pair(fee_to=fee_to, token0="T0", token1="T1")
    pair.mint("wallet", amount0, amount1)
    return pair


def test_mint() -> None:
    """The first mint's liquidity is sqrt(amount0 * amount1), of which MINIMUM_LIQUIDITY is locked."""
    pair = Pair()
    liquidity = pair.mint("wallet", E18, 4 * E18, timestamp=7)
    assert liquidity == isqrt(E18 * 4 * E18) - MINIMUM_LIQUIDITY
    assert pair.total_supply == isqrt(E18 * 4 * E18)
    assert pair.balance_of == {ZERO_ADDRESS: MINIMUM_LIQUIDITY, "wallet": liquidity}
    assert pair.get_reserves() == (E18, 4 * E18, 7)
    with pytest.raises(Revert, match="ds-math-sub-underflow"):
        Pair().mint("wallet", 999, 1000)  # sqrt(999000) = 999 < MINIMUM_LIQUIDITY
    with pytest.raises(Revert, match="INSUFFICIENT_LIQUIDITY_MINTED"):
        Pair().mint("wallet", 1000, 1000)  # sqrt(1e6) - 1000 == 0
    assert Pair().mint("wallet", 1001, 1001) == 1
    # later mints: the smaller of the two proportional shares
    supply = pair.total_supply
    assert pair.mint("other", E18, E18) == min(E18 * supply // E18, E18 * supply // (4 * E18))


def test_swap_reverts() -> None:
    pair = funded(5 * E18, 10 * E18)
    before = copy.deepcopy(pair.__dict__)
    cases = [
        ((0, 0, E18, 0), "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"),
        ((5 * E18, 0, E18, 0), "UniswapV2: INSUFFICIENT_LIQUIDITY"),
        ((0, 10, 0, 0), "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"),
    ]
    for args, reason in cases:
        with pytest.raises(Revert) as err:
            pair.swap(*args)
        assert err.value.reason == reason
    with pytest.raises(Revert, match="INVALID_TO"):
        pair.swap(0, 10, E18, 0, to="T0")
    assert pair.__dict__ == before


def test_burn() -> None:
    """Burning pays each token pro rata to the LP burned; the locked MINIMUM_LIQUIDITY keeps its share."""
    pair = funded(3 * E18, 3 * E18)
    burned = 3 * E18 - MINIMUM_LIQUIDITY
    amounts = pair.burn("wallet", burned)
    assert amounts == (burned * 3 * E18 // (3 * E18), burned * 3 * E18 // (3 * E18))
    assert pair.total_supply == MINIMUM_LIQUIDITY
    assert (pair.balance0, pair.balance1) == (3 * E18 - amounts[0], 3 * E18 - amounts[1])
    with pytest.raises(Revert, match="ds-math-sub-underflow"):
        pair.burn("wallet", 1)


@settings(max_examples=100, deadline=None)
@given(st.integers(10**6, 2**100), st.integers(10**6, 2**100), st.integers(1, 2**90), st.booleans())
def test_protocol_fee_is_a_sixth_of_the_growth_of_sqrt_k(r0: int, r1: int, amount_in: int, zfo: bool) -> None:
    """With feeTo set, the next mint/burn mints supply * (sqrt(k) - sqrt(kLast)) / (5 sqrt(k) + sqrt(kLast))
    to feeTo: one sixth of the fees' growth of sqrt(k), as LP tokens."""
    pair = funded(r0, r1, fee_to="fees")
    k_last = pair.k_last
    assert k_last == r0 * r1
    try:
        pair.swap_exact_in(amount_in, zfo)
    except Revert:
        return
    supply, root_k, root_k_last = pair.total_supply, isqrt(pair.reserve0 * pair.reserve1), isqrt(k_last)
    expected = supply * (root_k - root_k_last) // (5 * root_k + root_k_last) if root_k > root_k_last else 0
    try:
        pair.burn("wallet", pair.balance_of["wallet"] // 2)
    except Revert:  # nothing to pay out for so little LP: no fee is minted either
        return
    assert pair.balance_of.get("fees", 0) == expected
    assert pair.k_last == pair.reserve0 * pair.reserve1


def test_from_reserves_quotes_like_the_library() -> None:
    pair = Pair.from_reserves(10**21, 3 * 10**24)
    assert pair.get_amount_out(10**18, True) == get_amount_out(10**18, 10**21, 3 * 10**24)
    out = pair.swap_exact_in(10**18, True)
    assert pair.get_reserves()[:2] == (10**21 + 10**18, 3 * 10**24 - out)
    with pytest.raises(Revert, match="UniswapV2: OVERFLOW"):
        Pair.from_reserves(2**112 - 1, 2**112 - 1).swap(0, 1, 10, 0)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(10**4, 2**100),
    st.integers(10**4, 2**100),
    st.integers(1, 2**100),
    st.booleans(),
)
def test_library_amount_out_is_the_most_the_pair_accepts(r0: int, r1: int, amount_in: int, zfo: bool) -> None:
    pair = funded(r0, r1)
    try:
        out = pair.get_amount_out(amount_in, zfo)
    except Revert:
        return
    if out == 0 or out >= (r1 if zfo else r0):
        return
    trial = copy.deepcopy(pair)
    args = (0, out + 1, amount_in, 0) if zfo else (out + 1, 0, 0, amount_in)
    with pytest.raises(Revert):
        trial.swap(*args)
    pair.swap(*((0, out, amount_in, 0) if zfo else (out, 0, 0, amount_in)))
    assert pair.reserve0 * pair.reserve1 >= r0 * r1
