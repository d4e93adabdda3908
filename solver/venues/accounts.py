"""Accounts and margin: collateral, a signed position, its cost, and equity marked at the mark price.

An account's money is `collateral - cost + qty * mark`: `collateral` holds deposits and everything realised
(PnL on reduced positions, funding, fees, penalties), `cost` is the entry cost of the open position
(`qty * average entry`, in units). Unrealised PnL is `qty * mark - cost`, always at the **mark** (never the
entry or the last trade), so a thin trade cannot liquidate anyone. Because every fill moves `lots * price`
between two accounts and positions always sum to zero over the venue, the sum of equities is independent of
the mark: that is what makes `PerpVenue.total_money()` an exact invariant.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from solver.venues.units import as_fraction, sign

Role = Literal["trader", "maker", "vault"]


@dataclass(frozen=True)
class MarginConfig:
    """Margin rates as fractions of notional at the mark.

    initial: needed to open or increase a position (1/initial is the maximum leverage);
    maintenance: below-or-at this equity the account is liquidated; penalty: charged on liquidation (from
    what equity is left) and paid to the insurance fund.
    """

    initial: Fraction = Fraction(1, 10)
    maintenance: Fraction = Fraction(1, 20)
    penalty: Fraction = Fraction(1, 100)

    def __post_init__(self) -> None:
        for name in ("initial", "maintenance", "penalty"):
            object.__setattr__(self, name, as_fraction(getattr(self, name)))
        if not 0 < self.maintenance <= self.initial <= 1:
            raise ValueError("need 0 < maintenance <= initial <= 1")
        if self.penalty < 0:
            raise ValueError("penalty must be >= 0")


@dataclass
class Account:
    """One margin account. `role` decides who the margin engine watches: only traders are liquidated;
    makers (an order book's market makers) and a vault are liquidity, capitalised outside this venue's rules.
    """

    id: str
    role: Role = "trader"
    collateral: int = 0
    qty: int = 0
    cost: int = 0
    realised: int = 0
    funding: int = 0  # net funding received (negative: paid)
    fees: int = 0
    deleveraged: int = 0  # lots taken away by auto-deleveraging
    haircut: int = 0  # units lost to socialised losses

    def upnl(self, mark: int) -> int:
        return self.qty * mark - self.cost

    def equity(self, mark: int) -> int:
        return self.collateral + self.upnl(mark)

    def notional(self, mark: int) -> int:
        return abs(self.qty) * mark

    def entry_price(self) -> Fraction | None:
        return Fraction(self.cost, self.qty) if self.qty else None

    def apply_fill(self, dq: int, price: int) -> int:
        """Buy `dq` lots (sell if negative) at `price` ticks; return the PnL realised on the reduced part.

        The cash of the fill is exactly `-dq * price`; how it splits between realised PnL and the remaining
        cost basis (average cost, rounded half to even) never changes equity.
        """
        realised = 0
        if self.qty and dq and sign(self.qty) != sign(dq):
            s = sign(self.qty)
            n = min(abs(dq), abs(self.qty))
            removed = round(Fraction(self.cost * n, abs(self.qty)))
            realised = s * n * price - removed
            self.collateral += realised
            self.cost -= removed
            self.qty -= s * n
            dq += s * n
            if self.qty == 0:  # fold any rounding left in the basis into realised PnL
                self.collateral -= self.cost
                realised -= self.cost
                self.cost = 0
        if dq:
            self.cost += dq * price
            self.qty += dq
        self.realised += realised
        return realised


def maintenance_margin(account: Account, mark: int, margin: MarginConfig) -> Fraction:
    return margin.maintenance * account.notional(mark)


def initial_margin(account: Account, mark: int, margin: MarginConfig) -> Fraction:
    return margin.initial * account.notional(mark)


def is_liquidatable(account: Account, mark: int, margin: MarginConfig) -> bool:
    """A trader with a position whose equity at the mark is at or below maintenance margin.

    At the line counts (equity == maintenance is liquidated): a venue cannot wait for the next tick, which
    may come after a gap.
    """
    return (
        account.role == "trader"
        and account.qty != 0
        and account.equity(mark) <= maintenance_margin(account, mark, margin)
    )
