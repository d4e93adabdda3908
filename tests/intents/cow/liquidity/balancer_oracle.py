"""Balancer's TypeScript maths as an oracle: one `node balancer_oracle.mjs` run (next to this file) per batch.

The request and result shapes are documented at the top of balancer_oracle.mjs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("balancer_oracle.mjs")
REPO_ROOT = Path(__file__).resolve().parents[4]
TIMEOUT_S = 120


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
    node = shutil.which("node")
    if node is None:
        raise BalancerOracleFailed("node is not on PATH")
    proc = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise BalancerOracleFailed(
            proc.stderr.strip() or f"balancer_oracle.mjs exited with {proc.returncode}"
        )
    results = json.loads(proc.stdout)
    if not isinstance(results, list) or len(results) != len(requests):
        raise BalancerOracleFailed(f"expected {len(requests)} results, got {proc.stdout[:200]!r}")
    return [int(r["value"]) if "value" in r else str(r["error"]) for r in results]
