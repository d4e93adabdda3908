"""Shared fixtures: one built-in chain per test session, each test inside an evm_snapshot/evm_revert.

Tests talk to a real anvil running real contract bytecode. The chain starts from its state file (built once by
`make test` before pytest runs, or here if missing), so a session pays about a second for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet.build import Roles
from amm.chain.devnet.spec import TOKENS
from amm.chain.node import Node
from amm.chain.session import ChainSession, start_devnet, start_fork
from amm.chain.tokens import deal


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ETH_RPC_URL"):
        return
    skip = pytest.mark.skip(reason="needs a real mainnet RPC: set ETH_RPC_URL")
    for item in items:
        if "mainnet" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def devnet() -> Iterator[ChainSession]:
    """The built-in mainnet-shaped chain, shared by the whole session (never mutate it outside `chain`)."""
    session = start_devnet()
    yield session
    session.close()


@pytest.fixture
def chain(devnet: ChainSession) -> Iterator[Node]:
    """The built-in chain's node, reverted to its pristine state after the test."""
    snapshot = devnet.node.snapshot()
    try:
        yield devnet.node
    finally:
        devnet.node.revert(snapshot)


@pytest.fixture(scope="session")
def roles(devnet: ChainSession) -> Roles:
    assert devnet.roles is not None
    return devnet.roles


@pytest.fixture
def user(roles: Roles) -> str:
    """A funded test account with no approvals given."""
    return roles.users[0]


class Funder:
    """Give any account any amount of any token (storage write, works on a fork too)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def __call__(self, token: str, account: str, amount: int) -> None:
        address = TOKENS[token].address if token in TOKENS else token
        deal(self.node, address, account, amount)

    def eth(self, account: str, wei: int) -> None:
        self.node.set_balance(account, wei)


@pytest.fixture
def fund(chain: Node) -> Funder:
    return Funder(chain)


@pytest.fixture(scope="session")
def mainnet_fork() -> Iterator[ChainSession]:
    """A local anvil fork of mainnet; tests using it are marked `mainnet` and skip without ETH_RPC_URL."""
    url = os.environ.get("ETH_RPC_URL")
    if not url:
        pytest.skip("needs a real mainnet RPC: set ETH_RPC_URL")
    block = os.environ.get("ETH_FORK_BLOCK")
    session = start_fork(url, int(block) if block else None)
    yield session
    session.close()


__all__ = ["Funder", "mainnet"]
