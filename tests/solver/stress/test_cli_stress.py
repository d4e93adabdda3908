"""`solver stress list|run`: what a person and a script see, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from solver import cli

runner = CliRunner()
SMALL = ["--seeds", "2", "--set", "traders.count=6", "--set", "variants.mark_rules=oracle,median"]


def invoke(*args: str) -> object:
    return runner.invoke(cli.app, ["stress", *args])


def test_list_shows_only_runnable_scenarios() -> None:
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    names = [s["name"] for s in json.loads(result.stdout)]
    assert names == [
        "correlated-crash",
        "gas-spike",
        "liquidity-withdrawal",
        "oracle-manipulation",
        "stuck-hedge",
        "weekend-gap",
        "weekend-gap-fat-tails",
    ]
    table = invoke("list")
    assert table.exit_code == 0 and "weekend-gap" in table.stdout and "not implemented" not in table.stdout


def test_run_json_names_each_architecture_and_the_funds_figures(tmp_path: Path) -> None:
    result = invoke(
        "run",
        "weekend-gap",
        *SMALL,
        "--json",
        "--out",
        str(tmp_path / "out"),
        "--plot",
        str(tmp_path / "p.png"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"] == "weekend-gap" and data["seeds"] == {"count": 2, "first": 0}
    variants = data["variants"]
    assert [(v["architecture"], v["mark_rule"], v["oracle_rule"]) for v in variants][:4] == [
        ("orderbook", "oracle", "freeze"),
        ("orderbook", "oracle", "proxy"),
        ("orderbook", "median", "freeze"),
        ("orderbook", "median", "proxy"),
    ]
    assert {v["architecture"] for v in variants} == {"orderbook", "vault", "onchain"} and len(variants) == 12
    fund = variants[0]["fund"]
    assert set(fund) == {"start", "exhaustion_rate", "used", "shortfall", "end"} and fund["start"] == 5000.0
    assert set(variants[0]["bad_debt"]) == {"mean", "p95", "max", "rate"}
    assert data["overrides"]["traders.count"] == 6
    with (tmp_path / "out" / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 12 and {r["seed"] for r in rows} == {"0", "1"}
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["variants"] == variants
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(Path(p).name for p in data["files"]) == [
        "p.png",
        "results.csv",
        "summary.json",
        "trace.json",
    ]


def test_the_same_seeds_give_identical_json_and_other_seeds_do_not() -> None:
    first = invoke("run", "weekend-gap", *SMALL, "--json")
    again = invoke("run", "weekend-gap", *SMALL, "--json")
    other = invoke("run", "weekend-gap", *SMALL, "--first-seed", "5", "--json")
    assert first.exit_code == again.exit_code == other.exit_code == 0
    assert first.stdout == again.stdout
    a, b = json.loads(first.stdout)["variants"], json.loads(other.stdout)["variants"]
    assert [v["liquidity_pnl_mean"] for v in a] != [v["liquidity_pnl_mean"] for v in b]


def test_run_prints_a_table_for_people() -> None:
    result = invoke(
        "run",
        "weekend-gap",
        "--seeds",
        "1",
        "--set",
        "traders.count=4",
        "--set",
        "variants.architectures=vault",
    )
    assert result.exit_code == 0, result.output
    assert "weekend-gap: fixed gap -20.0%, insurance fund $5,000, 1 seeds from 0" in result.stdout
    assert "fund exhausted" in result.stdout and "vault" in result.stdout and "orderbook" not in result.stdout


def test_errors_are_one_line_with_exit_code_2() -> None:
    cases = {
        (
            "run",
            "no-such",
        ): "error: unknown scenario 'no-such' (runnable: correlated-crash, gas-spike, liquidity-withdrawal,",
        ("run", "weekend-gap", "--set", "gap.sise=1"): "error: gap.sise: unknown key (known: distribution",
        ("run", "weekend-gap", "--set", "gap.size"): "error: --set 'gap.size': expected key=value",
        ("run", "weekend-gap", "--set", "venue.end_rule=pray"): "error: venue.end_rule: expected one of",
    }
    for args, expected in cases.items():
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), (args, result.stderr)
        assert result.stdout == ""


def test_help_teaches_by_example() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0
    assert "solver stress run weekend-gap --set gap.size=-0.3" in result.stdout
    assert "solver stress list" in invoke("list", "--help").stdout


QUICK_BOOKS = [
    "--seeds",
    "1",
    "--set",
    "market.horizon=1200",
    "--set",
    "market.step=120",
    "--set",
    "shock.start=240",
    "--set",
    "shock.duration=480",
]


def test_a_books_scenario_reports_every_book_per_variant_with_a_plot(tmp_path: Path) -> None:
    png = tmp_path / "crash.png"
    result = invoke("run", "correlated-crash", *QUICK_BOOKS, "--json", "--plot", str(png))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    entries = {(v["variant"], v["book"]): v for v in data["variants"]}
    assert set(entries) == {
        *((f"hedge={h}", b) for h in ("none", "router", "perp") for b in ("lp", "solver_inventory")),
        ("hedge=perp", "perp_hedge"),
        ("hedge=perp", "venue_fund"),
    }
    lp = entries[("hedge=none", "lp")]
    assert lp["pnl"]["mean"] < 0 and lp["worst_drawdown"]["max"] >= -lp["pnl"]["mean"]
    assert {"il_usd", "lvr_usd", "fees_usd"} <= set(lp["figures"])
    assert {"funding_usd", "liquidated"} <= set(entries[("hedge=perp", "perp_hedge")]["figures"])
    assert data["files"] == [str(png)] and png.stat().st_size > 10_000
    table = invoke("run", "correlated-crash", *QUICK_BOOKS)
    assert table.exit_code == 0 and "correlated-crash: the books, per variant" in table.stdout


def test_a_books_sweep_plots_one_books_figure_over_two_axes(tmp_path: Path) -> None:
    png = tmp_path / "heat.png"
    args = ["sweep", "gas-spike", *QUICK_BOOKS, "--set", "variants.values=1,100", "--workers", "1"]
    grid = ["--grid", "lp.width=0.05,0.2", "--grid", "shock.gas_from=0,600"]
    result = invoke(
        *args, *grid, "--plot", str(png), "--book", "lp", "--metric", "figures.fees_usd", "--json"
    )
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["cells"]
    assert {(c["lp.width"], c["shock.gas_from"], c["variant"]) for c in cells if c["book"] == "lp"} == {
        (w, g, v) for w in (0.05, 0.2) for g in (0, 600) for v in ("gas_multiplier=1", "gas_multiplier=100")
    }
    assert png.stat().st_size > 10_000
    bad = invoke(*args, "--grid", "lp.width=0.05,0.2", "--plot", str(png), "--book", "nope")
    assert bad.exit_code == 2 and "--book nope" in bad.stderr
