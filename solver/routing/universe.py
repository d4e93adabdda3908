"""The pool universe: tokens and pools (v2 pairs, v3 pools at every fee tier) as a graph, with exact models.

Loaded from a chain in shared JSON-RPC batches (`amm.chain.state.read_pool_states`), all pinned to one
block, and refreshed by block: one eth_getLogs tells which pools emitted anything since, and only those are
read again. Curves for the
split search (`curves.py`) are cached per pool and direction and dropped when a pool changes.

Tokens are keyed by lower-case address; `token()` also accepts a symbol, case-insensitively.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from eth_utils import to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain.models import v2_pair_from_state, v3_pool_from_state
from amm.chain.node import Node
from amm.chain.overview import read_tokens
from amm.chain.state import PoolStates, ReadCost, existing, read_pool_states, touched_since
from amm.v2.pair import Pair
from amm.v3.pool import Pool
from solver.routing.curves import Curve, v2_curve, v3_curve
from solver.routing.errors import UnknownToken

V3_FEES = tuple(mainnet.FEE_TICK_SPACING)
# The tokens a fork universe is discovered from by default: the usual routing hubs of mainnet
DEFAULT_TOKENS = (mainnet.WETH, mainnet.USDC, mainnet.USDT, mainnet.DAI, mainnet.WBTC)


@dataclass(frozen=True)
class Token:
    address: str  # checksum
    symbol: str
    decimals: int

    def units(self, raw: int) -> float:
        """Whole tokens in a raw amount (for display only)."""
        return raw / 10**self.decimals


@dataclass
class PoolRef:
    """One pool of the universe and its exact model (replaced on refresh)."""

    kind: Literal["v3", "v2"]
    address: str
    token0: str
    token1: str
    fee: int  # v3: hundredths of a bip; v2: 3000
    model: Pool | Pair
    name: str = ""

    def other(self, token: str) -> str:
        return self.token1 if token.lower() == self.token0.lower() else self.token0

    def zero_for_one(self, token_in: str) -> bool:
        return token_in.lower() == self.token0.lower()

    @property
    def has_liquidity(self) -> bool:
        if isinstance(self.model, Pair):
            return self.model.reserve0 > 0 and self.model.reserve1 > 0
        return bool(self.model.liquidity) or bool(self.model.initialized_ticks)


@dataclass
class Universe:
    """Tokens and pools; `pools_between` and `neighbours` are the graph."""

    tokens: dict[str, Token]
    pools: list[PoolRef]
    block: int | None = None
    cost: ReadCost = field(default_factory=lambda: ReadCost(0, 0))  # of the last load or refresh
    version: int = 0  # bumped whenever a pool's model changes (routers cache per version)
    _curves: dict[tuple[str, bool], Curve] = field(default_factory=dict, repr=False)
    _by_pair: dict[frozenset[str], list[PoolRef]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._by_pair = {}
        for pool in self.pools:
            self._by_pair.setdefault(frozenset((pool.token0.lower(), pool.token1.lower())), []).append(pool)

    # ---------------------------------------------------------------------------------------------- graph
    def token(self, name: str) -> Token:
        """A token by address or symbol (case-insensitive); raises UnknownToken with the known symbols."""
        key = name.strip().lower()
        if key in self.tokens:
            return self.tokens[key]
        matches = [t for t in self.tokens.values() if t.symbol.lower() == key]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(t.symbol for t in self.tokens.values()))
        if matches:
            raise UnknownToken(f"symbol {name!r} is ambiguous here: give the token's address")
        raise UnknownToken(f"unknown token {name!r}: this universe trades {known} (or give an address)")

    def pools_between(self, a: str, b: str) -> list[PoolRef]:
        return list(self._by_pair.get(frozenset((a.lower(), b.lower())), ()))

    def neighbours(self, token: str) -> set[str]:
        """Lower-case addresses of the tokens that share a pool with `token`."""
        key = token.lower()
        return {t for pair in self._by_pair if key in pair for t in pair if t != key}

    def pool(self, address: str) -> PoolRef:
        for pool in self.pools:
            if pool.address.lower() == address.lower():
                return pool
        raise KeyError(f"no pool {address} in this universe")

    def curve(self, pool: PoolRef, zero_for_one: bool) -> Curve:
        """The pool's float trade curve in one direction, cached until the pool changes."""
        key = (pool.address, zero_for_one)
        curve = self._curves.get(key)
        if curve is None:
            model = pool.model
            curve = (
                v3_curve(model, zero_for_one) if isinstance(model, Pool) else v2_curve(model, zero_for_one)
            )
            self._curves[key] = curve
        return curve

    def replace_model(self, address: str, model: Pool | Pair) -> None:
        """Swap in a new model for a pool (e.g. after a swap) and forget its cached curves."""
        pool = self.pool(address)
        pool.model = model
        self.version += 1
        self._curves.pop((pool.address, True), None)
        self._curves.pop((pool.address, False), None)

    # -------------------------------------------------------------------------------------------- loading
    @classmethod
    def from_models(cls, models: Iterable[Pool | Pair], tokens: Iterable[Token]) -> Universe:
        """An in-memory universe (tests, benchmarks, simulations); models need address, token0, token1."""
        by_address = {t.address.lower(): t for t in tokens}
        pools = []
        for m in models:
            if m.address is None or m.token0 is None or m.token1 is None:
                raise ValueError("every model needs address, token0 and token1")
            kind: Literal["v3", "v2"] = "v3" if isinstance(m, Pool) else "v2"
            fee = m.fee if isinstance(m, Pool) else 3000
            pools.append(PoolRef(kind, m.address, m.token0, m.token1, fee, m))
        universe = cls(by_address, pools)
        universe._name_pools()
        return universe

    @classmethod
    def load(
        cls, node: Node, v3: Sequence[str] = (), v2: Sequence[str] = (), block: int | str = "latest"
    ) -> Universe:
        """The given pools at one block, in shared batches (plus one batch for token symbols/decimals)."""
        spacings = {to_checksum_address(a): None for a in v3}
        return cls._from_states(node, read_pool_states(node, spacings, v2, block))

    @classmethod
    def discover(
        cls,
        node: Node,
        tokens: Sequence[str] = DEFAULT_TOKENS,
        *,
        fees: Sequence[int] = V3_FEES,
        v2: bool = True,
        block: int | str = "latest",
    ) -> Universe:
        """Every pool between any two of `tokens` that exists: v3 at each fee tier (CREATE2 addresses of the
        mainnet factory) and the v2 pair. One batch of eth_getCode finds them, then `load` reads them."""
        number = node.block_number() if block == "latest" else block
        v3_candidates: dict[str, int] = {}
        v2_candidates: list[str] = []
        for a, b in itertools.combinations(tokens, 2):
            for fee in fees:
                v3_candidates[mainnet.v3_pool_address(a, b, fee)] = mainnet.FEE_TICK_SPACING[fee]
            if v2:
                v2_candidates.append(mainnet.v2_pair_address(a, b))
        present = set(existing(node, [*v3_candidates, *v2_candidates], number))
        spacings = {a: s for a, s in v3_candidates.items() if a in present}
        states = read_pool_states(node, spacings, [a for a in v2_candidates if a in present], number)
        return cls._from_states(node, states)

    @classmethod
    def _from_states(cls, node: Node, states: PoolStates) -> Universe:
        pools: list[PoolRef] = []
        for address, s in states.v3.items():
            model = v3_pool_from_state(s)
            pools.append(PoolRef("v3", address, model.token0, model.token1, s.fee, model))  # type: ignore[arg-type]
        for address, s in states.v2.items():
            pair = v2_pair_from_state(s)
            pools.append(PoolRef("v2", address, pair.token0, pair.token1, 3000, pair))  # type: ignore[arg-type]
        requests, calls = node.rpc.http_requests, node.rpc.calls
        infos = read_tokens(node, [t for p in pools for t in (p.token0, p.token1)]) if pools else {}
        tokens = {a: Token(to_checksum_address(a), i.symbol, i.decimals) for a, i in infos.items()}
        cost = ReadCost(
            states.cost.calls + node.rpc.calls - calls,
            states.cost.requests + node.rpc.http_requests - requests,
            states.cost.seconds,
        )
        universe = cls(tokens, pools, states.block, cost)
        universe._name_pools()
        return universe

    def refresh(self, node: Node, block: int | str = "latest") -> list[str]:
        """Bring the universe to `block`: re-read (in shared batches) only the pools that emitted a log since
        the loaded block. Returns their addresses. Until a log-driven sync lands, this is the cheap path."""
        number = node.block_number() if block == "latest" else int(block)
        if self.block is None:
            raise ValueError("an in-memory universe has no block to refresh from")
        requests, calls = node.rpc.http_requests, node.rpc.calls
        changed = sorted(touched_since(node, [p.address for p in self.pools], self.block + 1, number))
        seconds = 0.0
        if changed:
            kinds = {p.address: p.kind for p in self.pools}
            v3 = {a: self.pool(a).model.tick_spacing for a in changed if kinds[a] == "v3"}  # type: ignore[union-attr]
            states = read_pool_states(node, v3, [a for a in changed if kinds[a] == "v2"], number)
            seconds = states.cost.seconds
            for address, s in states.v3.items():
                self.replace_model(address, v3_pool_from_state(s))
            for address, s2 in states.v2.items():
                self.replace_model(address, v2_pair_from_state(s2))
        self.block = number
        self.cost = ReadCost(node.rpc.calls - calls, node.rpc.http_requests - requests, seconds)
        return changed

    def _name_pools(self) -> None:
        for pool in self.pools:
            s0 = (
                self.tokens[pool.token0.lower()].symbol if pool.token0.lower() in self.tokens else pool.token0
            )
            s1 = (
                self.tokens[pool.token1.lower()].symbol if pool.token1.lower() in self.tokens else pool.token1
            )
            tier = str(pool.fee) if pool.kind == "v3" else "v2"
            pool.name = pool.name or f"{s0}/{s1}-{tier}"
        self._index()
