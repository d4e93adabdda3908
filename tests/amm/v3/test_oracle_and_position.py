"""Oracle against an independent integral of the tick and liquidity history, and the Position library.

The oracle keeps running sums of tick * seconds and seconds / liquidity. Here a random history of updates is
replayed into the ring buffer and every observable value is recomputed from the history itself: the exact
integral of the tick, the per-interval floor(seconds * 2**128 / liquidity) sums, and linear interpolation
inside an interval. The real pool's observe() is compared with the model in test_differential_anvil.py.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amm.errors import Revert
from amm.v3 import oracle
from amm.v3.constants import wrap_int56
from amm.v3.oracle import Observation
from amm.v3.position import PositionInfo, update

Q128 = 1 << 128


class OracleHarness:
    """A ring buffer plus the (time, tick, liquidity, index, cardinality) the pool would hold."""

    def __init__(self, time: int, tick: int, liquidity: int) -> None:
        self.observations: list[Observation] = []
        self.time, self.tick, self.liquidity, self.index = time, tick, liquidity, 0
        self.cardinality, self.cardinality_next = oracle.initialize(self.observations, time)

    def grow(self, n: int) -> None:
        self.cardinality_next = oracle.grow(self.observations, self.cardinality_next, n)

    def update(self, advance: int, tick: int, liquidity: int) -> None:
        """Time passes at the current tick/liquidity; then a write, then the new tick and liquidity."""
        self.time = (self.time + advance) & 0xFFFFFFFF
        self.index, self.cardinality = oracle.write(
            self.observations,
            self.index,
            self.time,
            self.tick,
            self.liquidity,
            self.cardinality,
            self.cardinality_next,
        )
        self.tick, self.liquidity = tick, liquidity

    def observe(self, seconds_agos: list[int]) -> tuple[list[int], list[int]]:
        return oracle.observe(
            self.observations,
            self.time,
            seconds_agos,
            self.tick,
            self.index,
            self.liquidity,
            self.cardinality,
        )


class History:
    """The same updates as plain intervals: (start, seconds, tick, liquidity), from the first write on."""

    def __init__(self, tick: int, liquidity: int) -> None:
        self.intervals: list[tuple[int, int, int, int]] = []
        self.elapsed = 0
        self.tick, self.liquidity = tick, liquidity
        self.written = [0]  # elapsed times at which an observation was written

    def update(self, advance: int, tick: int, liquidity: int) -> None:
        if advance:
            self.intervals.append((self.elapsed, advance, self.tick, self.liquidity))
            self.elapsed += advance
            self.written.append(self.elapsed)
        self.tick, self.liquidity = tick, liquidity

    def cumulatives(self, at: int) -> tuple[int, int]:
        """(tick * seconds, sum of floor(seconds * 2**128 / liquidity)) from the start to `at`, interpolated
        linearly (rounded down) inside the interval that holds `at`, as the oracle does between writes."""
        tick_cumulative = spl = 0
        intervals = [*self.intervals, (self.elapsed, 10**9, self.tick, self.liquidity)]  # the open interval
        for start, seconds, tick, liquidity in intervals:
            if at <= start:
                break
            used = min(seconds, at - start)
            tick_cumulative += tick * used
            step = (seconds << 128) // max(liquidity, 1)
            if start + seconds <= at or start == self.elapsed:  # a whole interval, or the open one up to now
                spl += (used << 128) // max(liquidity, 1) if start == self.elapsed else step
            else:
                spl += step * used // seconds
        return wrap_int56(tick_cumulative), spl % (1 << 160)


updates = st.lists(
    st.tuples(st.integers(0, 3600), st.integers(-887272, 887272), st.integers(0, 2**128 - 1)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from([0, 5, 1_790_000_000, 2**32 - 5, 2**32 - 4000]),
    first=st.tuples(st.integers(-887272, 887272), st.integers(0, 2**128 - 1)),
    grow_to=st.integers(1, 20),
    steps=updates,
    later=st.integers(0, 5000),
    data=st.data(),
)
def test_observe_equals_the_integral_of_the_history(
    start: int,
    first: tuple[int, int],
    grow_to: int,
    steps: list[tuple[int, int, int]],
    later: int,
    data: st.DataObject,
) -> None:
    o = OracleHarness(start, *first)
    o.grow(grow_to)
    h = History(*first)
    for advance, tick, liquidity in steps:
        o.update(advance, tick, liquidity)
        h.update(advance, tick, liquidity)
    o.time = (o.time + later) & 0xFFFFFFFF
    now = h.elapsed + later
    # the oldest moment still in the buffer: the oldest of the last `cardinality` writes
    oldest = h.written[-o.cardinality] if len(h.written) >= o.cardinality else 0
    ago = data.draw(st.one_of(st.integers(0, now - oldest), st.sampled_from([0, now - oldest])))
    assert o.observe([ago]) == tuple([x] for x in h.cumulatives(now - ago))
    if now - oldest + 1 <= 2**32 - 1 and len(h.written) >= 1:
        with pytest.raises(Revert) as err:
            o.observe([now - oldest + 1])
        assert err.value.reason == "OLD"


def test_time_shift_and_the_uint32_wrap_change_nothing() -> None:
    """The same history started at 5 and at 2**32 - 5 (so it wraps) observes identically."""
    results = []
    for start in (5, 2**32 - 5):
        o = OracleHarness(start, -5, 5)
        o.grow(5)
        for advance, tick, liquidity in ((3, 1, 2), (2, -6, 4), (4, -2, 4), (1, -2, 9), (3, 4, 2), (6, 6, 7)):
            o.update(advance, tick, liquidity)
        o.time = (o.time + 6) & 0xFFFFFFFF
        results.append(o.observe([0, 1, 5, 10, 13, 17, 20]))
    assert results[0] == results[1]


def test_write_and_grow_semantics() -> None:
    o = OracleHarness(1, 0, 0)
    o.update(0, 5, 3)  # same block: no new observation
    assert (o.index, o.cardinality) == (0, 1)
    o.update(2, 6, 3)
    assert o.observations[0] == Observation(3, 10, (2 << 128) // 3, True)  # overwrites slot 0 (cardinality 1)
    with pytest.raises(Revert, match="I"):
        oracle.grow([], 0, 5)
    with pytest.raises(Revert, match="I"):
        oracle.observe([], 0, [0], 0, 0, 0, 0)
    o.grow(3)
    assert [ob.block_timestamp for ob in o.observations] == [3, 1, 1]
    assert oracle.grow(o.observations, 3, 2) == 3
    o.update(1, 0, 0)
    assert (o.index, o.cardinality) == (1, 3)


def test_position_update() -> None:
    with pytest.raises(Revert, match="NP"):
        update(PositionInfo(), 0, 0, 0)
    pos = PositionInfo()
    update(pos, 100, 5 * Q128, 7 * Q128)
    assert pos == PositionInfo(100, 5 * Q128, 7 * Q128, 0, 0)
    update(pos, -40, 6 * Q128, 7 * Q128 + Q128 // 2)
    assert pos == PositionInfo(60, 6 * Q128, 7 * Q128 + Q128 // 2, 100, 50)
    with pytest.raises(Revert, match="LS"):
        update(pos, -61, 0, 0)
    # fee growth wraps mod 2**256, and tokensOwed wraps mod 2**128 ("overflow is acceptable")
    pos = PositionInfo(1 << 100, (1 << 256) - Q128, 0, (1 << 128) - 1, 0)
    update(pos, 0, Q128, 0)  # inside growth went up by 2 * Q128 across the wrap
    assert pos.tokens_owed0 == (((1 << 128) - 1) + (2 << 100)) % (1 << 128)
