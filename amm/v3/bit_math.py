"""BitMath: most/least significant bit of a uint256 (used by TickBitmap)."""

from amm.errors import Revert


def most_significant_bit(x: int) -> int:
    """BitMath.mostSignificantBit: index of the highest set bit; reverts '' for 0 (require(x > 0))."""
    if x <= 0:
        raise Revert("")
    return x.bit_length() - 1


def least_significant_bit(x: int) -> int:
    """BitMath.leastSignificantBit: index of the lowest set bit; reverts '' for 0 (require(x > 0))."""
    if x <= 0:
        raise Revert("")
    return (x & -x).bit_length() - 1
