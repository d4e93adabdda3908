"""The built-in chain's state file: rebuilt only when what it is built from changes.

`manifest.json` beside the state records a hash of the inputs (the builder's source and the chain modules it
uses, the npm lockfile, the compiled contracts it deploys, the anvil version). The build is deterministic:
the same inputs give byte-identical state. A lock keeps two processes (parallel test workers,
say) from building at once, and files are written whole or not at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from amm.chain import artifacts
from amm.chain.anvil import find_anvil
from amm.chain.devnet.build import Progress, build_chain
from amm.chain.devnet.deploy import COMPILED_CONTRACTS

STATE_FORMAT = 1
# amm.chain modules the builder runs on (directly or through imports): changing one can change the state
BUILDER_MODULES = ("addresses", "abi", "anvil", "artifacts", "errors", "node", "rpc", "tokens")


def devnet_dir() -> Path:
    return artifacts.build_dir() / "devnet"


def state_path() -> Path:
    return devnet_dir() / "state.json"


def manifest_path() -> Path:
    return devnet_dir() / "manifest.json"


def inputs_hash() -> str:
    """What the state is built from: change any of it and the next start rebuilds."""
    digest = hashlib.sha256(f"format {STATE_FORMAT}".encode())
    chain_dir = Path(__file__).resolve().parents[1]
    chain_sources = [chain_dir / f"{module}.py" for module in BUILDER_MODULES]
    sources = [*sorted((chain_dir / "devnet").glob("*.py")), *chain_sources]
    root = artifacts.project_root()
    compiled = [artifacts.build_dir() / "contracts" / f"{name}.json" for name in COMPILED_CONTRACTS]
    for path in [*sources, root / "package-lock.json", *compiled]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"missing")
    version = subprocess.run([str(find_anvil()), "--version"], capture_output=True, text=True, check=False)
    digest.update(version.stdout.encode())
    return digest.hexdigest()


def read_manifest() -> dict[str, Any] | None:
    try:
        return json.loads(manifest_path().read_text())
    except (OSError, ValueError):
        return None


def is_current() -> bool:
    manifest = read_manifest()
    return bool(manifest) and manifest.get("inputs") == inputs_hash() and state_path().is_file()


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    devnet_dir().mkdir(parents=True, exist_ok=True)
    with open(devnet_dir() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def slim(state: bytes) -> bytes:
    """Drop the per-transaction call traces anvil dumps (90% of the file); blocks, receipts and logs stay, so
    the history can still be read with eth_getLogs. Cuts the file ~3x and the start time ~2x.

    Also canonical: anvil dumps its blocks, transactions and accounts in hash-map order, which differs from
    run to run; sorted (blocks by number, transactions by block and index, keys by name), two builds of the
    same inputs give the same bytes."""
    data = json.loads(state)
    for tx in data.get("transactions") or []:
        if isinstance(tx.get("info"), dict):
            tx["info"]["traces"] = []
    if isinstance(data.get("blocks"), list):
        data["blocks"].sort(key=lambda block: int(block["header"]["number"], 16))
    if isinstance(data.get("transactions"), list):
        data["transactions"].sort(key=lambda tx: (tx["block_number"], tx["info"]["transaction_index"]))
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def ensure_state(*, rebuild: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Make sure an up-to-date state file exists (building it if needed); returns its manifest."""
    with _build_lock():
        wanted = inputs_hash()
        manifest = read_manifest()
        if not rebuild and manifest and manifest.get("inputs") == wanted and state_path().is_file():
            return manifest
        started = time.monotonic()
        state, manifest = build_chain(progress)
        manifest["inputs"] = wanted
        manifest["build_seconds"] = round(time.monotonic() - started, 1)
        _write_atomically(state_path(), slim(state))
        _write_atomically(manifest_path(), json.dumps(manifest, indent=1).encode())
        return manifest
