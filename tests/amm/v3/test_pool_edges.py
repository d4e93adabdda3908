"""Edge cases of the pool's swap path, each checked against the literal contract port (reference.py)."""

from fractions import Fraction
from itertools import pairwise

import pytest

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick import TickInfo
from amm.v3.tick_bitmap import flip_tick
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

from ._helpers import E18, FEE_TIERS, max_usable_tick, min_usable_tick, new_pool, sqrt_price
from .reference import reference_swap, state_of

MIN_LIMIT = MIN_SQRT_RATIO + 1
MAX_LIMIT = MAX_SQRT_RATIO - 1


def checked_swap(pool: Pool, zero_for_one: bool, amount: int, limit: int | None = None) -> tuple[int, int]:
    """Swap on the pool, asserting that quote, swap and the literal contract port agree on everything."""
    if limit is None:
        limit = MIN_LIMIT if zero_for_one else MAX_LIMIT
    quote = pool.quote(zero_for_one, amount, limit)
    ref_pool, ref0, ref1, crossed = reference_swap(pool, zero_for_one, amount, limit, pool.timestamp)
    got = pool.swap(zero_for_one, amount, limit)
    assert got == (ref0, ref1)
    assert state_of(pool) == state_of(ref_pool)
    assert quote == (ref0, ref1, pool.sqrt_price_x96, pool.tick, pool.liquidity, crossed)
    return got


def full_range(spacing: int) -> tuple[int, int]:
    return min_usable_tick(spacing), max_usable_tick(spacing)


@pytest.mark.parametrize("fee", sorted(FEE_TIERS))
@pytest.mark.parametrize("zero_for_one", [True, False])
def test_every_fee_tier_round_trip(fee: int, zero_for_one: bool) -> None:
    spacing = FEE_TIERS[fee]
    pool = new_pool(fee, sqrt_price(1, 1), [(*full_range(spacing), 10 * E18), (-spacing, spacing, 50 * E18)])
    a0, a1 = checked_swap(pool, zero_for_one, E18)
    paid_in, received = (a0, -a1) if zero_for_one else (a1, -a0)
    assert paid_in == E18 and received > 0
    # exact output back: never get more out than was put in (fees and rounding favour the pool)
    b0, b1 = checked_swap(pool, not zero_for_one, -paid_in + paid_in * fee // 500_000)
    assert (b1 if zero_for_one else b0) <= received


def test_search_across_word_boundaries_and_negative_ticks() -> None:
    """Initialised ticks straddling word edges (compressed multiples of 256) on both sides of 0."""
    spacing = 10
    word = 256 * spacing
    ticks = [-2 * word - spacing, -2 * word, -word, -spacing, 0, word - spacing, word, 2 * word + spacing]
    positions = [(lo, hi, 10**18 + i) for i, (lo, hi) in enumerate(pairwise(ticks))]
    pool = new_pool(500, get_sqrt_ratio_at_tick(5), positions)
    checked_swap(pool, True, 10**25)  # down through every edge into the empty space below
    assert pool.tick < -2 * word - spacing
    checked_swap(pool, False, 10**25)  # and back up through all of them
    assert pool.tick > 2 * word + spacing


def test_thin_pool_with_empty_words_at_the_extremes() -> None:
    spacing = 200
    lo, hi = full_range(spacing)
    pool = new_pool(10000, sqrt_price(1, 1), [(lo, lo + spacing, 10**18), (hi - spacing, hi, 10**18)])
    assert pool.liquidity == 0
    checked_swap(pool, True, 10**40)  # crosses ~3500 empty words (jumped) into the bottom position
    assert pool.sqrt_price_x96 == MIN_LIMIT
    checked_swap(pool, False, 10**40)
    assert pool.sqrt_price_x96 == MAX_LIMIT
    checked_swap(pool, True, -(10**10), sqrt_price(1, 1))


def test_positions_at_min_and_max_tick_with_spacing_one() -> None:
    pool = new_pool(100, MIN_SQRT_RATIO, [(MIN_TICK, MAX_TICK, 10**20), (MIN_TICK, MIN_TICK + 1, 10**20)])
    assert pool.tick == MIN_TICK
    checked_swap(pool, False, 10**10)
    checked_swap(pool, True, 10**40)  # back down to the floor: MIN_SQRT_RATIO + 1
    assert pool.sqrt_price_x96 == MIN_LIMIT
    pool2 = new_pool(
        100, MAX_SQRT_RATIO - 1, [(MIN_TICK, MAX_TICK, 10**20), (MAX_TICK - 1, MAX_TICK, 10**20)]
    )
    assert pool2.tick == MAX_TICK - 1
    checked_swap(pool2, True, 10**5)
    checked_swap(pool2, False, 10**40)
    assert pool2.sqrt_price_x96 == MAX_LIMIT


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_price_limit_exactly_at_an_initialised_tick(zero_for_one: bool) -> None:
    pool = new_pool(3000, sqrt_price(1, 1), [(-600, 600, 10**18), (-120, 120, 10**18)])
    target_tick = -120 if zero_for_one else 120
    limit = get_sqrt_ratio_at_tick(target_tick)
    checked_swap(pool, zero_for_one, 10**30, limit)
    assert pool.sqrt_price_x96 == limit
    # stopping on the tick crosses it, so going down leaves the pool at tick - 1 with the outer liquidity
    assert pool.tick == (target_tick - 1 if zero_for_one else target_tick)
    assert pool.liquidity == 10**18
    assert pool.tick != get_tick_at_sqrt_ratio(pool.sqrt_price_x96) or not zero_for_one


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_exact_output_that_hits_the_limit(zero_for_one: bool) -> None:
    pool = new_pool(500, sqrt_price(1, 1), [(-1000, 1000, 10**18)])
    limit = get_sqrt_ratio_at_tick(-50 if zero_for_one else 50)
    a0, a1 = checked_swap(pool, zero_for_one, -(10**30), limit)
    out = -a1 if zero_for_one else -a0
    assert 0 < out < 10**30  # partially filled: the limit stopped it
    assert pool.sqrt_price_x96 == limit


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_large_price_impact(zero_for_one: bool) -> None:
    pool = new_pool(3000, sqrt_price(1, 1), [(-6000, 6000, 10**18), (*full_range(60), 10**17)])
    before = pool.sqrt_price_x96
    checked_swap(pool, zero_for_one, 5 * 10**17)
    moved = abs(pool.sqrt_price_x96 - before) / before
    assert moved > 0.05  # sqrt price moved > 5%, i.e. price > 10%


@pytest.mark.parametrize("protocol", [(0, 0), (4, 4), (10, 7), (0, 5)])
def test_fee_protocol_on_and_off(protocol: tuple[int, int]) -> None:
    pool = new_pool(3000, sqrt_price(1, 1), [(-6000, 6000, 10**18)])
    pool.set_fee_protocol(*protocol)
    checked_swap(pool, True, 10**16)
    checked_swap(pool, False, 10**16)
    fee = 10**16 * 3000 // 1_000_000
    for side in (0, 1):
        if protocol[side]:
            assert pool.protocol_fees[side] in range(fee // protocol[side] - 2, fee // protocol[side] + 2)
        else:
            assert pool.protocol_fees[side] == 0
    collected = pool.collect_protocol(2**128 - 1, 2**128 - 1)
    assert pool.protocol_fees == tuple(1 if c else 0 for c in collected)


def test_tiny_exact_input_is_all_fee() -> None:
    pool = new_pool(3000, sqrt_price(1, 1), [(-600, 600, 10**18)])
    assert checked_swap(pool, True, 1) == (1, 0)
    assert pool.sqrt_price_x96 == sqrt_price(1, 1)


@pytest.mark.parametrize("amount", [2**170, 2**200, 2**250])
def test_huge_exact_input_takes_the_overflow_safe_branch(amount: int) -> None:
    """amount * sqrtP overflows 256 bits: getNextSqrtPriceFromAmount0RoundingUp's fallback formula.

    Only reachable when one bitmap word spans a huge price range, i.e. with a very wide tick spacing.
    """
    spacing = 16000
    pool = Pool(3000, spacing)
    pool.initialize(sqrt_price(1, 1))
    pool.mint("lp", *full_range(spacing), pool.max_liquidity_per_tick)
    checked_swap(pool, True, amount)


def test_huge_exact_input_near_max_price_takes_the_mul_div_branch() -> None:
    """amount > type(uint160).max in getNextSqrtPriceFromAmount1RoundingDown: the FullMath.mulDiv branch."""
    spacing = 60
    max_l = Pool(3000, spacing).max_liquidity_per_tick
    pool = new_pool(3000, 2**150, [(*full_range(spacing), max_l)])
    checked_swap(pool, False, 2**162)


@pytest.mark.parametrize(
    ("zero_for_one", "reason"), [(True, "LS"), (False, "LS"), (True, "LA"), (False, "LA")]
)
def test_inconsistent_loaded_state_reverts_like_the_contract(zero_for_one: bool, reason: str) -> None:
    """A liquidity_net driving liquidity below 0 or past uint128 reverts 'LS'/'LA' (addDelta)."""
    bad = 10**20 if zero_for_one else -(10**20)
    if reason == "LA":
        bad = -(2**127 - 1) if zero_for_one else 2**127 - 1
    ticks = {-60: TickInfo(10**18, bad, initialized=True), 60: TickInfo(10**18, bad, initialized=True)}
    liquidity = 10**18 if reason == "LS" else 2**127 + 5
    pool = Pool.from_state(3000, 60, sqrt_price_x96=2**96, tick=0, liquidity=liquidity, ticks=ticks)
    before = state_of(pool)
    for call in (
        lambda: pool.quote(zero_for_one, 2**250),
        lambda: pool.swap(zero_for_one, 2**250),
        lambda: reference_swap(pool, zero_for_one, 2**250, MIN_LIMIT if zero_for_one else MAX_LIMIT, 0),
    ):
        with pytest.raises(Revert) as err:
            call()
        assert err.value.reason == reason
    assert state_of(pool) == before


def test_swap_reverts_and_leaves_pool_untouched() -> None:
    pool = Pool(3000, 60)
    with pytest.raises(Revert, match="LOK"):
        pool.swap(True, 1, MIN_LIMIT)
    pool = new_pool(3000, sqrt_price(1, 1), [(-600, 600, 10**18)])
    before = state_of(pool)
    cases = [
        ((True, 0, MIN_LIMIT), "AS"),
        ((True, 1, MIN_SQRT_RATIO), "SPL"),
        ((True, 1, pool.sqrt_price_x96), "SPL"),
        ((False, 1, pool.sqrt_price_x96), "SPL"),
        ((False, 1, MAX_SQRT_RATIO), "SPL"),
    ]
    for args, reason in cases:
        for fn in (pool.swap, pool.quote):
            with pytest.raises(Revert) as err:
                fn(*args)
            assert err.value.reason == reason
    assert state_of(pool) == before


def test_quote_with_default_limit_matches_quoter_semantics() -> None:
    pool = new_pool(500, sqrt_price(1, 1), [(-1000, 1000, 10**18)])
    assert pool.quote_exact_input(True, 10**15) == pool.quote(True, 10**15, MIN_LIMIT)
    assert pool.quote_exact_output(False, 10**15) == pool.quote(False, -(10**15), MAX_LIMIT)
    q = pool.quote_exact_output(True, 10**15)
    assert q.amount1 == -(10**15) and q.amount0 > 10**15


def test_from_state_round_trip_quotes_identically() -> None:
    """A pool rebuilt from another pool's getters quotes and swaps exactly the same."""
    src = new_pool(
        500,
        get_sqrt_ratio_at_tick(-7) + 99,
        [(-500, 700, 10**18), (-20, 30, 3 * 10**18), (100, 2000, 10**17)],
    )
    src.swap(True, 10**16, MIN_LIMIT)
    clone = Pool.from_state(
        500,
        10,
        sqrt_price_x96=src.sqrt_price_x96,
        tick=src.tick,
        liquidity=src.liquidity,
        fee_growth_global0_x128=src.fee_growth_global0_x128,
        fee_growth_global1_x128=src.fee_growth_global1_x128,
        ticks={t: i.copy() for t, i in src.ticks.items()},
    )
    assert clone.tick_bitmap == src.tick_bitmap
    for zero_for_one, amount in [(True, 10**18), (False, 10**18), (True, -(10**17)), (False, -(10**17))]:
        assert clone.quote(zero_for_one, amount) == src.quote(zero_for_one, amount)
    with pytest.raises(ValueError, match="does not match"):
        Pool.from_state(500, 10, sqrt_price_x96=2**96, tick=5, liquidity=0, ticks={})


@pytest.mark.parametrize("zero_for_one", [True, False])
@pytest.mark.parametrize("words_away", [1, 2, 5, 40])
def test_limit_exactly_on_a_far_word_edge_through_empty_words(zero_for_one: bool, words_away: int) -> None:
    """Zero liquidity between the price and a limit sitting exactly on a bitmap word edge far away: the jump
    over empty words must land where the contract's word-by-word walk stops (tick w - 1 going down)."""
    spacing = 10
    word = 256 * spacing
    pool = new_pool(
        500,
        get_sqrt_ratio_at_tick(7) + 3,
        [(-100 * word, -99 * word, 10**18), (99 * word, 100 * word, 10**18)],
    )
    assert pool.liquidity == 0
    edge = -words_away * word if zero_for_one else words_away * word + word - spacing
    checked_swap(pool, zero_for_one, 10**20, get_sqrt_ratio_at_tick(edge))
    assert pool.tick == (edge - 1 if zero_for_one else edge)
    checked_swap(pool, not zero_for_one, -(10**20), get_sqrt_ratio_at_tick(7))


def test_from_state_with_an_explicit_bitmap_stops_where_the_bitmap_says() -> None:
    """A set bit without a `ticks` entry reads as an all-zero tick (zeroed storage): the swap stops there,
    crosses it with liquidity_net 0 and writes the tick's outside accumulators as Tick.cross does."""
    ticks = {
        -600: TickInfo(10**18, 10**18, initialized=True),
        600: TickInfo(10**18, -(10**18), initialized=True),
    }
    bitmap: dict[int, int] = {}
    for t in (-600, -120, 600):
        flip_tick(bitmap, t, 60)
    pool = Pool.from_state(
        3000, 60, sqrt_price_x96=2**96, tick=0, liquidity=10**18, ticks=ticks, tick_bitmap=bitmap
    )
    assert pool.initialized_ticks == [-600, -120, 600]
    quote = pool.quote(True, 10**16)
    assert quote.ticks_crossed == 1
    checked_swap(pool, True, 10**16)
    crossed = pool.ticks[-120]
    assert (crossed.liquidity_gross, crossed.liquidity_net, crossed.initialized) == (0, 0, False)
    assert 0 < crossed.fee_growth_outside0_x128 < pool.fee_growth_global0_x128  # growth at the crossing


def test_bot_surface_imports_prices_and_refusals() -> None:
    """`from amm.v3 import Pool`; a human price both ways round; a negative amount is refused rather than
    quoted as the other kind; a quote the price limit or the liquidity stops short raises PartialFill (with
    what it did fill) unless asked for."""
    from amm.v2 import Pair as PublicPair  # noqa: PLC0415 - the import under test
    from amm.v3 import PartialFill, Pool  # noqa: PLC0415

    assert PublicPair.__module__ == "amm.v2.pair"
    pool = new_pool(500, sqrt_price(4, 1), [(-30_000, 30_000, 10**18)])
    assert isinstance(pool, Pool)
    assert pool.price(0, decimals0=6, decimals1=18) == Fraction(pool.sqrt_price_x96**2, 2**192) / 10**12
    assert pool.price(1, decimals0=18, decimals1=18) == 1 / pool.price(0, decimals0=18, decimals1=18)
    assert abs(float(pool.price(0, decimals0=18, decimals1=18)) - 4.0) < 1e-9
    with pytest.raises(ValueError, match="amount_in must be positive"):
        pool.quote_exact_input(True, -(10**15))
    with pytest.raises(ValueError, match="amount_out must be positive"):
        pool.quote_exact_output(True, 0)
    limit = pool.sqrt_price_x96 - pool.sqrt_price_x96 // 1000  # a price move far smaller than the swap's
    with pytest.raises(PartialFill) as stopped:
        pool.quote_exact_input(True, 10**18, limit)
    partial = pool.quote_exact_input(True, 10**18, limit, allow_partial=True)
    assert stopped.value.quote == partial and 0 < partial.amount0 < 10**18
    with pytest.raises(PartialFill):
        pool.quote_exact_output(False, 10**30)  # more than the pool holds
