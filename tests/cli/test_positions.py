"""`amm positions --owner`: every position of a wallet, each with the figures `amm position --nft` gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from amm.chain import addresses as mainnet
from amm.chain.session import ChainSession
from amm.lp.wallet import wallet_positions


def amm(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMM_CACHE_DIR": str(cache), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "amm", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_a_wallet_lists_every_position_it_holds_open_and_closed(devnet: ChainSession, tmp_path: Path) -> None:
    lp = devnet.roles.lps[0]  # type: ignore[union-attr]
    result = amm("positions", "--owner", lp, "--json", cache=tmp_path)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    npm = devnet.node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    held = npm.call("balanceOf", lp)  # the chain's own count of the NFTs the wallet holds
    rows = got["positions"]
    assert len([r for r in rows if r["status"] != "transferred"]) == held
    statuses = {r["status"] for r in rows}
    assert {"open", "closed"} <= statuses  # the built-in LPs re-centre: some positions were withdrawn
    for row in rows:
        liquidity = npm.call("positions", int(row["token_id"]))[7]
        assert (row["status"] == "open") == (liquidity > 0)
    for row in rows[:: max(1, len(rows) // 5)]:  # a sample: the same report `amm position --nft` prints
        single = amm("position", "--nft", str(row["token_id"]), "--json", cache=tmp_path)
        one = json.loads(single.stdout)
        for key in ("fees_value", "il_value", "lvr_to_date", "pnl_vs_hodl", "fees", "deposited"):
            assert one[key] == row[key], (row["token_id"], key)
    total = sum(r["fees_value"] * r["usd_per_quote"] for r in rows)
    assert abs(got["total_usd"]["fees_value"] - total) < 1e-6 * abs(total)


def test_library_and_closed_filter(devnet: ChainSession, tmp_path: Path) -> None:
    lp = devnet.roles.lps[1]  # type: ignore[union-attr]
    everything = wallet_positions(devnet.node, lp)
    closed = amm("positions", "--owner", lp, "--status", "closed", "--json", cache=tmp_path)
    ids = [r["token_id"] for r in json.loads(closed.stdout)["positions"]]
    assert ids == [w.report.token_id for w in everything if w.status == "closed"] and ids
    table = amm("positions", "--owner", lp, "--status", "closed", cache=tmp_path)
    assert f"{len(ids)} positions; in dollars" in table.stdout


def test_owner_must_be_an_address(tmp_path: Path) -> None:
    result = amm("positions", "--owner", "vitalik", cache=tmp_path)
    assert (
        result.returncode == 2 and "is not an address" in result.stderr and "Traceback" not in result.stderr
    )
