"""Where orders come from: a JSON-lines file (record and replay) and a generator of user flow on the built-in
chain; each yields `IncomingOrder` records, the only thing the rest of the pipeline sees of a source.

    receive(kind, chain_id, encoded, signature, received_block=..., received_time=..., source=...)
        -> IncomingOrder                      (parsed once; `.malformed` and `.error` instead of raising)
    read_orders(path) -> (orders, bad_lines); iter_orders(lines, source=...); write_orders(path, orders);
        JsonlWriter(path).write(order)
    FlowGenerator(node, FlowConfig(seed=...)).prepare(); .step(next_prices=None) -> list[GeneratedOrder]
"""

from solver.flow.generator import (
    DEFAULT_COSIGNER_KEY,
    FlowConfig,
    FlowGenerator,
    GeneratedOrder,
    dev_account_key,
)
from solver.flow.incoming import IncomingOrder, receive
from solver.flow.jsonl import BadLine, JsonlWriter, iter_orders, read_orders, write_orders

__all__ = [
    "DEFAULT_COSIGNER_KEY",
    "BadLine",
    "FlowConfig",
    "FlowGenerator",
    "GeneratedOrder",
    "IncomingOrder",
    "JsonlWriter",
    "dev_account_key",
    "iter_orders",
    "read_orders",
    "receive",
    "write_orders",
]
