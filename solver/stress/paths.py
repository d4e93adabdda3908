"""Price paths for stress scenarios: GBM plus compound-Poisson jumps while the underlying trades, a gap at
each reopening, and a thin proxy market while it is closed.

Why this shape: a perp on a stock trades through nights and weekends while its underlying does not, so the
risk is not the diffusion but the **gap** at the reopening, which nobody can trade or hedge through. The
path holds the underlying still while its calendar says closed, then moves it by a gap drawn from a
`GapModel` (a fixed gap, or a normal or Student-t gap, e.g. one fitted to history with `fit_gaps`). While
closed, a thin proxy market (what an oracle following a proxy sees) walks a Brownian bridge in log price
from the close to the reopening price, plus noise: it discovers the gap gradually, as a weekend market does.

Every draw comes from the numpy Generator passed in, always in the same order, so a seed fixes the path.
Market hours come from the venue's calendar (`solver.venues.calendar`), read at one-minute resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from solver.venues.calendar import MarketCalendar

YEAR = 365 * 24 * 3600  # seconds: volatilities and rates are annualised on calendar time


@dataclass(frozen=True)
class JumpDiffusion:
    """Merton jump diffusion: d log S = (drift - vol²/2 - rate·k) dt + vol dW + J dN, with N Poisson of
    `jump_rate` per year and J ~ Normal(jump_mean, jump_stdev) in log price; k = E[e^J] - 1 compensates the
    jumps so `drift` stays the expected return."""

    vol: float = 0.5
    drift: float = 0.0
    jump_rate: float = 0.0
    jump_mean: float = 0.0
    jump_stdev: float = 0.0

    def __post_init__(self) -> None:
        if self.vol < 0 or self.jump_rate < 0 or self.jump_stdev < 0:
            raise ValueError("vol, jump_rate and jump_stdev must be >= 0")

    def log_returns(self, rng: np.random.Generator, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log returns over steps of `seconds` each, and the number of jumps in each step."""
        dt = np.asarray(seconds, dtype=float) / YEAR
        z = rng.standard_normal(dt.shape)
        counts = rng.poisson(self.jump_rate * dt)
        z_jump = rng.standard_normal(dt.shape)
        kappa = math.exp(self.jump_mean + self.jump_stdev**2 / 2) - 1
        drift = (self.drift - self.vol**2 / 2 - self.jump_rate * kappa) * dt
        jumps = counts * self.jump_mean + np.sqrt(counts) * self.jump_stdev * z_jump
        return drift + self.vol * np.sqrt(dt) * z + jumps, counts


@dataclass(frozen=True)
class GapModel:
    """The move from the close to the reopening, as a simple return (-0.2: reopens 20% lower).

    `fixed` always gives `size`; `normal` and `student-t` draw the log gap with mean `mean` and standard
    deviation `stdev` (Student-t scaled to that deviation, `df` > 2 degrees of freedom: fat tails)."""

    distribution: Literal["fixed", "normal", "student-t"] = "fixed"
    size: float = -0.2
    mean: float = 0.0
    stdev: float = 0.05
    df: float = 3.0

    def __post_init__(self) -> None:
        if self.size <= -1:
            raise ValueError("a gap must leave a positive price (size > -1)")
        if self.stdev < 0 or (self.distribution == "student-t" and self.df <= 2):
            raise ValueError("need stdev >= 0 and, for student-t, df > 2")

    def draw(self, rng: np.random.Generator) -> float:
        if self.distribution == "fixed":
            return self.size
        if self.distribution == "normal":
            log_gap = self.mean + self.stdev * rng.standard_normal()
        else:
            log_gap = self.mean + self.stdev * rng.standard_t(self.df) / math.sqrt(self.df / (self.df - 2))
        return math.expm1(log_gap)


def fit_gaps(gaps: Sequence[float], distribution: Literal["normal", "student-t"] = "student-t") -> GapModel:
    """Fit a gap model to observed reopening returns by moments of the log gap; Student-t degrees of
    freedom from the excess kurtosis (6 / (df - 4)), at least 2.5 and at most 100 (near normal)."""
    logs = np.log1p(np.asarray(gaps, dtype=float))
    if logs.size < 4:
        raise ValueError("need at least 4 gaps to fit")
    mean, stdev = float(logs.mean()), float(logs.std(ddof=1))
    if distribution == "normal":
        return GapModel("normal", mean=mean, stdev=stdev)
    excess = float(((logs - mean) ** 4).mean() / logs.var() ** 2 - 3)
    df = 100.0 if excess <= 0.06 else max(2.5, 4 + 6 / excess)
    return GapModel("student-t", mean=mean, stdev=stdev, df=min(df, 100.0))


@dataclass(frozen=True)
class ProxyModel:
    """The thin market seen while the underlying is closed: a log Brownian bridge with annualised `vol`
    from the close to the reopening price, observed with `noise_bps` of independent noise."""

    vol: float = 0.5
    noise_bps: float = 50.0

    def __post_init__(self) -> None:
        if self.vol < 0 or self.noise_bps < 0:
            raise ValueError("proxy vol and noise must be >= 0")


@dataclass(frozen=True)
class Schedule:
    """Step times and whether the underlying is open at each; `times[0]` is the start (no step)."""

    times: tuple[datetime, ...]
    open: tuple[bool, ...]

    def seconds(self) -> np.ndarray:
        return np.array([(b - a).total_seconds() for a, b in zip(self.times, self.times[1:], strict=False)])


def market_hours(calendar: MarketCalendar, start: datetime, end: datetime) -> list[tuple[datetime, bool]]:
    """(time, open) at `start` and at every change of state up to `end`, read minute by minute."""
    changes = [(start, calendar.is_open(start))]
    t = start.replace(second=0, microsecond=0)
    while t < end:
        t += timedelta(minutes=1)
        state = calendar.is_open(t)
        if state != changes[-1][1] and t <= end:
            changes.append((t, state))
    return changes


def schedule(
    calendar: MarketCalendar,
    start: datetime,
    end: datetime,
    step: int,
    closed_step: int,
    min_step: int = 1,
) -> Schedule:
    """Steps of `step` seconds while open and `closed_step` while closed, landing exactly on every close
    and reopening (unless that would make a step shorter than `min_step`, e.g. a block time)."""
    changes = market_hours(calendar, start, end)
    times, states = [start], [changes[0][1]]
    k = 0
    while times[-1] < end:
        t = times[-1]
        while k + 1 < len(changes) and changes[k + 1][0] <= t:
            k += 1
        width = step if changes[k][1] else closed_step
        nxt = min(t + timedelta(seconds=width), end)
        if k + 1 < len(changes):
            nxt = min(nxt, changes[k + 1][0])
        nxt = max(nxt, t + timedelta(seconds=min_step))
        times.append(nxt)
        states.append(calendar.is_open(nxt))
    return Schedule(tuple(times), tuple(states))


@dataclass(frozen=True)
class MarketPath:
    """The underlying (held while closed, gapped at each reopening) and the proxy market, per step."""

    schedule: Schedule
    underlying: np.ndarray
    proxy: np.ndarray
    gaps: tuple[float, ...]
    jumps: int

    @property
    def times(self) -> tuple[datetime, ...]:
        return self.schedule.times


def market_path(
    rng: np.random.Generator,
    sched: Schedule,
    price: float,
    model: JumpDiffusion,
    gap: GapModel,
    proxy: ProxyModel | None = None,
) -> MarketPath:
    """One path over `sched` from `price`: diffusion and jumps between open steps, a gap at each reopening,
    a proxy bridge over each closed stretch. Draw order: returns, jumps, gaps, then proxy noise."""
    proxy = proxy or ProxyModel()
    seconds = sched.seconds()
    returns, counts = model.log_returns(rng, seconds)
    n = len(sched.times)
    is_open = np.array(sched.open, dtype=bool)
    log_s = np.empty(n)
    log_s[0] = math.log(price)
    gaps: list[float] = []
    jumps = 0
    for i in range(1, n):
        if is_open[i] and is_open[i - 1]:
            log_s[i] = log_s[i - 1] + returns[i - 1]
            jumps += int(counts[i - 1])
        elif is_open[i]:  # the reopening
            g = gap.draw(rng)
            gaps.append(g)
            log_s[i] = log_s[i - 1] + math.log1p(g)
        else:
            log_s[i] = log_s[i - 1]
    log_p = log_s.copy()
    elapsed = np.concatenate([[0.0], np.cumsum(seconds)]) / YEAR
    i = 1
    while i < n:  # one bridge per closed stretch [i, j): from log_s[i - 1] to log_s[j]
        if is_open[i]:
            i += 1
            continue
        j = i
        while j < n and not is_open[j]:
            j += 1
        t0 = elapsed[i - 1]
        span = (elapsed[j] if j < n else elapsed[-1]) - t0
        w = np.cumsum(rng.standard_normal(j - i) * np.sqrt(np.diff(elapsed[i - 1 : j])))
        noise = rng.standard_normal(j - i) * proxy.noise_bps / 10_000
        if j < n and span > 0:
            frac = (elapsed[i:j] - t0) / span
            w_end = w[-1] + rng.standard_normal() * math.sqrt(max(elapsed[j] - elapsed[j - 1], 0.0))
            drift = frac * (log_s[j] - log_s[i - 1])
            log_p[i:j] = log_s[i - 1] + drift + proxy.vol * (w - frac * w_end) + noise
        else:
            log_p[i:j] = log_s[i - 1] + proxy.vol * w + noise
        i = j
    return MarketPath(sched, np.exp(log_s), np.exp(log_p), tuple(gaps), jumps)
