"""Hypothesis strategies for v3 pools: every fee tier, dense or thin liquidity, prices anywhere in range."""

from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
)

from ._helpers import FEE_TIERS, max_usable_tick, min_usable_tick

fee_tiers = st.sampled_from(sorted(FEE_TIERS))
fee_protocols = st.sampled_from([0, 4, 5, 6, 7, 8, 9, 10])


@st.composite
def sqrt_prices(draw: st.DrawFn, near_tick: int | None = None) -> int:
    """A valid pool price: a tick price, a tick price +/- a little, or anywhere; sometimes at the extremes."""
    kind = draw(st.sampled_from(["tick", "between", "raw", "extreme"]))
    if kind == "extreme":
        return draw(
            st.sampled_from([MIN_SQRT_RATIO, MIN_SQRT_RATIO + 1, MAX_SQRT_RATIO - 1, MAX_SQRT_RATIO - 2])
        )
    if kind == "raw":
        return draw(st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1))
    lo, hi = (
        (MIN_TICK, MAX_TICK - 1)
        if near_tick is None
        else (max(MIN_TICK, near_tick - 3000), min(MAX_TICK - 1, near_tick + 3000))
    )
    tick = draw(st.integers(lo, hi))
    price = get_sqrt_ratio_at_tick(tick)
    if kind == "between":
        nxt = get_sqrt_ratio_at_tick(tick + 1)
        price = draw(st.integers(price, nxt - 1))
    return price


@st.composite
def pools(draw: st.DrawFn, max_positions: int = 12) -> tuple[Pool, list[tuple[str, int, int, int]]]:
    """A pool built through initialize + mint, with its minted positions (owner, lower, upper, liquidity)."""
    fee = draw(fee_tiers)
    spacing = FEE_TIERS[fee]
    lo_usable, hi_usable = min_usable_tick(spacing), max_usable_tick(spacing)
    center = draw(st.one_of(st.integers(lo_usable, hi_usable), st.sampled_from([0, lo_usable, hi_usable])))
    pool = Pool(fee, spacing)
    pool.initialize(draw(sqrt_prices(near_tick=center)), timestamp=draw(st.integers(0, 2**32 + 100)))
    pool.set_fee_protocol(draw(fee_protocols), draw(fee_protocols))
    max_liquidity = pool.max_liquidity_per_tick
    width = draw(st.sampled_from([3, 30, 300, 3000]))  # in tick spacings: dense ... thin (empty words)
    minted: list[tuple[str, int, int, int]] = []
    for k in range(draw(st.integers(0, max_positions))):
        if draw(st.booleans()):
            a = draw(st.integers(-width, width)) * spacing + (pool.tick // spacing) * spacing
            b = draw(st.integers(-width, width)) * spacing + (pool.tick // spacing) * spacing
        else:
            a = draw(st.integers(lo_usable // spacing, hi_usable // spacing)) * spacing
            b = draw(st.sampled_from([lo_usable, hi_usable, a + spacing, a - spacing]))
        lower, upper = max(min(a, b), lo_usable), min(max(a, b), hi_usable)
        if lower >= upper:
            continue
        liquidity = draw(
            st.one_of(st.integers(1, 10**6), st.integers(1, 10**24), st.just(max_liquidity // 4))
        )
        owner = f"lp{k % 3}"
        try:
            pool.mint(owner, lower, upper, liquidity)
        except Revert:
            continue
        minted.append((owner, lower, upper, liquidity))
    return pool, minted


@st.composite
def swap_args(draw: st.DrawFn, pool: Pool) -> tuple[bool, int, int]:
    """(zero_for_one, amount_specified, limit) with limits at ticks, word edges, arbitrary or extreme."""
    zero_for_one = draw(st.booleans())
    magnitude = draw(st.sampled_from([10, 10**3, 10**9, 10**15, 10**18, 10**24, 10**30, 2**200]))
    amount = draw(st.integers(1, magnitude))
    if draw(st.booleans()):
        amount = -amount
    price = pool.sqrt_price_x96
    kind = draw(st.sampled_from(["default", "tick", "word", "word_end", "raw"]))
    if kind == "default":
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    elif kind in ("tick", "word", "word_end"):
        # a limit exactly on a tick, on a bitmap word's first tick, or on a word's last tick
        step = pool.tick_spacing * (1 if kind == "tick" else 256)
        k = draw(st.integers(0, 40))
        base = (pool.tick // step) * step
        tick = base - k * step if zero_for_one else base + (k + 1) * step
        if kind == "word_end":
            tick -= pool.tick_spacing
        limit = get_sqrt_ratio_at_tick(max(MIN_TICK, min(MAX_TICK, tick)))
    elif zero_for_one:
        limit = draw(st.integers(MIN_SQRT_RATIO, max(MIN_SQRT_RATIO, price)))
    else:
        limit = draw(st.integers(min(price, MAX_SQRT_RATIO), MAX_SQRT_RATIO))
    return zero_for_one, amount, limit
