"""Pool: an in-memory UniswapV3Pool with the contract's state, semantics, reverts and roundings.

Every state-changing method computes everything that can revert first and commits after, so a Revert leaves
the pool exactly as it was. Beside the contract's `ticks` and `tick_bitmap` the pool keeps a sorted index of
the initialised ticks (tick, liquidity_net, sqrt ratio) that the swap loop (`swap_loop`) walks with bisect;
mint/burn keep it in sync. If you edit `ticks` or `tick_bitmap` by hand, call `rebuild_index()`.

The class is assembled from `pool_state.PoolState` (storage, loading, oracle, fee protocol, flash) and
`pool_liquidity.PoolLiquidity` (mint, burn, collect); this module adds swap and the quotes.
"""

from collections.abc import Sequence
from fractions import Fraction

from amm.errors import Revert
from amm.v3 import oracle
from amm.v3.constants import MAX_INT256, MIN_INT256, UINT128_MOD
from amm.v3.pool_liquidity import PoolLiquidity
from amm.v3.quote import SwapQuote
from amm.v3.step_prefix import StepPrefix
from amm.v3.swap_loop import swap_loop
from amm.v3.tick import TickInfo, cross_info
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_tick_at_sqrt_ratio

_MASK128 = UINT128_MOD - 1
_MIN_LIMIT = MIN_SQRT_RATIO + 1
_MAX_LIMIT = MAX_SQRT_RATIO - 1
_new_tuple = tuple.__new__

__all__ = ["PartialFill", "Pool", "SwapQuote"]


class PartialFill(Exception):
    """A quote the price limit (or the pool's liquidity) stopped short; `.quote` holds what it did fill."""

    def __init__(self, message: str, quote: SwapQuote) -> None:
        super().__init__(message)
        self.quote = quote


class Pool(PoolLiquidity):
    """UniswapV3Pool in memory. Methods and attributes carry the contract's names in snake_case.

    Time: mutating calls take `timestamp=None`, meaning `self.timestamp`; an explicit timestamp also advances
    `self.timestamp` when the call succeeds. Owners are any hashable (e.g. an address string); mint credits
    the `owner` position and burn/collect act on it (the contract's msg.sender). Token transfers are assumed
    to be paid in full; `balance0`/`balance1` track what the pool would hold (paid in minus paid out).

    Quotes keep, per direction, the prefix sums of the swap's full steps from the current state
    (`step_prefix.StepPrefix`), built by the second quote on a state (the first runs the loop: a state quoted
    once gains nothing from a prefix) or by `quote_ladder`, and rebuilt when the state or the tick index
    changes. Set `fast_quotes` to False (on the class or one pool) to quote with the step loop alone.
    """

    fast_quotes: bool = True
    eager_prefix: bool = False  # build the prefix on a state's first quote (else on its second)
    _prefix0: StepPrefix | None = None
    _prefix1: StepPrefix | None = None
    _seen0: tuple[int, ...] | None = None  # the state of the last quote that ran the loop, per direction
    _seen1: tuple[int, ...] | None = None

    # --------------------------------------------------------------------------------------------- swaps
    def _check_swap(self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int) -> None:
        if amount_specified == 0:
            raise Revert("AS")
        if not MIN_INT256 <= amount_specified <= MAX_INT256:
            raise ValueError("amount_specified is an int256")
        if not self.unlocked:
            raise Revert("LOK")
        sp = self.sqrt_price_x96
        if zero_for_one:
            if not (MIN_SQRT_RATIO < sqrt_price_limit_x96 < sp):
                raise Revert("SPL")
        elif not (sp < sqrt_price_limit_x96 < MAX_SQRT_RATIO):
            raise Revert("SPL")

    def swap(
        self,
        zero_for_one: bool,
        amount_specified: int,
        sqrt_price_limit_x96: int | None = None,
        *,
        timestamp: int | None = None,
    ) -> tuple[int, int]:
        """UniswapV3Pool.swap: amount_specified > 0 is exact input, < 0 exact output.

        Returns (amount0, amount1) from the pool's side (positive = paid to the pool). A None limit means
        MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1.
        """
        if sqrt_price_limit_x96 is None:
            sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        self._check_swap(zero_for_one, amount_specified, sqrt_price_limit_x96)
        fee_protocol = self.fee_protocol % 16 if zero_for_one else self.fee_protocol >> 4
        tick_start = self.tick
        liquidity_start = self.liquidity
        crossings: list[tuple[int, int]] = []
        amount0, amount1, sqrt_price, tick, liquidity, fee_growth, protocol_fee, _ = swap_loop(
            self._idx_ticks,
            self._idx_nets,
            self._idx_sqrts,
            self.tick_spacing,
            self.fee,
            fee_protocol,
            zero_for_one,
            amount_specified,
            sqrt_price_limit_x96,
            self.sqrt_price_x96,
            tick_start,
            liquidity_start,
            self.fee_growth_global0_x128 if zero_for_one else self.fee_growth_global1_x128,
            crossings,
        )
        if tick is None:
            tick = get_tick_at_sqrt_ratio(sqrt_price)

        # ---- commit (nothing below can revert)
        time = self._time(timestamp)
        if crossings:
            tick_cumulative, spl = oracle.observe_single(
                self.observations,
                time,
                0,
                tick_start,
                self.observation_index,
                liquidity_start,
                self.observation_cardinality,
            )
            ticks = self.ticks
            fg0 = self.fee_growth_global0_x128
            fg1 = self.fee_growth_global1_x128
            for t, fg in crossings:
                info = ticks.get(t)
                if info is None:
                    info = ticks[t] = TickInfo()
                if zero_for_one:
                    cross_info(info, fg, fg1, spl, tick_cumulative, time)
                else:
                    cross_info(info, fg0, fg, spl, tick_cumulative, time)
        if tick != tick_start:
            self.observation_index, self.observation_cardinality = oracle.write(
                self.observations,
                self.observation_index,
                time,
                tick_start,
                liquidity_start,
                self.observation_cardinality,
                self.observation_cardinality_next,
            )
            self.tick = tick
        self.sqrt_price_x96 = sqrt_price
        self.liquidity = liquidity
        if zero_for_one:
            self.fee_growth_global0_x128 = fee_growth
            if protocol_fee > 0:
                self.protocol_fees = (
                    (self.protocol_fees[0] + protocol_fee) & _MASK128,
                    self.protocol_fees[1],
                )
        else:
            self.fee_growth_global1_x128 = fee_growth
            if protocol_fee > 0:
                self.protocol_fees = (
                    self.protocol_fees[0],
                    (self.protocol_fees[1] + protocol_fee) & _MASK128,
                )
        self.balance0 += amount0
        self.balance1 += amount1
        self._prefix0 = self._prefix1 = None  # the quote caches describe the old state
        self._advance(timestamp)
        return amount0, amount1

    def _quote_args(self, zero_for_one: bool, sqrt_price_limit_x96: int | None) -> tuple[int, int]:
        """Validate a quote as `swap` would (Revert 'LOK'/'SPL'): (limit, input token's protocol fee)."""
        if not self.unlocked:
            raise Revert("LOK")
        sp = self.sqrt_price_x96
        if zero_for_one:
            if sqrt_price_limit_x96 is None:
                sqrt_price_limit_x96 = _MIN_LIMIT
            elif not (MIN_SQRT_RATIO < sqrt_price_limit_x96 < sp):
                raise Revert("SPL")
            if sp <= sqrt_price_limit_x96:  # the default limit is valid unless the price sits at it
                raise Revert("SPL")
            return sqrt_price_limit_x96, self.fee_protocol & 15
        if sqrt_price_limit_x96 is None:
            sqrt_price_limit_x96 = _MAX_LIMIT
        elif not (sp < sqrt_price_limit_x96 < MAX_SQRT_RATIO):
            raise Revert("SPL")
        if sp >= sqrt_price_limit_x96:
            raise Revert("SPL")
        return sqrt_price_limit_x96, self.fee_protocol >> 4

    def _step_prefix(self, zero_for_one: bool) -> StepPrefix:
        """This direction's StepPrefix for the current state: the kept one if nothing changed, else a new one.

        "Nothing changed" is checked on every quote, not trusted to the mutators: price, tick, liquidity, fee,
        the index lists' identity and the index version (bumped by every index edit) must all be the same.
        """
        prefix = self._prefix0 if zero_for_one else self._prefix1
        if (
            prefix is None
            or prefix.sqrt_price_x96 != self.sqrt_price_x96
            or prefix.tick != self.tick
            or prefix.liquidity != self.liquidity
            or prefix.version != self._idx_version
            or prefix.index_ticks is not self._idx_ticks
            or prefix.index_nets is not self._idx_nets
            or prefix.index_sqrts is not self._idx_sqrts
            or prefix.fee != self.fee
            or prefix.tick_spacing != self.tick_spacing
        ):
            prefix = StepPrefix(
                zero_for_one,
                self.sqrt_price_x96,
                self.tick,
                self.liquidity,
                self._idx_version,
                self.fee,
                self._idx_ticks,
                self._idx_nets,
                self._idx_sqrts,
                self.tick_spacing,
            )
            if zero_for_one:
                self._prefix0 = prefix
            else:
                self._prefix1 = prefix
        return prefix

    def quote(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> SwapQuote:
        """What `swap` would return and leave behind, without changing the pool (raises the same Revert).

        A None limit means MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1, as QuoterV2 uses. With `fast_quotes`
        (the default) the full steps come from this state's cached prefix sums (`step_prefix`), so a quote
        crossing 100 ticks costs about one step; the result is the step loop's (`_quote_loop`) bit for bit.
        """
        if amount_specified == 0:
            raise Revert("AS")
        if not self.unlocked:
            raise Revert("LOK")
        sp = self.sqrt_price_x96
        if zero_for_one:
            if sqrt_price_limit_x96 is None:
                sqrt_price_limit_x96 = _MIN_LIMIT
            elif not (MIN_SQRT_RATIO < sqrt_price_limit_x96 < sp):
                raise Revert("SPL")
            if sp <= sqrt_price_limit_x96:  # the default limit is valid unless the price sits at it
                raise Revert("SPL")
            fee_protocol = self.fee_protocol & 15
            prefix = self._prefix0
        else:
            if sqrt_price_limit_x96 is None:
                sqrt_price_limit_x96 = _MAX_LIMIT
            elif not (sp < sqrt_price_limit_x96 < MAX_SQRT_RATIO):
                raise Revert("SPL")
            if sp >= sqrt_price_limit_x96:
                raise Revert("SPL")
            fee_protocol = self.fee_protocol >> 4
            prefix = self._prefix1
        if self.fast_quotes:
            if (
                prefix is None
                or prefix.sqrt_price_x96 != sp
                or prefix.tick != self.tick
                or prefix.liquidity != self.liquidity
                or prefix.version != self._idx_version
                or prefix.index_ticks is not self._idx_ticks
                or prefix.index_nets is not self._idx_nets
            ):
                # No prefix for this state yet: building one costs a bit more than one loop walk, so the first
                # quote on a state runs the loop and the second builds it (unless `eager_prefix`).
                seen = (sp, self.tick, self.liquidity, self._idx_version, id(self._idx_ticks))
                if self.eager_prefix or seen == (self._seen0 if zero_for_one else self._seen1):
                    prefix = self._step_prefix(zero_for_one)
                else:
                    prefix = None
                    if zero_for_one:
                        self._seen0 = seen
                    else:
                        self._seen1 = seen
            if prefix is not None:
                return prefix.quote(amount_specified, sqrt_price_limit_x96, fee_protocol)
        return self._loop(zero_for_one, amount_specified, sqrt_price_limit_x96, fee_protocol)

    def _quote_loop(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> SwapQuote:
        """`quote` by the step-by-step loop alone (the reference the fast path is tested against)."""
        if amount_specified == 0:
            raise Revert("AS")
        limit, fee_protocol = self._quote_args(zero_for_one, sqrt_price_limit_x96)
        return self._loop(zero_for_one, amount_specified, limit, fee_protocol)

    def _loop(self, zero_for_one: bool, amount_specified: int, limit: int, fee_protocol: int) -> SwapQuote:
        amount0, amount1, sp, tick, liquidity, _, _, crossed = swap_loop(
            self._idx_ticks,
            self._idx_nets,
            self._idx_sqrts,
            self.tick_spacing,
            self.fee,
            fee_protocol,
            zero_for_one,
            amount_specified,
            limit,
            self.sqrt_price_x96,
            self.tick,
            self.liquidity,
            0,
            None,
        )
        # tick None: the swap ended inside a tick range; SwapQuote.tick computes it from the price on read
        return _new_tuple(SwapQuote, (amount0, amount1, sp, tick, liquidity, crossed))

    def quote_ladder(
        self, zero_for_one: bool, amounts: Sequence[int], sqrt_price_limit_x96: int | None = None
    ) -> list[SwapQuote]:
        """`quote` for each amount (amount_specified: > 0 exact input, < 0 exact output) on this state.

        One validation and one cached prefix for the whole ladder; equal to [quote(...) for each amount].
        """
        if 0 in amounts:
            raise Revert("AS")
        limit, fee_protocol = self._quote_args(zero_for_one, sqrt_price_limit_x96)
        if not self.fast_quotes:
            return [self._loop(zero_for_one, a, limit, fee_protocol) for a in amounts]
        quote = self._step_prefix(zero_for_one).quote
        return [quote(amount, limit, fee_protocol) for amount in amounts]

    def quote_exact_input(
        self,
        zero_for_one: bool,
        amount_in: int,
        sqrt_price_limit_x96: int | None = None,
        *,
        allow_partial: bool = False,
    ) -> SwapQuote:
        """`quote` with amount_specified = +amount_in. A negative amount is refused (it would quote an exact
        output), and so is a quote the price limit stops short (`PartialFill`, carrying that quote) unless
        `allow_partial`: a bot never reads a partial fill as the whole amount."""
        if amount_in <= 0:
            raise ValueError(f"amount_in must be positive, got {amount_in}: quote_exact_output buys")
        result = self.quote(zero_for_one, amount_in, sqrt_price_limit_x96)
        used = result.amount0 if zero_for_one else result.amount1
        if used < amount_in and not allow_partial:
            raise PartialFill(f"the price limit stops the swap after {used} of {amount_in} in", result)
        return result

    def quote_exact_output(
        self,
        zero_for_one: bool,
        amount_out: int,
        sqrt_price_limit_x96: int | None = None,
        *,
        allow_partial: bool = False,
    ) -> SwapQuote:
        """`quote` with amount_specified = -amount_out; refuses a non-positive amount and, unless
        `allow_partial`, a quote that delivers less than `amount_out` (price limit or liquidity)."""
        if amount_out <= 0:
            raise ValueError(f"amount_out must be positive, got {amount_out}")
        result = self.quote(zero_for_one, -amount_out, sqrt_price_limit_x96)
        got = -(result.amount1 if zero_for_one else result.amount0)
        if got < amount_out and not allow_partial:
            raise PartialFill(f"the swap stops after {got} of {amount_out} out", result)
        return result

    def price(self, base: int = 0, *, decimals0: int, decimals1: int) -> Fraction:
        """The price in whole tokens, quote per base: `base=0` gives token1 per token0 (e.g. WETH per USDC in
        the USDC/WETH pool), `base=1` token0 per token1 (USDC per WETH). Exact: sqrt_price_x96 squared, scaled
        by the decimals; `float()` it for display."""
        raw = Fraction(self.sqrt_price_x96**2, 2**192) * Fraction(10**decimals0, 10**decimals1)
        if base not in (0, 1):
            raise ValueError(f"base is token 0 or 1, got {base!r}")
        return raw if base == 0 else 1 / raw
