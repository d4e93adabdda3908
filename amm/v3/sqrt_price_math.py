"""SqrtPriceMath: next sqrt price from token deltas and token deltas between two sqrt prices.

Every overflow check of the original (the `product / amount == sqrtPX96` trick, LowGasSafeMath.add,
SafeCast.toUint160, the `require`s) is kept, each raising Revert('') as the contract's bare requires do.
"""

from amm.errors import Revert
from amm.v3.full_math import mul_div, mul_div_rounding_up
from amm.v3.unsafe_math import div_rounding_up

_UINT256_MOD = 1 << 256
_UINT160_MOD = 1 << 160
_MAX_UINT160 = _UINT160_MOD - 1
_Q96 = 1 << 96
_INT256_MIN = -(1 << 255)


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp: L*√P / (L ± amount*√P), rounded up."""
    if amount == 0:
        return sqrt_px96
    numerator1 = liquidity << 96
    product = amount * sqrt_px96
    if add:
        if product < _UINT256_MOD:  # (product = amount * sqrtPX96) / amount == sqrtPX96
            denominator = numerator1 + product
            if denominator < _UINT256_MOD:  # denominator >= numerator1, i.e. no wrap
                return mul_div_rounding_up(numerator1, sqrt_px96, denominator)
        divisor = numerator1 // sqrt_px96 + amount  # LowGasSafeMath.add
        if divisor >= _UINT256_MOD:
            raise Revert("")
        return div_rounding_up(numerator1, divisor) & _MAX_UINT160  # uint160(...) truncation, never lossy
    if not (product < _UINT256_MOD and numerator1 > product):
        raise Revert("")
    result = mul_div_rounding_up(numerator1, sqrt_px96, numerator1 - product)
    if result > _MAX_UINT160:  # SafeCast.toUint160
        raise Revert("")
    return result


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown: √P ± amount/L, rounded down."""
    if add:
        if liquidity == 0:  # Solidity's checked `/` by zero
            raise Revert("")
        quotient = (amount << 96) // liquidity if amount <= _MAX_UINT160 else mul_div(amount, _Q96, liquidity)
        result = sqrt_px96 + quotient  # LowGasSafeMath.add then SafeCast.toUint160
        if result > _MAX_UINT160:
            raise Revert("")
        return result
    quotient = (
        div_rounding_up(amount << 96, liquidity)
        if amount <= _MAX_UINT160
        else mul_div_rounding_up(amount, _Q96, liquidity)
    )
    if not sqrt_px96 > quotient:
        raise Revert("")
    return sqrt_px96 - quotient


def get_next_sqrt_price_from_input(sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromInput: rounds so as not to pass the target price."""
    if sqrt_px96 <= 0 or liquidity <= 0:
        raise Revert("")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromOutput: rounds so as to pass the target price."""
    if sqrt_px96 <= 0 or liquidity <= 0:
        raise Revert("")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """SqrtPriceMath.getAmount0Delta (unsigned): L*(√B-√A)/(√A*√B); reverts '' if √A is 0."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    numerator1 = liquidity << 96
    numerator2 = sqrt_ratio_b_x96 - sqrt_ratio_a_x96
    if sqrt_ratio_a_x96 <= 0:
        raise Revert("")
    if round_up:
        return div_rounding_up(
            mul_div_rounding_up(numerator1, numerator2, sqrt_ratio_b_x96), sqrt_ratio_a_x96
        )
    return mul_div(numerator1, numerator2, sqrt_ratio_b_x96) // sqrt_ratio_a_x96


def get_amount1_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """SqrtPriceMath.getAmount1Delta (unsigned): L*(√B-√A)."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, _Q96)
    return mul_div(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, _Q96)


def _to_int256(y: int) -> int:
    """SafeCast.toInt256: require(y < 2**255)."""
    if y >= 1 << 255:
        raise Revert("")
    return y


def get_amount0_delta_signed(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """SqrtPriceMath.getAmount0Delta (int128 liquidity): up when adding liquidity, down when removing."""
    if liquidity < 0:
        return -_to_int256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, -liquidity, False))
    return _to_int256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True))


def get_amount1_delta_signed(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """SqrtPriceMath.getAmount1Delta (int128 liquidity): up when adding liquidity, down when removing."""
    if liquidity < 0:
        return -_to_int256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, -liquidity, False))
    return _to_int256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True))
