"""`POST /solve` over HTTP: the CoW solver-engine API a driver calls.

    POST /solve    an Auction (JSON) -> 200 {"solutions": [...]}
                   a malformed auction -> 400 {"message": "<one line>"} (the solver crate's error body)
    POST /notify   a notification about an earlier solution -> 200 (acknowledged, not acted on)
    GET  /healthz  -> 200

Bodies that are not JSON, too large, or sent to other paths get 400, 413 or 404 with the same error body;
an unexpected failure inside the engine answers 500 with one line, never a traceback.
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from solver.intents.cow.api import AuctionError, error_json
from solver.intents.cow.engine import CowEngine

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024  # a 1,000-order auction with its liquidity is a few MB


class CowServer:
    """The engine on `host:port` in a daemon thread (`port=0`: a free one; `.url` says which)."""

    def __init__(self, engine: CowEngine, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.engine = engine
        self._httpd = ThreadingHTTPServer((host, port), _handler(engine))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CowServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="cow-solver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> CowServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _handler(engine: CowEngine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def _answer(self, status: HTTPStatus, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise _TooLarge
            raw = self.rfile.read(length)
            try:
                return json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise AuctionError(f"the body is not JSON: {e}") from None

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/healthz":
                self._answer(HTTPStatus.OK, {"status": "ok"})
            else:
                self._answer(HTTPStatus.NOT_FOUND, error_json(f"no route GET {self.path}"))

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            try:
                body = self._body()
                if path == "/solve":
                    self._answer(HTTPStatus.OK, engine.solve(body))
                elif path == "/notify":
                    self._answer(HTTPStatus.OK, {})
                else:
                    self._answer(HTTPStatus.NOT_FOUND, error_json(f"no route POST {path}"))
            except AuctionError as e:
                self._answer(HTTPStatus.BAD_REQUEST, error_json(str(e)))
            except _TooLarge:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error_json("the body is too large"))
            except Exception as e:  # a solver must answer, not die
                log.exception("solve failed")
                line = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
                self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, error_json(f"internal error: {line}"))

    return Handler


class _TooLarge(Exception):
    pass
