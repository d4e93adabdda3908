"""The plain data of the decision stage: what each option earns, the option chosen, and why others were not.

Amounts are raw integer token units; only the PnL valuation (numeraire at fair value) is float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from solver.intents.uniswapx import ResolvedOrder
from solver.routing.route import Route
from solver.settlement.uniswapx import FillPlan

# one order filled from inventory: 176-196k measured (benchmarks/bench_uniswapx_gas.py)
FILL_GAS_UNITS = 180_000
SPLIT_FRACTIONS = (0.25, 0.5, 0.75)  # shares of the input routed when splitting with inventory

# actions
INVENTORY = "inventory"
ROUTE = "route"
SPLIT = "split"
BATCH = "batch"
SKIP = "skip"

# skip reasons (plus "rejected:<code>" from the intents' checks, passed through)
NO_EDGE = "no_edge"
BELOW_LIMIT = "below_limit"
RISK_LIMIT = "risk_limit"
NO_INVENTORY = "no_inventory"
UNSUPPORTED = "unsupported"
REASONS = (NO_EDGE, BELOW_LIMIT, RISK_LIMIT, NO_INVENTORY, UNSUPPORTED)


@dataclass(frozen=True)
class RiskLimits:
    """The limits the decision stage enforces itself (hard inventory limits come from each TokenPolicy).
    Minimal on purpose: `solver.risk` owns the full set and may hand in its own object with these fields."""

    max_notional_per_fill: float | None = None  # numeraire, at fair value, per order
    # Max inventory per token (symbol or address): raw units, and numeraire value at fair value (the key "*"
    # covers every token not named except the numeraire). The engine turns both into a raw cap each block.
    max_inventory: Mapping[str, int] = field(default_factory=dict)
    max_inventory_value: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Pnl:
    """Expected PnL of a fill in the numeraire, at fair value, and its parts:

    - `spread`: value of the input kept minus value of the outputs paid from inventory (the internalised
      part; `Quoter.edge`'s received - paid for a fill from inventory);
    - `route_surplus`: what the routed input yields beyond the share of the outputs it pays for;
    - `penalty`: inventory-risk penalty of the net inventory change (negative when it brings inventory home);
    - `gas`: the fill's gas, routes included;
    - `min_edge`: what the fill must earn at least (`min_edge_bps` of the value received)."""

    spread: float = 0.0
    route_surplus: float = 0.0
    penalty: float = 0.0
    gas: float = 0.0
    min_edge: float = 0.0

    @property
    def total(self) -> float:
        return self.spread + self.route_surplus - self.penalty - self.gas

    @property
    def worth_filling(self) -> bool:
        return self.total > 0 and self.total >= self.min_edge

    def __add__(self, other: Pnl) -> Pnl:
        return Pnl(
            self.spread + other.spread,
            self.route_surplus + other.route_surplus,
            self.penalty + other.penalty,
            self.gas + other.gas,
            self.min_edge + other.min_edge,
        )

    def to_dict(self) -> dict[str, float]:
        return {
            "total": self.total,
            "spread": self.spread,
            "route_surplus": self.route_surplus,
            "penalty": self.penalty,
            "gas": self.gas,
            "min_edge": self.min_edge,
        }


@dataclass(frozen=True)
class Option:
    """One way of filling one order: from inventory, routing all of its input, or routing `routed_share` of
    it and paying the rest from inventory. `changes` is the filler's net balance change per token (lower-case
    address) with routes at their slippage floor: what the plan's limits allow at worst."""

    action: str
    routed_share: float
    pnl: Pnl
    plan: FillPlan
    routes: tuple[Route, ...] = ()
    changes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What to do with one order, or with a batch of orders netted against each other (`action` "batch",
    one reactor, one executeBatch). Skips carry a `reason` and, where an option was priced, its PnL."""

    hashes: tuple[str, ...]
    action: str
    reason: str | None = None
    detail: str = ""
    pnl: Pnl | None = None
    plan: FillPlan | None = None
    routes: tuple[Route, ...] = ()
    orders: tuple[ResolvedOrder, ...] = ()
    options: tuple[Option, ...] = ()  # every option priced (for a batch: each member's inventory fill)

    @property
    def hash(self) -> str:
        return self.hashes[0]

    @property
    def fills(self) -> bool:
        return self.action != SKIP

    @property
    def reactor(self) -> str | None:
        return self.orders[0].info.reactor if self.orders else None

    def to_dict(self) -> dict:
        return {
            "hashes": list(self.hashes),
            "action": self.action,
            "reason": self.reason,
            "detail": self.detail,
            "pnl": None if self.pnl is None else self.pnl.to_dict(),
            "mode": None if self.plan is None else self.plan.mode,
            "routes": len(self.routes),
        }
