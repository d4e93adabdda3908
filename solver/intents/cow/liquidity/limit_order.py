"""`limitOrder`: a foreign (0x v4-style) limit order: the maker sells up to makerAmount for takerAmount,
fillable in part at that fixed rate.

Amounts follow 0x's LibMathV06.getPartialAmountFloor, as the reference solver does: maker tokens out =
floor(taker tokens in * makerAmount / takerAmount), and for a wanted output the reference's input is
floor(out * takerAmount / makerAmount) (which can fall a wei short; `input_covering_output` rounds up).
The taker token fee is paid on top of the input, pro rata and rounded down, as 0x computes it
(`taker_token_fee`); like the reference solver, the quotes leave it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solver.intents.cow.liquidity.base import (
    InfeasibleSwap,
    Liquidity,
    MalformedLiquidity,
    check_amount,
    field,
    parse_address,
    parse_common,
    parse_string,
    parse_u256,
)


class ForeignLimitOrder(Liquidity):
    """Maker/taker tokens and amounts, the taker token fee, and the order hash (None when not sent)."""

    kind = "limitOrder"

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        maker_token: str,
        taker_token: str,
        maker_amount: int,
        taker_amount: int,
        taker_token_fee_amount: int,
        hash: str | None = None,
    ) -> None:
        super().__init__(id, address, gas_estimate)
        if maker_token.lower() == taker_token.lower():
            raise MalformedLiquidity(f"limitOrder {id}: makerToken and takerToken are the same token")
        self.maker_token = maker_token.lower()
        self.taker_token = taker_token.lower()
        self.maker_amount = maker_amount
        self.taker_amount = taker_amount
        self.taker_token_fee_amount = taker_token_fee_amount
        self.hash = hash

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> ForeignLimitOrder:
        """Parse one `{"kind": "limitOrder", ...}` entry of the auction."""
        id_, address, gas = parse_common(entry, "limitOrder")
        where = f"limitOrder {id_}"
        order_hash = None
        if entry.get("hash") is not None:  # in the DTO, not in the YAML
            order_hash = parse_string(entry["hash"], f"{where}.hash")
            digits = order_hash[2:]
            if (
                len(order_hash) != 66
                or order_hash[:2] != "0x"
                or any(c not in "0123456789abcdefABCDEF" for c in digits)
            ):
                raise MalformedLiquidity(f"{where}.hash: not 32 hex bytes: {order_hash!r:.70}")
            order_hash = "0x" + digits.lower()
        return cls(
            id_,
            address,
            gas,
            parse_address(field(entry, "makerToken", where), f"{where}.makerToken"),
            parse_address(field(entry, "takerToken", where), f"{where}.takerToken"),
            parse_u256(field(entry, "makerAmount", where), f"{where}.makerAmount"),
            parse_u256(field(entry, "takerAmount", where), f"{where}.takerAmount"),
            parse_u256(field(entry, "takerTokenFeeAmount", where), f"{where}.takerTokenFeeAmount"),
            order_hash,
        )

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.taker_token, self.maker_token)

    def _check_direction(self, token_in: str, token_out: str) -> None:
        if token_in.lower() != self.taker_token or token_out.lower() != self.maker_token:
            raise InfeasibleSwap(
                f"limitOrder {self.id}: only sells {self.maker_token} for {self.taker_token}"
            )
        if self.maker_amount == 0 or self.taker_amount == 0:
            raise InfeasibleSwap(f"limitOrder {self.id}: empty order")

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """Maker tokens for `amount_in` taker tokens (at most takerAmount), rounded down."""
        check_amount(amount_in, "amount_in")
        self._check_direction(token_in, token_out)
        if amount_in > self.taker_amount:
            raise InfeasibleSwap(f"limitOrder {self.id}: {amount_in} exceeds takerAmount {self.taker_amount}")
        return amount_in * self.maker_amount // self.taker_amount

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """The reference's taker tokens for `amount_out` maker tokens (at most makerAmount), rounded down."""
        check_amount(amount_out, "amount_out")
        self._check_direction(token_in, token_out)
        if amount_out > self.maker_amount:
            raise InfeasibleSwap(
                f"limitOrder {self.id}: {amount_out} exceeds makerAmount {self.maker_amount}"
            )
        return amount_out * self.taker_amount // self.maker_amount

    def input_covering_output(self, token_in: str, token_out: str, amount_out: int) -> int:
        """The least taker amount whose fill pays at least `amount_out`: the exact-out input rounded up."""
        check_amount(amount_out, "amount_out")
        self._check_direction(token_in, token_out)
        amount_in = -(-amount_out * self.taker_amount // self.maker_amount)
        if amount_out > self.maker_amount or amount_in > self.taker_amount:
            raise InfeasibleSwap(
                f"limitOrder {self.id}: {amount_out} exceeds makerAmount {self.maker_amount}"
            )
        return amount_in

    def taker_token_fee(self, amount_in: int) -> int:
        """0x's taker token fee for a fill of `amount_in`: floor(amount_in * fee amount / takerAmount)."""
        if self.taker_amount == 0:
            return 0
        return amount_in * self.taker_token_fee_amount // self.taker_amount
