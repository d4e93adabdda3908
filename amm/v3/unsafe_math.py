"""UnsafeMath: division helpers without overflow checks, as the EVM executes them."""


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp: ceil(x / y); like EVM DIV/MOD, a zero divisor gives 0, not a revert."""
    if y == 0:
        return 0
    return -(-x // y)
