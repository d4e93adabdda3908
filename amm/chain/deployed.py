"""The base of our contracts' Python wrappers (RouteExecutor, UniswapXFiller, JitExecutor): a node, the
contract bound at its address, and its owner where it has one. Subclasses name the artifact and add the
calls that are theirs."""

from __future__ import annotations

from typing import ClassVar

from eth_utils import to_checksum_address

from amm.chain.node import Contract, Node


class DeployedContract:
    """One of our contracts at `address` on `node`."""

    ARTIFACT: ClassVar[str]

    def __init__(self, node: Node, address: str) -> None:
        self.node = node
        self.contract: Contract = node.contract(self.ARTIFACT, address)

    @property
    def address(self) -> str:
        return self.contract.address


class OwnedContract(DeployedContract):
    """A contract whose money moves only at its owner's call (`owner()` on chain)."""

    @property
    def owner(self) -> str:
        return to_checksum_address(self.contract.call("owner"))
