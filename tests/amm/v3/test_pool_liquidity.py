"""mint / burn / collect / protocol fees: exact-rational amounts, bookkeeping properties, atomic reverts.

The same operations run against the real pool bytecode in test_pool_liquidity_anvil.py and in the
differential suite; here every expectation is derived from the definitions.
"""

from contextlib import suppress
from fractions import Fraction
from math import ceil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick import get_fee_growth_inside
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick

from ._helpers import E18, max_usable_tick, min_usable_tick, sqrt_price
from .reference import state_of
from .strategies import pools

SPACING = 60
MIN_T, MAX_T = min_usable_tick(SPACING), max_usable_tick(SPACING)
Q96 = 1 << 96


def pool_at(price: int, liquidity: int) -> Pool:
    """A 0.3% pool at `price` with `liquidity` over the full range, minted by 'wallet'."""
    pool = Pool(3000, SPACING)
    pool.initialize(price)
    pool.mint("wallet", MIN_T, MAX_T, liquidity)
    return pool


def test_mint_fails_before_initialize() -> None:
    with pytest.raises(Revert, match="LOK"):
        Pool(3000, SPACING).mint("wallet", -SPACING, SPACING, 1)


@settings(max_examples=300, deadline=None)
@given(
    price=st.integers(get_sqrt_ratio_at_tick(-50_000), get_sqrt_ratio_at_tick(50_000)),
    lower_k=st.integers(-900, 899),
    width=st.integers(1, 900),
    liquidity=st.one_of(st.integers(1, 10**6), st.integers(1, 10**30)),
)
def test_mint_pays_the_exact_amounts_rounded_up(price: int, lower_k: int, width: int, liquidity: int) -> None:
    """Below the range only token0, above only token1, inside both: each the exact amount, rounded up."""
    lower, upper = lower_k * SPACING, min((lower_k + width) * SPACING, MAX_T)
    sa, sb = get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper)
    pool = Pool(3000, SPACING)
    pool.initialize(price)
    p = min(max(price, sa), sb)
    if pool.tick < lower:
        p = sa
    elif pool.tick >= upper:
        p = sb
    want0 = ceil(Fraction(liquidity * Q96 * (sb - p), p * sb))
    want1 = ceil(Fraction(liquidity * (p - sa), Q96))
    assert pool.mint("lp", lower, upper, liquidity) == (want0, want1)
    assert pool.liquidity == (liquidity if lower <= pool.tick < upper else 0)


def test_mint_failure_cases_revert_atomically() -> None:
    pool = pool_at(sqrt_price(1, 10), 3161)
    max_gross = pool.max_liquidity_per_tick
    before = state_of(pool)
    cases = [
        ((1, 0, 1), "TLU"),
        ((-887273, 0, 1), "TLM"),
        ((0, 887273, 1), "TUM"),
        ((MIN_T + SPACING, MAX_T - SPACING, max_gross + 1), "LO"),
        ((MIN_T + SPACING, MAX_T - SPACING, 0), ""),
        ((1, 61, 5), ""),  # ticks not on the spacing: TickBitmap.flipTick's require
        ((0, 61, 5), ""),
    ]
    for args, reason in cases:
        with pytest.raises(Revert) as err:
            pool.mint("wallet", *args)
        assert err.value.reason == reason, args
        assert state_of(pool) == before, args
    pool.mint("wallet", MIN_T + SPACING, MAX_T - SPACING, 1000)
    for lower, upper in ((MIN_T + SPACING, MAX_T - SPACING), (MIN_T + 2 * SPACING, MAX_T - SPACING)):
        before = state_of(pool)
        with pytest.raises(Revert, match="LO"):
            pool.mint("wallet", lower, upper, max_gross - 1000 + 1)
        assert state_of(pool) == before
    pool.mint("wallet", MIN_T + SPACING, MAX_T - SPACING, max_gross - 1000)


def test_liquidity_gross_bookkeeping_and_tick_clearing() -> None:
    pool = pool_at(sqrt_price(1, 10), 3161)
    pool.mint("wallet", -240, 0, 100)
    pool.mint("wallet", -240, SPACING, 150)
    pool.mint("wallet", 0, 2 * SPACING, 60)
    gross = {t: pool.ticks[t].liquidity_gross for t in (-240, 0, SPACING, 2 * SPACING)}
    assert gross == {-240: 250, 0: 160, SPACING: 150, 2 * SPACING: 60}
    pool.burn("wallet", -240, 0, 100)
    pool.burn("wallet", -240, SPACING, 150)
    assert -240 not in pool.ticks and SPACING not in pool.ticks
    assert pool.ticks[0].liquidity_gross == 60
    assert -240 not in pool.initialized_ticks and 0 in pool.initialized_ticks


def test_cannot_burn_more_than_the_position_and_poke_needs_liquidity() -> None:
    pool = pool_at(sqrt_price(1, 1), 2 * E18)
    pool.mint("wallet", -SPACING * 10, SPACING * 10, 1000 * E18)
    before = state_of(pool)
    with pytest.raises(Revert, match="LS"):
        pool.burn("wallet", -SPACING * 10, SPACING * 10, 1001 * E18)
    assert state_of(pool) == before
    pool.mint("other", MIN_T + SPACING, MAX_T - SPACING, E18)
    with pytest.raises(Revert, match="NP"):
        pool.burn("wallet", MIN_T + SPACING, MAX_T - SPACING, 0)
    pool.mint("wallet", MIN_T + SPACING, MAX_T - SPACING, 1)
    pool.burn("wallet", MIN_T + SPACING, MAX_T - SPACING, 1)
    with pytest.raises(Revert, match="NP"):
        pool.burn("wallet", MIN_T + SPACING, MAX_T - SPACING, 0)


def test_burning_everything_keeps_the_fee_growth_snapshot() -> None:
    """After fees accrue, burning all liquidity credits them to tokens owed and keeps the position's fee
    growth inside as of the burn (what a later mint into the same range starts from)."""
    pool = pool_at(sqrt_price(1, 1), 2 * E18)
    pool.mint("other", MIN_T, MAX_T, E18)
    pool.swap(True, E18, MIN_SQRT_RATIO + 1, timestamp=10)
    pool.swap(False, E18, MAX_SQRT_RATIO - 1, timestamp=11)
    burned = pool.burn("other", MIN_T, MAX_T, E18)
    position = pool.positions[("other", MIN_T, MAX_T)]
    inside = get_fee_growth_inside(
        pool.ticks, MIN_T, MAX_T, pool.tick, pool.fee_growth_global0_x128, pool.fee_growth_global1_x128
    )
    assert position.liquidity == 0
    assert (position.fee_growth_inside0_last_x128, position.fee_growth_inside1_last_x128) == inside
    assert inside[0] > 0 and inside[1] > 0
    # the position started at zero growth inside (minted before any fee): owed = principal + its fees
    assert (position.tokens_owed0, position.tokens_owed1) == (
        burned[0] + (inside[0] * E18 >> 128),
        burned[1] + (inside[1] * E18 >> 128),
    )


@pytest.mark.parametrize("protocol", [4, 6, 10])
def test_protocol_fee_is_the_step_fee_divided_by_the_denominator(protocol: int) -> None:
    """One swap inside a tick range: the fee is what the input paid beyond the exact price move; the protocol
    takes fee // denominator of it and LPs' growth gets the rest per unit of liquidity."""
    pool = pool_at(sqrt_price(1, 1), 2 * E18)
    pool.set_fee_protocol(protocol, protocol)
    start = pool.sqrt_price_x96
    amount0, _ = pool.swap(True, E18 // 10)
    end = pool.sqrt_price_x96
    fee = amount0 - ceil(Fraction(2 * E18 * Q96 * (start - end), start * end))
    assert fee >= amount0 * 3000 // 10**6
    assert pool.protocol_fees == (fee // protocol, 0)
    assert pool.fee_growth_global0_x128 == ((fee - fee // protocol) << 128) // (2 * E18)
    assert pool.collect_protocol(2**128 - 1, 2**128 - 1) == (fee // protocol - 1, 0)  # one wei stays
    with pytest.raises(Revert):
        pool.set_fee_protocol(3, 0)


def test_collect_is_capped_by_tokens_owed() -> None:
    pool = pool_at(sqrt_price(1, 1), 2 * E18)
    pool.mint("wallet", -600, 600, E18)
    pool.swap(True, E18 // 10)
    pool.burn("wallet", -600, 600, 0)  # poke: credit fees
    owed0 = pool.positions[("wallet", -600, 600)].tokens_owed0
    assert owed0 > 0
    assert pool.collect("wallet", -600, 600, 1, 0) == (1, 0)
    assert pool.collect("wallet", -600, 600) == (owed0 - 1, 0)
    assert pool.collect("nobody", -600, 600) == (0, 0)
    assert ("nobody", -600, 600) not in pool.positions


def test_flash_fees_accrue_to_liquidity() -> None:
    pool = pool_at(sqrt_price(1, 1), 2 * E18)
    pool.set_fee_protocol(4, 0)
    assert pool.flash(1000, 2000) == (3, 6)
    assert pool.protocol_fees == (0, 0)  # 3 // 4 == 0
    assert pool.fee_growth_global0_x128 == 3 * (1 << 128) // (2 * E18)
    with pytest.raises(Revert, match="F1"):
        pool.flash(1000, 2000, 3, 5)
    empty = Pool(3000, SPACING)
    empty.initialize(sqrt_price(1, 1))
    with pytest.raises(Revert, match="L"):
        empty.flash(1, 1)


def test_initialize_reverts() -> None:
    pool = Pool(3000, SPACING)
    with pytest.raises(Revert, match="R"):
        pool.initialize(MIN_SQRT_RATIO - 1)
    pool.initialize(MIN_SQRT_RATIO)
    with pytest.raises(Revert, match="AI"):
        pool.initialize(sqrt_price(1, 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(built=pools(max_positions=10))
def test_liquidity_equals_sum_of_nets_below_the_price(built: tuple[Pool, list]) -> None:
    """Invariant: liquidity == sum of liquidity_net of initialised ticks <= tick; index == storage."""
    pool, _ = built
    expected = sum(info.liquidity_net for t, info in pool.ticks.items() if t <= pool.tick)
    assert pool.liquidity == expected
    assert sum(info.liquidity_net for info in pool.ticks.values()) == 0
    assert pool.initialized_ticks == sorted(t for t, i in pool.ticks.items() if i.liquidity_gross)
    assert pool._idx_nets == [pool.ticks[t].liquidity_net for t in pool.initialized_ticks]
    clone = Pool.from_state(
        pool.fee,
        pool.tick_spacing,
        sqrt_price_x96=pool.sqrt_price_x96,
        tick=pool.tick,
        liquidity=pool.liquidity,
        ticks={t: i.copy() for t, i in pool.ticks.items()},
    )
    assert clone.tick_bitmap == pool.tick_bitmap


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(built=pools(max_positions=8), data=st.data())
def test_mint_then_burn_returns_at_most_what_was_paid(built: tuple[Pool, list], data: st.DataObject) -> None:
    """Rounding favours the pool: burning right after minting returns the deposit minus <= 1 wei each."""
    pool, _ = built
    spacing = pool.tick_spacing
    lower = data.draw(st.integers(-50, 49)) * spacing + (pool.tick // spacing) * spacing
    upper = lower + data.draw(st.integers(1, 50)) * spacing
    amount = data.draw(st.integers(1, 10**24))
    try:
        paid = pool.mint("me", lower, upper, amount)
    except Revert:
        return
    returned = pool.burn("me", lower, upper, amount)
    assert all(0 <= paid[i] - returned[i] <= 1 for i in (0, 1))
    # burn credits tokensOwed with uint128(amount): past 2**128 the contract silently truncates, and so do we
    assert pool.collect("me", lower, upper) == (returned[0] % 2**128, returned[1] % 2**128)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(built=pools(max_positions=8), data=st.data())
def test_round_trip_swap_never_profits(built: tuple[Pool, list], data: st.DataObject) -> None:
    """Swap in, then swap the received amount back (exact input): never end with more of the input token."""
    pool, _ = built
    zero_for_one = data.draw(st.booleans())
    amount_in = data.draw(st.integers(1, 10**24))
    try:
        a0, a1 = pool.swap(zero_for_one, amount_in)
    except Revert:
        return
    received = -a1 if zero_for_one else -a0
    if received <= 0:
        return
    try:
        b0, b1 = pool.swap(not zero_for_one, received)
    except Revert:
        return
    back = -b0 if zero_for_one else -b1
    spent = a0 if zero_for_one else a1
    assert back <= spent


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(built=pools(max_positions=8))
def test_everyone_can_exit_and_the_pool_stays_solvent(built: tuple[Pool, list]) -> None:
    pool, minted = built
    for zero_for_one in (True, False):
        with suppress(Revert):
            pool.swap(zero_for_one, 10**20)
    for owner, lower, upper, liquidity in minted:
        pool.burn(owner, lower, upper, liquidity)
    for owner, lower, upper, _ in minted:
        pool.collect(owner, lower, upper)
    assert pool.liquidity == 0
    assert pool.balance0 >= 0 and pool.balance1 >= 0
    assert pool.ticks == {} and pool.tick_bitmap == {} and pool.initialized_ticks == []
