"""`concentratedLiquidity`: a Uniswap v3-like pool, quoted with our exact `amm.v3.Pool` (proven against the
v3-core bytecode) built from what the auction gives: sqrtPrice, tick, in-range liquidity and liquidityNet per
initialised tick.

The reference solver quotes these pools with QuoterV2 eth_calls; the same swap loop in memory gives the same
amounts without a node. Two things the auction does not carry are reconstructed:
- tick spacing: from the fee tier (Uniswap's 100/500/3000/10000 and the 2500 tier of its forks), else the
  largest spacing every given tick is a multiple of; it only decides where swap steps split at bitmap-word
  edges, so a wrong guess moves a result by rounding at most;
- liquidityGross: every listed tick is taken as initialised (so swap steps stop there, as on chain), even a
  tick whose net is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import gcd
from typing import Any

from amm.errors import Revert
from amm.v3.pool import Pool
from amm.v3.tick import TickInfo
from amm.v3.tick_math import MAX_TICK, MIN_TICK
from solver.intents.cow.liquidity.base import (
    InfeasibleSwap,
    Liquidity,
    MalformedLiquidity,
    check_amount,
    field,
    parse_address,
    parse_common,
    parse_decimal,
    parse_int_string,
    parse_object,
    parse_u256,
)

FEE_TICK_SPACING = {100: 1, 500: 10, 2500: 50, 3000: 60, 10000: 200}


def infer_tick_spacing(fee_pips: int, ticks: Iterable[int]) -> int:
    """The fee tier's standard spacing, else the gcd of the initialised ticks (1 without any)."""
    if fee_pips in FEE_TICK_SPACING:
        return FEE_TICK_SPACING[fee_pips]
    spacing = 0
    for tick in ticks:
        spacing = gcd(spacing, tick)
    return min(max(spacing, 1), 16383)


class ConcentratedLiquidityPool(Liquidity):
    """A v3 pool in memory; `tokens` is (token0, token1), sorted by address as the factory orders them."""

    kind = "concentratedLiquidity"

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        tokens: tuple[str, str],
        sqrt_price_x96: int,
        liquidity: int,
        tick: int,
        liquidity_net: Mapping[int, int],
        fee_pips: int,
        router: str,
        *,
        tick_spacing: int | None = None,
    ) -> None:
        super().__init__(id, address, gas_estimate)
        where = f"concentratedLiquidity {id}"
        token0, token1 = sorted((t.lower() for t in tokens), key=lambda t: int(t, 16))
        if token0 == token1:
            raise MalformedLiquidity(f"{where}: tokens must be two different tokens")
        if not 0 <= fee_pips < 1_000_000:
            raise MalformedLiquidity(f"{where}: fee must be below 1, got {fee_pips} pips")
        self._tokens = (token0, token1)
        self.router = router
        self.fee_pips = fee_pips
        self.tick_spacing = (
            infer_tick_spacing(fee_pips, liquidity_net) if tick_spacing is None else tick_spacing
        )
        outside = [t for t in liquidity_net if not MIN_TICK <= t <= MAX_TICK]
        if outside:
            raise MalformedLiquidity(
                f"{where}.liquidityNet: tick {outside[0]} is outside [{MIN_TICK}, {MAX_TICK}]"
            )
        ticks = {
            t: TickInfo(liquidity_gross=max(abs(net), 1), liquidity_net=net)
            for t, net in liquidity_net.items()
        }
        try:
            self.pool = Pool.from_state(
                fee_pips,
                self.tick_spacing,
                sqrt_price_x96=sqrt_price_x96,
                tick=tick,
                liquidity=liquidity,
                ticks=ticks,
                address=address,
                token0=token0,
                token1=token1,
            )
        except (
            ValueError
        ) as exc:  # price outside the tick-math range, tick not matching it, off-spacing ticks
            raise MalformedLiquidity(f"{where}: {exc}") from None

    @classmethod
    def from_json(
        cls, entry: Mapping[str, Any], *, tick_spacing: int | None = None
    ) -> ConcentratedLiquidityPool:
        """Parse one `{"kind": "concentratedLiquidity", ...}` entry of the auction."""
        id_, address, gas = parse_common(entry, "concentratedLiquidity")
        where = f"concentratedLiquidity {id_}"
        tokens = field(entry, "tokens", where)
        if not isinstance(tokens, list) or len(tokens) != 2:
            raise MalformedLiquidity(f"{where}.tokens: expected an array of 2 addresses")
        pair = (
            parse_address(tokens[0], f"{where}.tokens[0]"),
            parse_address(tokens[1], f"{where}.tokens[1]"),
        )
        sqrt_price = parse_u256(field(entry, "sqrtPrice", where), f"{where}.sqrtPrice")
        liquidity = parse_int_string(
            field(entry, "liquidity", where), f"{where}.liquidity", 128, signed=False
        )
        tick = field(entry, "tick", where)
        if isinstance(tick, bool) or not isinstance(tick, int) or not -(1 << 31) <= tick < 1 << 31:
            raise MalformedLiquidity(f"{where}.tick: expected an i32 number, got {tick!r:.60}")
        nets: dict[int, int] = {}
        for key, value in parse_object(field(entry, "liquidityNet", where), f"{where}.liquidityNet").items():
            at = f"{where}.liquidityNet[{key}]"
            nets[parse_int_string(key, f"{at} key", 32, signed=True)] = parse_int_string(
                value, at, 128, signed=True
            )
        fee = parse_decimal(field(entry, "fee", where), f"{where}.fee")
        router = parse_address(field(entry, "router", where), f"{where}.router")
        fee_pips = int(fee * 1_000_000)  # hundredths of a basis point, truncated as the crate converts it
        return cls(
            id_,
            address,
            gas,
            pair,
            sqrt_price,
            liquidity,
            tick,
            nets,
            fee_pips,
            router,
            tick_spacing=tick_spacing,
        )

    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    def _zero_for_one(self, token_in: str, token_out: str) -> bool:
        return self._pair(token_in, token_out)[0] == self._tokens[0]

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """UniswapV3Pool.swap(+amount_in) without a price limit; raises if the pool cannot take it all."""
        check_amount(amount_in, "amount_in")
        zero_for_one = self._zero_for_one(token_in, token_out)
        if amount_in >= 1 << 255:
            raise InfeasibleSwap(f"{self.kind} {self.id}: amount_in is not an int256")
        try:
            q = self.pool.quote(zero_for_one, amount_in)
        except Revert as exc:
            raise InfeasibleSwap(f"{self.kind} {self.id}: the pool reverts ({exc.reason})") from None
        paid_in, paid_out = (q.amount0, -q.amount1) if zero_for_one else (q.amount1, -q.amount0)
        if paid_in != amount_in:
            raise InfeasibleSwap(f"{self.kind} {self.id}: liquidity runs out after {paid_in} of {amount_in}")
        return paid_out

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """UniswapV3Pool.swap(-amount_out) without a price limit; raises if the pool cannot pay it all."""
        check_amount(amount_out, "amount_out")
        zero_for_one = self._zero_for_one(token_in, token_out)
        if amount_out > 1 << 255:
            raise InfeasibleSwap(f"{self.kind} {self.id}: amount_out is not an int256")
        try:
            q = self.pool.quote(zero_for_one, -amount_out)
        except Revert as exc:
            raise InfeasibleSwap(f"{self.kind} {self.id}: the pool reverts ({exc.reason})") from None
        paid_in, paid_out = (q.amount0, -q.amount1) if zero_for_one else (q.amount1, -q.amount0)
        if paid_out != amount_out:
            raise InfeasibleSwap(
                f"{self.kind} {self.id}: liquidity runs out after {paid_out} of {amount_out}"
            )
        return paid_in
