"""`amm devnet serve --port P`: the built-in chain for a bot, with its free accounts and their (public,
test-only) keys printed; a key printed is the key of the account beside it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
from eth_account import Account


def test_serve_prints_its_url_and_the_free_accounts_keys(devnet) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "amm", "devnet", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
        url = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0])
        assert url, lines
        pairs = [re.search(r"(0x[0-9a-fA-F]{40})\s+key (0x[0-9a-f]{64})", line) for line in lines[2:6]]
        assert all(pairs), lines
        for match in pairs:
            assert Account.from_key(match.group(2)).address == match.group(1)
        reply = httpx.post(
            url.group(1), json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        )
        assert reply.json()["result"] == hex(devnet.node.chain_id)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
