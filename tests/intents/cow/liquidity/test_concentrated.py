"""concentratedLiquidity against our exact `amm.v3.Pool` (proven against the v3-core bytecode).

A pool is built the ordinary way (initialize, mint positions, swap the price around), its state is written
out the way the driver sends it (sqrtPrice, tick, liquidity, liquidityNet of the initialised ticks) and parsed
back: every quote of the parsed liquidity must equal the original pool's own quote, or be refused where the
original pool could not fill the whole amount.
"""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick
from solver.intents.cow.liquidity import (
    ConcentratedLiquidityPool,
    InfeasibleSwap,
    MalformedLiquidity,
    parse_liquidity_entry,
)

T0, T1 = "0x" + "01" * 20, "0x" + "f1" * 20
SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}


def random_pool(seed: int, fee: int) -> Pool:
    """A pool with 1-12 positions around the price (some sharing ticks, some one-sided) and a few swaps."""
    rng = random.Random(seed)
    spacing = SPACING[fee]
    pool = Pool(fee, spacing, token0=T0, token1=T1)
    tick0 = rng.randrange(-50_000, 50_000)
    pool.initialize(get_sqrt_ratio_at_tick(tick0))
    ticks: list[int] = []
    for k in range(rng.randrange(1, 13)):
        if ticks and rng.random() < 0.3:
            lower = rng.choice(ticks)  # shared tick: its net can cancel to zero while it stays initialised
        else:
            lower = (tick0 + rng.randrange(-3000, 2000)) // spacing * spacing
        upper = lower + spacing * rng.randrange(1, 400)
        if lower < MIN_TICK or upper > MAX_TICK:
            continue
        pool.mint(f"lp{k}", lower, upper, rng.randrange(10**12, 10**22))
        ticks += [lower, upper]
    for _ in range(rng.randrange(0, 4)):
        with contextlib.suppress(Revert):
            pool.swap(rng.random() < 0.5, rng.randrange(1, 10**18))
    return pool


def as_auction_entry(pool: Pool, fee: int) -> dict:
    """The pool as the driver serialises a `concentratedLiquidity` entry."""
    return {
        "kind": "concentratedLiquidity",
        "tokens": [T1, T0],  # order as sent is irrelevant: the pair is sorted
        "sqrtPrice": str(pool.sqrt_price_x96),
        "liquidity": str(pool.liquidity),
        "tick": pool.tick,
        "liquidityNet": {str(t): str(pool.ticks[t].liquidity_net) for t in pool.initialized_ticks},
        "fee": str(fee / 1_000_000),
        "id": "3",
        "address": "0x" + "33" * 20,
        "router": "0xE592427A0AEce92De3Edee56e1E5A7C4C8f2a49b",
        "gasEstimate": "106000",
    }


def expect(pool: Pool, zero_for_one: bool, amount: int) -> tuple[int, int] | None:
    """(paid in, paid out) of the original pool, or None where it reverts or fills only part."""
    try:
        q = pool.quote(zero_for_one, amount)
    except Revert:
        return None
    paid_in, paid_out = (q.amount0, -q.amount1) if zero_for_one else (q.amount1, -q.amount0)
    wanted = paid_in if amount > 0 else paid_out
    return (paid_in, paid_out) if wanted == abs(amount) else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**9),
    fee=st.sampled_from(sorted(SPACING)),
    amounts=st.lists(st.integers(1, 10**24), min_size=1, max_size=6),
)
def test_quotes_equal_the_original_pool(seed: int, fee: int, amounts: list[int]) -> None:
    original = random_pool(seed, fee)
    parsed = parse_liquidity_entry(as_auction_entry(original, fee))
    assert isinstance(parsed, ConcentratedLiquidityPool)
    assert parsed.tick_spacing == SPACING[fee] and parsed.fee_pips == fee
    for amount in amounts:
        for zero_for_one, (tin, tout) in ((True, (T0, T1)), (False, (T1, T0))):
            exact_in = expect(original, zero_for_one, amount)
            if exact_in is None:
                with pytest.raises(InfeasibleSwap):
                    parsed.quote_exact_in(tin, tout, amount)
            else:
                assert parsed.quote_exact_in(tin, tout, amount) == exact_in[1]
            exact_out = expect(original, zero_for_one, -amount)
            if exact_out is None:
                with pytest.raises(InfeasibleSwap):
                    parsed.quote_exact_out(tin, tout, amount)
            else:
                assert parsed.quote_exact_out(tin, tout, amount) == exact_out[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), fee=st.sampled_from(sorted(SPACING)), y=st.integers(1, 10**22))
def test_round_trip_never_gives_back_more(seed: int, fee: int, y: int) -> None:
    """Buy y exactly for x, then on the moved pool sell the y back: at most x returns. And x, sold exact-in on
    the unmoved pool, buys at least y (so the exact-out input also covers the output)."""
    original = random_pool(seed, fee)
    parsed = parse_liquidity_entry(as_auction_entry(original, fee))
    try:
        x = parsed.quote_exact_out(T0, T1, y)
    except InfeasibleSwap:
        return
    assert parsed.quote_exact_in(T0, T1, x) >= y
    assert parsed.input_covering_output(T0, T1, y) == x
    original.swap(True, -y)
    moved = parse_liquidity_entry(as_auction_entry(original, fee))
    try:
        back = moved.quote_exact_in(T1, T0, y)
    except InfeasibleSwap:
        return
    assert back <= x


def test_exhausted_liquidity_is_infeasible() -> None:
    pool = Pool(3000, 60, token0=T0, token1=T1)
    pool.initialize(get_sqrt_ratio_at_tick(0))
    pool.mint("lp", -600, 600, 10**18)
    parsed = parse_liquidity_entry(as_auction_entry(pool, 3000))
    assert parsed.quote_exact_in(T0, T1, 10**15) == pool.quote(True, 10**15).amount1 * -1
    with pytest.raises(InfeasibleSwap, match="liquidity runs out"):
        parsed.quote_exact_in(T0, T1, 10**20)
    with pytest.raises(InfeasibleSwap, match="liquidity runs out"):
        parsed.quote_exact_out(T1, T0, 10**20)


def test_unknown_fee_tier_infers_spacing_from_ticks() -> None:
    pool = Pool(2000, 40, token0=T0, token1=T1)
    pool.initialize(get_sqrt_ratio_at_tick(5))
    pool.mint("lp", -800, 1200, 10**18)
    parsed = parse_liquidity_entry(as_auction_entry(pool, 2000))
    assert parsed.tick_spacing == 400  # the gcd of -800 and 1200: a multiple of the true 40
    assert parsed.quote_exact_in(T0, T1, 10**16) == -pool.quote(True, 10**16).amount1
    explicit = ConcentratedLiquidityPool.from_json(as_auction_entry(pool, 2000), tick_spacing=40)
    assert explicit.tick_spacing == 40


def test_inconsistent_state_is_malformed() -> None:
    pool = Pool(500, 10, token0=T0, token1=T1)
    pool.initialize(get_sqrt_ratio_at_tick(100))
    entry = as_auction_entry(pool, 500)
    with pytest.raises(MalformedLiquidity, match="tick"):
        parse_liquidity_entry({**entry, "tick": 5000})
    with pytest.raises(MalformedLiquidity, match=r"tick_spacing|multiple"):
        parse_liquidity_entry({**entry, "liquidityNet": {"15": "10", "-15": "-10"}})
