"""The scenario engine: load a scenario (shipped file or path, plus `--set` overrides), run it over seeds,
and summarise per variant. The CLI, the sweep and a notebook all go through `load` and `run`.

Why a registry of engines: a scenario file names its `engine`; several files can share one engine with
different numbers (a fixed gap, a fat-tailed gap), and a file whose engine is not built yet is never shown
as runnable.

An engine is a class with `config_cls` (the dataclass tree its TOML is read into), `variant_keys` (the row
columns that name a variant: the summary groups by them), `run_seed(seed, trace=False) -> (rows, traces)`
and optionally `summarise(rows, keys)`; without one, rows are books' reports (`solver.stress.books`) and
are summarised per variant and book.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solver.stress.books import summarise_books
from solver.stress.books_engine import Books
from solver.stress.config import ScenarioError, ScenarioFile, apply_overrides, build, load_file, shipped_files
from solver.stress.config import to_dict as config_dict
from solver.stress.oracle_manipulation import OracleManipulation
from solver.stress.weekend_gap import WeekendGap

ENGINES: dict[str, Any] = {
    "weekend-gap": WeekendGap,
    "oracle-manipulation": OracleManipulation,
    "books": Books,
}
Progress = Callable[[int, int], None]


@dataclass
class Scenario:
    """A loaded scenario: its file, the overrides applied, the typed config and the engine built on it."""

    file: ScenarioFile
    overrides: dict[str, Any]
    config: Any
    engine: Any

    @property
    def name(self) -> str:
        return self.file.name

    def seeds(self, count: int | None = None, first: int | None = None) -> list[int]:
        run = self.config.run
        start = run.first_seed if first is None else first
        return list(range(start, start + (run.seeds if count is None else count)))


def runnable() -> dict[str, ScenarioFile]:
    """Shipped scenarios whose engine exists, by name."""
    return {name: f for name, f in shipped_files().items() if f.engine in ENGINES}


def load(name: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario by shipped name (or a .toml path) with dotted-key overrides; ScenarioError if anything
    is wrong, naming the key."""
    file = load_file(name)
    if file.engine not in ENGINES:
        raise ScenarioError(f"{file.source}: engine {file.engine!r} is not implemented yet")
    overrides = dict(overrides or {})
    data = apply_overrides(file.data, overrides)
    engine_cls = ENGINES[file.engine]
    config = build(engine_cls.config_cls, data)
    try:
        engine = engine_cls(config)
    except ValueError as e:
        raise ScenarioError(f"{file.name}: {e}") from None
    return Scenario(file, overrides, config, engine)


@dataclass
class Result:
    """Rows (one per seed and variant), the per-variant summary, and one seed's step traces (for plots)."""

    scenario: str
    description: str
    seeds: list[int]
    overrides: dict[str, Any]
    config: dict[str, Any]
    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    traces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "description": self.description,
            "seeds": {"count": len(self.seeds), "first": self.seeds[0] if self.seeds else None},
            "overrides": self.overrides,
            "config": self.config,
            "variants": self.summary,
        }

    def write(self, out: Path) -> list[Path]:
        """results.csv (every row) and summary.json in `out`; returns the paths written."""
        out.mkdir(parents=True, exist_ok=True)
        written = [write_csv(self.rows, out / "results.csv"), out / "summary.json"]
        (out / "summary.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")
        if self.traces:
            written.append(out / "trace.json")
            (out / "trace.json").write_text(json.dumps(self.traces) + "\n")
        return written


def run(
    scenario: Scenario,
    seeds: Iterable[int] | None = None,
    progress: Progress | None = None,
    trace: bool = False,
) -> Result:
    """Run every variant over `seeds` (default: the scenario's `run.seeds` from `run.first_seed`); with
    `trace`, keep the first seed's step-by-step trace of every variant."""
    seed_list = list(scenario.seeds() if seeds is None else seeds)
    rows: list[dict[str, Any]] = []
    traces: dict[str, list[dict[str, Any]]] = {}
    for n, seed in enumerate(seed_list):
        seed_rows, seed_traces = scenario.engine.run_seed(seed, trace=trace and n == 0)
        rows.extend(seed_rows)
        traces.update(seed_traces)
        if progress:
            progress(n + 1, len(seed_list))
    return Result(
        scenario.name,
        scenario.file.description,
        seed_list,
        scenario.overrides,
        config_dict(scenario.config),
        rows,
        summarise_engine(scenario.engine, rows),
        traces,
    )


def summarise_engine(
    engine: Any, rows: list[dict[str, Any]], leading: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The summary of an engine's rows, grouped by `leading` keys (a sweep's cell) and its variant keys."""
    keys = (*leading, *engine.variant_keys)
    own = getattr(engine, "summarise", None)
    return own(rows, keys) if own is not None else summarise_books(rows, keys)


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """Rows as CSV with the union of their keys (first-seen order) as the header."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path
