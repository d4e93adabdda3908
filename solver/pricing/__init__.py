"""Pricing: fair value per token, online volatility, and inventory-skewed quotes (A-S / GLFT) with gas and a
minimum edge. `Pricing.from_config(load_config(path, overrides))` wires them; `update` once per block."""

from solver.pricing.config import PricingConfig, PricingConfigError, load_config, with_overrides
from solver.pricing.engine import Pricing
from solver.pricing.fair_value import (
    FairValue,
    FairValueFromPools,
    FairValueFromStream,
    PathPrice,
    PriceError,
)
from solver.pricing.quotes import (
    Edge,
    LegRisk,
    OrderTerms,
    Quote,
    Quoter,
    avellaneda_stoikov_spread,
    glft_constants,
    glft_half_spread,
    glft_skew,
    reservation_price,
)
from solver.pricing.volatility import EwmaVolatility

__all__ = [
    "Edge",
    "EwmaVolatility",
    "FairValue",
    "FairValueFromPools",
    "FairValueFromStream",
    "LegRisk",
    "OrderTerms",
    "PathPrice",
    "PriceError",
    "Pricing",
    "PricingConfig",
    "PricingConfigError",
    "Quote",
    "Quoter",
    "avellaneda_stoikov_spread",
    "glft_constants",
    "glft_half_spread",
    "glft_skew",
    "load_config",
    "reservation_price",
    "with_overrides",
]
