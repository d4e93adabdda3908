"""The weekend-gap scenario's settings: one frozen dataclass per TOML table, with the checks that name it.

Why here and not in the TOML: the dataclass defaults are the scenario's defaults (weekend-gap.toml spells
them out, a test keeps the two equal), and `solver.stress.config.build` reads a file into these types, so
a misspelt key or a wrong type is an error naming the key rather than a silently different question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from solver.stress.paths import GapModel, JumpDiffusion, ProxyModel
from solver.venues import AlwaysOpen, ContractSpec, MarginConfig, MarketCalendar, USEquityCalendar

FLOW = "flow"  # the noise taker's account
ArchName = Literal["orderbook", "vault", "onchain"]
MarkName = Literal["oracle", "median", "impact"]
OracleName = Literal["freeze", "proxy", "halt"]


@dataclass(frozen=True)
class RunConfig:
    seeds: int = 20
    first_seed: int = 0


@dataclass(frozen=True)
class MarketConfig:
    """Where and when: the underlying's price and calendar, the start, and the step sizes (seconds)."""

    price: float = 100.0
    calendar: Literal["us-equity", "always-open"] = "us-equity"
    start: str = "2026-01-09T20:00:00Z"  # Friday 15:00 New York: an hour before the close
    after_open: int = 1800
    step: int = 120
    closed_step: int = 7200

    def __post_init__(self) -> None:
        self.start_time()
        if self.price <= 0 or self.step <= 0 or self.closed_step <= 0 or self.after_open < 0:
            raise ValueError("need price, step and closed_step > 0 and after_open >= 0")

    def start_time(self) -> datetime:
        try:
            t = datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"start {self.start!r} is not an ISO time like 2026-01-09T20:00:00Z") from None
        if t.tzinfo is None:
            raise ValueError(f"start {self.start!r} needs a timezone (e.g. Z)")
        return t.astimezone(UTC)

    def calendar_obj(self) -> MarketCalendar:
        return USEquityCalendar() if self.calendar == "us-equity" else AlwaysOpen()


@dataclass(frozen=True)
class VenueParams:
    """The venue's contract, margin and insurance fund; dollars and fractions as in `solver.venues`."""

    tick_size: float = 0.01
    lot_size: float = 0.001
    initial_margin: float = 0.1
    maintenance_margin: float = 0.05
    penalty: float = 0.01
    taker_fee: float = 0.0
    end_rule: Literal["adl", "socialised", "freeze"] = "adl"
    funding: bool = True
    funding_premium: Literal["last", "impact"] = "impact"
    fund: float = 5_000.0
    impact_size: float = 1.0  # the impact mark's size, in units of the underlying
    ema_window: int = 300

    def __post_init__(self) -> None:
        MarginConfig(self.initial_margin, self.maintenance_margin, self.penalty)  # its checks, named here
        if self.tick_size <= 0 or self.lot_size <= 0 or self.fund < 0 or self.taker_fee < 0:
            raise ValueError("need tick_size, lot_size > 0 and fund, taker_fee >= 0")

    def spec(self) -> ContractSpec:
        return ContractSpec(tick_size=Decimal(repr(self.tick_size)), lot_size=Decimal(repr(self.lot_size)))


@dataclass(frozen=True)
class BookParams:
    """The makers of the order-book and on-chain architectures; `size` per level in units of the
    underlying, `capital` per maker in dollars."""

    makers: int = 2
    half_spread_bps: float = 10.0
    levels: int = 5
    step_bps: float = 10.0
    size: float = 25.0
    closed_spread_mult: float = 4.0
    closed_size_mult: float = 0.2
    capital: float = 1_000_000.0

    def __post_init__(self) -> None:
        if self.makers < 0 or self.levels < 1 or self.size <= 0 or self.capital < 0:
            raise ValueError("need makers >= 0, levels >= 1, size > 0 and capital >= 0")
        if min(self.half_spread_bps, self.step_bps, self.closed_spread_mult, self.closed_size_mult) < 0:
            raise ValueError("spreads and multipliers must be >= 0")


@dataclass(frozen=True)
class VaultParams:
    spread_bps: float = 5.0
    closed_spread_mult: float = 2.0
    capital: float = 1_000_000.0

    def __post_init__(self) -> None:
        if min(self.spread_bps, self.closed_spread_mult, self.capital) < 0:
            raise ValueError("spread_bps, closed_spread_mult and capital must be >= 0")


@dataclass(frozen=True)
class OnchainParams:
    block_time: int = 12


@dataclass(frozen=True)
class TraderParams:
    """The population: `count` traders, a share `long_share` of them long (the rest short, shuffled),
    collateral lognormal around `collateral` dollars, leverage uniform in [leverage_min, leverage_max]."""

    count: int = 30
    long_share: float = 0.5
    collateral: float = 1_000.0
    collateral_sigma: float = 0.75
    leverage_min: float = 2.0
    leverage_max: float = 9.0

    def __post_init__(self) -> None:
        if self.count < 0 or not 0 <= self.long_share <= 1 or self.collateral <= 0:
            raise ValueError("need count >= 0, 0 <= long_share <= 1 and collateral > 0")
        if not 0 < self.leverage_min <= self.leverage_max:
            raise ValueError("need 0 < leverage_min <= leverage_max")


@dataclass(frozen=True)
class FlowParams:
    """A noise taker that trades `size` units of the underlying each step, on a seeded random side, so
    the last trade follows the book: without it a median mark would hold Friday's last trade forever."""

    size: float = 1.0
    capital: float = 1_000_000.0

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("size must be >= 0")


@dataclass(frozen=True)
class SolverParams:
    """The solver's books on this venue: it holds `inventory_usd` of the tokenised underlying (marked at
    the underlying while it trades, at the proxy while it is shut) and hedges it with a short perp opened
    at the start with `leverage` (collateral = notional / leverage). 0 leaves the solver out."""

    inventory_usd: float = 10_000.0
    leverage: float = 3.0

    def __post_init__(self) -> None:
        if self.inventory_usd < 0 or self.leverage <= 0:
            raise ValueError("need inventory_usd >= 0 and leverage > 0")


@dataclass(frozen=True)
class Variants:
    """What varies between the venues of one path: every combination is run on the same draws."""

    architectures: tuple[ArchName, ...] = ("orderbook", "vault", "onchain")
    mark_rules: tuple[MarkName, ...] = ("oracle", "median", "impact")
    oracle_rules: tuple[OracleName, ...] = ("freeze", "proxy")


@dataclass(frozen=True)
class WeekendGapConfig:
    run: RunConfig = field(default_factory=RunConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    path: JumpDiffusion = field(default_factory=lambda: JumpDiffusion(0.5, jump_rate=50.0, jump_stdev=0.01))
    gap: GapModel = field(default_factory=GapModel)
    proxy: ProxyModel = field(default_factory=ProxyModel)
    venue: VenueParams = field(default_factory=VenueParams)
    book: BookParams = field(default_factory=BookParams)
    vault: VaultParams = field(default_factory=VaultParams)
    onchain: OnchainParams = field(default_factory=OnchainParams)
    traders: TraderParams = field(default_factory=TraderParams)
    flow: FlowParams = field(default_factory=FlowParams)
    solver: SolverParams = field(default_factory=SolverParams)
    variants: Variants = field(default_factory=Variants)

    def __post_init__(self) -> None:
        if 1 / self.traders.leverage_max < self.venue.initial_margin:
            raise ValueError(
                f"traders.leverage_max {self.traders.leverage_max} is above 1 / venue.initial_margin"
            )
        if 1 / self.solver.leverage < self.venue.initial_margin:
            raise ValueError(f"solver.leverage {self.solver.leverage} is above 1 / venue.initial_margin")
        if "onchain" in self.variants.architectures and self.market.step < self.onchain.block_time:
            raise ValueError("market.step must be at least onchain.block_time")
