"""LiquidityMath: add a signed int128 delta to a uint128 liquidity, reverting on under/overflow."""

from amm.errors import Revert

_UINT128_MOD = 1 << 128


def add_delta(x: int, y: int) -> int:
    """LiquidityMath.addDelta: uint128 x + int128 y; reverts 'LS' on underflow, 'LA' on overflow."""
    if y < 0:
        z = x + y
        if z < 0:
            raise Revert("LS")
        return z
    z = x + y
    if z >= _UINT128_MOD:
        raise Revert("LA")
    return z
