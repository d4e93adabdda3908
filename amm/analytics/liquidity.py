"""The pool's active-liquidity profile: other LPs' liquidity as a step function of price.

Needed for the share of uninformed volume a position earns: ``L_pos / (L_pos + L_other(P))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from amm.analytics.position import liquidity_scale


@dataclass(frozen=True)
class LiquidityProfile:
    """Other LPs' active liquidity: ``liquidity[i]`` on ``[edges[i], edges[i+1])``, zero outside the edges.

    Prices are human units (token1 per token0), liquidity in human units (see `amm.analytics.position`).
    """

    edges: NDArray[np.float64]
    liquidity: NDArray[np.float64]

    def __post_init__(self) -> None:
        e = np.asarray(self.edges, dtype=np.float64)
        liq = np.asarray(self.liquidity, dtype=np.float64)
        object.__setattr__(self, "edges", e)
        object.__setattr__(self, "liquidity", liq)
        if e.ndim != 1 or liq.ndim != 1 or e.size != liq.size + 1 or liq.size == 0:
            raise ValueError("need len(edges) == len(liquidity) + 1 >= 2")
        if not np.all(np.diff(e) > 0) or e[0] < 0:
            raise ValueError("edges must be >= 0 and strictly increasing")
        if np.any(liq < 0) or not np.all(np.isfinite(liq)):
            raise ValueError("liquidity must be finite and >= 0")

    @classmethod
    def constant(cls, liquidity: float, lower: float = 0.0, upper: float = float("inf")) -> LiquidityProfile:
        """A flat profile, e.g. a v2-like pool or a test fixture."""
        return cls(np.array([lower, upper]), np.array([liquidity]))

    @classmethod
    def from_ticks(
        cls, liquidity_net: Mapping[int, int] | Sequence[tuple[int, int]], decimals0: int, decimals1: int
    ) -> LiquidityProfile:
        """From initialised ticks and their ``liquidityNet`` (raw ints, as v3-core stores them).

        Active liquidity between consecutive initialised ticks is the running sum of ``liquidityNet``
        (computed in exact integers, then scaled to human units).
        """
        items = sorted(liquidity_net.items() if isinstance(liquidity_net, Mapping) else liquidity_net)
        if len(items) < 2:
            raise ValueError("need at least two initialised ticks")
        ticks = np.array([t for t, _ in items], dtype=np.float64)
        running: list[int] = []
        acc = 0
        for _, net in items[:-1]:
            acc += int(net)
            if acc < 0:
                raise ValueError("liquidityNet sums below zero: ticks are incomplete")
            running.append(acc)
        edges = np.power(1.0001, ticks) * 10.0 ** (decimals0 - decimals1)
        return cls(edges, np.array(running, dtype=np.float64) * liquidity_scale(decimals0, decimals1))

    def active_at(self, price: ArrayLike) -> NDArray[np.float64]:
        """Other LPs' active liquidity at ``price`` (interval containing it, [lower, upper))."""
        p = np.asarray(price, dtype=np.float64)
        i = np.searchsorted(self.edges, p, side="right") - 1
        ok = (i >= 0) & (i < self.liquidity.size)
        return np.where(ok, self.liquidity[np.clip(i, 0, self.liquidity.size - 1)], 0.0)

    def finite_edges(self) -> NDArray[np.float64]:
        e = self.edges
        return e[np.isfinite(e) & (e > 0)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": [float(x) if np.isfinite(x) else None for x in self.edges],
            "liquidity": self.liquidity.tolist(),
        }
