"""TickMath: prices against sqrt(1.0001**tick) in 60-digit decimals, the tick/price inverse relation, the
real pool's own TickMath on anvil at every power-of-two tick, and the fast get_tick_at_sqrt_ratio shown equal
to the faithful port."""

import os
from decimal import Decimal, getcontext
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    get_tick_at_sqrt_ratio_exact,
    sqrt_ratio_at_tick_cached,
)

from .live_pool import LivePool, V3Rig

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

getcontext().prec = 60
# every bit of |tick| selects one precomputed factor of getSqrtRatioAtTick: the powers of two exercise each
POWER_TICKS = sorted({s * (1 << k) for k in range(20) for s in (1, -1)} | {MIN_TICK + 1, MAX_TICK - 1, 0})


def exact_sqrt_price(tick: int) -> Decimal:
    """sqrt(1.0001**tick) * 2**96, to 60 significant digits."""
    return Decimal("1.0001") ** (Decimal(tick) / 2) * Decimal(2**96)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.integers(MIN_TICK, MAX_TICK), st.sampled_from(POWER_TICKS)))
def test_sqrt_ratio_is_within_1e_19_of_the_exact_price(tick: int) -> None:
    """The Q128.128 product of rounded factors stays within 1e-19 (relative) of the true price, plus the final
    rounding to an integer; a wrong factor or rounding would be off by far more."""
    ratio = get_sqrt_ratio_at_tick(tick)
    exact = exact_sqrt_price(tick)
    assert abs(Decimal(ratio) - exact) <= 1 + exact * Decimal("1e-19")
    assert sqrt_ratio_at_tick_cached(tick) == ratio


@settings(max_examples=500, deadline=None)
@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_ratios_increase_and_tick_at_ratio_inverts_them(tick: int) -> None:
    """getTickAtSqrtRatio(x) is the greatest tick whose ratio is <= x."""
    ratio, above = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    assert ratio < above
    for x in (ratio, ratio + 1, (ratio + above) // 2, above - 1):
        assert get_tick_at_sqrt_ratio(x) == get_tick_at_sqrt_ratio_exact(x) == tick
    if tick > MIN_TICK:
        assert get_tick_at_sqrt_ratio(ratio - 1) == tick - 1


def test_tick_math_bounds_and_reverts() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    for fn in (get_tick_at_sqrt_ratio, get_tick_at_sqrt_ratio_exact):
        assert fn(MIN_SQRT_RATIO) == MIN_TICK
        assert fn(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
        for bad in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO, 0):
            with pytest.raises(Revert) as err:
                fn(bad)
            assert err.value.reason == "R"
    for bad_tick in (MIN_TICK - 1, MAX_TICK + 1):
        with pytest.raises(Revert) as err:
            get_sqrt_ratio_at_tick(bad_tick)
        assert err.value.reason == "T"


def test_the_pool_bytecode_agrees_at_every_power_of_two_tick(bare_node: "Bare") -> None:
    """On a real pool without liquidity a swap moves the price to exactly its limit: moving up to ratio(t)
    must leave slot0.tick == t and moving down to ratio(t) - 1 must leave t - 1, which pins the contract's
    getSqrtRatioAtTick(t) to the model's value and checks getTickAtSqrtRatio on both sides of it."""
    live = LivePool.create(V3Rig.deploy(bare_node), 10000, MIN_SQRT_RATIO)
    for tick in POWER_TICKS:
        ratio = get_sqrt_ratio_at_tick(tick)
        if tick > MIN_TICK:
            live.swap(0, False, 1, ratio, dt=0)  # compared with the chain inside (amounts, price, tick)
            assert live.model.tick == tick
            live.swap(0, True, 1, ratio - 1, dt=0)
            assert live.model.tick == tick - 1
        live.check_state()


@settings(max_examples=600, deadline=None)
@given(st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1))
def test_fast_tick_equals_faithful_port_anywhere(ratio: int) -> None:
    assert get_tick_at_sqrt_ratio(ratio) == get_tick_at_sqrt_ratio_exact(ratio)


@settings(max_examples=600, deadline=None)
@given(st.integers(MIN_TICK, MAX_TICK), st.integers(-2, 2))
def test_fast_tick_equals_faithful_port_at_tick_boundaries(tick: int, offset: int) -> None:
    """The hardest inputs: a tick's own sqrt ratio and its integer neighbours."""
    ratio = get_sqrt_ratio_at_tick(tick) + offset
    if MIN_SQRT_RATIO <= ratio < MAX_SQRT_RATIO:
        expected = get_tick_at_sqrt_ratio_exact(ratio)
        assert get_tick_at_sqrt_ratio(ratio) == expected
        assert expected == (tick if offset >= 0 else tick - 1)


def test_fast_tick_equals_faithful_port_in_dense_neighbourhoods() -> None:
    """Every tick boundary (ratio, ratio - 1) near the extremes, near 0, and on a sparse grid over the
    range, where float estimates are most at risk (tiny ratios: one integer is ~5e-6 ticks)."""
    ticks = [*range(MIN_TICK, MIN_TICK + 3000), *range(-1500, 1500), *range(MAX_TICK - 3000, MAX_TICK + 1)]
    ticks += range(MIN_TICK, MAX_TICK, 61)
    for tick in ticks:
        ratio = get_sqrt_ratio_at_tick(tick)
        for r in (ratio - 1, ratio, ratio + 1):
            if MIN_SQRT_RATIO <= r < MAX_SQRT_RATIO:
                assert get_tick_at_sqrt_ratio(r) == get_tick_at_sqrt_ratio_exact(r)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("AMM_EXHAUSTIVE"), reason="~30-60 s; run with AMM_EXHAUSTIVE=1")
def test_fast_tick_equals_faithful_port_at_every_tick_boundary() -> None:
    """Exhaustive: every one of the 1,774,545 tick boundaries (ratio and ratio - 1).

    AMM_EXHAUSTIVE=1 .venv/bin/pytest tests/amm/v3/test_tick_math.py -k every_tick_boundary
    """
    for tick in range(MIN_TICK, MAX_TICK + 1):
        ratio = get_sqrt_ratio_at_tick(tick)
        if ratio < MAX_SQRT_RATIO:
            assert get_tick_at_sqrt_ratio(ratio) == tick
        if ratio - 1 >= MIN_SQRT_RATIO:
            assert get_tick_at_sqrt_ratio(ratio - 1) == tick - 1
