"""Prefix sums of a swap's full steps from one pool state: multi-tick quotes at one-step cost, still exact.

From a given state (price, tick, liquidity, tick index) and direction, the stops the swap loop makes
(initialised ticks and bitmap-word edges, exactly as `swap_loop` walks them) and the amounts of every *full*
step between two stops do not depend on the amount swapped: a step either reaches its target, with the same
amountIn, feeAmount and amountOut whatever the amount, or the swap ends inside it. SwapMath.computeSwapStep
reaches the target iff

- exact input: mulDiv(rem, 1e6 - fee, 1e6) >= amountIn, i.e. rem * (1e6 - fee) >= amountIn * 1e6, i.e.
  rem >= ceil(amountIn * 1e6 / (1e6 - fee)) = amountIn + ceil(amountIn * fee / (1e6 - fee)): exactly what the
  full step consumes (amountIn + feeAmount);
- exact output: rem_out >= amountOut (the step's output to its target).

So with c_k the cumulative consumption up to and including step k (non-decreasing), a swap of R completes
step k iff R >= c_k, and the loop only enters step k while something remains, R > c_{k-1}: the completed
steps are the first min(#{c_k <= R}, 1 + first k with c_k >= R) ones, found by bisection. A price limit caps
them at the stops priced at or beyond it (a stop exactly at the limit is reached and crossed, then the loop
ends). The last, partial step (less than its full consumption left, target not past the limit) is computed
inline with the loop's roundings; an exact output can round onto the step's target, and then the loop takes
that stop, crossing included. Everything else (a limit inside a range, a revert on a crossing or in the
step's math, the ends of the price range) is run by `swap_loop` itself from the state at the last completed
stop. The loop is a function of (price, tick, liquidity, remaining, limit) and the index alone (its
tick-index position and bitmap word are derived from the tick), so the result is the loop's, bit for bit.

A `StepPrefix` is built lazily (one stop at a time, only as far as the quotes asked so far need) and belongs
to exactly one state: the pool keeps one per direction and drops it when the state or the index changes.
"""

from bisect import bisect_left, bisect_right

from amm.v3.quote import SwapQuote
from amm.v3.swap_loop import _jump_one_for_zero, _jump_zero_for_one, swap_loop
from amm.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    sqrt_ratio_at_tick_cached,
)

_U128 = 1 << 128
_U256 = 1 << 256
_MAX_U160 = (1 << 160) - 1
_MIN_INT128 = -(1 << 127)
_MIN_LIMIT = MIN_SQRT_RATIO + 1
_MAX_LIMIT = MAX_SQRT_RATIO - 1
_new_tuple = tuple.__new__


class StepPrefix:
    """The stops of a swap from one pool state in one direction, with cumulative full-step amounts.

    Stop k (k = 0, 1, ...) is where step k ends: `prices[k]`, and `states[k]` the loop's state after it
    (price, tick, liquidity, initialised ticks crossed so far). `cum_in[k]` is the input (amountIn +
    feeAmount) and `cum_out[k]` the output of steps 0..k; `keys[k]` is the price ordered for bisection
    (negated when going down, so both directions ascend). `done` means no stop can be added: the next one is
    unreachable (MIN/MAX_SQRT_RATIO) or crossing it reverts, which `swap_loop` reproduces when a swap gets
    there. Zero-liquidity jumps (see `swap_loop._jump_zero_for_one`) are stops too, with zero amounts.
    """

    __slots__ = (
        "_crossed",
        "_i",
        "_in",
        "_liquidity",
        "_out",
        "_sp",
        "_tick",
        "cum_in",
        "cum_out",
        "done",
        "fee",
        "index_nets",
        "index_sqrts",
        "index_ticks",
        "keys",
        "liquidity",
        "prices",
        "sqrt_price_x96",
        "states",
        "tick",
        "tick_spacing",
        "version",
        "zero_for_one",
    )

    def __init__(
        self,
        zero_for_one: bool,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        version: int,
        fee: int,
        ticks: list[int],
        nets: list[int],
        sqrts: list[int],
        tick_spacing: int,
    ) -> None:
        self.zero_for_one = zero_for_one
        self.sqrt_price_x96 = sqrt_price_x96
        self.tick = tick
        self.liquidity = liquidity
        self.version = version
        self.fee = fee
        self.index_ticks = ticks
        self.index_nets = nets
        self.index_sqrts = sqrts
        self.tick_spacing = tick_spacing
        self.cum_in: list[int] = []
        self.cum_out: list[int] = []
        self.keys: list[int] = []
        self.prices: list[int] = []
        self.states: list[tuple[int, int, int, int]] = []
        self.done = False
        # the walk's state after the last stop
        self._sp = sqrt_price_x96
        self._tick = tick
        self._liquidity = liquidity
        self._i = bisect_right(ticks, tick) - 1 if zero_for_one else bisect_right(ticks, tick)
        self._crossed = 0
        self._in = 0
        self._out = 0

    def _push(self, sp: int, tick: int, liquidity: int) -> None:
        self._sp, self._tick, self._liquidity = sp, tick, liquidity
        self.cum_in.append(self._in)
        self.cum_out.append(self._out)
        self.keys.append(-sp if self.zero_for_one else sp)
        self.prices.append(sp)
        self.states.append((sp, tick, liquidity, self._crossed))

    def extend(self) -> None:
        """Add the next stop: the loop's next full step with the widest limit (or a zero-liquidity jump)."""
        if self.done:
            return
        ticks = self.index_ticks
        spacing = self.tick_spacing
        sp, tick, L, i = self._sp, self._tick, self._liquidity, self._i
        fee = self.fee
        fee_c = 1_000_000 - fee
        if self.zero_for_one:
            if L == 0:
                jumped = _jump_zero_for_one(ticks, i, tick, _MIN_LIMIT, spacing)
                if jumped is not None:  # a stop of its own: the loop would continue from here with no jump
                    self._push(jumped[0], jumped[1], 0)
                    return
            word_start = ((tick // spacing) >> 8) * (spacing << 8)
            if i >= 0 and ticks[i] >= word_start:
                tick_next = ticks[i]
                initialized = True
                target = self.index_sqrts[i]
            else:
                tick_next = word_start if word_start >= MIN_TICK else MIN_TICK
                initialized = False
                target = sqrt_ratio_at_tick_cached(tick_next)
            if target <= MIN_SQRT_RATIO:  # below every valid limit: never reached
                self.done = True
                return
            if L:
                num1 = L << 96
                diff = sp - target
                a_in = -(-(num1 * diff) // (sp * target))
                self._in += a_in - (-(a_in * fee) // fee_c)
                self._out += (L * diff) >> 96
            if initialized:
                net = self.index_nets[i]
                L = L + net if net == _MIN_INT128 else L - net  # -int128.min wraps in 0.7.6
                if L < 0 or L >= _U128:  # Revert LS / LA: left to swap_loop, which raises it
                    self.done = True
                    return
                self._crossed += 1
                self._i = i - 1
            self._push(target, tick_next - 1, L)
        else:
            if L == 0:
                jumped = _jump_one_for_zero(ticks, i, len(ticks), tick, _MAX_LIMIT, spacing)
                if jumped is not None:
                    self._push(jumped[0], jumped[1], 0)
                    return
            word_end = (((tick // spacing + 1) >> 8) * 256 + 255) * spacing
            if i < len(ticks) and ticks[i] <= word_end:
                tick_next = ticks[i]
                initialized = True
                target = self.index_sqrts[i]
            else:
                tick_next = word_end if word_end <= MAX_TICK else MAX_TICK
                initialized = False
                target = sqrt_ratio_at_tick_cached(tick_next)
            if target >= MAX_SQRT_RATIO:  # above every valid limit
                self.done = True
                return
            if L:
                diff = target - sp
                a_in = -(-(L * diff) >> 96)
                self._in += a_in - (-(a_in * fee) // fee_c)
                self._out += (L << 96) * diff // (target * sp)
            if initialized:
                L += self.index_nets[i]
                if L < 0 or L >= _U128:
                    self.done = True
                    return
                self._crossed += 1
                self._i = i + 1
            self._push(target, tick_next, L)

    def quote(self, amount_specified: int, sqrt_price_limit_x96: int, fee_protocol: int) -> SwapQuote:
        """What `Pool.quote` returns for this state and direction; the arguments are already validated."""
        exact_in = amount_specified > 0
        if exact_in:
            remaining = amount_specified
            cum = self.cum_in
        else:
            remaining = -amount_specified
            cum = self.cum_out
        zero_for_one = self.zero_for_one
        lim_key = -sqrt_price_limit_x96 if zero_for_one else sqrt_price_limit_x96
        keys = self.keys
        if not cum or (cum[-1] <= remaining and keys[-1] <= lim_key):
            # the stops known so far are all reached: add more until one is not (or none can be added)
            extend = self.extend
            while not self.done and (not cum or (cum[-1] <= remaining and keys[-1] <= lim_key)):
                extend()
        if not cum or cum[0] > remaining or keys[0] > lim_key:
            m = 0  # the swap ends within the first step (the one-tick case)
        else:
            m = bisect_right(cum, remaining)
            first_exhausting = bisect_left(cum, remaining)  # the loop stops once nothing remains
            if first_exhausting < m:
                m = first_exhausting + 1
            m = min(m, bisect_right(keys, lim_key))  # stops beyond the limit cannot be reached
        if m:
            s = m - 1
            paid_in = self.cum_in[s]
            paid_out = self.cum_out[s]
            left = remaining - cum[s]
            sp, tick, liquidity, crossed = self.states[s]
            if not left or sp == sqrt_price_limit_x96:  # the loop ends on stop s
                if zero_for_one:
                    return _new_tuple(SwapQuote, (paid_in, -paid_out, sp, tick, liquidity, crossed))
                return _new_tuple(SwapQuote, (-paid_out, paid_in, sp, tick, liquidity, crossed))
        else:
            paid_in = paid_out = crossed = 0
            left = remaining
            sp = self.sqrt_price_x96
            tick = self.tick
            liquidity = self.liquidity
        tick_out: int | None = tick
        if m < len(keys) and keys[m] <= lim_key:
            # The swap ends strictly inside step m (it has less than the step's full consumption left and
            # the step's target is not past the limit), with liquidity > 0 since the step consumes something:
            # the loop's last, partial computeSwapStep, inlined with the same roundings. Anything unusual
            # (the overflow branches, the reverts) is left to swap_loop below.
            fee = self.fee
            L = liquidity
            num1 = L << 96
            if exact_in:
                rlf = left * (1_000_000 - fee) // 1_000_000
                a_in = left  # a partial step takes what remains: amountIn + feeAmount == amountRemaining
                if zero_for_one:
                    if rlf == 0:
                        nxt = sp
                    else:
                        product = rlf * sp
                        denominator = num1 + product
                        nxt = -(-(num1 * sp) // denominator) if denominator < _U256 else 0
                    a_out = (L * (sp - nxt)) >> 96
                else:
                    q = (rlf << 96) // L
                    nxt = sp + q
                    a_out = num1 * q // (nxt * sp)
            else:
                fee_c = 1_000_000 - fee
                if zero_for_one:
                    q = -(-(left << 96) // L)
                    nxt = sp - q if q < sp else 0
                    a_out = (L * q) >> 96
                    a_in = -(-(num1 * q) // (sp * nxt)) if nxt else 0
                else:
                    product = left * sp
                    ok = product < _U256 and num1 > product
                    nxt = -(-(num1 * sp) // (num1 - product)) if ok else 0
                    if nxt > _MAX_U160:
                        nxt = 0
                    a_out = num1 * (nxt - sp) // (nxt * sp) if nxt else 0
                    a_in = -(-(L * (nxt - sp)) >> 96)
                a_in -= -(a_in * fee) // fee_c
                if a_out > left:
                    a_out = left
                elif a_out < left:
                    nxt = 0  # cannot happen (the output rounding passes the target): leave it to the loop
            if nxt:
                if nxt == self.prices[m]:
                    # an exact output can round onto the step's target: the loop then takes the stop (and
                    # crosses it if initialised) with nothing left, so the state is stop m's
                    _, tick_out, liquidity, crossed = self.states[m]
                elif nxt != sp:
                    tick_out = None  # inside a tick range: SwapQuote computes getTickAtSqrtRatio on read
                if zero_for_one:
                    return _new_tuple(
                        SwapQuote, (paid_in + a_in, -paid_out - a_out, nxt, tick_out, liquidity, crossed)
                    )
                return _new_tuple(
                    SwapQuote, (-paid_out - a_out, paid_in + a_in, nxt, tick_out, liquidity, crossed)
                )
        amount0, amount1, sp, tick_out, liquidity, _, _, more = swap_loop(
            self.index_ticks,
            self.index_nets,
            self.index_sqrts,
            self.tick_spacing,
            self.fee,
            fee_protocol,
            zero_for_one,
            left if exact_in else -left,
            sqrt_price_limit_x96,
            sp,
            tick,
            liquidity,
            0,
            None,
        )
        if zero_for_one:
            return _new_tuple(
                SwapQuote, (amount0 + paid_in, amount1 - paid_out, sp, tick_out, liquidity, crossed + more)
            )
        return _new_tuple(
            SwapQuote, (amount0 - paid_out, amount1 + paid_in, sp, tick_out, liquidity, crossed + more)
        )
