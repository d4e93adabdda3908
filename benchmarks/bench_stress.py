"""Stress scenarios: venue paths per second on one core and on a local process pool, and how a sweep's time
grows with its grid.

    .venv/bin/python benchmarks/bench_stress.py                 # weekend-gap, 8 seeds, grids of 1, 2, 4 cells
    .venv/bin/python benchmarks/bench_stress.py --seeds 4 --workers 2
    .venv/bin/python benchmarks/bench_stress.py --scenario correlated-crash --grid-axis shock.eth_drop

A "path" is one venue variant over one seed's market path (the weekend-gap default: 30 traders, about 80
venue steps from Friday 15:00 to Monday 10:00 New York). Same seeds in every mode; the rows are checked
equal between the one-core run, the pool and a local Ray cluster (when Ray is installed), so the speed-up
is for the same answer.
"""

from __future__ import annotations

import argparse
import os
import time

from solver.stress import engine
from solver.stress.sweep import sweep

GRID_VALUES = {
    "gap.size": [-0.1, -0.2, -0.3, -0.4],
    "shock.eth_drop": [-0.1, -0.2, -0.3, -0.4],
    "shock.gas_multiplier": [1, 10, 30, 100],
    "shock.withdraw_share": [0.0, 0.3, 0.6, 0.9],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="weekend-gap")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--grid-axis", default="gap.size", choices=sorted(GRID_VALUES))
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    scenario = engine.load(args.scenario)

    started = time.perf_counter()
    one = engine.run(scenario, seeds)
    single = time.perf_counter() - started
    paths = len(
        {tuple(r.get(k) for k in ("seed", *scenario.engine.variant_keys) if k != "book") for r in one.rows}
    )
    print(f"{args.scenario}: {paths // len(seeds)} variants x {len(seeds)} seeds = {paths} paths")
    print(f"  one core      : {single:7.2f} s  {paths / single:7.1f} paths/s")

    started = time.perf_counter()
    pooled = sweep(args.scenario, {"run.first_seed": [0]}, seeds=seeds, workers=args.workers)
    pool = time.perf_counter() - started
    rows = [{k: v for k, v in r.items() if k not in ("cell", "run.first_seed")} for r in pooled.rows]
    assert rows == one.rows, "the pool's rows differ from the one-core run"
    rate = paths / pool
    print(f"  {args.workers} processes : {pool:7.2f} s  {rate:7.1f} paths/s (same rows, pool start included)")

    try:
        import ray  # noqa: F401, PLC0415 - the optional cluster extra
    except ImportError:
        print("  Ray: not installed (pip install '.[cluster]'), not measured")
    else:
        started = time.perf_counter()
        on_ray = sweep(args.scenario, {"run.first_seed": [0]}, seeds=seeds, ray_address="local")
        elapsed = time.perf_counter() - started
        ray_rows = [{k: v for k, v in r.items() if k not in ("cell", "run.first_seed")} for r in on_ray.rows]
        assert ray_rows == one.rows, "Ray's rows differ from the one-core run"
        print(f"  local Ray     : {elapsed:7.2f} s  {paths / elapsed:7.1f} paths/s (same rows, Ray start in)")

    print(f"  sweep over {args.grid_axis} on {args.workers} processes:")
    for cells in (1, 2, 4):
        started = time.perf_counter()
        sweep(
            args.scenario,
            {args.grid_axis: GRID_VALUES[args.grid_axis][:cells]},
            seeds=seeds,
            workers=args.workers,
        )
        seconds = time.perf_counter() - started
        print(f"    {cells} cell(s): {seconds:7.2f} s  {seconds / cells:6.2f} s per cell")


if __name__ == "__main__":
    main()
