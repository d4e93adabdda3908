"""The official UniswapX SDK as an oracle: one `node sdk_oracle.mjs` run (next to this file) per batch.

The request and result shapes, per order kind, are documented at the top of sdk_oracle.mjs. Every integer in a
result is a decimal string; requests may use decimal strings or ints.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("sdk_oracle.mjs")
REPO_ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 120


class SdkOracleFailed(RuntimeError):
    """The oracle script exited non-zero (a bad request or the SDK threw); the message is its stderr."""


def sdk_oracle(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the SDK computes for each request (same order), from one `node sdk_oracle.mjs` run."""
    node = shutil.which("node")
    if node is None:
        raise SdkOracleFailed("node is not on PATH (the SDK oracle needs Node 20 and `npm ci`)")
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
        raise SdkOracleFailed(proc.stderr.strip() or f"sdk_oracle.mjs exited with status {proc.returncode}")
    results = json.loads(proc.stdout)
    if not isinstance(results, list) or len(results) != len(requests):
        raise SdkOracleFailed(f"expected {len(requests)} results, got {proc.stdout[:200]!r}")
    return results
