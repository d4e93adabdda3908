"""`parse_order`: encoded bytes of any kind -> an `Order`, never a traceback."""

from __future__ import annotations

from solver.intents.uniswapx.eip712 import PERMIT2
from solver.intents.uniswapx.errors import MalformedOrder
from solver.intents.uniswapx.order import Order
from solver.intents.uniswapx.reactors import KINDS


def parse_order(encoded: bytes | str, *, kind: str, chain_id: int, permit2: str = PERMIT2) -> Order:
    """Decode `encoded` (bytes or 0x-hex, the reactor's `order` bytes; cosigned kinds in their full cosigned
    encoding) as an order of `kind` ("dutch", "v2_dutch", "v3_dutch", "priority") signed for `chain_id`.
    Raises MalformedOrder (code "malformed") for anything the reactor could not decode."""
    order_class = KINDS.get(kind)
    if order_class is None:
        raise MalformedOrder(f"unknown order kind {kind!r}: one of {', '.join(KINDS)}")
    return order_class.parse(encoded, chain_id=chain_id, permit2=permit2)
