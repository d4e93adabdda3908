"""TickBitmap: one bit per (compressed) tick, 256 ticks per int16-keyed word, as a dict[int, int]."""

from amm.errors import Revert


def position(tick: int) -> tuple[int, int]:
    """TickBitmap.position: (wordPos, bitPos) = (tick >> 8, tick % 256) of a compressed tick."""
    return tick >> 8, tick & 0xFF


def flip_tick(bitmap: dict[int, int], tick: int, tick_spacing: int) -> None:
    """TickBitmap.flipTick: toggle a tick's bit; reverts '' if the tick is not a multiple of tick_spacing.

    Empty words are removed from the dict so that a mapping read of 0 and a missing key agree.
    """
    if _smod(tick, tick_spacing) != 0:
        raise Revert("")
    word_pos, bit_pos = position(_sdiv(tick, tick_spacing))
    word = bitmap.get(word_pos, 0) ^ (1 << bit_pos)
    if word:
        bitmap[word_pos] = word
    else:
        bitmap.pop(word_pos, None)


def next_initialized_tick_within_one_word(
    bitmap: dict[int, int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord -> (next, initialized).

    Searches at most the word of the current (lte) or next (not lte) compressed tick; when the word has no
    initialised tick in that direction it returns the word's edge with initialized=False.
    """
    compressed = _sdiv(tick, tick_spacing)
    if tick < 0 and _smod(tick, tick_spacing) != 0:
        compressed -= 1  # round towards negative infinity
    if lte:
        word_pos, bit_pos = position(compressed)
        mask = (1 << bit_pos) - 1 + (1 << bit_pos)
        masked = bitmap.get(word_pos, 0) & mask
        if masked:
            return (compressed - (bit_pos - (masked.bit_length() - 1))) * tick_spacing, True
        return (compressed - bit_pos) * tick_spacing, False
    word_pos, bit_pos = position(compressed + 1)
    mask = ((1 << 256) - 1) ^ ((1 << bit_pos) - 1)
    masked = bitmap.get(word_pos, 0) & mask
    if masked:
        lsb = (masked & -masked).bit_length() - 1
        return (compressed + 1 + (lsb - bit_pos)) * tick_spacing, True
    return (compressed + 1 + (255 - bit_pos)) * tick_spacing, False


def _sdiv(a: int, b: int) -> int:
    """Solidity signed division: truncates towards zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _smod(a: int, b: int) -> int:
    """Solidity signed modulo: the sign follows the dividend."""
    return a - _sdiv(a, b) * b
