"""EWMA volatility: recovers a GBM's sigma, holds its floor, annualises irregular intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.pricing.volatility import SECONDS_PER_YEAR, EwmaVolatility


def _gbm(sigma: float, times: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt_years = np.diff(times) / SECONDS_PER_YEAR
    steps = rng.normal(-0.5 * sigma**2 * dt_years, sigma * np.sqrt(dt_years))
    return 3000.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_gbm_sigma(seed: int) -> None:
    times = np.arange(5_000) * 12.0  # 12-second blocks
    vol = EwmaVolatility(half_life_seconds=12.0 * 500, floor=0.0)
    for t, price in zip(times, _gbm(0.6, times, seed), strict=True):
        vol.observe("WETH", float(price), float(t))
    assert vol.sigma("WETH") == pytest.approx(0.6, rel=0.15)
    assert vol.returns_seen("WETH") == 4_999


def test_irregular_intervals_are_annualised() -> None:
    """Random gaps from 1 s to 1 h: each return is scaled by its own interval, so sigma still comes out."""
    rng = np.random.default_rng(11)
    times = np.concatenate([[0.0], np.cumsum(rng.uniform(1.0, 3_600.0, 4_000))])
    vol = EwmaVolatility(half_life_seconds=float(times[-1]) / 8, floor=0.0)
    for t, price in zip(times, _gbm(0.45, times, 5), strict=True):
        vol.update({"WBTC": float(price)}, float(t))
    assert vol.sigma("WBTC") == pytest.approx(0.45, rel=0.15)


def test_one_return_is_annualised_exactly() -> None:
    vol = EwmaVolatility(half_life_seconds=600, floor=0.0)
    vol.observe("X", 100.0, 0.0)
    vol.observe("X", 101.0, 3_600.0)  # one hour: sigma = |ln 1.01| / sqrt(1 h in years)
    expected = abs(math.log(1.01)) / math.sqrt(3_600 / SECONDS_PER_YEAR)
    assert vol.sigma("X") == pytest.approx(expected, rel=1e-12)


def test_long_gap_weighs_like_the_intervals_it_replaces() -> None:
    """One 1-hour interval moves the EWMA as much as sixty 1-minute ones with the same variance rate."""
    one, many = EwmaVolatility(1_800, floor=0.0), EwmaVolatility(1_800, floor=0.0)
    for vol in (one, many):
        vol.observe("X", 1.0, 0.0)
        vol.observe("X", math.exp(0.001), 60.0)  # a shared first return
    rate = 0.02  # log-return per sqrt-hour
    one.observe("X", math.exp(0.001 + rate), 3_660.0)
    price = math.exp(0.001)
    for minute in range(1, 61):
        price *= math.exp(rate / math.sqrt(60) * (-1) ** minute)  # same variance per unit time
        many.observe("X", price, 60.0 + 60.0 * minute)
    assert one.sigma("X") == pytest.approx(many.sigma("X"), rel=1e-9)


def test_floor_holds_for_a_flat_series_and_before_data() -> None:
    vol = EwmaVolatility(half_life_seconds=3_600, floor=0.2, floors={"DAI": 0.02})
    assert vol.sigma("WETH") == 0.2  # nothing seen yet
    for t in range(100):
        vol.update({"WETH": 3000.0, "DAI": 1.0}, t * 12.0)
    assert vol.raw_sigma("WETH") == 0.0
    assert vol.sigma("WETH") == 0.2
    assert vol.sigma("DAI") == 0.02


def test_same_timestamp_keeps_the_anchor() -> None:
    vol = EwmaVolatility(half_life_seconds=600, floor=0.0)
    vol.observe("X", 100.0, 0.0)
    vol.observe("X", 105.0, 0.0)  # the same block seen again: ignored
    vol.observe("X", 101.0, 3_600.0)
    expected = abs(math.log(1.01)) / math.sqrt(3_600 / SECONDS_PER_YEAR)
    assert vol.sigma("X") == pytest.approx(expected, rel=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="half_life_seconds"):
        EwmaVolatility(half_life_seconds=0)
    with pytest.raises(ValueError, match="positive"):
        EwmaVolatility().observe("X", -1.0, 0.0)
