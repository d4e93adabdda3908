"""The oracle-manipulation scenario: an attacker moves the thin market a perp venue's oracle follows (a thin
Uniswap v3 pool and its TWAP from `observe()`), by real swaps on anvil. What does it cost to move the oracle
by k%, and what does it trigger: liquidations on the venue, the pool's LP, a solver marking its inventory at
the oracle?

Why the chain and not a formula: the TWAP a venue reads is what the pool's `observe()` returns after the
swaps, and the attacker's cost is what its balances show (the arbitrage it pays every block, the pool's
fees, gas). `solver.stress.oracle_manipulation_chain` runs the attack; this module reads its blocks as the
venue's oracle path.

Common random numbers: the chain part is the same for every seed (it has no randomness), so it runs once
per target move and engine (cached while the chain's head is unchanged); the seed draws the venue's trader
population, the same for every target move. Each (seed, target move, book) gives one row: the book's PnL,
worst drawdown and first breach (`solver.stress.books.BookTracker`), with the attack's figures.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np

from amm.chain.node import Node
from amm.chain.session import ChainSession, connect, start_devnet
from solver.stress.books import BookTracker
from solver.stress.config import ScenarioError
from solver.stress.oracle_manipulation_chain import (
    USDC_DECIMALS,
    Attack,
    BlockRead,
    Market,
    OracleChain,
)
from solver.stress.oracle_manipulation_config import BOOKS, OracleManipulationConfig
from solver.stress.weekend_gap import Trader, population
from solver.venues import (
    AlwaysOpen,
    ContractSpec,
    FundingConfig,
    MarginConfig,
    OracleVault,
    PerpVenue,
    TradeRejected,
    VenueConfig,
)

__all__ = ["BOOKS", "OracleManipulation", "OracleManipulationConfig"]
ATTACKER = "attacker"


@dataclass(frozen=True)
class VenueRun:
    """The venue over one attack: its end state and the per-step trace."""

    venue: PerpVenue
    perp_pnl: int  # units: the attacker's perp PnL, closed at the peak
    fund_breach_s: float | None
    steps: list[dict[str, Any]]


class OracleManipulation:
    """The scenario engine. `run_seed(seed)` gives every (target move, book) row; `market()` and
    `chain.attack(...)` run the chain side by hand (a test or a notebook inspecting the blocks)."""

    config_cls = OracleManipulationConfig
    variant_keys = ("target_move", "book")

    def __init__(self, config: OracleManipulationConfig) -> None:
        self.config = config
        v = config.venue
        self.spec = ContractSpec(tick_size=Decimal(repr(v.tick_size)), lot_size=Decimal(repr(v.lot_size)))
        if self.spec.ticks(config.pool.price) <= 0:
            raise ScenarioError("venue.tick_size: larger than pool.price")
        self.price = Fraction(repr(config.pool.price))  # the true price, dollars per base token
        self._session: ChainSession | None = None
        self._cache: tuple[str, Market, dict[float, Attack]] | None = None
        self._closer: weakref.finalize | None = None

    # --- the chain --------------------------------------------------------------------------------------

    def node(self) -> Node:
        """The node: `chain.rpc_url` as given, else a private anvil on the built-in chain (started once,
        stopped with the engine)."""
        if self._session is None:
            url = self.config.chain.rpc_url
            self._session = connect(url) if url else start_devnet()
            self._closer = weakref.finalize(self, self._session.close)  # a dropped engine stops its anvil
        return self._session.node

    def close(self) -> None:
        """Stop the private anvil (or drop the connection); the next run starts afresh."""
        if self._closer is not None:
            self._closer()
            self._closer = self._session = None
            self._cache = None

    @contextmanager
    def market(self) -> Iterator[tuple[OracleChain, Market]]:
        """The market set up on the node (reverted on exit): attack it with `chain.attack(market, k)`."""
        chain = OracleChain(self.node(), self.config)
        with chain.market() as market:
            yield chain, market

    def attacks(self) -> tuple[Market, dict[float, Attack]]:
        """Every target move's attack, each from the same market state; the node is left as found."""
        node = self.node()
        head = f"{node.rpc.url}:{node.block()['hash']}"
        if self._cache is not None and self._cache[0] == head:
            return self._cache[1], self._cache[2]
        done: dict[float, Attack] = {}
        with self.market() as (chain, market):
            for move in self.config.attack.target_moves:
                snapshot = node.snapshot()
                try:
                    done[move] = chain.attack(market, move)
                finally:
                    node.revert(snapshot)
        self._cache = (head, market, done)
        return market, done

    # --- prices and values (floats: reporting only) -----------------------------------------------------

    def tick_price(self, market: Market, tick: int) -> float:
        """Dollars per base token at a pool tick."""
        ticks = tick if market.base_is_token0 else -tick
        return 1.0001**ticks * 10.0 ** (self.config.pool.decimals - USDC_DECIMALS)

    def sqrt_price(self, market: Market, sqrt_price_x96: int) -> float:
        ratio = Fraction(sqrt_price_x96**2, 2**192)
        raw = ratio if market.base_is_token0 else 1 / ratio
        return float(raw * 10**self.config.pool.decimals / 10**USDC_DECIMALS)

    def value(self, market: Market, amount0: int, amount1: int) -> float:
        """Raw token0/token1 amounts in dollars at the true price."""
        base, usdc = (amount0, amount1) if market.base_is_token0 else (amount1, amount0)
        return float(base * self.price / 10**self.config.pool.decimals + Fraction(usdc, 10**USDC_DECIMALS))

    def cost(self, market: Market, attack: Attack) -> tuple[float, float]:
        """(cost, gas) in dollars: the attacker's token balances lost, valued at the true price, plus its
        gas at `attack.gas_price_gwei`."""
        (b0, b1, _), (a0, a1, _) = attack.balances_before, attack.balances_after
        a = self.config.attack
        gas = attack.attacker_gas * a.gas_price_gwei * 1e-9 * a.eth_usd
        return -self.value(market, a0 - b0, a1 - b1) + gas, gas

    # --- the venue --------------------------------------------------------------------------------------

    def draw(self, seed: int) -> tuple[Trader, ...]:
        """The seed's trader population (collateral lognormal, leverage uniform, sides shuffled)."""
        return population(np.random.default_rng(np.random.SeedSequence(seed)), self.config.traders)

    def venue(self, market: Market, attack: Attack) -> PerpVenue:
        v, spec = self.config.venue, self.spec
        cfg = VenueConfig(
            spec=spec,
            margin=MarginConfig(v.initial_margin, v.maintenance_margin, v.penalty),
            funding=FundingConfig(enabled=False),  # an hour's attack: funding is noise here
            mark_rule="oracle",
        )
        start = attack.blocks[0]
        venue = PerpVenue(
            OracleVault(spread_bps=Fraction(Decimal(repr(v.vault_spread_bps)))),
            oracle=spec.ticks(self.tick_price(market, start.twap_tick)),
            config=cfg,
            calendar=AlwaysOpen(),
            start=datetime.fromtimestamp(start.timestamp, UTC),
        )
        venue.deposit("vault", spec.units(Decimal(repr(v.vault_capital))))
        venue.fund_deposit(spec.units(Decimal(repr(v.fund))))
        return venue

    def simulate(self, market: Market, attack: Attack, traders: tuple[Trader, ...]) -> VenueRun:
        """Open the traders and the attacker's opposing perp at the reference, then step the venue at every
        block with the pool's TWAP as its oracle; the attacker closes at the peak."""
        spec, a = self.spec, self.config.attack
        venue = self.venue(market, attack)
        lot_value = Fraction(venue.oracle) * Fraction(spec.tick_size) * Fraction(spec.lot_size)
        for trader in traders:
            lots = math.floor(Fraction(trader.collateral) * Fraction(trader.leverage) / lot_value)
            if lots <= 0:
                continue
            venue.open_account(trader.id, deposit=spec.units(trader.collateral))
            try:
                venue.trade(trader.id, lots if trader.long else -lots)
            except TradeRejected:
                continue
        perp_lots = math.floor(Fraction(Decimal(repr(a.perp_notional))) / lot_value)
        venue.open_account(ATTACKER, deposit=spec.units(Decimal(repr(a.perp_notional))))
        if perp_lots:
            venue.trade(ATTACKER, -perp_lots if a.direction == "down" else perp_lots)
        start = attack.blocks[0]
        fund_breach: float | None = None
        steps: list[dict[str, Any]] = []
        for before, block in pairwise(attack.blocks):
            twap = self.tick_price(market, block.twap_tick)
            report = venue.step(block.timestamp - before.timestamp, oracle=spec.ticks(twap))
            if block.number == attack.peak_block and venue.accounts[ATTACKER].qty:
                venue.trade(ATTACKER, -venue.accounts[ATTACKER].qty)
            if fund_breach is None and venue.stats.fund_exhausted:
                fund_breach = float(block.timestamp - start.timestamp)
            steps.append(
                {
                    "time": datetime.fromtimestamp(block.timestamp, UTC).isoformat(),
                    "time_s": block.timestamp - start.timestamp,
                    "block": block.number,
                    "oracle": twap,
                    "spot": self.sqrt_price(market, block.sqrt_price_x96),
                    "mark": float(spec.price(venue.mark)),
                    "fund": float(spec.dollars(venue.fund)),
                    "liquidations": len(report.liquidations),
                    "lp_value": self.value(market, *_lp_total(block)),
                }
            )
        venue.check_conservation()
        pnl = venue.equity(ATTACKER) - spec.units(Decimal(repr(a.perp_notional)))
        return VenueRun(venue, pnl, fund_breach, steps)

    # --- rows -------------------------------------------------------------------------------------------

    def run_seed(
        self, seed: int, trace: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """Every (target move, book) row for one seed, and each variant's block-by-block trace if asked."""
        market, attacks = self.attacks()
        traders = self.draw(seed)
        rows: list[dict[str, Any]] = []
        traces: dict[str, list[dict[str, Any]]] = {}
        for move, attack in attacks.items():
            run = self.simulate(market, attack, traders)
            common = self._common(seed, market, attack, run)
            books = {
                "venue_fund": self._fund_row(run),
                "lp": self._lp_row(market, attack),
                "solver_inventory": self._inventory_row(market, attack),
            }
            for book, (tracker, extra) in books.items():
                rows.append({**common, **tracker.row(**extra)})
                if trace:
                    traces[f"{move:g}/{book}"] = run.steps
        return rows, traces

    def _common(self, seed: int, market: Market, attack: Attack, run: VenueRun) -> dict[str, Any]:
        spec, st = self.spec, run.venue.stats
        base, peak = attack.blocks[0], attack.peak
        cost, gas = self.cost(market, attack)
        notional = float(spec.dollars(sum(abs(liq.qty) * liq.mark for liq in run.venue.liquidations)))
        perp = float(spec.dollars(run.perp_pnl))
        (b0, b1, _), (a0, a1, _) = attack.balances_before, attack.balances_after
        deltas = (a0 - b0, a1 - b1) if market.base_is_token0 else (a1 - b1, a0 - b0)
        return {
            "seed": seed,
            "target_move": attack.target_move,
            "direction": self.config.attack.direction,
            "twap_move": round(
                self.tick_price(market, peak.twap_tick) / self.tick_price(market, base.twap_tick) - 1, 6
            ),
            "spot_move": round(
                self.sqrt_price(market, peak.sqrt_price_x96) / self.sqrt_price(market, market.sqrt_price_x96)
                - 1,
                6,
            ),
            "twap_tick_start": base.twap_tick,
            "twap_tick_peak": peak.twap_tick,
            "cost_usd": round(cost, 2),
            "attacker_gas_usd": round(gas, 2),
            "attacker_gas": attack.attacker_gas,
            "attacker_base_delta_raw": deltas[0],
            "attacker_usdc_delta_raw": deltas[1],
            "arbitrage_swaps": attack.arbitrage_swaps,
            "liquidations": st.liquidations,
            "liquidated_notional_usd": round(notional, 2),
            "cost_per_liquidated_usd": round(cost / notional, 6) if notional else None,
            "perp_pnl_usd": round(perp, 2),
            "attack_profit_usd": round(perp - cost, 2),
            "bad_debt_usd": float(spec.dollars(st.bad_debt)),
            "fund_used_usd": float(spec.dollars(st.fund_paid)),
        }

    def _fund_row(self, run: VenueRun) -> tuple[BookTracker, dict[str, Any]]:
        tracker = BookTracker("venue_fund", start=float(self.config.venue.fund))
        for step in run.steps:
            tracker.mark(step["time_s"], step["fund"])
        if run.fund_breach_s is not None:
            tracker.breach("fund_exhausted", run.fund_breach_s)
        st = run.venue.stats
        return tracker, {"penalties_usd": float(self.spec.dollars(st.penalties))}

    def _lp_row(self, market: Market, attack: Attack) -> tuple[BookTracker, dict[str, Any]]:
        tracker = BookTracker("lp")
        start = attack.blocks[0]
        for block in attack.blocks:
            t = block.timestamp - start.timestamp
            tracker.mark(t, self.value(market, *_lp_total(block)))
            if not market.tick_lower <= block.tick < market.tick_upper:
                tracker.breach("out_of_range", t)
        end = attack.blocks[-1]
        return tracker, {
            "lp_value_start_usd": round(self.value(market, *_lp_total(start)), 2),
            "lp_value_end_usd": round(self.value(market, *_lp_total(end)), 2),
            "lp_fees_usd": round(self.value(market, *end.lp_fees), 2),
        }

    def _inventory_row(self, market: Market, attack: Attack) -> tuple[BookTracker, dict[str, Any]]:
        """A solver holding `solver.inventory_usd` of the base token, marked at the TWAP."""
        s = self.config.solver
        true = float(self.price)
        qty = s.inventory_usd / true
        tracker = BookTracker("solver_inventory", start=s.inventory_usd)
        start = attack.blocks[0]
        worst = 0.0
        for block in attack.blocks[1:]:
            t = block.timestamp - start.timestamp
            twap = self.tick_price(market, block.twap_tick)
            tracker.mark(t, qty * twap)
            worst = max(worst, abs(qty * (twap - true)))
            if abs(twap / true - 1) > s.max_oracle_deviation:
                tracker.breach("oracle_deviation", t)
        return tracker, {"worst_mismark_usd": round(worst, 2)}


def _lp_total(block: BlockRead) -> tuple[int, int]:
    """The LP position's raw token0/token1: principal plus uncollected fees."""
    return block.lp_amounts[0] + block.lp_fees[0], block.lp_amounts[1] + block.lp_fees[1]
