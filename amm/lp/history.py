"""A pool's recent history from its Swap logs: price path, volume, volatility, the chain's block time and
the pool's uninformed (noise) volume.

The noise volume is estimated swap by swap (`amm.analytics.flow`: arbitrage at the top of the block, lone
swaps classified by size); "volume minus what the net price moves explain" gave 0 on 8 of the 10 built-in
pools, because arbitrage is ~97% of the volume and reverts the noise it follows. That difference is still
reported (`flow_quote_per_day`) as a cross-check.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from amm.analytics.flow import NoiseEstimate, estimate_noise_volume
from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.paths import (
    PriceDataError,
    PriceSeries,
    VolatilityEstimate,
    estimate_volatility,
    swaps_to_series,
)
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
    noise_quote_per_day: float  # uninformed volume (`noise`), NaN when volume is unknown
    source: str = "swaps"  # "swaps" (the pool's own prices) or the path of a file of market prices
    block_time: float = float("nan")  # seconds: median interval between consecutive blocks of the window
    noise: NoiseEstimate | None = None  # how the uninformed volume was estimated
    sizes: tuple[float, ...] = field(default=(), repr=False)  # each swap's volume in quote (chain order)

    @property
    def is_pool_path(self) -> bool:
        """True when the prices are the pool's own (every move is flow), False for market prices."""
        return self.source == "swaps"

    def describe(self) -> str:
        if self.is_pool_path:
            return f"{self.swaps} swaps of the pool over {self.days:.1f} days"
        unit = self.series.meta.get("timestamp_unit")
        note = f" (timestamps read as {unit})" if unit else ""
        return f"{self.series.prices.size} market prices from {self.source}{note} over {self.days:.1f} days"

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
            "noise_estimate": self.noise.to_dict() if self.noise else None,
            "block_time_seconds": self.block_time if math.isfinite(self.block_time) else None,
            "units": {
                "volatility.sigma, volatility.stderr": "per sqrt(year)",
                "volatility.interval_seconds": "seconds",
                "noise_estimate.*volume": "quote token over the window",
                "*_quote_per_day": "quote token per day",
                "*_seconds": "seconds",
                "days": "days",
            },
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


def median_block_time(node: Node, from_block: int, to_block: int, samples: int = 100) -> float:
    """Median seconds between consecutive blocks, from up to `samples` sampled pairs (one batch).

    The median, not the mean: the built-in chain mines an extra block a second after some steps (LP churn),
    mainnet misses slots; neither is a block in which an arbitrageur gets a new chance at a moved price."""
    if to_block <= from_block:
        return float("nan")
    starts = range(from_block, to_block)
    picked = sorted(random.Random(f"{from_block}:{to_block}").sample(starts, min(samples, len(starts))))
    numbers = sorted({b for k in picked for b in (k, k + 1)})
    blocks = node.rpc.batch([("eth_getBlockByNumber", [hex(b), False]) for b in numbers])
    ts = {b: int(blk["timestamp"], 16) for b, blk in zip(numbers, blocks, strict=True)}
    return float(np.median([ts[k + 1] - ts[k] for k in picked]))


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
    window_seconds = max(float(ctx.timestamp - int(node.block(start)["timestamp"], 16)), 1.0)
    span_days = window_seconds / 86400
    block_time = median_block_time(node, start, ctx.block)
    ordered = sorted(events, key=lambda e: e["log_index"])
    quote_raw = "amount0" if ctx.inverted else "amount1"
    sizes = [abs(e[quote_raw]) / 10**ctx.quote.decimals for e in ordered]
    # amount0 > 0: token0 into the pool, pool price (token1 per token0) down; display price flips if inverted
    directions = [(-1 if e["amount0"] > 0 else 1) * (-1 if ctx.inverted else 1) for e in ordered]
    slots = round(window_seconds / block_time) + 1 if math.isfinite(block_time) and block_time > 0 else None
    noise = estimate_noise_volume([e["block"] for e in ordered], sizes, directions, n_blocks=slots)
    volume = float(sum(sizes))
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
        noise_quote_per_day=noise.volume / span_days,
        block_time=block_time,
        noise=noise,
        sizes=tuple(sizes),
    )


def history_from_prices(
    series: PriceSeries, ctx: PoolContext, *, volatility_seconds: float = VOLATILITY_RESAMPLE_SECONDS
) -> PoolHistory:
    """A file of market prices (quote per base, e.g. from `load_price_csv`) as history: volatility from it;
    volume unknown, so no noise estimate. Market prices carry no fee-band bias, but keep the same sampling."""
    median = float(np.median(series.prices))
    off, flipped = abs(math.log(median / ctx.price)), abs(math.log(median * ctx.price))
    if flipped < off and off > math.log(3):
        raise PriceDataError(
            f"{series.meta.get('source', 'the price file')}: prices look inverted: median {median:,.6g} "
            f"against "
            f"the pool's {ctx.price:,.6g} {ctx.quote.symbol} per {ctx.base.symbol} (its reciprocal "
            f"{1 / ctx.price:,.6g}); give {ctx.base.symbol} priced in {ctx.quote.symbol}"
        )
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
