"""Summary statistics over Monte Carlo paths, in a JSON-safe shape.

Every figure the range analysis reports is a distribution over paths; a bare mean hides how uncertain it is,
so each metric carries the standard error of its mean and the 5th/50th/95th percentiles.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

PERCENTILES: tuple[float, float, float] = (5.0, 50.0, 95.0)


def json_float(x: float) -> float | None:
    """A float that `json.dumps` accepts without `allow_nan` (NaN and ±inf become None)."""
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Stat:
    """Mean, standard error of the mean and percentiles of one metric over `n` paths."""

    mean: float
    stderr: float
    p5: float
    p50: float
    p95: float
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        return {k: (json_float(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def summarize(samples: ArrayLike, axis: int = 0) -> list[Stat] | Stat:
    """Summarise `samples` along `axis`: one `Stat` for a 1-D input, a list of them for a 2-D input.

    The standard error is the sample standard deviation over √n (ddof=1); it is NaN for a single path, since
    one path says nothing about the spread.
    """
    a = np.asarray(samples, dtype=np.float64)
    if a.ndim == 1:
        return _summarize_2d(a[:, None], 0)[0]
    if a.ndim != 2:
        raise ValueError(f"summarize takes 1-D or 2-D samples, got shape {a.shape}")
    return _summarize_2d(a, axis)


def _summarize_2d(a: np.ndarray, axis: int) -> list[Stat]:
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    if n == 0:
        raise ValueError("cannot summarise zero samples")
    mean = a.mean(axis=0)
    se = a.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(a.shape[1], np.nan)
    pct = np.percentile(a, PERCENTILES, axis=0)
    return [
        Stat(float(mean[j]), float(se[j]), float(pct[0, j]), float(pct[1, j]), float(pct[2, j]), n)
        for j in range(a.shape[1])
    ]
