"""The official UniswapX SDK as an oracle: one `node sdk_oracle.mjs` run (next to this file) per batch.

The request and result shapes, per order kind, are documented at the top of sdk_oracle.mjs. Every integer in a
result is a decimal string; requests may use decimal strings or ints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.node_oracle import run_node_oracle

SCRIPT = Path(__file__).with_name("sdk_oracle.mjs")


class SdkOracleFailed(RuntimeError):
    """The oracle script exited non-zero (a bad request or the SDK threw); the message is its stderr."""


def sdk_oracle(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the SDK computes for each request (same order), from one `node sdk_oracle.mjs` run."""
    return run_node_oracle(SCRIPT, requests, SdkOracleFailed)
