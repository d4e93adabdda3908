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
from amm.analytics.paths import PathModel, iter_paths
from amm.analytics.ranges import METRICS, RangeAnalysis, analyze_ranges
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
    horizon_days: float = 30.0
    step_seconds: float = 12.0  # one step is one block with one arbitrage opportunity
    paths: int = 200
    seed: int = 0
    model: str = "gbm"  # gbm | merton | student_t
    vol: float | None = None  # annualised; None: estimated from the pool's swaps
    widths: tuple[float, ...] = DEFAULT_WIDTHS  # half-widths: w gives [P/(1+w), P(1+w))
    centres: tuple[float, ...] = (1.0,)  # multiples of the current price
    bounds: tuple[tuple[float, float], ...] = ()  # explicit display ranges, added to the grid
    full_range: bool = True
    capital: float = 10_000.0  # in the quote token
    noise_per_day: float | None = None  # uninformed volume, quote per day; None: estimated from history
    rank_by: str = "pnl_vs_hodl"
    rank_stat: str = "mean"
    historical: bool = False  # replay the pool's own price history instead of simulating
    keep_samples: bool = False
    workers: int = 2

    def __post_init__(self) -> None:
        if self.horizon_days <= 0 or self.step_seconds <= 0 or self.paths < 1 or self.capital <= 0:
            raise StudyError("horizon, step, paths and capital must be positive")
        if self.rank_by not in METRICS:
            raise StudyError(f"--rank-by must be one of {', '.join(METRICS)}")
        if any(w <= 0 for w in self.widths) or any(c <= 0 for c in self.centres):
            raise StudyError("widths and centres must be positive")
        for lo, hi in self.bounds:
            if not 0 < lo < hi:
                raise StudyError(f"a range needs 0 < lower < upper, got {lo:g}-{hi:g}")


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
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        results = []
        for r in self.analysis.results:
            row = r.to_dict()
            lo_tick, hi_tick = self.ticks.get((r.lower, r.upper), (None, None))
            row["tick_lower"], row["tick_upper"] = lo_tick, hi_tick
            results.append(row)
        analysis = self.analysis.to_dict()
        analysis["results"] = results
        return {
            "pool": self.pool,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in self.config.__dict__.items()},
            "sigma": self.sigma,
            "sigma_source": self.sigma_source,
            "noise_per_day": json_float(self.noise_per_day),
            "noise_source": self.noise_source,
            "history": self.history.to_dict() if self.history else None,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
            "analysis": analysis,
        }


def study_ranges(ctx: PoolContext, config: RangeStudyConfig) -> list[RangeSpec]:
    """The grid (width x centre) and explicit ranges, each snapped to ticks the pool accepts."""
    price = ctx.price
    specs: dict[tuple[float, float], RangeSpec] = {}
    for centre in config.centres:
        for width in config.widths:
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
        noise, noise_source = config.noise_per_day, "given"
    elif history is not None and math.isfinite(history.noise_quote_per_day):
        noise = history.noise_quote_per_day
        noise_source = (
            f"estimated: {history.volume_quote_per_day:,.0f} traded per day minus "
            f"{history.flow_quote_per_day:,.0f} explained by the price path"
        )
    else:
        noise, noise_source = 0.0, "none (no history read): fees from arbitrage flow only"
    specs = study_ranges(ctx, config)
    ticks = {(s.lower, s.upper): _pool_ticks(ctx, s) for s in specs}
    profile = ctx.profile()
    if config.historical:
        if history is None:
            raise StudyError("--historical needs the pool's swap history")
        series = history.series.resample(config.step_seconds) if config.step_seconds > 1 else history.series
        path = series.prices / series.prices[0] * ctx.price  # replay the returns from today's price
        own = history.is_pool_path
        analysis = analyze_ranges(
            path,
            specs,
            fee=ctx.fee,
            capital=config.capital,
            profile=profile,
            noise_volume=None if own or not noise else noise * config.step_seconds / 86400,
            path_is="pool" if own else "reference",
            time_weights=np.diff(series.timestamps),
            rank_by=config.rank_by,
            rank_stat=config.rank_stat,
            keep_samples=config.keep_samples,
        )
        if own:
            noise, noise_source = 0.0, "none: on the pool's own path every swap's volume is price flow"
        notes.append(
            f"historical: one path, the returns of {history.describe()}, replayed from today's price"
        )
    else:
        n_steps = max(1, round(config.horizon_days * 86400 / config.step_seconds))
        horizon = config.horizon_days / 365
        model = PathModel(config.model, sigma)  # type: ignore[arg-type]
        chunks = iter_paths(model, ctx.price, horizon, n_steps, config.paths, seed=config.seed)
        analysis = analyze_ranges(
            _counted(chunks, config.paths, progress),
            specs,
            fee=ctx.fee,
            capital=config.capital,
            profile=profile,
            noise_volume=noise * config.step_seconds / 86400 if noise else None,
            step_years=config.step_seconds / SECONDS_PER_YEAR,
            sigma=sigma,
            rank_by=config.rank_by,
            rank_stat=config.rank_stat,
            keep_samples=config.keep_samples,
            workers=config.workers,
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
        notes=notes,
    )
