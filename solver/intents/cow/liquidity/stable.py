"""`stable`: a Balancer V2 stable pool (StableMath with amplification precision 1000), including composable
stable pools, whose own BPT sits among the tokens and is left out of the math of a regular swap.

The invariant is the Newton iteration of the composable/phantom StableMath._calculateInvariant (rounding
down each step, stopping when two iterates are within 1); the swap's other balance comes from
_getTokenBalanceGivenInvariantAndAllOtherBalances (rounding up). Both iterate over the balances in the Vault's
token order (sorted by address), which decides their rounding. Swaps that involve the BPT (joins/exits
through the swap interface) are not modelled, as in the reference solver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    InfeasibleSwap,
    MalformedLiquidity,
    check_amount,
    field,
    parse_common,
    parse_decimal,
    parse_token_map,
    parse_u256,
)

AMP_PRECISION = 1000


def _converged(current: int, previous: int) -> bool:
    return abs(current - previous) <= 1


def calculate_invariant(amp: int, balances: Sequence[int]) -> int:
    """StableMath._calculateInvariant (composable version): D such that the stable-swap equation holds."""
    total = 0
    for balance in balances:
        total = fp.add(total, balance)
    if total == 0:
        return 0
    n = len(balances)
    invariant = total
    amp_times_total = fp.mul(amp, n)
    for _ in range(255):
        d_p = invariant
        for balance in balances:
            d_p = fp.div_down_raw(fp.mul(d_p, invariant), fp.mul(balance, n))
        previous = invariant
        numerator = fp.mul(
            fp.add(fp.div_down_raw(fp.mul(amp_times_total, total), AMP_PRECISION), fp.mul(d_p, n)), invariant
        )
        denominator = fp.add(
            fp.div_down_raw(fp.mul(fp.sub(amp_times_total, AMP_PRECISION), invariant), AMP_PRECISION),
            fp.mul(n + 1, d_p),
        )
        invariant = fp.div_down_raw(numerator, denominator)
        if _converged(invariant, previous):
            return invariant
    raise fp.BalancerRevert("STABLE_INVARIANT_DIDNT_CONVERGE")


def token_balance_given_invariant(amp: int, balances: Sequence[int], invariant: int, index: int) -> int:
    """StableMath._getTokenBalanceGivenInvariantAndAllOtherBalances: balance `index` for this invariant."""
    n = len(balances)
    amp_times_total = fp.mul(amp, n)
    total = balances[0]
    p_d = fp.mul(balances[0], n)
    for balance in balances[1:]:
        p_d = fp.div_down_raw(fp.mul(fp.mul(p_d, balance), n), invariant)
        total = fp.add(total, balance)
    total -= balances[index]
    inv2 = fp.mul(invariant, invariant)
    c = fp.mul(fp.mul(fp.div_up_raw(inv2, fp.mul(amp_times_total, p_d)), AMP_PRECISION), balances[index])
    b = fp.add(total, fp.mul(fp.div_down_raw(invariant, amp_times_total), AMP_PRECISION))
    token_balance = fp.div_up_raw(fp.add(inv2, c), fp.add(invariant, b))
    for _ in range(255):
        previous = token_balance
        token_balance = fp.div_up_raw(
            fp.add(fp.mul(token_balance, token_balance), c),
            fp.sub(fp.add(fp.mul(token_balance, 2), b), invariant),
        )
        if _converged(token_balance, previous):
            return token_balance
    raise fp.BalancerRevert("STABLE_GET_BALANCE_DIDNT_CONVERGE")


def calc_out_given_in(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, amount_in: int
) -> int:
    """StableMath._calcOutGivenIn on upscaled balances (the output rounds down, minus one wei)."""
    invariant = calculate_invariant(amp, balances)
    moved = list(balances)
    moved[index_in] = fp.add(moved[index_in], amount_in)
    final_out = token_balance_given_invariant(amp, moved, invariant, index_out)
    return fp.sub(fp.sub(balances[index_out], final_out), 1)


def calc_in_given_out(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, amount_out: int
) -> int:
    """StableMath._calcInGivenOut on upscaled balances (the input rounds up, plus one wei)."""
    invariant = calculate_invariant(amp, balances)
    moved = list(balances)
    moved[index_out] = fp.sub(moved[index_out], amount_out)
    final_in = token_balance_given_invariant(amp, moved, invariant, index_in)
    return fp.add(fp.sub(final_in, balances[index_in]), 1)


class StablePool(BalancerPool):
    """Balances and scaling factors per token, amplification (times AMP_PRECISION), swap fee."""

    kind = "stable"

    def __init__(
        self,
        id: str,
        address: str,
        gas_estimate: int,
        balancer_pool_id: str,
        swap_fee: int,
        balances: Mapping[str, int],
        scaling_factors: Mapping[str, int],
        amplification: int,
    ) -> None:
        super().__init__(id, address, gas_estimate, balancer_pool_id, swap_fee, balances, scaling_factors)
        self.amplification = amplification
        self._swappable = tuple(t for t in self.balances if t != self.address)
        if len(self._swappable) < 2:
            raise MalformedLiquidity(
                f"stable {id}: tokens must hold at least 2 tokens besides the pool's BPT"
            )

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> StablePool:
        """Parse one `{"kind": "stable", ...}` entry of the auction."""
        id_, address, gas = parse_common(entry, "stable")
        where = f"stable {id_}"

        def reserve(obj: Mapping[str, Any], at: str) -> tuple[int, int]:
            return parse_u256(field(obj, "balance", at), f"{at}.balance"), parse_scaling_factor(obj, at)

        reserves = parse_token_map(entry, where, reserve)
        amp = parse_decimal(field(entry, "amplificationParameter", where), f"{where}.amplificationParameter")
        return cls(
            id_,
            address,
            gas,
            parse_pool_id(entry, where),
            parse_swap_fee(entry, where),
            {t: r[0] for t, r in reserves.items()},
            {t: r[1] for t, r in reserves.items()},
            amp.numerator * AMP_PRECISION // amp.denominator,
        )

    @property
    def tokens(self) -> tuple[str, ...]:
        """The swappable tokens: a composable pool's BPT (the token at the pool's address) is left out."""
        return self._swappable

    def _upscaled(self, tin: str, tout: str) -> tuple[list[int], int, int]:
        """Upscaled balances without the BPT, in Vault order, and the indices of the two tokens."""
        if self.amplification == 0:
            raise InfeasibleSwap(f"stable {self.id}: zero amplification")
        tokens = self._swappable
        balances = [upscale(self.balances[t], self.scaling_factors[t]) for t in tokens]
        return balances, tokens.index(tin), tokens.index(tout)

    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """ComposableStablePool._onRegularSwap, GIVEN_IN, inside BaseGeneralPool's fee and scaling."""
        check_amount(amount_in, "amount_in")
        tin, tout = self._pair(token_in, token_out)
        balances, i, j = self._upscaled(tin, tout)
        amount = upscale(subtract_swap_fee(amount_in, self.swap_fee), self.scaling_factors[tin])
        out = calc_out_given_in(self.amplification, balances, i, j, amount)
        return downscale_down(out, self.scaling_factors[tout])

    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """ComposableStablePool._onRegularSwap, GIVEN_OUT, inside BaseGeneralPool's fee and scaling."""
        check_amount(amount_out, "amount_out")
        tin, tout = self._pair(token_in, token_out)
        balances, i, j = self._upscaled(tin, tout)
        amount = calc_in_given_out(
            self.amplification, balances, i, j, upscale(amount_out, self.scaling_factors[tout])
        )
        return add_swap_fee(downscale_up(amount, self.scaling_factors[tin]), self.swap_fee)
