"""Raw JSON-RPC over one keep-alive httpx client.

web3's contract calls cost ~7 ms and three HTTP requests each here; a raw batch of ~1,000 calls costs ~80 ms.
Every bulk read in the toolkit therefore goes through `RpcClient.batch`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from amm.chain.errors import ChainError, NodeUnreachable, RpcError

Call = tuple[str, Sequence[Any]]

DEFAULT_BATCH_SIZE = 1000


class RpcClient:
    """A JSON-RPC client that counts what it sends, so callers can report the cost of a read.

    `diagnose` is consulted when the node cannot be reached: the anvil wrapper uses it to say that its
    process died (with the log line that says why) rather than a bare "connection refused".
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        diagnose: Callable[[], ChainError | None] | None = None,
    ) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout, headers={"content-type": "application/json"})
        self._ids = itertools.count(1)
        self._diagnose = diagnose
        self.http_requests = 0
        self.calls = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call; raises RpcError with the node's message (and revert data) on error."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        self.calls += 1
        reply = self._post(payload)
        if not isinstance(reply, dict):
            raise ChainError(f"{method}: the node at {self.url} sent an unexpected reply: {str(reply)[:200]}")
        return _result(method, reply)

    def batch(self, calls: Sequence[Call], *, size: int = DEFAULT_BATCH_SIZE) -> list[Any]:
        """Many calls in JSON-RPC batches of `size`; results in order. Raises the first error."""
        results = self.batch_results(calls, size=size)
        for value in results:
            if isinstance(value, RpcError):
                raise value
        return results

    def batch_results(self, calls: Sequence[Call], *, size: int = DEFAULT_BATCH_SIZE) -> list[Any]:
        """Like `batch`, but an erroring call yields its RpcError in place instead of raising."""
        out: list[Any] = []
        for start in range(0, len(calls), size):
            chunk = calls[start : start + size]
            ids = [next(self._ids) for _ in chunk]
            payload = [
                {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                for i, (m, p) in zip(ids, chunk, strict=True)
            ]
            self.calls += len(chunk)
            replies = self._post(payload)
            if isinstance(replies, dict):  # some nodes answer a whole failed batch with one error
                raise RpcError("batch", *_error_fields(replies.get("error") or {}))
            by_id = {r.get("id"): r for r in replies}
            for i, (method, _) in zip(ids, chunk, strict=True):
                reply = by_id.get(i)
                if reply is None:
                    out.append(RpcError(method, -32603, "no reply in batch"))
                    continue
                try:
                    out.append(_result(method, reply))
                except RpcError as err:
                    out.append(err)
        return out

    def eth_call(self, to: str, data: bytes | str, block: str | int = "latest") -> bytes:
        """eth_call returning raw bytes."""
        raw = self.call("eth_call", [{"to": to, "data": _hex(data)}, block_tag(block)])
        return bytes.fromhex(raw[2:])

    def _post(self, payload: object) -> Any:
        self.http_requests += 1
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.TransportError as err:
            raise self._unreachable(err) from None
        if response.status_code != 200:
            raise NodeUnreachable(
                f"the node at {self.url} answered HTTP {response.status_code} with {_describe(response.text)}"
            )
        try:
            return response.json()
        except ValueError:
            raise NodeUnreachable(
                f"the node at {self.url} answered {_describe(response.text)}, not JSON-RPC"
            ) from None

    def _unreachable(self, err: Exception) -> ChainError:
        if self._diagnose is not None:
            diagnosis = self._diagnose()
            if diagnosis is not None:
                return diagnosis
        kind = "timed out" if isinstance(err, httpx.TimeoutException) else "connection failed"
        return NodeUnreachable(f"cannot reach the node at {self.url}: {kind} ({type(err).__name__})")


def _describe(body: str) -> str:
    """A one-line account of a non-JSON answer: an HTML page (a web server, not a node), nothing, or text."""
    text = body.strip()
    if not text:
        return "an empty body"
    if text.startswith("<"):
        return "an HTML page (a web server, not a JSON-RPC node?)"
    return repr(text.splitlines()[0][:120])


def block_tag(block: str | int) -> str:
    return hex(block) if isinstance(block, int) else block


def _hex(data: bytes | str) -> str:
    return data if isinstance(data, str) else "0x" + data.hex()


def _error_fields(error: dict[str, Any]) -> tuple[int, str, str | None]:
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest the revert payload
        data = data.get("data") or data.get("result")
    return int(error.get("code", -32603)), str(error.get("message", "unknown error")), data


def _result(method: str, reply: dict[str, Any]) -> Any:
    if "error" in reply and reply["error"] is not None:
        raise RpcError(method, *_error_fields(reply["error"]))
    return reply.get("result")
