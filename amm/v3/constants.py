"""EVM word sizes and the fixed-point constants of v3-core (FixedPoint96, FixedPoint128).

Solidity 0.7.6 arithmetic is unchecked, so the pool's accumulators wrap; the masks here let the Python model
wrap exactly where the contract does and nowhere else.
"""

Q96 = 1 << 96  # FixedPoint96.Q96
RESOLUTION = 96  # FixedPoint96.RESOLUTION
Q128 = 1 << 128  # FixedPoint128.Q128

MAX_UINT8 = (1 << 8) - 1
MAX_UINT16 = (1 << 16) - 1
MAX_UINT32 = (1 << 32) - 1
MAX_UINT128 = (1 << 128) - 1
MAX_UINT160 = (1 << 160) - 1
MAX_UINT256 = (1 << 256) - 1
MAX_INT128 = (1 << 127) - 1
MIN_INT128 = -(1 << 127)
MAX_INT256 = (1 << 255) - 1
MIN_INT256 = -(1 << 255)

UINT32_MOD = 1 << 32
UINT128_MOD = 1 << 128
UINT160_MOD = 1 << 160
UINT256_MOD = 1 << 256


def wrap_int56(x: int) -> int:
    """Two's-complement wrap of an int56 expression (Oracle/Tick accumulators overflow silently in 0.7.6)."""
    return ((x + (1 << 55)) & ((1 << 56) - 1)) - (1 << 55)
