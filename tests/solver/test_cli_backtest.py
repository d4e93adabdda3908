"""`solver backtest` on a `solver run` directory: the recorded flow replayed agrees with the ledger."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from amm.chain.session import ChainSession
from solver import cli

runner = CliRunner()


def test_backtest_of_a_run_directory_agrees_with_its_ledger(devnet: ChainSession, chain, tmp_path) -> None:
    """`chain` wraps the run in a snapshot: it trades on the session's node, which later tests share."""
    run_dir = tmp_path / "run"
    args = ["run", "--blocks", "4", "--seed", "3", "--run-dir", str(run_dir), "--json"]
    result = runner.invoke(cli.app, cli._normalise([*args, "--rpc-url", devnet.url]))
    assert result.exit_code == 0, result.output
    for name in ("universe.pickle", "backtest.json", "steps.jsonl", "orders.jsonl"):
        assert (run_dir / name).is_file(), name
    assert len((run_dir / "steps.jsonl").read_text().splitlines()) == 4

    replay = runner.invoke(cli.app, ["backtest", "--run-dir", str(run_dir), "--json"])
    assert replay.exit_code == 0, replay.output
    data = json.loads(replay.stdout)
    agreement = data["agreement"]
    print(agreement["agree"], "of", agreement["orders"], data["summary"])
    assert agreement["orders"] > 0 and data["summary"]["orders_seen"] == agreement["orders"]
    assert agreement["agree"] == agreement["orders"] and agreement["exact"], agreement["differences"]

    text = runner.invoke(cli.app, ["backtest", "--run-dir", str(run_dir)])
    assert text.exit_code == 0, text.output
    assert f"agreement {agreement['orders']} of {agreement['orders']} orders (exact)" in text.output
    assert "backtest:" in text.output and "PnL estimate" in text.output


def test_backtest_of_a_missing_or_incomplete_run_directory_is_a_one_line_error(tmp_path) -> None:
    missing = runner.invoke(cli.app, ["backtest", "--run-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "no run directory" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "orders.jsonl").write_text("")
    incomplete = runner.invoke(cli.app, ["backtest", "--run-dir", str(tmp_path)])
    assert incomplete.exit_code == 2
    assert "not a complete `solver run` directory" in incomplete.stderr
    assert not (tmp_path / "solver.sqlite").exists()  # nothing created in it
