"""Scenario files and overrides: typed, and every mistake is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.stress import engine
from solver.stress.config import ScenarioError, apply_overrides, parse_override, parse_text, shipped_files


def error(name: str, **overrides: object) -> str:
    with pytest.raises(ScenarioError) as info:
        engine.load(name, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_shipped_weekend_gap_file_loads_into_its_engine() -> None:
    assert "weekend-gap" in engine.runnable()
    scenario = engine.load("weekend-gap")
    assert scenario.config.gap.distribution == "fixed" and scenario.config.gap.size == -0.2
    assert scenario.config.variants.architectures == ("orderbook", "vault", "onchain")
    assert len(scenario.engine.variants()) == 3 * 3 * 2


def test_every_shipped_file_names_a_runnable_engine_and_builds() -> None:
    for name, file in shipped_files().items():
        assert file.engine in engine.ENGINES, name
        engine.load(name)


def test_overrides_set_dotted_keys_with_toml_values_bare_strings_and_comma_lists() -> None:
    overrides = dict(
        parse_override(s)
        for s in (
            "gap.size=-0.3",
            "venue.end_rule=socialised",
            "variants.architectures=vault,onchain",
            'variants.mark_rules=["median"]',
            "venue.funding=false",
            "traders.count=7",
        )
    )
    assert overrides["gap.size"] == -0.3 and overrides["venue.end_rule"] == "socialised"
    c = engine.load("weekend-gap", overrides).config
    assert (c.gap.size, c.venue.end_rule, c.venue.funding, c.traders.count) == (-0.3, "socialised", False, 7)
    assert c.variants.architectures == ("vault", "onchain") and c.variants.mark_rules == ("median",)


def test_a_bare_toml_datetime_is_kept_as_typed() -> None:
    key, value = parse_override("market.start=2026-01-09T19:00:00Z")
    assert (key, value) == ("market.start", "2026-01-09T19:00:00Z")
    assert engine.load("weekend-gap", {key: value}).engine.schedule.times[0].hour == 19


def test_overrides_do_not_touch_the_loaded_file() -> None:
    data = {"gap": {"size": -0.2}}
    assert apply_overrides(data, {"gap.size": -0.5, "run.seeds": 3}) == {
        "gap": {"size": -0.5},
        "run": {"seeds": 3},
    }
    assert data == {"gap": {"size": -0.2}}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"gap.sise": 0.1}, "gap.sise: unknown key (known: distribution, size, mean, stdev, df)"),
        ({"nonsense": 1}, "nonsense: unknown key"),
        ({"gap.size": "big"}, "gap.size: expected a number, got 'big'"),
        ({"traders.count": 2.5}, "traders.count: expected a whole number, got 2.5"),
        ({"venue.end_rule": "pray"}, "venue.end_rule: expected one of adl, socialised, freeze, got 'pray'"),
        ({"variants.architectures": "vault,amm"}, "variants.architectures[1]: expected one of"),
        ({"gap": 3}, "gap: expected a table of keys, got 3"),
        ({"gap.size.x": 1}, "gap.size: is a value, not a table"),
        ({"venue.funding": "maybe"}, "venue.funding: expected true or false"),
        ({"gap.size": -1.5}, "gap: a gap must leave a positive price"),
        ({"traders.leverage_max": 20.0}, "traders.leverage_max 20.0 is above 1 / venue.initial_margin"),
        ({"venue.maintenance_margin": 0.2}, "venue: need 0 < maintenance <= initial <= 1"),
        ({"book.levels": 0}, "book: need makers >= 0, levels >= 1"),
        (
            {"market.start": "tomorrow"},
            "market: start 'tomorrow' is not an ISO time like 2026-01-09T20:00:00Z",
        ),
        ({"market.step": 5}, "market.step must be at least onchain.block_time"),
        (
            {"market.calendar": "always-open"},
            "weekend-gap: market.start must be an open time followed by a close",
        ),
    ],
)
def test_a_bad_key_or_value_is_one_line_naming_it(overrides: dict[str, object], expected: str) -> None:
    assert expected in error("weekend-gap", **overrides)


def test_unknown_and_unimplemented_scenarios_say_what_is_runnable(tmp_path: Path) -> None:
    assert error("weekend-gaps") == (
        "unknown scenario 'weekend-gaps' (runnable: correlated-crash, gas-spike, liquidity-withdrawal, "
        "oracle-manipulation, stuck-hedge, weekend-gap, weekend-gap-fat-tails)"
    )
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ndescription = "a dream"\nengine = "dream"\n')
    assert error(str(path)) == "mine.toml: engine 'dream' is not implemented yet"


@pytest.mark.parametrize("text", ["gap.size", "=3", "gap..size=1", "gap.size"])
def test_a_malformed_set_is_one_line(text: str) -> None:
    with pytest.raises(ScenarioError, match=r"--set .*expected key=value"):
        parse_override(text)


def test_a_scenario_file_of_your_own_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ndescription = "a crypto-style 30% gap"\nengine = "weekend-gap"\n[gap]\nsize = -0.3\n'
    )
    scenario = engine.load(str(path))
    assert (scenario.name, scenario.config.gap.size) == ("mine", -0.3)
    path.write_text('name = "mine"\nengine = "weekend-gap"\n')
    assert error(str(path)) == "mine.toml: description: required (a non-empty string)"
    path.write_text('name = "mine"\ndescription = "x"\nengine = "stuck-hedge"\n')
    assert error(str(path)) == "mine.toml: engine 'stuck-hedge' is not implemented yet"
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_text("name = ", "bad.toml")
