"""PNG plots for the CLI: the pool's liquidity profile with the chosen ranges, and the P&L distribution."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

from amm.analytics.liquidity import LiquidityProfile
from amm.lp.study import RangeStudy

matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, and testable
COLORS = ("tab:green", "tab:blue", "tab:orange", "tab:purple", "tab:red")


def _window(price: float, ranges: list[tuple[float, float]]) -> tuple[float, float]:
    """The price window around the ranges shown, padded by a fifth of their span on each side: a fixed ±25%
    would squeeze a stable pool's ±0.2% ranges into one pixel."""
    finite = [b for r in ranges for b in r if 0 < b < math.inf]
    if not finite:
        return price / 1.25, price * 1.25
    lo, hi = min([price, *finite]), max([price, *finite])
    pad = max((hi / lo) ** 0.2, 1.0005)
    return lo / pad, hi * pad


def draw_profile(
    ax: plt.Axes, profile: LiquidityProfile, price: float, window: tuple[float, float], unit: str
) -> None:
    edges, liquidity = profile.edges, profile.liquidity
    keep = (edges[1:] > window[0]) & (edges[:-1] < window[1])
    left = np.clip(edges[:-1][keep], *window)
    right = np.clip(edges[1:][keep], *window)
    ax.bar(
        left, liquidity[keep], width=right - left, align="edge", color="0.75", edgecolor="0.6", linewidth=0.3
    )
    ax.axvline(price, color="black", linewidth=1, label=f"price {price:,.6g}")
    ax.set_xlim(*window)
    ax.set_xlabel(unit)
    ax.set_ylabel("active liquidity (other LPs)")


def plot_pool(path: Path, profile: LiquidityProfile, price: float, title: str, unit: str) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    draw_profile(ax, profile, price, (price / 1.5, price * 1.5), unit)
    ax.set_title(title)
    ax.legend(loc="upper right")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_study(
    path: Path, study: RangeStudy, profile: LiquidityProfile, unit: str, quote: str, top: int = 5
) -> None:
    """Three panels: profile with the top ranges, the ranking metric's distributions, fees against LVR.

    The title says what was simulated or replayed and under which market model, as the table does."""
    analysis = study.analysis
    metric = analysis.rank_by
    best = analysis.results[:top]
    fig, axes = plt.subplots(1, 3, figsize=(17, 5), layout="constrained")
    ax = axes[0]
    window = _window(analysis.price, [(r.lower, r.upper) for r in best])
    draw_profile(ax, profile, analysis.price, window, unit)
    peak = float(profile.liquidity.max()) if profile.liquidity.size else 1.0
    for i, (r, color) in enumerate(zip(best, COLORS, strict=False)):  # brackets above the profile
        lo, hi = max(r.lower, window[0]), min(r.upper, window[1])
        y = peak * (1.06 + 0.07 * i)
        ax.plot(
            [lo, hi], [y, y], color=color, linewidth=3, solid_capstyle="butt", label=f"#{r.rank} {r.label}"
        )
        ax.plot([lo, lo], [0, y], color=color, linewidth=0.6, linestyle=":")
        ax.plot([hi, hi], [0, y], color=color, linewidth=0.6, linestyle=":")
    ax.set_ylim(0, peak * (1.12 + 0.07 * len(best)))
    ax.set_title(f"{study.pool['name']}: liquidity and the top ranges")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)  # off the bars

    ax = axes[1]
    samples = analysis.samples
    if samples is not None and analysis.n_paths > 1:
        order = [_input_index(study, r) for r in best]
        data = [samples[metric][:, k] for k in order]
        parts = ax.violinplot(data, showmedians=True)
        for body, color in zip(parts["bodies"], COLORS, strict=False):
            body.set_facecolor(color)
        ax.set_xticks(range(1, len(best) + 1), [f"#{r.rank}\n{r.label}" for r in best], fontsize=8)
    else:
        values = [r.metrics[metric].mean for r in best]
        ax.bar(range(1, len(best) + 1), values, color=COLORS[: len(best)])
        ax.set_xticks(range(1, len(best) + 1), [f"#{r.rank}\n{r.label}" for r in best], fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"{metric} ({quote})")
    ax.set_title(f"{metric} over {analysis.n_paths} path(s), the same for every range")

    ax = axes[2]
    fees = [r.metrics["fees"].mean for r in analysis.results]
    lvr = [r.metrics["lvr"].mean for r in analysis.results]
    ax.scatter(lvr, fees, color="tab:blue")
    for r, x, y in zip(analysis.results, lvr, fees, strict=True):  # rank numbers: short labels do not collide
        ax.annotate(f"#{r.rank}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    top_value = max([*fees, *lvr, 1e-12])
    ax.plot([0, top_value], [0, top_value], color="0.5", linestyle="--", linewidth=0.8, label="fees = LVR")
    ax.set_xlabel(f"LVR ({quote}, mean)")
    ax.set_ylabel(f"fees ({quote}, mean)")
    ax.set_title("fees against LVR: above the line beats rebalancing")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8)
    fig.suptitle(
        f"{study.pool['name']} at block {study.pool['block']}: capital {analysis.capital:,.0f} {quote}, "
        f"σ {study.sigma:.1%}/year, {study.horizon_days:.3g} days\n{study.mode}\n{study.market.describe()}",
        fontsize=10,
    )
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _input_index(study: RangeStudy, result: object) -> int:
    """Column of a ranked result in the samples, which keep the ranges' input order (so does `ticks`)."""
    return list(study.ticks).index((result.lower, result.upper))  # type: ignore[attr-defined]
