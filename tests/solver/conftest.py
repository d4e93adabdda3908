"""Fixtures of the routing tests: the built-in chain's pool universe, read once, and an executor per test.

The universe is read at the session's pristine state (every test runs inside the `chain` fixture's
snapshot), so its models are exactly what each test's chain holds when the test starts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amm.chain.node import Node
from amm.chain.session import ChainSession
from solver.routing.executor import RouteExecutor
from solver.routing.universe import Universe


@pytest.fixture(scope="session")
def universe(devnet: ChainSession) -> Universe:
    """Every pool of the built-in chain (discovered from its five tokens), at its pristine state."""
    return Universe.discover(devnet.node)


@pytest.fixture
def executor(chain: Node, roles) -> Iterator[RouteExecutor]:
    """A RouteExecutor deployed inside this test's snapshot."""
    yield RouteExecutor.deploy(chain, roles.deployer)
