"""The books scenarios' market path: the shocks land exactly where and as large as configured, the random
part is the seed's alone (common random numbers across variants), and the tables type-check their keys."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.stress.config import ScenarioError, build
from solver.stress.market import MarketConfig, ShockConfig, base_log_paths, market_steps
from solver.stress.paths import JumpDiffusion

QUIET = MarketConfig(horizon=3600, step=60, eth=JumpDiffusion(0.0), btc=JumpDiffusion(0.0))


def at(steps: list, time_s: float) -> dict[str, float]:
    return next(s.prices for s in steps if s.time_s == time_s)


def test_the_crash_hits_exactly_eth_drop_at_the_end_of_its_window() -> None:
    shock = ShockConfig(eth_drop=-0.30, start=600, duration=1200, btc_beta=0.8, btc_lag=300)
    steps = market_steps(QUIET, seed=3, shock=shock)
    assert len(steps) == 61 and steps[-1].time_s == 3600
    assert at(steps, 0) == {"USDC": 1.0, "WETH": 3000.0, "WBTC": 90_000.0}
    assert at(steps, 600)["WETH"] == 3000.0  # not started
    assert math.isclose(at(steps, 1200)["WETH"], 3000 * 0.7**0.5, rel_tol=1e-12)  # halfway, in log
    assert math.isclose(at(steps, 1800)["WETH"], 2100.0, rel_tol=1e-12)  # the window's end: exactly -30%
    assert math.isclose(at(steps, 3600)["WETH"], 2100.0, rel_tol=1e-12)  # and it stays there
    # BTC: 0.8 of ETH's log move, five minutes late
    assert at(steps, 900)["WBTC"] == 90_000.0
    assert math.isclose(at(steps, 2100)["WBTC"], 90_000 * 0.7**0.8, rel_tol=1e-12)
    assert math.isclose(at(steps, 1500)["WBTC"], 90_000 * 0.7**0.4, rel_tol=1e-12)
    assert all(s.prices["USDC"] == 1.0 for s in steps)


def test_hedge_outage_gas_spike_and_withdrawal_follow_their_clocks() -> None:
    shock = ShockConfig(
        hedge_closed_from=600,
        hedge_closed_for=1200,
        gas_gwei=20.0,
        gas_multiplier=10.0,
        gas_from=900,
        withdraw_share=0.9,
        withdraw_at=1800,
    )
    steps = market_steps(QUIET, seed=0, shock=shock)
    closed = [s.time_s for s in steps if not s.hedge_open]
    assert closed[0] == 600 and closed[-1] == 1740 and len(closed) == 20
    assert {s.gas_gwei for s in steps if s.time_s < 900} == {20.0}
    assert {s.gas_gwei for s in steps if s.time_s >= 900} == {200.0}
    assert steps[-1].gas_price_wei == 200 * 10**9
    assert {s.liquidity_share for s in steps if s.time_s < 1800} == {1.0}
    assert {round(s.liquidity_share, 12) for s in steps if s.time_s >= 1800} == {0.1}


def test_the_random_path_is_the_seeds_and_the_same_under_any_shock() -> None:
    config = MarketConfig(horizon=7200, step=120)
    a = market_steps(config, seed=11)
    assert a == market_steps(config, seed=11)
    assert [s.prices for s in a] != [s.prices for s in market_steps(config, seed=12)]
    gas_only = market_steps(config, seed=11, shock=ShockConfig(gas_multiplier=100.0, hedge_closed_for=600))
    assert [s.prices for s in gas_only] == [s.prices for s in a]
    # a crash is an overlay: the ratio to the quiet path is the crash's own move, whatever the noise
    crashed = market_steps(config, seed=11, shock=ShockConfig(eth_drop=-0.2, start=0, duration=0))
    for quiet, hit in zip(a[1:], crashed[1:], strict=True):
        assert math.isclose(hit.prices["WETH"] / quiet.prices["WETH"], 0.8, rel_tol=1e-12)


def test_eth_and_btc_returns_carry_the_configured_correlation() -> None:
    config = MarketConfig(
        horizon=60 * 20_000, step=60, eth=JumpDiffusion(0.6), btc=JumpDiffusion(0.45), correlation=0.8
    )
    logs = base_log_paths(config, seed=5)
    eth, btc = np.diff(logs["WETH"]), np.diff(logs["WBTC"])
    assert abs(np.corrcoef(eth, btc)[0, 1] - 0.8) < 0.02
    per_year = 365 * 24 * 60
    assert abs(eth.std() * math.sqrt(per_year) - 0.6) < 0.02
    assert abs(btc.std() * math.sqrt(per_year) - 0.45) < 0.02


def test_the_tables_check_their_keys() -> None:
    config = build(MarketConfig, {"prices": {"WETH": 2500}, "eth": {"vol": 0.9, "jump_rate": 5}, "step": 30})
    assert config.prices.WETH == 2500.0 and config.eth.vol == 0.9 and config.step == 30
    with pytest.raises(ScenarioError, match=r"prices\.ETH: unknown key"):
        build(MarketConfig, {"prices": {"ETH": 2500}})
    with pytest.raises(ScenarioError, match="multiple of step"):
        build(MarketConfig, {"horizon": 1000, "step": 60})
    with pytest.raises(ScenarioError, match="eth_drop"):
        build(ShockConfig, {"eth_drop": -1.0})
