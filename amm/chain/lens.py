"""Read v3 pools' full state through our PoolLens contract: a few eth_calls per pool instead of one per item.

The raw batch (`amm.chain.state`) sends one call per getter, bitmap word, tick and observation: ~700 for a
0.05% pool, tens of thousands for 0.01% pools on mainnet. PoolLens (contracts/lens/PoolLens.sol) walks the
pool on the node and returns the same getters' raw return data in one blob, decoded here with the pool's own
ABI exactly as the batch decodes each reply, so both give equal states. It is never deployed: each call puts
its runtime code at a scratch address through `eth_call`'s state-override parameter. A node that rejects or
ignores overrides is detected once (a probe rides in the first batch) and remembered, and the caller then
falls back to the raw batch; so does any read the lens cannot finish (the batch then says what is wrong).

The bitmap is cut into ranges of `CHUNK_WORDS` words, all sent in one batch; the lens itself stops before
the output passes `MAX_BYTES` or gas runs low and says where to resume, so big pools take a few more calls.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_utils import keccak, to_checksum_address

from amm.chain import artifacts
from amm.chain.errors import ChainError, RpcError
from amm.chain.node import Node
from amm.chain.rpc import RpcClient

SCRATCH = to_checksum_address(keccak(b"amm.chain.lens.PoolLens")[12:])  # no code anywhere: ours by override
PROBE_CODE = "0x602a60005260206000f3"  # returns uint256(42): proves the override is applied
CHUNK_WORDS = 1024  # bitmap words per call: a 0.01% pool has 6,934, a 0.05% pool 694
MAX_BYTES = 512 * 1024  # output per call before the lens stops (memory gas is quadratic)
GAS_RESERVE = 3_000_000  # the lens stops below this: one full bitmap word (256 ticks) and the return fit
MAX_ROUNDS = 64
UINT_MAX = 2**256 - 1

# v3 getters in the order the lens's head holds them, with their return sizes in bytes
HEAD = (
    ("slot0", 224),
    ("liquidity", 32),
    ("feeGrowthGlobal0X128", 32),
    ("feeGrowthGlobal1X128", 32),
    ("protocolFees", 64),
    ("fee", 32),
    ("tickSpacing", 32),
    ("maxLiquidityPerTick", 32),
    ("token0", 32),
    ("token1", 32),
)

_support: weakref.WeakKeyDictionary[RpcClient, bool] = weakref.WeakKeyDictionary()


class LensUnavailable(ChainError):
    """The lens could not read these pools on this node (the raw batch can)."""


@dataclass
class LensRead:
    """One pool's state as the batch loader holds it before building a V3PoolState."""

    scalars: dict[str, Any] = field(default_factory=dict)
    balances: tuple[int, int] = (0, 0)
    bitmap: dict[int, int] = field(default_factory=dict)
    ticks: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    observations: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    cardinality: int = -1


@dataclass(frozen=True)
class _Piece:
    address: str
    word_from: int
    word_to: int
    obs_from: int
    head: bool


def enabled() -> bool:
    """Whether loaders try the lens first (AMM_STATE_LENS=0 turns it off, for nodes that misbehave)."""
    return os.environ.get("AMM_STATE_LENS", "1") not in ("0", "false", "no", "off")


def supported(node: Node) -> bool | None:
    """Whether this node applies eth_call state overrides, once known (None: not probed yet)."""
    return _support.get(node.rpc)


@cache
def _code() -> str:
    return "0x" + artifacts.load("PoolLens").deployed_bytecode.hex()


def _pieces(address: str, words: range) -> list[_Piece]:
    starts = range(words.start, words.stop, CHUNK_WORDS)
    return [
        _Piece(address, s, min(s + CHUNK_WORDS, words.stop) - 1, 0 if i == 0 else UINT_MAX, i == 0)
        for i, s in enumerate(starts)
    ]


def _request(piece: _Piece, tag: str) -> tuple[str, list[Any]]:
    data = artifacts.interface("PoolLens").encode(
        "read",
        piece.address,
        piece.word_from,
        piece.word_to,
        piece.obs_from,
        piece.head,
        MAX_BYTES,
        GAS_RESERVE,
    )
    return ("eth_call", [{"to": SCRATCH, "data": "0x" + data.hex()}, tag, {SCRATCH: {"code": _code()}}])


def _probe() -> tuple[str, list[Any]]:
    """At "latest", whatever block is read: a node without state for an old block still applies overrides."""
    return ("eth_call", [{"to": SCRATCH, "data": "0x"}, "latest", {SCRATCH: {"code": PROBE_CODE}}])


# the types of ticks(t) and observations(i) as decoders: int signed, int unsigned, bool (eth_abi's results)
_TICK = ("u", "s", "u", "u", "s", "u", "u", "b")  # uint128 int128 uint256 uint256 int56 uint160 uint32 bool
_OBSERVATION = ("u", "s", "u", "b")  # uint32 int56 uint160 bool


def _record(data: memoryview, pos: int, kinds: tuple[str, ...]) -> tuple[int | bool, ...]:
    """A getter's return words as eth_abi decodes them (ints, bools), minus its per-call overhead: thousands
    of ticks a read. Equal results are what tests/chain/test_state_lens.py checks against the batch."""
    out: list[int | bool] = []
    for kind in kinds:
        word = data[pos : pos + 32]
        out.append(bool(int.from_bytes(word)) if kind == "b" else int.from_bytes(word, signed=kind == "s"))
        pos += 32
    return tuple(out)


def _signed(value: int) -> int:
    return value - (1 << 256) if value >> 255 else value


def _parse(piece: _Piece, reply: str, into: LensRead, pool_abi: Any) -> _Piece | None:
    """Add one lens reply to `into`; the piece that resumes it, or None when it is complete."""
    blob = bytes.fromhex(reply[2:])
    length = int.from_bytes(blob[32:64])
    data = memoryview(blob)[64 : 64 + length]
    done, next_word, next_obs, spacing, cardinality, n_words, n_obs, head = (
        int.from_bytes(data[i : i + 32]) for i in range(0, 256, 32)
    )
    pos = 256
    if head:
        for name, size in HEAD:
            into.scalars[name] = pool_abi.decode(name, bytes(data[pos : pos + size]))
            pos += size
        into.balances = (int.from_bytes(data[pos : pos + 32]), int.from_bytes(data[pos + 32 : pos + 64]))
        pos += 64
    into.cardinality = cardinality
    for i in range(piece.obs_from, piece.obs_from + n_obs):
        into.observations[i] = _record(data, pos, _OBSERVATION)
        pos += 128
    spacing = _signed(spacing)
    for _ in range(n_words):
        word, bits = _signed(int.from_bytes(data[pos : pos + 32])), int.from_bytes(data[pos + 32 : pos + 64])
        pos += 64
        into.bitmap[word] = bits
        for bit in range(256):
            if bits >> bit & 1:
                tick = ((word << 8) + bit) * spacing
                into.ticks[tick] = _record(data, pos, _TICK)
                pos += 256
    if pos != length:
        raise LensUnavailable(f"PoolLens reply for {piece.address} has {length - pos} unexpected bytes")
    if done:
        return None
    resumed = _Piece(piece.address, _signed(next_word), piece.word_to, next_obs, False)
    if (resumed.word_from, resumed.obs_from) == (piece.word_from, piece.obs_from):
        raise LensUnavailable(f"PoolLens made no progress on {piece.address} (the node's eth_call gas cap?)")
    return resumed


def read_v3(node: Node, words: Mapping[str, range], tag: str) -> dict[str, LensRead]:
    """The pools' raw state at block `tag` through the lens, in as many batches as it takes to finish.

    `words`: each pool's bitmap word range (for an unknown tick spacing, spacing 1's: the lens clips it).

    Raises LensUnavailable when this node ignores or rejects state overrides (remembered for the node), or
    when any pool's read fails (no pool there, a non-standard pool, an old block): the batch says why.
    """
    if _support.get(node.rpc) is False:
        raise LensUnavailable("this node does not apply eth_call state overrides")
    pool_abi = artifacts.interface("UniswapV3Pool")
    reads = {address: LensRead() for address in words}
    pending = [p for address, span in words.items() for p in _pieces(address, span)]
    probe = _support.get(node.rpc) is None
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        calls = [_request(p, tag) for p in pending]
        try:
            replies = node.rpc.batch_results([*calls, _probe()] if probe else calls)
        except RpcError as err:  # a node that refuses the whole batch over one call's parameters
            if probe:
                _support[node.rpc] = False
            raise LensUnavailable(f"PoolLens batch refused: {err}") from err
        if probe:
            answer = replies.pop()
            _support[node.rpc] = isinstance(answer, str) and answer[2:] != "" and int(answer, 16) == 42
            probe = False
            if not _support[node.rpc]:
                raise LensUnavailable("this node does not apply eth_call state overrides")
        resumed: list[_Piece] = []
        for piece, reply in zip(pending, replies, strict=True):
            if isinstance(reply, RpcError):
                raise LensUnavailable(f"PoolLens failed on {piece.address}: {reply}")
            if not isinstance(reply, str) or len(reply) < 2 + 64 * 2:
                raise LensUnavailable(f"PoolLens gave no data for {piece.address}")
            following = _parse(piece, reply, reads[piece.address], pool_abi)
            if following is not None:
                resumed.append(following)
        pending = resumed
    if pending:
        raise LensUnavailable(f"PoolLens did not finish in {MAX_ROUNDS} rounds")
    for address, read in reads.items():
        if not read.scalars or len(read.observations) != read.cardinality:
            raise LensUnavailable(f"PoolLens read of {address} is incomplete")
    return reads
