"""What Balancer V2 weighted and stable pools share: scaling factors, the swap fee, the pool id, and the
reference solver's convergence of exact-out inputs.

BasePool / BaseGeneralPool / BaseMinimalSwapInfoPool wrap each pool's math the same way:
- exact in: take the fee off the input (`amount - amount.mulUp(fee)`), upscale it, run the math, downscale
  the output rounding down;
- exact out: upscale the output, run the math, downscale the input rounding up, then gross it up for the fee
  (`amount.divUp(fee.complement())`).
Upscaling is `mulDown(amount, scalingFactor)` with scalingFactor = 10^(18 - decimals) (times the token rate
for rate-providing tokens) as an 18-decimal number, which is what the auction's `scalingFactor` carries as a
decimal ("1", "1000000000000", "1.0234...").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from solver.intents.cow.liquidity import balancer_math as fp
from solver.intents.cow.liquidity.base import (
    InfeasibleSwap,
    Liquidity,
    MalformedLiquidity,
    field,
    parse_decimal,
    parse_string,
    to_fixed_point,
)


def parse_pool_id(entry: Mapping[str, Any], where: str) -> str:
    """`balancerPoolId` (the DTO's camelCase; the YAML's `balancer_pool_id` is accepted too): 32 hex bytes."""
    key = (
        "balancerPoolId"
        if "balancerPoolId" in entry or "balancer_pool_id" not in entry
        else "balancer_pool_id"
    )
    value = parse_string(field(entry, key, where), f"{where}.{key}")
    if (
        len(value) != 66
        or value[:2] not in ("0x", "0X")
        or not all(c in "0123456789abcdefABCDEF" for c in value[2:])
    ):
        raise MalformedLiquidity(f"{where}.{key}: not 32 hex bytes: {value!r:.70}")
    return "0x" + value[2:].lower()


def parse_scaling_factor(reserve: Mapping[str, Any], at: str) -> int:
    """`scalingFactor` as an 18-decimal fixed-point integer; zero is refused, as the crate refuses it."""
    value = to_fixed_point(parse_decimal(field(reserve, "scalingFactor", at), f"{at}.scalingFactor"))
    if value == 0:
        raise MalformedLiquidity(f"{at}.scalingFactor: must be positive")
    return value


def parse_swap_fee(entry: Mapping[str, Any], where: str) -> int:
    """`fee` as an 18-decimal swap fee percentage, below 100%."""
    fee = parse_decimal(field(entry, "fee", where), f"{where}.fee")
    if fee >= 1:
        raise MalformedLiquidity(f"{where}.fee: must be below 1, got {fee}")
    return to_fixed_point(fee)


def upscale(amount: int, scaling_factor: int) -> int:
    """BasePool._upscale: amount.mulDown(scalingFactor)."""
    return fp.mul_down(amount, scaling_factor)


def downscale_down(amount: int, scaling_factor: int) -> int:
    """BasePool._downscaleDown: amount.divDown(scalingFactor)."""
    return fp.div_down(amount, scaling_factor)


def downscale_up(amount: int, scaling_factor: int) -> int:
    """BasePool._downscaleUp: amount.divUp(scalingFactor)."""
    return fp.div_up(amount, scaling_factor)


def subtract_swap_fee(amount: int, swap_fee: int) -> int:
    """BasePool._subtractSwapFeeAmount: the fee is charged on the input, rounded up."""
    return fp.sub(amount, fp.mul_up(amount, swap_fee))


def add_swap_fee(amount: int, swap_fee: int) -> int:
    """BasePool._addSwapFeeAmount: the input that leaves `amount` after the fee, rounded up."""
    return fp.div_up(amount, fp.complement(swap_fee))


def converge_in_amount(amount_in: int, amount_out: int, quote_exact_in: Callable[[int], int]) -> int:
    """The reference solver's fix for Balancer's exact-out math undershooting its exact-in math.

    If selling `amount_in` does not yield `amount_out`, bump the input by the shortfall priced at the trade's
    rate (at least 1 wei), then by ten times that, up to six tries; raise if none covers it.
    """
    out = quote_exact_in(amount_in)
    if out >= amount_out:
        return amount_in
    bump = max(-(-(amount_out - out) * amount_in // max(out, 1)), 1)
    for _ in range(6):
        bumped = amount_in + bump
        if quote_exact_in(bumped) >= amount_out:
            return bumped
        bump *= 10
    raise InfeasibleSwap(f"no input near {amount_in} buys {amount_out}")


class BalancerPool(Liquidity):
    """Common fields of `weightedProduct` and `stable`: the pool id, the swap fee, per-token scaling."""

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        balancer_pool_id: str,
        swap_fee: int,
        balances: Mapping[str, int],
        scaling_factors: Mapping[str, int],
    ) -> None:
        super().__init__(id, address, gas_estimate)
        if not 0 <= swap_fee < fp.ONE:
            raise MalformedLiquidity(f"{self.kind} {id}: fee must be in [0, 1e18), got {swap_fee}")
        if set(balances) != set(scaling_factors) or len(balances) < 2:
            raise MalformedLiquidity(f"{self.kind} {id}: tokens must hold at least 2 tokens")
        if any(sf <= 0 for sf in scaling_factors.values()):
            raise MalformedLiquidity(f"{self.kind} {id}: scalingFactor must be positive")
        self.balancer_pool_id = balancer_pool_id
        self.swap_fee = swap_fee
        # the Vault registers a pool's tokens sorted by address; the stable math's rounding follows that order
        order = sorted(balances, key=lambda t: int(t, 16))
        self.balances = {t.lower(): balances[t] for t in order}
        self.scaling_factors = {t.lower(): scaling_factors[t] for t in order}
        self._tokens = tuple(self.balances)

    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    def input_covering_output(self, token_in: str, token_out: str, amount_out: int) -> int:
        """The reference solver's input for a buy: the exact-out input, bumped until exact-in covers it."""
        amount_in = self.quote_exact_out(token_in, token_out, amount_out)
        return converge_in_amount(
            amount_in, amount_out, lambda amount: self.quote_exact_in(token_in, token_out, amount)
        )
