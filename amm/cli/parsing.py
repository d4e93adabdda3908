"""Parse the human units the CLI accepts: durations ("30d", "12s"), rates ("60%"), lists and ranges."""

from __future__ import annotations

import re

import typer

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def seconds(text: str, *, default_unit: str = "d") -> float:
    """'30d' -> 2592000; '12s' -> 12; a bare number is in `default_unit`."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([smhdwy]?)\s*", text.lower())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration like 30d, 12h, 60s")
    value = float(match.group(1)) * _UNITS[match.group(2) or default_unit]
    if value <= 0:
        raise typer.BadParameter(f"{text!r} must be positive")
    return value


def fraction(text: str) -> float:
    """'60%' or '0.6' -> 0.6."""
    t = text.strip()
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number or a percentage") from None


def percent_list(text: str) -> tuple[float, ...]:
    """'0.5,1,2,5' (percent) -> (0.005, 0.01, 0.02, 0.05)."""
    try:
        values = tuple(float(x.strip().rstrip("%")) / 100 for x in text.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of percentages") from None
    if not values or any(v <= 0 for v in values):
        raise typer.BadParameter("give positive percentages, e.g. 1,2,5,10")
    return values


def price_range(text: str) -> tuple[float, float]:
    """'2800-3600' or '2800:3600' -> (2800.0, 3600.0)."""
    parts = re.split(r"\s*[:\-–]\s*", text.strip(), maxsplit=1)
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise typer.BadParameter(f"{text!r} is not a range like 2800-3600") from None
    if not 0 < lo < hi:
        raise typer.BadParameter(f"{text!r}: need 0 < lower < upper")
    return lo, hi
