"""`amm pools` as a user reads it: pools named as they are typed, one price orientation in the table and the
JSON, no number cut at 100 columns, no integer JSON cannot hold exactly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

from amm.chain.devnet.spec import POOLS
from amm.chain.session import ChainSession


def _amm(*args: str, columns: int) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        [sys.executable, "-m", "amm", *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ints(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ints(v)]
    return []


def test_pools_are_named_as_typed_and_numbers_are_never_cut(devnet: ChainSession) -> None:
    data = json.loads(_amm("pools", "--rpc-url", devnet.url, "--json", columns=200))
    assert all(abs(i) < 2**53 for i in _ints(data))  # on-chain integers travel as strings
    wide = _amm("pools", "--rpc-url", devnet.url, columns=200)
    narrow = _amm("pools", "--rpc-url", devnet.url, columns=100)
    assert max(len(line) for line in narrow.splitlines()) <= 100
    for pool in data["pools"]:
        assert pool["name"] in {p.name for p in POOLS} and pool["name"] in wide and pool["name"] in narrow
        assert pool["address"] in wide  # the whole address, or (narrow) not at all
        assert f"{int(pool['liquidity']):,}" in wide  # exact, not 4.307e+18
        shown = f"{pool['price']:,.6g} {pool['price_unit']}"  # the JSON price is the table's, same way round
        assert shown in wide and shown in narrow
        quote, base = pool["price_unit"].split("/")
        assert {quote, base} == {pool["token0"]["symbol"], pool["token1"]["symbol"]} and pool["price"] >= 1
    assert "…" not in narrow and not re.search(r"0x[0-9a-fA-F]{1,39}…", narrow)
