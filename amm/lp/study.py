"""Range study: which ranges of a real pool would have paid, over simulated or historical price paths.

Glue only: the pool and its liquidity profile come from the chain (`amm.lp.context`), volatility and
uninformed volume from the pool's own swap history unless given (`amm.lp.history`), the paths and the
per-range figures from `amm.analytics`. Every number in the result says where it came from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from amm.analytics.grid import RangeSpec
from amm.analytics.paths import PathModel, PriceSeries, iter_paths
from amm.analytics.ranges import METRICS, RangeAnalysis, RangeResult, analyze_ranges
from amm.analytics.stats import json_float
from amm.lp.context import PoolContext
from amm.lp.history import PoolHistory
from amm.v3.tick_math import MAX_TICK

SECONDS_PER_YEAR = 365 * 86400
Progress = Callable[[int, int], None]

DEFAULT_WIDTHS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


class StudyError(ValueError):
    """Bad study input (e.g. an empty or inverted range), said in one line."""


@dataclass(frozen=True)
class RangeStudyConfig:
    horizon_days: float | None = None  # None: 30 days simulated, or all the history read with `historical`
    step_seconds: float | None = None  # one step is one block with one arbitrage chance; None: the chain's
    blocks: str = "fixed"  # fixed | poisson block times
    paths: int = 200
    seed: int = 0
    model: str = "gbm"  # gbm | merton | student_t
    vol: float | None = None  # annualised; None: estimated from the pool's swaps
    widths: tuple[float, ...] | None = None  # half-widths: w gives [P/(1+w), P(1+w)); None: from σ√T
    centres: tuple[float, ...] = (1.0,)  # multiples of the current price
    bounds: tuple[tuple[float, float], ...] = ()  # explicit display ranges, added to the grid
    full_range: bool = True
    capital: float = 10_000.0  # in the quote token
    noise_per_day: float | None = None  # uninformed volume, quote per day; None: estimated from history
    rank_by: str = "pnl_vs_rebalancing"
    rank_stat: str = "mean"
    historical: bool = False  # replay the pool's own price history instead of simulating
    keep_samples: bool = False
    workers: int = 2

    def __post_init__(self) -> None:
        for value in (self.horizon_days, self.step_seconds):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise StudyError("horizon and block time must be positive")
        if self.paths < 1 or not (math.isfinite(self.capital) and self.capital > 0):
            raise StudyError("paths and capital must be positive")
        if self.seed < 0:
            raise StudyError(f"--seed must be >= 0, got {self.seed}")
        if self.blocks not in ("fixed", "poisson"):
            raise StudyError(f"--blocks must be fixed or poisson, not {self.blocks!r}")
        if self.noise_per_day is not None and not (
            math.isfinite(self.noise_per_day) and self.noise_per_day >= 0
        ):
            raise StudyError(f"--noise-volume must be a finite number >= 0, got {self.noise_per_day}")
        if self.rank_by not in METRICS:
            raise StudyError(f"--rank-by must be one of {', '.join(METRICS)}")
        if any(w <= 0 for w in self.widths or ()) or any(c <= 0 for c in self.centres):
            raise StudyError("widths and centres must be positive")
        for lo, hi in self.bounds:
            if not 0 < lo < hi:
                raise StudyError(f"a range needs 0 < lower < upper, got {lo:g}-{hi:g}")


@dataclass(frozen=True)
class MarketModel:
    """How prices reach the pool: one arbitrage chance per block, blocks fixed or Poisson in time."""

    blocks: str
    block_time: float  # seconds (the mean, for Poisson blocks)
    source: str  # where the block time came from

    def describe(self) -> str:
        kind = "fixed" if self.blocks == "fixed" else "Poisson (exponential gaps, mean)"
        return (
            f"{kind} {self.block_time:g}-s blocks ({self.source}), "
            "one arbitrage to the fee band's edge per block"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"blocks": self.blocks, "block_time_seconds": self.block_time, "source": self.source}


def market_model(blocks: str, block_time: float | None, history: PoolHistory | None) -> MarketModel:
    """The block model every LP command uses: given, else the chain's median block interval, else 12 s."""
    if block_time is not None:
        return MarketModel(blocks, block_time, "given")
    if history is not None and history.is_pool_path and math.isfinite(history.block_time):
        return MarketModel(blocks, history.block_time, "the chain's median block interval")
    return MarketModel(blocks, 12.0, "mainnet's slot time; no chain history read")


@dataclass(frozen=True)
class RangeStudy:
    pool: dict[str, Any]
    config: RangeStudyConfig
    sigma: float
    sigma_source: str
    noise_per_day: float
    noise_source: str
    ticks: dict[tuple[float, float], tuple[int, int]]  # display range -> pool ticks to mint
    analysis: RangeAnalysis
    history: PoolHistory | None
    seconds: float
    market: MarketModel
    mode: str  # what was simulated or replayed, in words (table, plot and JSON say the same)
    horizon_days: float
    notes: list[str] = field(default_factory=list)

    def apr(self, result: RangeResult) -> dict[str, float]:
        """Mean figures as a fraction of the capital per year (simple, not compounded)."""
        years = self.horizon_days / 365
        capital = self.analysis.capital
        return {
            m: result.metrics[m].mean / capital / years
            for m in ("fees", "lvr", "pnl_vs_rebalancing", "pnl_vs_hodl")
            if years > 0
        }

    def to_dict(self) -> dict[str, Any]:
        results = []
        q = str(self.pool.get("quote", "quote"))
        for r in self.analysis.results:
            row = r.to_dict()
            lo_tick, hi_tick = self.ticks.get((r.lower, r.upper), (None, None))
            row["tick_lower"], row["tick_upper"] = lo_tick, hi_tick
            row["apr"] = {k: json_float(v) for k, v in self.apr(r).items()}
            results.append(row)
        analysis = self.analysis.to_dict()
        analysis["results"] = results
        analysis["units"] = {
            k: v.replace("token1", q).replace("token0", str(self.pool.get("base", "base")))
            for k, v in analysis["units"].items()
        }
        return {
            "pool": self.pool,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in self.config.__dict__.items()},
            "mode": self.mode,
            "market_model": self.market.to_dict(),
            "horizon_days": self.horizon_days,
            "sigma": self.sigma,
            "sigma_source": self.sigma_source,
            "noise_per_day": json_float(self.noise_per_day),
            "noise_source": self.noise_source,
            "history": self.history.to_dict() if self.history else None,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
            "units": {
                "sigma": "per sqrt(year)",
                "noise_per_day": f"{q} per day",
                "horizon_days": "days",
                "seconds": "seconds of wall time",
                "config.capital": q,
                "config.vol": "per sqrt(year)",
                "analysis.results.apr": "fraction of capital per year (mean over paths, not compounded)",
                "config.noise_per_day": f"{q} per day",
                "config.horizon_days": "days",
                "config.step_seconds": "seconds (block time)",
                "config.widths": "fractions (half-widths)",
                "config.centres": "multiples of the price",
                "pool.price": f"{q} per {self.pool.get('base', 'base')}",
                "pool.fee": "fraction",
            },
            "analysis": analysis,
        }


def default_widths(sigma: float, horizon_days: float) -> tuple[float, ...]:
    """Half-widths scaled to the typical move over the horizon, σ√T, from a tenth of it to four times it
    (2 significant digits). Fixed percentages suit ETH and nobody else: ±0.5% is already 3σ√T for a stable
    pair over a month, and ±50% never leaves range."""
    move = sigma * math.sqrt(horizon_days / 365)
    if not (math.isfinite(move) and move > 0):
        return DEFAULT_WIDTHS
    return tuple(sorted({float(f"{k * move:.2g}") for k in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)}))


def study_ranges(
    ctx: PoolContext, config: RangeStudyConfig, widths: tuple[float, ...] | None = None
) -> list[RangeSpec]:
    """The grid (width x centre) and explicit ranges, each snapped to ticks the pool accepts."""
    price = ctx.price
    specs: dict[tuple[float, float], RangeSpec] = {}
    for centre in config.centres:
        for width in widths or config.widths or DEFAULT_WIDTHS:
            lo, hi = ctx.snap(price * centre / (1 + width), price * centre * (1 + width))
            label = f"±{100 * width:g}%" + (f" @{centre:g}x" if centre != 1 else "")
            specs.setdefault((lo, hi), RangeSpec(lo, hi, label))
    for lo, hi in config.bounds:
        slo, shi = ctx.snap(lo, hi)
        specs.setdefault((slo, shi), RangeSpec(slo, shi, f"{lo:g}-{hi:g}"))
    if config.full_range:
        specs[(0.0, math.inf)] = RangeSpec(0.0, math.inf, "full range")
    return list(specs.values())


def _pool_ticks(ctx: PoolContext, spec: RangeSpec) -> tuple[int, int]:
    if spec.lower == 0 and math.isinf(spec.upper):
        usable = MAX_TICK // ctx.pool.tick_spacing * ctx.pool.tick_spacing
        return -usable, usable
    return ctx.ticks_of_range(spec.lower, spec.upper)


def _counted(chunks: Iterator[np.ndarray], total: int, progress: Progress | None) -> Iterator[np.ndarray]:
    done = 0
    for chunk in chunks:
        yield chunk
        done += chunk.shape[0]
        if progress is not None:
            progress(done, total)


def run_range_study(
    ctx: PoolContext,
    config: RangeStudyConfig,
    history: PoolHistory | None = None,
    progress: Progress | None = None,
) -> RangeStudy:
    """Evaluate the configured ranges on the pool. `history` is needed for estimates and --historical."""
    started = time.perf_counter()
    notes: list[str] = []
    if config.vol is not None:
        sigma, sigma_source = config.vol, "given"
    elif history is not None:
        sigma = history.volatility.sigma
        hours = history.volatility_seconds / 3600
        sigma_source = (
            f"estimated from {history.describe()} ({hours:g}-hour returns, ±{history.volatility.stderr:.3f})"
        )
    else:
        raise StudyError("no volatility: pass --vol or let the pool's swap history be read")
    if config.noise_per_day is not None:
        noise, noise_source = config.noise_per_day, "given (--noise-volume)"
    elif history is not None and math.isfinite(history.noise_quote_per_day):
        noise = history.noise_quote_per_day
        basis = history.noise.basis() if history.noise else "swaps"
        noise_source = f"estimated from {history.describe()}: {basis}"
    else:
        noise, noise_source = 0.0, "none (no swap history read): fees from arbitrage flow only"
    market = market_model(config.blocks, config.step_seconds, history)
    span = config.horizon_days or (history.days if config.historical and history is not None else 30.0)
    widths = config.widths or default_widths(sigma, span)
    if config.widths is None:
        notes.append(
            f"widths from the typical move σ√T = {sigma * math.sqrt(span / 365):.3%} over {span:.3g} days: "
            + ", ".join(f"±{100 * w:g}%" for w in widths)
        )
    specs = study_ranges(ctx, config, widths)
    ticks = {(s.lower, s.upper): _pool_ticks(ctx, s) for s in specs}
    profile = ctx.profile()
    if config.historical:
        if history is None:
            raise StudyError("--historical needs the pool's swap history")
        series = history.series
        if config.horizon_days is not None:
            if config.horizon_days > history.days * 1.001:
                raise StudyError(
                    f"--horizon {config.horizon_days:g}d is longer than the {history.days:.1f} days of "
                    "history read; read more (--history-days) or shorten --horizon"
                )
            i0 = int(np.searchsorted(series.timestamps, series.timestamps[-1] - config.horizon_days * 86400))
            series = PriceSeries(  # the last `horizon` of the history; volumes end at prices[1:]
                series.timestamps[i0:],
                series.prices[i0:],
                None if series.volume0 is None else series.volume0[i0:],
                None if series.volume1 is None else series.volume1[i0:],
                dict(series.meta),
            )
        own = history.is_pool_path
        if not own or config.step_seconds is not None:
            series = series.resample(market.block_time)
        path = series.prices / series.prices[0] * ctx.price  # replay the returns from today's price
        days = float(series.timestamps[-1] - series.timestamps[0]) / 86400
        analysis = analyze_ranges(
            path,
            specs,
            fee=ctx.fee,
            capital=config.capital,
            profile=profile,
            noise_volume=None if own or not noise else noise * market.block_time / 86400,
            path_is="pool" if own else "reference",
            time_weights=np.diff(series.timestamps),
            rank_by=config.rank_by,
            rank_stat=config.rank_stat,
            keep_samples=config.keep_samples,
        )
        if own:
            noise, noise_source = 0.0, "none added: on the pool's own path every swap's volume is counted"
        source = history.describe() if own else f"prices from {history.source}"
        mode = (
            f"one path: the last {days:.1f} days of {source} ({path.size - 1:,} steps), "
            f"replayed from today's price"
        )
        notes.append(mode)
    else:
        horizon_days = config.horizon_days if config.horizon_days is not None else 30.0
        n_steps = max(1, round(horizon_days * 86400 / market.block_time))
        horizon = horizon_days / 365
        model = PathModel(config.model, sigma)  # type: ignore[arg-type]
        chunks = iter_paths(
            model,
            ctx.price,
            horizon,
            n_steps,
            config.paths,
            seed=config.seed,
            blocks=market.blocks,  # type: ignore[arg-type]
        )
        analysis = analyze_ranges(
            _counted(chunks, config.paths, progress),
            specs,
            fee=ctx.fee,
            capital=config.capital,
            profile=profile,
            noise_volume=noise * (horizon_days / n_steps) if noise else None,
            step_years=horizon / n_steps,
            sigma=sigma,
            rank_by=config.rank_by,
            rank_stat=config.rank_stat,
            keep_samples=config.keep_samples,
            workers=config.workers,
        )
        days = horizon_days
        mode = (
            f"{analysis.n_paths} {config.model} paths (seed {config.seed}) over {horizon_days:g} days, "
            f"{n_steps:,} blocks each"
        )
    return RangeStudy(
        pool=ctx.summary(),
        config=config,
        sigma=sigma,
        sigma_source=sigma_source,
        noise_per_day=noise,
        noise_source=noise_source,
        ticks=ticks,
        analysis=analysis,
        history=history,
        seconds=time.perf_counter() - started,
        market=market,
        mode=mode,
        horizon_days=days,
        notes=notes,
    )
