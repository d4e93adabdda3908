"""What a range analysis returns: each range's figures (`RangeResult`), the ranked set with what it rests on
(`RangeAnalysis`), the metric names, and the model's stated assumptions. `amm.analytics.ranges` computes
them; this module only holds and serialises them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from amm.analytics.stats import Stat, json_float

METRICS: tuple[str, ...] = (
    "fees",
    "fees_arb",
    "fees_noise",
    "lvr",
    "il",
    "pnl",
    "pnl_vs_hodl",
    "pnl_vs_rebalancing",
    "time_in_range",
    "final_value",
)
#: metrics where smaller is better when ranking
LOWER_IS_BETTER = frozenset({"lvr"})
#: fractions; every other metric is in token1 (the quote token)
FRACTION_METRICS = frozenset({"il", "time_in_range"})
#: a range whose paired difference to the best is within this many standard errors is tied with it
TIE_Z = 2.0


@dataclass(frozen=True)
class RangeResult:
    """One range's figures; ``metrics`` maps each name in `METRICS` to a `Stat` over paths (token1 units,
    except ``il`` and ``time_in_range`` which are fractions)."""

    rank: int
    lower: float
    upper: float
    label: str
    liquidity: float
    capital_efficiency: float
    metrics: dict[str, Stat]
    closed_form: dict[str, float] = field(default_factory=dict)
    #: paired difference to the best range on the same paths (common random numbers), in the rank metric
    vs_best: float = 0.0
    vs_best_stderr: float = float("nan")
    #: not distinguishable from the best: |vs_best| <= TIE_Z standard errors (never true for the best itself)
    tied: bool = False
    #: in range on at least one step of one path; a range that never trades is never ranked best
    trades: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "vs_best": json_float(self.vs_best),
            "vs_best_stderr": json_float(self.vs_best_stderr),
            "tied_with_best": self.tied,
            "trades": self.trades,
            "lower": json_float(self.lower),
            "upper": json_float(self.upper),
            "label": self.label,
            "liquidity": json_float(self.liquidity),
            "capital_efficiency": json_float(self.capital_efficiency),
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "closed_form": {k: json_float(v) for k, v in self.closed_form.items()},
        }


@dataclass(frozen=True)
class RangeAnalysis:
    """Ranked results plus what they rest on. ``samples`` (metric → array (n_paths, n_ranges) in input
    order) is kept only with ``keep_samples=True`` and is not serialised."""

    results: list[RangeResult]
    rank_by: str
    rank_stat: str
    price: float
    fee: float
    capital: float
    n_paths: int
    n_steps: int
    horizon_years: float | None
    path_is: str
    assumptions: list[str]
    samples: dict[str, NDArray[np.float64]] | None = None

    @property
    def best(self) -> RangeResult:
        return self.results[0]

    @property
    def tied_with_best(self) -> list[RangeResult]:
        return [r for r in self.results if r.tied]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank_by": self.rank_by,
            "rank_stat": self.rank_stat,
            "price": self.price,
            "fee": self.fee,
            "capital": self.capital,
            "n_paths": self.n_paths,
            "n_steps": self.n_steps,
            "horizon_years": self.horizon_years,
            "path_is": self.path_is,
            "assumptions": list(self.assumptions),
            "units": {
                "price": "token1 per token0 (quote per base)",
                "fee": "fraction",
                "capital": "token1",
                "horizon_years": "years",
                "metrics": "token1, except il and time_in_range: fractions",
                "vs_best": f"token1 ({self.rank_by}); a fraction for il and time_in_range",
                "results.lower, results.upper": "token1 per token0",
                "results.liquidity": "sqrt(token0 x token1), whole tokens",
                "results.capital_efficiency": "multiple of a full-range position's liquidity",
                "closed_form.lvr_expected_gbm": "token1",
                "closed_form.time_in_range_expected_gbm": "fraction",
            },
            "best": self.best.label,
            "tied_with_best": [r.label for r in self.tied_with_best],
            "results": [r.to_dict() for r in self.results],
        }


ASSUMPTIONS = [
    "One step = one block with one arbitrage opportunity; the pool follows the reference price through the "
    "fee band (path_is='reference') or is the given path (path_is='pool').",
    "Arbitrage fees come from the pool's price moves (fee/(1-fee) on input x L x |d sqrtP| or |d 1/sqrtP|), "
    "independent of other liquidity; they grow as steps get shorter only until the fee band binds.",
    "Noise fees: the given uninformed volume, half each way, shared L/(L+L_other) at the start-of-step "
    "price; "
    "its own price impact and other LPs' reactions are ignored.",
    "Fees are held as tokens and valued, like the position and HODL, at the final reference price; no gas, "
    "no compounding, no rebalancing of the range.",
    "LVR is the frictionless benchmark realized on the reference path (MMRZ 2022); pnl_vs_rebalancing is "
    "the LP's P&L minus the rebalancing strategy's.",
]
