"""The range engine against the plain per-step loop, and the properties its results must have."""

import json
import math

import numpy as np
import pytest

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.lvr import realized_lvr_v3
from amm.analytics.paths import (
    PathModel,
    apply_fee_band,
    estimate_volatility,
    gbm_paths,
    iter_paths,
    load_price_csv,
    simulate_paths,
)
from amm.analytics.position import impermanent_loss
from amm.analytics.ranges import (
    METRICS,
    RangeEngine,
    RangeSpec,
    analyze_ranges,
    explicit_ranges,
    price_to_tick,
    range_grid,
    snap_range,
)
from amm.analytics.reference import naive_path_metrics

RTOL = 1e-9  # engine vs loop: same arithmetic up to summation order


def _ranges(p0: float) -> list[RangeSpec]:
    return [
        *range_grid(p0, [0.002, 0.01, 0.03, 0.1, 0.5], centres=[0.97, 1.0, 1.03]),
        RangeSpec(0.0, math.inf, "full"),
        RangeSpec(p0 * 0.95, math.inf, "above"),
        RangeSpec(0.0, p0 * 1.01, "below"),
        RangeSpec(p0 * 1.2, p0 * 1.3, "never reached"),
    ]


def _profile(p0: float) -> LiquidityProfile:
    edges = p0 * np.array([0.7, 0.9, 0.98, 0.995, 1.0, 1.004, 1.02, 1.1, 1.4])
    return LiquidityProfile(edges, np.array([50.0, 200.0, 900.0, 3000.0, 2500.0, 800.0, 100.0, 10.0]))


def _assert_close(fast: dict, slow: dict, scale: float) -> None:
    for m in METRICS:
        np.testing.assert_allclose(fast[m], slow[m], rtol=RTOL, atol=RTOL * scale, err_msg=m)


@pytest.mark.parametrize("path_is", ["reference", "pool"])
@pytest.mark.parametrize("with_noise", [False, True])
def test_engine_equals_per_step_loop(path_is: str, with_noise: bool) -> None:
    p0, capital, fee = 2000.0, 10_000.0, 0.003
    model = PathModel("merton", 1.2, jump_intensity=500, jump_std=0.01)
    paths = simulate_paths(model, p0, 20 / 365, 600, 3, seed=17)
    ranges = _ranges(p0)
    profile = _profile(p0) if with_noise else None
    noise = np.random.default_rng(0).uniform(0, 3000.0, 600) if with_noise else None
    engine = RangeEngine(
        ranges, fee=fee, capital=capital, profile=profile, path_is=path_is, protocol_fee_share=0.25
    )
    for path in paths:
        fast = engine.path_metrics(path, noise)
        slow = naive_path_metrics(
            path,
            ranges,
            fee=fee,
            capital=capital,
            profile=profile,
            noise_volume=noise,
            path_is=path_is,
            protocol_fee_share=0.25,
        )
        _assert_close(fast, slow, capital)
        assert np.any(fast["fees_arb"] > 0) and np.any(fast["time_in_range"] < 1)
        if with_noise:
            assert np.any(fast["fees_noise"] > 0)


def test_engine_equals_loop_with_time_weights() -> None:
    p0 = 100.0
    path = gbm_paths(p0, 1.0, 0.01, 400, 1, seed=3)[0]
    weights = np.random.default_rng(2).exponential(12.0, 400)  # irregular step durations
    ranges = _ranges(p0)
    engine = RangeEngine(ranges, fee=0.0005, capital=1000.0, path_is="pool")
    fast = engine.path_metrics(path, time_weights=weights)
    slow = naive_path_metrics(path, ranges, fee=0.0005, capital=1000.0, path_is="pool", time_weights=weights)
    _assert_close(fast, slow, 1000.0)
    unweighted = engine.path_metrics(path)["time_in_range"]
    assert not np.allclose(fast["time_in_range"][:-1], unweighted[:-1])


def test_engine_equals_loop_when_path_sits_on_edges() -> None:
    # prices exactly on range bounds and profile edges exercise the [lower, upper) convention
    edges = [100.0, 101.0, 102.0, 104.0]
    path = np.array([101.0, 102.0, 100.0, 104.0, 101.0, 101.0, 103.0, 99.0, 102.0])
    ranges = explicit_ranges([(100.0, 102.0), (101.0, 104.0), (102.0, 104.0), (99.5, 101.0)])
    profile = LiquidityProfile(np.array(edges), np.array([10.0, 0.0, 30.0]))
    for path_is in ("pool", "reference"):
        engine = RangeEngine(ranges, fee=0.01, capital=100.0, profile=profile, path_is=path_is)
        fast = engine.path_metrics(path, np.full(path.size - 1, 50.0))
        slow = naive_path_metrics(
            path, ranges, fee=0.01, capital=100.0, profile=profile, noise_volume=50.0, path_is=path_is
        )
        _assert_close(fast, slow, 100.0)


def test_full_range_metrics_match_position_formulas() -> None:
    p0 = 50.0
    path = gbm_paths(p0, 0.9, 0.05, 500, 1, seed=4)[0]
    engine = RangeEngine([RangeSpec(0.0, math.inf)], fee=0.0, capital=1000.0, path_is="pool")
    m = engine.path_metrics(path)
    liq = 1000.0 / (2 * math.sqrt(p0))
    assert m["il"][0] == pytest.approx(float(impermanent_loss(path[-1], p0, 0.0, math.inf)), rel=1e-10)
    assert m["lvr"][0] == pytest.approx(float(realized_lvr_v3(path, liq, 0.0, math.inf)), rel=1e-9)
    assert m["fees"][0] == 0.0 and m["time_in_range"][0] == 1.0
    # fee 0 and the pool on the path: P&L against rebalancing is exactly −LVR
    assert m["pnl_vs_rebalancing"][0] == pytest.approx(-m["lvr"][0], rel=1e-9)


def test_arb_fees_follow_fee_band_pool_not_reference() -> None:
    p0, fee = 100.0, 0.003
    ref = gbm_paths(p0, 0.8, 0.01, 2000, 1, seed=8)[0]
    band = RangeEngine([RangeSpec(90.0, 110.0)], fee=fee, capital=1000.0, path_is="reference").path_metrics(
        ref
    )
    on_pool = RangeEngine([RangeSpec(90.0, 110.0)], fee=fee, capital=1000.0, path_is="pool")
    pool_path = on_pool.path_metrics(apply_fee_band(ref, fee))
    naive_flow = on_pool.path_metrics(ref)
    # same token amounts; only the final price that values token0 fees differs (by at most the band)
    assert band["fees_arb"][0] == pytest.approx(pool_path["fees_arb"][0], rel=fee)
    assert band["fees_arb"][0] != pool_path["fees_arb"][0]
    assert band["fees_arb"][0] < 0.8 * naive_flow["fees_arb"][0]  # the band removes sub-fee wiggles


def test_analyze_ranges_ranks_serialises_and_chunks() -> None:
    p0 = 2000.0
    model = PathModel("gbm", 0.7)
    paths = simulate_paths(model, p0, 7 / 365, 300, 24, seed=1)
    ranges = _ranges(p0)
    kwargs = dict(
        fee=0.0005,
        capital=5000.0,
        profile=_profile(p0),
        noise_volume=400.0,
        step_years=7 / 365 / 300,
        sigma=0.7,
        keep_samples=True,
    )
    res = analyze_ranges(paths, ranges, rank_by="pnl_vs_hodl", **kwargs)
    chunked = analyze_ranges(iter_paths(model, p0, 7 / 365, 300, 24, seed=1, chunk_paths=5), ranges, **kwargs)
    threaded = analyze_ranges(paths, ranges, workers=2, **kwargs)
    for other in (chunked, threaded):
        for m in METRICS:
            np.testing.assert_allclose(other.samples[m], res.samples[m], rtol=1e-12)
    keys = [r.metrics["pnl_vs_hodl"].mean for r in res.results]
    assert keys == sorted(keys, reverse=True) and [r.rank for r in res.results] == list(
        range(1, len(ranges) + 1)
    )
    by_lvr = analyze_ranges(paths, ranges, rank_by="lvr", rank_stat="p95", **kwargs)
    lv = [r.metrics["lvr"].p95 for r in by_lvr.results]
    assert lv == sorted(lv)
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["results"][0]["metrics"]["fees"]["n"] == 24
    full = next(r for r in res.results if r.label == "full")
    assert full.capital_efficiency == pytest.approx(1.0) and full.to_dict()["upper"] is None
    st = res.results[0].metrics["fees"]
    assert st.p5 <= st.p50 <= st.p95 and st.stderr > 0
    assert res.n_paths == 24 and res.n_steps == 300 and res.samples["fees"].shape == (24, len(ranges))


def test_analyze_ranges_monte_carlo_agrees_with_closed_forms() -> None:
    p0, sigma, horizon, steps = 2000.0, 0.8, 14 / 365, 2000
    paths = gbm_paths(p0, sigma, horizon, steps, 300, seed=5)
    ranges = range_grid(p0, [0.03, 0.1, 0.3])
    res = analyze_ranges(
        paths, ranges, fee=0.0005, capital=1e4, path_is="pool", step_years=horizon / steps, sigma=sigma
    )
    for r in res.results:
        for metric, key in (("lvr", "lvr_expected_gbm"), ("time_in_range", "time_in_range_expected_gbm")):
            st, expected = r.metrics[metric], r.closed_form[key]
            assert abs(st.mean - expected) < 4 * st.stderr + 0.01 * abs(expected), (r.label, metric)


def test_noise_fee_share_uses_profile() -> None:
    # a constant path inside one profile interval: fee = f·v·L/(L + L_other) per step, half in each token
    p0, capital, fee, vol, steps = 100.0, 1000.0, 0.003, 500.0, 10
    profile = LiquidityProfile(np.array([90.0, 110.0]), np.array([300.0]))
    spec = RangeSpec(95.0, 105.0)
    m = RangeEngine([spec], fee=fee, capital=capital, profile=profile).path_metrics(
        np.full(steps + 1, p0), vol
    )
    liq = capital / (2 * math.sqrt(p0) - p0 / math.sqrt(105.0) - math.sqrt(95.0))
    assert m["fees_noise"][0] == pytest.approx(fee * vol * steps * liq / (liq + 300.0), rel=1e-12)
    assert m["fees_arb"][0] == 0.0 and m["il"][0] == 0.0


def test_range_grid_snaps_to_ticks() -> None:
    p0 = 1 / 3000  # USDC/WETH-like human price
    grid = range_grid(p0, [0.01, 0.05], centres=[1.0, 1.1], tick_spacing=10, decimals0=6, decimals1=18)
    for r in grid:
        for bound in (r.lower, r.upper):
            t = price_to_tick(bound, 6, 18)
            assert abs(t - round(t)) < 1e-6 and round(t) % 10 == 0
        assert r.lower <= r.upper
    lo, hi = snap_range(100.0, 100.0001, 60)
    assert hi > lo


def test_engine_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="no ranges"):
        RangeEngine([], fee=0.003, capital=1.0)
    with pytest.raises(ValueError, match="rank_by"):
        analyze_ranges(np.ones((1, 3)), [RangeSpec(0.5, 2.0)], fee=0.003, capital=1.0, rank_by="apr")
    with pytest.raises(ValueError, match="same price"):
        analyze_ranges(np.array([[1.0, 1.1], [1.2, 1.1]]), [RangeSpec(0.5, 2.0)], fee=0.003, capital=1.0)
    with pytest.raises(ValueError, match="LiquidityProfile"):
        analyze_ranges(np.ones((1, 3)), [RangeSpec(0.5, 2.0)], fee=0.003, capital=1.0, noise_volume=5.0)
    with pytest.raises(ValueError, match="does not fit"):
        analyze_ranges(
            np.ones((2, 4)), [RangeSpec(0.5, 2.0)], fee=0.003, capital=1.0, noise_volume=np.ones(5)
        )


def test_historical_series_end_to_end(tmp_path) -> None:
    """CSV history → volatility → range analysis on the pool's own path with its per-step volume."""
    path = gbm_paths(1500.0, 0.7, 3 / 365, 4320, 1, seed=30)[0]
    csv = tmp_path / "h.csv"
    csv.write_text("timestamp,price\n" + "".join(f"{60 * i},{float(p)!r}\n" for i, p in enumerate(path)))
    series = load_price_csv(csv)
    vol = estimate_volatility(series.prices, timestamps=series.timestamps)
    assert abs(vol.sigma - 0.7) < 4 * vol.stderr
    ranges = range_grid(series.prices[0], [0.01, 0.05])
    res = analyze_ranges(
        series.prices.tolist(),
        ranges,
        fee=0.003,
        capital=1e4,
        path_is="pool",
        profile=LiquidityProfile.constant(0.0),
        noise_volume=np.full(series.prices.size - 1, 100.0),
        keep_samples=True,
    )
    alone = LiquidityProfile.constant(0.0)
    direct = RangeEngine(ranges, fee=0.003, capital=1e4, path_is="pool", profile=alone).path_metrics(
        path, 100.0
    )
    for m in METRICS:
        np.testing.assert_allclose(res.samples[m][0], direct[m], rtol=1e-12)
    assert res.n_paths == 1 and math.isnan(res.results[0].metrics["fees"].stderr)
    assert json.loads(json.dumps(res.to_dict()))["results"][0]["metrics"]["fees"]["stderr"] is None
