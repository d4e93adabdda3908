"""`PoolWatcher`: a set of pools kept current block by block, through reorgs.

Each new block costs one header and one `eth_getLogs` over the watched addresses; the pools that logged
anything (a swap, mint, burn, collect, flash, fee or oracle change) are read again at that block, in one
call each through the state lens (`amm.chain.lens`). A log says *that* a pool changed; the read says *what*
it is, exactly, with no replay that could round differently from the contract (an exact-output swap
replayed as exact-input can move fee growth by a wei). Untouched pools are not read at all.

Reorgs are found from parent hashes: a new block whose parent is not the block we applied last (or a head
below it) walks back to the common ancestor, restores the states kept for each undone block, and applies
the canonical blocks from there. The last `depth` blocks are kept; a reorg deeper than that re-reads every
pool. HTTP polling (`poll`), or a WebSocket subscription to new heads where the node offers one (`follow`).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from eth_utils import to_checksum_address
from websockets.sync.client import connect as ws_connect

from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.rpc import block_tag
from amm.chain.state import V2PairState, V3PoolState, read_pool_states

State = V3PoolState | V2PairState


@dataclass(frozen=True)
class Applied:
    """One block applied: its number and hash, the pools it changed, and (when this poll found a reorg) the
    common ancestor it rolled back to first."""

    number: int
    hash: str
    touched: tuple[str, ...]
    rolled_back_to: int | None = None


@dataclass
class _Undo:
    number: int
    hash: str
    previous: dict[str, State] = field(default_factory=dict)  # the states this block replaced


class PoolWatcher:
    """Watches v3 pools and v2 pairs (checksum or lower-case addresses) from the latest block on."""

    def __init__(
        self, node: Node, v3: Sequence[str] = (), v2: Sequence[str] = (), *, depth: int = 64
    ) -> None:
        self.node = node
        self.depth = depth
        self._v3 = [to_checksum_address(a) for a in v3]
        self._v2 = [to_checksum_address(a) for a in v2]
        self.reads = 0  # pool reads since the start (a full read counts every pool)
        self._undo: deque[_Undo] = deque(maxlen=depth)
        self._full_read("latest")

    # -- the pools --------------------------------------------------------------------------------------
    @property
    def states(self) -> dict[str, State]:
        """Every watched pool's state as of `self.block` (each state's own `block`: when it last changed)."""
        return {**self._states}

    def poll(self) -> list[Applied]:
        """Apply every block up to the node's head; returns what each did."""
        applied: list[Applied] = []
        rolled: int | None = None
        while True:
            head = self.node.block_number()
            if head < self.block:  # the chain got shorter (a rollback): undo down to a block both share
                rolled = self._rollback(self._ancestor(head))
                continue
            if head == self.block:
                if self.node.block(self.block)["hash"] != self.hash:  # same height, another block
                    rolled = self._rollback(self._ancestor(self.block - 1))
                    continue
                return applied
            header = self.node.block(self.block + 1)
            if header["parentHash"] != self.hash:
                rolled = self._rollback(self._ancestor(self.block))
                continue
            applied.append(self._apply(header, rolled))
            rolled = None

    def follow(
        self, ws_url: str, *, stop: Callable[[], bool] | None = None, timeout: float = 1.0
    ) -> Iterator[list[Applied]]:
        """Apply blocks as the node announces them (`eth_subscribe` to `newHeads` over a WebSocket: anvil's
        own port speaks it as ws://), yielding what each poll applied; `stop()` is asked between heads and
        every `timeout` seconds. A head that arrives while we poll is caught by the next poll anyway."""
        with ws_connect(ws_url, open_timeout=10) as socket:
            request = {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
            socket.send(json.dumps(request))
            reply = json.loads(socket.recv(timeout=10))
            if "result" not in reply:
                raise ChainError(f"{ws_url} refused eth_subscribe: {reply.get('error')}")
            yield self.poll()  # whatever happened before the subscription
            while stop is None or not stop():
                try:
                    socket.recv(timeout=timeout)
                except TimeoutError:
                    continue
                yield self.poll()

    # -- internals --------------------------------------------------------------------------------------
    def _full_read(self, block: int | str) -> None:
        states = read_pool_states(self.node, self._v3, self._v2, block)
        self._states: dict[str, State] = {**states.v3, **states.v2}
        self._spacing = {a: s.tick_spacing for a, s in states.v3.items()}
        self.block = states.block
        self.hash = self.node.block(self.block)["hash"]
        self.reads += len(self._states)
        self._undo.clear()

    def _apply(self, header: dict, rolled: int | None) -> Applied:
        number = int(header["number"], 16)
        logs = self.node.rpc.call(
            "eth_getLogs",
            [
                {
                    "address": [*self._v3, *self._v2],
                    "fromBlock": block_tag(number),
                    "toBlock": block_tag(number),
                }
            ],
        )
        touched = sorted({to_checksum_address(log["address"]) for log in logs})
        undo = _Undo(self.block, self.hash)
        if touched:
            v3 = {a: self._spacing[a] for a in touched if a in self._spacing}
            v2 = [a for a in touched if a not in self._spacing]
            fresh = read_pool_states(self.node, v3, v2, number)
            self.reads += len(touched)
            for address in touched:
                undo.previous[address] = self._states[address]
            self._states.update({**fresh.v3, **fresh.v2})
        self._undo.append(undo)
        self.block, self.hash = number, header["hash"]
        return Applied(number, header["hash"], tuple(touched), rolled)

    def _ancestor(self, start: int) -> int:
        """The highest block at or below `start` that we applied and the node still has (same hash)."""
        kept = {u.number: u.hash for u in self._undo}
        kept[self.block] = self.hash
        number = min(start, self.block)
        while number in kept:
            block = self.node.block(number)
            if block is not None and block["hash"] == kept[number]:
                return number
            number -= 1
        return -1  # deeper than we keep

    def _rollback(self, ancestor: int) -> int:
        """Restore the states as of `ancestor` (or re-read everything when it is deeper than we keep)."""
        if ancestor < 0 or (self._undo and ancestor < self._undo[0].number):
            self._full_read("latest")
            return self.block
        while self.block > ancestor:
            undo = self._undo.pop()
            self._states.update(undo.previous)
            self.block, self.hash = undo.number, undo.hash
        return ancestor
