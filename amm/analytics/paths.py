"""Price paths: seeded Monte Carlo (GBM, Merton jumps, Student-t), historical CSV and pool Swap events.

All simulated paths are float64 arrays of shape ``(n_paths, n_steps + 1)`` whose column 0 is the start
price. Path ``i`` draws from its own stream ``SeedSequence(seed).spawn(n_paths)[i]``, so it is the same
whether generated alone, in a chunk (`iter_paths`, for 525,600-step horizons that would not fit in memory
for many paths) or in one batch.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

SECONDS_PER_YEAR = 365.0 * 86400.0
Model = Literal["gbm", "merton", "student_t"]
Blocks = Literal["fixed", "poisson"]


class PriceDataError(ValueError):
    """Historical price data that cannot be used, with the file/line and the reason."""


@dataclass(frozen=True)
class PathModel:
    """A seeded price model; ``sigma`` (log-price volatility) and ``drift`` (arithmetic μ) are per year.

    * ``gbm``: ``dP/P = μdt + σdW``.
    * ``merton``: GBM plus compound-Poisson jumps in log price, ``N(jump_mean, jump_std²)`` at
      ``jump_intensity`` per year; the drift is compensated so ``E[P_t] = P₀e^{μt}``. ``sigma`` is the
      diffusive part only (total variance rate σ² + λ(m² + s²)).
    * ``student_t``: log returns ``(μ − σ²/2)dt + σ√dt·T_ν·√((ν−2)/ν)`` (unit-variance t, ``dof`` ν > 2):
      the same variance as GBM with fat tails. ``E[P_t]`` is not finite for t-returns, so μ is not exact.
    """

    kind: Model = "gbm"
    sigma: float = 0.6
    drift: float = 0.0
    jump_intensity: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.0
    dof: float = 4.0

    def __post_init__(self) -> None:
        if self.kind not in ("gbm", "merton", "student_t"):
            raise ValueError(f"unknown path model {self.kind!r}")
        if self.sigma < 0:
            raise ValueError("sigma must be >= 0")
        if self.kind == "student_t" and self.dof <= 2:
            raise ValueError("student_t needs dof > 2 (finite variance)")
        if self.kind == "merton" and (self.jump_intensity < 0 or self.jump_std < 0):
            raise ValueError("jump_intensity and jump_std must be >= 0")

    def log_increments(
        self, rng: np.random.Generator, n_steps: int, dt: float | NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """One path's ``n_steps`` log-price increments over steps of ``dt`` years (or one ``dt`` per step)."""
        s2 = self.sigma**2
        if not np.isscalar(dt):
            dt = np.asarray(dt, dtype=np.float64)
            root = np.sqrt(dt)
            if self.kind == "gbm":
                return (self.drift - 0.5 * s2) * dt + self.sigma * root * rng.standard_normal(n_steps)
            if self.kind == "student_t":
                scale = self.sigma * root * math.sqrt((self.dof - 2.0) / self.dof)
                return (self.drift - 0.5 * s2) * dt + scale * rng.standard_t(self.dof, n_steps)
        if self.kind == "gbm":
            return (self.drift - 0.5 * s2) * dt + self.sigma * math.sqrt(dt) * rng.standard_normal(n_steps)
        if self.kind == "student_t":
            scale = self.sigma * math.sqrt(dt) * math.sqrt((self.dof - 2.0) / self.dof)
            return (self.drift - 0.5 * s2) * dt + scale * rng.standard_t(self.dof, n_steps)
        lam, m, sj = self.jump_intensity, self.jump_mean, self.jump_std
        kappa = math.exp(m + 0.5 * sj * sj) - 1.0
        inc = (self.drift - 0.5 * s2 - lam * kappa) * dt + self.sigma * np.sqrt(dt) * rng.standard_normal(
            n_steps
        )
        counts = rng.poisson(lam * dt, n_steps)
        jumps = np.nonzero(counts)[0]
        if jumps.size:
            k = counts[jumps].astype(np.float64)
            inc[jumps] += m * k + sj * np.sqrt(k) * rng.standard_normal(jumps.size)
        return inc

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def iter_paths(
    model: PathModel,
    price: float,
    horizon: float,
    n_steps: int,
    n_paths: int,
    *,
    seed: int,
    chunk_paths: int | None = None,
    blocks: Blocks = "fixed",
) -> Iterator[NDArray[np.float64]]:
    """Yield paths in chunks of ``chunk_paths`` rows (default: about 64 MB per chunk).

    ``horizon`` is in years; each step is one block. ``blocks="fixed"``: every step lasts ``horizon /
    n_steps`` (525,600 steps a year = one per minute); ``"poisson"``: step durations are exponential with
    that mean (blocks as a Poisson process, the model of Milionis, Moallemi, Roughgarden 2023).
    """
    if blocks not in ("fixed", "poisson"):
        raise ValueError(f"blocks must be 'fixed' or 'poisson', not {blocks!r}")
    if n_steps < 1 or n_paths < 1 or horizon <= 0 or price <= 0:
        raise ValueError("need n_steps >= 1, n_paths >= 1, horizon > 0 and price > 0")
    dt = horizon / n_steps
    if chunk_paths is None:
        chunk_paths = max(1, (64 << 20) // (8 * (n_steps + 1)))
    seqs = np.random.SeedSequence(seed).spawn(n_paths)
    log0 = math.log(price)
    for start in range(0, n_paths, chunk_paths):
        block = seqs[start : start + chunk_paths]
        out = np.empty((len(block), n_steps + 1), dtype=np.float64)
        out[:, 0] = log0
        for row, ss in enumerate(block):
            rng = np.random.default_rng(ss)
            step: float | NDArray[np.float64] = dt if blocks == "fixed" else rng.exponential(dt, n_steps)
            np.cumsum(model.log_increments(rng, n_steps, step), out=out[row, 1:])
            out[row, 1:] += log0
        np.exp(out, out=out)
        yield out


def simulate_paths(
    model: PathModel, price: float, horizon: float, n_steps: int, n_paths: int, *, seed: int
) -> NDArray[np.float64]:
    """All paths at once, shape ``(n_paths, n_steps + 1)``."""
    return np.concatenate(list(iter_paths(model, price, horizon, n_steps, n_paths, seed=seed)), axis=0)


def gbm_paths(
    price: float, sigma: float, horizon: float, n_steps: int, n_paths: int, *, seed: int, drift: float = 0.0
) -> NDArray[np.float64]:
    """Seeded GBM paths (exact log-normal increments, no discretisation error in the marginals)."""
    return simulate_paths(PathModel("gbm", sigma, drift), price, horizon, n_steps, n_paths, seed=seed)


def apply_fee_band(reference: ArrayLike, fee: float) -> NDArray[np.float64]:
    """Pool price under fee-aware arbitrage: it moves only when the reference leaves ``[p̃e^{−γ}, p̃e^{γ}]``.

    ``p̃_t = clip(p̃_{t−1}, P_t(1−f), P_t/(1−f))`` with ``p̃_0 = P_0``: each step is one block in which an
    arbitrageur trades the pool to the edge of the no-trade band ([MMR23]'s model with one arrival per step).
    Sequential by nature; a plain loop (about 0.2 µs a step) for few paths, vectorised across paths otherwise.
    """
    ref = np.asarray(reference, dtype=np.float64)
    if fee == 0.0:
        return ref.copy()
    lo_f = 1.0 - fee
    two_d = ref.ndim == 2
    r2 = ref if two_d else ref[None, :]
    out = np.empty_like(r2)
    if r2.shape[0] <= 4:
        for i in range(r2.shape[0]):
            row = r2[i].tolist()
            q = row[0]
            res = [q]
            append = res.append
            for p in row[1:]:
                # same as min(max(q, p·(1−f)), p/(1−f)); if/else is twice as fast as min/max calls here
                lo = p * lo_f
                if q < lo:
                    q = lo
                else:
                    hi = p / lo_f
                    if q > hi:  # noqa: PLR1730
                        q = hi
                append(q)
            out[i] = res
    else:
        ref_t = np.ascontiguousarray(r2.T)  # time-major, so each step reads one contiguous row
        lows, highs = ref_t * lo_f, ref_t / lo_f  # band edges for every step at once
        out_t = np.empty_like(ref_t)
        out_t[0] = ref_t[0]
        maximum, minimum = np.maximum, np.minimum  # raw ufuncs in place: ~1 µs a step, np.clip costs ~15
        for t in range(1, ref_t.shape[0]):
            row = out_t[t]
            maximum(out_t[t - 1], lows[t], out=row)
            minimum(row, highs[t], out=row)
        out = out_t.T
    return out if two_d else out[0]


# --- history ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSeries:
    """Prices at (strictly increasing) unix timestamps in seconds, with optional per-interval volumes.

    ``volume0``/``volume1`` (token amounts, human units) are the traded amounts between consecutive
    samples, aligned with ``prices[1:]`` (length ``len(prices) − 1``); None when unknown.
    """

    timestamps: NDArray[np.float64]
    prices: NDArray[np.float64]
    volume0: NDArray[np.float64] | None = None
    volume1: NDArray[np.float64] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.timestamps.shape != self.prices.shape or self.prices.ndim != 1:
            raise PriceDataError("timestamps and prices must be 1-D and the same length")
        if self.prices.size < 2:
            raise PriceDataError("need at least 2 prices")

    @property
    def interval_seconds(self) -> float:
        """Median spacing of the samples."""
        return float(np.median(np.diff(self.timestamps)))

    @property
    def horizon_years(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) / SECONDS_PER_YEAR

    def volume_in_token1(self) -> NDArray[np.float64] | None:
        """Per-interval volume valued in token1: token1 side if known, else token0 side at the start price."""
        if self.volume1 is not None:
            return self.volume1
        if self.volume0 is not None:
            return self.volume0 * self.prices[:-1]
        return None

    def resample(self, interval_seconds: float) -> PriceSeries:
        """Last price in each interval (forward-filled), volumes summed per interval."""
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be > 0")
        t0 = self.timestamps[0]
        n = max(1, math.ceil((self.timestamps[-1] - t0) / interval_seconds - 1e-12))
        grid = t0 + interval_seconds * np.arange(n + 1)
        idx = np.searchsorted(self.timestamps, grid, side="right") - 1
        prices = self.prices[idx]

        def bucket(v: NDArray[np.float64] | None) -> NDArray[np.float64] | None:
            if v is None:
                return None
            k = np.searchsorted(grid, self.timestamps[1:], side="left") - 1  # interval of each trade
            return np.bincount(np.clip(k, 0, n - 1), weights=v, minlength=n)[:n]

        return PriceSeries(grid, prices, bucket(self.volume0), bucket(self.volume1), dict(self.meta))

    def save(self, path: str | Path) -> None:
        """Cache to ``.npz`` (volumes stored when present)."""
        arrays = {"timestamps": self.timestamps, "prices": self.prices}
        if self.volume0 is not None:
            arrays["volume0"] = self.volume0
        if self.volume1 is not None:
            arrays["volume1"] = self.volume1
        np.savez(Path(path), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> PriceSeries:
        with np.load(Path(path)) as z:
            return cls(
                z["timestamps"],
                z["prices"],
                z.get("volume0"),
                z.get("volume1"),
            )


_TIME_NAMES = ("timestamp", "time", "ts", "date", "datetime", "block_timestamp")
_PRICE_NAMES = ("price", "close", "p")


def _parse_time(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"ISO timestamp {text!r} has no timezone (add Z or +00:00)")
    return dt.timestamp()


def load_price_csv(
    path: str | Path, time_column: str | None = None, price_column: str | None = None
) -> PriceSeries:
    """Read ``timestamp,price`` rows (unix seconds or ISO-8601 with a zone) from a CSV with a header.

    Raises `PriceDataError` naming the file and line for: a missing header or columns, unparsable or
    non-finite values, non-positive prices, timestamps that do not strictly increase, fewer than two rows.
    """
    p = Path(path)
    if not p.is_file():
        raise PriceDataError(f"{p}: no such file")
    try:
        return _read_price_csv(p, time_column, price_column)
    except UnicodeDecodeError as exc:
        raise PriceDataError(f"{p}: not a text CSV (byte {exc.start} is not UTF-8)") from None
    except csv.Error as exc:
        raise PriceDataError(f"{p}: not a readable CSV ({exc})") from None


def _read_price_csv(p: Path, time_column: str | None, price_column: str | None) -> PriceSeries:
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise PriceDataError(f"{p}: empty file (expected a header such as 'timestamp,price')")
        names = [h.strip().lower() for h in header]
        ti = _column(names, time_column, _TIME_NAMES, p, "time")
        pi = _column(names, price_column, _PRICE_NAMES, p, "price")
        ts: list[float] = []
        px: list[float] = []
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) <= max(ti, pi):
                raise PriceDataError(
                    f"{p}:{line_no}: expected at least {max(ti, pi) + 1} columns, got {len(row)}"
                )
            try:
                t = _parse_time(row[ti])
            except ValueError as exc:
                raise PriceDataError(f"{p}:{line_no}: bad timestamp {row[ti]!r}: {exc}") from None
            try:
                price = float(row[pi])
            except ValueError:
                raise PriceDataError(f"{p}:{line_no}: bad price {row[pi]!r}") from None
            if not (math.isfinite(t) and math.isfinite(price)):
                raise PriceDataError(f"{p}:{line_no}: non-finite value")
            if price <= 0:
                raise PriceDataError(f"{p}:{line_no}: price must be > 0, got {price}")
            if ts and t <= ts[-1]:
                raise PriceDataError(f"{p}:{line_no}: timestamps must strictly increase ({t} after {ts[-1]})")
            ts.append(t)
            px.append(price)
    if len(px) < 2:
        raise PriceDataError(f"{p}: need at least 2 price rows, got {len(px)}")
    times = np.asarray(ts)
    meta: dict[str, Any] = {"source": str(p)}
    scale = _epoch_scale(float(np.median(times)))
    if scale != 1:
        times = times / scale
        meta["timestamp_unit"] = {1e3: "ms", 1e6: "us", 1e9: "ns"}[scale]
    return PriceSeries(times, np.asarray(px), meta=meta)


def _epoch_scale(t: float) -> float:
    """Unix timestamps in seconds are about 1.7e9 today; 1.7e12 is milliseconds (JavaScript, most exchange
    APIs), 1.7e15 microseconds, 1.7e18 nanoseconds. Read as seconds, those would put the data in the year
    50,000 and every return on a 1000x shorter clock, so the unit is detected and said."""
    for scale in (1e9, 1e6, 1e3):
        if t / scale > 1e8:
            return scale
    return 1.0


def _column(names: list[str], wanted: str | None, candidates: Sequence[str], p: Path, what: str) -> int:
    if wanted is not None:
        if wanted.lower() not in names:
            raise PriceDataError(f"{p}: no column {wanted!r} in header {names}")
        return names.index(wanted.lower())
    for c in candidates:
        if c in names:
            return names.index(c)
    raise PriceDataError(f"{p}: no {what} column in header {names} (expected one of {list(candidates)})")


@dataclass(frozen=True)
class VolatilityEstimate:
    """Annualised volatility of log price with its standard error (robust to fat tails)."""

    sigma: float
    stderr: float
    n_returns: int
    interval_seconds: float

    def to_dict(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def estimate_volatility(
    prices: ArrayLike, timestamps: ArrayLike | None = None, interval_seconds: float | None = None
) -> VolatilityEstimate:
    """Realized-variance estimate ``σ̂² = Σ r_i² / Σ Δt_i`` (years), which handles irregular sampling.

    Give ``timestamps`` (seconds) or a fixed ``interval_seconds``. The standard error comes from the sample
    variance of ``r_i² − σ̂²Δt_i`` (so fat tails widen it), by the delta method ``se(σ) = se(σ²)/(2σ)``.
    Not demeaned: at intraday sampling the drift term is negligible against the noise.
    """
    p = np.asarray(prices, dtype=np.float64)
    if p.ndim != 1 or p.size < 3:
        raise ValueError("need a 1-D series of at least 3 prices")
    if np.any(p <= 0) or not np.all(np.isfinite(p)):
        raise ValueError("prices must be finite and > 0")
    r = np.diff(np.log(p))
    if timestamps is not None:
        dts = np.diff(np.asarray(timestamps, dtype=np.float64))
        if np.any(dts <= 0):
            raise ValueError("timestamps must strictly increase")
    elif interval_seconds is not None:
        dts = np.full(r.size, float(interval_seconds))
    else:
        raise ValueError("give timestamps or interval_seconds")
    dty = dts / SECONDS_PER_YEAR
    var = float(np.sum(r * r) / np.sum(dty))
    sigma = math.sqrt(var)
    resid = r * r - var * dty
    se_var = math.sqrt(float(np.sum(resid * resid))) / float(np.sum(dty))
    se = se_var / (2.0 * sigma) if sigma > 0 else float("nan")
    return VolatilityEstimate(sigma, se, int(r.size), float(np.median(dts)))


# --- pool Swap events -------------------------------------------------------------------------------------

Q96 = 2**96


def swaps_to_series(
    events: Sequence[Mapping[str, Any]],
    decimals0: int,
    decimals1: int,
    interval_seconds: float | None = None,
) -> PriceSeries:
    """Turn decoded v3 Swap events into a pool price series with traded volumes.

    Each event needs ``timestamp`` (seconds; sort key, ties broken by ``log_index`` if present),
    ``sqrt_price_x96`` (pool price after the swap), ``amount0``, ``amount1`` (signed raw ints, pool's view).
    The price after each swap is ``(sqrtPriceX96/2⁹⁶)²·10^(d0−d1)``; volumes are ``|amount|`` in human
    units and belong to the interval ending at that swap. With ``interval_seconds`` the series is resampled
    on a regular grid (last price, summed volume). Event-level series keep every swap's price move, so the
    flow-fee model then sees all volume (see `amm.analytics.ranges`).
    """
    if len(events) < 2:
        raise PriceDataError("need at least 2 swap events")
    evs = sorted(events, key=lambda e: (float(e["timestamp"]), int(e.get("log_index", 0))))
    shift = 10.0 ** (decimals0 - decimals1)
    ts = np.array([float(e["timestamp"]) for e in evs])
    px = np.array([(int(e["sqrt_price_x96"]) / Q96) ** 2 * shift for e in evs])
    v0 = np.array([abs(int(e["amount0"])) for e in evs], dtype=np.float64)[1:] / 10.0**decimals0
    v1 = np.array([abs(int(e["amount1"])) for e in evs], dtype=np.float64)[1:] / 10.0**decimals1
    # several swaps in one block share a timestamp: keep order, nudge by ≤ 1 ms so time strictly increases
    same = np.concatenate([[0], np.diff(ts) <= 0]).astype(bool)
    if same.any():
        bump = np.zeros_like(ts)
        run = 0
        for i in range(1, ts.size):
            run = run + 1 if same[i] else 0
            bump[i] = run * 1e-6
        ts = ts + bump
    series = PriceSeries(ts, px, v0, v1, meta={"source": "swaps", "n_swaps": len(evs)})
    return series.resample(interval_seconds) if interval_seconds else series
