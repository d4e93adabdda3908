"""The `solver` command against the session's chain (--rpc-url), as a user would run it."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from typing import Any

import httpx
import pytest
from eth_account import Account
from typer.testing import CliRunner

from amm.chain import addresses as mainnet
from amm.chain.session import ChainSession
from amm.cli import common
from solver import cli, cli_run
from solver.accounting.ledger import Ledger
from solver.flow.http import OrderServer
from solver.intents.uniswapx import DutchInput, DutchOutput, ExclusiveDutchOrder, OrderInfo

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole pool names in tables: the console's width is fixed when amm.cli.common is imported, from
    COLUMNS, which pytest-xdist workers set to 80."""
    monkeypatch.setattr(common.out, "width", 200)


def _run(devnet: ChainSession, *args: str):
    return runner.invoke(cli.app, cli._normalise([*args, "--rpc-url", devnet.url]))


def test_route_prints_a_table_of_legs(devnet: ChainSession) -> None:
    result = _run(devnet, "route", "--sell", "1000000", "USDC", "--buy", "WETH", "--gas-price-gwei", "20")
    assert result.exit_code == 0, result.output
    assert "USDC/WETH-500" in result.output and "price impact" in result.output
    assert "sell 1,000,000 USDC ->" in result.output


def test_route_json_has_exact_integers(devnet: ChainSession) -> None:
    result = _run(
        devnet, "route", "--sell", "USDC", "--buy-exact", "300", "WETH", "--json", "--max-hops", "3"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "exact_out" and data["amount_out"] == str(300 * 10**18)
    assert sum(
        int(leg["amount_out"]) for leg in data["legs"] if leg["token_out"] == data["token_out"]["address"]
    ) == (300 * 10**18)
    assert int(data["max_amount_in"]) > int(data["amount_in"])


def test_help_teaches_by_example() -> None:
    result = runner.invoke(cli.app, ["route", "--help"])
    assert result.exit_code == 0
    assert "solver route --sell 1000000 USDC --buy WETH" in result.output
    assert "--buy-exact" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sell", "1", "PEPE", "--buy", "WETH"], "unknown token 'PEPE'"),
        (["--sell", "0.0000001", "USDC", "--buy", "WETH"], "USDC has 6 decimals"),
        (["--sell", "USDC", "--buy", "WETH"], "give --sell AMOUNT TOKEN --buy TOKEN"),
    ],
)
def test_errors_are_one_line_and_exit_2(devnet, monkeypatch, capsys, args, message) -> None:
    monkeypatch.setattr(sys, "argv", ["solver", "route", *args, "--rpc-url", devnet.url])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err.strip()
    assert message in stderr and "\n" not in stderr and "Traceback" not in stderr


def test_run_trades_generated_flow_and_prints_the_summary_keys(devnet: ChainSession, chain, tmp_path) -> None:
    """`chain` wraps the run in a snapshot: it trades on the session's node, which later tests share."""
    result = _run(devnet, "run", "--blocks", "3", "--seed", "5", "--run-dir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("orders_seen", "filled", "skipped", "internalized_share", "pnl", "sharpe", "max_drawdown"):
        assert key in data, key
    assert data["orders_seen"] > 0 and data["filled"] + sum(data["skipped"].values()) <= data["orders_seen"]
    assert set(data["pnl"]["attribution"]) >= {"spread", "inventory_mtm", "hedge", "gas"}
    surplus = data["swappers_surplus"]  # every filled order's, none below its signed limits
    assert (
        surplus["orders"] == data["filled"]
        and float(surplus["total"]) >= 0
        and surplus["numeraire"] == "USDC"
    )
    assert (tmp_path / "solver.sqlite").is_file() and (tmp_path / "orders.jsonl").is_file()


def test_run_table_names_every_decision(devnet: ChainSession, chain, tmp_path) -> None:
    result = _run(devnet, "run", "--blocks", "2", "--seed", "6", "--run-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "orders seen" in result.output and "PnL" in result.output


def test_run_with_http_and_no_flow_sees_no_orders(devnet: ChainSession, chain, tmp_path) -> None:
    result = _run(
        devnet,
        "run",
        "--http",
        "0",
        "--blocks",
        "2",
        "--orders-per-block",
        "0",
        "--run-dir",
        str(tmp_path),
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the URL went to stderr: stdout is pure JSON
    assert data["orders_seen"] == 0 and data["filled"] == 0 and data["killed"] is None
    assert "taking orders on http://127.0.0.1:" in result.stderr


def _posted_order(chain_id: int) -> tuple[str, dict[str, object]]:
    """A signed Dutch order by a throwaway key (it parses; the solver may well skip it) and its POST body."""
    key = "0x" + "11" * 32
    swapper = Account.from_key(key).address
    order = ExclusiveDutchOrder(
        info=OrderInfo(mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR, swapper, 4242, 1_700_000_600),
        chain_id=chain_id,
        decay_start_time=1_700_000_000,
        decay_end_time=1_700_000_120,
        input=DutchInput(mainnet.USDC, 3_000 * 10**6, 3_000 * 10**6),
        outputs=(DutchOutput(mainnet.WETH, 10**18, 99 * 10**16, swapper),),
    )
    body = {
        "kind": "dutch",
        "chain_id": chain_id,
        "order": "0x" + order.encode().hex(),
        "signature": "0x" + order.sign(key).hex(),
    }
    return order.hash, body


def test_run_takes_a_posted_order_and_stops_on_post_kill(
    devnet: ChainSession, chain, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order posted to a live run is recorded in the ledger and the flow file; POST /kill ends it."""
    started: queue.Queue[OrderServer] = queue.Queue()

    class Watched(OrderServer):
        def start(self) -> OrderServer:
            super().start()
            started.put(self)
            return self

    monkeypatch.setattr(cli_run, "OrderServer", Watched)
    order_hash, body = _posted_order(devnet.node.chain_id)
    seen: dict[str, Any] = {}

    def client() -> None:
        try:
            server = started.get(timeout=120)
        except queue.Empty:
            return
        with httpx.Client(base_url=server.url, timeout=10) as http:
            try:
                seen["post"] = http.post("/orders", json=body).json()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not seen.get("rows"):  # recorded at the next block
                    seen["rows"] = http.get("/orders").json()
                    time.sleep(0.05)
            finally:
                seen["kill"] = http.post("/kill").json()

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    args = ("run", "--http", "0", "--no-flow", "--blocks", "500", "--run-dir", str(tmp_path), "--json")
    result = _run(devnet, *args)
    thread.join(timeout=30)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert seen["post"] == {"hash": order_hash, "status": "queued"}
    assert [row["hash"] for row in seen["rows"]] == [order_hash]
    assert seen["kill"]["killed"] is True
    assert data["orders_seen"] == 1 and data["killed"] == "http"
    recorded = (tmp_path / "orders.jsonl").read_text().splitlines()
    assert len(recorded) == 1 and json.loads(recorded[0])["source"] == "http"


# -- one config, --plot --------------------------------------------------------------------------
def test_run_with_a_config_skips_orders_above_its_max_notional(devnet: ChainSession, chain, tmp_path) -> None:
    """`[risk] max_notional` tiny: every order is above it, so none fills and each is skipped `risk_limit`;
    `--json` prints the effective config, the flags over the file."""
    config = tmp_path / "solver.toml"
    config.write_text("[pricing]\ngamma = 0.2\nmin_edge_bps = 3\n\n[risk]\nmax_notional = 0.01\n")
    run_dir = tmp_path / "run"
    args = ("run", "--config", str(config), "--min-edge-bps", "2", "--hedge", "continuous")
    result = _run(devnet, *args, "--blocks", "2", "--seed", "5", "--run-dir", str(run_dir), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["orders_seen"] > 0 and data["filled"] == 0
    assert sum(n for reason, n in data["skipped"].items() if reason.startswith("risk_limit")) > 0
    effective = data["config"]
    assert effective["pricing"]["gamma"] == 0.2 and effective["pricing"]["min_edge_bps"] == 2.0
    assert effective["risk"]["max_fill_notional"] == 0.01 and effective["risk"]["max_loss"] is None
    assert effective["hedging"]["kind"] == "continuous"
    assert effective["inventory"]["funding"] == cli_run.DEFAULT_FUNDING


def test_run_with_a_max_inventory_value_never_adds_to_a_capped_token(
    devnet: ChainSession, chain, tmp_path
) -> None:
    """`[risk.max_inventory_value] "*" = 1`: every token but USDC is already held above $1, so no fill may
    bring more of one in (routing still may fill, keeping none of it); the ledger's fills prove it."""
    config = tmp_path / "solver.toml"
    config.write_text('[risk.max_inventory_value]\n"*" = 1\n')
    run_dir = tmp_path / "run"
    args = (
        "run",
        "--config",
        str(config),
        "--blocks",
        "4",
        "--seed",
        "5",
        "--run-dir",
        str(run_dir),
        "--json",
    )
    result = _run(devnet, *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config"]["risk"]["max_inventory_value"] == {"*": 1.0}
    assert data["skipped"].get("risk_limit", 0) > 0 and data["filled"] > 0, data
    ledger = Ledger.open(str(run_dir))
    try:
        for fill in ledger.fills():
            for token, amount in fill.flows.items():
                assert amount <= 0 or token.lower() == mainnet.USDC.lower(), (fill.mode, token, amount)
    finally:
        ledger.close()


def test_run_json_prints_the_default_config(devnet: ChainSession, chain, tmp_path) -> None:
    result = _run(
        devnet, "run", "--blocks", "1", "--orders-per-block", "0", "--run-dir", str(tmp_path), "--json"
    )
    assert result.exit_code == 0, result.output
    config = json.loads(result.stdout)["config"]
    assert set(config) == {"pricing", "risk", "hedging", "inventory"}
    assert config["hedging"] == {"kind": "off"} and config["pricing"]["gamma"] == 0.1


def test_run_plot_writes_a_png(devnet: ChainSession, chain, tmp_path) -> None:
    picture = tmp_path / "out" / "run.png"
    args = ("run", "--blocks", "3", "--seed", "5", "--run-dir", str(tmp_path / "run"), "--plot", str(picture))
    result = _run(devnet, *args)
    assert result.exit_code == 0, result.output
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    assert "plot in" in result.output


@pytest.mark.parametrize(
    ("args", "text", "message"),
    [
        ([], "[risk]\nmax_loss = -1\n", "risk setting max_loss must be positive"),
        ([], "[pricing\n", "is not valid TOML"),
        (["--hedge", "sometimes"], "", "hedge setting kind is one of threshold, continuous, off"),
        (["--gamma", "0"], "", "pricing setting gamma must be positive"),
        (["--max-notional", "-5"], "", "risk setting max_fill_notional must be positive"),
    ],
)
def test_run_config_errors_are_one_line_and_exit_2(tmp_path, args, text, message) -> None:
    """Checked before any chain starts: no node needed."""
    config = tmp_path / "solver.toml"
    config.write_text(text)
    result = runner.invoke(cli.app, ["run", "--config", str(config), *args, "--run-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    stderr = result.stderr.strip()
    assert message in stderr and "\n" not in stderr and "Traceback" not in stderr


def test_run_config_missing_file_exits_2(tmp_path) -> None:
    result = runner.invoke(cli.app, ["run", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "cannot read config" in result.stderr
