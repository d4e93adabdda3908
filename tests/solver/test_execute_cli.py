"""`solver execute` against the session's chain (--rpc-url), as a bot developer would run it: a dry run sends
nothing and shows the route `solver route` shows; a real run from SOLVER_PRIVATE_KEY swaps, and what it
reports received is what the executor's event and the balances say."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from amm.chain.session import ChainSession
from amm.chain.tokens import balances, erc20
from amm.cli import common
from solver import cli, cli_execute

runner = CliRunner()
ORDER = ("--sell", "2500", "USDC", "--buy", "WETH", "--gas-price-gwei", "20")


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.out, "width", 200)


def _run(devnet: ChainSession, *args: str, env: dict[str, str] | None = None) -> Any:
    env = {"SOLVER_PRIVATE_KEY": "", "SOLVER_KEYSTORE": "", **(env or {})}
    return runner.invoke(cli.app, cli._normalise([*args, "--rpc-url", devnet.url]), env=env)


def _nonce(node: Node, account: str) -> int:
    return int(node.rpc.call("eth_getTransactionCount", [account, "pending"]), 16)


def test_help_teaches_by_example() -> None:
    result = runner.invoke(cli.app, ["execute", "--help"])
    assert result.exit_code == 0
    assert "solver execute --sell 1000 USDC --buy WETH --dry-run" in result.output
    assert "SOLVER_PRIVATE_KEY" in result.output and "--keystore" in result.output


def test_dry_run_sends_nothing_and_shows_the_routes_route(devnet: ChainSession, chain: Node, user) -> None:
    tokens = [mainnet.USDC, mainnet.WETH]
    before = (chain.block_number(), _nonce(chain, user), balances(chain, tokens, user), chain.balance(user))
    result = _run(devnet, "execute", *ORDER, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    after = (chain.block_number(), _nonce(chain, user), balances(chain, tokens, user), chain.balance(user))
    assert after == before
    assert data["dry_run"] is True and "execution" not in data and data["sender"] == user
    assert data["approve"] == str(2500 * 10**6)  # what it would approve: exactly the route's input
    routed = json.loads(_run(devnet, "route", *ORDER, "--json").output)
    assert data["legs"] == routed["legs"]
    assert (data["amount_in"], data["amount_out"]) == (routed["amount_in"], routed["amount_out"])
    assert data["simulated"] == {"amount_in": routed["amount_in"], "amount_out": routed["amount_out"]}
    table = _run(devnet, "execute", *ORDER, "--dry-run")
    assert table.exit_code == 0, table.output
    assert "sell 2,500 USDC ->" in table.output and "dry run: nothing sent" in table.output


def test_execute_from_the_environment_key_swaps_and_reports_what_it_received(
    devnet: ChainSession, chain: Node, fund
) -> None:
    key = Account.create()
    fund("USDC", key.address, 2500 * 10**6)
    fund.eth(key.address, 10**18)
    before = balances(chain, [mainnet.USDC, mainnet.WETH], key.address)
    result = _run(devnet, "execute", *ORDER, "--json", env={"SOLVER_PRIVATE_KEY": key.key.hex()})
    assert result.exit_code == 0, result.output
    assert key.key.hex().removeprefix("0x") not in result.output
    data = json.loads(result.output)
    after = balances(chain, [mainnet.USDC, mainnet.WETH], key.address)
    done = data["execution"]
    assert data["sender"] == key.address and data["executor"] == mainnet.ROUTE_EXECUTOR
    assert int(done["received"]) == after[1] - before[1] == int(done["amount_out"]) == int(data["amount_out"])
    assert int(done["spent"]) == before[0] - after[0] == 2500 * 10**6
    assert int(erc20(chain, mainnet.USDC).call("allowance", key.address, mainnet.ROUTE_EXECUTOR)) == 0
    tx = chain.rpc.call("eth_getTransactionByHash", [done["tx_hash"]])
    assert int(tx["type"], 16) == 2 and int(tx["nonce"], 16) == 1  # after the approval at nonce 0
    receipt = chain.receipt(done["tx_hash"])
    assert int(receipt["gasUsed"], 16) == done["gas_used"]


def test_execute_without_a_key_on_anvil_sends_from_a_dev_account(
    devnet: ChainSession, chain: Node, user
) -> None:
    before = balances(chain, [mainnet.USDC, mainnet.WETH], user)
    result = _run(devnet, "execute", *ORDER)
    assert result.exit_code == 0, result.output
    after = balances(chain, [mainnet.USDC, mainnet.WETH], user)
    assert before[0] - after[0] == 2500 * 10**6 and after[1] > before[1]
    assert "sent 0x" in result.output and "gas used" in result.output and "received" in result.output


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("fresh key", "insufficient USDC:"),
        ("no gas", "has no ETH to pay for gas"),
        ("live node", "no key to send with on this node"),
        ("bad key", "SOLVER_PRIVATE_KEY is not a 32-byte hex private key"),
    ],
)
def test_errors_are_one_line_and_exit_2(devnet, chain, fund, monkeypatch, capsys, case, message) -> None:
    block = chain.block_number()
    monkeypatch.delenv("SOLVER_KEYSTORE", raising=False)
    monkeypatch.setenv("SOLVER_PRIVATE_KEY", "")
    if case in ("fresh key", "no gas"):
        key = Account.create()
        monkeypatch.setenv("SOLVER_PRIVATE_KEY", key.key.hex())
        if case == "no gas":
            fund("USDC", key.address, 2500 * 10**6)
    elif case == "live node":
        monkeypatch.setattr(cli_execute, "is_anvil", lambda node: False)
    else:
        monkeypatch.setenv("SOLVER_PRIVATE_KEY", "0x1234")
    monkeypatch.setattr(sys, "argv", ["solver", "execute", *ORDER, "--rpc-url", devnet.url])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err.strip()
    assert message in stderr and "\n" not in stderr and "Traceback" not in stderr
    assert chain.block_number() == block


def test_dry_run_from_a_keystore(devnet: ChainSession, chain: Node, fund, tmp_path) -> None:
    """--keystore (password from the environment) names the sender; a dry run still sends nothing."""
    key = Account.create()
    fund("USDC", key.address, 2500 * 10**6)
    fund.eth(key.address, 10**18)
    path = tmp_path / "bot.json"
    path.write_text(json.dumps(Account.encrypt(key.key, "pw", iterations=2)))
    env = {"SOLVER_KEYSTORE_PASSWORD": "pw"}
    result = _run(devnet, "execute", *ORDER, "--dry-run", "--json", "--keystore", str(path), env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sender"] == key.address and _nonce(chain, key.address) == 0
