"""Off-pool hedge venues: a perpetual-futures venue model, exact to the last money unit.

The perp loop: an oracle O_t (the underlying, or by rule a frozen/proxy price while it is closed), a last
trade P_t, a mark M_t (oracle, median or impact rule), funding f_t (premium of P over O, clamped; f > 0:
longs pay shorts), accounts with initial and maintenance margin marked at M_t, liquidation with a penalty to
an insurance fund, then auto-deleveraging, socialised loss or a freeze once the fund is spent. Three
architectures (`OrderBook`, `OracleVault`, `OnchainBook`) and a market-hours calendar (`AlwaysOpen`,
`USEquityCalendar`). Money is integer units of tick x lot (see `units`): `total_money()` equals the net
deposits after every call.

Usage, from a bot or a notebook::

    from datetime import UTC, datetime
    from solver.venues import MakerQuotes, OrderBook, PerpVenue, USEquityCalendar, VenueConfig

    cfg = VenueConfig(mark_rule="median", oracle_rule="freeze", end_rule="adl")
    book = OrderBook([MakerQuotes(size=50_000, closed_spread_mult=4, closed_size_mult=0)])
    venue = PerpVenue(book, oracle=cfg.spec.ticks("100"), config=cfg, calendar=USEquityCalendar(),
                      start=datetime(2026, 1, 9, 20, 0, tzinfo=UTC))   # Friday 15:00 New York
    venue.fund_deposit(cfg.spec.units(10_000))
    venue.open_account("alice", deposit=cfg.spec.units(1_000))
    venue.trade("alice", cfg.spec.lots(50))                            # long 50 at the makers' ask
    report = venue.step(3600, oracle=cfg.spec.ticks("99.5"))           # one hour later; now closed
    venue.check_conservation()                                         # every unit accounted
    print(report.mark, venue.equity("alice"), venue.fund, venue.stats)
"""

from solver.venues.accounts import Account, MarginConfig
from solver.venues.architectures import Architecture, Level, MakerQuotes, OnchainBook, OracleVault, OrderBook
from solver.venues.calendar import AlwaysOpen, MarketCalendar, USEquityCalendar
from solver.venues.liquidation import adl_price
from solver.venues.perp import PerpVenue, StepReport, TradeRejected, TradeResult, VenueConfig
from solver.venues.pricing import FundingConfig, MarkRule, OracleRule
from solver.venues.records import FUND, VENUE, EndRule, Fill, Liquidation, VenueStats
from solver.venues.units import ContractSpec

__all__ = [
    "FUND",
    "VENUE",
    "Account",
    "AlwaysOpen",
    "Architecture",
    "ContractSpec",
    "EndRule",
    "Fill",
    "FundingConfig",
    "Level",
    "Liquidation",
    "MakerQuotes",
    "MarginConfig",
    "MarkRule",
    "MarketCalendar",
    "OnchainBook",
    "OracleRule",
    "OracleVault",
    "OrderBook",
    "PerpVenue",
    "StepReport",
    "TradeRejected",
    "TradeResult",
    "USEquityCalendar",
    "VenueConfig",
    "VenueStats",
    "adl_price",
]
