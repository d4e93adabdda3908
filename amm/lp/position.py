"""What an existing position is worth and what it has earned and lost: exact where the chain is exact.

Token amounts and uncollected fees are the contract's own integer arithmetic on the pool's state at the
block. Fees earned = collected + owed now − principal withdrawn (componentwise). Against HODL of what was
deposited, valued at the current price: IL (without fees) and P&L (with fees). LVR to date is realised along
the pool's swap-by-swap price path since the first deposit, with the position's liquidity as it was then
(Milionis et al. 2022): what a rebalancing portfolio of the same holdings would have made more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from amm.analytics.exact import position_amounts, uncollected_fees
from amm.analytics.position import holdings0, value
from amm.chain.node import Node
from amm.chain.positions import PositionRecord
from amm.lp.context import PoolContext
from amm.lp.history import swap_events


@dataclass(frozen=True)
class PositionReport:
    pool: str
    owner: str
    token_id: int | None
    tick_lower: int
    tick_upper: int
    lower: float  # display prices
    upper: float
    price: float
    in_range: bool
    liquidity: int
    base: str
    quote: str
    amounts: tuple[int, int]  # token0, token1 the liquidity is worth now (raw, exact)
    owed: tuple[int, int]  # what collect would pay now: uncollected fees plus withdrawn principal (exact)
    fees: tuple[int, int]  # earned since the first deposit (exact)
    deposited: tuple[int, int]
    withdrawn: tuple[int, int]
    collected: tuple[int, int]
    value_now: float  # position tokens, in quote
    fees_value: float
    hodl_value: float  # deposited tokens at today's price
    il_value: float  # (position + withdrawn principal) - HODL
    pnl_vs_hodl: float  # il_value + fees_value
    lvr_to_date: float
    swaps_seen: int
    since_block: int
    days: float

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in self.__dict__.items():
            out[key] = [str(x) for x in item] if isinstance(item, tuple) else item
        out["liquidity"] = str(self.liquidity)  # exact: JSON numbers lose ints > 2^53
        q = self.quote
        out["units"] = {
            "lower, upper, price": f"{q} per {self.base}",
            "amounts, owed, fees, deposited, withdrawn, collected": "raw token units [token0, token1], exact",
            "liquidity": "raw on-chain liquidity (a decimal string)",
            "value_now, fees_value, hodl_value, il_value, pnl_vs_hodl, lvr_to_date": f"{q} at today's price",
            "days": "days",
        }
        return out


def _human(ctx: PoolContext, amounts: tuple[int, int]) -> tuple[float, float]:
    """(base, quote) whole tokens from raw (token0, token1)."""
    a0, a1 = amounts[0] / 10**ctx.token0.decimals, amounts[1] / 10**ctx.token1.decimals
    return (a1, a0) if ctx.inverted else (a0, a1)


def _quote_value(ctx: PoolContext, amounts: tuple[int, int]) -> float:
    base, quote = _human(ctx, amounts)
    return base * ctx.price + quote


def realised_lvr(
    ctx: PoolContext, record: PositionRecord, prices: np.ndarray, blocks: np.ndarray, lo: float, hi: float
) -> float:
    """Σ x*(P_{t-1})ΔP − ΔV over the swaps, with the liquidity in force at each swap (quote units), for the
    position's display range [lo, hi)."""
    if prices.size < 2:
        return 0.0
    changes = sorted((e.block, e.liquidity) for e in record.ledger if e.liquidity)
    change_blocks = np.array([b for b, _ in changes], dtype=np.int64)
    running = np.cumsum([d for _, d in changes]) if changes else np.array([0])
    index = np.searchsorted(change_blocks, blocks[:-1], side="right") - 1  # liquidity before each step
    raw_liquidity = np.where(index >= 0, running[np.clip(index, 0, None)], 0).astype(np.float64)
    liquidity = raw_liquidity * 10.0 ** (-(ctx.token0.decimals + ctx.token1.decimals) / 2)
    p0, p1 = prices[:-1], prices[1:]
    rebalancing = holdings0(p0, liquidity, lo, hi) * (p1 - p0)
    lp = value(p1, liquidity, lo, hi) - value(p0, liquidity, lo, hi)
    return float(np.sum(rebalancing - lp))


def position_report(
    node: Node, ctx: PoolContext, record: PositionRecord, swaps: list[dict[str, int]] | None = None
) -> PositionReport:
    """The report at the context's block; `swaps`, the pool's Swap events from any earlier block (e.g. read
    once for many positions of the pool), saves reading them again."""
    pool = ctx.pool
    amounts = position_amounts(
        pool.sqrt_price_x96, pool.tick, record.tick_lower, record.tick_upper, record.info.liquidity
    )
    owed = uncollected_fees(
        record.info,
        record.tick_lower,
        record.tick_upper,
        tick_current=pool.tick,
        fee_growth_global0_x128=pool.fee_growth_global0_x128,
        fee_growth_global1_x128=pool.fee_growth_global1_x128,
        lower=pool.ticks.get(record.tick_lower),
        upper=pool.ticks.get(record.tick_upper),
    )
    t = record.totals()
    deposited, withdrawn, collected = (
        (t[f"{k}0"], t[f"{k}1"]) for k in ("deposited", "withdrawn", "collected")
    )
    fees = (collected[0] + owed[0] - withdrawn[0], collected[1] + owed[1] - withdrawn[1])
    value_now = _quote_value(ctx, amounts)
    hodl = _quote_value(ctx, deposited)
    il = value_now + _quote_value(ctx, withdrawn) - hodl
    fees_value = _quote_value(ctx, fees)
    if swaps is None:
        events = swap_events(node, ctx, record.first_block, ctx.block)
    else:
        events = [e for e in swaps if record.first_block <= e["block"] <= ctx.block]
    prices = ctx.display_prices([e["sqrt_price_x96"] for e in events])
    blocks = np.array([e["block"] for e in events], dtype=np.int64)
    lo, hi = sorted((ctx.price_at_tick(record.tick_lower), ctx.price_at_tick(record.tick_upper)))
    first_ts = record.ledger[0].timestamp if record.ledger else ctx.timestamp
    return PositionReport(
        pool=ctx.name,
        owner=record.owner,
        token_id=record.token_id,
        tick_lower=record.tick_lower,
        tick_upper=record.tick_upper,
        lower=lo,
        upper=hi,
        price=ctx.price,
        in_range=record.tick_lower <= pool.tick < record.tick_upper,
        liquidity=record.info.liquidity,
        base=ctx.base.symbol,
        quote=ctx.quote.symbol,
        amounts=amounts,
        owed=owed,
        fees=fees,
        deposited=deposited,
        withdrawn=withdrawn,
        collected=collected,
        value_now=value_now,
        fees_value=fees_value,
        hodl_value=hodl,
        il_value=il,
        pnl_vs_hodl=il + fees_value,
        lvr_to_date=realised_lvr(ctx, record, prices, blocks, lo, hi),
        swaps_seen=len(events),
        since_block=record.first_block,
        days=(ctx.timestamp - first_ts) / 86400,
    )
