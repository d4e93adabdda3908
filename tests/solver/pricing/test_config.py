"""PricingConfig: defaults, TOML round trip, CLI overrides, and one-line refusals of bad values."""

from __future__ import annotations

import pytest

from solver.pricing.config import PricingConfig, PricingConfigError, load_config, with_overrides


def test_defaults_are_sane() -> None:
    c = PricingConfig()
    assert c.numeraire == "USDC" and c.hubs == ("WETH",) and c.fair_value_source == "pools"
    assert c.gamma > 0 and c.k > 0 and c.A > 0 and c.vol_floor == 0.20
    assert c.floor_for("USDC") == 0.0  # the numeraire does not move against itself
    assert c.floor_for("dai") == 0.02
    assert c.floor_for("WETH") == 0.20


def test_toml_round_trip(tmp_path) -> None:
    custom = PricingConfig(
        gamma=0.3,
        k=1500.0,
        hubs=("WETH", "USDT"),
        skew_model="glft",
        vol_floors={"DAI": 0.01, "WEIRD-SYM": 0.05},
        gas_units_per_fill=200_000,
        fair_value_source='https://prices.example/v1?x="y"',
    )
    path = tmp_path / "pricing.toml"
    path.write_text(custom.to_toml())
    assert PricingConfig.from_toml(path) == custom
    assert load_config(path) == custom


def test_toml_top_level_keys_and_partial_files(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("gamma = 0.5\nmin_edge_bps = 3\n")
    c = load_config(path)
    assert c.gamma == 0.5 and c.min_edge_bps == 3.0 and isinstance(c.min_edge_bps, float)
    assert c.k == PricingConfig().k  # the rest keeps its defaults


def test_overrides_after_the_file(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[pricing]\ngamma = 0.5\nk = 1000.0\n")
    c = load_config(
        path, {"gamma": "0.7", "min-edge-bps": 2, "k": None, "hubs": "WETH,DAI", "vol_floors": "DAI=0.03"}
    )
    assert c.gamma == 0.7  # CLI beats file
    assert c.k == 1000.0  # None means "flag not given"
    assert c.min_edge_bps == 2.0
    assert c.hubs == ("WETH", "DAI")
    assert c.vol_floors == {"DAI": 0.03}
    assert with_overrides(c, {}) == c


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"gamma": -1}, "gamma must be positive"),
        ({"k": 0}, "k must be positive"),
        ({"A": float("nan")}, "A must be positive"),
        ({"vol_floor": -0.1}, "vol_floor"),
        ({"min_edge_bps": -1}, "min_edge_bps"),
        ({"skew_model": "magic"}, "skew_model is one of"),
        ({"gamma": "lots"}, "gamma: 'lots' is not a valid float"),
        ({"gas_units_per_fill": 1.5}, "gas_units_per_fill"),
        ({"gama": 1}, "unknown pricing setting 'gama'"),
        ({"vol_floors": {"DAI": -1}}, "vol_floors.DAI"),
    ],
)
def test_bad_values_are_refused_in_one_line(overrides: dict, message: str) -> None:
    with pytest.raises(PricingConfigError, match=message) as e:
        with_overrides(PricingConfig(), overrides)
    assert "\n" not in str(e.value)


def test_bad_files_are_one_line(tmp_path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("gamma = = 1\n")
    for path, message in ((broken, "not valid TOML"), (tmp_path / "missing.toml", "cannot read")):
        with pytest.raises(PricingConfigError, match=message) as e:
            load_config(path)
        assert "\n" not in str(e.value)
    negative = tmp_path / "negative.toml"
    negative.write_text("[pricing]\ngamma = -0.1\n")
    with pytest.raises(PricingConfigError, match="gamma must be positive"):
        load_config(negative)
