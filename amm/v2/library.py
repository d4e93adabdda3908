"""UniswapV2Library (v2-periphery): pair math over reserves, with the library's revert strings.

The factory/path look-ups of the original are replaced by explicit reserves: `get_amounts_out` and
`get_amounts_in` take one (reserve_in, reserve_out) per hop of the path. SafeMath (ds-math) overflow checks
are kept: a uint256 overflow raises Revert('ds-math-mul-overflow') etc., as the contract would.
"""

from amm.errors import Revert
from amm.v2.safe_math import add as _add
from amm.v2.safe_math import mul as _mul
from amm.v2.safe_math import sub as _sub


def quote(amount_a: int, reserve_a: int, reserve_b: int) -> int:
    """UniswapV2Library.quote: the equivalent amount of the other asset at the reserves' ratio (no fee)."""
    if amount_a <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_AMOUNT")
    if reserve_a <= 0 or reserve_b <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY")
    return _mul(amount_a, reserve_b) // reserve_a


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountOut: the most the pair pays for amount_in, with the 0.3% fee."""
    if amount_in <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT")
    if reserve_in <= 0 or reserve_out <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY")
    amount_in_with_fee = _mul(amount_in, 997)
    numerator = _mul(amount_in_with_fee, reserve_out)
    denominator = _add(_mul(reserve_in, 1000), amount_in_with_fee)
    return numerator // denominator


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountIn: the least input that buys amount_out (reverts if amount_out >= reserve).

    amount_out == reserve_out divides by zero in the contract (a bare revert, reason '').
    """
    if amount_out <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT")
    if reserve_in <= 0 or reserve_out <= 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY")
    numerator = _mul(_mul(reserve_in, amount_out), 1000)
    denominator = _mul(_sub(reserve_out, amount_out), 997)
    if denominator == 0:
        raise Revert("")
    return _add(numerator // denominator, 1)


def get_amounts_out(amount_in: int, reserves: list[tuple[int, int]]) -> list[int]:
    """UniswapV2Library.getAmountsOut over a path given as (reserve_in, reserve_out) per hop."""
    if len(reserves) < 1:
        raise Revert("UniswapV2Library: INVALID_PATH")
    amounts = [amount_in]
    for reserve_in, reserve_out in reserves:
        amounts.append(get_amount_out(amounts[-1], reserve_in, reserve_out))
    return amounts


def get_amounts_in(amount_out: int, reserves: list[tuple[int, int]]) -> list[int]:
    """UniswapV2Library.getAmountsIn over (reserve_in, reserve_out) per hop, computed backwards."""
    if len(reserves) < 1:
        raise Revert("UniswapV2Library: INVALID_PATH")
    amounts = [amount_out]
    for reserve_in, reserve_out in reversed(reserves):
        amounts.append(get_amount_in(amounts[-1], reserve_in, reserve_out))
    amounts.reverse()
    return amounts
