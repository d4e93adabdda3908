"""FullMath: 512-bit mulDiv without phantom overflow.

Python ints are unbounded, so the 512-bit Chinese-remainder dance of the original collapses to a floor
division; what must be kept are the reverts: denominator == 0 and a result that does not fit in uint256.
"""

from amm.errors import Revert

_UINT256_MOD = 1 << 256


def mul_div(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDiv: floor(a*b/denominator); reverts '' if denominator == 0 or the result >= 2**256."""
    if denominator == 0:
        raise Revert("")
    result = a * b // denominator
    if result >= _UINT256_MOD:
        raise Revert("")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDivRoundingUp: ceil(a*b/denominator); reverts '' where mulDiv does or on the final ++."""
    if denominator == 0:
        raise Revert("")
    result, remainder = divmod(a * b, denominator)
    if result >= _UINT256_MOD:
        raise Revert("")
    if remainder:
        # require(result < type(uint256).max); result++
        if result == _UINT256_MOD - 1:
            raise Revert("")
        result += 1
    return result
