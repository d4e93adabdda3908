"""The picture of a stress run: loss distributions per variant, and one path's prices and fund over time.

Matplotlib with the Agg backend (files only, no display); `solver stress run --plot FILE.png` calls
`plot_result`. Why these panels: the distribution says how bad a design gets across seeds; the single path
says *why* (a mark that stayed on Friday's price, a fund that went to zero in one block).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from solver.stress.engine import Result

COLOURS = {"orderbook": "tab:blue", "vault": "tab:orange", "onchain": "tab:green"}


def _label(v: dict[str, Any]) -> str:
    return "/".join(str(v[k]) for k in ("architecture", "mark_rule", "oracle_rule") if k in v)


def plot_result(result: Result, path: str | Path, variant: str | None = None) -> Path:
    """Write a PNG: top, the loss (bad debt) per variant over the seeds with the fund's size, and the
    fund's exhaustion rate; bottom, for the first seed, underlying/proxy/oracle/mark/last of `variant`
    (default: the first) and the fund balance of every variant. Returns the path written."""
    path = Path(path)
    figure = plt.figure(figsize=(13, 9), constrained_layout=True)
    grid = figure.add_gridspec(2, 2, height_ratios=(1.1, 1))
    losses = figure.add_subplot(grid[0, :])
    prices = figure.add_subplot(grid[1, 0])
    funds = figure.add_subplot(grid[1, 1], sharex=prices)
    try:
        labels = [_label(v) for v in result.summary]
        data = [[r["bad_debt"] for r in result.rows if _label(r) == label] or [0.0] for label in labels]
        boxes = losses.boxplot(data, patch_artist=True, showfliers=True)
        for box, v in zip(boxes["boxes"], result.summary, strict=True):
            box.set_facecolor(COLOURS.get(v["architecture"], "tab:gray"))
            box.set_alpha(0.6)
        losses.set_xticks(range(1, len(labels) + 1), labels, rotation=35, ha="right", fontsize=8)
        if result.rows:
            losses.axhline(result.rows[0]["fund_start"], color="black", linestyle="--", linewidth=1)
            losses.text(0.6, result.rows[0]["fund_start"], " insurance fund", va="bottom", fontsize=8)
        rates = losses.twinx()
        rates.plot(
            range(1, len(labels) + 1),
            [v["fund"]["exhaustion_rate"] for v in result.summary],
            "o",
            color="tab:red",
            label="fund exhausted (share of seeds)",
        )
        rates.set_ylim(-0.05, 1.05)
        rates.set_ylabel("exhaustion rate", color="tab:red")
        losses.set_ylabel("bad debt per path ($)")
        losses.set_title(
            f"{result.scenario}: loss per variant over {len(result.seeds)} seeds "
            "(boxes: bad debt; red: share of seeds that exhausted the fund)",
            loc="left",
        )
        if result.traces:
            chosen = variant if variant in result.traces else next(iter(result.traces))
            trace = result.traces[chosen]
            times = [datetime.fromisoformat(p["time"]) for p in trace]
            for key, style in (("underlying", "k-"), ("proxy", "k:"), ("oracle", "b-"), ("mark", "r--")):
                prices.plot(times, [p[key] for p in trace], style, label=key, drawstyle="steps-post")
            prices.plot(times, [p["last"] for p in trace], ".", color="tab:green", label="last", ms=3)
            prices.set_title(f"seed {result.seeds[0]}, {chosen}: prices", loc="left")
            prices.set_ylabel("price ($)")
            prices.legend(fontsize=8)
            for label, steps in result.traces.items():
                arch = label.split("/")[0]
                funds.plot(
                    [datetime.fromisoformat(p["time"]) for p in steps],
                    [p["fund"] for p in steps],
                    color=COLOURS.get(arch, "tab:gray"),
                    alpha=0.7,
                    linewidth=1,
                    drawstyle="steps-post",
                    label=label,
                )
            funds.set_title(f"seed {result.seeds[0]}: insurance fund per variant", loc="left")
            funds.set_ylabel("fund ($)")
            funds.legend(fontsize=6, ncol=2)
            for ax in (prices, funds):
                ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return path


def metric_value(entry: dict[str, Any], metric: str) -> float | None:
    """A summary entry's figure by dotted path (`fund.exhaustion_rate`, `pnl.mean`, `figures.il_usd`,
    `books.perp_hedge.pnl.mean`); None where the entry has no such figure."""
    value: Any = entry
    for part in metric.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return None if value is None or isinstance(value, dict) else float(value)


def heatmap_cells(entries: list[dict[str, Any]], grid: dict[str, list[Any]], metric: str) -> np.ndarray:
    """`metric` of each entry placed at (second axis value, first axis value) of `grid`; NaN where no
    entry has the figure. One axis: a single row."""
    axes = list(grid)
    x_key, y_key = axes[0], axes[1] if len(axes) > 1 else None
    xs, ys = grid[x_key], grid[y_key] if y_key else [None]
    cells = np.full((len(ys), len(xs)), np.nan)
    for entry in entries:
        value = metric_value(entry, metric)
        if value is not None:
            cells[ys.index(entry[y_key]) if y_key else 0, xs.index(entry[x_key])] = value
    return cells


def plot_heatmap(
    summary: list[dict[str, Any]],
    grid: dict[str, list[Any]],
    path: str | Path,
    metric: str,
    panel_keys: tuple[str, ...],
    title: str,
    max_panels: int = 9,
) -> Path:
    """A heatmap of `metric` over the first two grid axes (one axis: a single row), one panel per variant
    (the values of `panel_keys`), at most `max_panels` panels. Returns the path written."""
    axes = list(grid)
    if not axes:
        raise ValueError("a heatmap needs at least one grid axis")
    x_key, y_key = axes[0], axes[1] if len(axes) > 1 else None
    xs, ys = grid[x_key], grid[y_key] if y_key else [None]
    panels: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for entry in summary:
        panels.setdefault(tuple(entry.get(k) for k in panel_keys), []).append(entry)
    chosen = list(panels.items())[:max_panels]
    values = [v for _, entries in chosen for e in entries if (v := metric_value(e, metric)) is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    # green is good: more PnL, fees or savings; fewer breaches, exhaustion, bad debt or drawdown
    good_high = any(word in metric for word in ("pnl", "saved", "fees", "distance", "profit"))
    cmap = "RdYlGn" if good_high else "RdYlGn_r"
    columns = min(3, len(chosen))
    rows = -(-len(chosen) // columns)
    figure, grid_axes = plt.subplots(
        rows, columns, figsize=(4.6 * columns, 3.6 * rows), squeeze=False, constrained_layout=True
    )
    try:
        for ax in grid_axes.flat[len(chosen) :]:
            ax.set_visible(False)
        for ax, (key, entries) in zip(grid_axes.flat, chosen, strict=False):
            cells = heatmap_cells(entries, grid, metric)
            image = ax.imshow(cells, origin="lower", aspect="auto", cmap=cmap, vmin=low, vmax=high)
            for (i, j), value in np.ndenumerate(cells):
                if not np.isnan(value):
                    ax.text(j, i, f"{value:,.3g}", ha="center", va="center", fontsize=8)
            ax.set_xticks(range(len(xs)), [str(x) for x in xs], fontsize=8)
            ax.set_xlabel(x_key)
            ax.set_yticks(range(len(ys)), [str(y) for y in ys] if y_key else [""], fontsize=8)
            if y_key:
                ax.set_ylabel(y_key)
            ax.set_title("/".join(str(k) for k in key) or metric, fontsize=9, loc="left")
            figure.colorbar(image, ax=ax, shrink=0.8)
        figure.suptitle(
            f"{title}: {metric}"
            + (f" (first {max_panels} of {len(panels)})" if len(panels) > max_panels else "")
        )
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return Path(path)


BOOK_TITLES = {
    "lp": "LP position",
    "solver_inventory": "solver inventory",
    "perp_hedge": "perp hedge",
    "venue_fund": "venue fund",
}


def plot_books(result: Result, path: str | Path, lead: tuple[str, ...]) -> Path:
    """Write a PNG for a scenario that reports per book: top, each book's PnL per variant over the seeds
    (boxes); bottom, for the first seed (when traced), the market prices relative to the start with the
    hedge venue's outage shaded, and the LP's and the solver's value change per variant over time."""
    path = Path(path)
    books = list(dict.fromkeys(r["book"] for r in result.rows))
    variants = list(dict.fromkeys(tuple(r[k] for k in lead) for r in result.rows))
    traced = bool(result.traces) and all("prices" in t[0] for t in result.traces.values() if t)
    figure = plt.figure(figsize=(4.2 * max(2, len(books)), 8.5 if traced else 4.5), constrained_layout=True)
    grid = figure.add_gridspec(2 if traced else 1, max(2, len(books)))
    try:
        for n, book in enumerate(books):
            ax = figure.add_subplot(grid[0, n])
            present = [
                (v, [r["pnl"] for r in result.rows if r["book"] == book and tuple(r[k] for k in lead) == v])
                for v in variants
            ]
            present = [(v, d) for v, d in present if d]
            ax.boxplot([d for _, d in present])
            ax.set_xticks(
                range(1, len(present) + 1),
                ["/".join(map(str, v)) for v, _ in present],
                rotation=30,
                ha="right",
                fontsize=8,
            )
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_title(f"{BOOK_TITLES.get(book, book)}: PnL ($)", loc="left", fontsize=10)
        if traced:
            prices = figure.add_subplot(grid[1, : max(1, len(books) // 2)])
            values = figure.add_subplot(grid[1, max(1, len(books) // 2) :], sharex=prices)
            first = next(iter(result.traces.values()))
            hours = [p["time_s"] / 3600 for p in first]
            for symbol in first[0]["prices"]:
                start = first[0]["prices"][symbol]
                if symbol != "USDC" and start:
                    prices.plot(hours, [p["prices"][symbol] / start for p in first], label=symbol)
            closed = [h for h, p in zip(hours, first, strict=True) if not p.get("hedge_open", True)]
            if closed:
                prices.axvspan(
                    min(closed), max(closed), color="tab:red", alpha=0.12, label="hedge venue down"
                )
            prices.set_title(f"seed {result.seeds[0]}: prices / start", loc="left", fontsize=10)
            prices.set_xlabel("hours")
            prices.legend(fontsize=8)
            for label, steps in result.traces.items():
                t = [p["time_s"] / 3600 for p in steps]
                for key, style in (("lp_value", "-"), ("solver_value", "--")):
                    if steps and steps[0].get(key) is not None:
                        values.plot(
                            t, [p[key] - steps[0][key] for p in steps], style, label=f"{label} {key[:-6]}"
                        )
            values.axhline(0, color="black", linewidth=0.6)
            values.set_title(
                f"seed {result.seeds[0]}: LP (solid) and solver (dashed) value change ($)",
                loc="left",
                fontsize=10,
            )
            values.set_xlabel("hours")
            values.legend(fontsize=7, ncol=2)
        figure.suptitle(f"{result.scenario}: {len(result.seeds)} seeds", fontsize=11)
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return path
