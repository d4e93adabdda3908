"""LiquidityAmounts (v3-periphery): liquidity from token amounts and token amounts from liquidity."""

from amm.errors import Revert
from amm.v3.constants import MAX_UINT128, Q96
from amm.v3.full_math import mul_div


def _to_uint128(x: int) -> int:
    """LiquidityAmounts.toUint128: require((y = uint128(x)) == x)."""
    if x > MAX_UINT128:
        raise Revert("")
    return x


def get_liquidity_for_amount0(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, amount0: int) -> int:
    """LiquidityAmounts.getLiquidityForAmount0: amount0 * √A*√B / (√B-√A), rounded down."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    intermediate = mul_div(sqrt_ratio_a_x96, sqrt_ratio_b_x96, Q96)
    return _to_uint128(mul_div(amount0, intermediate, sqrt_ratio_b_x96 - sqrt_ratio_a_x96))


def get_liquidity_for_amount1(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, amount1: int) -> int:
    """LiquidityAmounts.getLiquidityForAmount1: amount1 / (√B-√A), rounded down."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    return _to_uint128(mul_div(amount1, Q96, sqrt_ratio_b_x96 - sqrt_ratio_a_x96))


def get_liquidity_for_amounts(
    sqrt_ratio_x96: int, sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, amount0: int, amount1: int
) -> int:
    """LiquidityAmounts.getLiquidityForAmounts: most liquidity both amounts can fund at the price."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if sqrt_ratio_x96 <= sqrt_ratio_a_x96:
        return get_liquidity_for_amount0(sqrt_ratio_a_x96, sqrt_ratio_b_x96, amount0)
    if sqrt_ratio_x96 < sqrt_ratio_b_x96:
        liquidity0 = get_liquidity_for_amount0(sqrt_ratio_x96, sqrt_ratio_b_x96, amount0)
        liquidity1 = get_liquidity_for_amount1(sqrt_ratio_a_x96, sqrt_ratio_x96, amount1)
        return min(liquidity0, liquidity1)
    return get_liquidity_for_amount1(sqrt_ratio_a_x96, sqrt_ratio_b_x96, amount1)


def get_amount0_for_liquidity(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """LiquidityAmounts.getAmount0ForLiquidity: token0 value of liquidity over [A, B], rounded down."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if sqrt_ratio_a_x96 == 0:  # Solidity's checked `/` by zero
        raise Revert("")
    return mul_div(liquidity << 96, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, sqrt_ratio_b_x96) // sqrt_ratio_a_x96


def get_amount1_for_liquidity(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """LiquidityAmounts.getAmount1ForLiquidity: token1 value of liquidity over [A, B], rounded down."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    return mul_div(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)


def get_amounts_for_liquidity(
    sqrt_ratio_x96: int, sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int
) -> tuple[int, int]:
    """LiquidityAmounts.getAmountsForLiquidity: (amount0, amount1) of liquidity at the current price."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    amount0 = amount1 = 0
    if sqrt_ratio_x96 <= sqrt_ratio_a_x96:
        amount0 = get_amount0_for_liquidity(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity)
    elif sqrt_ratio_x96 < sqrt_ratio_b_x96:
        amount0 = get_amount0_for_liquidity(sqrt_ratio_x96, sqrt_ratio_b_x96, liquidity)
        amount1 = get_amount1_for_liquidity(sqrt_ratio_a_x96, sqrt_ratio_x96, liquidity)
    else:
        amount1 = get_amount1_for_liquidity(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity)
    return amount0, amount1
