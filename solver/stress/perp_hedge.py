"""The solver's perp hedge in a stress run: one `solver.venues.PerpVenue` per hedged token, its insurance
fund, a small seeded population of other traders, and the solver's own margin account.

Why a whole venue and not a formula: the questions a stress run asks of the hedge (does the short get
liquidated in a squeeze, what does funding cost after a crash, does the venue's fund survive the other
traders' liquidations) are answered by the venue's exact rules (`solver.venues`: mark, funding from the
premium of the last trade over the oracle, maintenance margin, liquidation penalty to the fund, ADL), not by
a second model of them. Money inside the venue is its integer units; `check_conservation` holds every step.

The venue's underlying is "open" while the engine says the hedge venue is reachable (`hedge_open`): a
switchable calendar, so while it is closed the oracle follows the venue's oracle rule (freeze by default),
the makers widen or leave as `MakerQuotes` say, and the solver does not trade.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import numpy as np

from solver.venues import (
    ContractSpec,
    FundingConfig,
    MakerQuotes,
    MarginConfig,
    OrderBook,
    PerpVenue,
    TradeRejected,
    VenueConfig,
)

SOLVER = "solver"
FLOW = "flow"
LOT_USD = 3.0  # a lot is worth about this much at the start: fine enough to hedge to the cent


@dataclass(frozen=True)
class PerpConfig:
    """The perp venue and the solver's account on it (the TOML table [solver.perp])."""

    tokens: tuple[str, ...] = ("WETH",)  # one perp per token; WBTC can be added, default leaves it unhedged
    leverage: float = 10.0  # the venue's max leverage: initial margin = 1 / leverage
    maintenance_margin: float = 0.05
    penalty: float = 0.01  # of notional, paid to the insurance fund on liquidation
    margin_usd: float = 100_000.0  # the solver's collateral on the venue
    funding: bool = True
    funding_interval_s: int = 3600
    funding_cap: float = 0.0075  # per 8 h
    fund_usd: float = 200_000.0  # the venue's insurance fund, per token's perp
    oracle_rule: Literal["freeze", "halt"] = "freeze"  # what the oracle does while the venue is closed
    end_rule: Literal["adl", "socialised", "freeze"] = "adl"
    makers: int = 2
    maker_half_spread_bps: float = 5.0
    maker_levels: int = 5
    maker_step_bps: float = 5.0
    maker_size_usd: float = 100_000.0  # per level, at the start price
    traders: int = 8  # the other traders (seeded: side, collateral, leverage)
    trader_collateral_usd: float = 20_000.0
    trader_leverage: tuple[float, float] = (3.0, 9.0)
    long_share: float = 0.7
    flow_usd: float = 5_000.0  # a noise taker each step, so the last trade (and funding) follows the oracle

    def __post_init__(self) -> None:
        if not 1 <= self.leverage <= 1 / self.maintenance_margin:
            raise ValueError("perp leverage must be in [1, 1 / maintenance_margin]")
        if self.margin_usd <= 0 or self.fund_usd < 0 or self.traders < 0 or self.makers < 1:
            raise ValueError("perp margin_usd > 0, fund_usd >= 0, traders >= 0 and makers >= 1")


class _Switch:
    """A market calendar the book opens and closes: the engine's `hedge_open`."""

    def __init__(self) -> None:
        self.open = True

    def is_open(self, when: object) -> bool:
        return self.open


def _fraction(x: float) -> Fraction:
    return Fraction(Decimal(repr(x)))


class PerpMarket:
    """One token's perp: the venue, its population, and the solver's position (whole tokens as lots)."""

    def __init__(self, symbol: str, price: float, config: PerpConfig, rng: np.random.Generator) -> None:
        self.symbol = symbol
        self.config = config
        lot = Decimal(repr(10 ** math.floor(math.log10(LOT_USD / price))))
        self.spec = ContractSpec(tick_size=Decimal("0.01"), lot_size=lot, symbol=f"{symbol}-PERP")
        spec = self.spec
        self.calendar = _Switch()
        makers = [
            MakerQuotes(
                account=f"maker{k}",
                half_spread_bps=_fraction(config.maker_half_spread_bps),
                levels=config.maker_levels,
                step_bps=_fraction(config.maker_step_bps),
                size=max(1, spec.lots(config.maker_size_usd / price)),
                closed_spread_mult=Fraction(1),
                closed_size_mult=Fraction(0),  # makers cannot hedge either: they leave
            )
            for k in range(config.makers)
        ]
        self.venue = PerpVenue(
            OrderBook(makers),
            oracle=spec.ticks(price),
            config=VenueConfig(
                spec=spec,
                margin=MarginConfig(
                    Fraction(1) / _fraction(config.leverage),
                    _fraction(config.maintenance_margin),
                    _fraction(config.penalty),
                ),
                funding=FundingConfig(
                    interval=config.funding_interval_s,
                    cap=_fraction(config.funding_cap),
                    enabled=config.funding,
                ),
                oracle_rule=config.oracle_rule,
                end_rule=config.end_rule,
            ),
            calendar=self.calendar,
        )
        for account, _ in self.venue.arch.liquidity_accounts():  # makers' capital: never the constraint
            self.venue.deposit(account, spec.units(100 * config.maker_size_usd * config.maker_levels))
        self.venue.fund_deposit(spec.units(Decimal(repr(config.fund_usd))))
        self.fund_start = self.venue.fund
        self.deposit = spec.units(Decimal(repr(config.margin_usd)))
        self.venue.open_account(SOLVER, deposit=self.deposit)
        self._flow_lots = spec.lots(config.flow_usd / price)
        if self._flow_lots:
            self.venue.open_account(FLOW, deposit=spec.units(100 * config.flow_usd))
        self._enter_population(price, rng)
        self._flow_sides = rng  # one shared, seeded stream for the noise taker's sides

    def _enter_population(self, price: float, rng: np.random.Generator) -> None:
        """The other traders open their positions at the start, against the makers."""
        c, spec = self.config, self.spec
        for i in range(c.traders):
            long = bool(rng.random() < c.long_share)
            collateral = c.trader_collateral_usd * float(np.exp(0.5 * rng.standard_normal()))
            leverage = float(rng.uniform(*c.trader_leverage))
            lots = spec.lots(collateral * leverage / price)
            name = f"t{i:02d}"
            self.venue.open_account(name, deposit=spec.units(Decimal(f"{collateral:.2f}")))
            if lots > 0:
                with contextlib.suppress(TradeRejected):
                    self.venue.trade(name, lots if long else -lots)

    # -- the solver's side -----------------------------------------------------------------------------
    @property
    def position(self) -> float:
        """The solver's position in whole tokens (negative: short)."""
        return float(self.venue.accounts[SOLVER].qty * self.spec.lot_size)

    def rebalance(self, target: float) -> bool:
        """Trade the solver's position to `target` whole tokens; False when the venue refuses (closed,
        halted, frozen, no liquidity, margin). A partial fill (thin book) keeps what filled."""
        lots = self.spec.lots(target) - self.venue.accounts[SOLVER].qty
        if not lots:
            return True
        if not self.calendar.open:
            return False
        try:
            done = self.venue.trade(SOLVER, lots)
        except TradeRejected:
            return False
        return done.qty == lots

    def step(self, seconds: int, price: float, open_: bool) -> None:
        """Advance the venue `seconds` to the market `price`; the noise taker trades first while open."""
        self.calendar.open = open_
        side = 1 if self._flow_sides.random() < 0.5 else -1
        if self._flow_lots and open_:
            with contextlib.suppress(TradeRejected):
                self.venue.trade(FLOW, side * self._flow_lots)
        if seconds > 0:
            self.venue.step(seconds, oracle=self.spec.ticks(price))
        self.venue.check_conservation()

    # -- figures (floats, for reports) -----------------------------------------------------------------
    def usd(self, units: int | Fraction) -> float:
        return float(self.spec.dollars(units))

    @property
    def pnl_usd(self) -> float:
        """The solver's PnL on this perp: equity at the mark minus its deposit (funding + mark PnL)."""
        return self.usd(self.venue.equity(SOLVER) - self.deposit)

    @property
    def funding_usd(self) -> float:
        return self.usd(self.venue.accounts[SOLVER].funding)

    @property
    def fund_usd(self) -> float:
        return self.usd(self.venue.fund)

    @property
    def mark(self) -> float:
        return float(self.spec.price(self.venue.mark))

    def liquidation_distance(self) -> float | None:
        """The solver's distance to liquidation, a fraction of the mark (`PerpVenue.liquidation_distance`)."""
        exact = self.venue.liquidation_distance(SOLVER)
        return None if exact is None else float(exact)

    def margin_call(self) -> bool:
        """Equity below initial margin at the mark (not yet liquidatable): the venue wants more collateral."""
        if self.venue.accounts[SOLVER].qty == 0:
            return False
        return self.venue.equity(SOLVER) < self.venue.initial_margin(SOLVER)

    @property
    def liquidated(self) -> bool:
        return any(liq.account == SOLVER for liq in self.venue.liquidations)

    @property
    def fund_exhausted(self) -> bool:
        st = self.venue.stats
        return bool(st.fund_exhausted or self.venue.frozen or (self.fund_start and self.venue.fund == 0))
