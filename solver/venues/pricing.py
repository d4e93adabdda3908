"""Oracle, mark and funding rules: how a perp's prices O_t, M_t and its funding rate f_t are made.

- Oracle rules say what O_t is while the underlying is closed: `FREEZE` at the last open price, follow a
  thin `PROXY` market (e.g. a DEX pool or an overnight venue), or `HALT` the venue (no trades, no funding,
  no liquidations until the underlying reopens).
- Mark rules say what PnL and margin are measured at: `ORACLE` (M = O), `MEDIAN` of the oracle, the last
  trade and the oracle plus an EMA of the basis (P - O), or `IMPACT`: the oracle clamped into the impact
  bid/ask (the average prices to trade `impact_lots` each way), so a mark only leaves the oracle when the book
  itself has moved.
- Funding: f_t is the premium of the last trade over the oracle, (P - O) / O, time-averaged over the funding
  interval and clamped to +-`cap`; f > 0 means longs pay shorts. A last trade can be stale for hours (and
  is after a gap), so `premium="impact"` uses the impact mid (the mean of the impact bid and ask, falling
  back to the last trade when a side is empty) as P instead. Every `interval` seconds each account pays
  q * M * f * (elapsed / period), with `period` the span the rate is quoted for (8 h on most venues).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

from solver.venues.units import as_fraction, median3, quantize

RATE_DENOMINATOR = 10**12  # premiums and EMAs are kept to 1e-12 so their denominators stay small


class OracleRule(StrEnum):
    FREEZE = "freeze"
    PROXY = "proxy"
    HALT = "halt"


class MarkRule(StrEnum):
    ORACLE = "oracle"
    MEDIAN = "median"
    IMPACT = "impact"


@dataclass(frozen=True)
class FundingConfig:
    interval: int = 3600  # seconds between payments
    period: int = 8 * 3600  # the rate f is per this many seconds
    cap: Fraction = Fraction(3, 400)  # |f| <= 0.75% per period
    enabled: bool = True
    premium: Literal["last", "impact"] = "last"  # what P is in the premium (P - O) / O

    def __post_init__(self) -> None:
        object.__setattr__(self, "cap", as_fraction(self.cap))
        if self.premium not in ("last", "impact"):
            raise ValueError("premium must be 'last' or 'impact'")
        if self.interval <= 0 or self.period <= 0 or self.cap < 0:
            raise ValueError("funding interval and period must be > 0 and cap >= 0")


def clamp(x: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    return max(lo, min(hi, x))


@dataclass
class FundingState:
    """Time-weighted premium since the last payment."""

    premium_time: Fraction = Fraction(0)  # sum of premium * dt
    elapsed: int = 0
    last_rate: Fraction = Fraction(0)

    def accrue(self, price: Fraction, oracle: int, dt: int) -> None:
        self.premium_time += quantize((price - oracle) / oracle, RATE_DENOMINATOR) * dt
        self.elapsed += dt

    def rate(self, cap: Fraction) -> Fraction:
        if self.elapsed == 0:
            return Fraction(0)
        return clamp(quantize(self.premium_time / self.elapsed, RATE_DENOMINATOR), -cap, cap)

    def reset(self) -> None:
        self.premium_time = Fraction(0)
        self.elapsed = 0


@dataclass
class MarkState:
    """EMA of the basis P - O (ticks) for the median rule; window is the EMA's time constant in seconds."""

    window: int = 300
    ema_basis: Fraction = Fraction(0)

    def update(self, last: int, oracle: int, dt: int) -> None:
        alpha = min(Fraction(1), Fraction(dt, self.window))
        self.ema_basis = quantize(
            self.ema_basis + alpha * ((last - oracle) - self.ema_basis), RATE_DENOMINATOR
        )


def mark_price(
    rule: MarkRule,
    oracle: int,
    last: int,
    ema_basis: Fraction,
    impact: tuple[Fraction | None, Fraction | None],
) -> int:
    """M_t in integer ticks (half to even) under `rule`."""
    if rule == MarkRule.ORACLE:
        return oracle
    if rule == MarkRule.MEDIAN:
        return round(median3(Fraction(oracle), Fraction(last), oracle + ema_basis))
    bid, ask = impact
    lo = bid if bid is not None else Fraction(oracle)
    hi = ask if ask is not None else Fraction(oracle)
    return round(median3(lo, Fraction(oracle), max(lo, hi)))
