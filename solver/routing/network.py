"""The part of the universe an order can use: its tokens and its directed pool edges, with their curves.

An edge is one pool traded in one direction. Pools are taken from every simple token path from the sold to the
bought token with at most `max_hops` pools, through any intermediate token (or only the given `hubs`). A pool
that lies on paths in both directions (between two intermediates, with 3 hops) gives two edges; with fees they
never both trade at one set of prices. Pools touching the sold token are only sold into, pools touching the
bought token only bought from: routing is not arbitrage.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from solver.routing.curves import CurveSet
from solver.routing.errors import NoRoute
from solver.routing.universe import PoolRef, Universe

SELL, BUY = 0, 1  # token indices of every network


@dataclass(frozen=True)
class Edge:
    pool: PoolRef
    zero_for_one: bool
    i: int  # index of the token paid in
    j: int  # index of the token paid out


@dataclass
class Network:
    tokens: list[str]  # lower-case addresses; tokens[SELL] is sold, tokens[BUY] bought
    edges: list[Edge]
    curves: CurveSet

    def __post_init__(self) -> None:
        self.ei = np.array([e.i for e in self.edges], dtype=np.int64)
        self.ej = np.array([e.j for e in self.edges], dtype=np.int64)
        self.spot = np.array([c.spot_rate for c in self.curves.curves])
        rows = np.arange(len(self.edges))
        self.into = np.zeros((len(self.edges), self.size))  # edge -> token it pays out
        self.into[rows, self.ej] = 1.0
        self.out_of_matrix = np.zeros((len(self.edges), self.size))  # edge -> token it takes
        self.out_of_matrix[rows, self.ei] = 1.0
        self.incidence = self.into - self.out_of_matrix
        self.unit_masks = np.eye(len(self.edges), dtype=bool)  # row e: a mask of edge e alone

    @property
    def size(self) -> int:
        return len(self.tokens)

    def into(self, k: int) -> list[int]:
        return [n for n, e in enumerate(self.edges) if e.j == k]

    def out_of(self, k: int) -> list[int]:
        return [n for n, e in enumerate(self.edges) if e.i == k]

    @cached_property
    def paths(self) -> list[list[int]]:
        """Every path of at most three edges from SELL to BUY through distinct tokens (one per combination
        of pools along each token path)."""
        return edge_paths(self, 3)

    @cached_property
    def path_matrix(self) -> np.ndarray:
        """`paths` as rows of edge indices padded with -1."""
        matrix = np.full((len(self.paths), 3), -1, dtype=np.int64)
        for p, path in enumerate(self.paths):
            matrix[p, : len(path)] = path
        return matrix

    @cached_property
    def path_lengths(self) -> np.ndarray:
        return np.array([len(path) for path in self.paths], dtype=np.int64)

    @cached_property
    def path_log_spot(self) -> np.ndarray:
        """Log of each path's spot rate (fees included): the product of its pools' spot rates."""
        m = self.path_matrix
        return np.where(m >= 0, self.curves.log_spot[np.maximum(m, 0)], 0.0).sum(axis=1)


def edge_paths(network: Network, max_edges: int) -> list[list[int]]:
    """Every path of edges SELL -> BUY through distinct tokens, of at most `max_edges` edges."""
    out_of: dict[int, list[int]] = {}
    for e, edge in enumerate(network.edges):
        out_of.setdefault(edge.i, []).append(e)
    found: list[list[int]] = []

    def walk(token: int, path: list[int], seen: set[int]) -> None:
        for e in out_of.get(token, []):
            j = network.edges[e].j
            if j == BUY:
                found.append([*path, e])
            elif len(path) + 1 < max_edges and j not in seen:
                walk(j, [*path, e], seen | {j})

    walk(SELL, [], {SELL})
    return found


def token_paths(
    universe: Universe, sell: str, buy: str, max_hops: int, hubs: Iterable[str] | None = None
) -> list[list[str]]:
    """Simple token paths sell -> ... -> buy of at most `max_hops` pools (lower-case addresses)."""
    sell, buy = sell.lower(), buy.lower()
    allowed = None if hubs is None else {h.lower() for h in hubs}
    paths: list[list[str]] = []

    def walk(path: list[str]) -> None:
        here = path[-1]
        for nxt in sorted(universe.neighbours(here)):
            if nxt == buy:
                paths.append([*path, nxt])
            elif (
                len(path) < max_hops
                and nxt not in path
                and nxt != sell
                and (allowed is None or nxt in allowed)
            ):
                walk([*path, nxt])

    walk([sell])
    return paths


def build_network(
    universe: Universe,
    sell: str,
    buy: str,
    *,
    max_hops: int = 2,
    hubs: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> Network:
    """The order's network; raises NoRoute when no pool with liquidity connects the tokens."""
    skip = {a.lower() for a in exclude}
    tokens = [sell.lower(), buy.lower()]
    index = {tokens[0]: SELL, tokens[1]: BUY}
    edges: list[Edge] = []
    seen: set[tuple[str, bool]] = set()
    for path in token_paths(universe, sell, buy, max_hops, hubs):
        for a, b in itertools.pairwise(path):
            for pool in universe.pools_between(a, b):
                zero_for_one = pool.zero_for_one(a)
                key = (pool.address, zero_for_one)
                if key in seen or pool.address.lower() in skip or not pool.has_liquidity:
                    continue
                seen.add(key)
                for t in (a, b):
                    if t not in index:
                        index[t] = len(tokens)
                        tokens.append(t)
                edges.append(Edge(pool, zero_for_one, index[a], index[b]))
    edges = _prune_dead_ends(edges)
    if not edges:
        raise NoRoute(_no_route_message(universe, sell, buy, max_hops))
    curves = CurveSet([universe.curve(e.pool, e.zero_for_one) for e in edges])
    return Network(tokens, edges, curves)


def _prune_dead_ends(edges: list[Edge]) -> list[Edge]:
    """Drop edges that cannot carry flow from SELL to BUY (e.g. after excluding pools)."""
    while True:
        sources = {e.i for e in edges}
        sinks = {e.j for e in edges}
        kept = [e for e in edges if (e.j == BUY or e.j in sources) and (e.i == SELL or e.i in sinks)]
        if len(kept) == len(edges):
            return kept
        edges = kept


def _no_route_message(universe: Universe, sell: str, buy: str, max_hops: int) -> str:
    a = universe.tokens.get(sell.lower())
    b = universe.tokens.get(buy.lower())
    names = (a.symbol if a else sell, b.symbol if b else buy)
    if token_paths(universe, sell, buy, max_hops):
        return f"no pool with liquidity connects {names[0]} to {names[1]} within {max_hops} hops"
    return f"no path of pools from {names[0]} to {names[1]} within {max_hops} hops"
