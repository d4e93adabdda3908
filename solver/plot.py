"""The picture of a run: PnL, inventory value and one token's fair value per block, from the ledger's marks.

Matplotlib with the Agg backend (no display needed); `solver run --plot FILE.png` calls `plot_run`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from amm.chain import addresses as mainnet
from solver.accounting.ledger import Ledger


def plot_run(
    ledger: Ledger,
    path: str | Path,
    *,
    token: str = mainnet.WETH,
    symbol: str = "WETH",
    numeraire: str = "USDC",
) -> Path:
    """Write a PNG of three stacked panels over the run's blocks: cumulative PnL, inventory value (both in
    the numeraire) and the fair value of `token` (address; labelled `symbol`) in numeraire per token.
    Returns the path written."""
    marks = ledger.marks()
    blocks = [m.block for m in marks]
    pnl = [float(m.pnl_total) for m in marks]
    value = [float(m.inventory_value) for m in marks]
    key = token.lower()
    fair_points = [(m.block, float(v)) for m in marks for t, v in m.fair_values.items() if t.lower() == key]

    figure, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(9, 8), constrained_layout=True)
    try:
        top.plot(blocks, pnl, color="tab:blue", drawstyle="steps-post")
        top.axhline(0, color="grey", linewidth=0.8)
        top.set_ylabel(f"PnL ({numeraire})")
        top.set_title(f"solver run: {len(marks)} blocks")
        middle.plot(blocks, value, color="tab:green", drawstyle="steps-post")
        middle.set_ylabel(f"inventory value ({numeraire})")
        bottom.plot([b for b, _ in fair_points], [v for _, v in fair_points], color="tab:orange")
        bottom.set_ylabel(f"{symbol} fair value ({numeraire}/{symbol})")
        bottom.set_xlabel("block")
        for axes in (top, middle, bottom):
            axes.grid(True, alpha=0.3)
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.2f}" if axes is bottom else "{x:,.0f}"))
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
        if not marks:
            top.text(0.5, 0.5, "no blocks marked", transform=top.transAxes, ha="center")
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, format="png", dpi=100)
    finally:
        plt.close(figure)
    return out
