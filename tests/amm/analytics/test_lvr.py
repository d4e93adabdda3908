"""LVR closed forms against realized LVR on simulated paths, and the fee/discrete-block model (MMR 2023).

Monte Carlo checks assert |MC mean − closed form| < K·SE, with SE the sample standard error of the MC
mean and K = 4 (a correct formula fails about once in 16,000 runs; seeds are fixed so runs are repeatable),
plus a relative bound so that a large SE cannot hide a wrong formula.
"""

import math

import numpy as np
import pytest

from amm.analytics.lvr import (
    SECONDS_PER_YEAR,
    arb_rate_fast_blocks,
    arbitrage_with_fees,
    expected_lvr_constant_product,
    expected_lvr_v3,
    expected_time_in_range,
    fee_log_band,
    lvr_rate,
    lvr_rate_constant_product,
    lvr_rate_v3,
    probability_of_trade,
    realized_lvr,
    realized_lvr_v3,
)
from amm.analytics.paths import gbm_paths
from amm.analytics.position import holdings0, value

K_SE = 4.0


def _assert_mc(samples: np.ndarray, expected: float, rel: float) -> None:
    mean = float(samples.mean())
    se = float(samples.std(ddof=1) / math.sqrt(samples.size))
    assert abs(mean - expected) < K_SE * se, (
        f"MC {mean} vs closed form {expected}: {abs(mean - expected) / se:.1f} SE"
    )
    assert abs(mean - expected) < rel * abs(expected), f"MC {mean} vs closed form {expected}"


def test_general_formula_matches_specialisations() -> None:
    sigma, liq, pa, pb = 0.7, 3.0, 80.0, 125.0
    p = np.array([85.0, 100.0, 120.0])
    h = 1e-6 * p
    dxdp = (holdings0(p + h, liq, pa, pb) - holdings0(p - h, liq, pa, pb)) / (2 * h)
    np.testing.assert_allclose(lvr_rate(sigma, p, dxdp), lvr_rate_v3(sigma, p, liq, pa, pb), rtol=1e-6)
    full = lvr_rate_v3(sigma, p, liq, 0.0, math.inf)
    np.testing.assert_allclose(
        full, lvr_rate_constant_product(sigma, value(p, liq, 0.0, math.inf)), rtol=1e-12
    )
    assert lvr_rate_v3(sigma, 79.0, liq, pa, pb) == 0.0
    assert lvr_rate_v3(sigma, 125.0, liq, pa, pb) == 0.0


def test_realized_lvr_constant_product_matches_closed_form() -> None:
    sigma, horizon, p0, liq = 1.0, 0.25, 2000.0, 10.0
    paths = gbm_paths(p0, sigma, horizon, 500, 2000, seed=11)
    realized = realized_lvr_v3(paths, liq, 0.0, math.inf)
    expected = expected_lvr_constant_product(sigma, horizon, liq, p0)
    assert expected == pytest.approx(2 * liq * math.sqrt(p0) * (1 - math.exp(-(sigma**2) * horizon / 8)))
    _assert_mc(realized, expected, rel=0.02)


def test_realized_lvr_v3_range_matches_closed_form() -> None:
    sigma, horizon, p0, liq, pa, pb = 0.8, 30 / 365, 2000.0, 50.0, 1800.0, 2250.0
    paths = gbm_paths(p0, sigma, horizon, 2000, 1500, seed=12)
    realized = realized_lvr_v3(paths, liq, pa, pb)
    expected = float(expected_lvr_v3(sigma, horizon, liq, p0, pa=pa, pb=pb)[0])
    _assert_mc(realized, expected, rel=0.03)
    # time in range: the discrete fraction of start-of-step prices in [pa, pb)
    inside = ((paths[:, :-1] >= pa) & (paths[:, :-1] < pb)).mean(axis=1)
    _assert_mc(inside, float(expected_time_in_range(sigma, horizon, p0, pa, pb)[0]), rel=0.03)


def test_expected_lvr_v3_reduces_to_constant_product_and_zero() -> None:
    sigma, horizon, p0, liq = 0.9, 0.5, 50.0, 4.0
    full = expected_lvr_v3(sigma, horizon, liq, p0, pa=0.0, pb=math.inf)[0]
    assert full == pytest.approx(expected_lvr_constant_product(sigma, horizon, liq, p0), rel=1e-7)
    with_drift = expected_lvr_v3(sigma, horizon, liq, p0, pa=0.0, pb=math.inf, drift=0.3)[0]
    assert with_drift == pytest.approx(
        expected_lvr_constant_product(sigma, horizon, liq, p0, drift=0.3), rel=1e-7
    )
    # a range far away is never reached
    assert expected_lvr_v3(sigma, 1 / 365, liq, p0, pa=500.0, pb=600.0)[0] < 1e-12


def test_realized_lvr_cumulative_ends_at_total() -> None:
    paths = gbm_paths(100.0, 0.5, 0.1, 50, 3, seed=1)
    x, v = holdings0(paths, 2.0, 90.0, 110.0), value(paths, 2.0, 90.0, 110.0)
    cum = realized_lvr(paths, x, v, cumulative=True)
    np.testing.assert_allclose(cum[:, -1], realized_lvr(paths, x, v), rtol=1e-12)
    assert cum.shape == (3, 50)


# --- MMR 2023 -----------------------------------------------------------------------------------------------


def test_probability_of_trade_formula_and_limits() -> None:
    sigma, dt = 0.8, 12.0
    eta = math.sqrt(2 * SECONDS_PER_YEAR / dt) / sigma
    gamma = fee_log_band(0.003)
    assert probability_of_trade(sigma, 0.003, dt) == pytest.approx(1 / (1 + eta * gamma))
    assert probability_of_trade(sigma, 0.0, dt) == 1.0
    # Δt → 0 with the fee fixed: P_trade → 0 (not 1); Δt → ∞: P_trade → 1
    assert probability_of_trade(sigma, 0.003, 1e-3) < 0.02
    assert probability_of_trade(sigma, 0.003, 1e7) > 0.9
    ps = [probability_of_trade(sigma, 0.0005, dt) for dt in (0.25, 2, 12, 120, 600)]
    assert ps == sorted(ps)


def test_arbitrage_with_fees_limits() -> None:
    sigma = 0.8
    free = arbitrage_with_fees(sigma, 0.0, 12.0)
    lam = SECONDS_PER_YEAR / 12.0
    assert free.fee_rate == 0.0 and free.p_trade == 1.0
    assert free.arb_fraction == pytest.approx(1 / (1 - sigma**2 / (8 * lam)))
    fast = arbitrage_with_fees(sigma, 0.003, 0.001)  # 1 ms blocks
    assert fast.arb_fraction == pytest.approx(fast.p_trade, rel=0.01)
    assert fast.fee_recovery == pytest.approx(1.0, abs=0.02)
    # fees never recover more than the frictionless LVR plus what arbitrage adds at slow blocks
    slow = arbitrage_with_fees(sigma, 0.003, 600.0)
    assert slow.arb_fraction > fast.arb_fraction and slow.fee_recovery < fast.fee_recovery
    np.testing.assert_allclose(
        arb_rate_fast_blocks(fast.lvr_rate, sigma, 0.003, 0.001), fast.p_trade * fast.lvr_rate
    )


@pytest.mark.parametrize(
    ("sigma", "fee", "dt"),
    [
        (0.8, 0.0003, 12.0),  # P_trade ≈ 0.54: the fee band matters
        (3.0, 0.003, 7 * 86400.0),  # slow blocks: the 1/(1 − σ²/(8λ)) correction is 2%
    ],
)
def test_arbitrage_with_fees_matches_simulation_of_the_model(sigma: float, fee: float, dt: float) -> None:
    """Simulate the paper's model with a real constant-product pool (reserves, fee on input).

    Driftless log price, Poisson blocks; each arriving arbitrageur trades the pool to the band edge. The
    profit and fee of every trade come from reserve arithmetic, not from the closed form.
    """
    rng = np.random.default_rng(7)
    chains, blocks, burn = 4000, 1500, 200
    gamma = fee_log_band(fee)
    x = np.zeros(chains)  # log market price
    y = rng.uniform(-gamma, gamma, chains)  # log pool price
    trades = np.zeros(chains)
    profit = np.zeros(chains)
    fees = np.zeros(chains)
    time = np.zeros(chains)
    for b in range(blocks):
        tau = rng.exponential(dt / SECONDS_PER_YEAR, chains)
        x += sigma * np.sqrt(tau) * rng.standard_normal(chains)
        z = x - y
        up, dn = z > gamma, z < -gamma
        y_new = np.where(up, x - gamma, np.where(dn, x + gamma, y))
        r0, r1 = np.exp(-y / 2), np.exp(y / 2)  # reserves, L = 1
        n0, n1 = np.exp(-y_new / 2), np.exp(y_new / 2)
        price = np.exp(x)
        # up: arbitrageur pays (n1 − r1)/(1 − f) token1, receives r0 − n0 token0
        p_up = (r0 - n0) * price - (n1 - r1) / (1 - fee)
        f_up = (n1 - r1) * fee / (1 - fee)
        # down: pays (n0 − r0)/(1 − f) token0, receives r1 − n1 token1
        p_dn = (r1 - n1) - (n0 - r0) / (1 - fee) * price
        f_dn = (n0 - r0) * fee / (1 - fee) * price
        norm = np.sqrt(price)  # per unit of L·√P
        if b >= burn:
            trades += up | dn
            profit += np.where(up, p_up, 0.0) / norm + np.where(dn, p_dn, 0.0) / norm
            fees += np.where(up, f_up, 0.0) / norm + np.where(dn, f_dn, 0.0) / norm
            time += tau
        y = y_new
    model = arbitrage_with_fees(sigma, fee, dt)
    _assert_mc(trades / (blocks - burn), model.p_trade, rel=0.01)
    total_time = time.sum()
    # rates per chain, weighted by time: compare the ratio estimator with a per-chain SE
    arb_rate = profit.sum() / total_time
    arb_se = (profit / time).std(ddof=1) / math.sqrt(chains)
    assert abs(arb_rate - model.arb_rate) < K_SE * arb_se and abs(arb_rate / model.arb_rate - 1) < 0.03
    fee_rate = fees.sum() / total_time
    fee_se = (fees / time).std(ddof=1) / math.sqrt(chains)
    assert abs(fee_rate - model.fee_rate) < K_SE * fee_se and abs(fee_rate / model.fee_rate - 1) < 0.03


def test_arbitrage_with_fees_rejects_too_slow_blocks() -> None:
    with pytest.raises(ValueError, match="infinite"):
        arbitrage_with_fees(sigma=1000.0, fee=0.003, block_time=SECONDS_PER_YEAR)
