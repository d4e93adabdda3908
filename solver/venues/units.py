"""Exact money for the perp venue: integer ticks, lots and money units.

Why integers and not floats or open-ended `Fraction`s: the venue promises that every dollar is accounted, so
`total_money()` must equal the net deposits *exactly* after any sequence of steps. Prices are integer
**ticks** (`tick_size` dollars), quantities integer **lots** (`lot_size` of the underlying) and money integer
**units** of `tick_size * lot_size` dollars, so a fill's cash `lots * ticks` is an exact integer and every
movement of money is an integer transfer between two balances. Rates (margin, funding, penalties) are
`Fraction`s; where a rate makes a non-integer amount, the code rounds it once and names who keeps the
rounding (the payer pays the ceiling, the receiver gets the floor, the venue keeps the dust).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Number = int | str | Decimal | Fraction


def as_fraction(x: Number | float) -> Fraction:
    """A rate or price from a config value; floats go through their shortest decimal repr (0.1 -> 1/10)."""
    if isinstance(x, float):
        return Fraction(Decimal(repr(x)))
    return Fraction(x)


def sign(x: int | Fraction) -> int:
    return (x > 0) - (x < 0)


def median3(a: Fraction, b: Fraction, c: Fraction) -> Fraction:
    return sorted((a, b, c))[1]


def quantize(x: Fraction, denominator: int) -> Fraction:
    """Round to a multiple of 1/denominator (half to even) so running averages keep small denominators."""
    return Fraction(round(x * denominator), denominator)


@dataclass(frozen=True)
class ContractSpec:
    """Tick and lot of one perp contract; converts between dollars/units of the underlying and integers."""

    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal("0.001")
    symbol: str = "PERP"

    @property
    def unit(self) -> Decimal:
        """Dollars in one money unit (one lot moving one tick)."""
        return self.tick_size * self.lot_size

    def ticks(self, price: Number | float) -> int:
        """Price in dollars -> integer ticks (nearest, half to even)."""
        return round(as_fraction(price) / Fraction(self.tick_size))

    def lots(self, qty: Number | float) -> int:
        """Quantity of the underlying -> integer lots (nearest, half to even), signed."""
        return round(as_fraction(qty) / Fraction(self.lot_size))

    def units(self, dollars: Number | float) -> int:
        """Dollars -> money units, rounded down so a deposit never credits more than was paid."""
        return math.floor(as_fraction(dollars) / Fraction(self.unit))

    def dollars(self, units: int | Fraction) -> Decimal:
        """Money units -> dollars (exact for integer units; a Fraction is divided at Decimal precision)."""
        return _decimal(units) * self.unit

    def price(self, ticks: int | Fraction) -> Decimal:
        """Ticks -> dollars per unit of the underlying."""
        return _decimal(ticks) * self.tick_size


def _decimal(x: int | Fraction) -> Decimal:
    return Decimal(x) if isinstance(x, int) else Decimal(x.numerator) / Decimal(x.denominator)
