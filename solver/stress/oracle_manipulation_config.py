"""The oracle-manipulation scenario's settings: one frozen dataclass per TOML table, with the checks that
name the bad key.

Why dataclasses: `solver.stress.config.build` reads a scenario file into these types, so a misspelt key or
a wrong type is a one-line error naming the key rather than a silently different question. The defaults are
the scenario's defaults (oracle-manipulation.toml spells them out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from amm.chain.addresses import FEE_TICK_SPACING
from solver.stress.config import ScenarioError
from solver.stress.weekend_gap_config import RunConfig as WeekendGapRun
from solver.stress.weekend_gap_config import TraderParams as WeekendGapTraders
from solver.venues import MarginConfig

BOOKS = ("venue_fund", "lp", "solver_inventory")


@dataclass(frozen=True)
class RunConfig(WeekendGapRun):
    seeds: int = 3


@dataclass(frozen=True)
class ChainParams:
    """Where to run: `rpc_url` of an anvil on the built-in chain (None: start a private one), and the
    seconds between the blocks mined while the attack is held (each block is one venue step and one
    arbitrage round the attacker pays for: the cost grows with the blocks, so 12 is mainnet-like, 60 a
    fifth of mainnet's arbitrage rounds and five times faster to run)."""

    rpc_url: str | None = None
    block_spacing: int = 60

    def __post_init__(self) -> None:
        if self.block_spacing <= 0:
            raise ScenarioError("chain.block_spacing: must be > 0 seconds")


@dataclass(frozen=True)
class PoolParams:
    """The thin v3 pool the oracle reads: a fresh test token against USDC at `price` dollars, one LP
    position worth `liquidity_usd` spanning prices `price / (1 + range_width)` to `price * (1 + range_width)`
    (0: full range)."""

    price: float = 10.0
    fee: int = 3000
    liquidity_usd: float = 200_000.0
    range_width: float = 0.3
    decimals: int = 18

    def __post_init__(self) -> None:
        if self.price <= 0 or self.liquidity_usd <= 0:
            raise ScenarioError("pool.price and pool.liquidity_usd: must be > 0")
        if self.fee not in FEE_TICK_SPACING:
            raise ScenarioError(f"pool.fee: must be one of {', '.join(map(str, FEE_TICK_SPACING))}")
        if self.range_width < 0:
            raise ScenarioError("pool.range_width: must be >= 0 (0: full range)")
        if not 0 <= self.decimals <= 36:
            raise ScenarioError("pool.decimals: must be 0..36")


@dataclass(frozen=True)
class OracleParams:
    """The venue's oracle: the pool's arithmetic-mean-tick TWAP over `window` seconds, from observe()."""

    window: int = 1800

    def __post_init__(self) -> None:
        if self.window <= 0:
            raise ScenarioError("oracle.window: must be > 0 seconds")


@dataclass(frozen=True)
class AttackParams:
    """The attacker: moves the TWAP by each of `target_moves` (fractions of the price, in `direction`),
    holding it for the window; re-pushes after an arbitrageur restores the price in every block if
    `arbitrage`; holds an opposing perp of `perp_notional` dollars. Gas is priced at `gas_price_gwei` and
    ETH at `eth_usd` (anvil's base fee says nothing about mainnet's)."""

    target_moves: tuple[float, ...] = (0.02, 0.05, 0.10, 0.25)
    direction: Literal["down", "up"] = "down"
    arbitrage: bool = True
    perp_notional: float = 100_000.0
    gas_price_gwei: float = 20.0
    eth_usd: float = 3000.0

    def __post_init__(self) -> None:
        if not self.target_moves:
            raise ScenarioError("attack.target_moves: needs at least one move")
        for k in self.target_moves:
            if not 0 < k < (1 if self.direction == "down" else math.inf):
                raise ScenarioError(f"attack.target_moves: {k} is not a move in (0, 1) of the price")
        if len(set(self.target_moves)) != len(self.target_moves):
            raise ScenarioError("attack.target_moves: repeats a move")
        if self.perp_notional < 0 or self.gas_price_gwei < 0 or self.eth_usd <= 0:
            raise ScenarioError("attack.perp_notional, gas_price_gwei: must be >= 0; eth_usd: > 0")


@dataclass(frozen=True)
class VenueParams:
    """The perp venue whose mark is the TWAP: an oracle vault takes every trade at the oracle +/- spread."""

    tick_size: float = 0.001
    lot_size: float = 0.01
    initial_margin: float = 0.1
    maintenance_margin: float = 0.05
    penalty: float = 0.01
    fund: float = 20_000.0
    vault_spread_bps: float = 5.0
    vault_capital: float = 10_000_000.0

    def __post_init__(self) -> None:
        try:
            MarginConfig(self.initial_margin, self.maintenance_margin, self.penalty)
        except ValueError as e:
            raise ScenarioError(f"venue: {e}") from None
        if self.tick_size <= 0 or self.lot_size <= 0 or self.fund < 0 or self.vault_spread_bps < 0:
            raise ScenarioError("venue: need tick_size, lot_size > 0 and fund, vault_spread_bps >= 0")


@dataclass(frozen=True)
class TraderParams(WeekendGapTraders):
    """The weekend-gap population's parameters (and checks), opened at the reference price: more traders,
    more collateral and up to 10x leverage by default."""

    count: int = 40
    collateral: float = 2_000.0
    leverage_max: float = 10.0


@dataclass(frozen=True)
class SolverParams:
    """A solver holding `inventory_usd` of the pool's token, marked at the TWAP; its limit on how far the
    oracle may sit from the true price."""

    inventory_usd: float = 250_000.0
    max_oracle_deviation: float = 0.03

    def __post_init__(self) -> None:
        if self.inventory_usd < 0 or not 0 < self.max_oracle_deviation < 1:
            raise ScenarioError("solver: need inventory_usd >= 0 and 0 < max_oracle_deviation < 1")


@dataclass(frozen=True)
class OracleManipulationConfig:
    run: RunConfig = field(default_factory=RunConfig)
    chain: ChainParams = field(default_factory=ChainParams)
    pool: PoolParams = field(default_factory=PoolParams)
    oracle: OracleParams = field(default_factory=OracleParams)
    attack: AttackParams = field(default_factory=AttackParams)
    venue: VenueParams = field(default_factory=VenueParams)
    traders: TraderParams = field(default_factory=TraderParams)
    solver: SolverParams = field(default_factory=SolverParams)

    def __post_init__(self) -> None:
        if 1 / self.traders.leverage_max < self.venue.initial_margin:
            raise ScenarioError(
                f"traders.leverage_max: {self.traders.leverage_max} is above 1 / venue.initial_margin"
            )
        if self.oracle.window % self.chain.block_spacing:
            raise ScenarioError("oracle.window: must be a whole number of chain.block_spacing")
        if self.oracle.window // self.chain.block_spacing > 200:
            raise ScenarioError("oracle.window: more than 200 blocks of chain.block_spacing per window")
