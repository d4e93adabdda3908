"""Sweeps: a process-pool sweep gives exactly the rows of running each cell alone, and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver import cli
from solver.stress import engine
from solver.stress.config import ScenarioError
from solver.stress.sweep import cells, parse_grid, sweep

BASE = {
    "traders.count": 5,
    "variants.mark_rules": ["oracle"],
    "variants.oracle_rules": ["freeze"],
    "variants.architectures": ["orderbook", "onchain"],
}
GRID = {"gap.size": [-0.1, -0.3], "venue.end_rule": ["adl", "socialised"]}
SEEDS = [3, 4]


def alone(cell: dict[str, object]) -> list[dict[str, object]]:
    return engine.run(engine.load("weekend-gap", {**BASE, **cell}), SEEDS).rows


def test_grid_parsing_and_cells() -> None:
    grid = parse_grid(["gap.size=-0.1,-0.2", "venue.end_rule=adl,socialised"])
    assert grid == {"gap.size": [-0.1, -0.2], "venue.end_rule": ["adl", "socialised"]}
    assert cells(grid)[:2] == [
        {"gap.size": -0.1, "venue.end_rule": "adl"},
        {"gap.size": -0.1, "venue.end_rule": "socialised"},
    ]
    for bad in (["gap.size"], ["gap.size="], ["gap.size=1", "gap.size=2"]):
        with pytest.raises(ScenarioError, match="--grid"):
            parse_grid(bad)


def test_a_pool_sweep_equals_each_cell_run_alone_and_resumes(tmp_path: Path) -> None:
    result = sweep("weekend-gap", GRID, BASE, SEEDS, out=tmp_path, workers=2)
    assert (result.ran, result.resumed) == (8, 0)
    for i, cell in enumerate(cells(GRID)):
        mine = [
            {k: v for k, v in r.items() if k not in ("cell", *GRID)} for r in result.rows if r["cell"] == i
        ]
        assert mine == alone(cell), cell
    assert len(list((tmp_path / "tasks").glob("*.json"))) == 8
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["tasks"] == {"total": 8, "ran": 8, "resumed": 0} and len(summary["cells"]) == 4 * 2

    # lose two tasks (an interrupted sweep) and rerun: only those run, the table is the same
    for path in sorted((tmp_path / "tasks").glob("*.json"))[:2]:
        path.unlink()
    again = sweep("weekend-gap", GRID, BASE, SEEDS, out=tmp_path, workers=1)
    assert (again.ran, again.resumed) == (2, 6)
    assert again.rows == result.rows and again.summary == result.summary


def test_a_task_file_from_another_question_is_not_reused(tmp_path: Path) -> None:
    sweep("weekend-gap", {"gap.size": [-0.2]}, BASE, [0], out=tmp_path, workers=1)
    (task,) = (tmp_path / "tasks").glob("*.json")
    data = json.loads(task.read_text())
    data["seed"] = 99  # a stale or foreign file under the same name
    task.write_text(json.dumps(data))
    assert sweep("weekend-gap", {"gap.size": [-0.2]}, BASE, [0], out=tmp_path, workers=1).ran == 1


def test_a_bad_cell_fails_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^venue.end_rule: expected one of"):
        sweep("weekend-gap", {"venue.end_rule": ["adl", "pray"]}, BASE, [0], out=tmp_path)
    assert not list((tmp_path / "tasks").glob("*.json"))


def test_sweep_cli_json_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "stress",
        "sweep",
        "weekend-gap",
        "--grid",
        "gap.size=-0.1,-0.3",
        "--seeds",
        "1",
        "--workers",
        "1",
    ]
    sets = [a for k, v in BASE.items() for a in ("--set", f"{k}={','.join(v) if isinstance(v, list) else v}")]
    result = runner.invoke(cli.app, [*args, *sets, "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["grid"] == {"gap.size": [-0.1, -0.3]} and data["tasks"]["total"] == 2
    assert [(c["gap.size"], c["architecture"]) for c in data["cells"]] == [
        (-0.1, "orderbook"),
        (-0.1, "onchain"),
        (-0.3, "orderbook"),
        (-0.3, "onchain"),
    ]
    bad = runner.invoke(cli.app, ["stress", "sweep", "weekend-gap", "--grid", "gap.sise=1,2"])
    assert bad.exit_code == 2 and bad.stderr.strip().startswith("error: gap.sise: unknown key")


def test_a_ray_sweep_gives_the_local_table(tmp_path: Path) -> None:
    """The same tasks on a local Ray cluster (started here, as `--ray-address local`) give the same rows as
    the process-free local run: same seeds, same table."""
    pytest.importorskip("ray")  # the `cluster` extra, which `make test` installs
    local = sweep("weekend-gap", GRID, BASE, SEEDS, workers=1)
    on_ray = sweep("weekend-gap", GRID, BASE, SEEDS, out=tmp_path, ray_address="local")
    assert on_ray.rows == local.rows and on_ray.summary == local.summary
    assert (tmp_path / "results.csv").is_file()


def test_sweep_heatmap_places_each_cells_figure_on_the_two_axes(tmp_path: Path) -> None:
    from solver.stress.plot import heatmap_cells, metric_value  # noqa: PLC0415

    result = sweep("weekend-gap", GRID, BASE, SEEDS, workers=1)
    orderbook = [c for c in result.summary if c["architecture"] == "orderbook"]
    cells_ = heatmap_cells(orderbook, result.grid, "bad_debt.mean")
    assert cells_.shape == (2, 2)  # rows: venue.end_rule; columns: gap.size
    for c in orderbook:
        i = GRID["venue.end_rule"].index(c["venue.end_rule"])
        j = GRID["gap.size"].index(c["gap.size"])
        assert cells_[i, j] == c["bad_debt"]["mean"] == metric_value(c, "bad_debt.mean")
    assert (
        metric_value(orderbook[0], "books.perp_hedge.pnl.mean")
        == orderbook[0]["books"]["perp_hedge"]["pnl"]["mean"]
    )
    assert metric_value(orderbook[0], "fund.nothing") is None

    runner = CliRunner()
    sets = [a for k, v in BASE.items() for a in ("--set", f"{k}={','.join(v) if isinstance(v, list) else v}")]
    grid = [a for k, v in GRID.items() for a in ("--grid", f"{k}={','.join(map(str, v))}")]
    png = tmp_path / "heat.png"
    args = [
        "stress",
        "sweep",
        "weekend-gap",
        *grid,
        *sets,
        "--seeds",
        "1",
        "--workers",
        "1",
        "--plot",
        str(png),
    ]
    shown = runner.invoke(cli.app, [*args, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["files"] == [str(png)] and png.stat().st_size > 10_000
