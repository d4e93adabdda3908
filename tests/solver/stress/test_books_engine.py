"""The books engine end to end: a row per (seed, variant, book), what the kill switch saved on one path,
common random numbers across variants, determinism, and the four shipped scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from solver.stress.books_config import BooksConfig, Variants
from solver.stress.books_engine import Books, World, override
from solver.stress.config import ScenarioError, apply_overrides, build, load_file, to_dict

# A quiet market (no vol, no jumps) with ETH -30% over ten minutes: the LP's ±10% range is left and its
# 20k loss limit passed on the way down; half an hour of one-minute steps.
SMALL: dict[str, Any] = {
    "run": {"seeds": 1},
    "market": {
        "horizon": 1800,
        "step": 60,
        "eth": {"vol": 0.0, "jump_rate": 0.0},
        "btc": {"vol": 0.0, "jump_rate": 0.0},
    },
    "shock": {"eth_drop": -0.30, "start": 300, "duration": 600},
    "pools": {"positions": 4},
    "lp": {"max_loss_usd": 20_000.0, "width": 0.10},
}
SCENARIOS = ("correlated-crash", "stuck-hedge", "liquidity-withdrawal", "gas-spike")


def engine(**overrides: Any) -> Books:
    return Books(build(BooksConfig, apply_overrides(SMALL, overrides)))


def by_book(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["book"]: r for r in rows}


def test_one_row_per_book_with_what_the_kill_switch_saved_in_a_crash() -> None:
    rows, traces = engine().run_seed(0)
    assert traces == {}
    books = by_book(rows)
    assert list(books) == ["lp", "solver_inventory"]  # no perp hedge by default: no perp or fund book
    for row in rows:
        assert row["seed"] == 0 and row["variant"] == "base"
        assert {"pnl", "worst_drawdown", "first_breach", "breaches", "kill_switch_saved"} <= set(row)
        assert row["router_slippage_bp"] > 0
    lp = books["lp"]
    assert lp["first_breach"] == "drawdown_limit" and lp["killed_s"] is not None
    assert lp["kill_switch_saved"] > 0
    assert lp["pnl"] < -20_000 and lp["il_usd"] < 0 and lp["lvr_usd"] < 0 and lp["fees_usd"] > 0
    assert 0 < lp["in_range_share"] < 1 and lp["in_range_end"] is False
    assert {"jit_plans", "jit_paying", "jit_profit_usd"} <= set(books["solver_inventory"])
    # the saving is the armed world's PnL less the disarmed one's: the disarmed LP's row says so
    disarmed = by_book(engine(**{"lp.kill_switch": False}).run_seed(0)[0])["lp"]
    assert disarmed["killed_s"] is None and disarmed["kill_switch_saved"] == lp["kill_switch_saved"]
    assert disarmed["pnl"] == pytest.approx(lp["pnl"] - lp["kill_switch_saved"], abs=0.011)


def test_without_a_trip_the_disarmed_world_is_the_armed_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """No crash, no switch trips: the disarmed world is not run again, and running it changes nothing."""
    quiet = engine(**{"shock.eth_drop": 0.0})
    rows, _ = quiet.run_seed(0)
    assert all(r["kill_switch_saved"] == 0 for r in rows) and by_book(rows)["lp"]["killed_s"] is None
    monkeypatch.setattr(World, "fired", property(lambda self: True))  # force both worlds to run
    assert quiet.run_seed(0)[0] == rows


def test_the_same_seed_gives_the_same_rows_and_trace() -> None:
    books = engine()
    first = books.run_seed(2, trace=True)
    assert first == books.run_seed(2, trace=True)
    trace = first[1]["base"]
    assert len(trace) == 30 and trace[-1]["time_s"] == 1800
    assert {"time_s", "prices", "lp_value", "solver_value", "hedge", "fund"} <= set(trace[-1])


def test_variants_share_the_market_path_and_differ_in_their_key() -> None:
    books = engine(
        **{"variants.key": "shock.gas_multiplier", "variants.values": [1, 100], "probe.jit_swaps": 2}
    )
    assert [label for label, _ in books.variants()] == ["gas_multiplier=1", "gas_multiplier=100"]
    assert [c.shock.gas_multiplier for _, c in books.variants()] == [1.0, 100.0]
    rows, traces = books.run_seed(1, trace=True)
    assert [(r["variant"], r["book"]) for r in rows] == [
        ("gas_multiplier=1", "lp"),
        ("gas_multiplier=1", "solver_inventory"),
        ("gas_multiplier=100", "lp"),
        ("gas_multiplier=100", "solver_inventory"),
    ]
    low, high = traces["gas_multiplier=1"], traces["gas_multiplier=100"]
    assert [p["prices"] for p in low] == [p["prices"] for p in high]  # common random numbers
    assert {p["gas_gwei"] for p in low} == {20.0} and {p["gas_gwei"] for p in high} == {2000.0}
    jit = {r["variant"]: r for r in rows if r["book"] == "solver_inventory"}
    assert all(r["jit_plans"] == 2 for r in jit.values())
    assert jit["gas_multiplier=100"]["jit_profit_usd"] <= jit["gas_multiplier=1"]["jit_profit_usd"]


def test_a_variant_key_is_type_checked_and_named_when_wrong() -> None:
    config = build(BooksConfig, SMALL)
    assert override(config, {"solver.hedge": "perp"}).solver.hedge == "perp"
    assert override(config, {"lp.width": 0.2}).lp == build(BooksConfig, SMALL).lp.__class__(
        **{**to_dict(config.lp), "width": 0.2}
    )
    words = build(Variants, {"key": "shock.gas_multiplier", "values": "1,100"})  # --set variants.values=1,100
    assert words.labels() == [
        ("gas_multiplier=1", {"shock.gas_multiplier": 1}),
        ("gas_multiplier=100", {"shock.gas_multiplier": 100}),
    ]
    with pytest.raises(ScenarioError, match=r"shock\.gas_multipler: unknown key"):
        override(config, {"shock.gas_multipler": 10})
    with pytest.raises(ScenarioError, match=r"solver\.hedge: expected one of"):
        Books(
            build(
                BooksConfig,
                apply_overrides(SMALL, {"variants.key": "solver.hedge", "variants.values": ["x"]}),
            )
        )
    with pytest.raises(ScenarioError, match="lp"):
        override(config, {"lp.width": 2.0})  # the table's own check: 0 < width < 1


def _differs(data: dict[str, Any], defaults: dict[str, Any], where: str = "") -> list[str]:
    """Dotted keys of `data` whose value equals the default (a scenario file should only change keys)."""
    same = []
    for key, value in data.items():
        if isinstance(value, dict):
            same += _differs(value, defaults[key], f"{where}{key}.")
        elif value == defaults[key]:
            same.append(f"{where}{key}")
    return same


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_shipped_scenario_loads_and_runs_a_seed(name: str) -> None:
    file = load_file(name)
    assert file.engine == "books" and file.name == name and "\n" not in file.description
    config = build(BooksConfig, file.data)
    assert _differs(file.data, to_dict(BooksConfig())) == []
    books = Books(config)
    rows, _ = books.run_seed(0)
    labels = [label for label, _ in books.variants()]
    assert len(labels) == len(config.variants.values) > 1
    assert [r["variant"] for r in rows if r["book"] == "lp"] == labels
    assert all(isinstance(r["pnl"], float) and r["seed"] == 0 for r in rows)


def test_a_notebook_steps_a_world_by_hand_and_gets_the_engines_rows() -> None:
    books = engine()
    rows = by_book(books.run_seed(0)[0])
    ((_, config),) = books.variants()
    steps, world = books.world(config, 0, armed=True)
    values = [world.step(step) or world.lp.last["value"] for step in steps[1:]]
    world.finish()
    assert len(values) == len(steps) - 1 and values[0] != values[-1]
    for book in ("lp", "solver_inventory"):
        mine = {k: v for k, v in world.rows[book].items() if k != "kill_switch_saved"}
        assert mine == {k: v for k, v in rows[book].items() if k in mine}
