"""amm.v3.Pool against the real UniswapV3Pool bytecode: random operation sequences, compared step by step.

Each hypothesis example creates and initialises a fresh pool (any fee tier, any price) inside an evm_snapshot,
then runs a random sequence of mint, burn, collect and swap (both directions, exact input and output, price
limits on, beside and between ticks and bitmap word edges, invalid ones), protocol fee changes and
collections through the factory owner, oracle growth and time jumps (some examples cross the uint32 wrap of
block timestamps). After every step the amounts from the pool's events (or the revert reasons) and every
getter value the model holds must be equal; after the sequence the whole pool is read back with read_v3_state
and observe()/snapshotCumulativesInside() are compared too. The operation count is printed and asserted.

Longer soak (~25 min):
    AMM_ANVIL_EXAMPLES=1000 .venv/bin/pytest tests/amm/v3/test_differential_anvil.py -s --timeout 0
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from amm.v3.tick_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick

from .live_pool import FEE_SPACING, MAX_UINT128, LivePool, V3Rig, usable_ticks
from .strategies import sqrt_prices

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

EXAMPLES = int(os.environ.get("AMM_ANVIL_EXAMPLES", "50"))
OPERATIONS_PER_EXAMPLE = 28  # at least; with v2's 35 x 18 that is >= 2,030 operations in CI
PROTOCOL_FEES = [0, 0, 4, 5, 6, 7, 8, 9, 10]
BAD_PROTOCOL_FEES = [1, 3, 11, 15]
DTS = [0, 1, 1, 1, 12, 13, 60, 3600]
OPERATIONS = (
    ["mint"] * 5
    + ["swap"] * 7
    + ["burn"] * 3
    + ["collect"] * 2
    + ["fee", "protocol", "oracle", "jump", "flash"]
)
_MIN_LIMIT, _MAX_LIMIT = MIN_SQRT_RATIO + 1, MAX_SQRT_RATIO - 1


def _amounts(exponent_max: int) -> st.SearchStrategy[int]:
    """Log-uniform positive integers up to 2**exponent_max."""
    return st.integers(0, exponent_max).flatmap(lambda e: st.integers(max(1, 2 ** (e - 1)), 2**e))


def draw_range(data: st.DataObject, live: LivePool, width: int) -> tuple[int, int]:
    """A position range: near the price (width spacings), full range, at the extremes, or invalid."""
    spacing = live.model.tick_spacing
    lo_usable, hi_usable = usable_ticks(spacing)
    base = (live.model.tick // spacing) * spacing
    kind = data.draw(st.sampled_from(["near"] * 8 + ["full", "edge", "wide", "invalid"]))
    if kind == "full":
        return lo_usable, hi_usable
    if kind == "edge":
        return data.draw(
            st.sampled_from([(lo_usable, lo_usable + spacing), (hi_usable - spacing, hi_usable)])
        )
    if kind == "invalid":
        return data.draw(
            st.sampled_from(
                [
                    (base + spacing, base),  # TLU
                    (base, base),
                    (MIN_TICK - 1, base + spacing),  # TLM
                    (base, MAX_TICK + 1),  # TUM
                    (base - spacing + (spacing > 1), base + spacing),  # off the spacing
                ]
            )
        )
    span = width if kind == "near" else 3000
    a = min(max(base + data.draw(st.integers(-span, span)) * spacing, lo_usable), hi_usable - spacing)
    b = a + data.draw(st.integers(1, max(1, span // 2 + 1))) * spacing
    return a, min(b, hi_usable)


def draw_limit(data: st.DataObject, live: LivePool, zero_for_one: bool) -> int:
    """A price limit: default, on/next to an initialised tick or a word edge, anywhere, or invalid."""
    m = live.model
    price = m.sqrt_price_x96
    kind = data.draw(st.sampled_from(["default"] * 3 + ["tick", "tick", "word", "raw", "invalid"]))
    if kind == "default":
        return _MIN_LIMIT if zero_for_one else _MAX_LIMIT
    if kind == "invalid":
        return data.draw(
            st.sampled_from(
                [price, MIN_SQRT_RATIO if zero_for_one else MAX_SQRT_RATIO, _MAX_LIMIT, _MIN_LIMIT]
            )
        )
    if kind == "raw":
        lo, hi = (_MIN_LIMIT, price - 1) if zero_for_one else (price + 1, _MAX_LIMIT)
        return data.draw(st.integers(lo, hi)) if lo <= hi else price
    ahead = [t for t in m.initialized_ticks if (t <= m.tick if zero_for_one else t > m.tick)]
    if kind == "tick" and ahead:
        tick = data.draw(st.sampled_from(ahead[-6:] if zero_for_one else ahead[:6]))
    else:  # the first or last tick of a bitmap word ahead (or, rarely, behind)
        word = 256 * m.tick_spacing
        words = data.draw(st.integers(0, 3)) * (-1 if zero_for_one else 1) + (0 if zero_for_one else 1)
        tick = (m.tick // word + words) * word - data.draw(st.sampled_from([0, m.tick_spacing]))
    tick = min(max(tick, MIN_TICK), MAX_TICK)
    limit = get_sqrt_ratio_at_tick(tick) + data.draw(st.sampled_from([0, 0, -1, 1]))
    return min(max(limit, MIN_SQRT_RATIO), MAX_SQRT_RATIO)


def step(data: st.DataObject, live: LivePool, width: int) -> None:
    """Draw and run one operation (on chain and on the model, compared inside LivePool)."""
    m = live.model
    who = data.draw(st.integers(0, len(live.rig.actors) - 1))
    dt = data.draw(st.sampled_from(DTS))
    op = data.draw(st.sampled_from(OPERATIONS))
    held = sorted((k for k, p in m.positions.items() if p.liquidity), key=repr)  # type: ignore[arg-type]
    if op == "mint":
        lower, upper = draw_range(data, live, width)
        amount = data.draw(_amounts(80))
        if data.draw(st.sampled_from([False] * 12 + [True])):  # near or past maxLiquidityPerTick (LO)
            amount = data.draw(st.sampled_from([m.max_liquidity_per_tick // 3, m.max_liquidity_per_tick + 1]))
        live.mint(who, lower, upper, amount, dt)
    elif op == "swap":
        zero_for_one = data.draw(st.booleans())
        amount = data.draw(st.one_of(_amounts(90), st.sampled_from([2**200, 2**255 - 1])))
        if data.draw(st.booleans()):
            amount = -min(amount, 2**200)
        if data.draw(st.sampled_from([False] * 40 + [True])):
            amount = 0  # AS
        live.swap(who, zero_for_one, amount, draw_limit(data, live, zero_for_one), dt)
    elif op == "burn" and held:
        owner, lower, upper = data.draw(st.sampled_from(held))
        liquidity = m.positions[(owner, lower, upper)].liquidity
        amount = data.draw(st.sampled_from([liquidity, liquidity // 2, 0, liquidity + 1]))
        live.burn(live.rig.actors.index(owner), lower, upper, amount, dt)
    elif op in ("burn", "collect"):
        keys = sorted(m.positions, key=repr)  # type: ignore[arg-type]
        if keys and data.draw(st.integers(0, 5)):
            owner, lower, upper = data.draw(st.sampled_from(keys))
            who = live.rig.actors.index(owner)
            position = m.positions[(owner, lower, upper)]
            if op == "burn":
                live.burn(who, lower, upper, 0, dt)  # poke (reverts NP without liquidity)
            owed0, owed1 = position.tokens_owed0, position.tokens_owed1
        else:
            lower, upper = draw_range(data, live, width)
            owed0 = owed1 = 0
        req0 = data.draw(st.sampled_from([MAX_UINT128, owed0 // 2, 0, owed0]))
        req1 = data.draw(st.sampled_from([MAX_UINT128, owed1 // 3, 1, owed1]))
        live.collect(who, lower, upper, req0, req1, dt)
    elif op == "fee":
        fees = st.sampled_from(
            PROTOCOL_FEES + (BAD_PROTOCOL_FEES if data.draw(st.integers(0, 4)) == 0 else [])
        )
        live.set_fee_protocol(data.draw(fees), data.draw(fees), dt)
    elif op == "protocol":
        live.collect_protocol(
            data.draw(st.sampled_from([MAX_UINT128, 1, m.protocol_fees[0]])),
            data.draw(st.sampled_from([MAX_UINT128, 0, m.protocol_fees[1] // 2])),
            dt,
        )
    elif op == "flash":
        amount0 = data.draw(st.sampled_from([0, m.balance0 // 3, m.balance0]))
        amount1 = data.draw(st.sampled_from([0, m.balance1 // 7, 1]))
        fee0, fee1 = -(-amount0 * m.fee // 10**6), -(-amount1 * m.fee // 10**6)
        tip = data.draw(st.sampled_from([(0, 0), (12345, 0), (0, 10**18), (-1, 0), (0, -1)]))
        repay0, repay1 = max(0, amount0 + fee0 + tip[0]), max(0, amount1 + fee1 + tip[1])
        live.flash(who, amount0, amount1, repay0, repay1, dt)
    elif op == "oracle":
        live.increase_cardinality(min(40, m.observation_cardinality_next + data.draw(st.integers(-1, 6))), dt)
    else:  # time passes without anyone touching the pool
        live.ts += data.draw(st.sampled_from([3600, 86_400, 10**6]))
        return
    live.check_state()


@pytest.fixture(scope="module")
def rig(bare: Bare) -> V3Rig:
    return V3Rig.deploy(bare)


def ladder(data: st.DataObject, live: LivePool) -> None:
    """Many narrow adjacent positions around the price, so that one swap crosses dozens of ticks."""
    spacing = live.model.tick_spacing
    lo_usable, hi_usable = usable_ticks(spacing)
    step_ticks = data.draw(st.sampled_from([1, 2, 7, 256])) * spacing  # 256: one rung per bitmap word
    base = (live.model.tick // spacing) * spacing
    for k in range(-data.draw(st.integers(10, 25)), data.draw(st.integers(10, 25))):
        lower = base + k * step_ticks
        if lo_usable <= lower and lower + step_ticks <= hi_usable:
            live.mint(k % len(live.rig.actors), lower, lower + step_ticks, data.draw(_amounts(60)), 0)


def run_example(rig: V3Rig, data: st.DataObject) -> LivePool:
    """One sequence on a fresh pool, inside a snapshot; returns the LivePool (for its counters)."""
    node = rig.node
    snapshot = node.snapshot()
    try:
        fee = data.draw(st.sampled_from(sorted(FEE_SPACING)), label="fee")
        spacing = FEE_SPACING[fee]
        lo_usable, hi_usable = usable_ticks(spacing)
        center = data.draw(st.one_of(st.integers(-50_000, 50_000), st.integers(lo_usable, hi_usable)))
        price = data.draw(sqrt_prices(near_tick=center), label="price")
        now = rig.chain.next_timestamp()
        start = data.draw(st.sampled_from([now] * 6 + [2**32 - 4000]), label="start")  # or wrap uint32 soon
        live = LivePool.create(rig, fee, price, timestamp=start)
        width = data.draw(st.sampled_from([2, 10, 40, 300]), label="width")
        for _ in range(data.draw(st.integers(3, 15), label="seed positions")):
            lower, upper = draw_range(data, live, width)
            live.mint(data.draw(st.integers(0, 3)), lower, upper, data.draw(_amounts(70)), 1)
        if data.draw(st.sampled_from([False] * 4 + [True]), label="ladder"):
            ladder(data, live)
        live.check_state()
        goal = data.draw(st.integers(OPERATIONS_PER_EXAMPLE, 45), label="operations")
        while live.ops < goal:  # (time jumps are not operations)
            step(data, live, width)
        live.check_full_state()
        span = live.ts - start
        live.check_observe([0, 1, span // 2, span, span + 1])
        return live
    finally:
        node.revert(snapshot)


def test_pool_matches_bytecode_over_random_sequences(
    bare_node: Bare, rig: V3Rig, differential_counts: dict[str, Counter[str]]
) -> None:
    """Every operation of every example compared with the real pool; the count is asserted."""
    totals = differential_counts.setdefault("v3 UniswapV3Pool", Counter())

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[
            Phase.explicit,
            Phase.reuse,
            Phase.generate,
        ],  # no shrinking: the failure message logs the steps
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        live = run_example(rig, data)
        totals["examples"] += 1
        totals["operations"] += live.ops
        totals["reverts"] += live.reverts
        totals["ticks crossed"] += live.ticks_crossed
        totals["most ticks crossed by one swap"] = max(
            totals["most ticks crossed by one swap"], live.max_crossed
        )
        totals.update(live.reasons)

    run()
    print(f"\nv3 differential vs UniswapV3Pool bytecode: {dict(totals)}")
    assert totals["operations"] >= OPERATIONS_PER_EXAMPLE * EXAMPLES, totals
