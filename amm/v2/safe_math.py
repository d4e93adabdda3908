"""SafeMath of v2-core and v2-periphery (ds-math): uint256 arithmetic that reverts on overflow."""

from amm.errors import Revert

UINT256 = 1 << 256


def mul(x: int, y: int) -> int:
    """SafeMath.mul: reverts 'ds-math-mul-overflow'."""
    z = x * y
    if z >= UINT256:
        raise Revert("ds-math-mul-overflow")
    return z


def add(x: int, y: int) -> int:
    """SafeMath.add: reverts 'ds-math-add-overflow'."""
    z = x + y
    if z >= UINT256:
        raise Revert("ds-math-add-overflow")
    return z


def sub(x: int, y: int) -> int:
    """SafeMath.sub: reverts 'ds-math-sub-underflow'."""
    if y > x:
        raise Revert("ds-math-sub-underflow")
    return x - y
