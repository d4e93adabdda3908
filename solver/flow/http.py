"""The local HTTP order endpoint: orders come in as JSON, leave as `IncomingOrder` records in an inbox.

    POST /orders            one order in the JSON-lines shape (`solver.flow.jsonl`):
                            {"kind": "v2_dutch", "chain_id": 31337, "order": "0x..", "signature": "0x.."}
                            -> 202 {"hash": "0x..", "status": "queued"}
    GET  /orders[?status=S] the ledger's orders (S one of new, skipped, sending, sent, filled, reverted,
                            dropped) -> 200 [{"hash", "kind", "status", "reason", "swapper", "tx_hash"}, ...]
    POST /kill              trips the run's kill switch with reason "http" -> 200 {"killed": true}

Errors are one JSON object `{"error": "<one line>"}` with 400 (bad JSON, missing field, bad hex, another
chain's id, unknown kind, bytes that do not parse), 404, 405, 411, 413 or 503 (inbox full); never a
traceback.

The wire format stops here. The handler thread only parses and queues: the run loop owns the `Solver` and
drains the inbox once per block (`OrderServer.drain`), stamping each order with the block it entered in, as
the generator does for its own flow. `GET /orders` reads the ledger from the HTTP thread, which is safe: the
`Ledger` serialises every call on one lock. `received_at` and `source` in a posted body are ignored (the
server says when and where an order arrived: `source` is "http"). Nothing of an order is logged.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from solver.accounting.ledger import Ledger
from solver.accounting.records import Status
from solver.flow.incoming import IncomingOrder
from solver.flow.jsonl import from_json_line
from solver.risk.kill import KillSwitch

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # an encoded order is a few KB; anything near this is not an order
_DISCARD_LIMIT = 1024 * 1024  # an oversized body up to this is read and dropped, so the client sees the 413
INBOX_SIZE = 10_000
SOURCE = "http"
_STATUSES = tuple(s.value for s in Status)


class OrderServer:
    """The endpoint on 127.0.0.1 in a daemon thread; `with OrderServer(...) as server:` starts and stops it.

    `port=0` picks a free port (`.url` says which). Orders land in `inbox` (a `queue.Queue`, created here
    unless given) as `IncomingOrder` records with no block or time yet: `drain` stamps and returns them."""

    def __init__(
        self,
        *,
        chain_id: int,
        ledger: Ledger,
        kill: KillSwitch,
        inbox: queue.Queue[IncomingOrder] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = MAX_BODY,
    ) -> None:
        self.chain_id = chain_id
        self.ledger = ledger
        self.kill = kill
        self.inbox: queue.Queue[IncomingOrder] = inbox if inbox is not None else queue.Queue(INBOX_SIZE)
        self.max_body = max_body
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> OrderServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="order-http",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and release the port (orders already queued stay in `inbox`)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> OrderServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def drain(
        self, *, received_block: int | None = None, received_time: int | None = None
    ) -> list[IncomingOrder]:
        """Every order queued so far, in arrival order, stamped with `received_block` and `received_time`
        (the chain's block they enter in)."""
        orders = []
        while True:
            try:
                incoming = self.inbox.get_nowait()
            except queue.Empty:
                return orders
            block = incoming.received_block if incoming.received_block is not None else received_block
            when = incoming.received_time if incoming.received_time is not None else received_time
            orders.append(dataclasses.replace(incoming, received_block=block, received_time=when))

    # -- what the handler calls ------------------------------------------------------------------------
    def accept(self, body: bytes) -> tuple[int, Any]:
        """Answer to a POST /orders body: (status code, JSON-able reply)."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return 400, {"error": "body is not UTF-8"}
        try:
            incoming = from_json_line(text, default_source=SOURCE)
        except ValueError as exc:
            return 400, {"error": _one_line(str(exc))}
        if incoming.chain_id != self.chain_id:
            return 400, {"error": f"chain_id {incoming.chain_id} is not this chain's ({self.chain_id})"}
        if incoming.malformed:
            return 400, {"error": _one_line(incoming.error or "malformed order")}
        incoming = dataclasses.replace(incoming, received_block=None, received_time=None, source=SOURCE)
        try:
            self.inbox.put_nowait(incoming)
        except queue.Full:
            return 503, {"error": "order inbox is full: try again in a block"}
        return 202, {"hash": incoming.hash, "status": "queued"}

    def list_orders(self, query: str) -> tuple[int, Any]:
        params = parse_qs(query, keep_blank_values=True)
        unknown = sorted(set(params) - {"status"})
        if unknown:
            return 400, {"error": f"unknown parameter {unknown[0]!r}: only status"}
        status = params.get("status", [None])[-1] or None
        if status is not None and status not in _STATUSES:
            return 400, {"error": f"unknown status {status!r}: one of {', '.join(_STATUSES)}"}
        return 200, [
            {
                "hash": row.hash,
                "kind": row.kind,
                "status": row.status.value,
                "reason": row.reason,
                "swapper": row.swapper,
                "tx_hash": row.tx_hash,
            }
            for row in self.ledger.orders(status)
        ]

    def trip(self) -> tuple[int, Any]:
        self.kill.trip(SOURCE)
        return 200, {"killed": True, "reason": self.kill.tripped}


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _handler_class(server: OrderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        orders = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    orders: OrderServer
    timeout = 10  # seconds a client may stall mid-request
    server_version = "solver"
    sys_version = ""
    error_content_type = "application/json"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        try:
            parts = urlsplit(self.path)
            route = parts.path.rstrip("/") or "/"
            if route == "/orders" and method == "GET":
                self._reply(*self.orders.list_orders(parts.query))
            elif route == "/orders" and method == "POST":
                body = self._body()
                if body is not None:
                    self._reply(*self.orders.accept(body))
            elif route == "/kill" and method == "POST":
                self._body()  # whatever it says, a POST /kill kills
                self._reply(*self.orders.trip())
            elif route in ("/orders", "/kill"):
                self._reply(405, {"error": f"{method} is not allowed on {route}"})
            else:
                self._reply(404, {"error": f"no such endpoint: {method} {route[:100]}"})
        except Exception as exc:  # the client gets one line; the log gets the type, never the body
            log.error("HTTP %s failed: %s", method, type(exc).__name__)
            self.close_connection = True
            self._reply(500, {"error": "internal error"})

    def _body(self) -> bytes | None:
        """The request body, or None after answering 411/413 for a body that is missing or too large."""
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                self._reply(411, {"error": "send a Content-Length (chunked bodies are not accepted)"})
                return None
            return b""
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._reply(400, {"error": "bad Content-Length"})
            return None
        if length > self.orders.max_body:
            self.close_connection = True
            if length <= _DISCARD_LIMIT:  # read it, so the client is not reset before it reads the 413
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            self._reply(413, {"error": f"body of {length} bytes is over the limit of {self.orders.max_body}"})
            return None
        return self.rfile.read(length)

    def _reply(self, code: int, payload: Any) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises itself (a bad request line, headers too long) as JSON too."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._reply(code, {"error": _one_line(message or phrase)})

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
