"""The integer helpers the reactors use (solmate FixedPointMathLib, UniswapX MathExt), with their reverts.

Every function mirrors its Solidity twin: the same rounding, the same early returns, and an `OrderReverts`
where the contract would revert on overflow.
"""

from __future__ import annotations

from solver.intents.uniswapx.errors import OrderReverts

MAX_UINT256 = 2**256 - 1
MAX_INT256 = 2**255 - 1


def mul_div_down(x: int, y: int, denominator: int) -> int:
    """solmate mulDivDown: reverts when x*y overflows 256 bits or the denominator is zero."""
    product = x * y
    if denominator == 0 or product > MAX_UINT256:
        raise OrderReverts("arithmetic overflow in mulDivDown", error="Panic")
    return product // denominator


def mul_div_up(x: int, y: int, denominator: int) -> int:
    """solmate mulDivUp: rounds up; reverts like mulDivDown."""
    product = x * y
    if denominator == 0 or product > MAX_UINT256:
        raise OrderReverts("arithmetic overflow in mulDivUp", error="Panic")
    return -(-product // denominator)


def bound(value: int, low: int, high: int) -> int:
    """MathExt.bound: min(max(value, low), high) — `high` wins when low > high, as in the contract."""
    return min(max(value, low), high)


def bounded_sub(a: int, b: int, low: int, high: int) -> int:
    """MathExt.boundedSub: a - b clamped to [low, high]; saturates (without clamping) on over/underflow."""
    if b < 0:
        if MAX_UINT256 - (-b) < a:
            return high
        result = a - b
    else:
        if a < b:
            return low
        result = a - b
    return bound(result, low, high)


def bounded_add(a: int, b: int, low: int, high: int) -> int:
    """MathExt.boundedAdd: boundedSub(a, -b, ...)."""
    if b == -(2**255):
        raise OrderReverts("arithmetic overflow in boundedAdd", error="Panic")
    return bounded_sub(a, -b, low, high)


def signed_delta(a: int, b: int) -> int:
    """MathExt.sub(uint256, uint256) -> int256: a - b, reverting (SafeCast) beyond int256."""
    delta = a - b
    if not -MAX_INT256 <= delta <= MAX_INT256:
        raise OrderReverts("int256 overflow in MathExt.sub", error="SafeCastOverflowedUintToInt")
    return delta
