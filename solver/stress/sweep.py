"""Sweeps: a scenario over a grid of overrides and seeds, on a local process pool, resumable.

Why tasks of (cell, seed): a task's rows depend only on the scenario, the cell's overrides and the seed
(every random draw comes from the seed), so tasks can run in any order on any worker and a sweep's table
equals running each cell alone with `run`. With `out`, each finished task is written to
`out/tasks/<id>.json` (atomically) as it completes; a rerun with the same `out` reads those and runs only
the rest, so an interrupted sweep resumes. The pool starts workers with forkserver (spawn where that is
missing) so a progress bar's thread is never forked.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from solver.stress.config import ScenarioError, parse_override
from solver.stress.engine import Scenario, load, summarise_engine, write_csv

Progress = Callable[[int, int], None]


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """['gap.size=-0.1,-0.2', 'venue.fund=1000,5000'] -> {'gap.size': [-0.1, -0.2], ...}: each value as a
    TOML value, else a bare string."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key.strip() or not values:
            raise ScenarioError(f"--grid {item!r}: expected key=v1,v2,... e.g. gap.size=-0.1,-0.2,-0.3")
        if key.strip() in grid:
            raise ScenarioError(f"--grid {item!r}: {key.strip()} is already a grid axis")
        grid[key.strip()] = [parse_override(f"{key}={v}")[1] for v in values]
    return grid


def cells(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination, the first axis varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def task_id(scenario: str, overrides: Mapping[str, Any], seed: int) -> str:
    key = json.dumps({"scenario": scenario, "overrides": dict(overrides), "seed": seed}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@lru_cache(maxsize=32)
def _scenario(scenario: str, overrides_json: str) -> Scenario:
    return load(scenario, json.loads(overrides_json))


def run_task(scenario: str, overrides: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """One seed of one cell: every variant's row (a worker's unit of work; top level so it pickles)."""
    rows, _ = _scenario(scenario, json.dumps(overrides, sort_keys=True)).engine.run_seed(seed)
    return rows


@dataclass
class SweepResult:
    scenario: str
    grid: dict[str, list[Any]]
    overrides: dict[str, Any]
    seeds: list[int]
    rows: list[dict[str, Any]]  # each with "cell" and the cell's keys before the scenario's columns
    summary: list[dict[str, Any]]
    ran: int  # tasks run now
    resumed: int  # tasks read back from `out`

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "grid": self.grid,
            "overrides": self.overrides,
            "seeds": {"count": len(self.seeds), "first": self.seeds[0] if self.seeds else None},
            "tasks": {"total": self.ran + self.resumed, "ran": self.ran, "resumed": self.resumed},
            "cells": self.summary,
        }


def _read_task(
    path: Path, scenario: str, overrides: Mapping[str, Any], seed: int
) -> list[dict[str, Any]] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (
        data.get("scenario") != scenario
        or data.get("overrides") != dict(overrides)
        or data.get("seed") != seed
    ):
        return None
    return data["rows"]


def _write_task(path: Path, scenario: str, overrides: Mapping[str, Any], seed: int, rows: list[Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"scenario": scenario, "overrides": dict(overrides), "seed": seed, "rows": rows})
    )
    os.replace(tmp, path)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_on_ray(
    address: str,
    scenario: str,
    tasks: list[tuple[int, dict[str, Any], int]],
    finished: Callable[[int, list[dict[str, Any]]], None],
) -> None:
    """The tasks as Ray remote calls of `run_task`, each result handed to `finished` as it arrives."""
    try:
        import ray  # noqa: PLC0415 - optional: pip install '.[cluster]'
    except ImportError:
        raise ScenarioError("--ray-address needs Ray: pip install '.[cluster]' (or ray)") from None
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        ray.init(**kwargs) if address == "local" else ray.init(address=address, **kwargs)
    try:
        remote = ray.remote(run_task)
        refs = {remote.remote(scenario, overrides, seed): n for n, overrides, seed in tasks}
        waiting = list(refs)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            for ref in done:
                finished(refs[ref], ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def sweep(
    scenario: str,
    grid: Mapping[str, Sequence[Any]],
    overrides: Mapping[str, Any] | None = None,
    seeds: Sequence[int] | None = None,
    out: Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    ray_address: str | None = None,
) -> SweepResult:
    """Run `scenario` with `overrides` for every cell of `grid` and every seed (default: the scenario's
    seeds). `workers`: processes (default: all cores; 1 runs in this process); `ray_address` ("auto",
    "local" for a cluster of this machine alone, or ray://host:port) runs the same tasks on Ray instead
    (the optional `cluster` extra), with the same seeds and so the same table. Writes tasks, results.csv and
    summary.json to `out` if given, resuming from tasks already there."""
    base = dict(overrides or {})
    grid = {k: list(v) for k, v in grid.items()}
    cell_list = cells(grid)
    for cell in cell_list:  # fail fast, in this process, on a bad key or value in any cell
        _scenario(scenario, json.dumps({**base, **cell}, sort_keys=True))
    loaded = load(scenario, base)
    name = loaded.name
    seed_list = list(loaded.seeds() if seeds is None else seeds)
    tasks = [(i, {**base, **cell}, seed) for i, cell in enumerate(cell_list) for seed in seed_list]
    results: dict[int, list[dict[str, Any]]] = {}
    task_dir = out / "tasks" if out else None
    if task_dir:
        task_dir.mkdir(parents=True, exist_ok=True)
        for n, (_, cell_overrides, seed) in enumerate(tasks):
            rows = _read_task(
                task_dir / f"{task_id(name, cell_overrides, seed)}.json", name, cell_overrides, seed
            )
            if rows is not None:
                results[n] = rows
    resumed = len(results)
    pending = [n for n in range(len(tasks)) if n not in results]

    def finished(n: int, rows: list[dict[str, Any]]) -> None:
        results[n] = rows
        if task_dir:
            _, cell_overrides, seed = tasks[n]
            _write_task(
                task_dir / f"{task_id(name, cell_overrides, seed)}.json", name, cell_overrides, seed, rows
            )
        if progress:
            progress(len(results), len(tasks))

    if progress:
        progress(len(results), len(tasks))
    workers = workers or os.cpu_count() or 1
    if ray_address is not None and pending:
        _run_on_ray(ray_address, scenario, [(n, tasks[n][1], tasks[n][2]) for n in pending], finished)
    elif workers == 1 or len(pending) <= 1:
        for n in pending:
            finished(n, run_task(scenario, tasks[n][1], tasks[n][2]))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=_context()) as pool:
            futures: dict[Future[list[dict[str, Any]]], int] = {
                pool.submit(run_task, scenario, tasks[n][1], tasks[n][2]): n for n in pending
            }
            try:
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: futures[f]):
                        finished(futures[future], future.result())
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    rows = [{"cell": i, **cell_list[i], **row} for n, (i, _, _) in enumerate(tasks) for row in results[n]]
    result = SweepResult(
        name,
        grid,
        base,
        seed_list,
        rows,
        summarise_engine(loaded.engine, rows, ("cell", *grid)),
        len(pending),
        resumed,
    )
    if out:
        write_csv(rows, out / "results.csv")
        (out / "summary.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result
