"""The LP's book: one concentrated v3 position on a WETH/USDC pool model, marked every step to what
burning and collecting it would pay, with its impermanent loss, fees, share of the arbitrage losses (LVR),
time in range, and a kill switch that withdraws it past a loss limit.

Why marked on the model and not by formula: the position's tokens are what `UniswapV3Pool.burn` credits at
the pool's price (`amm.analytics.exact.position_amounts`) and its fees are what a poke (a zero burn, as the
contracts do) credits to `tokens_owed`, so the mark is, to the wei, what the LP could take out. Prices are
floats only when the tokens are valued in USD.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from amm.analytics.exact import position_amounts
from amm.v3.constants import MAX_UINT128
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_TICK, MIN_TICK
from solver.routing.universe import Universe
from solver.stress.books import BookTracker
from solver.stress.stress_pools import ArbResult, raw_price, usd, v3_pool_ref

LP_OWNER = "books-lp"
_UNIT_LIQUIDITY = 10**20  # sizes the position: the value of this much liquidity, scaled to the capital


@dataclass(frozen=True)
class LpConfig:
    """The `[lp]` table: the pool's fee tier, the capital (USD), the range (± `width` around the price at
    the start), the loss limit (USD) and whether the kill switch withdraws the position past it."""

    fee: int = 500
    capital_usd: float = 1_000_000.0
    width: float = 0.10
    max_loss_usd: float = 50_000.0
    kill_switch: bool = True

    def __post_init__(self) -> None:
        if self.fee not in (100, 500, 3000, 10000):
            raise ValueError("fee is a v3 tier: 100, 500, 3000 or 10000")
        if self.capital_usd <= 0 or not 0 < self.width < 1 or self.max_loss_usd < 0:
            raise ValueError("need capital_usd > 0, 0 < width < 1 and max_loss_usd >= 0")


class LpBook:
    """Mints at construction (on the universe's pool model, which it then shares with the arbitrageur and
    the solver), then `record_arb` and `mark` every step; `row()` is its report."""

    def __init__(
        self,
        config: LpConfig,
        universe: Universe,
        prices: Mapping[str, float],
        time_s: float = 0.0,
        *,
        owner: Hashable = LP_OWNER,
        kill_switch: bool | None = None,
    ) -> None:
        self.config = config
        self.universe = universe
        self.owner = owner
        self.kill_switch = config.kill_switch if kill_switch is None else kill_switch
        # the pool is read through its PoolRef every time: a fill elsewhere may swap in a new model object
        self.ref = v3_pool_ref(universe, "WETH", "USDC", config.fee)
        pool = self.pool
        self.tick_lower, self.tick_upper = self._range(pool, prices)
        unit = position_amounts(
            pool.sqrt_price_x96, pool.tick, self.tick_lower, self.tick_upper, _UNIT_LIQUIDITY
        )
        unit_usd = self._usd(unit, prices)
        self.liquidity = int(_UNIT_LIQUIDITY * config.capital_usd / unit_usd)
        self.minted = pool.mint(owner, self.tick_lower, self.tick_upper, self.liquidity)
        universe.replace_model(self.ref.address, pool)
        self.tracker = BookTracker("lp")
        self.held: tuple[int, int] | None = None  # principal after the kill switch withdrew it
        self.collected_fees = (0, 0)
        self.killed_s: float | None = None
        self.lvr_usd = 0.0
        self.steps = self.in_range_steps = 0
        self.last: dict[str, float] = {}
        self._share = 0.0  # of the pool's active liquidity, as the next arbitrage will find it
        self.mark(time_s, prices)

    @property
    def pool(self) -> Pool:
        model = self.ref.model
        assert isinstance(model, Pool)
        return model

    @property
    def key(self) -> tuple[Hashable, int, int]:
        return (self.owner, self.tick_lower, self.tick_upper)

    @property
    def active(self) -> bool:
        return self.held is None

    def in_range(self) -> bool:
        return self.tick_lower <= self.pool.tick < self.tick_upper

    def _range(self, pool: Pool, prices: Mapping[str, float]) -> tuple[int, int]:
        """Ticks (on the pool's spacing, widened outward) for ± `width` around the WETH price."""
        w = self.config.width
        bounds = []
        for move in (1 - w, 1 + w):
            moved = {**prices, "WETH": prices["WETH"] * move}
            bounds.append(math.log(raw_price(self.universe, self.ref, moved)) / math.log(1.0001))
        spacing = pool.tick_spacing
        lower = max(math.floor(min(bounds) / spacing) * spacing, -(-MIN_TICK // spacing) * spacing)
        upper = min(math.ceil(max(bounds) / spacing) * spacing, MAX_TICK // spacing * spacing)
        return lower, upper

    def _usd(self, amounts: tuple[int, int], prices: Mapping[str, float]) -> float:
        ref = self.ref
        return usd(self.universe, ref.token0, amounts[0], prices) + usd(
            self.universe, ref.token1, amounts[1], prices
        )

    # ------------------------------------------------------------------------------------------ per step
    def holdings(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(principal, fees) in raw (token0, token1): what a burn of all the liquidity and a collect would
        pay now, split into the tokens the burn credits and the fees a poke credits. Pokes the position
        (a zero burn) when it is still in the pool, as the contracts do before reading its fees."""
        if self.held is not None:
            return self.held, self.collected_fees
        pool = self.pool
        pool.burn(self.owner, self.tick_lower, self.tick_upper, 0)
        info = pool.positions[self.key]
        principal = position_amounts(
            pool.sqrt_price_x96, pool.tick, self.tick_lower, self.tick_upper, info.liquidity
        )
        return principal, (info.tokens_owed0, info.tokens_owed1)

    def record_arb(self, arb: ArbResult) -> None:
        """Our share of what the arbitrageur took from our pool this step (its profit at market prices),
        by our share of the active liquidity before it traded."""
        trade = arb.trades.get(self.ref.address)
        if trade is not None and self.active:
            self.lvr_usd -= self._share * trade.profit_usd

    def mark(self, time_s: float, prices: Mapping[str, float]) -> float:
        """Value the book at `time_s`, note breaches, and pull the position if the kill switch trips."""
        principal, fees = self.holdings()
        value = self._usd(principal, prices) + self._usd(fees, prices)
        pnl = self.tracker.mark(time_s, value)
        in_range = self.active and self.in_range()
        self.steps += 1
        self.in_range_steps += in_range
        if self.active and not in_range:
            self.tracker.breach("out_of_range", time_s)
        if pnl < -self.config.max_loss_usd:
            self.tracker.breach("drawdown_limit", time_s)
            if self.kill_switch and self.active:
                self.withdraw(time_s)
        pool = self.pool
        self._share = self.liquidity / pool.liquidity if self.active and in_range and pool.liquidity else 0.0
        self.last = {
            "value": value,
            "principal": self._usd(principal, prices),
            "fees": self._usd(fees, prices),
            "hodl": self._usd(self.minted, prices),
        }
        return value

    def withdraw(self, time_s: float) -> tuple[int, int]:
        """Burn all the liquidity and collect everything owed (exactly, on the model); the LP holds the
        tokens after. Returns what collect paid."""
        pool = self.pool
        principal = pool.burn(self.owner, self.tick_lower, self.tick_upper, self.liquidity)
        paid = pool.collect(self.owner, self.tick_lower, self.tick_upper, MAX_UINT128, MAX_UINT128)
        self.universe.replace_model(self.ref.address, pool)
        self.held = principal
        self.collected_fees = (paid[0] - principal[0], paid[1] - principal[1])
        self.killed_s = time_s
        return paid

    # ------------------------------------------------------------------------------------------- report
    @property
    def il_usd(self) -> float:
        """The position's tokens (fees aside) against holding what was minted, at the last mark's prices."""
        return self.last["principal"] - self.last["hodl"]

    def row(self, kill_switch_saved: float | None = None) -> dict[str, Any]:
        return self.tracker.row(
            kill_switch_saved=kill_switch_saved,
            il_usd=round(self.il_usd, 2) + 0.0,  # + 0.0: no -0.0 in a report
            fees_usd=round(self.last["fees"], 2),
            lvr_usd=round(self.lvr_usd, 2) + 0.0,
            in_range_share=round(self.in_range_steps / self.steps, 4) if self.steps else 0.0,
            in_range_end=self.active and self.in_range(),
            killed_s=self.killed_s,
        )
