"""The one record every source of orders yields: what arrived, when, from where, and the order it parses to.

Sources (a JSON-lines file, the generator, an HTTP endpoint) differ only in how they get the bytes; past this
record the pipeline sees plain data. Bytes that do not parse still make a record (flagged with the reason),
so a bad order is counted and skipped downstream, never a traceback in the collector.
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.intents.uniswapx import Order, OrderError, parse_order


@dataclass(frozen=True)
class IncomingOrder:
    """An encoded, signed UniswapX order as it arrived, with its parsed `order` (None if it did not parse)."""

    kind: str  # "dutch", "v2_dutch", "v3_dutch", "priority" (as the sender claimed it)
    chain_id: int
    encoded: bytes  # the reactor's `order` bytes (cosigned kinds in their full cosigned encoding)
    signature: bytes  # the swapper's Permit2 signature
    received_block: int | None  # the chain's latest block when it arrived (None: unknown)
    received_time: int | None  # unix seconds (the block's timestamp for generated flow)
    source: str  # where it came from, e.g. "jsonl:orders.jsonl" or "generator:seed=7"
    order: Order | None = None
    error: str | None = None  # why `encoded` does not parse, when it does not

    @property
    def malformed(self) -> bool:
        return self.order is None

    @property
    def hash(self) -> str | None:
        """The order hash (the reactor's Fill event key), or None for bytes that do not parse."""
        return self.order.hash if self.order is not None else None


def receive(
    kind: str,
    chain_id: int,
    encoded: bytes,
    signature: bytes,
    *,
    received_block: int | None,
    received_time: int | None,
    source: str,
) -> IncomingOrder:
    """The record for these bytes, parsed once here; a parse failure is recorded as `error`, not raised."""
    order: Order | None = None
    error: str | None = None
    try:
        order = parse_order(encoded, kind=kind, chain_id=chain_id)
    except OrderError as exc:
        error = f"{exc.code}: {exc.reason}"
    return IncomingOrder(
        kind, chain_id, bytes(encoded), bytes(signature), received_block, received_time, source, order, error
    )
