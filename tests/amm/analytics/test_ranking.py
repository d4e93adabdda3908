"""Rankings that are not noise: common random numbers, paired differences to the best, ties, idle ranges;
and the block model (fixed or Poisson) shared by the paths and the LVR-with-fees figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.lvr import arbitrage_simulated, arbitrage_with_fees
from amm.analytics.paths import PathModel, iter_paths, simulate_paths
from amm.analytics.ranges import TIE_Z, RangeSpec, analyze_ranges, range_grid

P0 = 2000.0


def _study(seed: int, ranges: list[RangeSpec], **kwargs: object):
    paths = simulate_paths(PathModel("gbm", 0.6), P0, 7 / 365, 400, 60, seed=seed)
    return analyze_ranges(
        paths,
        ranges,
        fee=0.003,
        capital=10_000.0,
        profile=LiquidityProfile.constant(2e5),
        noise_volume=2_000.0,
        keep_samples=True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_differences_to_the_best_are_paired_and_their_stderr_is_what_the_samples_give() -> None:
    ranges = [*range_grid(P0, [0.02, 0.1, 0.5]), RangeSpec(0.0, math.inf, "full")]
    res = _study(3, ranges)
    s = res.samples["pnl_vs_rebalancing"]  # columns in input order
    labels = [r.label for r in ranges]
    best = labels.index(res.best.label)
    for r in res.results:
        k = labels.index(r.label)
        diff = s[:, k] - s[:, best]
        assert r.vs_best == pytest.approx(diff.mean(), rel=1e-12, abs=1e-12)
        if r is not res.best:
            assert r.vs_best <= 0  # nothing beats the best on average
            assert r.vs_best_stderr == pytest.approx(diff.std(ddof=1) / math.sqrt(s.shape[0]), rel=1e-12)
            assert r.tied == (abs(r.vs_best) <= TIE_Z * r.vs_best_stderr)
            # the same paths for every range: the paired error is below the unpaired one
            unpaired = math.hypot(
                r.metrics["pnl_vs_rebalancing"].stderr, res.best.metrics["pnl_vs_rebalancing"].stderr
            )
            assert r.vs_best_stderr < unpaired


def test_a_range_listed_twice_is_tied_with_itself_not_ranked_by_noise() -> None:
    ranges = [RangeSpec(P0 / 1.05, P0 * 1.05, "a"), RangeSpec(P0 / 1.05, P0 * 1.05 * (1 + 1e-12), "a again")]
    res = _study(1, ranges)
    assert res.results[1].tied and res.to_dict()["tied_with_best"] == [res.results[1].label]


def test_a_range_that_never_trades_is_never_best() -> None:
    """Far above the price it earns and loses nothing: that 0 beats every losing range, yet it ranks last."""
    far = RangeSpec(P0 * 10, P0 * 11, "10x above")
    ranges = [*range_grid(P0, [0.01, 0.05]), far]
    res = _study(2, ranges)
    idle = next(r for r in res.results if r.label == "10x above")
    assert idle.metrics["pnl_vs_rebalancing"].mean == pytest.approx(0.0, abs=1e-9) and not idle.trades
    assert all(r.metrics["pnl_vs_rebalancing"].mean < 0 for r in res.results if r.trades)  # 0 would win
    assert res.best.trades and res.results[-1] is idle and not idle.tied


def test_default_ranking_is_pnl_against_rebalancing() -> None:
    res = _study(0, range_grid(P0, [0.05]))
    assert res.rank_by == "pnl_vs_rebalancing"


def test_poisson_blocks_have_exponential_gaps_with_the_block_time_as_mean() -> None:
    """Log returns over Poisson blocks: variance σ²·E[Δt] per block, and fatter tails than fixed blocks."""
    sigma, horizon, n = 0.8, 30 / 365, 20_000
    (fixed,) = iter_paths(PathModel("gbm", sigma), 1.0, horizon, n, 1, seed=4)
    (poisson,) = iter_paths(PathModel("gbm", sigma), 1.0, horizon, n, 1, seed=4, blocks="poisson")
    for path in (fixed, poisson):
        r = np.diff(np.log(path))
        assert np.var(r) == pytest.approx(sigma**2 * horizon / n, rel=0.05)
    kurt = [
        float(np.mean(r**4) / np.mean(r**2) ** 2) for r in (np.diff(np.log(fixed)), np.diff(np.log(poisson)))
    ]
    assert kurt[0] == pytest.approx(3.0, abs=0.2) and kurt[1] == pytest.approx(
        6.0, abs=0.8
    )  # normal vs mixture
    with pytest.raises(ValueError, match="blocks"):
        next(iter_paths(PathModel("gbm", sigma), 1.0, horizon, 10, 1, seed=4, blocks="weekly"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("fee", "block_time"), [(0.0005, 12.0), (0.003, 900.0), (0.0001, 900.0)])
def test_simulated_poisson_arbitrage_matches_the_closed_form(fee: float, block_time: float) -> None:
    """The simulation used for fixed blocks, run with Poisson blocks, reproduces [MMR23]'s closed form."""
    closed = arbitrage_with_fees(0.6, fee, block_time)
    sim = arbitrage_simulated(0.6, fee, block_time, blocks="poisson")
    assert sim.p_trade == pytest.approx(closed.p_trade, rel=0.01)
    assert sim.arb_fraction == pytest.approx(closed.arb_fraction, rel=0.02)
    assert sim.fee_recovery == pytest.approx(closed.fee_recovery, rel=0.02)
    fixed = arbitrage_simulated(0.6, fee, block_time, blocks="fixed")
    assert fixed.p_trade > closed.p_trade  # fixed gaps: no short blocks that find the price inside the band
