"""`solver run --fork-url` without internet: it forks the session's built-in chain, served by its own anvil,
on a second local anvil, and trades generated flow there as on the built-in chain."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from amm.chain.session import ChainSession
from solver import cli


def test_run_on_a_fork_of_a_served_chain(devnet: ChainSession, tmp_path) -> None:
    block = devnet.node.block_number()
    args = [
        "run",
        "--fork-url",
        devnet.url,
        "--blocks",
        "2",
        "--seed",
        "4",
        "--run-dir",
        str(tmp_path),
        "--json",
    ]
    result = CliRunner().invoke(cli.app, cli._normalise(args))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chain"].startswith("anvil fork of http://127.0.0.1")
    assert data["orders_seen"] > 0 and data["filled"] + sum(data["skipped"].values()) <= data["orders_seen"]
    assert devnet.node.block_number() == block  # the fork traded; the served chain did not move
