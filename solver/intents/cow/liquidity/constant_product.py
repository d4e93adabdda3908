"""`constantProduct` liquidity: a Uniswap v2-like pair whose fee the auction states (0.3% on mainnet v2,
0.25% on Honeyswap/Sushi forks, ...).

The math is UniswapV2Library's getAmountOut/getAmountIn with the fee as an exact ratio, as the reference
solver generalises it; with fee 0.003 it is bit-for-bit `amm.v2.library` (tests prove it).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from solver.intents.cow.liquidity.base import (
    InfeasibleSwap,
    Liquidity,
    MalformedLiquidity,
    check_amount,
    field,
    parse_address,
    parse_common,
    parse_decimal,
    parse_token_map,
    parse_u256,
)

MAX_RESERVE = (1 << 112) - 1  # UniswapV2Pair keeps reserves in uint112 and reverts 'OVERFLOW' past it


class ConstantProductPool(Liquidity):
    """Two reserves and a fee; `tokens` sorted by address (token0, token1) as the pair orders them."""

    kind = "constantProduct"

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        reserves: Mapping[str, int],
        fee: Fraction,
        router: str,
    ) -> None:
        super().__init__(id, address, gas_estimate)
        if len(reserves) != 2:
            raise MalformedLiquidity(f"constantProduct {id}: tokens must hold exactly 2 tokens")
        if not 0 <= fee < 1:
            raise MalformedLiquidity(f"constantProduct {id}: fee must be in [0, 1), got {fee}")
        for token, balance in reserves.items():
            if not 0 <= balance <= MAX_RESERVE:
                raise MalformedLiquidity(f"constantProduct {id}: tokens[{token}].balance exceeds uint112")
        self.reserves = {token.lower(): balance for token, balance in reserves.items()}
        self._tokens = tuple(sorted(self.reserves, key=lambda t: int(t, 16)))
        self.fee = fee
        self.router = router

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> ConstantProductPool:
        """Parse one `{"kind": "constantProduct", ...}` entry of the auction."""
        id_, address, gas = parse_common(entry, "constantProduct")
        where = f"constantProduct {id_}"

        def reserve(obj: Mapping[str, Any], at: str) -> int:
            return parse_u256(field(obj, "balance", at), f"{at}.balance")

        reserves = parse_token_map(entry, where, reserve)
        fee = parse_decimal(field(entry, "fee", where), f"{where}.fee")
        router = parse_address(field(entry, "router", where), f"{where}.router")
        return cls(id_, address, gas, reserves, fee, router)

    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    def _reserves(self, token_in: str, token_out: str) -> tuple[int, int]:
        tin, tout = self._pair(token_in, token_out)
        reserve_in, reserve_out = self.reserves[tin], self.reserves[tout]
        if reserve_in == 0 or reserve_out == 0:
            raise InfeasibleSwap(f"constantProduct {self.id}: empty reserve")
        return reserve_in, reserve_out

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """getAmountOut with the pool's fee; raises when the pair would revert (zero output, uint112)."""
        check_amount(amount_in, "amount_in")
        reserve_in, reserve_out = self._reserves(token_in, token_out)
        keep = (1 - self.fee).numerator  # fee as n/d: the input counts for (d - n)/d
        denom = self.fee.denominator
        amount_in_with_fee = amount_in * keep
        amount_out = amount_in_with_fee * reserve_out // (reserve_in * denom + amount_in_with_fee)
        if amount_out == 0:
            raise InfeasibleSwap(f"constantProduct {self.id}: {amount_in} buys nothing")
        if reserve_in + amount_in > MAX_RESERVE:
            raise InfeasibleSwap(f"constantProduct {self.id}: reserve would exceed uint112")
        return amount_out

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """getAmountIn with the pool's fee: floor(r_in * out * d / ((r_out - out) * (d - n))) + 1."""
        check_amount(amount_out, "amount_out")
        reserve_in, reserve_out = self._reserves(token_in, token_out)
        if amount_out >= reserve_out:
            raise InfeasibleSwap(f"constantProduct {self.id}: {amount_out} is not below the reserve")
        keep = (1 - self.fee).numerator  # > 0: the fee is below 1
        numerator = reserve_in * amount_out * self.fee.denominator
        amount_in = numerator // ((reserve_out - amount_out) * keep) + 1
        if reserve_in + amount_in > MAX_RESERVE:
            raise InfeasibleSwap(f"constantProduct {self.id}: reserve would exceed uint112")
        return amount_in
