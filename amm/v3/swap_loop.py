"""The pool's hot swap loop: UniswapV3Pool.swap's `while` loop over sorted initialised-tick arrays.

The contract finds each step's target with TickBitmap.nextInitializedTickWithinOneWord, which stops at the
next initialised tick *or* at the edge of the current 256-tick bitmap word, whichever comes first. Each stop
splits SwapMath.computeSwapStep and so changes the rounding; this loop therefore stops at exactly the same
places: min/max(next initialised tick, word edge), clamped to MIN_TICK/MAX_TICK. It finds the next initialised
tick by keeping an index into a sorted list (one bisect per swap) instead of scanning bitmap words, and it
inlines computeSwapStep, SqrtPriceMath and FullMath with the same roundings and the same reverts.

Steps through ranges with zero liquidity move the price to their target with zero amounts (that is what
computeSwapStep returns for liquidity 0), and long empty stretches are jumped over to the last word edge the
contract would have stopped at (see `_jump_zero_for_one` / `_jump_one_for_zero`); both give the contract's
state bit for bit, which the tests check against a literal port of the contract's loop.
"""

from bisect import bisect_right

from amm.errors import Revert
from amm.v3.tick_math import MAX_TICK, MIN_TICK, get_tick_at_sqrt_ratio, sqrt_ratio_at_tick_cached

_U256 = 1 << 256
_MASK256 = _U256 - 1
_MAX_U160 = (1 << 160) - 1
_U128 = 1 << 128
_MIN_INT128 = -(1 << 127)


def swap_loop(
    ticks: list[int],
    nets: list[int],
    sqrts: list[int],
    tick_spacing: int,
    fee: int,
    fee_protocol: int,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
    sqrt_price_x96: int,
    tick: int,
    liquidity: int,
    fee_growth_global_x128: int,
    crossings: list[tuple[int, int]] | None,
) -> tuple[int, int, int, int | None, int, int, int, int]:
    """Run the swap loop from the given state; nothing is mutated except `crossings`.

    `ticks`, `nets`, `sqrts` are the sorted initialised ticks with their liquidity_net and sqrt ratios.
    `fee_protocol` is the input token's protocol fee denominator (0 = off). With `crossings` a list, fee
    growth and the protocol fee are tracked and each crossed initialised tick is appended as (tick, fee growth
    of the input token at the crossing); with None (a quote) they are skipped. Skipping cannot hide a revert:
    the contract's FullMath.mulDiv(feeAmount, Q128, liquidity) would need feeAmount >= liquidity * 2**128, but
    a step's input is at most liquidity * 2**96 / MIN_SQRT_RATIO < liquidity * 2**64 and its fee at most 1e6
    times that (the check is still made when tracking).

    Returns (amount0, amount1, sqrt_price_x96, tick, liquidity, fee_growth_global_x128, protocol_fee,
    ticks_crossed); tick is None when the last step ended strictly inside a tick range, in which case it is
    get_tick_at_sqrt_ratio(sqrt_price_x96) (left to the caller, so a quote can skip it).
    """
    exact_in = amount_specified > 0
    rem = amount_specified
    calc = 0
    fee_c = 1_000_000 - fee
    protocol_fee = 0
    crossed = 0
    track = crossings is not None
    fg = fee_growth_global_x128
    L = liquidity
    sp = sqrt_price_x96
    limit = sqrt_price_limit_x96
    tick_out: int | None = tick
    word = tick_spacing << 8
    n = len(ticks)

    if zero_for_one:
        i = bisect_right(ticks, tick) - 1
        word_start = ((tick // tick_spacing) >> 8) * word
        while rem != 0 and sp != limit:
            if L == 0:
                jumped = _jump_zero_for_one(ticks, i, tick, limit, tick_spacing)
                if jumped is not None:
                    sp, tick = jumped
                    tick_out = tick
                    if sp == limit:
                        break
            if tick < word_start:  # moved below the word: the search starts in a lower word
                word_start = ((tick // tick_spacing) >> 8) * word
            if i >= 0 and ticks[i] >= word_start:
                tick_next = ticks[i]
                initialized = True
                sqrt_next = sqrts[i]
            else:
                tick_next = word_start if word_start >= MIN_TICK else MIN_TICK
                initialized = False
                sqrt_next = sqrt_ratio_at_tick_cached(tick_next)
            target = sqrt_next if sqrt_next >= limit else limit
            start = sp
            if L == 0:
                sp = target
            else:
                num1 = L << 96
                diff = sp - target
                if exact_in:
                    rlf = rem * fee_c // 1_000_000
                    # amountIn to target: ceil(ceil(num1 * diff / sp) / target)
                    #   == ceil(num1 * diff / (sp * target))
                    # rlf >= that  <=>  rlf * sp * target >= num1 * diff
                    product = rlf * sp
                    num_diff = num1 * diff
                    if product * target >= num_diff:
                        nxt = target
                        a_in = -(-num_diff // (sp * target))
                        fee_amt = -(-(a_in * fee) // fee_c)
                        rem -= a_in + fee_amt
                        calc -= (L * diff) >> 96
                    else:
                        if rlf == 0:
                            nxt = sp
                        else:
                            denominator = num1 + product
                            if product < _U256 and denominator < _U256:
                                nxt = -(-(num1 * sp) // denominator)
                            else:
                                d = num1 // sp + rlf
                                if d >= _U256:
                                    raise Revert("")
                                nxt = -(-num1 // d)
                        # Here nxt > target (rlf < exact amountIn to target, and nxt rounds the exact price
                        # up), so computeSwapStep takes the rest of the input as fee: amountIn + fee == rem.
                        calc -= (L * (sp - nxt)) >> 96
                        # (a quote needs no fee growth, and fee <= rem < L << 128 cannot overflow mulDiv)
                        fee_amt = rem - (-(-(num1 * (sp - nxt)) // (sp * nxt))) if track else 0
                        rem = 0
                else:
                    r_out = -rem
                    a_out = (L * diff) >> 96
                    if r_out >= a_out:
                        nxt = target
                    else:
                        q = -(-(r_out << 96) // L)  # mulDivRoundingUp overflow implies q >= sp too
                        if sp <= q:
                            raise Revert("")
                        nxt = sp - q
                        diff = q
                        a_out = (L * q) >> 96
                        a_out = min(a_out, r_out)
                    a_in = -(-(num1 * diff) // (sp * nxt))
                    fee_amt = -(-(a_in * fee) // fee_c)
                    rem += a_out
                    calc += a_in + fee_amt
                sp = nxt
                if track:
                    if fee_protocol:
                        delta = fee_amt // fee_protocol
                        fee_amt -= delta
                        protocol_fee += delta
                    g = (fee_amt << 128) // L
                    if g >= _U256:
                        raise Revert("")
                    fg = (fg + g) & _MASK256
            if sp == sqrt_next:
                if initialized:
                    if track:
                        crossings.append((tick_next, fg))  # type: ignore[union-attr]
                    crossed += 1
                    net = nets[i]
                    L = L + net if net == _MIN_INT128 else L - net  # -int128.min wraps in 0.7.6
                    if L < 0:
                        raise Revert("LS")
                    if L >= _U128:
                        raise Revert("LA")
                    i -= 1
                tick = tick_next - 1
                tick_out = tick
            elif sp != start:
                tick_out = None  # the loop ends here: the amount is exhausted or the limit reached
    else:
        j = bisect_right(ticks, tick)
        word_end = (((tick // tick_spacing + 1) >> 8) * 256 + 255) * tick_spacing
        while rem != 0 and sp != limit:
            if L == 0:
                jumped = _jump_one_for_zero(ticks, j, n, tick, limit, tick_spacing)
                if jumped is not None:
                    sp, tick = jumped
                    tick_out = tick
                    if sp == limit:
                        break
            if tick >= word_end:  # at (or past) the word's last tick: the search starts in the next word
                word_end = (((tick // tick_spacing + 1) >> 8) * 256 + 255) * tick_spacing
            if j < n and ticks[j] <= word_end:
                tick_next = ticks[j]
                initialized = True
                sqrt_next = sqrts[j]
            else:
                tick_next = word_end if word_end <= MAX_TICK else MAX_TICK
                initialized = False
                sqrt_next = sqrt_ratio_at_tick_cached(tick_next)
            target = sqrt_next if sqrt_next <= limit else limit
            start = sp
            if L == 0:
                sp = target
            else:
                num1 = L << 96
                diff = target - sp
                if exact_in:
                    rlf = rem * fee_c // 1_000_000
                    # amountIn to target = ceil(L * diff / 2**96); rlf >= that  <=>  rlf << 96 >= L * diff
                    l_diff = L * diff
                    if (rlf << 96) >= l_diff:
                        nxt = target
                        a_in = -(-l_diff >> 96)
                        fee_amt = -(-(a_in * fee) // fee_c)
                    else:
                        if rlf > _MAX_U160:
                            q = rlf * (1 << 96) // L
                            if q >= _U256:
                                raise Revert("")
                        else:
                            q = (rlf << 96) // L
                        nxt = sp + q
                        if nxt > _MAX_U160:
                            raise Revert("")
                        diff = q
                        # nxt < target (floor(rlf * 2**96 / L) < target - sp), so amountIn + fee == rem
                        fee_amt = rem + (-(L * q) >> 96) if track else 0
                        a_in = rem - fee_amt
                    # amountOut = floor(floor(num1 * diff / nxt) / sp) = floor(num1 * diff / (nxt * sp))
                    rem -= a_in + fee_amt
                    calc -= num1 * diff // (nxt * sp)
                else:
                    r_out = -rem
                    n0 = num1 * diff
                    d0 = target * sp
                    # r_out >= floor(n0 / d0)  <=>  (r_out + 1) * d0 > n0
                    if (r_out + 1) * d0 > n0:
                        nxt = target
                        a_out = n0 // d0
                    else:
                        product = r_out * sp
                        if product >= _U256 or num1 <= product:
                            raise Revert("")
                        nxt = -(-(num1 * sp) // (num1 - product))
                        if nxt > _MAX_U160:
                            raise Revert("")
                        diff = nxt - sp
                        a_out = num1 * diff // (nxt * sp)
                        a_out = min(a_out, r_out)
                    a_in = -(-(L * diff) >> 96)
                    fee_amt = -(-(a_in * fee) // fee_c)
                    rem += a_out
                    calc += a_in + fee_amt
                sp = nxt
                if track:
                    if fee_protocol:
                        delta = fee_amt // fee_protocol
                        fee_amt -= delta
                        protocol_fee += delta
                    g = (fee_amt << 128) // L
                    if g >= _U256:
                        raise Revert("")
                    fg = (fg + g) & _MASK256
            if sp == sqrt_next:
                if initialized:
                    if track:
                        crossings.append((tick_next, fg))  # type: ignore[union-attr]
                    crossed += 1
                    L += nets[j]
                    if L < 0:
                        raise Revert("LS")
                    if L >= _U128:
                        raise Revert("LA")
                    j += 1
                tick = tick_next
                tick_out = tick
            elif sp != start:
                tick_out = None

    if zero_for_one == exact_in:
        amount0, amount1 = amount_specified - rem, calc
    else:
        amount0, amount1 = calc, amount_specified - rem
    return amount0, amount1, sp, tick_out, L, fg, protocol_fee, crossed


def _jump_zero_for_one(
    ticks: list[int], i: int, tick: int, limit: int, tick_spacing: int
) -> tuple[int, int] | None:
    """With zero liquidity, skip to the lowest word start the contract would stop at before the next event.

    Going down with no initialised tick in the current word, the contract stops at each word's first tick w
    (price sqrt(w), tick w - 1) until it reaches the word holding the next initialised tick or a word start
    priced below the limit. Every such stop has zero amounts, so landing on the last of them directly gives
    the same state. Returns (sqrt price, tick) after the jump, or None when there is nothing to skip.
    """
    word = tick_spacing << 8
    current_word = (tick // tick_spacing) >> 8
    # the word just above the next initialised tick's word is the last the contract crosses empty-handed
    lowest = ((ticks[i] // tick_spacing) >> 8) + 1 if i >= 0 else None
    if lowest is not None and lowest >= current_word:
        return None  # at most the ordinary next step: let the loop take it
    # lowest word k whose start k*word still has sqrt >= limit, i.e. k*word >= the ceil-tick of the limit
    tick_limit = get_tick_at_sqrt_ratio(limit)
    if sqrt_ratio_at_tick_cached(tick_limit) != limit:
        tick_limit += 1
    k_limit = -(-tick_limit // word)
    if lowest is None or k_limit > lowest:
        lowest = k_limit
    if lowest >= current_word:
        return None
    w = lowest * word
    return sqrt_ratio_at_tick_cached(w), w - 1


def _jump_one_for_zero(
    ticks: list[int], j: int, n: int, tick: int, limit: int, tick_spacing: int
) -> tuple[int, int] | None:
    """With zero liquidity, skip to the highest word end the contract would stop at before the next event.

    Going up, the contract stops at each word's last tick e = (256k + 255) * spacing (price sqrt(e), tick e)
    until the word of the next initialised tick or a word end priced above the limit.
    """
    current_word = (tick // tick_spacing + 1) >> 8
    highest = ((ticks[j] // tick_spacing) >> 8) - 1 if j < n else None
    if highest is not None and highest <= current_word:
        return None
    tick_limit = get_tick_at_sqrt_ratio(limit)  # greatest tick with sqrt <= limit
    k_limit = ((tick_limit // tick_spacing) - 255) >> 8
    if highest is None or k_limit < highest:
        highest = k_limit
    if highest <= current_word:
        return None
    e = (highest * 256 + 255) * tick_spacing
    return sqrt_ratio_at_tick_cached(e), e
