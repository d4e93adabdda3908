"""What a router returns: orders, the gas model, legs and routes, JSON-safe.

Every on-chain amount is a Python int taken from the exact pool models; floats appear only in derived,
informational figures (prices, impact). `to_dict()` writes on-chain integers as decimal strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from solver.routing.errors import InvalidOrder
from solver.routing.universe import Token

Kind = Literal["exact_in", "exact_out"]
BPS = 10_000


@dataclass(frozen=True)
class GasModel:
    """Gas units of a route executed by `RouteExecutor`: a fixed base (transaction, pulling the input, paying
    the output), a cost per leg by kind, and a cost per initialised tick a v3 leg crosses (Tick.cross: two
    fee-growth slots rewritten, and the bitmap words read on the way).

    The defaults are a least-squares fit to 204 routes executed on the built-in chain (1-7 legs, 0-15 ticks):
    mean absolute error 7%, worst cases -25% / +40% (a tick costs more in a pool whose swap also stops at many
    empty bitmap words, which a per-tick figure cannot see). `smart_order_router()` gives Uniswap's figures
    (80k per hop, 31k per tick). Fixed costs per leg are what make the optimiser drop small legs.
    """

    base: int = 60_000
    per_v3_leg: int = 75_000
    per_v2_leg: int = 55_000
    per_tick: int = 40_000

    @classmethod
    def smart_order_router(cls) -> GasModel:
        """Uniswap smart-order-router's model: 80k per hop, 31k per initialised tick crossed."""
        return cls(base=100_000, per_v3_leg=80_000, per_v2_leg=80_000, per_tick=31_000)

    def leg(self, kind: str, ticks_crossed: int) -> int:
        return (self.per_v3_leg if kind == "v3" else self.per_v2_leg) + self.per_tick * ticks_crossed


@dataclass(frozen=True)
class Order:
    """Sell exactly `amount` of `sell` (exact_in), or buy exactly `amount` of `buy` (exact_out)."""

    sell: Token
    buy: Token
    amount: int
    kind: Kind = "exact_in"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise InvalidOrder(f"the amount must be an integer of raw token units, got {self.amount!r}")
        if self.amount <= 0:
            raise InvalidOrder(f"the amount must be positive, got {self.amount}")
        if self.kind not in ("exact_in", "exact_out"):
            raise InvalidOrder(f"kind is 'exact_in' or 'exact_out', got {self.kind!r}")

    @property
    def exact_in(self) -> bool:
        return self.kind == "exact_in"


@dataclass(frozen=True)
class Leg:
    """One swap on one pool, in execution order: exact integers as the pool model computes them."""

    pool: str
    pool_name: str
    kind: Literal["v3", "v2"]
    fee: int
    zero_for_one: bool
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    ticks_crossed: int
    gas: int
    exact_output: bool = False  # executed as an exact-output swap (legs of exact-output routes)

    def limit(self, slippage_bps: int) -> int:
        """The leg's protection for a settlement: minimum output (exact input legs) or maximum input."""
        if self.exact_output:
            return self.amount_in + (self.amount_in * slippage_bps + BPS - 1) // BPS
        return self.amount_out * (BPS - slippage_bps) // BPS

    def to_dict(self, slippage_bps: int = 0) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "pool_name": self.pool_name,
            "kind": self.kind,
            "fee": self.fee,
            "zero_for_one": self.zero_for_one,
            "token_in": self.token_in,
            "token_out": self.token_out,
            "amount_in": str(self.amount_in),
            "amount_out": str(self.amount_out),
            "exact_output": self.exact_output,
            ("max_amount_in" if self.exact_output else "min_amount_out"): str(self.limit(slippage_bps)),
            "ticks_crossed": self.ticks_crossed,
            "gas": self.gas,
        }


@dataclass(frozen=True)
class RouteStats:
    """How the route was found (for benchmarks and logs)."""

    seconds: float = 0.0
    search_seconds: float = 0.0  # the float split search, gas decisions included
    exact_seconds: float = 0.0  # exact quotes, polish and the single-path check
    dual_iterations: int = 0
    solves: int = 0
    exact_quotes: int = 0
    edges: int = 0
    dropped_for_gas: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Route:
    """A split order: its legs in execution order and what it yields.

    For exact input, `amount_out` is what the pools pay and `net_amount_out` subtracts the gas cost valued in
    the output token; for exact output, `net_amount_in` adds the gas cost valued in the input token.
    `min_amount_out` / `max_amount_in` apply `slippage_bps` to the totals, each leg's `limit` to the leg.
    """

    order: Order
    legs: tuple[Leg, ...]
    amount_in: int
    amount_out: int
    gas_units: int
    gas_price_wei: int
    gas_cost: int  # raw units of the output token (exact input) or of the input token (exact output)
    eth_price: float  # whole gas tokens per ETH used to value gas
    spot_price: float  # best mid price along the order's paths, whole output tokens per whole input token
    slippage_bps: int = 50
    block: int | None = None
    stats: RouteStats = field(default_factory=RouteStats)

    @property
    def token_in(self) -> Token:
        return self.order.sell

    @property
    def token_out(self) -> Token:
        return self.order.buy

    @property
    def gas_cost_wei(self) -> int:
        return self.gas_units * self.gas_price_wei

    @property
    def net_amount_out(self) -> int:
        return self.amount_out - self.gas_cost if self.order.exact_in else self.amount_out

    @property
    def net_amount_in(self) -> int:
        return self.amount_in if self.order.exact_in else self.amount_in + self.gas_cost

    @property
    def effective_price(self) -> float:
        """Whole output tokens per whole input token actually obtained (before gas)."""
        return self.token_out.units(self.amount_out) / self.token_in.units(self.amount_in)

    @property
    def price_impact(self) -> float:
        """How far the effective price falls short of the best spot (mid) price, pool fees included."""
        return 1.0 - self.effective_price / self.spot_price if self.spot_price > 0 else 0.0

    @property
    def min_amount_out(self) -> int:
        return self.amount_out * (BPS - self.slippage_bps) // BPS if self.order.exact_in else self.amount_out

    @property
    def max_amount_in(self) -> int:
        if self.order.exact_in:
            return self.amount_in
        return self.amount_in + (self.amount_in * self.slippage_bps + BPS - 1) // BPS

    def pool_amounts(self) -> dict[str, tuple[int, int]]:
        """Pool address -> (amount it receives, amount it pays), as a settlement checks them."""
        return {leg.pool: (leg.amount_in, leg.amount_out) for leg in self.legs}

    def to_dict(self) -> dict[str, Any]:
        order = self.order
        return {
            "kind": order.kind,
            "token_in": asdict(order.sell),
            "token_out": asdict(order.buy),
            "amount_in": str(self.amount_in),
            "amount_out": str(self.amount_out),
            "min_amount_out": str(self.min_amount_out),
            "max_amount_in": str(self.max_amount_in),
            "slippage_bps": self.slippage_bps,
            "net_amount_out": str(self.net_amount_out),
            "net_amount_in": str(self.net_amount_in),
            "spot_price": self.spot_price,
            "effective_price": self.effective_price,
            "price_impact": self.price_impact,
            "gas": {
                "units": self.gas_units,
                "price_wei": str(self.gas_price_wei),
                "cost_wei": str(self.gas_cost_wei),
                "cost_in_token": str(self.gas_cost),
                "token": (order.buy if order.exact_in else order.sell).symbol,
                "eth_price": self.eth_price,
            },
            "legs": [leg.to_dict(self.slippage_bps) for leg in self.legs],
            "block": self.block,
            "stats": self.stats.to_dict(),
        }
