"""Range grids: by width and centre around a price, or explicit bounds, optionally snapped to ticks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RangeSpec:
    """A price range ``[lower, upper)`` (human units; 0 and inf allowed for a full range)."""

    lower: float
    upper: float
    label: str = ""

    def __post_init__(self) -> None:
        if not (0.0 <= self.lower < self.upper):
            raise ValueError(f"need 0 <= lower < upper, got [{self.lower}, {self.upper})")


def tick_to_price(tick: int, decimals0: int = 0, decimals1: int = 0) -> float:
    return 1.0001**tick * 10.0 ** (decimals0 - decimals1)


def price_to_tick(price: float, decimals0: int = 0, decimals1: int = 0) -> float:
    """Real-valued tick of a human price (floor it for the contract's tick)."""
    return math.log(price * 10.0 ** (decimals1 - decimals0)) / math.log(1.0001)


def snap_range(
    lower: float, upper: float, tick_spacing: int, decimals0: int = 0, decimals1: int = 0
) -> tuple[float, float]:
    """Widen ``[lower, upper)`` outward to usable ticks (multiples of ``tick_spacing``)."""
    tl = math.floor(price_to_tick(lower, decimals0, decimals1) / tick_spacing + 1e-9) * tick_spacing
    tu = math.ceil(price_to_tick(upper, decimals0, decimals1) / tick_spacing - 1e-9) * tick_spacing
    if tu <= tl:
        tu = tl + tick_spacing
    return tick_to_price(tl, decimals0, decimals1), tick_to_price(tu, decimals0, decimals1)


def range_grid(
    price: float,
    widths: Sequence[float],
    centres: Sequence[float] = (1.0,),
    *,
    tick_spacing: int | None = None,
    decimals0: int = 0,
    decimals1: int = 0,
) -> list[RangeSpec]:
    """Ranges ``[c/(1+w), c·(1+w))`` for each centre ``c = price·centre`` and half-width ``w``.

    Log-symmetric, so "±10%" is ``[P/1.1, 1.1P)``. With ``tick_spacing`` the bounds are widened to ticks;
    duplicates after snapping are dropped.
    """
    out: list[RangeSpec] = []
    seen: set[tuple[float, float]] = set()
    for c in centres:
        for w in widths:
            if w <= 0 or c <= 0:
                raise ValueError("widths and centres must be > 0")
            lo, hi = price * c / (1.0 + w), price * c * (1.0 + w)
            if tick_spacing:
                lo, hi = snap_range(lo, hi, tick_spacing, decimals0, decimals1)
            if (lo, hi) in seen:
                continue
            seen.add((lo, hi))
            out.append(RangeSpec(lo, hi, f"±{100 * w:g}% @ {c:g}×"))
    return out


def explicit_ranges(bounds: Iterable[tuple[float, float]]) -> list[RangeSpec]:
    return [RangeSpec(float(lo), float(hi), f"[{lo:g}, {hi:g})") for lo, hi in bounds]
