"""Pools loaded from the built-in chain quote exactly what the chain's own quoters return there.

Every v3 pool of the built-in chain is read at its mainnet address (`load_v3_pool`) and asked, for both
directions, exact input and exact output, amounts from 1 wei to three times what the pool holds, without a
price limit and with limits 1, 10 and 100 tick spacings away and on an initialised tick: the same questions
go to QuoterV2 at its mainnet address in JSON-RPC batches. Amount and price after must be equal to the wei;
reverts must match (QuoterV2 answers 'Unexpected error' for an exact output the pool cannot fill without a
limit, and for a swap that moves no token). The v2 pairs are checked against UniswapV2Router02.

Ticks crossed: the model counts Tick.cross calls, i.e. the initialised ticks t with min(before, after) < t <=
max(before, after) (checked here by brute force). QuoterV2's initializedTicksCrossed comes from
PoolTicksCounter: it counts the bitmap bits between the compressed ticks before and after *inclusive* (with
Solidity's truncating division, so negative ticks off the spacing round towards zero) and drops an end only
when that end tick is itself on the spacing. So it also counts the initialised tick at (or, for negative
ticks, just above) either end when the price did not cross it: it is 0, 1 or 2 more than the real count,
never less. Gas estimates built on it (31k per tick in the routing docs) over-count by the same.
"""

from __future__ import annotations

from collections import Counter

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import POOLS, PoolSpec
from amm.chain.models import load_v2_pair, load_v3_pool
from amm.chain.quoter import UNEXPECTED, QuoteRequest, QuoterResult, expected_answer, quote_many
from amm.chain.session import ChainSession
from amm.errors import Revert
from amm.v2.library import get_amount_in, get_amount_out
from amm.v3.pool import Pool, SwapQuote
from amm.v3.tick_math import get_sqrt_ratio_at_tick

V3_POOLS = [p for p in POOLS if p.kind == "v3"]
V2_PAIRS = [p for p in POOLS if p.kind == "v2"]


def requests_for(pool: Pool) -> list[QuoteRequest]:
    """Every direction, kind (exact input/output), amount and limit of the test."""
    out = []
    for zero_for_one in (True, False):
        token_in, token_out = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
        assert token_in is not None and token_out is not None
        held_in, held_out = (pool.balance0, pool.balance1) if zero_for_one else (pool.balance1, pool.balance0)
        for exact_input, held in ((True, held_in), (False, held_out)):
            amounts = [1, 10, 1000, *(max(1, held >> k) for k in (30, 20, 14, 10, 7, 4, 2, 1, 0)), 3 * held]
            out += [
                QuoteRequest(token_in, token_out, pool.fee, amount, exact_input, limit)
                for limit in limits(pool, zero_for_one)
                for amount in amounts
            ]
    return out


def limits(pool: Pool, zero_for_one: bool) -> list[int]:
    """No limit (0), limits 1, 10 and 100 spacings away, the nearest initialised tick ahead, and the current
    price (invalid: 'SPL')."""
    side = -1 if zero_for_one else 1
    base = (pool.tick // pool.tick_spacing) * pool.tick_spacing
    found = [get_sqrt_ratio_at_tick(base + side * k * pool.tick_spacing) for k in (1, 10, 100)]
    ahead = [t for t in pool.initialized_ticks if (t < pool.tick if zero_for_one else t > pool.tick)]
    if ahead:
        found.append(get_sqrt_ratio_at_tick(ahead[-1] if zero_for_one else ahead[0]))
    return [0, *found, pool.sqrt_price_x96]


def model_quote(pool: Pool, request: QuoteRequest) -> SwapQuote | str:
    amount = request.amount if request.exact_input else -request.amount
    try:
        return pool.quote(request.zero_for_one, amount, request.sqrt_price_limit_x96 or None)
    except Revert as err:
        return err.reason


def crossed_by_definition(pool: Pool, before: int, after: int) -> int:
    lo, hi = min(before, after), max(before, after)
    return sum(1 for t in pool.initialized_ticks if lo < t <= hi)


@pytest.mark.parametrize("spec", V3_POOLS, ids=lambda p: p.name)
def test_v3_pool_quotes_equal_quoter_v2(devnet: ChainSession, spec: PoolSpec) -> None:
    pool = load_v3_pool(devnet.node, spec.address)
    asked = requests_for(pool)
    answers = quote_many(devnet.node, asked, quoter=mainnet.QUOTER_V2)
    outcomes: Counter[str] = Counter()
    for request, answer in zip(asked, answers, strict=True):
        quote = model_quote(pool, request)
        want = expected_answer(request, quote)
        if isinstance(want, str):
            assert answer == want, (request, quote, answer)
            outcomes["revert " + want] += 1
            continue
        assert isinstance(answer, QuoterResult) and isinstance(quote, SwapQuote), (request, quote, answer)
        assert (answer.amount, answer.sqrt_price_x96_after) == want, (request, quote, answer)
        assert quote.ticks_crossed == crossed_by_definition(pool, pool.tick, quote.tick)
        extra = answer.initialized_ticks_crossed - quote.ticks_crossed
        assert 0 <= extra <= 2, (request, quote, answer)
        outcomes[f"equal, quoter counts {extra} more ticks"] += 1
        outcomes["most ticks crossed"] = max(outcomes["most ticks crossed"], quote.ticks_crossed)
    assert sum(v for k, v in outcomes.items() if k.startswith("equal")) > len(asked) // 2, outcomes
    assert outcomes["most ticks crossed"] >= 10, outcomes  # deep quotes were asked too
    assert outcomes["revert SPL"] and outcomes["revert " + UNEXPECTED], outcomes


@pytest.mark.parametrize("spec", V2_PAIRS, ids=lambda p: p.name)
def test_v2_pair_quotes_equal_router02(devnet: ChainSession, spec: PoolSpec) -> None:
    pair = load_v2_pair(devnet.node, spec.address)
    router = devnet.node.contract("UniswapV2Router02", mainnet.V2_ROUTER_02)
    for zero_for_one in (True, False):
        path = [pair.token0, pair.token1] if zero_for_one else [pair.token1, pair.token0]
        reserve_in, reserve_out = (
            (pair.reserve0, pair.reserve1) if zero_for_one else (pair.reserve1, pair.reserve0)
        )
        for amount in [
            1,
            10,
            1000,
            *(max(1, reserve_in >> k) for k in (30, 20, 10, 4, 1, 0)),
            3 * reserve_in,
        ]:
            assert router.call("getAmountsOut", amount, path) == (
                amount,
                pair.get_amount_out(amount, zero_for_one),
            )
            assert get_amount_out(amount, reserve_in, reserve_out) == pair.get_amount_out(
                amount, zero_for_one
            )
        for amount in [1, 10, *(max(1, reserve_out >> k) for k in (30, 20, 10, 4, 1)), reserve_out - 1]:
            assert router.call("getAmountsIn", amount, path) == (
                pair.get_amount_in(amount, zero_for_one),
                amount,
            )
            assert get_amount_in(amount, reserve_in, reserve_out) == pair.get_amount_in(amount, zero_for_one)
