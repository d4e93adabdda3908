"""`solver jit plan` and `solver jit run` against the fifo node (--rpc-url), as a user would run them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from amm.chain.session import ChainSession
from amm.cli import common
from solver import cli
from solver.jit.executor import JitExecutor

from .conftest import Jit
from .victims import USDC, WETH, approve, exact_input_single, sign

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.out, "width", 200)


def _run(session: ChainSession, *args: str) -> Result:
    return runner.invoke(cli.app, cli._normalise([*args, "--rpc-url", session.url]))


def test_plan_from_pool_and_amount(fifo_devnet: ChainSession, node: Node) -> None:
    result = _run(
        fifo_devnet, "jit", "plan", "--pool", "USDC/WETH-500", "--sell", "2000000", "USDC", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["decision"] == "execute" and data["reason"] == "profitable"
    assert data["swap"]["amount_specified"] == str(2_000_000 * 10**6)
    assert int(data["position"]["fee0"]) > 0 and data["gas_units"] > 0
    small = json.loads(
        _run(fifo_devnet, "jit", "plan", "--pool", "USDC/WETH-500", "--sell", "300", "USDC", "--json").output
    )
    assert small["decision"] == "skip" and small["reason"] == "below_break_even"
    table = _run(fifo_devnet, "jit", "plan", "--pool", "WETH/USDT-500", "--buy-exact", "500000", "USDT")
    assert table.exit_code == 0, table.output
    assert "decision" in table.output and "break-even swap" in table.output


def test_plan_from_raw_transaction(fifo_devnet: ChainSession, jit: Jit) -> None:
    approve(jit.node, jit.victim, USDC, mainnet.SWAP_ROUTER)
    data = exact_input_single("SwapRouter", USDC, WETH, 500, jit.victim, 1_500_000 * 10**6)
    raw = sign(jit.node, jit.victim_key, mainnet.SWAP_ROUTER, data)
    result = _run(fifo_devnet, "jit", "plan", "--tx", "0x" + raw.hex(), "--gas-price-gwei", "20", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["decision"] == "execute" and out["tx"]["sender"] == jit.victim
    assert out["gas_price_wei"] == str(20 * 10**9)
    junk = json.loads(_run(fifo_devnet, "jit", "plan", "--tx", "0x1234", "--json").output)
    assert junk == {"decision": "skip", "reason": "malformed_tx", "detail": junk["detail"], "tx_hash": ""}


def test_run_summary_equals_the_chain(fifo_devnet: ChainSession, node: Node) -> None:
    start = node.block_number()
    result = _run(
        fifo_devnet, "jit", "run", "--blocks", "3", "--swaps-per-block", "3", "--seed", "5", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["blocks"] == 3 and summary["swaps_seen"] == 9
    assert summary["executed"] >= 1
    assert bool(node.rpc.call("anvil_getAutomine"))  # restored
    executor = JitExecutor(node, summary["executor"])
    burned = node.rpc.call(
        "eth_getLogs",
        [
            {
                "address": executor.address,
                "fromBlock": hex(start),
                "toBlock": "latest",
                "topics": ["0x" + executor.contract.interface.event("Burned").topic.hex()],
            }
        ],
    )
    assert len(burned) == summary["executed"]
    symbols = {"USDC": USDC, "WETH": WETH, "USDT": mainnet.USDT, "DAI": mainnet.DAI, "WBTC": mainnet.WBTC}
    funded = {"USDC": 10**13, "USDT": 10**13, "DAI": 10**25, "WETH": 3 * 10**21, "WBTC": 150 * 10**8}
    for symbol, change in summary["inventory_change"].items():
        (balance,) = executor.balances((symbols[symbol],))
        assert balance - funded[symbol] == int(change)
