"""Fast quotes (cached prefix sums of full steps, `amm.v3.step_prefix`) against the step-by-step loop.

The oracle is `Pool._quote_loop`, the swap loop that test_pool_differential holds equal to a literal port of
the contract (and the anvil tests to the bytecode): every fast quote must be the same SwapQuote, or raise the
same Revert, for the same inputs, including after mints, burns, swaps and hand edits of the tick index.
"""

import copy
import os
import random
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.quote import SwapQuote
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

from ._helpers import FEE_TIERS, max_usable_tick, min_usable_tick
from .strategies import pools, sqrt_prices, swap_args

# AMM_DIFF_EXAMPLES=5000 for a long soak (as test_pool_differential); the default keeps the suite fast
EXAMPLES = int(os.environ.get("AMM_DIFF_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# each example of the boundary test runs ~200 quotes, many of them deep loop quotes
BOUNDARY_SETTINGS = settings(SETTINGS, max_examples=max(1, EXAMPLES // 3))

MIN_LIMIT = MIN_SQRT_RATIO + 1
MAX_LIMIT = MAX_SQRT_RATIO - 1


@pytest.fixture(autouse=True, scope="module")
def eager_prefix() -> Iterator[None]:
    """Every quote here goes through the prefix, the first on a state too (by default that one runs the loop).

    Module-scoped and set by hand: hypothesis refuses function-scoped fixtures such as monkeypatch."""
    Pool.eager_prefix = True
    yield
    Pool.eager_prefix = False


def outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except Revert as e:
        return Revert, e.reason


def assert_same(pool: Pool, zero_for_one: bool, amount: int, limit: int | None) -> object:
    """The fast quote equals the loop's (same SwapQuote fields, or the same Revert)."""
    loop = outcome(lambda: pool._quote_loop(zero_for_one, amount, limit))
    fast = outcome(lambda: pool.quote(zero_for_one, amount, limit))
    assert fast == loop, (zero_for_one, amount, limit)
    if isinstance(loop, SwapQuote):
        assert tuple(fast) == tuple(loop)  # type: ignore[arg-type]
    return fast


@st.composite
def dense_pools(draw: st.DrawFn) -> Pool:
    """Many positions near the price (tens to hundreds of initialised ticks), some wide, some empty gaps."""
    fee = draw(st.sampled_from(sorted(FEE_TIERS)))
    spacing = FEE_TIERS[fee]
    lo, hi = min_usable_tick(spacing), max_usable_tick(spacing)
    pool = Pool(fee, spacing)
    center = draw(st.one_of(st.integers(-200_000, 200_000), st.sampled_from([0, lo + 5000, hi - 5000])))
    pool.initialize(draw(sqrt_prices(near_tick=center)))
    pool.set_fee_protocol(draw(st.sampled_from([0, 4, 10])), draw(st.sampled_from([0, 5, 7])))
    rng = random.Random(draw(st.integers(0, 2**32)))
    width = draw(st.sampled_from([20, 300, 3000]))  # in spacings: dense grid, a few words, sparse
    base = (pool.tick // spacing) * spacing
    for k in range(draw(st.integers(5, 90))):
        a = base + rng.randint(-width, width) * spacing
        b = base + rng.randint(-width, width) * spacing if rng.random() < 0.9 else rng.choice([lo, hi])
        lower, upper = max(min(a, b), lo), min(max(a, b), hi)
        if lower >= upper:
            continue
        liquidity = rng.choice([rng.randint(1, 10**6), rng.randint(10**12, 10**24)])
        try:
            pool.mint(f"lp{k % 4}", lower, upper, liquidity)
        except Revert:
            continue
    return pool


def amounts_for(rng: random.Random) -> list[int]:
    """Exact inputs and outputs of every magnitude, from 1 wei to past any pool's depth."""
    out = []
    for _ in range(12):
        amount = rng.randint(1, 10 ** rng.choice([1, 3, 6, 9, 12, 15, 18, 21, 24, 30, 40]))
        out.append(amount if rng.random() < 0.5 else -amount)
    return out


def limits_for(pool: Pool, zero_for_one: bool, rng: random.Random) -> list[int | None]:
    """None (the widest), limits on ticks, on stops and just off them, and arbitrary valid ones."""
    price = pool.sqrt_price_x96
    out: list[int | None] = [None]
    for _ in range(3):
        tick = pool.tick + rng.randint(1, 3000) * (-1 if zero_for_one else 1)
        tick = max(-887272, min(887272, tick))
        limit = get_sqrt_ratio_at_tick(tick) + rng.choice([0, 0, 1, -1])
        out.append(limit)
    # arbitrary, sometimes invalid (then both must raise 'SPL')
    out.append(rng.randint(MIN_SQRT_RATIO, price) if zero_for_one else rng.randint(price, MAX_SQRT_RATIO))
    return out


def mutate(pool: Pool, rng: random.Random) -> None:
    """A random swap, mint (in or out of range) or burn; reverts are fine (the pool must be unchanged)."""
    kind = rng.choice(["swap", "mint", "mint_out", "burn"])
    spacing = pool.tick_spacing
    base = (pool.tick // spacing) * spacing
    lo, hi = min_usable_tick(spacing), max_usable_tick(spacing)
    try:
        if kind == "swap":
            zero_for_one = rng.random() < 0.5
            pool.swap(zero_for_one, rng.choice([1, -1]) * rng.randint(1, 10 ** rng.randint(3, 24)))
        elif kind in ("mint", "mint_out"):
            if kind == "mint":
                lower = base - rng.randint(0, 40) * spacing
                upper = base + rng.randint(1, 40) * spacing
            else:  # entirely away from the price: only the tick index changes
                lower = base + rng.randint(2, 60) * spacing
                upper = lower + rng.randint(1, 20) * spacing
            pool.mint("mutator", max(lower, lo), min(upper, hi), rng.randint(1, 10**22))
        else:
            keys = [k for k, info in pool.positions.items() if info.liquidity]
            if keys:
                owner, lower, upper = rng.choice(keys)
                held = pool.positions[(owner, lower, upper)].liquidity
                pool.burn(owner, lower, upper, rng.choice([held, max(1, held // 2)]))
    except Revert:
        pass


def check_stops(pool: Pool, zero_for_one: bool, rng: random.Random, sample: int = 30) -> int:
    """At cached stops: amounts exactly at, one below and one above each cumulative consumption, and limits
    exactly at, one inside and one beyond each stop's price. The first and last few stops and a random
    sample of the others (of the first 2,000) are checked; returns how many stops there are."""
    pool.quote(zero_for_one, 1 << 200)  # extend the prefix as far as it goes
    prefix = pool._step_prefix(zero_for_one)
    n = len(prefix.prices)
    reach = min(n, 2000)
    chosen = set(range(min(reach, 4))) | set(range(max(0, reach - 4), reach))
    chosen |= set(rng.sample(range(reach), min(reach, sample)))
    for k in sorted(chosen):
        for base in (prefix.cum_in[k], -prefix.cum_out[k]):
            for delta in (-1, 0, 1):
                amount = base + delta if base > 0 else base - delta
                if amount:
                    assert_same(pool, zero_for_one, amount, None)
        price = prefix.prices[k]
        beyond = min(k + 1, n - 1)  # amounts that would pass this stop, so that the limit decides
        amounts = (prefix.cum_in[beyond] + 1, -(prefix.cum_out[beyond] + 1), prefix.cum_in[k] or 1)
        for delta in (-1, 0, 1):
            for amount in amounts:
                assert_same(pool, zero_for_one, amount, price + delta)
    return n


@SETTINGS
@given(pool=dense_pools(), seed=st.integers(0, 2**32))
def test_fast_quotes_equal_the_step_loop(pool: Pool, seed: int) -> None:
    """Random dense pools: exact input and output, both directions, with and without price limits, between
    random swaps, mints and burns (so every quote after a change must see the new state, not the cache)."""
    rng = random.Random(seed)
    for _ in range(4):
        for zero_for_one in (True, False):
            for limit in limits_for(pool, zero_for_one, rng):
                for amount in amounts_for(rng):
                    assert_same(pool, zero_for_one, amount, limit)
        mutate(pool, rng)


@SETTINGS
@given(built=pools(), data=st.data())
def test_fast_quotes_on_edge_pools(built: tuple[Pool, list], data: st.DataObject) -> None:
    """The differential suite's pools (any price, thin liquidity across empty bitmap words, liquidity near
    the per-tick maximum, so 'LA'/'LS' reverts) and its swap arguments (limits on ticks and word edges)."""
    pool, _ = built
    for _ in range(data.draw(st.integers(1, 8))):
        zero_for_one, amount, limit = data.draw(swap_args(pool))
        assert_same(pool, zero_for_one, amount, limit)
        if data.draw(st.booleans()):
            outcome(lambda: pool.swap(zero_for_one, amount, limit))  # noqa: B023


@BOUNDARY_SETTINGS
@given(pool=dense_pools(), seed=st.integers(0, 2**32))
def test_every_stop_boundary(pool: Pool, seed: int) -> None:
    """Amounts and limits exactly on step boundaries, where 'reaches the target' flips."""
    rng = random.Random(seed)
    for zero_for_one in (True, False):
        if outcome(lambda: pool.quote(zero_for_one, 1)) == (Revert, "SPL"):  # noqa: B023
            continue
        check_stops(pool, zero_for_one, rng)


@pytest.mark.parametrize("seed", range(4))
def test_deep_pool_boundaries_and_crossings(seed: int) -> None:
    """A reference-shaped pool (fee 500, 200 positions, ~300 ticks): every stop both ways, 100+ crossings."""
    rng = random.Random(seed)
    pool = Pool(500, 10)
    pool.initialize(get_sqrt_ratio_at_tick(3) + 12345 * (seed + 1))
    grid = list(range(-3500, 3500, 10))
    for k in range(200):
        lower, upper = sorted(rng.sample(grid, 2))
        pool.mint(f"lp{k}", lower, upper, rng.randrange(10**15, 10**18))
    assert check_stops(pool, True, rng, sample=400) > 100
    assert check_stops(pool, False, rng, sample=400) > 100
    deep = assert_same(pool, True, 10**40, None)
    assert isinstance(deep, SwapQuote) and deep.ticks_crossed > 100


@SETTINGS
@given(pool=dense_pools(), seed=st.integers(0, 2**32))
def test_quote_ladder_equals_single_quotes(pool: Pool, seed: int) -> None:
    """quote_ladder prices every size as quote (and the loop) would, for mixed exact input and output."""
    rng = random.Random(seed)
    for zero_for_one in (True, False):
        amounts = sorted(amounts_for(rng) * 3, key=abs)
        limit = limits_for(pool, zero_for_one, rng)[rng.randrange(5)]
        ladder = outcome(lambda: pool.quote_ladder(zero_for_one, amounts, limit))  # noqa: B023
        singles = [outcome(lambda a=a: pool._quote_loop(zero_for_one, a, limit)) for a in amounts]  # noqa: B023
        if isinstance(ladder, list):
            assert ladder == singles
        else:  # only the 'SPL' of a price already at the limit can refuse a whole ladder of non-zero sizes
            assert ladder == (Revert, "SPL") and all(s == ladder for s in singles)
    with pytest.raises(Revert, match="AS"):
        pool.quote_ladder(True, [1, 0])


def test_cache_is_dropped_on_every_state_change() -> None:
    """The kept prefix follows the state: swap, in-range and out-of-range mint, burn, hand edits, copies."""
    pool = Pool(3000, 60)
    pool.initialize(get_sqrt_ratio_at_tick(0))
    for k in range(1, 40):
        pool.mint("lp", -60 * k, 60 * k, 10**18)
    deep = 10**21

    def same_both_ways() -> None:
        for zero_for_one in (True, False):
            for amount in (deep, -deep // 3, 10**15):
                assert_same(pool, zero_for_one, amount, None)

    same_both_ways()
    kept = pool._step_prefix(True)
    assert pool._step_prefix(True) is kept  # nothing changed: reused
    pool.mint("lp", -1200, -600, 10**20)  # below the price only: sqrt price, tick and liquidity unchanged
    assert pool._step_prefix(True) is not kept
    same_both_ways()
    pool.burn("lp", -1200, -600, 10**20)
    same_both_ways()
    pool.mint("lp", -60, 60, 5 * 10**18)  # in range: liquidity changes
    same_both_ways()
    pool.swap(True, 10**20)
    assert pool._prefix0 is None and pool._prefix1 is None
    same_both_ways()
    pool.swap(False, -(10**17))
    same_both_ways()
    # hand edit of a tick plus rebuild_index, as the module docstring tells
    low, high = pool.initialized_ticks[0], pool.initialized_ticks[-1]  # as if 1 more liquidity spanned them
    pool.ticks[low].liquidity_net += 1
    pool.ticks[low].liquidity_gross += 1
    pool.ticks[high].liquidity_net -= 1
    pool.ticks[high].liquidity_gross += 1
    pool.liquidity += 1
    pool.rebuild_index()
    same_both_ways()
    # a shallow copy shares the cache object; editing either must not leak into the other
    twin = copy.copy(pool)
    twin._idx_ticks, twin._idx_nets, twin._idx_sqrts = (
        list(pool._idx_ticks),
        list(pool._idx_nets),
        list(pool._idx_sqrts),
    )
    twin.ticks = {t: info.copy() for t, info in pool.ticks.items()}
    twin.tick_bitmap = dict(pool.tick_bitmap)
    twin.positions = {k: v.copy() for k, v in pool.positions.items()}
    twin.mint("lp", -3000, -2400, 10**21)
    assert twin.quote(True, deep) == twin._quote_loop(True, deep)
    same_both_ways()
    # deep copies carry a valid cache
    clone = copy.deepcopy(pool)
    assert clone.quote(True, deep) == pool._quote_loop(True, deep)


def test_first_quote_on_a_state_runs_the_loop_and_the_second_builds_the_prefix() -> None:
    """Without eager_prefix a state quoted once never pays for a prefix; quoted twice, it gets one."""
    pool = Pool(500, 10)
    pool.initialize(get_sqrt_ratio_at_tick(5))
    for k in range(1, 30):
        pool.mint("lp", -10 * k, 10 * k, 10**17)
    pool.eager_prefix = False
    deep = 10**18
    first = pool.quote(True, deep)
    assert pool._prefix0 is None
    assert pool.quote(False, deep) == pool._quote_loop(False, deep)  # the other direction keeps its own
    second = pool.quote(True, deep + 1)
    assert pool._prefix0 is not None and pool._prefix1 is None
    assert first == pool._quote_loop(True, deep) and second == pool._quote_loop(True, deep + 1)
    pool.swap(True, 10**15)
    assert pool.quote(True, deep) == pool._quote_loop(True, deep)
    assert pool._prefix0 is None  # dropped by the swap, not rebuilt by a first quote
    assert pool.quote(True, deep) == pool._quote_loop(True, deep)
    assert pool._prefix0 is not None
    assert pool.quote_ladder(False, [deep]) == [pool._quote_loop(False, deep)]  # a ladder builds at once
    assert pool._prefix1 is not None


def test_fast_quotes_can_be_switched_off() -> None:
    """fast_quotes = False quotes with the loop alone (and keeps no prefix)."""
    pool = Pool(500, 10)
    pool.initialize(get_sqrt_ratio_at_tick(5))
    for k in range(1, 30):
        pool.mint("lp", -10 * k, 10 * k, 10**17)
    fast = pool.quote(True, 10**18)
    pool.fast_quotes = False
    assert pool.quote(True, 10**18) == fast
    assert pool.quote_ladder(True, [10**18, -(10**15)]) == [fast, pool._quote_loop(True, -(10**15))]
    pool._prefix0 = None
    pool.quote(True, 10**18)
    assert pool._prefix0 is None
