"""Contract logs over block ranges: batched eth_getLogs, decoding, block timestamps, and a disk cache.

Ranges are split into chunks sent as one JSON-RPC batch; a chunk the node refuses as too large (providers cap
results or block spans) is halved and retried. Results are cached on disk under a key that includes the hash
of the range's last block, which commits to the whole history before it: a reorg, a rebuilt built-in chain or
a different fork can never be served stale logs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amm.chain.abi import ContractInterface
from amm.chain.errors import ChainError, RpcError
from amm.chain.node import Node

DEFAULT_CHUNK_BLOCKS = 5_000
_TOO_MANY = ("too many", "limit", "range", "exceed", "10000", "timeout", "response size")


@dataclass(frozen=True)
class DecodedLog:
    event: str
    args: dict[str, Any]
    address: str
    block_number: int
    log_index: int
    transaction_hash: str
    timestamp: int | None = None

    def sort_key(self) -> tuple[int, int]:
        return self.block_number, self.log_index


def cache_dir() -> Path:
    base = os.environ.get("AMM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "amm-solver"
    )
    return Path(base) / "logs"


def fetch_logs(
    node: Node,
    address: str,
    from_block: int,
    to_block: int,
    *,
    topics: Sequence[str | None] | None = None,
    chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
    use_cache: bool = True,
) -> list[dict[str, Any]]:
    """Raw logs of `address` in [from_block, to_block], in chain order."""
    if to_block < from_block:
        return []
    key = None
    if use_cache:
        last = node.block(to_block)
        if last is None:
            raise ChainError(f"block {to_block} does not exist yet")
        ident = json.dumps(
            [node.chain_id, last["hash"], address.lower(), list(topics or []), from_block, to_block]
        )
        key = cache_dir() / f"{hashlib.sha256(ident.encode()).hexdigest()}.json"
        if key.is_file():
            return json.loads(key.read_text())
    ranges = [
        (start, min(start + chunk_blocks - 1, to_block))
        for start in range(from_block, to_block + 1, chunk_blocks)
    ]
    logs: list[dict[str, Any]] = []
    while ranges:
        calls = [("eth_getLogs", [_filter(address, topics, lo, hi)]) for lo, hi in ranges]
        results = node.rpc.batch_results(calls)
        retry: list[tuple[int, int]] = []
        for (lo, hi), result in zip(ranges, results, strict=True):
            if isinstance(result, RpcError):
                if hi > lo and any(word in result.rpc_message.lower() for word in _TOO_MANY):
                    mid = (lo + hi) // 2
                    retry += [(lo, mid), (mid + 1, hi)]
                    continue
                raise result
            logs += result
        ranges = retry
    logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        tmp = key.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(logs))
        tmp.replace(key)
    return logs


def block_timestamps(node: Node, numbers: Sequence[int]) -> dict[int, int]:
    """Timestamps of many blocks in one batch."""
    unique = sorted(set(numbers))
    headers = node.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in unique])
    return {n: int(h["timestamp"], 16) for n, h in zip(unique, headers, strict=True)}


def decode_logs(
    node: Node, interface: ContractInterface, logs: Sequence[dict[str, Any]], *, with_timestamps: bool = True
) -> list[DecodedLog]:
    """Decode the logs this ABI knows (others are skipped), with block timestamps if asked."""
    by_topic = {"0x" + event.topic.hex(): event for event in interface.events.values()}
    times = (
        block_timestamps(node, [int(log["blockNumber"], 16) for log in logs])
        if with_timestamps and logs
        else {}
    )
    out = []
    for log in logs:
        event = by_topic.get(log["topics"][0]) if log["topics"] else None
        if event is None:
            continue
        number = int(log["blockNumber"], 16)
        out.append(
            DecodedLog(
                event=event.name,
                args=event.decode(log),
                address=log["address"],
                block_number=number,
                log_index=int(log["logIndex"], 16),
                transaction_hash=log["transactionHash"],
                timestamp=times.get(number),
            )
        )
    return out


def _filter(address: str, topics: Sequence[str | None] | None, lo: int, hi: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"address": address, "fromBlock": hex(lo), "toBlock": hex(hi)}
    if topics:
        spec["topics"] = list(topics)
    return spec
