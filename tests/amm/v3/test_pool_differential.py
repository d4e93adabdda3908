"""The fast pool against a literal port of the contract's swap loop, and quote against swap (hypothesis)."""

import os
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3.pool import Pool

from .reference import reference_swap, state_of
from .strategies import pools, swap_args

# AMM_DIFF_EXAMPLES=5000 for a long soak; the default keeps the suite fast
SETTINGS = settings(
    max_examples=int(os.environ.get("AMM_DIFF_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(autouse=True, scope="module")
def eager_prefix():  # type: ignore[no-untyped-def]
    """Quotes here use the cached step prefix from a state's first quote on (by default the first runs the
    loop), so that the fast quote path itself is held to the contract port."""
    Pool.eager_prefix = True
    yield
    Pool.eager_prefix = False


def _outcome(fn):  # type: ignore[no-untyped-def]
    try:
        return fn()
    except Revert as e:
        return Revert, e.reason


@SETTINGS
@given(data=st.data(), built=pools())
def test_swaps_match_reference_and_quotes(data: st.DataObject, built: tuple[Pool, list]) -> None:
    pool, _ = built
    for _ in range(data.draw(st.integers(1, 6))):
        zero_for_one, amount, limit = data.draw(swap_args(pool))
        timestamp = pool.timestamp + data.draw(st.sampled_from([0, 1, 13, 3600]))
        before = state_of(pool)
        quote = _outcome(partial(pool.quote, zero_for_one, amount, limit))
        assert state_of(pool) == before, "quote mutated the pool"
        ref = _outcome(partial(reference_swap, pool, zero_for_one, amount, limit, timestamp))
        got = _outcome(partial(pool.swap, zero_for_one, amount, limit, timestamp=timestamp))
        if isinstance(ref, tuple) and ref[0] is Revert:
            assert got == ref
            assert quote == ref
            assert state_of(pool) == before, "a reverted swap changed the pool"
            continue
        ref_pool, ref_amount0, ref_amount1, ref_crossed = ref
        assert got == (ref_amount0, ref_amount1)
        assert state_of(pool) == state_of(ref_pool)
        assert quote == (
            ref_amount0,
            ref_amount1,
            pool.sqrt_price_x96,
            pool.tick,
            pool.liquidity,
            ref_crossed,
        )


@pytest.mark.parametrize("seed", range(3))
def test_reference_agrees_on_a_fixed_thin_pool(seed: int) -> None:
    """A deterministic thin pool (few positions, many empty words) drained both ways."""
    pool = Pool(100, 1)
    pool.initialize(79228162514264337593543950336 + seed)
    pool.mint("a", -100_000, -90_000, 10**18)
    pool.mint("a", 90_000, 100_000, 10**18)
    pool.mint("a", -5, 7, 10**12)
    for zero_for_one in (True, False, True):
        ref_pool, a0, a1, _ = reference_swap(
            pool,
            zero_for_one,
            10**40,
            (4295128739 + 1) if zero_for_one else (1461446703485210103287273052203988822378723970342 - 1),
            0,
        )
        assert pool.swap(zero_for_one, 10**40, None, timestamp=0) == (a0, a1)
        assert state_of(pool) == state_of(ref_pool)
