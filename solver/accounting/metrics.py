"""Figures of a run's PnL path (Sharpe, max drawdown) and the summary `solver run --json` prints.

Assumptions, printed nowhere else, so stated here:
- The path is cumulative PnL in numeraire, one point per block stepped, starting at 0. Sharpe is taken on its
  per-block increments (PnL, not returns on capital: mean / standard deviation is the same ratio either way
  for a fixed capital), with a zero risk-free rate and the sample standard deviation (ddof = 1).
- Annualised by √(blocks per year), blocks per year = 365 days / block time (12 s by default: crypto trades
  every day). Blocks with no trade count: they are flat increments, as they are for the inventory's risk.
- Drawdown is the largest fall from a running peak of the path (absolute, numeraire, exact); relative is that
  fall over the peak's equity, capital + peak PnL, where capital is the inventory's value at the first block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

import numpy as np

from solver.accounting.ledger import Ledger, Status
from solver.accounting.units import EXACT, Number, to_decimal, to_text

SECONDS_PER_YEAR = 365 * 24 * 3600


def sharpe_ratio(path: Sequence[Number], *, block_time_seconds: float = 12.0) -> float | None:
    """Annualised Sharpe ratio of the per-block increments of `path`; None when it is undefined (fewer than
    two increments, or no variation)."""
    values = np.array([float(to_decimal(v)) for v in path], dtype=float)
    increments = np.diff(values)
    if increments.size < 2:
        return None
    deviation = float(np.std(increments, ddof=1))
    if deviation == 0.0 or not math.isfinite(deviation):
        return None
    return float(np.mean(increments)) / deviation * math.sqrt(SECONDS_PER_YEAR / block_time_seconds)


def max_drawdown(path: Sequence[Number], *, capital: Number = 0) -> dict[str, Decimal | float | None]:
    """{"absolute": the largest fall from a running peak (exact), "relative": that fall's share of the equity
    at its peak (capital + peak PnL; None where no peak had positive equity)}. Absolute and relative maxima
    may come from different falls, as each is the worst of its own kind."""
    base = to_decimal(capital)
    worst = Decimal(0)
    worst_share: float | None = None
    peak: Decimal | None = None
    with localcontext(EXACT):
        for point in map(to_decimal, path):
            peak = point if peak is None or point > peak else peak
            fall = peak - point
            worst = max(worst, fall)
            equity = base + peak
            if equity > 0:
                share = float(fall) / float(equity)
                worst_share = share if worst_share is None else max(worst_share, share)
    return {"absolute": worst, "relative": worst_share}


def summary(ledger: Ledger, *, block_time_seconds: float = 12.0, numeraire: str = "USDC") -> dict[str, Any]:
    """The run's figures from its ledger alone (so they survive a restart), JSON-ready: exact amounts as
    decimal strings, ratios as floats or None. The keys `orders_seen`, `filled`, `skipped`,
    `internalized_share`, `swappers_surplus`, `pnl`, `sharpe` and `max_drawdown` are the ones scripts rely
    on.

    `internalized_share` is the share of filled orders settled wholly from inventory; split fills are counted
    in `fills_by_mode` beside it, not apportioned."""
    counts = ledger.status_counts()
    by_mode = ledger.fill_modes()
    filled = counts.get(Status.FILLED.value, 0)
    marks = ledger.marks()
    path = [Decimal(0), *(m.pnl_total for m in marks)]
    capital = Decimal(0)
    if marks:  # the inventory's value before the first block: its value after, less what the block changed
        with localcontext(EXACT):
            first_gas = ledger.pnl_attribution(block=marks[0].block)["gas"]
            capital = marks[0].inventory_value - (marks[0].pnl_total - first_gas)
    attribution = ledger.pnl_attribution()
    drawdown = max_drawdown(path, capital=capital)
    surplus, surplus_orders = ledger.swappers_surplus()
    return {
        "orders_seen": sum(counts.values()),
        "filled": filled,
        "skipped": ledger.skipped_by_reason(),
        "reverted": counts.get(Status.REVERTED.value, 0),
        "pending": len(ledger.pending()),
        "internalized_share": by_mode.get("inventory", 0) / filled if filled else None,
        "fills_by_mode": by_mode,
        "pnl": {
            "numeraire": numeraire,
            "total": to_text(path[-1]),
            "attribution": {kind: to_text(amount) for kind, amount in attribution.items()},
        },
        # what the swappers got beyond the worst they signed for (`solver.accounting.surplus`), at fair value
        # when each fill was booked; `orders` counts the filled orders it covers
        "swappers_surplus": {"numeraire": numeraire, "total": to_text(surplus), "orders": surplus_orders},
        "sharpe": sharpe_ratio(path, block_time_seconds=block_time_seconds),
        "max_drawdown": {
            "absolute": to_text(drawdown["absolute"]),  # type: ignore[arg-type]
            "relative": drawdown["relative"],
        },
        "capital": to_text(capital),
    }
