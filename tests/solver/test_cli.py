"""The `solver` command against the session's chain (--rpc-url), as a user would run it."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from amm.chain.session import ChainSession
from amm.cli import common
from solver import cli

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole pool names in tables: the console's width is fixed when amm.cli.common is imported, from
    COLUMNS, which pytest-xdist workers set to 80."""
    monkeypatch.setattr(common.out, "width", 200)


def _run(devnet: ChainSession, *args: str):
    return runner.invoke(cli.app, cli._normalise([*args, "--rpc-url", devnet.url]))


def test_route_prints_a_table_of_legs(devnet: ChainSession) -> None:
    result = _run(devnet, "route", "--sell", "1000000", "USDC", "--buy", "WETH", "--gas-price-gwei", "20")
    assert result.exit_code == 0, result.output
    assert "USDC/WETH-500" in result.output and "price impact" in result.output
    assert "sell 1,000,000 USDC ->" in result.output


def test_route_json_has_exact_integers(devnet: ChainSession) -> None:
    result = _run(
        devnet, "route", "--sell", "USDC", "--buy-exact", "300", "WETH", "--json", "--max-hops", "3"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "exact_out" and data["amount_out"] == str(300 * 10**18)
    assert sum(
        int(leg["amount_out"]) for leg in data["legs"] if leg["token_out"] == data["token_out"]["address"]
    ) == (300 * 10**18)
    assert int(data["max_amount_in"]) > int(data["amount_in"])


def test_help_teaches_by_example() -> None:
    result = runner.invoke(cli.app, ["route", "--help"])
    assert result.exit_code == 0
    assert "solver route --sell 1000000 USDC --buy WETH" in result.output
    assert "--buy-exact" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sell", "1", "PEPE", "--buy", "WETH"], "unknown token 'PEPE'"),
        (["--sell", "0.0000001", "USDC", "--buy", "WETH"], "USDC has 6 decimals"),
        (["--sell", "USDC", "--buy", "WETH"], "give --sell AMOUNT TOKEN --buy TOKEN"),
    ],
)
def test_errors_are_one_line_and_exit_2(devnet, monkeypatch, capsys, args, message) -> None:
    monkeypatch.setattr(sys, "argv", ["solver", "route", *args, "--rpc-url", devnet.url])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err.strip()
    assert message in stderr and "\n" not in stderr and "Traceback" not in stderr


def test_run_trades_generated_flow_and_prints_the_summary_keys(devnet: ChainSession, tmp_path) -> None:
    result = _run(devnet, "run", "--blocks", "3", "--seed", "5", "--run-dir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("orders_seen", "filled", "skipped", "internalized_share", "pnl", "sharpe", "max_drawdown"):
        assert key in data, key
    assert data["orders_seen"] > 0 and data["filled"] + sum(data["skipped"].values()) <= data["orders_seen"]
    assert set(data["pnl"]["attribution"]) >= {"spread", "inventory_mtm", "hedge", "gas"}
    assert (tmp_path / "solver.sqlite").is_file() and (tmp_path / "orders.jsonl").is_file()


def test_run_table_names_every_decision(devnet: ChainSession, tmp_path) -> None:
    result = _run(devnet, "run", "--blocks", "2", "--seed", "6", "--run-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "orders seen" in result.output and "PnL" in result.output
