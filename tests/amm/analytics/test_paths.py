"""Price paths: seeding, model moments, the fee band, CSV loading, volatility estimation, Swap events."""

import math
from pathlib import Path

import numpy as np
import pytest

from amm.analytics.paths import (
    SECONDS_PER_YEAR,
    PathModel,
    PriceDataError,
    PriceSeries,
    apply_fee_band,
    estimate_volatility,
    gbm_paths,
    iter_paths,
    load_price_csv,
    simulate_paths,
    swaps_to_series,
)

Q96 = 2**96


def test_paths_reproducible_and_independent_of_chunking() -> None:
    model = PathModel("merton", sigma=0.5, jump_intensity=20.0, jump_mean=-0.01, jump_std=0.03)
    a = simulate_paths(model, 100.0, 0.1, 200, 7, seed=42)
    b = simulate_paths(model, 100.0, 0.1, 200, 7, seed=42)
    np.testing.assert_array_equal(a, b)
    chunks = np.concatenate(list(iter_paths(model, 100.0, 0.1, 200, 7, seed=42, chunk_paths=3)))
    np.testing.assert_array_equal(a, chunks)
    c = simulate_paths(model, 100.0, 0.1, 200, 7, seed=43)
    assert not np.array_equal(a, c)
    assert a.shape == (7, 201) and a.dtype == np.float64 and np.all(a[:, 0] == pytest.approx(100.0))


@pytest.mark.parametrize(
    "model",
    [
        PathModel("gbm", sigma=0.6),
        PathModel("student_t", sigma=0.6, dof=4.0),
        PathModel("merton", sigma=0.4, jump_intensity=50.0, jump_mean=0.0, jump_std=0.05),
    ],
)
def test_log_return_variance_matches_model(model: PathModel) -> None:
    horizon, steps, n = 1.0, 1000, 400
    paths = simulate_paths(model, 1.0, horizon, steps, n, seed=3)
    r = np.diff(np.log(paths), axis=1)
    dt = horizon / steps
    total_var = model.sigma**2 + model.jump_intensity * (model.jump_mean**2 + model.jump_std**2)
    # per-path realized variance rate; SE over paths
    rv = (r**2).sum(axis=1) / horizon
    se = rv.std(ddof=1) / math.sqrt(n)
    assert abs(rv.mean() - total_var) < 4 * se + 0.01 * total_var * dt
    if model.kind == "student_t":
        kurt = ((r - r.mean()) ** 4).mean() / r.var() ** 2
        assert kurt > 4.0  # fat tails (a t with 4 dof has infinite kurtosis; normal has 3)


def test_gbm_is_a_martingale_in_price() -> None:
    paths = gbm_paths(100.0, 0.8, 1.0, 4, 5000, seed=5)
    final = paths[:, -1]
    assert abs(final.mean() - 100.0) < 4 * final.std(ddof=1) / math.sqrt(final.size)


def test_fee_band_keeps_pool_within_band_and_moves_only_when_needed() -> None:
    ref = gbm_paths(100.0, 0.8, 0.01, 3000, 2, seed=9)
    fee = 0.003
    for pool in (apply_fee_band(ref, fee), np.vstack([apply_fee_band(r, fee) for r in ref])):
        assert np.all(pool >= ref * (1 - fee) * (1 - 1e-15)) and np.all(pool <= ref / (1 - fee) * (1 + 1e-15))
        moved = np.diff(pool, axis=1) != 0
        # a move always ends exactly on a band edge
        ends = pool[:, 1:][moved]
        r = ref[:, 1:][moved]
        assert np.all(
            np.isclose(ends, r * (1 - fee), rtol=1e-15) | np.isclose(ends, r / (1 - fee), rtol=1e-15)
        )
        assert 0.1 < moved.mean() < 0.95
    many = gbm_paths(100.0, 0.8, 0.01, 300, 12, seed=9)  # the vectorised branch
    np.testing.assert_allclose(apply_fee_band(many, fee), np.vstack([apply_fee_band(r, fee) for r in many]))
    np.testing.assert_array_equal(apply_fee_band(ref, 0.0), ref)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "prices.csv"
    p.write_text(text)
    return p


def test_load_price_csv_unix_and_iso(tmp_path: Path) -> None:
    s = load_price_csv(
        _write(tmp_path, "timestamp,price\n1700000000,2000.5\n1700000060,2001\n\n1700000120,1999\n")
    )
    np.testing.assert_array_equal(s.prices, [2000.5, 2001.0, 1999.0])
    assert s.interval_seconds == 60.0
    s2 = load_price_csv(_write(tmp_path, "Date,Close\n2024-01-01T00:00:00Z,1\n2024-01-01T00:01:00+00:00,2\n"))
    assert s2.timestamps[1] - s2.timestamps[0] == 60.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("when,what\n1,2\n3,4\n", "no time column"),
        ("timestamp,price\n1,2000\n2,abc\n", r"prices.csv:3: bad price 'abc'"),
        ("timestamp,price\n1,2000\n2,-5\n", r":3: price must be > 0"),
        ("timestamp,price\n1,2000\n1,2001\n", r":3: timestamps must strictly increase"),
        ("timestamp,price\n1,2000\n", "at least 2 price rows"),
        ("timestamp,price\n2024-01-01T00:00:00,5\n2024-01-01T00:01:00,6\n", "no timezone"),
        ("timestamp,price\n1,nan\n2,3\n", r":2: non-finite"),
        ("timestamp,price\n1\n", r":2: expected at least 2 columns"),
    ],
)
def test_load_price_csv_errors_are_clear(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PriceDataError, match=message):
        load_price_csv(_write(tmp_path, text))


def test_load_price_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PriceDataError, match="no such file"):
        load_price_csv(tmp_path / "nope.csv")


def test_estimate_volatility_recovers_sigma_regular_and_irregular() -> None:
    sigma = 0.7
    path = gbm_paths(100.0, sigma, 30 / 365, 43200, 1, seed=21)[0]  # minute steps
    est = estimate_volatility(path, interval_seconds=60.0)
    assert abs(est.sigma - sigma) < 4 * est.stderr and est.stderr < 0.01
    assert est.n_returns == 43200 and est.interval_seconds == 60.0
    # irregular sampling: keep a random subset of the minute grid
    rng = np.random.default_rng(1)
    keep = np.sort(np.concatenate([[0], rng.choice(np.arange(1, path.size), 8000, replace=False)]))
    est2 = estimate_volatility(path[keep], timestamps=keep * 60.0)
    assert abs(est2.sigma - sigma) < 4 * est2.stderr
    with pytest.raises(ValueError, match="timestamps or interval"):
        estimate_volatility(path)


def test_estimate_volatility_stderr_widens_with_fat_tails() -> None:
    n = 20000
    gauss = simulate_paths(PathModel("gbm", 0.6), 1.0, 1.0, n, 1, seed=2)[0]
    fat = simulate_paths(PathModel("student_t", 0.6, dof=3.0), 1.0, 1.0, n, 1, seed=2)[0]
    dt = SECONDS_PER_YEAR / n
    e_g = estimate_volatility(gauss, interval_seconds=dt)
    e_f = estimate_volatility(fat, interval_seconds=dt)
    assert e_g.stderr == pytest.approx(e_g.sigma / math.sqrt(2 * n), rel=0.1)  # Gaussian delta-method SE
    assert e_f.stderr > 2 * e_g.stderr


def _swap(ts: int, price_raw: float, a0: int, a1: int, log_index: int = 0) -> dict:
    return {
        "timestamp": ts,
        "sqrt_price_x96": int(math.sqrt(price_raw) * Q96),
        "amount0": a0,
        "amount1": a1,
        "log_index": log_index,
    }


def test_swaps_to_series_prices_volumes_and_resampling() -> None:
    # USDC(6)/WETH(18) pool: raw price 2.5e8 wei/unit = 2.5e-4 WETH per USDC
    events = [
        _swap(120, 2.6e8, 10**6, -(10**14), log_index=1),
        _swap(0, 2.5e8, 0, 0),
        _swap(120, 2.7e8, -(2 * 10**6), 3 * 10**14, log_index=2),
        _swap(200, 2.4e8, 5 * 10**6, -(10**15)),
    ]
    s = swaps_to_series(events, 6, 18)
    np.testing.assert_allclose(s.prices, [2.5e-4, 2.6e-4, 2.7e-4, 2.4e-4], rtol=1e-12)
    np.testing.assert_allclose(s.volume0, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(s.volume1, [1e-4, 3e-4, 1e-3])
    assert np.all(np.diff(s.timestamps) > 0)  # same-block swaps keep their order
    r = s.resample(100.0)
    np.testing.assert_allclose(r.timestamps, [0.0, 100.0, 200.0])
    np.testing.assert_allclose(r.prices, [2.5e-4, 2.5e-4, 2.4e-4], rtol=1e-12)
    np.testing.assert_allclose(r.volume0, [0.0, 8.0])
    assert r.volume0.sum() == pytest.approx(s.volume0.sum())


def test_price_series_cache_round_trip(tmp_path: Path) -> None:
    s = PriceSeries(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]), None, np.array([5.0, 6.0]))
    s.save(tmp_path / "c.npz")
    t = PriceSeries.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(t.prices, s.prices)
    np.testing.assert_array_equal(t.volume1, s.volume1)
    assert t.volume0 is None
