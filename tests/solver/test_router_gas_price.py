"""A route is never priced at a silent zero gas price: it is given one, or read from the node."""

from __future__ import annotations

import pytest

from amm.chain.node import Node
from solver.routing.errors import RoutingError
from solver.routing.router import Router


def test_without_a_gas_price_or_a_node_routing_refuses(universe) -> None:
    with pytest.raises(RoutingError, match="give gas_price_wei"):
        Router(universe).route("WETH", "USDC", 10**17)


def test_with_a_node_the_route_is_priced_at_the_nodes_gas_price(universe, chain: Node) -> None:
    node_price = int(chain.rpc.call("eth_gasPrice"), 16)
    assert node_price > 0
    from_node = Router(universe, node=chain).route("WETH", "USDC", 10**17)
    explicit = Router(universe).route("WETH", "USDC", 10**17, gas_price_wei=node_price)
    assert from_node.gas_price_wei == node_price and from_node.legs == explicit.legs
    free = Router(universe).route("WETH", "USDC", 10**17, gas_price_wei=0)
    assert len(free.legs) >= len(from_node.legs)  # gas makes a small order take fewer legs, never more
