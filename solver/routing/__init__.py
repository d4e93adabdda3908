"""Split routing over v2 and v3 pools: near-optimal splits net of gas, exact integer legs, on-chain execution.

`Universe.discover(node)` loads every pool between the major tokens in shared batches; `Router(universe)
.route("USDC", "WETH", 10**12, gas_price_wei=...)` returns a `Route` (legs, totals, minimums, `to_dict()`);
`RouteExecutor` executes it on chain.
"""

from solver.routing.errors import (
    InsufficientLiquidity,
    InvalidOrder,
    NoRoute,
    RoutingError,
    SameToken,
    UnknownToken,
)
from solver.routing.executor import Execution, RouteExecutor
from solver.routing.route import GasModel, Leg, Order, Route, RouteStats
from solver.routing.router import Router
from solver.routing.universe import PoolRef, Token, Universe

__all__ = [
    "Execution",
    "GasModel",
    "InsufficientLiquidity",
    "InvalidOrder",
    "Leg",
    "NoRoute",
    "Order",
    "PoolRef",
    "Route",
    "RouteExecutor",
    "RouteStats",
    "Router",
    "RoutingError",
    "SameToken",
    "Token",
    "Universe",
    "UnknownToken",
]
