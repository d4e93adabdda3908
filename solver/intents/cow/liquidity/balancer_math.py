"""Balancer V2's 18-decimal fixed point (FixedPoint.sol) and LogExpMath.pow, in Python integers.

Every rounding is the Solidity one: mulDown/divDown truncate, mulUp/divUp round away from zero, `complement`
saturates at zero, and LogExpMath's signed `/` and `%` truncate towards zero (Python's `//` floors, hence
`_sdiv`/`_smod`). Where the contract reverts (uint256 overflow, division by zero, LogExpMath's bounds) this
raises `BalancerRevert`, an InfeasibleSwap named after the Balancer error.

Two `powUp`s exist: the original FixedPoint (v0 weighted pools) always goes through LogExpMath and adds its
relative error bound; the later one (weighted pools from factory v3 on, "v3Plus") returns exact products for
the exponents 1, 2 and 4.
"""

from __future__ import annotations

from solver.intents.cow.liquidity.base import MAX_U256, InfeasibleSwap

ONE = 10**18
TWO = 2 * ONE
FOUR = 4 * ONE
MAX_POW_RELATIVE_ERROR = 10_000  # 1e-14


class BalancerRevert(InfeasibleSwap):
    """The pool's contract would revert with this Balancer error (e.g. MAX_IN_RATIO, SUB_OVERFLOW)."""


# ----------------------------------------------------------------------------------------- FixedPoint
def add(a: int, b: int) -> int:
    c = a + b
    if c > MAX_U256:
        raise BalancerRevert("ADD_OVERFLOW")
    return c


def sub(a: int, b: int) -> int:
    if b > a:
        raise BalancerRevert("SUB_OVERFLOW")
    return a - b


def mul(a: int, b: int) -> int:
    """Math.mul: a checked uint256 product."""
    c = a * b
    if c > MAX_U256:
        raise BalancerRevert("MUL_OVERFLOW")
    return c


def div_down_raw(a: int, b: int) -> int:
    """Math.divDown: a / b, reverting on zero."""
    if b == 0:
        raise BalancerRevert("ZERO_DIVISION")
    return a // b


def div_up_raw(a: int, b: int) -> int:
    """Math.divUp: 1 + (a - 1) / b, and 0 for a == 0."""
    if b == 0:
        raise BalancerRevert("ZERO_DIVISION")
    return 0 if a == 0 else 1 + (a - 1) // b


def mul_down(a: int, b: int) -> int:
    return mul(a, b) // ONE


def mul_up(a: int, b: int) -> int:
    product = mul(a, b)
    return 0 if product == 0 else (product - 1) // ONE + 1


def div_down(a: int, b: int) -> int:
    if b == 0:
        raise BalancerRevert("ZERO_DIVISION")
    inflated = a * ONE
    if inflated > MAX_U256:
        raise BalancerRevert("DIV_INTERNAL")
    return inflated // b


def div_up(a: int, b: int) -> int:
    if b == 0:
        raise BalancerRevert("ZERO_DIVISION")
    if a == 0:
        return 0
    inflated = a * ONE
    if inflated > MAX_U256:
        raise BalancerRevert("DIV_INTERNAL")
    return (inflated - 1) // b + 1


def complement(x: int) -> int:
    """1 - x, or 0 when x >= 1 (rounding up can push a power past one)."""
    return ONE - x if x < ONE else 0


def pow_up(x: int, y: int) -> int:
    """The original FixedPoint.powUp: LogExpMath.pow plus its maximum relative error, plus one."""
    raw = log_exp_pow(x, y)
    return add(raw, add(mul_up(raw, MAX_POW_RELATIVE_ERROR), 1))


def pow_up_v3(x: int, y: int) -> int:
    """The later FixedPoint.powUp: exact for y = 1, 2, 4, else as `pow_up`."""
    if y == ONE:
        return x
    if y == TWO:
        return mul_up(x, x)
    if y == FOUR:
        square = mul_up(x, x)
        return mul_up(square, square)
    return pow_up(x, y)


# ----------------------------------------------------------------------------------------- LogExpMath
ONE_18 = 10**18
ONE_20 = 10**20
ONE_36 = 10**36
MAX_NATURAL_EXPONENT = 130 * ONE_18
MIN_NATURAL_EXPONENT = -41 * ONE_18
LN_36_LOWER_BOUND = ONE_18 - 10**17
LN_36_UPPER_BOUND = ONE_18 + 10**17
MILD_EXPONENT_BOUND = (1 << 254) // ONE_20

# x_n = 2^(7-n) and a_n = e^(x_n): x0, x1 in 18 decimals (a0 without decimals, a1 in 18), x2..x11 in 20.
X0 = 128_000_000_000_000_000_000
A0 = 38_877_084_059_945_950_922_200_000_000_000_000_000_000_000_000_000_000_000
X1 = 64_000_000_000_000_000_000
A1 = 6_235_149_080_811_616_882_910_000_000
X_20 = (
    3_200_000_000_000_000_000_000,
    1_600_000_000_000_000_000_000,
    800_000_000_000_000_000_000,
    400_000_000_000_000_000_000,
    200_000_000_000_000_000_000,
    100_000_000_000_000_000_000,
    50_000_000_000_000_000_000,
    25_000_000_000_000_000_000,
    12_500_000_000_000_000_000,
    6_250_000_000_000_000_000,
)
A_20 = (
    7_896_296_018_268_069_516_100_000_000_000_000,
    888_611_052_050_787_263_676_000_000,
    298_095_798_704_172_827_474_000,
    5_459_815_003_314_423_907_810,
    738_905_609_893_065_022_723,
    271_828_182_845_904_523_536,
    164_872_127_070_012_814_685,
    128_402_541_668_774_148_407,
    113_314_845_306_682_631_683,
    106_449_445_891_785_942_956,
)


def _sdiv(a: int, b: int) -> int:
    """Solidity int256 `/`: truncates towards zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _smod(a: int, b: int) -> int:
    """Solidity int256 `%`: the sign of the dividend."""
    return a - _sdiv(a, b) * b


def log_exp_pow(x: int, y: int) -> int:
    """LogExpMath.pow(x, y) = x^y for 18-decimal x and y, via exp(ln(x) * y)."""
    if y == 0:
        return ONE_18
    if x == 0:
        return 0
    if x >> 255:
        raise BalancerRevert("X_OUT_OF_BOUNDS")
    if y >= MILD_EXPONENT_BOUND:
        raise BalancerRevert("Y_OUT_OF_BOUNDS")
    if LN_36_LOWER_BOUND < x < LN_36_UPPER_BOUND:
        ln_36_x = _ln_36(x)
        logx_times_y = _sdiv(ln_36_x, ONE_18) * y + _sdiv(_smod(ln_36_x, ONE_18) * y, ONE_18)
    else:
        logx_times_y = _ln(x) * y
    logx_times_y = _sdiv(logx_times_y, ONE_18)
    if not MIN_NATURAL_EXPONENT <= logx_times_y <= MAX_NATURAL_EXPONENT:
        raise BalancerRevert("PRODUCT_OUT_OF_BOUNDS")
    return _exp(logx_times_y)


def _exp(x: int) -> int:
    """LogExpMath.exp: e^x for 18-decimal x in [-41, 130]."""
    if not MIN_NATURAL_EXPONENT <= x <= MAX_NATURAL_EXPONENT:
        raise BalancerRevert("INVALID_EXPONENT")
    if x < 0:
        return _sdiv(ONE_18 * ONE_18, _exp(-x))
    if x >= X0:
        x -= X0
        first_an = A0
    elif x >= X1:
        x -= X1
        first_an = A1
    else:
        first_an = 1
    x *= 100  # to 20 decimals
    product = ONE_20
    for xn, an in zip(X_20[:8], A_20[:8], strict=True):  # x2 .. x9
        if x >= xn:
            x -= xn
            product = _sdiv(product * an, ONE_20)
    series_sum = ONE_20 + x
    term = x
    for i in range(2, 13):
        term = _sdiv(_sdiv(term * x, ONE_20), i)
        series_sum += term
    return _sdiv(_sdiv(product * series_sum, ONE_20) * first_an, 100)


def _ln(a: int) -> int:
    """LogExpMath._ln: natural log of an 18-decimal a, through the a_n table and an atanh series."""
    if a < ONE_18:
        return -_ln(_sdiv(ONE_18 * ONE_18, a))
    total = 0
    if a >= A0 * ONE_18:
        a = _sdiv(a, A0)
        total += X0
    if a >= A1 * ONE_18:
        a = _sdiv(a, A1)
        total += X1
    total *= 100
    a *= 100
    for xn, an in zip(X_20, A_20, strict=True):  # x2 .. x11
        if a >= an:
            a = _sdiv(a * ONE_20, an)
            total += xn
    z = _sdiv((a - ONE_20) * ONE_20, a + ONE_20)
    z_squared = _sdiv(z * z, ONE_20)
    num = z
    series_sum = num
    for i in (3, 5, 7, 9, 11):
        num = _sdiv(num * z_squared, ONE_20)
        series_sum += _sdiv(num, i)
    series_sum *= 2
    return _sdiv(total + series_sum, 100)


def _ln_36(x: int) -> int:
    """LogExpMath._ln_36: ln(x) with 36 decimals, for x close to one."""
    x *= ONE_18
    z = _sdiv((x - ONE_36) * ONE_36, x + ONE_36)
    z_squared = _sdiv(z * z, ONE_36)
    num = z
    series_sum = num
    for i in (3, 5, 7, 9, 11, 13, 15):
        num = _sdiv(num * z_squared, ONE_36)
        series_sum += _sdiv(num, i)
    return series_sum * 2
