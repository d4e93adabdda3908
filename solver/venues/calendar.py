"""Market hours of the perp's underlying: when its primary market (and the makers' hedge market) is open.

A stock perp trades around the clock while the stock does not: nights, weekends and holidays are when the
oracle goes stale and makers cannot hedge, which is what the weekend-gap scenario stresses. Crypto never
closes. A calendar is anything with `is_open(when)`; two are provided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


class MarketCalendar(Protocol):
    def is_open(self, when: datetime) -> bool: ...


@dataclass(frozen=True)
class AlwaysOpen:
    """Crypto: the underlying trades 24/7, so the oracle never goes stale for market-hours reasons."""

    def is_open(self, when: datetime) -> bool:
        return True


@dataclass(frozen=True)
class USEquityCalendar:
    """NYSE/Nasdaq regular session, 09:30-16:00 America/New_York, Monday-Friday, minus `holidays`.

    Times are converted to New York local time (zoneinfo handles daylight saving), so a UTC clock works
    all year. Pre- and after-market sessions count as closed: that is when a perp's oracle is thin or stale.
    """

    holidays: frozenset[date] = field(default_factory=frozenset)
    open_time: time = time(9, 30)
    close_time: time = time(16, 0)
    tz: str = "America/New_York"

    def is_open(self, when: datetime) -> bool:
        if when.tzinfo is None:
            raise ValueError("calendar times must be timezone-aware (use UTC)")
        local = when.astimezone(ZoneInfo(self.tz))
        if local.weekday() >= 5 or local.date() in self.holidays:
            return False
        return self.open_time <= local.time() < self.close_time
