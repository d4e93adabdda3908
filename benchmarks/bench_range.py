"""Range-analysis throughput: ranges × steps per second, against the plain per-step Python loop.

    .venv/bin/python benchmarks/bench_range.py            # 1,000 ranges × 525,600 minute steps (+ 100 paths)
    .venv/bin/python benchmarks/bench_range.py --quick    # a small run (seconds)

The engine time includes everything `analyze_ranges` does for the run (fee-band pool path, binning, every
range's metrics, percentiles, ranking); path generation is timed separately. The naive loop
(`amm.analytics.reference`) is far too slow for the full run, so it is timed on a subset of ranges and
steps in the same process and scaled linearly (its cost is exactly proportional to ranges × steps); both are
also checked to agree on that subset.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.paths import PathModel, simulate_paths
from amm.analytics.ranges import METRICS, RangeEngine, RangeSpec, analyze_ranges, range_grid
from amm.analytics.reference import naive_path_metrics

PRICE = 2000.0
SIGMA = 0.6
FEE = 0.0005
CAPITAL = 10_000.0
MINUTES_PER_YEAR = 525_600


def make_ranges(n: int) -> list[RangeSpec]:
    """``n`` ranges: n/10 widths (±0.2% .. ±100%) × 10 centres (0.8× .. 1.2× the price)."""
    n_centres = 10 if n >= 10 else 1
    widths = np.geomspace(0.002, 1.0, n // n_centres)
    centres = np.linspace(0.8, 1.2, n_centres) if n_centres > 1 else [1.0]
    ranges = range_grid(PRICE, widths, centres)
    assert len(ranges) == n, len(ranges)
    return ranges


def make_profile() -> LiquidityProfile:
    """A pool-like profile: 400 intervals of 0.5%, liquidity peaked at the price."""
    edges = PRICE * 1.005 ** np.arange(-200, 201)
    mid = np.sqrt(edges[:-1] * edges[1:])
    liq = 2e6 * np.exp(-0.5 * (np.log(mid / PRICE) / 0.08) ** 2) + 1e4
    return LiquidityProfile(edges, liq)


def rate(ranges: int, steps: int, paths: int, seconds: float) -> float:
    return ranges * steps * paths / seconds


def run_engine(
    paths: np.ndarray,
    ranges: list[RangeSpec],
    profile: LiquidityProfile,
    *,
    noise: float,
    workers: int,
    repeat: int,
) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = analyze_ranges(
            paths,
            ranges,
            fee=FEE,
            capital=CAPITAL,
            profile=profile,
            noise_volume=noise,
            step_years=1 / MINUTES_PER_YEAR,
            sigma=SIGMA,
            workers=workers,
        )
        best = min(best, time.perf_counter() - t0)
    assert len(res.results) == len(ranges)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small run: 100 ranges x 52,560 steps")
    ap.add_argument("--workers", type=int, default=2, help="threads over paths for the multi-path run")
    args = ap.parse_args()

    n_ranges = 100 if args.quick else 1000
    n_steps = 52_560 if args.quick else MINUTES_PER_YEAR
    multi_paths, multi_steps = (10, 5_256) if args.quick else (100, 52_560)
    naive_ranges, naive_steps = (5, 5_000) if args.quick else (10, 20_000)
    ranges = make_ranges(n_ranges)
    profile = make_profile()
    noise = 50e6 / 1440  # $50M a day of uninformed volume, per minute
    model = PathModel("gbm", SIGMA)
    print(
        f"cores: {os.cpu_count()}  numpy {np.__version__}  fee {FEE}  sigma {SIGMA}  capital {CAPITAL:,.0f}"
    )

    t0 = time.perf_counter()
    one = simulate_paths(model, PRICE, n_steps / MINUTES_PER_YEAR, n_steps, 1, seed=1)
    t_gen = time.perf_counter() - t0
    t_one = run_engine(one, ranges, profile, noise=noise, workers=1, repeat=2)
    r_one = rate(n_ranges, n_steps, 1, t_one)
    print(f"path generation: 1 x {n_steps:,} steps in {t_gen:.2f} s")
    print(
        f"engine  {n_ranges:,} ranges x {n_steps:,} steps x 1 path: {t_one:.2f} s "
        f"-> {r_one:.3g} range-steps/s (1 thread, best of 2)"
    )

    many = simulate_paths(model, PRICE, multi_steps / MINUTES_PER_YEAR, multi_steps, multi_paths, seed=2)
    t_many = run_engine(many, ranges, profile, noise=noise, workers=args.workers, repeat=1)
    r_many = rate(n_ranges, multi_steps, multi_paths, t_many)
    print(
        f"engine  {n_ranges:,} ranges x {multi_steps:,} steps x {multi_paths} paths: {t_many:.2f} s "
        f"-> {r_many:.3g} range-steps/s ({args.workers} threads)"
    )

    sub_ranges = ranges[:: max(1, n_ranges // naive_ranges)][:naive_ranges]
    sub_path = one[0, : naive_steps + 1]
    t0 = time.perf_counter()
    slow = naive_path_metrics(
        sub_path, sub_ranges, fee=FEE, capital=CAPITAL, profile=profile, noise_volume=noise
    )
    t_naive = time.perf_counter() - t0
    r_naive = rate(naive_ranges, naive_steps, 1, t_naive)
    fast = RangeEngine(sub_ranges, fee=FEE, capital=CAPITAL, profile=profile).path_metrics(
        sub_path, np.full(naive_steps, noise)
    )
    err = max(float(np.max(np.abs(fast[m] - slow[m]))) for m in METRICS) / CAPITAL
    print(
        f"naive   per-step Python loop on a subset, {naive_ranges} ranges x {naive_steps:,} steps: "
        f"{t_naive:.2f} s -> {r_naive:.3g} range-steps/s (engine agrees: max |diff| = {err:.1e} x capital)"
    )
    print(
        f"naive   scaled to {n_ranges:,} x {n_steps:,}: "
        f"~{n_ranges * n_steps / r_naive:,.0f} s (linear scaling)"
    )
    print(
        f"speed-up engine / naive: {r_one / r_naive:,.0f}x (1 path), "
        f"{r_many / r_naive:,.0f}x ({multi_paths} paths)"
    )
    if not args.quick:
        verdict = "PASS" if t_one < 10.0 else "FAIL"
        print(f"target: 1,000 ranges x 525,600 steps < 10 s on 2 cores: {t_one:.2f} s {verdict}")


if __name__ == "__main__":
    main()
