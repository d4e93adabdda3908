"""The market maker's inventory: what the filler contract holds, read from the chain, against a policy.

The chain is the source of truth: `refresh()` re-reads every balance (ERC-20s and ETH) in one JSON-RPC batch,
each block. A `TokenPolicy` says where each token should sit (target), how far it may drift before a hedge
(band) and the most the book may hold (hard limit); `value()` marks everything in a numeraire at fair value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from amm.chain.node import Node
from amm.chain.rpc import block_tag
from solver.routing.universe import Token

NATIVE = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class TokenPolicy:
    """Raw-unit bounds for one token: hold about `target`, hedge back when off by more than `band`, never
    hold more than `hard_limit` (None: no limit)."""

    target: int = 0
    band: int = 0
    hard_limit: int | None = None

    def __post_init__(self) -> None:
        if self.target < 0 or self.band < 0:
            raise ValueError(f"target and band are raw amounts >= 0, got {self.target} and {self.band}")
        if self.hard_limit is not None and self.hard_limit < self.target + self.band:
            raise ValueError(
                f"the hard limit {self.hard_limit} is inside the band {self.target} +/- {self.band}"
            )


@dataclass
class Inventory:
    """Balances of `holder` (the filler contract) for `tokens`, with their policies."""

    node: Node
    holder: str
    tokens: tuple[Token, ...]
    policies: Mapping[str, TokenPolicy] = field(default_factory=dict)  # by token address
    balances: dict[str, int] = field(default_factory=dict)  # by token address, raw units
    block: int | None = None

    def refresh(self, block: int | str = "latest") -> dict[str, int]:
        """Re-read every balance (one batch; ETH under the zero address) as of `block`."""
        tag = block_tag(block)
        selector = "0x70a08231" + self.holder[2:].lower().rjust(64, "0")  # balanceOf(holder)
        calls = [
            ("eth_getBalance", [self.holder, tag])
            if t.address == NATIVE
            else ("eth_call", [{"to": t.address, "data": selector}, tag])
            for t in self.tokens
        ]
        calls.append(("eth_blockNumber", []))
        *replies, number = self.node.rpc.batch(calls)
        self.balances = {t.address: int(r, 16) for t, r in zip(self.tokens, replies, strict=True)}
        self.block = block if isinstance(block, int) else int(number, 16)
        return self.balances

    def policy(self, token: str) -> TokenPolicy:
        return self.policies.get(token, TokenPolicy())

    def deviation(self, token: str) -> int:
        """How far the balance sits from target (raw units; positive: long)."""
        return self.balances.get(token, 0) - self.policy(token).target

    def outside_band(self, token: str) -> bool:
        return abs(self.deviation(token)) > self.policy(token).band

    def room_to_buy(self, token: str) -> int | None:
        """How much more of `token` the book may take in before its hard limit (None: unlimited)."""
        limit = self.policy(token).hard_limit
        return None if limit is None else max(limit - self.balances.get(token, 0), 0)

    def value(self, fair: Mapping[str, float]) -> float:
        """Everything held, in the numeraire, at `fair` (numeraire per whole token, by token address)."""
        return sum(
            self.balances.get(t.address, 0) / 10**t.decimals * fair[t.address]
            for t in self.tokens
            if t.address in fair
        )
