"""Fixtures of the UniswapX order tests: `sdk`, the official JS SDK run as an oracle (see sdk_oracle.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from solver.routing.universe import Universe

from .sdk_oracle import sdk_oracle


@pytest.fixture(scope="session")
def sdk() -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """`sdk(requests) -> results`: one node process per call; batch the requests."""
    return sdk_oracle


@pytest.fixture(scope="session")
def universe(devnet) -> Universe:
    """Every pool of the built-in chain at its pristine state, for routed fills."""
    return Universe.discover(devnet.node)
