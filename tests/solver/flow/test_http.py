"""The HTTP order endpoint against a real server on a free port: valid orders land in the inbox, bad ones
get a one-line 400, GET /orders reads the ledger, POST /kill trips the switch; never a traceback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from amm.chain import addresses as mainnet
from solver.accounting.ledger import Ledger
from solver.flow.http import OrderServer
from solver.flow.incoming import receive
from solver.intents.uniswapx import DutchInput, DutchOutput, ExclusiveDutchOrder, OrderInfo
from solver.risk.kill import KillSwitch

KEY = "0x" + "11" * 32  # a throwaway key: these orders are never sent to a chain
SWAPPER = Account.from_key(KEY).address
CHAIN_ID = 31337


def signed_order(nonce: int, chain_id: int = CHAIN_ID) -> ExclusiveDutchOrder:
    return ExclusiveDutchOrder(
        info=OrderInfo(mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR, SWAPPER, nonce, 1_700_000_600),
        chain_id=chain_id,
        decay_start_time=1_700_000_000,
        decay_end_time=1_700_000_120,
        input=DutchInput(mainnet.USDC, 3_000 * 10**6, 3_000 * 10**6),
        outputs=(DutchOutput(mainnet.WETH, 10**18, 99 * 10**16, SWAPPER),),
    )


def body(nonce: int = 1, **overrides: object) -> dict[str, object]:
    order = signed_order(nonce)
    return {
        "kind": "dutch",
        "chain_id": CHAIN_ID,
        "order": "0x" + order.encode().hex(),
        "signature": "0x" + order.sign(KEY).hex(),
    } | overrides


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path) as opened:
        yield opened


@pytest.fixture
def kill() -> KillSwitch:
    return KillSwitch()


@pytest.fixture
def server(ledger: Ledger, kill: KillSwitch) -> Iterator[OrderServer]:
    with OrderServer(chain_id=CHAIN_ID, ledger=ledger, kill=kill, port=0) as running:
        yield running


@pytest.fixture
def client(server: OrderServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as opened:
        yield opened


def _one_line_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert isinstance(error, str) and "\n" not in error and "Traceback" not in response.text
    return error


def test_binds_loopback_on_a_free_port_and_releases_it(ledger: Ledger, kill: KillSwitch) -> None:
    server = OrderServer(chain_id=CHAIN_ID, ledger=ledger, kill=kill)
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        port = int(server.url.rsplit(":", 1)[1])
        assert port > 0 and httpx.get(server.url + "/orders").status_code == 200
    with socket.socket() as probe:  # stopped: nothing listens there any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (a closed connection may linger)
        probe.bind(("127.0.0.1", port))


def test_a_valid_order_is_queued_and_stamped_by_the_run_loop(
    server: OrderServer, client: httpx.Client
) -> None:
    posted = body(nonce=7, received_at={"block": 1, "time": 2}, source="spoofed")
    response = client.post("/orders", json=posted)
    assert response.status_code == 202, response.text
    expected = signed_order(7)
    assert response.json() == {"hash": expected.hash, "status": "queued"}
    # the server, not the client, says when and where an order arrived
    assert server.drain(received_block=123, received_time=1_700_000_050) == [
        receive(
            "dutch",
            CHAIN_ID,
            expected.encode(),
            bytes.fromhex(str(posted["signature"])[2:]),
            received_block=123,
            received_time=1_700_000_050,
            source="http",
        )
    ]
    assert server.drain() == []  # drained once


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps([1, 2]).encode(), "not a JSON object"),
        (json.dumps({k: v for k, v in body().items() if k != "signature"}).encode(), "missing signature"),
        (json.dumps(body(order="0xzz")).encode(), "order is not valid hex"),
        (json.dumps(body(signature="abcd")).encode(), "signature is not a 0x-hex string"),
        (json.dumps(body(chain_id="31337")).encode(), "chain_id is not an integer"),
        (json.dumps(body(chain_id=1)).encode(), "chain_id 1 is not this chain's (31337)"),
        (json.dumps(body(kind="limit")).encode(), "unknown order kind 'limit'"),
        (json.dumps(body(order="0x010203")).encode(), "malformed"),
        (b"", "not JSON"),
    ],
)
def test_bad_orders_get_a_one_line_400(
    server: OrderServer, client: httpx.Client, content: bytes, message: str
) -> None:
    response = client.post("/orders", content=content, headers={"content-type": "application/json"})
    assert message in _one_line_error(response, 400)
    assert server.inbox.empty()


def test_an_oversized_body_gets_413(server: OrderServer, client: httpx.Client) -> None:
    response = client.post("/orders", content=b"x" * (server.max_body + 1))
    assert "over the limit" in _one_line_error(response, 413)
    assert server.inbox.empty()
    assert client.get("/orders").status_code == 200  # the server is still answering


def test_get_orders_lists_the_ledger_with_a_status_filter(client: httpx.Client, ledger: Ledger) -> None:
    hashes = []
    for nonce in (1, 2, 3):
        order = signed_order(nonce)
        ledger.record_order(
            order.hash,
            kind="dutch",
            encoded=order.encode(),
            signature=order.sign(KEY),
            swapper=SWAPPER,
            received_block=10,
            received_time=1_700_000_000,
        )
        hashes.append(order.hash)
    ledger.mark_skipped(hashes[1], "no_edge")

    everything = client.get("/orders")
    assert everything.status_code == 200
    assert [row["hash"] for row in everything.json()] == hashes
    assert everything.json()[0] == {
        "hash": hashes[0],
        "kind": "dutch",
        "status": "new",
        "reason": None,
        "swapper": SWAPPER,
        "tx_hash": None,
    }
    skipped = client.get("/orders", params={"status": "skipped"}).json()
    assert [(r["hash"], r["status"], r["reason"]) for r in skipped] == [(hashes[1], "skipped", "no_edge")]
    assert [r["hash"] for r in client.get("/orders?status=new").json()] == [hashes[0], hashes[2]]
    assert client.get("/orders", params={"status": "filled"}).json() == []
    assert "unknown status 'done'" in _one_line_error(client.get("/orders?status=done"), 400)
    assert "unknown parameter" in _one_line_error(client.get("/orders?limit=3"), 400)


def test_post_kill_trips_the_switch(client: httpx.Client, kill: KillSwitch) -> None:
    assert kill.tripped is None
    response = client.post("/kill")
    assert response.status_code == 200 and response.json()["killed"] is True
    assert kill.tripped == "http"
    assert client.post("/kill").json()["killed"] is True  # again: still killed, first reason kept


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("GET", "/orders/0x12", 404),
        ("POST", "/nope", 404),
        ("DELETE", "/orders", 405),
        ("GET", "/kill", 405),
    ],
)
def test_other_requests_get_json_errors(client: httpx.Client, method: str, path: str, status: int) -> None:
    _one_line_error(client.request(method, path), status)


def test_a_garbled_request_line_gets_json_not_html(server: OrderServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GARBAGE\r\n\r\n")
        reply = raw.recv(4096)
    assert reply.startswith(b"HTTP/1.") or reply.startswith(b"{")
    assert b"<html" not in reply.lower() and b"Traceback" not in reply
