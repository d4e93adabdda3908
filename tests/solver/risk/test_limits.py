"""Risk limits: fills allowed or refused for the right reason, max loss halts the run, bad settings fail in
one line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from solver.risk import (
    HALTED,
    KILLED,
    MAX_INVENTORY,
    MAX_INVENTORY_VALUE,
    MAX_NOTIONAL,
    KillSwitch,
    RiskConfigError,
    RiskLimits,
    RiskState,
    load_limits,
)

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
SYMBOLS = {WETH: "WETH", USDC: "USDC"}
DECIMALS = {WETH: 18, USDC: 6}


def _state(limits: RiskLimits, **kw) -> RiskState:
    return RiskState(limits, symbols=SYMBOLS, decimals=DECIMALS, numeraire=USDC, **kw)


def test_no_limits_allow_everything() -> None:
    assert _state(RiskLimits()).allows_fill(10**9, WETH, 10**30, {WETH: 10**30}) == (True, None)


def test_max_notional_per_fill() -> None:
    state = _state(RiskLimits(max_fill_notional=10_000))
    assert state.allows_fill(10_000, WETH, 3 * 10**18, {}) == (True, None)
    assert state.allows_fill(10_000.01, WETH, 3 * 10**18, {}) == (False, MAX_NOTIONAL)


def test_max_inventory_raw_by_symbol_or_address() -> None:
    for key in ("WETH", "weth", WETH.lower()):
        state = _state(RiskLimits(max_inventory={key: 100 * 10**18}))
        assert state.allows_fill(3000, WETH, 10**18, {WETH: 99 * 10**18}) == (True, None)
        assert state.allows_fill(3000, WETH, 10**18 + 1, {WETH: 99 * 10**18}) == (False, MAX_INVENTORY)
    # a limit on another token does not apply
    state = _state(RiskLimits(max_inventory={"USDC": 1}))
    assert state.allows_fill(3000, WETH, 10**18, {WETH: 10**24}) == (True, None)


def test_max_inventory_value_at_fair_value_or_implied_price() -> None:
    state = _state(RiskLimits(max_inventory_value={"*": 300_000}))
    # no fair value yet: the fill's own price (3,000 per WETH) values the position
    assert state.allows_fill(3000, WETH, 10**18, {WETH: 99 * 10**18}) == (True, None)
    assert state.allows_fill(3000, WETH, 10**18, {WETH: 100 * 10**18}) == (False, MAX_INVENTORY_VALUE)
    # at fair value 2,000 the same balance is worth 202,000: allowed
    state.update_fair_values({WETH: 2000.0, USDC: 1.0})
    assert state.allows_fill(3000, WETH, 10**18, {WETH: 100 * 10**18}) == (True, None)
    # the "*" default does not limit the numeraire itself
    assert state.allows_fill(10**6, USDC, 10**15, {USDC: 10**15}) == (True, None)


def test_max_loss_halts_and_stays_halted() -> None:
    state = _state(RiskLimits(max_loss=1_000))
    assert state.update_pnl(Decimal("-999.99")) is None
    assert state.allows_fill(100, WETH, 10**16, {}) == (True, None)
    reason = state.update_pnl(-1000)
    assert reason is not None and reason.startswith("max_loss") and state.halted == reason
    assert state.allows_fill(100, WETH, 10**16, {}) == (False, HALTED)
    state.update_pnl(5_000.0)  # recovered on paper: still halted
    assert state.halted == reason and state.worst_pnl == Decimal(-1000)


def test_kill_switch_refuses_fills_first() -> None:
    kill = KillSwitch()
    state = _state(RiskLimits(max_fill_notional=1), kill=kill)
    assert state.allows_fill(2, WETH, 1, {}) == (False, MAX_NOTIONAL)
    kill.trip("test")
    assert state.allows_fill(0.5, WETH, 1, {}) == (False, KILLED)


def test_record_fill_counts() -> None:
    state = _state(RiskLimits())
    state.record_fill(100)
    state.record_fill(Decimal("50.5"))
    assert (state.fills, state.notional) == (2, 150.5)


def test_from_dict_and_toml(tmp_path) -> None:
    limits = RiskLimits.from_dict(
        {
            "max-inventory": {"WETH": 100 * 10**18},
            "max_inventory_value": {"*": 1e6, "WBTC": 5e5},
            "max_fill_notional": 50_000,
            "max_loss": "2500",
            "max_hedge_slippage_bps": 30,
        }
    )
    assert limits.max_inventory == {"WETH": 100 * 10**18}
    assert limits.max_inventory_value == {"*": 1e6, "WBTC": 5e5}
    assert (limits.max_fill_notional, limits.max_loss, limits.max_hedge_slippage_bps) == (50_000, 2500, 30)
    path = tmp_path / "solver.toml"
    path.write_text(
        "[pricing]\ngamma = 0.2\n[risk]\nmax_loss = 100\n[risk.max_inventory]\nWBTC = 500000000\n"
    )
    loaded = load_limits(path, {"max-fill-notional": "20000", "max_loss": None})
    assert (loaded.max_loss, loaded.max_fill_notional, loaded.max_inventory) == (
        100,
        20_000,
        {"WBTC": 5 * 10**8},
    )
    assert load_limits(None, {"max_inventory": "WETH=10,USDC=5"}).max_inventory == {"WETH": 10, "USDC": 5}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"max_loss": -1}, "risk setting max_loss must be positive, got -1.0"),
        ({"max_loss": "lots"}, "risk setting max_loss: 'lots' is not a number"),
        ({"max_fill_notional": True}, "risk setting max_fill_notional: True is not a number"),
        (
            {"max_hedge_slippage_bps": 10_000},
            "risk setting max_hedge_slippage_bps is in [0, 10000), got 10000.0",
        ),
        ({"max_inventory": {"WETH": 1.5}}, "risk setting max_inventory.WETH: 1.5 is not a whole number"),
        ({"max_inventory": {"WETH": -1}}, "risk setting max_inventory.WETH is a raw amount >= 0, got -1"),
        ({"max_inventory": 5}, "risk setting max_inventory: 5 is not a table of token -> amount"),
        ({"max_inventory_value": {"*": 0}}, "risk setting max_inventory_value.* must be positive, got 0.0"),
        ({"max_los": 1}, "unknown risk setting 'max_los' (known: max_fill_notional, max_hedge_slippage_bps"),
    ],
)
def test_config_errors_are_one_line(table, message) -> None:
    with pytest.raises(RiskConfigError) as err:
        RiskLimits.from_dict(table)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_toml_errors(tmp_path) -> None:
    with pytest.raises(RiskConfigError, match="cannot read risk config"):
        RiskLimits.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[risk\n")
    with pytest.raises(RiskConfigError, match="is not valid TOML"):
        RiskLimits.from_toml(bad)
