"""`weightedProduct`: a Balancer V2 weighted pool (N tokens, normalised weights), `version` v0 or v3Plus.

WeightedMath.calcOutGivenIn / calcInGivenOut, identical in both versions except for FixedPoint.powUp: the
v0 pools always use LogExpMath (plus its error bound), v3Plus pools (factory v3 and later) compute the
exponents 1, 2 and 4 as exact products. Both cap a swap at 30% of the balance (MAX_IN_RATIO/MAX_OUT_RATIO).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solver.intents.cow.liquidity import balancer_math as fp
from solver.intents.cow.liquidity.balancer_pool import (
    BalancerPool,
    add_swap_fee,
    downscale_down,
    downscale_up,
    parse_pool_id,
    parse_scaling_factor,
    parse_swap_fee,
    subtract_swap_fee,
    upscale,
)
from solver.intents.cow.liquidity.base import (
    MalformedLiquidity,
    check_amount,
    field,
    parse_common,
    parse_decimal,
    parse_token_map,
    parse_u256,
    to_fixed_point,
)

MAX_IN_RATIO = 3 * 10**17
MAX_OUT_RATIO = 3 * 10**17
VERSIONS = ("v0", "v3Plus")


def calc_out_given_in(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_in: int, *, v3plus: bool
) -> int:
    """WeightedMath._calcOutGivenIn on upscaled 18-decimal amounts (rounds the output down)."""
    if amount_in > fp.mul_down(balance_in, MAX_IN_RATIO):
        raise fp.BalancerRevert("MAX_IN_RATIO")
    base = fp.div_up(balance_in, fp.add(balance_in, amount_in))
    exponent = fp.div_down(weight_in, weight_out)
    power = fp.pow_up_v3(base, exponent) if v3plus else fp.pow_up(base, exponent)
    return fp.mul_down(balance_out, fp.complement(power))


def calc_in_given_out(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_out: int, *, v3plus: bool
) -> int:
    """WeightedMath._calcInGivenOut on upscaled 18-decimal amounts (rounds the input up)."""
    if amount_out > fp.mul_down(balance_out, MAX_OUT_RATIO):
        raise fp.BalancerRevert("MAX_OUT_RATIO")
    base = fp.div_up(balance_out, fp.sub(balance_out, amount_out))
    exponent = fp.div_up(weight_out, weight_in)
    power = fp.pow_up_v3(base, exponent) if v3plus else fp.pow_up(base, exponent)
    return fp.mul_up(balance_in, fp.sub(power, fp.ONE))


class WeightedProductPool(BalancerPool):
    """Balances, scaling factors and weights per token (18-decimal integers), swap fee, version."""

    kind = "weightedProduct"

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        balancer_pool_id: str,
        swap_fee: int,
        balances: Mapping[str, int],
        scaling_factors: Mapping[str, int],
        weights: Mapping[str, int],
        version: str,
    ) -> None:
        super().__init__(id, address, gas_estimate, balancer_pool_id, swap_fee, balances, scaling_factors)
        if version not in VERSIONS:
            raise MalformedLiquidity(
                f"weightedProduct {id}.version: expected v0 or v3Plus, got {version!r:.30}"
            )
        if set(weights) != set(balances) or any(w <= 0 for w in weights.values()):
            raise MalformedLiquidity(f"weightedProduct {id}: every token needs a positive weight")
        self.weights = {t.lower(): w for t, w in weights.items()}
        self.version = version

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> WeightedProductPool:
        """Parse one `{"kind": "weightedProduct", ...}` entry of the auction."""
        id_, address, gas = parse_common(entry, "weightedProduct")
        where = f"weightedProduct {id_}"

        def reserve(obj: Mapping[str, Any], at: str) -> tuple[int, int, int]:
            balance = parse_u256(field(obj, "balance", at), f"{at}.balance")
            weight = to_fixed_point(parse_decimal(field(obj, "weight", at), f"{at}.weight"))
            return balance, parse_scaling_factor(obj, at), weight

        reserves = parse_token_map(entry, where, reserve)
        version = field(entry, "version", where)
        if version not in VERSIONS:
            raise MalformedLiquidity(f"{where}.version: expected v0 or v3Plus, got {version!r:.30}")
        return cls(
            id_,
            address,
            gas,
            parse_pool_id(entry, where),
            parse_swap_fee(entry, where),
            {t: r[0] for t, r in reserves.items()},
            {t: r[1] for t, r in reserves.items()},
            {t: r[2] for t, r in reserves.items()},
            version,
        )

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """BaseMinimalSwapInfoPool.onSwap, GIVEN_IN: fee off the input, math, output downscaled down."""
        check_amount(amount_in, "amount_in")
        tin, tout = self._pair(token_in, token_out)
        sf_in, sf_out = self.scaling_factors[tin], self.scaling_factors[tout]
        amount = upscale(subtract_swap_fee(amount_in, self.swap_fee), sf_in)
        out = calc_out_given_in(
            upscale(self.balances[tin], sf_in),
            self.weights[tin],
            upscale(self.balances[tout], sf_out),
            self.weights[tout],
            amount,
            v3plus=self.version == "v3Plus",
        )
        return downscale_down(out, sf_out)

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """BaseMinimalSwapInfoPool.onSwap, GIVEN_OUT: math, input downscaled up, grossed up for the fee."""
        check_amount(amount_out, "amount_out")
        tin, tout = self._pair(token_in, token_out)
        sf_in, sf_out = self.scaling_factors[tin], self.scaling_factors[tout]
        amount = calc_in_given_out(
            upscale(self.balances[tin], sf_in),
            self.weights[tin],
            upscale(self.balances[tout], sf_out),
            self.weights[tout],
            upscale(amount_out, sf_out),
            v3plus=self.version == "v3Plus",
        )
        return add_swap_fee(downscale_up(amount, sf_in), self.swap_fee)
