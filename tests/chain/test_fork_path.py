"""The fork path without internet: the session's built-in chain is served by its own anvil, and `--fork-url`
forks it on a second one. Every figure must equal the served chain's; an older block than the chain holds
state for, and an endpoint that is not a node, each give one line that says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from amm.chain.session import ChainSession

SOLVER = str(Path(sys.executable).parent / "solver")
TIMINGS = {"seconds", "load", "elapsed", "stats", "chain", "block"}  # how long and where, not what


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)


def _amm(*args: str) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-m", "amm", *args)


def _figures(value: Any) -> Any:
    """The JSON without timings and chain descriptions."""
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return value


@pytest.mark.parametrize(
    "command",
    [
        ("amm", "pools"),
        ("amm", "range", "--pool", "USDC/WETH-500"),
        ("solver", "route", "--sell", "250000", "USDC", "--buy", "WBTC", "--gas-price-gwei", "30"),
    ],
    ids=["amm-pools", "amm-range", "solver-route"],
)
def test_a_fork_gives_the_served_chains_figures(devnet: ChainSession, command: tuple[str, ...]) -> None:
    tool, *args = command
    runs = {}
    for option in ("--rpc-url", "--fork-url"):
        argv = [*args, option, devnet.url, "--json"]
        result = _amm(*argv) if tool == "amm" else _run(SOLVER, *argv)
        assert result.returncode == 0, result.stderr
        runs[option] = json.loads(result.stdout)
    assert _figures(runs["--fork-url"]) == _figures(runs["--rpc-url"])


def test_a_block_older_than_the_state_names_the_oldest_one(devnet: ChainSession) -> None:
    head = devnet.node.block_number()
    forked = _amm("pools", "--fork-url", devnet.url, "--fork-block-number", "5")
    read = _amm("pool", "--pool", "USDC/WETH-500", "--rpc-url", devnet.url, "--block", "5")
    for result in (forked, read):
        assert result.returncode != 0 and "Traceback" not in result.stderr
        message = result.stderr.strip()
        assert "\n" not in message and "no state for block 5" in message and f"block {head}" in message, (
            message
        )


class _WebPage(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b"<!DOCTYPE html><html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_an_endpoint_that_is_not_a_node_is_one_line() -> None:
    server = HTTPServer(("127.0.0.1", 0), _WebPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = _amm("pools", "--rpc-url", url)
        message = result.stderr.strip()
        assert result.returncode != 0 and "\n" not in message and "an HTML page" in message, message
        refused = _amm("pools", "--rpc-url", "http://127.0.0.1:9")
        assert (
            refused.returncode != 0
            and "connection failed" in refused.stderr
            and "\n" not in refused.stderr.strip()
        )
    finally:
        server.shutdown()
