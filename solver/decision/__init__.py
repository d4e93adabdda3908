"""Decision: per order, the best of fill-from-inventory, route, split, or skip with a reason, by expected PnL
after gas and the inventory-risk penalty; opposite orders netted into one batch (coincidence of wants).

    decide(resolved_orders, pricing=..., router=..., inventory_balances=..., policies=..., gas_price_wei=...,
           limits=RiskLimits(...), rejections=...) -> list[Decision]

Pure: no chain access. Each fill decision carries the `FillPlan` settlement sends and the routes it uses.
"""

from solver.decision.engine import Book, decide, why_not
from solver.decision.types import (
    BATCH,
    BELOW_LIMIT,
    FILL_GAS_UNITS,
    INVENTORY,
    NO_EDGE,
    NO_INVENTORY,
    REASONS,
    RISK_LIMIT,
    ROUTE,
    SKIP,
    SPLIT,
    SPLIT_FRACTIONS,
    UNSUPPORTED,
    Decision,
    Option,
    Pnl,
    RiskLimits,
)

__all__ = [
    "BATCH",
    "BELOW_LIMIT",
    "FILL_GAS_UNITS",
    "INVENTORY",
    "NO_EDGE",
    "NO_INVENTORY",
    "REASONS",
    "RISK_LIMIT",
    "ROUTE",
    "SKIP",
    "SPLIT",
    "SPLIT_FRACTIONS",
    "UNSUPPORTED",
    "Book",
    "Decision",
    "Option",
    "Pnl",
    "RiskLimits",
    "decide",
    "why_not",
]
