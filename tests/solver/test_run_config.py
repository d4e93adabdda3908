"""`solver.run_config`: one TOML file for `solver run`; flags over file over defaults; one-line errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from solver import cli_run
from solver.pricing.config import PricingConfig
from solver.risk.hedging import HedgeRule
from solver.risk.kill import KillSwitch
from solver.risk.limits import RiskLimits, RiskState
from solver.run_config import DEFAULT_FUNDING, RunConfig, RunConfigError, load_run_config

FILE = """
[pricing]
gamma = 0.3
min_edge_bps = 4
skew_model = "glft"

[pricing.vol_floors]
DAI = 0.05

[risk]
max_notional = 25000
max_loss = 1000
max_hedge_slippage_bps = 30

[risk.max_inventory]
WBTC = 500000000

[risk.max_inventory_value]
"*" = 2000000

[hedging]
kind = "continuous"
fraction = 0.5

[inventory]
band_share = 0.25

[inventory.funding]
WETH = 10
usdc = 50000
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "solver.toml"
    path.write_text(text)
    return path


def test_defaults_are_todays_run() -> None:
    config = load_run_config()
    assert config == RunConfig()
    assert config.pricing == PricingConfig() and config.risk == RiskLimits() and config.hedging is None
    assert config.inventory.funding == DEFAULT_FUNDING and config.inventory.band_share == 0.5
    assert config.decision_limits().max_notional_per_fill is None
    assert config.to_dict()["hedging"] == {"kind": "off"}


def test_file_then_flags(tmp_path: Path) -> None:
    path = _file(tmp_path, FILE)
    config = load_run_config(path)
    assert config.pricing.gamma == 0.3 and config.pricing.min_edge_bps == 4.0
    assert config.pricing.skew_model == "glft" and config.pricing.vol_floors == {"DAI": 0.05}
    assert config.risk.max_fill_notional == 25_000 and config.risk.max_loss == 1_000
    assert config.risk.max_hedge_slippage_bps == 30
    assert config.hedging == HedgeRule(kind="continuous", fraction=0.5)
    assert config.inventory.funding == {"WETH": 10, "USDC": 50_000} and config.inventory.band_share == 0.25
    limits = config.decision_limits()
    assert limits.max_notional_per_fill == 25_000
    assert limits.max_inventory == {"WBTC": 5 * 10**8} and limits.max_inventory_value == {"*": 2e6}

    flags = {
        "pricing": {"gamma": 0.05, "min-edge-bps": None},  # None: flag not given, the file stands
        "risk": {"max_fill_notional": 100.0, "max_loss": None},
        "hedging": {"kind": "threshold"},
    }
    overridden = load_run_config(path, flags)
    assert overridden.pricing.gamma == 0.05 and overridden.pricing.min_edge_bps == 4.0
    assert overridden.risk.max_fill_notional == 100.0 and overridden.risk.max_loss == 1_000
    assert overridden.hedging == HedgeRule(kind="threshold", fraction=0.5)  # the file's other keys stay
    assert load_run_config(path, {"hedging": {"kind": "off"}}).hedging is None


def test_hedging_off_in_the_file_can_be_turned_on_by_the_flag(tmp_path: Path) -> None:
    path = _file(tmp_path, '[hedging]\nkind = "off"\nto = "band_edge"\n')
    assert load_run_config(path).hedging is None
    assert load_run_config(path, {"hedging": {"kind": "threshold"}}).hedging == HedgeRule(to="band_edge")


def test_effective_config_round_trips_through_its_dict(tmp_path: Path) -> None:
    config = load_run_config(_file(tmp_path, FILE), {"pricing": {"gamma": 0.07}})
    tables = config.to_dict()
    again = load_run_config(None, {k: v for k, v in tables.items()})
    assert again == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pricing\n", "is not valid TOML"),
        ("[prcing]\ngamma = 1\n", "unknown table [prcing]"),
        ("pricing = 3\n", "[pricing] must be a table"),
        ("[pricing]\ngamma = -1\n", "pricing setting gamma must be positive"),
        ('[pricing]\ngamma = "lots"\n', "pricing setting gamma"),
        ("[pricing]\ngama = 1\n", "unknown pricing setting 'gama'"),
        ("[risk]\nmax_loss = 0\n", "risk setting max_loss must be positive"),
        ('[risk]\nmax_notional = "x"\n', "risk setting max_fill_notional: 'x' is not a number"),
        ("[risk]\nmax_notional = 1\nmax_fill_notional = 2\n", "given twice"),
        ("[risk.max_inventory]\nWETH = 1.5\n", "max_inventory.WETH: 1.5 is not a whole number"),
        ('[hedging]\nkind = "sometimes"\n', "hedge setting kind is one of threshold, continuous, off"),
        ("[hedging]\nfraction = 2\n", "hedge setting fraction is in (0, 1]"),
        ("[inventory]\nband_share = 3\n", "inventory setting band_share is in [0, 2]"),
        ("[inventory]\nbands = 3\n", "unknown inventory setting 'bands'"),
        ("[inventory.funding]\nPEPE = 3\n", "funding.PEPE: unknown token"),
        ("[inventory.funding]\nWETH = -3\n", "funding.WETH must be >= 0"),
        ('[inventory.funding]\nWETH = "a lot"\n', "funding.WETH: 'a lot' is not a number"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RunConfigError) as error:
        load_run_config(_file(tmp_path, text))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_missing_file_and_bad_flags_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(RunConfigError, match="cannot read config"):
        load_run_config(tmp_path / "nope.toml")
    with pytest.raises(RunConfigError, match="risk setting max_loss must be positive"):
        load_run_config(None, {"risk": {"max_loss": -5.0}})
    with pytest.raises(RunConfigError, match="unknown config table"):
        load_run_config(None, {"pricingg": {}})


class _Pnl:
    def __init__(self, total: str) -> None:
        self.total = Decimal(total)


class _Solver:
    def __init__(self, total: str) -> None:
        self.pnl = _Pnl(total)


def test_max_loss_trips_the_kill_switch_with_its_reason() -> None:
    kill = KillSwitch()
    state = RiskState(RiskLimits(max_loss=100.0), kill=kill)
    cli_run._check_loss(_Solver("-99.99"), state, kill)
    assert kill.tripped is None
    cli_run._check_loss(_Solver("-100.5"), state, kill)
    assert kill.tripped is not None and kill.tripped.startswith("max_loss")
    unlimited = KillSwitch()
    cli_run._check_loss(_Solver("-1e9"), RiskState(RiskLimits(), kill=unlimited), unlimited)
    assert unlimited.tripped is None
