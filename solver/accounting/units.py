"""Exact numbers for accounting: on-chain integers and numeraire amounts as Decimal, stored as plain text.

Amounts of tokens are integers up to 2**256 (78 digits) and fair values carry a few dozen digits, so products
and sums of them need well over 100 significant digits. `EXACT` has room for that and traps `Inexact`: any
figure that would have been rounded raises instead of losing a wei silently. Only `to_decimal` rounds, once,
when a fair value arrives as a float or a repeating fraction (to `FAIR_VALUE_DIGITS`).
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, localcontext
from fractions import Fraction

EXACT = Context(prec=400, traps=[Inexact])
FAIR_VALUE_DIGITS = 40

Number = Decimal | int | str | Fraction | float


def to_decimal(value: Number) -> Decimal:
    """A Decimal for `value`: ints, strings and Decimals exactly; floats by their shortest repr; a Fraction
    exactly when it terminates, else rounded to FAIR_VALUE_DIGITS significant digits."""
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        with localcontext(EXACT) as ctx:
            try:
                return Decimal(value.numerator) / Decimal(value.denominator)
            except Inexact:
                ctx.prec = FAIR_VALUE_DIGITS
                ctx.traps[Inexact] = False
                return Decimal(value.numerator) / Decimal(value.denominator)
    raise TypeError(f"not a number: {value!r}")


def to_text(value: Decimal | int) -> str:
    """Plain positional text (never `1E+3`), so a stored amount reads and sorts as people expect."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def whole_tokens(raw: int, decimals: int) -> Decimal:
    """`raw` base units as whole tokens, exactly (a division by a power of ten always terminates)."""
    with localcontext(EXACT):
        return Decimal(raw).scaleb(-decimals)
