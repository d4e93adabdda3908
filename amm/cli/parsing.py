"""Parse the human units the CLI accepts, refusing what can be read two ways.

`--vol 60` could be 60/year (6,000%) or 60%; `--fee 0.05` could be 5% or 0.05%; `--horizon 1m` could be a
minute or a month. A tool that guesses one reading silently misleads by 100x, so each of these is refused
with both readings shown and the spelling that removes the doubt.
"""

from __future__ import annotations

import math
import re

import typer

DAY = 86400.0
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": DAY,
    "w": 7 * DAY,
    "mo": 30 * DAY,
    "y": 365 * DAY,
}
_NUMBER = r"[0-9]*\.?[0-9]+(?:e[+-]?\d+)?"
#: a bare volatility above this (300%/year) is taken for a percentage typed without its sign
MAX_BARE_VOL = 3.0
#: a bare fee at or above this (1%, Uniswap's highest tier) is taken for a percentage typed without its sign
MAX_BARE_FEE = 0.01


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise typer.BadParameter(f"{what} {text!r} must be a finite number")
    return value


def seconds(text: str, *, default_unit: str | None = "d", what: str = "duration") -> float:
    """'30d' -> 2592000; '90min', '12h', '2w', '1mo' (30 days), '1y'; a bare number is in `default_unit`.

    '1m' is refused: a minute or a month?"""
    t = text.strip().lower()
    if re.fullmatch(rf"{_NUMBER}\s*m", t):
        n = t[:-1].strip()
        raise typer.BadParameter(f"{what} {text!r} is ambiguous: write {n}min (minutes) or {n}mo (months)")
    match = re.fullmatch(rf"({_NUMBER})\s*(s|sec|min|h|d|w|mo|y)?", t)
    if not match:
        raise typer.BadParameter(f"{what} {text!r} is not a duration like 30d, 12h, 90min, 1mo, 12s")
    unit = match.group(2) or default_unit
    if unit is None:
        raise typer.BadParameter(f"{what} {text!r} needs a unit: s, min, h, d, w, mo or y")
    value = float(match.group(1)) * _UNITS[unit]
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{what} {text!r} must be positive")
    return value


def volatility(text: str) -> float:
    """Annual volatility: '60%' or '0.6' -> 0.6. A bare number above 3 is refused with both readings."""
    t = text.strip()
    if t.endswith("%"):
        value = _number(t[:-1].strip(), "--vol") / 100
    else:
        value = _number(t, "--vol")
        if value > MAX_BARE_VOL:
            raise typer.BadParameter(
                f"--vol {t} is ambiguous: {value:g} per year ({value:.0%}) or {value:g}% ({value / 100:g})? "
                f"write {value:g}% or {value / 100:g}"
            )
    if value <= 0:
        raise typer.BadParameter(f"--vol {text!r} must be positive")
    return value


def fee(text: str) -> float:
    """Pool fee as a fraction: '5bp' or '0.05%' -> 0.0005; a bare fraction only below 0.01 ('0.0005')."""
    t = text.strip().lower()
    if t.endswith(("bps", "bp")):
        value = _number(t.rstrip("ps").removesuffix("b").strip(), "--fee") / 10_000
    elif t.endswith("%"):
        value = _number(t[:-1].strip(), "--fee") / 100
    else:
        value = _number(t, "--fee")
        if value >= MAX_BARE_FEE:
            raise typer.BadParameter(
                f"--fee {text.strip()} is ambiguous: {value:g} = {value:.2%} or {value:g}% = "
                f"{value * 100:g}bp? write {value:g}% or {value * 100:g}bp"
            )
    if not 0 <= value < 1:
        raise typer.BadParameter(f"--fee {text!r} must be at least 0 and below 100%")
    return value


def fraction(text: str) -> float:
    """'60%' or '0.6' -> 0.6 (where no other reading is plausible)."""
    t = text.strip()
    return _number(t[:-1], "value") / 100 if t.endswith("%") else _number(t, "value")


def amount(text: str, what: str) -> tuple[float, str | None]:
    """'50000', '50000 USDC', '50000USDC', '50,000 usdc' -> (50000.0, 'USDC' or None)."""
    match = re.fullmatch(
        r"\s*\$?\s*([0-9][0-9,_]*\.?[0-9]*(?:e[+-]?\d+)?)\s*([A-Za-z][A-Za-z0-9.]*)?\s*", text
    )
    if not match:
        raise typer.BadParameter(f"{what} {text!r} is not an amount like 50000 or '50000 USDC'")
    value = _number(match.group(1).replace(",", "").replace("_", ""), what)
    if value <= 0:
        raise typer.BadParameter(f"{what} {text!r} must be positive")
    symbol = match.group(2)
    return value, symbol.upper() if symbol else None


def non_negative(value: float | None, what: str) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(f"{what} must be a finite number >= 0, got {value}")
    return value


def percent_list(text: str) -> tuple[float, ...]:
    """'0.5,1,2,5' (percent) -> (0.005, 0.01, 0.02, 0.05)."""
    try:
        values = tuple(float(x.strip().rstrip("%")) / 100 for x in text.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of percentages") from None
    if not values or any(not (math.isfinite(v) and v > 0) for v in values):
        raise typer.BadParameter("give positive, finite percentages, e.g. 1,2,5,10")
    return values


def price_range(text: str) -> tuple[float, float]:
    """'2800-3600' or '2800:3600' -> (2800.0, 3600.0)."""
    parts = re.split(r"\s*[:\-–]\s*", text.strip(), maxsplit=1)
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise typer.BadParameter(f"{text!r} is not a range like 2800-3600") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise typer.BadParameter(f"{text!r}: need 0 < lower < upper")
    return lo, hi


def join_amount_words(argv: list[str], options: tuple[str, ...] = ("--capital",)) -> list[str]:
    """Let `--capital 50000 USDC` (two words) through Click: join a token symbol following the amount."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        out.append(word)
        if word in options and i + 2 < len(argv) + 1 and i + 1 < len(argv):
            value = argv[i + 1]
            nxt = argv[i + 2] if i + 2 < len(argv) else None
            if (
                nxt is not None
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9.]{1,10}", nxt)
                and not nxt.startswith("-")
            ):
                out.append(f"{value} {nxt}")
                i += 3
                continue
        i += 1
    return out
