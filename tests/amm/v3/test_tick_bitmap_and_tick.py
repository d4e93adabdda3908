"""TickBitmap and Tick libraries against brute-force definitions, and maxLiquidityPerTick against real pools.

The bitmap search is compared with a plain scan of a set of initialised ticks; fee growth inside a range with
a simulation that credits every growth increment to the ranges the price sits in; the per-tick liquidity cap
with the getter of pools created by the real factory.
"""

from typing import TYPE_CHECKING

import pytest
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.tick import (
    TickInfo,
    clear,
    cross,
    get_fee_growth_inside,
    tick_spacing_to_max_liquidity_per_tick,
    update,
)
from amm.v3.tick_bitmap import flip_tick, next_initialized_tick_within_one_word, position

from ._helpers import FEE_TIERS, max_usable_tick, min_usable_tick

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

MAX_UINT128 = (1 << 128) - 1
MAX_UINT256 = (1 << 256) - 1
U256 = 1 << 256


def scan_next(initialized: set[int], tick: int, spacing: int, lte: bool) -> tuple[int, bool]:
    """What nextInitializedTickWithinOneWord promises, by scanning: the nearest initialised tick at or below
    `tick` (lte) or above it, within the 256-tick bitmap word of the search's start; else the word's edge."""
    compressed = tick // spacing  # floor, also for negative ticks
    if lte:
        word_start = (compressed >> 8) << 8
        for c in range(compressed, word_start - 1, -1):
            if c * spacing in initialized:
                return c * spacing, True
        return word_start * spacing, False
    start = compressed + 1
    word_end = ((start >> 8) << 8) + 255
    for c in range(start, word_end + 1):
        if c * spacing in initialized:
            return c * spacing, True
    return word_end * spacing, False


@settings(max_examples=300, deadline=None)
@given(
    spacing=st.sampled_from([1, 10, 60, 200]),
    compressed=st.sets(
        st.one_of(
            st.integers(-1000, 1000), st.sampled_from([-513, -512, -257, -256, -1, 0, 255, 256, 511, 512])
        ),
        max_size=40,
    ),
    queries=st.lists(st.integers(-300_000, 300_000), min_size=1, max_size=20),
    near=st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=20),
)
def test_next_initialized_tick_matches_a_scan(
    spacing: int, compressed: set[int], queries: list[int], near: list[int]
) -> None:
    bitmap: dict[int, int] = {}
    for c in compressed:
        flip_tick(bitmap, c * spacing, spacing)
    initialized = {c * spacing for c in compressed}
    # ask from arbitrary ticks and from right next to initialised ones (and to word edges)
    asks = [q // 8 for q in queries] + [c * spacing + d for c in sorted(compressed) for d in near]
    asks += [w * 256 * spacing + d for w in (-2, -1, 0, 1, 2) for d in (-1, 0, 1)]
    for tick in asks:
        for lte in (True, False):
            assert next_initialized_tick_within_one_word(bitmap, tick, spacing, lte) == scan_next(
                initialized, tick, spacing, lte
            ), (tick, lte)


@given(st.sets(st.integers(-5000, 5000), max_size=30), st.sets(st.integers(-5000, 5000), max_size=30))
def test_flip_tick_toggles_and_empty_words_vanish(first: set[int], second: set[int]) -> None:
    bitmap: dict[int, int] = {}
    for t in [*first, *second]:
        flip_tick(bitmap, t, 1)
    expected = first ^ second  # flipped twice = not initialised
    assert {t for t in range(-5200, 5200) if bitmap.get(t >> 8, 0) >> (t & 255) & 1} == expected
    assert all(bitmap.values())  # a word that became zero is dropped, like a zeroed storage slot
    assert position(-1) == (-1, 255) and position(256) == (1, 0)
    with pytest.raises(Revert) as err:
        flip_tick(bitmap, 61, 60)  # not a multiple of the spacing
    assert err.value.reason == ""


# ------------------------------------------------------------------------------------------------- Tick
@pytest.mark.parametrize("spacing", [1, 10, 60, 200, 2302, 16383, 887272])
def test_max_liquidity_per_tick_is_uint128_max_over_usable_ticks(spacing: int) -> None:
    usable = range(min_usable_tick(spacing), max_usable_tick(spacing) + 1, spacing)
    assert tick_spacing_to_max_liquidity_per_tick(spacing) == MAX_UINT128 // len(usable)


def test_max_liquidity_per_tick_equals_the_real_pools(bare_node: "Bare") -> None:
    """Pools created by the real factory for every fee tier report the same maxLiquidityPerTick."""
    chain = bare_node
    factory = chain.node.contract("UniswapV3Factory", chain.v3_factory)
    token_a, token_b = "0x" + "11" * 20, "0x" + "22" * 20  # createPool never calls the tokens
    for fee, spacing in FEE_TIERS.items():
        factory.transact("createPool", token_a, token_b, fee, sender=chain.deployer)
        pool = chain.node.contract(
            "UniswapV3Pool", to_checksum_address(factory.call("getPool", token_a, token_b, fee))
        )
        assert pool.call("tickSpacing") == spacing
        assert pool.call("maxLiquidityPerTick") == tick_spacing_to_max_liquidity_per_tick(spacing)


@settings(max_examples=300, deadline=None)
@given(
    lower=st.integers(-20, 19),
    width=st.integers(1, 20),
    start=st.integers(-25, 25),
    initial=st.tuples(st.integers(0, MAX_UINT256), st.integers(0, MAX_UINT256)),
    moves=st.lists(
        st.tuples(st.integers(-25, 25), st.integers(0, 2**200), st.integers(0, 2**200)), max_size=30
    ),
)
def test_fee_growth_inside_equals_the_growth_accrued_in_range(
    lower: int, width: int, start: int, initial: tuple[int, int], moves: list[tuple[int, int, int]]
) -> None:
    """Simulate a pool: growth accrues at the current tick, the price moves, boundary ticks are crossed.
    The change of get_fee_growth_inside equals the growth accrued while the tick was in [lower, upper)."""
    upper = lower + width
    g0, g1 = initial  # globals when the range's ticks are initialised (wrap around 2**256 included)
    ticks: dict[int, TickInfo] = {}
    current = start
    for t, is_upper in ((lower, False), (upper, True)):
        update(ticks, t, current, 1, g0, g1, 0, 0, 0, is_upper, MAX_UINT128)
    before = get_fee_growth_inside(ticks, lower, upper, current, g0, g1)
    accrued = [0, 0]
    for target, d0, d1 in moves:
        g0, g1 = (g0 + d0) % U256, (g1 + d1) % U256  # a swap step's fees, at the current tick
        if lower <= current < upper:
            accrued = [accrued[0] + d0, accrued[1] + d1]
        while current != target:  # move one tick at a time; cross a boundary when passing it
            if target > current:
                current += 1
                if current in ticks:
                    cross(ticks, current, g0, g1, 0, 0, 0)
            else:
                if current in ticks:
                    cross(ticks, current, g0, g1, 0, 0, 0)
                current -= 1
    after = get_fee_growth_inside(ticks, lower, upper, current, g0, g1)
    assert ((after[0] - before[0]) % U256, (after[1] - before[1]) % U256) == (
        accrued[0] % U256,
        accrued[1] % U256,
    )


@given(
    deltas=st.lists(st.tuples(st.integers(-(10**6), 10**6), st.booleans()), min_size=1, max_size=12),
    tick=st.integers(-5, 5),
    current=st.integers(-5, 5),
)
def test_update_tracks_gross_net_and_flips(deltas: list[tuple[int, bool]], tick: int, current: int) -> None:
    """liquidity_gross is the sum of deltas, liquidity_net adds lower and subtracts upper deltas, `flipped`
    reports gross crossing zero, growth is stamped only when initialising at or below the current tick, and
    a gross above the cap or below zero reverts without touching the tick."""
    ticks: dict[int, TickInfo] = {}
    gross = net = 0
    cap = 3 * 10**6
    for delta, is_upper in deltas:
        if gross + delta > cap or gross + delta < 0:
            before = ticks.get(tick, TickInfo()).copy()
            with pytest.raises(Revert) as err:
                update(ticks, tick, current, delta, 7, 9, 11, 13, 17, is_upper, cap)
            assert err.value.reason == ("LO" if gross + delta > cap else "LS")
            assert ticks.get(tick, TickInfo()) == before
            continue
        flipped = update(ticks, tick, current, delta, 7, 9, 11, 13, 17, is_upper, cap)
        assert flipped == ((gross == 0) != (gross + delta == 0))
        gross += delta
        net += -delta if is_upper else delta
        info = ticks[tick]
        assert (info.liquidity_gross, info.liquidity_net, info.initialized) == (gross, net, True)
        stamped = (7, 9, 13, 11, 17) if tick <= current else (0, 0, 0, 0, 0)
        assert (
            info.fee_growth_outside0_x128,
            info.fee_growth_outside1_x128,
            info.tick_cumulative_outside,
            info.seconds_per_liquidity_outside_x128,
            info.seconds_outside,
        ) == stamped


@given(
    st.tuples(
        *[st.integers(0, MAX_UINT256)] * 2,
        st.integers(-(2**55), 2**55 - 1),
        st.integers(0, 2**160 - 1),
        st.integers(0, 2**32 - 1),
    ),
    st.tuples(
        *[st.integers(0, MAX_UINT256)] * 2,
        st.integers(-(2**55), 2**55 - 1),
        st.integers(0, 2**160 - 1),
        st.integers(0, 2**32 - 1),
    ),
)
def test_cross_flips_outside_to_global_minus_outside(
    outside: tuple[int, int, int, int, int], now: tuple[int, int, int, int, int]
) -> None:
    fo0, fo1, tco, splo, so = outside
    g0, g1, tc, spl, t = now
    ticks = {2: TickInfo(3, -4, fo0, fo1, tco, splo, so, True)}
    assert cross(ticks, 2, g0, g1, spl, tc, t) == -4
    info = ticks[2]
    assert (info.fee_growth_outside0_x128, info.fee_growth_outside1_x128) == (
        (g0 - fo0) % U256,
        (g1 - fo1) % U256,
    )
    assert info.seconds_per_liquidity_outside_x128 == (spl - splo) % 2**160
    assert info.seconds_outside == (t - so) % 2**32
    assert (info.tick_cumulative_outside - (tc - tco)) % 2**56 == 0
    cross(ticks, 2, g0, g1, spl, tc, t)  # crossing back restores the outside values
    assert ticks[2] == TickInfo(3, -4, fo0, fo1, tco, splo, so, True)
    clear(ticks, 2)
    assert ticks == {}
