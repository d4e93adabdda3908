"""Plan a just-in-time position for one pending swap: where, how much, and whether it pays.

Pure: the pool model, the swap, our inventory and the prices in; a `JitPlan` out, no chain calls. Candidates
are ranges on the tick grid that hold the active tick and reach 1..n spacings in the swap's direction, plus
ranges just past the active tick that the price will cross; each is sized to the most liquidity the inventory
(and the pool's per-tick cap) allows, and the best range is then tried at smaller sizes. Every candidate's
outcome is exact (`simulate.evaluate`: the pool's swap loop with our position in it, so the fee share and the
protocol fee are the contract's), and the chosen one is replayed call by call on a copy of the model.

Values are in raw units of token1 (exact `Fraction`s): fee income and the principal's change marked at the
reference price (default: the pool's price after the swap with us in it), minus gas for the mint and the
burn+collect, minus a bribe taken as a share of what is left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from amm.chain import addresses as mainnet
from amm.errors import Revert
from amm.v3.constants import MAX_INT128, Q96
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_TICK, MIN_TICK, sqrt_ratio_at_tick_cached
from solver.jit.simulate import Outcome, Swap, SwapLike, evaluate, mint_amounts, price_limit, replay

WIDTHS = (1, 2, 3, 5, 8)
"""Range widths tried, in tick spacings."""
SIZES = (Fraction(3, 4), Fraction(1, 2), Fraction(1, 4), Fraction(1, 8))
"""Fractions of the largest affordable liquidity tried on the best range."""


@dataclass(frozen=True)
class GasModel:
    """Gas units of the bundle's two transactions through `JitExecutor`, fitted on the built-in chain
    (anvil 1.7.1, v3-core 1.0.1): mint 196.5k on initialised ticks for a position new to the pool, 280k with
    two new ticks; burnAll 131k, 160.7k when it clears two ticks it had initialised (refunds included).
    Minting again on a range the executor used before costs ~40k less (its fee-growth slots are no longer
    zero): the model does not know the executor's history and stays on the safe side."""

    mint: int = 197_000  # mint on initialised ticks, a position new to the pool
    per_new_tick: int = 42_000  # each of our ticks the mint initialises
    burn_collect: int = 131_000  # burnAll: burn + collect
    burn_per_new_tick: int = 15_000  # clearing a tick we initialised

    def units(self, new_ticks: int) -> int:
        return self.mint + (self.per_new_tick + self.burn_per_new_tick) * new_ticks + self.burn_collect


@dataclass(frozen=True)
class JitPlan:
    """What to do about one pending swap, with every figure it was decided on."""

    decision: str  # "execute" or "skip"
    reason: str  # why ("profitable", "below_break_even", "no_inventory", ...)
    pool: str
    token0: str
    token1: str
    fee: int
    swap: Swap
    outcome: Outcome | None  # the chosen round trip (also the best one tried, for a skip)
    reference_price: Fraction | None  # token1 per token0, raw units
    fee_income: Fraction = Fraction(0)  # in raw token1
    price_impact: Fraction = Fraction(0)  # the principal's change at the reference price (<= 0: a loss)
    gas_units: int = 0
    gas_price_wei: int = 0
    gas_cost: Fraction = Fraction(0)  # in raw token1
    bribe: Fraction = Fraction(0)
    net: Fraction = Fraction(0)
    fee_share: Fraction = Fraction(0)  # our fee / the swap's nominal fee (amount in x fee rate)
    break_even: int | None = None  # the smallest |amount_specified| this position would still profit on
    victim_without: tuple[int, int] = (0, 0)  # the victim's swap (pool's side) without us
    victim_sqrt_price_without: int = 0
    candidates: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def execute(self) -> bool:
        return self.decision == "execute"

    @property
    def victim_gain(self) -> int:
        """What our liquidity gives the victim: more output (exact input) or less input (exact output)."""
        if self.outcome is None:
            return 0
        zfo = self.swap.zero_for_one
        if self.swap.amount_specified > 0:
            without = -(self.victim_without[1] if zfo else self.victim_without[0])
            with_us = -(self.outcome.swap1 if zfo else self.outcome.swap0)
            return with_us - without
        without = self.victim_without[0] if zfo else self.victim_without[1]
        with_us = self.outcome.swap0 if zfo else self.outcome.swap1
        return without - with_us

    def value(self, delta0: int, delta1: int, price: Fraction) -> Fraction:
        """Token changes marked at `price` (token1 per token0), in raw token1."""
        return delta0 * price + delta1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: on-chain integers as exact strings, values both exact (a/b) and rounded."""
        o = self.outcome
        data: dict[str, Any] = {
            "decision": self.decision,
            "reason": self.reason,
            "detail": self.extra.get("detail", ""),
            "pool": self.pool,
            "token0": self.token0,
            "token1": self.token1,
            "fee": self.fee,
            "swap": {
                "zero_for_one": self.swap.zero_for_one,
                "amount_specified": str(self.swap.amount_specified),
                "sqrt_price_limit_x96": str(self.swap.sqrt_price_limit_x96),
            },
            "value_unit": "raw token1",
            "gas_units": self.gas_units,
            "gas_price_wei": str(self.gas_price_wei),
            "break_even": None if self.break_even is None else str(self.break_even),
            "victim_without": [str(a) for a in self.victim_without],
            "victim_sqrt_price_without": str(self.victim_sqrt_price_without),
            "victim_gain": str(self.victim_gain),
            "candidates": self.candidates,
            "plan_ms": round(self.seconds * 1e3, 3),
        }
        for name in ("fee_income", "price_impact", "gas_cost", "bribe", "net", "fee_share"):
            value: Fraction = getattr(self, name)
            data[name] = {"exact": str(value), "approx": float(value)}
        data["reference_price"] = None if self.reference_price is None else str(self.reference_price)
        if o is not None:
            data["position"] = {
                "tick_lower": o.tick_lower,
                "tick_upper": o.tick_upper,
                "liquidity": str(o.liquidity),
                "capital0": str(o.mint0),
                "capital1": str(o.mint1),
                "burn0": str(o.burn0),
                "burn1": str(o.burn1),
                "fee0": str(o.fee0),
                "fee1": str(o.fee1),
                "delta0": str(o.delta0),
                "delta1": str(o.delta1),
                "sqrt_price_after": str(o.sqrt_price_x96),
                "tick_after": o.tick,
                "victim_with": [str(o.swap0), str(o.swap1)],
            }
        return data


def spot_price(sqrt_price_x96: int) -> Fraction:
    """token1 per token0 in raw units, exactly."""
    return Fraction(sqrt_price_x96 * sqrt_price_x96, Q96 * Q96)


def eth_price_for(pool: Pool, price: Fraction) -> Fraction | None:
    """Raw token1 per wei when one of the pool's tokens is WETH (else the caller must give it)."""
    if pool.token1 is not None and pool.token1.lower() == mainnet.WETH.lower():
        return Fraction(1)
    if pool.token0 is not None and pool.token0.lower() == mainnet.WETH.lower():
        return price
    return None


class Planner:
    """Plans JIT positions; the settings are the strategy, `plan` is called per pending swap."""

    def __init__(
        self,
        *,
        gas: GasModel | None = None,
        bribe_share: Fraction = Fraction(0),
        min_profit: Fraction = Fraction(0),
        widths: tuple[int, ...] = WIDTHS,
        sizes: tuple[Fraction, ...] = SIZES,
    ) -> None:
        self.gas = gas or GasModel()
        self.bribe_share = Fraction(bribe_share)
        self.min_profit = Fraction(min_profit)
        self.widths = widths
        self.sizes = sizes

    def plan(
        self,
        pool: Pool,
        swap: SwapLike,
        inventory: tuple[int, int],
        *,
        gas_price_wei: int,
        eth_price: Fraction | None = None,
        reference_price: Fraction | None = None,
        break_even: bool = True,
    ) -> JitPlan:
        """The best position for `swap` on `pool` within `inventory` (token0, token1), or a skip with why.

        `eth_price`: raw token1 per wei (default: from the pool when it holds WETH); `reference_price`: token1
        per token0 to mark the position at (default: the pool's price after the swap with us in it)."""
        started = time.perf_counter()
        spec = Swap(swap.zero_for_one, swap.amount_specified, swap.sqrt_price_limit_x96)
        base = JitPlan(
            "skip", "", pool.address or "", pool.token0 or "", pool.token1 or "", pool.fee, spec, None, None
        )
        try:
            without = pool.quote(spec.zero_for_one, spec.amount_specified, price_limit(spec))
        except Revert as error:
            return _done(base, started, reason="swap_reverts", extra={"detail": str(error)})
        base = _replace(
            base,
            victim_without=(without.amount0, without.amount1),
            victim_sqrt_price_without=without.sqrt_price_x96,
        )
        if pool.liquidity == 0 and not pool._idx_ticks:
            return _done(base, started, reason="empty_pool")
        if gas_price_wei and eth_price is None and eth_price_for(pool, Fraction(1)) is None:
            return _done(base, started, reason="no_eth_price", extra={"detail": "give eth_price to cost gas"})
        context = _Context(self, pool, spec, inventory, gas_price_wei, eth_price, reference_price)
        best: JitPlan | None = None
        count = 0
        for tick_lower, tick_upper in self._ranges(pool, spec, without.tick):
            liquidity = _max_liquidity(pool, tick_lower, tick_upper, inventory)
            if liquidity <= 0:
                continue
            count += 1
            candidate = context.value(tick_lower, tick_upper, liquidity)
            if candidate is not None and (best is None or candidate.net > best.net):
                best = candidate
        if best is None:
            return _done(base, started, reason="no_inventory", candidates=count)
        assert best.outcome is not None
        top = best.outcome
        for size in self.sizes:
            liquidity = int(top.liquidity * size)
            if liquidity <= 0:
                continue
            count += 1
            candidate = context.value(top.tick_lower, top.tick_upper, liquidity)
            if candidate is not None and candidate.net > best.net:
                best = candidate
        assert best.outcome is not None
        o = best.outcome
        checked = replay(pool, spec, o.tick_lower, o.tick_upper, o.liquidity)
        if checked != o:  # the fast path and the contract's call sequence must agree to the wei
            raise AssertionError(f"JIT evaluation disagrees with the pool model: {o} != {checked}")
        plan = _replace(base, **{k: getattr(best, k) for k in _VALUE_FIELDS}, candidates=count)
        if break_even:
            plan = _replace(plan, break_even=context.break_even(o))
        if plan.fee_income + plan.price_impact <= 0:  # no size or place of ours earns more than it loses
            return _done(plan, started, reason="impact_exceeds_fees")
        if plan.net <= self.min_profit:  # the fees beat the impact, but not the gas (and bribe)
            return _done(plan, started, reason="below_break_even" if plan.net <= 0 else "below_min_profit")
        return _done(plan, started, decision="execute", reason="profitable")

    def _ranges(self, pool: Pool, swap: Swap, tick_after: int) -> list[tuple[int, int]]:
        """Ranges holding the active tick, widened toward where the price goes, and ranges it will cross."""
        spacing = pool.tick_spacing
        low = -(-MIN_TICK // spacing) * spacing
        high = (MAX_TICK // spacing) * spacing
        active = (pool.tick // spacing) * spacing
        end = (tick_after // spacing) * spacing
        crossed = abs(active - end) // spacing  # spacings the price leaves without us
        ranges = []
        for width in self.widths:
            if swap.zero_for_one:
                ranges.append((active - (width - 1) * spacing, active + spacing))
                if width <= crossed:
                    ranges.append((active - width * spacing, active))
            else:
                ranges.append((active, active + width * spacing))
                if width <= crossed:
                    ranges.append((active + spacing, active + (width + 1) * spacing))
        return [(a, b) for a, b in dict.fromkeys(ranges) if low <= a < b <= high]


_VALUE_FIELDS = (
    "outcome",
    "reference_price",
    "fee_income",
    "price_impact",
    "gas_units",
    "gas_price_wei",
    "gas_cost",
    "bribe",
    "net",
    "fee_share",
)


class _Context:
    """One `plan` call's inputs, so candidates are valued alike."""

    def __init__(
        self,
        planner: Planner,
        pool: Pool,
        swap: Swap,
        inventory: tuple[int, int],
        gas_price_wei: int,
        eth_price: Fraction | None,
        reference_price: Fraction | None,
    ) -> None:
        self.planner = planner
        self.pool = pool
        self.swap = swap
        self.inventory = inventory
        self.gas_price_wei = gas_price_wei
        self.eth_price = eth_price
        self.reference_price = reference_price

    def value(self, tick_lower: int, tick_upper: int, liquidity: int) -> JitPlan | None:
        try:
            o = evaluate(self.pool, self.swap, tick_lower, tick_upper, liquidity)
        except Revert:
            return None
        return self.value_outcome(o)

    def value_outcome(self, o: Outcome) -> JitPlan:
        pool, swap = self.pool, self.swap
        price = self.reference_price if self.reference_price is not None else spot_price(o.sqrt_price_x96)
        new_ticks = sum(
            1
            for t in (o.tick_lower, o.tick_upper)
            if t not in pool.ticks or not pool.ticks[t].liquidity_gross
        )
        gas_units = self.planner.gas.units(new_ticks)
        eth = self.eth_price if self.eth_price is not None else eth_price_for(pool, price)
        gas_wei = gas_units * self.gas_price_wei
        if gas_wei and eth is None:
            raise ValueError("the pool holds no WETH: give eth_price (raw token1 per wei) to cost gas")
        gas_cost = gas_wei * (eth or Fraction(0))
        fee_income = o.fee0 * price + o.fee1
        impact = (o.burn0 - o.mint0) * price + (o.burn1 - o.mint1)
        gross = fee_income + impact - gas_cost
        bribe = gross * self.planner.bribe_share if gross > 0 else Fraction(0)
        amount_in = (
            swap.amount_specified
            if swap.amount_specified > 0
            else (o.swap0 if swap.zero_for_one else o.swap1)
        )
        nominal = Fraction(amount_in * pool.fee, 1_000_000)
        ours = o.fee0 if swap.zero_for_one else o.fee1
        return JitPlan(
            "skip",
            "",
            pool.address or "",
            pool.token0 or "",
            pool.token1 or "",
            pool.fee,
            swap,
            o,
            price,
            fee_income=fee_income,
            price_impact=impact,
            gas_units=gas_units,
            gas_price_wei=self.gas_price_wei,
            gas_cost=gas_cost,
            bribe=bribe,
            net=gross - bribe,
            fee_share=Fraction(ours) / nominal if nominal else Fraction(0),
        )

    def break_even(self, o: Outcome) -> int | None:
        """The smallest swap size (same direction and kind) at which this position nets above zero."""
        sign = 1 if self.swap.amount_specified > 0 else -1

        def pays(size: int) -> tuple[bool, bool]:
            """(nets above zero, the price left our range: larger swaps add no fee and no loss)."""
            swap = Swap(self.swap.zero_for_one, sign * size, self.swap.sqrt_price_limit_x96)
            try:
                outcome = evaluate(self.pool, swap, o.tick_lower, o.tick_upper, o.liquidity)
            except Revert:
                return False, True
            context = _Context(
                self.planner,
                self.pool,
                swap,
                self.inventory,
                self.gas_price_wei,
                self.eth_price,
                self.reference_price,
            )
            left = not o.tick_lower <= outcome.tick < o.tick_upper
            return context.value_outcome(outcome).net > 0, left

        size = abs(self.swap.amount_specified)
        # the smallest paying size on a doubling grid from far below the swap upward (net is not monotonic in
        # the size: the price impact can outgrow the fees), until the price would leave our range; then bisect
        # the step where it starts to pay
        grid = [size >> k for k in range(24, 0, -1) if size >> k] + [size << k for k in range(40)]
        low, high = 0, None
        for point in grid:
            paid, left = pays(point)
            if paid:
                high = point
                break
            if left:
                return None
            low = point
        if high is None:
            return None
        while high - low > max(1, high >> 12):  # 1/4096 of the size is precise enough for a threshold
            mid = (low + high) // 2
            if pays(mid)[0]:
                high = mid
            else:
                low = mid
        return high


def _max_liquidity(pool: Pool, tick_lower: int, tick_upper: int, inventory: tuple[int, int]) -> int:
    """The most liquidity on the range that the inventory pays for at the current price, within the
    per-tick cap. Amounts round up, so size on 2 wei less and shrink until the exact cost fits."""
    inv0, inv1 = inventory
    sl, su = sqrt_ratio_at_tick_cached(tick_lower), sqrt_ratio_at_tick_cached(tick_upper)
    sp = pool.sqrt_price_x96
    caps = []
    if pool.tick < tick_upper:  # needs token0
        lo = max(sp, sl) if pool.tick >= tick_lower else sl
        caps.append(max(inv0 - 2, 0) * lo * su // ((su - lo) * Q96))
    if pool.tick >= tick_lower:  # needs token1
        hi = min(sp, su) if pool.tick < tick_upper else su
        caps.append(max(inv1 - 2, 0) * Q96 // (hi - sl) if hi > sl else MAX_INT128)
    gross = [pool.ticks[t].liquidity_gross if t in pool.ticks else 0 for t in (tick_lower, tick_upper)]
    caps.append(pool.max_liquidity_per_tick - max(gross))
    caps.append(MAX_INT128)
    liquidity = min(caps)
    while liquidity > 0:
        cost0, cost1 = mint_amounts(pool, tick_lower, tick_upper, liquidity)
        if cost0 <= inv0 and cost1 <= inv1:
            return liquidity
        liquidity -= max(1, liquidity >> 20)
    return 0


def _replace(plan: JitPlan, **changes: Any) -> JitPlan:
    return replace(plan, **changes)


def _done(plan: JitPlan, started: float, **changes: Any) -> JitPlan:
    return _replace(plan, seconds=time.perf_counter() - started, **changes)
