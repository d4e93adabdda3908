"""The pricing stage as one object: fair value, then volatility, then quotes, refreshed once per block.

`Pricing.from_config(config)` builds the fair value the config names (the pools, a CSV file or an HTTP URL);
`update(universe, block, timestamp)` refreshes fair value and feeds its prices to the volatility estimate, so
the decision stage only ever asks `quote(...)` and `edge(...)` of a consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from solver.pricing.config import PricingConfig
from solver.pricing.fair_value import FairValue, FairValueFromPools, FairValueFromStream
from solver.pricing.quotes import Quoter
from solver.pricing.volatility import EwmaVolatility
from solver.routing.universe import Token


class Pricing(Quoter):
    """A Quoter that also owns the per-block refresh of its fair value and volatility."""

    @classmethod
    def from_config(cls, config: PricingConfig | None = None, tokens: Iterable[Token] = ()) -> Pricing:
        """Pricing as the config says; `tokens` gives a stream the decimals it cannot know."""
        config = config or PricingConfig()
        fair_value: FairValue
        if config.fair_value_source == "pools":
            fair_value = FairValueFromPools(
                config.numeraire, config.hubs, min_depth_share=config.min_depth_share, tokens=tokens
            )
        else:
            fair_value = FairValueFromStream.open(
                config.fair_value_source, config.numeraire, tokens, timeout=config.stream_timeout_seconds
            )
        volatility = EwmaVolatility(config.half_life_seconds, config.vol_floor, config.floor_for)
        return cls(config, fair_value, volatility)

    def update(self, source: Any, block: int | None, timestamp: float) -> dict[str, float]:
        """New block: refresh fair value from `source` (a Universe for pools; ignored by a stream), then the
        volatility from the new prices. Returns the prices."""
        prices = self.fair_value.update(source, block, timestamp)
        self.volatility.update(prices, timestamp)
        return prices
