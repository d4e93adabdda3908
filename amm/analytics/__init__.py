"""LP analytics: position value, fees, IL, LVR, price paths and range analysis.

Entry points (floats, token1 numeraire, human units; see `amm.analytics.position` for conventions):

* `analyze_ranges` — evaluate a grid of ranges over Monte Carlo or historical paths; returns a
  `RangeAnalysis` whose ``to_dict()`` is JSON-safe.
* `range_grid` / `explicit_ranges` — build the ranges; `LiquidityProfile` — other LPs' liquidity.
* `simulate_paths` / `iter_paths` with a `PathModel`; `load_price_csv`, `swaps_to_series`,
  `estimate_volatility` for history.
* `lvr` closed forms (MMRZ 2022) and `arbitrage_with_fees` (MMR 2023).
* `exact.position_state` — exact integer amounts and uncollected fees of a concrete position (uses `amm.v3`).

`amm.analytics.exact` is not imported here so that the float layer does not load the integer pool model.
"""

from amm.analytics.liquidity import LiquidityProfile
from amm.analytics.lvr import (
    ArbitrageWithFees,
    arbitrage_with_fees,
    expected_lvr_constant_product,
    expected_lvr_v3,
    expected_time_in_range,
    lvr_rate,
    lvr_rate_constant_product,
    lvr_rate_v3,
    probability_of_trade,
    realized_lvr,
    realized_lvr_v3,
)
from amm.analytics.paths import (
    PathModel,
    PriceDataError,
    PriceSeries,
    VolatilityEstimate,
    apply_fee_band,
    estimate_volatility,
    gbm_paths,
    iter_paths,
    load_price_csv,
    simulate_paths,
    swaps_to_series,
)
from amm.analytics.position import (
    RangePosition,
    V2Share,
    amounts,
    capital_efficiency,
    impermanent_loss,
    impermanent_loss_constant_product,
    liquidity_for_value,
    value,
)
from amm.analytics.ranges import (
    METRICS,
    RangeAnalysis,
    RangeEngine,
    RangeResult,
    RangeSpec,
    analyze_ranges,
    explicit_ranges,
    range_grid,
    snap_range,
)
from amm.analytics.stats import Stat

__all__ = [
    "METRICS",
    "ArbitrageWithFees",
    "LiquidityProfile",
    "PathModel",
    "PriceDataError",
    "PriceSeries",
    "RangeAnalysis",
    "RangeEngine",
    "RangePosition",
    "RangeResult",
    "RangeSpec",
    "Stat",
    "V2Share",
    "VolatilityEstimate",
    "amounts",
    "analyze_ranges",
    "apply_fee_band",
    "arbitrage_with_fees",
    "capital_efficiency",
    "estimate_volatility",
    "expected_lvr_constant_product",
    "expected_lvr_v3",
    "expected_time_in_range",
    "explicit_ranges",
    "gbm_paths",
    "impermanent_loss",
    "impermanent_loss_constant_product",
    "iter_paths",
    "liquidity_for_value",
    "load_price_csv",
    "lvr_rate",
    "lvr_rate_constant_product",
    "lvr_rate_v3",
    "probability_of_trade",
    "range_grid",
    "realized_lvr",
    "realized_lvr_v3",
    "simulate_paths",
    "snap_range",
    "swaps_to_series",
    "value",
]
