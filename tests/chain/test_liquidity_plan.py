"""The built-in chain's seeded LP positions: deterministic, uneven, valid for the contracts."""

from __future__ import annotations

from amm.chain.devnet.liquidity import MAX_TICK, plan_positions, plan_v2_adds, price_tick
from amm.chain.devnet.spec import POOLS, SEED, TOKENS, pool_by_name

USD = {s: t.usd for s, t in TOKENS.items()}


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    pool = pool_by_name("USDC/WETH-500")
    assert plan_positions(pool, USD, 4, SEED) == plan_positions(pool, USD, 4, SEED)
    assert plan_positions(pool, USD, 4, SEED) != plan_positions(pool, USD, 4, SEED + 1)


def test_ranges_are_valid_for_the_pool() -> None:
    for pool in (p for p in POOLS if p.kind == "v3"):
        plans = plan_positions(pool, USD, 4, SEED)
        assert len(plans) == pool.positions
        for plan in plans:
            assert plan.tick_lower < plan.tick_upper
            assert plan.tick_lower % pool.tick_spacing == 0 and plan.tick_upper % pool.tick_spacing == 0
            assert plan.tick_lower >= -MAX_TICK and plan.tick_upper <= MAX_TICK
            assert plan.amount0 >= 0 and plan.amount1 >= 0 and plan.amount0 + plan.amount1 > 0


def test_profile_is_uneven_not_one_full_range_position() -> None:
    pool = pool_by_name("USDC/WETH-500")
    plans = plan_positions(pool, USD, 4, SEED)
    kinds = {p.kind for p in plans}
    assert {"full", "active", "wide"} <= kinds and kinds & {"above", "below"}
    ticks = {t for p in plans for t in (p.tick_lower, p.tick_upper)}
    assert len(ticks) > 150  # many distinct initialised ticks
    center = price_tick(pool.raw_price(USD))
    one_sided = [p for p in plans if p.kind in ("above", "below")]
    for p in one_sided:  # range orders hold one token only
        assert (p.tick_lower > center and p.amount1 == 0) or (p.tick_upper <= center and p.amount0 == 0)
    sizes = sorted((p.amount1 for p in plans if p.kind == "active"), reverse=True)
    top_decile = sum(sizes[: len(sizes) // 10])
    assert top_decile > 0.3 * sum(sizes)  # a few whales, many minnows


def test_v2_adds_are_at_the_pairs_price() -> None:
    pool = pool_by_name("DAI/WETH-v2")
    for plan in plan_v2_adds(pool, USD, 4, SEED):
        value0 = plan.amount0 / 10**pool.token0.decimals * USD[pool.symbol0]
        value1 = plan.amount1 / 10**pool.token1.decimals * USD[pool.symbol1]
        assert abs(value0 - value1) < 1e-6 * value0


def test_pool_names_resolve_either_way_round() -> None:
    assert pool_by_name("weth/usdc-500") is pool_by_name("USDC/WETH-500")
    assert pool_by_name("USDC/WETH-v2").kind == "v2"


def test_market_path_is_the_same_in_every_process() -> None:
    """The seeded history must not depend on Python's per-process string hashing (set iteration order)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "from itertools import islice; from amm.chain.devnet.history import reference_prices;"
        "from amm.chain.devnet.spec import HISTORY, SEED;"
        "print([sorted(p.items()) for p in islice(reference_prices(HISTORY, SEED), 50)])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
