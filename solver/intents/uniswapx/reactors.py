"""Which reactor fills which order kind on which chain, and which kind a reactor address belongs to.

The built-in chain (31337) carries mainnet's reactors at their mainnet addresses, plus PriorityOrderReactor at
its Base address (it is not deployed on mainnet). Addresses from UniswapX's deployments and SDK 3.1.0.
"""

from __future__ import annotations

from amm.chain import addresses as mainnet
from solver.intents.uniswapx.dutch import ExclusiveDutchOrder
from solver.intents.uniswapx.order import Order
from solver.intents.uniswapx.priority import PriorityOrder
from solver.intents.uniswapx.v2_dutch import V2DutchOrder
from solver.intents.uniswapx.v3_dutch import V3DutchOrder

KINDS: dict[str, type[Order]] = {
    "dutch": ExclusiveDutchOrder,
    "v2_dutch": V2DutchOrder,
    "v3_dutch": V3DutchOrder,
    "priority": PriorityOrder,
}

MAINNET_REACTORS = {
    "dutch": mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR,
    "v2_dutch": mainnet.V2_DUTCH_ORDER_REACTOR,
    "v3_dutch": mainnet.V3_DUTCH_ORDER_REACTOR,
}
BASE_V3_DUTCH_ORDER_REACTOR = "0x000000008a8330B5d1F43A62Bf4C673A49f27ba0"
REACTORS: dict[int, dict[str, str]] = {
    1: MAINNET_REACTORS,
    8453: {"priority": mainnet.PRIORITY_ORDER_REACTOR, "v3_dutch": BASE_V3_DUTCH_ORDER_REACTOR},
    31337: {**MAINNET_REACTORS, "priority": mainnet.PRIORITY_ORDER_REACTOR},
}


def reactor_for(kind: str, chain_id: int) -> str | None:
    """The reactor that fills `kind` orders on `chain_id`, or None where none is known."""
    return REACTORS.get(chain_id, {}).get(kind)


def kind_of_reactor(reactor: str, chain_id: int) -> str | None:
    """The order kind a known reactor fills on `chain_id`."""
    for kind, address in REACTORS.get(chain_id, {}).items():
        if address.lower() == reactor.lower():
            return kind
    return None
