"""A pool's recent history from its Swap logs: price path, volume, volatility, and how much volume the
price path itself explains.

Every swap moves the pool price along its curve, so at event resolution all volume is "flow". Seen at a
coarser step, the net price move explains only part of the volume; the rest is trading that came and went
within the step (uninformed flow and the arbitrage that reverted it). That excess is what the range engine
takes as noise volume: an estimate, labelled as one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.paths import PriceSeries, VolatilityEstimate, estimate_volatility, swaps_to_series
from amm.chain import artifacts
from amm.chain.errors import ChainError
from amm.chain.logs import decode_logs, fetch_logs
from amm.chain.node import Node
from amm.lp.context import PoolContext

FLOW_RESAMPLE_SECONDS = 900
# A pool's price only moves once the market leaves its fee band, so short-interval returns of pool prices
# understate volatility. Measured on the built-in chain (market vol 0.60; ETH/BTC 0.40): 15-min returns
# give 0.52 (0.05% pool) and 0.35 (0.3% pool), 4-hour returns 0.60 and 0.55; WBTC/WETH 0.3%: 0.22 vs 0.40.
VOLATILITY_RESAMPLE_SECONDS = 4 * 3600


@dataclass(frozen=True)
class PoolHistory:
    from_block: int
    to_block: int
    swaps: int  # 0 for a market price file
    series: PriceSeries  # display orientation (quote per base); for swaps, volumes in whole tokens
    volatility: VolatilityEstimate  # from returns over `volatility_seconds`
    volatility_seconds: float
    resample_seconds: float  # of the flow/noise split
    volume_quote_per_day: float
    flow_quote_per_day: float  # explained by the net price moves at `resample_seconds`
    noise_quote_per_day: float  # the rest: volume - flow, at least 0 (NaN when volume is unknown)
    source: str = "swaps"  # "swaps" (the pool's own prices) or the path of a file of market prices

    @property
    def is_pool_path(self) -> bool:
        """True when the prices are the pool's own (every move is flow), False for market prices."""
        return self.source == "swaps"

    def describe(self) -> str:
        if self.is_pool_path:
            return f"{self.swaps} swaps of the pool over {self.days:.1f} days"
        return f"{self.series.prices.size} market prices from {self.source} over {self.days:.1f} days"

    @property
    def days(self) -> float:
        return float(self.series.timestamps[-1] - self.series.timestamps[0]) / 86400

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "from_block": self.from_block,
            "to_block": self.to_block,
            "swaps": self.swaps,
            "days": self.days,
            "volatility": self.volatility.to_dict(),
            "volatility_seconds": self.volatility_seconds,
            "resample_seconds": self.resample_seconds,
            "volume_quote_per_day": self.volume_quote_per_day,
            "flow_quote_per_day": self.flow_quote_per_day,
            "noise_quote_per_day": self.noise_quote_per_day,
        }


def block_at_or_after(node: Node, timestamp: int, latest: int) -> int:
    """The first block with a timestamp >= `timestamp` (binary search; ~log2(blocks) calls)."""
    lo, hi = 0, latest
    while lo < hi:
        mid = (lo + hi) // 2
        if int(node.block(mid)["timestamp"], 16) < timestamp:
            lo = mid + 1
        else:
            hi = mid
    return lo


def swap_events(node: Node, ctx: PoolContext, from_block: int, to_block: int) -> list[dict[str, int]]:
    """Decoded Swap events as the analytics take them (timestamp, sqrt_price_x96, amounts), with their block;
    `log_index` orders them across blocks (block * 100,000 + index in the block)."""
    swap = artifacts.interface("UniswapV3Pool").event("Swap")
    logs = fetch_logs(node, ctx.address, from_block, to_block, topics=["0x" + swap.topic.hex()])
    decoded = decode_logs(node, artifacts.interface("UniswapV3Pool"), logs)
    return [
        {
            "timestamp": d.timestamp or 0,
            "block": d.block_number,
            "log_index": d.block_number * 100_000 + d.log_index,
            "sqrt_price_x96": d.args["sqrtPriceX96"],
            "amount0": d.args["amount0"],
            "amount1": d.args["amount1"],
            "liquidity": d.args["liquidity"],
            "tick": d.args["tick"],
        }
        for d in decoded
    ]


def orient(series: PriceSeries, inverted: bool) -> PriceSeries:
    """The series in display orientation: inverted prices and swapped volumes when quote is token0."""
    if not inverted:
        return series
    return PriceSeries(
        series.timestamps, 1.0 / series.prices, series.volume1, series.volume0, dict(series.meta)
    )


def flow_explained(prices: NDArray[np.float64], profile: LiquidityProfile) -> float:
    """Σ over steps of ∫ L(p) d√p between consecutive prices: the volume (in quote) the net moves need.

    Up-moves buy base with quote (L·Δ√p of quote); down-moves sell base, whose value in quote is the same to
    first order. The running integral F(p) = ∫₀ᵖ L d√q is piecewise linear in √p over the profile."""
    edges = profile.edges
    finite = np.isfinite(edges)
    e = np.where(finite, edges, edges[finite].max() if finite.any() else 0.0)
    root = np.sqrt(e)
    cumulative = np.concatenate([[0.0], np.cumsum(profile.liquidity * np.diff(root))])

    def integral(p: NDArray[np.float64]) -> NDArray[np.float64]:
        s = np.sqrt(np.clip(p, e[0], e[-1]))
        return np.interp(s, root, cumulative)

    return float(np.abs(np.diff(integral(prices))).sum())


def load_pool_history(
    node: Node,
    ctx: PoolContext,
    *,
    days: float = 7.0,
    resample_seconds: float = FLOW_RESAMPLE_SECONDS,
    volatility_seconds: float = VOLATILITY_RESAMPLE_SECONDS,
) -> PoolHistory:
    """The last `days` of the pool's swaps before the context's block."""
    start = block_at_or_after(node, ctx.timestamp - int(days * 86400), ctx.block)
    events = swap_events(node, ctx, start, ctx.block)
    if len(events) < 3:
        raise ChainError(
            f"{ctx.name} has {len(events)} swaps in the last {days:g} days (blocks {start}-{ctx.block}): "
            "too few to estimate volatility; pass --vol"
        )
    raw = swaps_to_series(events, ctx.token0.decimals, ctx.token1.decimals)
    series = orient(raw, ctx.inverted)
    coarse = series.resample(resample_seconds)
    sampled = series.resample(volatility_seconds)
    if sampled.prices.size < 4:
        raise ChainError(
            f"{days:g} days of history give too few {volatility_seconds / 3600:g}-hour returns; pass --vol"
        )
    volatility = estimate_volatility(sampled.prices, sampled.timestamps)
    span_days = max(float(series.timestamps[-1] - series.timestamps[0]) / 86400, 1e-9)
    volume = float(np.nansum(series.volume1)) if series.volume1 is not None else 0.0
    flow = flow_explained(coarse.prices, ctx.profile())
    return PoolHistory(
        from_block=start,
        to_block=ctx.block,
        swaps=len(events),
        series=series,
        volatility=volatility,
        volatility_seconds=volatility_seconds,
        resample_seconds=resample_seconds,
        volume_quote_per_day=volume / span_days,
        flow_quote_per_day=flow / span_days,
        noise_quote_per_day=max(volume - flow, 0.0) / span_days,
    )


def history_from_prices(
    series: PriceSeries, ctx: PoolContext, *, volatility_seconds: float = VOLATILITY_RESAMPLE_SECONDS
) -> PoolHistory:
    """A file of market prices (quote per base, e.g. from `load_price_csv`) as history: volatility from it;
    volume unknown, so no noise estimate. Market prices carry no fee-band bias, but keep the same sampling."""
    sampled = series.resample(volatility_seconds) if series.interval_seconds < volatility_seconds else series
    if sampled.prices.size < 4:
        raise ChainError(f"{series.meta.get('source', 'the file')}: too few prices to estimate volatility")
    volatility = estimate_volatility(sampled.prices, sampled.timestamps)
    nan = float("nan")
    return PoolHistory(
        from_block=ctx.block,
        to_block=ctx.block,
        swaps=0,
        series=series,
        volatility=volatility,
        volatility_seconds=float(sampled.interval_seconds),
        resample_seconds=float(series.interval_seconds),
        volume_quote_per_day=nan,
        flow_quote_per_day=nan,
        noise_quote_per_day=nan,
        source=str(series.meta.get("source", "a price file")),
    )
