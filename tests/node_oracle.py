"""Run a Node script as a test oracle: the requests as JSON on stdin, one JSON result per request on stdout.

The UniswapX SDK (tests/intents/uniswapx/sdk_oracle.mjs) and Balancer's maths
(tests/intents/cow/liquidity/balancer_oracle.mjs) are both asked this way, once per batch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def run_node_oracle(script: Path, requests: list[dict[str, Any]], failed: type[Exception]) -> list[Any]:
    """What `script` answers for each request (same order); `failed` is raised, with node's stderr, if node
    is missing, the script exits non-zero or it answers the wrong number of results."""
    node = shutil.which("node")
    if node is None:
        raise failed(f"node is not on PATH ({script.name} needs Node 20 and `npm ci`)")
    proc = subprocess.run(
        [node, str(script)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise failed(proc.stderr.strip() or f"{script.name} exited with status {proc.returncode}")
    results = json.loads(proc.stdout)
    if not isinstance(results, list) or len(results) != len(requests):
        raise failed(f"expected {len(requests)} results, got {proc.stdout[:200]!r}")
    return results
