"""The RouteExecutor at its documented address: there on the built-in chain with pinned code, CREATE2'd on
demand on an anvil that lacks it, a one-line error elsewhere."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain.devnet import route_executor
from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.session import ChainSession
from solver.routing import executor as executor_module
from solver.routing.executor import RouteExecutor

# keccak256 of the runtime code at addresses.ROUTE_EXECUTOR: a change to contracts/RouteExecutor.sol moves
# the address and changes this (update both, and the README)
RUNTIME_CODE_HASH = "d63b42b64e9d981921cdfd5c9cf4566c12ed314c0f85d669d65ce1cbe51e56f2"


def test_the_executor_is_at_its_documented_address(devnet: ChainSession) -> None:
    code = devnet.node.code(mainnet.ROUTE_EXECUTOR)
    assert keccak(code).hex() == RUNTIME_CODE_HASH
    assert devnet.manifest["route_executor"] == mainnet.ROUTE_EXECUTOR
    assert route_executor.expected_address() == mainnet.ROUTE_EXECUTOR
    assert RouteExecutor.at_known_address(devnet.node).address == mainnet.ROUTE_EXECUTOR


def _remove(node: Node) -> None:
    """As on a chain that never had it: no code, nonce 0 (else CREATE2 would collide)."""
    node.set_code(mainnet.ROUTE_EXECUTOR, b"")
    node.rpc.call("anvil_setNonce", [mainnet.ROUTE_EXECUTOR, "0x0"])


def test_anvil_without_it_gets_it_by_the_same_create2(chain: Node, roles) -> None:
    _remove(chain)
    with pytest.raises(ChainError, match="no RouteExecutor at"):
        RouteExecutor.at_known_address(chain)  # no deployer given: nothing is sent
    executor = RouteExecutor.at_known_address(chain, roles.users[1])
    assert executor.address == mainnet.ROUTE_EXECUTOR
    assert keccak(chain.code(mainnet.ROUTE_EXECUTOR)).hex() == RUNTIME_CODE_HASH


def test_a_node_other_than_anvil_gets_a_one_line_error(
    chain: Node, roles, monkeypatch: pytest.MonkeyPatch
) -> None:
    _remove(chain)
    monkeypatch.setattr(executor_module, "is_anvil", lambda node: False)
    with pytest.raises(ChainError) as raised:
        RouteExecutor.at_known_address(chain, roles.users[1])
    assert "\n" not in str(raised.value) and mainnet.CREATE2_DEPLOYER in str(raised.value)
    assert not chain.code(mainnet.ROUTE_EXECUTOR)
