"""Online volatility of each token's fair value: an EWMA of squared log returns per unit time, with a floor.

Blocks do not arrive at a fixed pace (12 s live, 15 min in the built-in chain's history, gaps after a
restart), so each return r over an interval dt is turned into a variance rate r²/dt before averaging, and its
weight follows the time it covers: alpha = 1 - 2^(-dt / half_life). A long gap thus counts as much as the many
short intervals it replaces. The running weight is kept too and divided out (as Adam does), so the first
returns are not biased toward zero by an empty start. sigma is per sqrt-year (a year of 365.25 days: these
markets never close) and never below the token's floor: a pool price that has not moved is no evidence of no
risk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SECONDS_PER_YEAR = 365.25 * 86_400


@dataclass
class _TokenState:
    price: float  # the anchor: the last price a return was measured from
    timestamp: float
    variance_rate: float = 0.0  # EWMA of r²/dt, per year, not yet divided by `weight`
    weight: float = 0.0  # total EWMA weight so far (tends to 1)
    returns: int = 0


class EwmaVolatility:
    """Per-token EWMA volatility of log returns, annualised by the real time between updates."""

    def __init__(
        self,
        half_life_seconds: float = 3_600.0,
        floor: float = 0.20,
        floors: Mapping[str, float] | Callable[[str], float] | None = None,
    ) -> None:
        if not half_life_seconds > 0:
            raise ValueError(f"half_life_seconds must be positive, got {half_life_seconds!r}")
        self.half_life_seconds = half_life_seconds
        self.floor = floor
        self._floors = floors
        self._state: dict[str, _TokenState] = {}

    def floor_for(self, token: str) -> float:
        if callable(self._floors):
            return self._floors(token)
        if self._floors is not None and token in self._floors:
            return self._floors[token]
        return self.floor

    def observe(self, token: str, price: float, timestamp: float) -> None:
        """One fair-value observation. Observations at or before the last one's time are ignored (the same
        block seen twice, or a clock going back): the next later one measures its return from the anchor."""
        if not (price > 0 and math.isfinite(price)):
            raise ValueError(f"price of {token} must be positive and finite, got {price!r}")
        state = self._state.get(token)
        if state is None:
            self._state[token] = _TokenState(price, timestamp)
            return
        dt = timestamp - state.timestamp
        if dt <= 0:
            return
        years = dt / SECONDS_PER_YEAR
        alpha = -math.expm1(-dt / self.half_life_seconds * math.log(2))  # 1 - 2^(-dt/h), exact for tiny dt
        log_return = math.log(price / state.price)
        state.variance_rate = (1 - alpha) * state.variance_rate + alpha * log_return**2 / years
        state.weight = (1 - alpha) * state.weight + alpha
        state.price, state.timestamp = price, timestamp
        state.returns += 1

    def update(self, prices: Mapping[str, float], timestamp: float) -> None:
        """One observation per token (e.g. `FairValue.prices()` of a block)."""
        for token, price in prices.items():
            self.observe(token, price, timestamp)

    def raw_sigma(self, token: str) -> float | None:
        """The estimate before the floor, per sqrt-year; None before the token's first return."""
        state = self._state.get(token)
        if state is None or state.weight <= 0:
            return None
        return math.sqrt(state.variance_rate / state.weight)

    def sigma(self, token: str) -> float:
        """Annualised volatility of log returns, never below the token's floor (the floor alone before any
        return is seen)."""
        raw = self.raw_sigma(token)
        floor = self.floor_for(token)
        return floor if raw is None else max(raw, floor)

    def sigmas(self) -> dict[str, float]:
        return {token: self.sigma(token) for token in self._state}

    def returns_seen(self, token: str) -> int:
        state = self._state.get(token)
        return 0 if state is None else state.returns
