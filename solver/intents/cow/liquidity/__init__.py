"""Exact swap math for every liquidity kind a CoW auction carries, parsed from its `liquidity` array.

    pools = parse_liquidity(auction["liquidity"])          # MalformedLiquidity (a ValueError) -> HTTP 400
    out = pools[0].quote_exact_in(token_in, token_out, amount_in)
    amount_in = pools[0].input_covering_output(token_in, token_out, amount_out)   # what a buy costs

One module per kind: `constant_product` (Uniswap v2-like, any fee), `concentrated` (Uniswap v3 on our exact
`amm.v3.Pool`), `weighted` (Balancer V2 weighted, v0 and v3Plus), `stable` (Balancer V2 stable and composable
stable) and `limit_order` (0x-style foreign limit orders). Quotes that the liquidity cannot do raise
`InfeasibleSwap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from solver.intents.cow.liquidity.base import InfeasibleSwap, Liquidity, MalformedLiquidity
from solver.intents.cow.liquidity.concentrated import ConcentratedLiquidityPool
from solver.intents.cow.liquidity.constant_product import ConstantProductPool
from solver.intents.cow.liquidity.limit_order import ForeignLimitOrder
from solver.intents.cow.liquidity.stable import StablePool
from solver.intents.cow.liquidity.weighted import WeightedProductPool

KINDS: dict[str, Any] = {
    "constantProduct": ConstantProductPool,
    "weightedProduct": WeightedProductPool,
    "stable": StablePool,
    "concentratedLiquidity": ConcentratedLiquidityPool,
    "limitOrder": ForeignLimitOrder,
}

__all__ = [
    "KINDS",
    "ConcentratedLiquidityPool",
    "ConstantProductPool",
    "ForeignLimitOrder",
    "InfeasibleSwap",
    "Liquidity",
    "MalformedLiquidity",
    "StablePool",
    "WeightedProductPool",
    "parse_liquidity",
    "parse_liquidity_entry",
]


def parse_liquidity_entry(entry: Any, index: int | None = None) -> Liquidity:
    """One element of the auction's `liquidity` array, dispatched on its `kind`."""
    where = "liquidity" if index is None else f"liquidity[{index}]"
    if not isinstance(entry, Mapping):
        raise MalformedLiquidity(f"{where}: expected an object, got {type(entry).__name__}")
    kind = entry.get("kind")
    parser = KINDS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise MalformedLiquidity(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r:.40}")
    try:
        return parser.from_json(entry)
    except MalformedLiquidity as exc:
        raise MalformedLiquidity(f"{where}: {exc}") from None


def parse_liquidity(entries: Any) -> list[Liquidity]:
    """The auction's whole `liquidity` array; ids are kept as given (unique only within one auction)."""
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise MalformedLiquidity(f"liquidity: expected an array, got {type(entries).__name__}")
    return [parse_liquidity_entry(entry, i) for i, entry in enumerate(entries)]
