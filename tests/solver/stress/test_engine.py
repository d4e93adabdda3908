"""The engine as a library: common random numbers across variants, determinism, stepping by hand."""

from __future__ import annotations

from solver.stress import WeekendGapConfig, engine

SMALL = {"traders.count": 8, "variants.mark_rules": ["oracle", "median"]}


def test_the_shipped_weekend_gap_file_spells_out_the_engine_defaults() -> None:
    assert engine.load("weekend-gap").config == WeekendGapConfig()


def test_every_variant_of_a_seed_sees_the_same_path_gap_and_population() -> None:
    result = engine.run(engine.load("weekend-gap", SMALL), [0, 1])
    for seed in (0, 1):
        rows = [r for r in result.rows if r["seed"] == seed]
        assert len(rows) == 3 * 2 * 2
        assert len({(r["gap"], r["close"], r["reopen"], r["fund_start"]) for r in rows}) == 1
    assert result.rows[0]["gap"] == -0.2 and result.rows[0]["traders"] + result.rows[0]["rejected"] == 8


def test_a_drawn_gap_differs_by_seed_and_repeats_for_a_seed() -> None:
    scenario = engine.load("weekend-gap-fat-tails", SMALL)
    first, again = engine.run(scenario, [0, 1, 2]), engine.run(scenario, [0, 1, 2])
    assert first.rows == again.rows and first.summary == again.summary
    assert len({r["gap"] for r in first.rows}) == 3


def test_changing_the_population_leaves_a_seeds_path_alone() -> None:
    a = engine.load("weekend-gap-fat-tails", {**SMALL, "traders.count": 3}).engine.draw(5)
    b = engine.load("weekend-gap-fat-tails", {**SMALL, "traders.count": 9}).engine.draw(5)
    assert (a.path.underlying == b.path.underlying).all() and a.path.gaps == b.path.gaps


def test_a_notebook_can_step_one_venue_and_gets_the_same_row() -> None:
    scenario = engine.load("weekend-gap", SMALL)
    gap = scenario.engine
    draw = gap.draw(0)
    variant = gap.variants()[-1]
    steps = gap.simulate(variant, draw)
    seen = []
    try:
        while True:
            i, venue = next(steps)
            venue.check_conservation()
            seen.append((i, venue.underlying_open))
    except StopIteration as done:
        row = done.value
    assert [i for i, _ in seen] == list(range(1, len(draw.path.times)))
    assert any(not is_open for _, is_open in seen) and seen[-1][1]
    assert row == gap.run_variant(variant, draw)


def test_a_trace_records_fund_and_prices_for_the_first_seed_only() -> None:
    result = engine.run(
        engine.load("weekend-gap", {**SMALL, "variants.architectures": ["vault"]}), [0, 1], trace=True
    )
    assert set(result.traces) == {
        "vault/oracle/freeze",
        "vault/oracle/proxy",
        "vault/median/freeze",
        "vault/median/proxy",
    }
    trace = result.traces["vault/oracle/proxy"]
    assert set(trace[0]) == {"time", "underlying", "proxy", "oracle", "mark", "last", "fund"}
    assert trace[0]["fund"] == 5000.0
