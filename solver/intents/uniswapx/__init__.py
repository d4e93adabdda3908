"""UniswapX orders read, checked, resolved and signed exactly as the reactors and Permit2 do.

The names a bot calls:
    parse_order(encoded, kind=..., chain_id=...) -> Order     ("dutch", "v2_dutch", "v3_dutch", "priority")
    order.hash, order.permit_digest(), order.signer(signature), order.recover_cosigner()
    order.resolve(timestamp=..., block_number=..., base_fee=..., priority_fee=..., filler=...)
        -> ResolvedOrder
    check(order, signature, chain=None, now=None) -> list[Rejection]      (Rejection.code, Rejection.reason)
Orders are built from their dataclasses (ExclusiveDutchOrder, V2DutchOrder, V3DutchOrder, PriorityOrder),
signed with `order.sign(key)` (eth-account) and cosigned with `order.cosign(key)`.
"""

from solver.intents.uniswapx.checks import CODES, Rejection, check, check_many
from solver.intents.uniswapx.dutch import ExclusiveDutchOrder
from solver.intents.uniswapx.eip712 import PERMIT2, domain_separator
from solver.intents.uniswapx.errors import InvalidSignature, MalformedOrder, OrderError, OrderReverts
from solver.intents.uniswapx.order import CosignedOrder, Order
from solver.intents.uniswapx.parse import parse_order
from solver.intents.uniswapx.priority import PriorityInput, PriorityOrder, PriorityOutput
from solver.intents.uniswapx.reactors import KINDS, REACTORS, kind_of_reactor, reactor_for
from solver.intents.uniswapx.types import (
    ZERO_ADDRESS,
    DutchInput,
    DutchOutput,
    InputToken,
    OrderInfo,
    OutputToken,
    ResolvedOrder,
)
from solver.intents.uniswapx.v2_dutch import V2CosignerData, V2DutchOrder
from solver.intents.uniswapx.v3_dutch import (
    NonlinearDutchDecay,
    V3CosignerData,
    V3DutchInput,
    V3DutchOrder,
    V3DutchOutput,
)

__all__ = [
    "CODES",
    "KINDS",
    "PERMIT2",
    "REACTORS",
    "ZERO_ADDRESS",
    "CosignedOrder",
    "DutchInput",
    "DutchOutput",
    "ExclusiveDutchOrder",
    "InputToken",
    "InvalidSignature",
    "MalformedOrder",
    "NonlinearDutchDecay",
    "Order",
    "OrderError",
    "OrderInfo",
    "OrderReverts",
    "OutputToken",
    "PriorityInput",
    "PriorityOrder",
    "PriorityOutput",
    "Rejection",
    "ResolvedOrder",
    "V2CosignerData",
    "V2DutchOrder",
    "V3CosignerData",
    "V3DutchInput",
    "V3DutchOrder",
    "V3DutchOutput",
    "check",
    "check_many",
    "domain_separator",
    "kind_of_reactor",
    "parse_order",
    "reactor_for",
]
