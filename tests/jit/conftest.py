"""Fixtures of the JIT tests: a built-in chain started with `--order fifo` (bundles need it), its pools read
once at the pristine state, and per test a funded JitExecutor inside a snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from amm.chain.devnet.build import Roles
from amm.chain.devnet.spec import TOKENS
from amm.chain.node import Node
from amm.chain.session import ChainSession, start_devnet
from amm.chain.tokens import deal
from solver.flow.generator import dev_account_key
from solver.jit.executor import JitExecutor
from solver.routing.universe import Universe

INVENTORY = {"USDC": 10_000_000 * 10**6, "WETH": 3_000 * 10**18, "USDT": 10_000_000 * 10**6}


@pytest.fixture(scope="session")
def fifo_devnet() -> Iterator[ChainSession]:
    """The built-in chain on a node that orders pending transactions first in, first out."""
    session = start_devnet(anvil_args=("--order", "fifo"))
    yield session
    session.close()


@pytest.fixture(scope="session")
def fifo_roles(fifo_devnet: ChainSession) -> Roles:
    assert fifo_devnet.roles is not None
    return fifo_devnet.roles


@pytest.fixture(scope="session")
def pools(fifo_devnet: ChainSession) -> Universe:
    """Every pool of the built-in chain at its pristine state (each test starts from it)."""
    return Universe.discover(fifo_devnet.node)


@pytest.fixture
def node(fifo_devnet: ChainSession) -> Iterator[Node]:
    """The fifo node, reverted to its pristine state after the test."""
    snapshot = fifo_devnet.node.snapshot()
    try:
        yield fifo_devnet.node
    finally:
        fifo_devnet.node.revert(snapshot)


@dataclass
class Jit:
    node: Node
    executor: JitExecutor
    owner: str
    victim: str
    victim_key: str
    stranger: str

    def fund(self, symbol: str, account: str, amount: int) -> None:
        deal(self.node, TOKENS[symbol].address, account, amount)


@pytest.fixture
def jit(node: Node, fifo_roles: Roles) -> Jit:
    """An executor owned by dev account 7 holding `INVENTORY`; dev account 6 is the victim, 8 a stranger."""
    owner, victim, stranger = fifo_roles.users[1], fifo_roles.users[0], fifo_roles.users[2]
    executor = JitExecutor.deploy(node, owner)
    setup = Jit(node, executor, owner, victim, dev_account_key(6), stranger)
    for symbol, amount in INVENTORY.items():
        setup.fund(symbol, executor.address, amount)
    return setup
