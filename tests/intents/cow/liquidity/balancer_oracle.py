"""Balancer's TypeScript maths as an oracle: one `node balancer_oracle.mjs` run (next to this file) per batch.

The request and result shapes are documented at the top of balancer_oracle.mjs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.node_oracle import REPO_ROOT, run_node_oracle

SCRIPT = Path(__file__).with_name("balancer_oracle.mjs")


class BalancerOracleFailed(RuntimeError):
    """The oracle script could not run or exited non-zero; the message is its stderr."""


def oracle_available() -> bool:
    """node is on PATH and `npm ci` installed @balancer-labs/balancer-maths."""
    return (
        shutil.which("node") is not None
        and (REPO_ROOT / "node_modules/@balancer-labs/balancer-maths").is_dir()
    )


def balancer_oracle(requests: list[dict[str, Any]]) -> list[int | str]:
    """Each request's value as an int, or the error message (a str) when the maths throws."""
    results = run_node_oracle(SCRIPT, requests, BalancerOracleFailed)
    return [int(r["value"]) if "value" in r else str(r["error"]) for r in results]
