"""What the venue records: its end rules, fills, liquidations and running totals (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

FUND = "<fund>"
VENUE = "<venue>"


class EndRule(StrEnum):
    """What happens when a liquidation's loss exceeds the insurance fund."""

    ADL = "adl"  # close the rest against the most profitable opposite positions (see `liquidation`)
    SOCIALISED = "socialised"  # keep closing in the market; the loss beyond the fund is shared by winners
    FREEZE = "freeze"  # stop the venue: no trading, funding or liquidation; the debt stays open


FillKind = Literal["trade", "match", "liquidation", "adl"]


@dataclass(frozen=True)
class Fill:
    time: datetime
    taker: str
    maker: str
    qty: int  # the taker's signed lots
    price: int
    kind: FillKind


@dataclass
class Liquidation:
    """What one liquidation did. `shortfall` is how far the account's equity fell below zero once closed
    (bad debt), covered by `fund_paid`, `socialised`, `venue_paid`, or left `outstanding` by a freeze."""

    time: datetime
    account: str
    qty: int
    mark: int
    equity: int
    market_lots: int = 0
    adl_lots: int = 0
    adl_price: int | None = None
    adl_notional: int = 0  # units: lots * adl price
    adl_counterparties: list[tuple[str, int]] = field(default_factory=list)
    penalty: int = 0
    shortfall: int = 0
    fund_paid: int = 0
    socialised: int = 0
    venue_paid: int = 0
    outstanding: int = 0
    froze: bool = False
    fund_after: int = 0


@dataclass
class VenueStats:
    liquidations: int = 0
    penalties: int = 0
    bad_debt: int = 0  # total shortfall
    fund_paid: int = 0
    fund_low: int | None = None  # lowest fund balance seen after a liquidation
    fund_exhausted: int = 0  # liquidations after which the fund was empty
    adl_lots: int = 0
    adl_notional: int = 0
    socialised: int = 0
    venue_paid: int = 0
    frozen_at: datetime | None = None
