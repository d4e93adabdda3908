"""`solver serve-cow` as a user starts it: a process that prints where it listens, answers /solve for the
chain it was given, and stops on SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from solver.intents.cow.api import auction_json
from solver.intents.cow.order import CowOrder
from solver.intents.cow.signing import sign

SOLVER = str(Path(sys.executable).parent / "solver")  # the console script `make setup` installs


def test_serve_cow_answers_and_stops_on_sigint(devnet, chain: Node) -> None:
    command = [SOLVER, "serve-cow", "--port", "0", "--rpc-url", devnet.url]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    try:
        line = process.stderr.readline()  # type: ignore[union-attr]
        match = re.search(r"(http://127\.0\.0\.1:\d+)/solve", line)
        assert match, line
        order = CowOrder(mainnet.USDC, mainnet.WETH, 10**10, 1, 2_000_000_000)
        auction = auction_json(
            [sign(order, "0x" + "c9" * 32, chain.chain_id)],
            deadline=datetime.now(UTC) + timedelta(seconds=20),
            effective_gas_price=10**9,
        )
        reply = httpx.post(f"{match.group(1)}/solve", json=auction, timeout=30)
        assert reply.status_code == 200 and len(reply.json()["solutions"]) == 1
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_serve_cow_help_teaches_by_example() -> None:
    out = subprocess.run(
        [SOLVER, "serve-cow", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert "solver serve-cow --port 8080" in out and "/solve" in out
