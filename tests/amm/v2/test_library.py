"""UniswapV2Library math: against the real UniswapV2Router02 on anvil, and against the pair's K invariant.

Router02 exposes the library's quote/getAmountOut/getAmountIn as pure functions and getAmountsOut/In over real
pairs, so the bytecode computes every expectation here (revert reasons included). getAmountOut is also
derived independently: the largest output the pair's own `K` check accepts for that input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.chain.errors import TransactionFailed
from amm.errors import Revert
from amm.v2.library import get_amount_in, get_amount_out, get_amounts_in, get_amounts_out, quote

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.amm.bare_chain import Bare

E18 = 10**18
EDGES = [0, 1, 2, 99, 100, 101, 1000, 10_000, E18, 2**112 - 1, 2**128, 2**255]


def outcome(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Revert as err:
        return err.reason
    except TransactionFailed as err:
        return "" if err.reason is None else err.reason


def router_grid() -> list[tuple[str, int, int, int]]:
    cases = []
    for fn in ("quote", "getAmountOut", "getAmountIn"):
        for amount in EDGES[:10]:
            for reserve_a in (0, 1, 100, 10_000, E18, 2**112 - 1):
                for reserve_b in (0, 100, 10_000, 5 * E18, 2**112 - 1):
                    cases.append((fn, amount, reserve_a, reserve_b))
    cases += [("getAmountOut", 2**255, 100, 100), ("getAmountIn", 2**200, 2**100, 2**201)]
    return cases


def test_library_functions_match_router02_everywhere_on_a_grid(bare: Bare) -> None:
    """~900 (amount, reserves) cases incl. zeros, tiny reserves, amount == reserve and overflows."""
    router = bare.node.contract("UniswapV2Router02", bare.v2_router)
    ours = {"quote": quote, "getAmountOut": get_amount_out, "getAmountIn": get_amount_in}
    calls = [
        (
            "eth_call",
            [{"to": router.address, "data": "0x" + router.interface.encode(fn, *args).hex()}, "latest"],
        )
        for fn, *args in router_grid()
    ]
    answers = bare.node.rpc.batch_results(calls)
    reverted = 0
    for (fn, *args), answer in zip(router_grid(), answers, strict=True):
        if isinstance(answer, Exception):
            chain = getattr(answer, "revert_reason", None)
            chain = "" if chain is None else chain
            reverted += 1
        else:
            chain = router.interface.decode(fn, bytes.fromhex(answer[2:]))
        assert outcome(ours[fn], *args) == chain, (fn, args)
    assert 50 < reverted < len(calls) - 50  # both outcomes are well represented


def max_output_accepted(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """The largest output UniswapV2Pair.swap accepts for this input: its K check, solved by bisection."""

    def accepted(out: int) -> bool:
        balance_in, balance_out = reserve_in + amount_in, reserve_out - out
        return (balance_in * 1000 - amount_in * 3) * (
            balance_out * 1000
        ) >= reserve_in * reserve_out * 1000**2

    lo, hi = 0, reserve_out - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if accepted(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**112 - 1), st.integers(2, 2**112 - 1), st.integers(1, 2**112))
def test_amount_out_is_the_most_the_k_check_accepts(
    reserve_in: int, reserve_out: int, amount_in: int
) -> None:
    assert get_amount_out(amount_in, reserve_in, reserve_out) == max_output_accepted(
        amount_in, reserve_in, reserve_out
    )


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**112 - 1), st.integers(1, 2**112 - 1), st.integers(1, 2**100))
def test_get_amount_in_is_the_least_input(reserve_in: int, reserve_out: int, amount_out: int) -> None:
    if amount_out >= reserve_out:
        return
    needed = get_amount_in(amount_out, reserve_in, reserve_out)
    assert get_amount_out(needed, reserve_in, reserve_out) >= amount_out
    if needed > 1:
        assert get_amount_out(needed - 1, reserve_in, reserve_out) <= amount_out


@pytest.fixture(scope="module")
def two_hops(bare: Bare) -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Three tokens and two pairs A/B and B/C with uneven reserves, created and funded on the bare chain."""
    tokens = [bare.deploy_token(s) for s in ("HA", "HB", "HC")]
    lp = bare.accounts[2]
    for token in tokens:
        bare.mint_tokens(token, [lp], 2**200)
    factory = bare.node.contract("UniswapV2Factory", bare.v2_factory)
    hops = []
    for (a, b), (ra, rb) in zip(
        ((tokens[0], tokens[1]), (tokens[1], tokens[2])),
        ((10**21, 3 * 10**24), (7 * 10**22, 10**20)),
        strict=True,
    ):
        factory.transact("createPair", a, b, sender=lp)
        pair = factory.call("getPair", a, b)
        for token, amount in ((a, ra), (b, rb)):
            bare.node.contract("MintableERC20", token).transact("transfer", pair, amount, sender=lp)
        bare.node.contract("UniswapV2Pair", pair).transact("mint", lp, sender=lp)
        hops.append((a, b, ra, rb))
    return tokens, hops


@pytest.mark.parametrize("amount", [1, 10**6, 10**18, 10**21, 10**24, 2**100])
def test_amounts_over_a_two_hop_path_match_router02(
    bare: Bare, two_hops: tuple[list[str], list[tuple[str, str, int, int]]], amount: int
) -> None:
    tokens, hops = two_hops
    router = bare.node.contract("UniswapV2Router02", bare.v2_router)
    reserves = [(ra, rb) for _, _, ra, rb in hops]
    for ours, fn in ((get_amounts_out, "getAmountsOut"), (get_amounts_in, "getAmountsIn")):
        chain = outcome(router.call, fn, amount, tokens)
        assert outcome(ours, amount, reserves) == (chain if isinstance(chain, str) else list(chain))
    for fn in (get_amounts_out, get_amounts_in):
        with pytest.raises(Revert) as err:
            fn(amount, [])
        assert err.value.reason == "UniswapV2Library: INVALID_PATH"
