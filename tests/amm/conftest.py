"""Fixtures for the tests that prove the models against real bytecode on a bare anvil (see bare_chain.py).

The differential tests record how many operations they compared in `differential_counts`; the totals are
printed at the end of the run (`make test` shows them without -s).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from .bare_chain import Bare, bare_chain

_COUNTS = pytest.StashKey[dict[str, Counter[str]]]()


@pytest.fixture(scope="session")
def bare() -> Iterator[Bare]:
    """One empty anvil per session with the Uniswap v3/v2 cores and lenses deployed."""
    with bare_chain() as chain:
        yield chain


@pytest.fixture
def bare_node(bare: Bare) -> Iterator[Bare]:
    """The bare chain, reverted to its deployed state after the test."""
    snapshot = bare.node.snapshot()
    try:
        yield bare
    finally:
        bare.node.revert(snapshot)


@pytest.fixture(scope="session")
def differential_counts(pytestconfig: pytest.Config) -> dict[str, Counter[str]]:
    """Per suite ('v3', 'v2'): examples, operations and reverts compared with the bytecode."""
    return pytestconfig.stash.setdefault(_COUNTS, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    counts = config.stash.get(_COUNTS, {})
    if not counts:
        return
    terminalreporter.write_sep("-", "operations compared with the real contracts on anvil")
    for name, c in sorted(counts.items()):
        terminalreporter.write_line(
            f"{name}: {c['operations']:,} operations in {c['examples']} examples, {c['reverts']:,} reverts"
        )
    total = sum(c["operations"] for c in counts.values())
    terminalreporter.write_line(f"total: {total:,} operations compared")
