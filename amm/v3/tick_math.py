"""TickMath: sqrt(1.0001**tick) as Q64.96 and its inverse, bit for bit as v3-core computes them.

`get_sqrt_ratio_at_tick` is the contract's magic-constant product; `get_tick_at_sqrt_ratio_exact` is a
faithful port of the contract's log2 algorithm; `get_tick_at_sqrt_ratio` is the fast path used by the pool: a
float estimate that is accepted only when it is provably far from a tick boundary, and otherwise settled by
exact comparison against `get_sqrt_ratio_at_tick`. The two return identical results (see the tests).
"""

from functools import lru_cache
from math import floor, log

from amm.errors import Revert

MIN_TICK = -887272
MAX_TICK = -MIN_TICK
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

_MAX_UINT256 = (1 << 256) - 1
_Q128 = 1 << 128
_MASK32 = (1 << 32) - 1

# (bit of |tick|, Q128.128 value of 1/sqrt(1.0001)**bit), the constants of TickMath.getSqrtRatioAtTick
_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """TickMath.getSqrtRatioAtTick: sqrt(1.0001**tick) * 2**96 rounded up; 'T' if |tick| > MAX_TICK."""
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise Revert("T")
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 0x1 else _Q128
    for bit, factor in _FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = _MAX_UINT256 // ratio
    # Q128.128 -> Q64.96, rounding up so that get_tick_at_sqrt_ratio(result) == tick
    return (ratio >> 32) + (1 if ratio & _MASK32 else 0)


# The hot path asks for the same few thousand ticks (initialised ticks, bitmap word edges) again and again.
sqrt_ratio_at_tick_cached = lru_cache(maxsize=1 << 17)(get_sqrt_ratio_at_tick)


def get_tick_at_sqrt_ratio_exact(sqrt_price_x96: int) -> int:
    """TickMath.getTickAtSqrtRatio, ported step by step (msb, 14 squarings of log2, tickLow/Hi)."""
    if not (MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO):
        raise Revert("R")
    ratio = sqrt_price_x96 << 32

    r = ratio
    msb = 0
    for shift, threshold in (
        (7, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF),
        (6, 0xFFFFFFFFFFFFFFFF),
        (5, 0xFFFFFFFF),
        (4, 0xFFFF),
        (3, 0xFF),
        (2, 0xF),
        (1, 0x3),
    ):
        f = (1 if r > threshold else 0) << shift
        msb |= f
        r >>= f
    msb |= 1 if r > 0x1 else 0

    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)

    log_2 = (msb - 128) << 64  # int256; Python's | on negative ints is two's complement, as in the EVM
    for bit in range(63, 49, -1):
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << bit
        r >>= f

    log_sqrt10001 = log_2 * 255738958999603826347141  # 128.128 number

    tick_low = (log_sqrt10001 - 3402992956809132418596140100660247210) >> 128
    tick_hi = (log_sqrt10001 + 291339464771989622907027621153398088495) >> 128

    if tick_low == tick_hi:
        return tick_low
    return tick_hi if get_sqrt_ratio_at_tick(tick_hi) <= sqrt_price_x96 else tick_low


_LN_Q96 = 96 * log(2.0)
_INV_LN_SQRT_10001 = 2.0 / log(1.0001)
_TICK_OFFSET = _LN_Q96 * _INV_LN_SQRT_10001
# A float estimate x of log_sqrt(1.0001)(p / 2**96) is off by < 1e-9 ticks; the integer sqrt ratios differ
# from the real sqrt(1.0001**t) * 2**96 by < 2.4e-10 relative (ceil to an integer >= 4.29e9), i.e. < 5e-6
# ticks. So when x is at least _MARGIN away from an integer, floor(x) is the contract's tick; else compare
# exactly.
_MARGIN = 1e-3


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """TickMath.getTickAtSqrtRatio (fast path): greatest tick with getSqrtRatioAtTick(tick) <= sqrt_price_x96.

    Reverts 'R' outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO). Identical to `get_tick_at_sqrt_ratio_exact`.
    """
    if not (MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO):
        raise Revert("R")
    x = log(sqrt_price_x96) * _INV_LN_SQRT_10001 - _TICK_OFFSET
    tick = floor(x)
    frac = x - tick
    if _MARGIN < frac < 1.0 - _MARGIN:
        return tick
    # near a boundary: settle it with the contract's own ratios
    if tick > MAX_TICK - 1:
        tick = MAX_TICK - 1
    elif tick < MIN_TICK:
        tick = MIN_TICK
    while sqrt_ratio_at_tick_cached(tick) > sqrt_price_x96:
        tick -= 1
    while tick < MAX_TICK - 1 and sqrt_ratio_at_tick_cached(tick + 1) <= sqrt_price_x96:
        tick += 1
    return tick
