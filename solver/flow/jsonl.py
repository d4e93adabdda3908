"""Orders as JSON lines: the format a live run records its flow in and a backtest replays.

One object per line::

    {"kind": "v2_dutch", "chain_id": 31337, "order": "0x...", "signature": "0x...",
     "received_at": {"block": 123, "time": 1700000000}, "source": "generator:seed=7"}

`received_at` may also be a bare unix time or absent; `source` is optional (the reader labels lines without
one by the file). A line that is not such an object is reported with its line number and skipped; a line
whose order bytes do not parse is still read, as a malformed `IncomingOrder`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from solver.flow.incoming import IncomingOrder, receive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadLine:
    """A line the reader skipped, and why."""

    line: int  # 1-based, as an editor shows it
    reason: str


def to_json_line(incoming: IncomingOrder) -> str:
    """One line (no newline) for `incoming`; what `from_json_line` reads back to an equal record."""
    record: dict[str, Any] = {
        "kind": incoming.kind,
        "chain_id": incoming.chain_id,
        "order": "0x" + incoming.encoded.hex(),
        "signature": "0x" + incoming.signature.hex(),
        "received_at": {"block": incoming.received_block, "time": incoming.received_time},
        "source": incoming.source,
    }
    return json.dumps(record, separators=(",", ":"))


def _hex_bytes(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"{field} is not a 0x-hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError(f"{field} is not valid hex") from None


def _optional_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} is not an integer")
    return value


def _received_at(value: Any) -> tuple[int | None, int | None]:
    if isinstance(value, dict):
        return _optional_int(value.get("block"), "received_at.block"), _optional_int(
            value.get("time"), "received_at.time"
        )
    return None, _optional_int(value, "received_at")


def from_json_line(text: str, *, default_source: str) -> IncomingOrder:
    """The record on one line; ValueError (one line, saying what is wrong) if it is not a valid order line."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [f for f in ("kind", "chain_id", "order", "signature") if f not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    kind, chain_id, source = record["kind"], record["chain_id"], record.get("source", default_source)
    if not isinstance(kind, str):
        raise ValueError("kind is not a string")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int):
        raise ValueError("chain_id is not an integer")
    if not isinstance(source, str):
        raise ValueError("source is not a string")
    block, time = _received_at(record.get("received_at"))
    return receive(
        kind,
        chain_id,
        _hex_bytes(record["order"], "order"),
        _hex_bytes(record["signature"], "signature"),
        received_block=block,
        received_time=time,
        source=source,
    )


def iter_orders(
    lines: Iterable[str], *, source: str, bad_lines: list[BadLine] | None = None
) -> Iterator[IncomingOrder]:
    """Each order line's record, in order; blank lines are ignored, bad ones appended to `bad_lines` (and
    logged) and skipped, so one corrupt line in a recording does not lose the rest."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield from_json_line(text, default_source=source)
        except ValueError as exc:
            log.warning("%s line %d skipped: %s", source, number, exc)
            if bad_lines is not None:
                bad_lines.append(BadLine(number, str(exc)))


def read_orders(path: str | Path) -> tuple[list[IncomingOrder], list[BadLine]]:
    """Every order of a JSON-lines file, and the lines skipped."""
    path = Path(path)
    bad_lines: list[BadLine] = []
    with path.open(encoding="utf-8") as lines:
        orders = list(iter_orders(lines, source=f"jsonl:{path.name}", bad_lines=bad_lines))
    return orders, bad_lines


class JsonlWriter:
    """Appends orders to a JSON-lines file, one flushed line each, so a run that dies keeps what it saw."""

    def __init__(self, path: str | Path, *, append: bool = True) -> None:
        self.path = Path(path)
        self._file: TextIO = self.path.open("a" if append else "w", encoding="utf-8")

    def write(self, incoming: IncomingOrder) -> None:
        self._file.write(to_json_line(incoming) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def write_orders(path: str | Path, orders: Iterable[IncomingOrder], *, append: bool = False) -> int:
    """Write `orders` to `path` (replacing it unless `append`); returns how many were written."""
    count = 0
    with JsonlWriter(path, append=append) as writer:
        for incoming in orders:
            writer.write(incoming)
            count += 1
    return count
