"""Range analysis: fees, LVR, IL, P&L against HODL and rebalancing, time in range, over many paths and ranges.

The model (one step = one block in which an arbitrageur may trade; `amm.analytics.reference` is the same
model written as a plain per-step loop, and the tests hold the two equal):

* ``path`` is the reference (CEX) price ``P_t``. With ``path_is="reference"`` the pool price ``p̃_t`` follows
  it through the fee band (`paths.apply_fee_band`); with ``path_is="pool"`` (historical pool prices, e.g.
  from Swap events) the pool price is the path itself.
* The position is minted at ``P_0`` with ``L = capital / V(P_0; 1, pa, pb)``.
* **Arbitrage (informed) fees** come from the pool's price moves: moving √p̃ from a to b inside the range
  needs ``(L + L_other)·|Δ√p̃|`` token1 in (up) or ``(L + L_other)·|Δ(1/√p̃)|`` token0 in (down); the
  position's share ``L/(L + L_other)`` of the fee ``f/(1−f)`` on that input (fee on input, as v3's
  SwapMath) is ``f/(1−f)·L·|Δ√p̃|`` token1 or ``f/(1−f)·L·|Δ(1/√p̃)|`` token0: independent of the others.
* **Noise (uninformed) fees** come from the given volume ``v_t`` (token1 value per step): half buys paying
  ``f·v_t/2`` in token1, half sells paying ``f·v_t/(2p̃)`` in token0, shared ``L/(L + L_other(p̃_{t−1}))``
  while ``pa ≤ p̃_{t−1} < pb``. Pass only uninformed volume: total pool volume double-counts arbitrage.
* Fees are held as tokens and valued at ``P_T``; so are the position (its tokens at ``p̃_T``) and HODL.
* **LVR** is realized on the reference path, ``Σ x*(P_{t−1})ΔP_t − (V(P_T) − V(P_0))`` ([MMRZ22]): the
  frictionless benchmark that the closed forms predict. ``pnl_vs_rebalancing`` is the LP's P&L (position
  + fees) minus that rebalancing strategy's P&L; with ``path_is="pool"`` it equals ``fees − lvr``.
* State over step t (in range, share of noise volume) is taken at the start of the step, ``p̃_{t−1}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from amm.analytics.binning import BinEdges, PathBins, bin_path
from amm.analytics.grid import (
    RangeSpec,
    explicit_ranges,
    price_to_tick,
    range_grid,
    snap_range,
    tick_to_price,
)
from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.lvr import expected_lvr_v3, expected_time_in_range
from amm.analytics.paths import apply_fee_band
from amm.analytics.position import amounts, capital_efficiency, value
from amm.analytics.range_results import (
    ASSUMPTIONS,
    LOWER_IS_BETTER,
    METRICS,
    TIE_Z,
    RangeAnalysis,
    RangeResult,
)
from amm.analytics.stats import summarize

__all__ = [
    "METRICS",
    "RangeAnalysis",
    "RangeEngine",
    "RangeResult",
    "RangeSpec",
    "analyze_ranges",
    "explicit_ranges",
    "price_to_tick",
    "range_grid",
    "snap_range",
    "tick_to_price",
]

PathIs = Literal["reference", "pool"]


class RangeEngine:
    """Precomputes bins for a set of ranges and a liquidity profile; `path_metrics` evaluates one path."""

    def __init__(
        self,
        ranges: Sequence[RangeSpec],
        *,
        fee: float,
        capital: float,
        profile: LiquidityProfile | None = None,
        path_is: PathIs = "reference",
        protocol_fee_share: float = 0.0,
    ) -> None:
        if not ranges:
            raise ValueError("no ranges to analyse")
        if not 0.0 <= fee < 1.0:
            raise ValueError("fee must be in [0, 1)")
        if capital <= 0:
            raise ValueError("capital must be > 0")
        if path_is not in ("reference", "pool"):
            raise ValueError("path_is must be 'reference' or 'pool'")
        self.ranges = list(ranges)
        self.fee, self.capital, self.path_is = fee, capital, path_is
        self.protocol_fee_share = protocol_fee_share
        self.profile = profile
        self.lower = np.array([r.lower for r in self.ranges], dtype=np.float64)
        self.upper = np.array([r.upper for r in self.ranges], dtype=np.float64)
        edge_list = [self.lower, self.upper]
        if profile is not None:
            edge_list.append(profile.finite_edges())
        self.bins = BinEdges.build(np.concatenate(edge_list))
        self.i_idx = self.bins.index_of_lower(self.lower)
        self.j_idx = self.bins.index_of_lower(self.upper)
        # runs of bins over which other LPs' liquidity is constant (one per profile interval)
        lo_edge = np.concatenate([[0.0], self.bins.edges])
        if profile is None:
            run_id = np.zeros(self.bins.n_bins, dtype=np.intp)
            run_liq = np.zeros(1)
        else:
            run_id = np.searchsorted(profile.edges, lo_edge, side="right")
            run_liq = np.concatenate([[0.0], profile.liquidity, [0.0]])
        starts = np.flatnonzero(np.concatenate([[True], run_id[1:] != run_id[:-1]]))
        ends = np.concatenate([starts[1:] - 1, [run_id.size - 1]])
        self._run_lo, self._run_hi = starts, ends
        self._run_l = run_liq[run_id[starts]]

    def pool_path(self, path: NDArray[np.float64]) -> NDArray[np.float64]:
        return apply_fee_band(path, self.fee) if self.path_is == "reference" else path

    def path_metrics(
        self,
        path: ArrayLike,
        noise_volume: ArrayLike | None = None,
        pool_path: ArrayLike | None = None,
        time_weights: ArrayLike | None = None,
    ) -> dict[str, NDArray[np.float64]]:
        """Metrics for every range on one path (length N+1); ``noise_volume`` is per step (length N).

        ``time_weights`` (length N, e.g. the durations of irregular steps such as Swap events) weight
        ``time_in_range``; by default every step counts the same.

        ``pool_path`` may pass ``self.pool_path(path)`` precomputed (`analyze_ranges` does it for a whole
        chunk at once, which is much faster than path by path).
        """
        p = np.ascontiguousarray(path, dtype=np.float64)
        if p.ndim != 1 or p.size < 2 or not np.all(p > 0):
            raise ValueError("a path is a 1-D array of at least 2 positive prices")
        if self.path_is == "pool":
            q = p
        elif pool_path is None:
            q = self.pool_path(p)
        else:
            q = np.ascontiguousarray(pool_path, dtype=np.float64)
        if q.shape != p.shape:
            raise ValueError("pool_path must have the shape of path")
        noise = (
            None
            if noise_volume is None
            else np.broadcast_to(np.asarray(noise_volume, np.float64), (p.size - 1,))
        )
        w = None
        if time_weights is not None:
            w = np.broadcast_to(np.asarray(time_weights, np.float64), (p.size - 1,))
            if np.any(w < 0) or not np.sum(w) > 0:
                raise ValueError("time_weights must be >= 0 with a positive sum")
        if noise is not None and self.profile is None and np.any(noise > 0):
            raise ValueError(
                "noise volume is shared by liquidity: give a LiquidityProfile "
                "(LiquidityProfile.constant(0.0) if the position would be alone in the pool)"
            )
        pbins = bin_path(self.bins, p, q, noise, w)
        if noise is not None and pbins.nv[-1] > 0:
            visited = np.add.reduceat(pbins.nv_bins, self._run_lo) > 0
            runs = (self._run_lo[visited], self._run_hi[visited], self._run_l[visited])
        else:
            runs = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0))
        return self._metrics(pbins, runs)

    def _metrics(
        self, pb_: PathBins, runs: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]
    ) -> dict[str, NDArray[np.float64]]:
        """All metrics for every range on one path, from its bin prefix sums: O(n_ranges × n_runs)."""
        lower, upper, i_idx, j_idx = self.lower, self.upper, self.i_idx, self.j_idx
        capital, fee, protocol_fee_share = self.capital, self.fee, self.protocol_fee_share
        p0, pt, qt = pb_.p0, pb_.p_end, pb_.q_end
        liq = capital / value(p0, 1.0, lower, upper)
        a, b = i_idx + 1, j_idx + 1  # ranges cover bins a .. j, i.e. prefix indices [a, b)
        lp_share = 1.0 - protocol_fee_share
        g = fee / (1.0 - fee) * lp_share
        fee1 = g * liq * (pb_.up[b] - pb_.up[a])
        fee0 = g * liq * (pb_.down[b] - pb_.down[a])
        fees_arb = fee1 + fee0 * pt

        run_lo, run_hi, run_l = runs
        if run_lo.size:
            lo = np.maximum(a[:, None], run_lo[None, :])
            hi = np.minimum(b[:, None], run_hi[None, :] + 1)
            ok = hi > lo
            lo_c, hi_c = np.where(ok, lo, 0), np.where(ok, hi, 0)
            vol1 = pb_.nv[hi_c] - pb_.nv[lo_c]
            vol0 = pb_.nw[hi_c] - pb_.nw[lo_c]
            share = liq[:, None] / (liq[:, None] + run_l[None, :])
            h = 0.5 * fee * lp_share
            fees_noise = h * np.sum(share * (vol1 + pt * vol0), axis=1)
        else:
            fees_noise = np.zeros_like(liq)

        with np.errstate(divide="ignore", invalid="ignore"):
            inv_a = np.where(lower > 0, 1.0 / np.sqrt(lower), 0.0)
        inv_b = np.where(np.isfinite(upper), 1.0 / np.sqrt(upper), 0.0)
        below = np.where(i_idx >= 0, (inv_a - inv_b) * pb_.dp[a], 0.0)
        rebal = liq * (below + (pb_.dps[b] - pb_.dps[a]) - inv_b * (pb_.dp[b] - pb_.dp[a]))
        v_ref_t = value(pt, liq, lower, upper)
        lvr = rebal - (v_ref_t - capital)

        xq, yq = amounts(qt, liq, lower, upper)
        v_t = xq * pt + yq
        x0, y0 = amounts(p0, liq, lower, upper)
        hodl = x0 * pt + y0
        fees = fees_arb + fees_noise
        return {
            "fees": fees,
            "fees_arb": fees_arb,
            "fees_noise": fees_noise,
            "lvr": lvr,
            "il": v_t / hodl - 1.0,
            "pnl": v_t + fees - capital,
            "pnl_vs_hodl": v_t + fees - hodl,
            "pnl_vs_rebalancing": v_t + fees - capital - rebal,
            "time_in_range": (pb_.count[b] - pb_.count[a]) / pb_.n_steps,
            "final_value": v_t + fees,
        }


def _noise_rows(noise_volume: ArrayLike | None, n_paths: int, n_steps: int) -> NDArray[np.float64] | None:
    if noise_volume is None:
        return None
    nv = np.asarray(noise_volume, dtype=np.float64)
    if nv.ndim == 0 and float(nv) == 0.0:
        return None
    if np.any(nv < 0):
        raise ValueError("noise volume must be >= 0")
    try:
        return np.broadcast_to(nv, (n_paths, n_steps))
    except ValueError:
        raise ValueError(
            f"noise_volume of shape {nv.shape} does not fit (n_paths, n_steps) = ({n_paths}, {n_steps})"
        ) from None


def analyze_ranges(
    paths: ArrayLike | Iterable[ArrayLike],
    ranges: Sequence[RangeSpec],
    *,
    fee: float,
    capital: float,
    profile: LiquidityProfile | None = None,
    noise_volume: ArrayLike | None = None,
    path_is: PathIs = "reference",
    protocol_fee_share: float = 0.0,
    time_weights: ArrayLike | None = None,
    step_years: float | None = None,
    sigma: float | None = None,
    rank_by: str = "pnl_vs_rebalancing",
    rank_stat: str = "mean",
    keep_samples: bool = False,
    workers: int = 1,
) -> RangeAnalysis:
    """Evaluate ``ranges`` on every path and rank them.

    ``paths``: array (n_paths, n_steps+1) or (n_steps+1,), or an iterable of such chunks (e.g.
    `paths.iter_paths`), all starting at the same price. ``noise_volume``: uninformed volume in token1 per
    step, a scalar or broadcastable to (n_paths, n_steps) (chunks: scalar or (n_steps,)). ``profile``: other
    LPs' liquidity, required with noise volume.
    ``time_weights`` (n_steps,) weight ``time_in_range`` by step duration: for an event-level historical
    series use ``np.diff(series.timestamps)`` with ``path_is="pool"`` (then every swap's price move is
    counted as flow, so pass no noise volume; valid while L_pos ≪ the pool's active liquidity).
    ``step_years`` and ``sigma`` add closed-form GBM companions (expected LVR, expected time in range) to
    each result, for a sanity check against the Monte Carlo means. ``rank_by`` is a metric in `METRICS`
    and ``rank_stat`` one of mean/p5/p50/p95. Every range is evaluated on the same paths (common random
    numbers), so each range's paired difference to the best has a small standard error; ranges within
    `TIE_Z` of it are marked tied, and a range never in range on any step is ranked after all that trade.
    The default metric, P&L against the rebalancing portfolio (fees − LVR in the frictionless limit),
    hedges the price move that dominates P&L against HODL, so its ranking does not flip with the seed.
    ``workers`` > 1 evaluates paths in threads (numpy releases the GIL in the heavy steps).
    """
    if rank_by not in METRICS:
        raise ValueError(f"rank_by must be one of {METRICS}")
    if rank_stat not in ("mean", "p5", "p50", "p95"):
        raise ValueError("rank_stat must be mean, p5, p50 or p95")
    engine = RangeEngine(
        ranges,
        fee=fee,
        capital=capital,
        profile=profile,
        path_is=path_is,
        protocol_fee_share=protocol_fee_share,
    )
    if isinstance(paths, list | tuple):
        paths = np.asarray(paths, dtype=np.float64)
    if isinstance(paths, np.ndarray):
        chunks: Iterable[ArrayLike] = list(paths) if paths.ndim == 3 else [paths]
    else:
        chunks = paths
    per_metric: dict[str, list[NDArray[np.float64]]] = {m: [] for m in METRICS}
    n_paths = 0
    n_steps = -1
    price0: float | None = None
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        for chunk in chunks:
            arr = np.asarray(chunk, dtype=np.float64)
            if arr.ndim == 1:
                arr = arr[None, :]
            if n_steps < 0:
                n_steps = arr.shape[1] - 1
                price0 = float(arr[0, 0])
            if arr.shape[1] - 1 != n_steps:
                raise ValueError("all paths must have the same number of steps")
            if not np.allclose(arr[:, 0], price0, rtol=1e-12, atol=0.0):
                raise ValueError("all paths must start at the same price")
            noise = _noise_rows(noise_volume, arr.shape[0], n_steps)
            if not np.all(arr > 0):
                raise ValueError("prices must be > 0")
            pool_arr = engine.pool_path(arr)  # whole chunk at once: vectorised across paths
            rows = range(arr.shape[0])

            def one(
                i: int,
                arr: NDArray[np.float64] = arr,
                pool_arr: NDArray[np.float64] = pool_arr,
                noise: NDArray[np.float64] | None = noise,
            ) -> dict:
                nv = None if noise is None else noise[i]
                return engine.path_metrics(arr[i], nv, pool_arr[i], time_weights)

            results = pool.map(one, rows) if pool else map(one, rows)
            for res in results:
                for m in METRICS:
                    per_metric[m].append(res[m])
            n_paths += arr.shape[0]
    finally:
        if pool:
            pool.shutdown()
    if n_paths == 0 or price0 is None:
        raise ValueError("no paths given")
    samples = {m: np.vstack(v) for m, v in per_metric.items()}
    stats = {m: summarize(samples[m], axis=0) for m in METRICS}
    liq = capital / value(price0, 1.0, engine.lower, engine.upper)
    eff = capital_efficiency(price0, engine.lower, engine.upper)
    closed: list[dict[str, float]] = [{} for _ in engine.ranges]
    horizon = None if step_years is None else step_years * n_steps
    if horizon is not None and sigma is not None:
        e_lvr = expected_lvr_v3(sigma, horizon, liq, price0, pa=engine.lower, pb=engine.upper)
        e_tir = expected_time_in_range(sigma, horizon, price0, engine.lower, engine.upper)
        for k in range(len(closed)):
            closed[k] = {"lvr_expected_gbm": float(e_lvr[k]), "time_in_range_expected_gbm": float(e_tir[k])}
    key = np.array([getattr(stats[rank_by][k], rank_stat) for k in range(len(engine.ranges))])
    trades = samples["time_in_range"].max(axis=0) > 0
    signed = key if rank_by in LOWER_IS_BETTER else -key
    order = np.lexsort((signed, ~trades))  # ranges that trade first, then by the metric
    best = int(order[0])
    diff = samples[rank_by] - samples[rank_by][:, [best]]  # paired: the same paths for every range
    vs_best = diff.mean(axis=0)
    vs_se = diff.std(axis=0, ddof=1) / np.sqrt(n_paths) if n_paths > 1 else np.full(diff.shape[1], np.nan)
    tied = (np.abs(vs_best) <= TIE_Z * vs_se) & trades
    tied[best] = False
    results = [
        RangeResult(
            rank=rank + 1,
            lower=engine.ranges[k].lower,
            upper=engine.ranges[k].upper,
            label=engine.ranges[k].label,
            liquidity=float(liq[k]),
            capital_efficiency=float(eff[k]),
            metrics={m: stats[m][k] for m in METRICS},
            closed_form=closed[k],
            vs_best=float(vs_best[k]),
            vs_best_stderr=float(vs_se[k]),
            tied=bool(tied[k]),
            trades=bool(trades[k]),
        )
        for rank, k in enumerate(order)
    ]
    return RangeAnalysis(
        results=results,
        rank_by=rank_by,
        rank_stat=rank_stat,
        price=price0,
        fee=fee,
        capital=capital,
        n_paths=n_paths,
        n_steps=n_steps,
        horizon_years=horizon,
        path_is=path_is,
        assumptions=list(ASSUMPTIONS),
        samples=samples if keep_samples else None,
    )
