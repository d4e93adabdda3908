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
    assert agreement["orders"] > 0 and data["summary"]["orders_seen"] == agreement["orders"]
    assert agreement["agree"] == agreement["orders"] and agreement["exact"], agreement["differences"]

    text = runner.invoke(cli.app, ["backtest", "--run-dir", str(run_dir)])
    assert text.exit_code == 0, text.output
    assert f"agreement {agreement['orders']} of {agreement['orders']} orders (exact)" in text.output
    assert "backtest:" in text.output and "PnL estimate" in text.output

    # the price path the run recorded replays the same decisions
    recorded = runner.invoke(
        cli.app, ["backtest", "--run-dir", str(run_dir), "--prices", "recorded", "--json"]
    )
    assert recorded.exit_code == 0, recorded.output
    again = json.loads(recorded.stdout)
    assert again["prices"] == "recorded" and again["agreement"] == agreement

    # another price path (WETH marked 20% higher than the run saw) changes what the same flow does
    steps = [json.loads(line) for line in (run_dir / "steps.jsonl").read_text().splitlines()]
    rows = ["timestamp,token,price"]
    for step in steps:
        for symbol, price in step["fair_values"].items():
            rows.append(f"{step['timestamp']},{symbol},{price * (1.2 if symbol == 'WETH' else 1.0)!r}")
    path = tmp_path / "weth_up.csv"
    path.write_text("\n".join(rows) + "\n")
    what_if = runner.invoke(cli.app, ["backtest", "--run-dir", str(run_dir), "--prices", str(path), "--json"])
    assert what_if.exit_code == 0, what_if.output
    shifted = json.loads(what_if.stdout)
    assert shifted["prices"] == str(path) and not shifted["agreement"]["exact"]
    assert shifted["summary"]["orders_seen"] == data["summary"]["orders_seen"]

    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,token,price\n1,WETH,-3\n")
    refused = runner.invoke(cli.app, ["backtest", "--run-dir", str(run_dir), "--prices", str(bad)])
    assert refused.exit_code == 2 and "price of WETH must be positive" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_backtest_of_a_missing_or_incomplete_run_directory_is_a_one_line_error(tmp_path) -> None:
    missing = runner.invoke(cli.app, ["backtest", "--run-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "no run directory" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "orders.jsonl").write_text("")
    incomplete = runner.invoke(cli.app, ["backtest", "--run-dir", str(tmp_path)])
    assert incomplete.exit_code == 2
    assert "not a complete `solver run` directory" in incomplete.stderr
    assert not (tmp_path / "solver.sqlite").exists()  # nothing created in it
