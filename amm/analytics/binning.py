"""One pass over a path that reduces it to per-bin sums, so each range then costs O(bins), not O(steps).

The bins are the intervals between consecutive *edges*: every range bound and every liquidity-profile
boundary. A range ``[E[i], E[j])`` is exactly the union of bins ``i+1 .. j`` (bin ``k`` is
``[E[k−1], E[k])``; bin 0 is below ``E[0]`` and bin ``M`` at or above ``E[M−1]``), so any additive per-step
quantity restricted to a range is a difference of two prefix sums over bins. That includes the √P flow of a
step that crosses several bins: it is split into the partial lengths in its first and last bin plus the full
widths of the bins crossed in between (counted with a difference array).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


def _prefix(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``out[k] = Σ_{k' < k} x[k']`` (length len(x) + 1), so a sum over bins a..b is out[b+1] − out[a]."""
    out = np.empty(x.size + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(x, out=out[1:])
    return out


def _flow_by_bin(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    ka: NDArray[np.intp],
    kb: NDArray[np.intp],
    *,
    bin_lo: NDArray[np.float64],
    bin_hi: NDArray[np.float64],
    n_bins: int,
) -> NDArray[np.float64]:
    """Per-bin length of the union of moves ``a → b`` (a < b) in a coordinate where bin k is [lo_k, hi_k].

    ``ka``/``kb`` are the bins of a and b and must be ordered like the coordinate (ka ≤ kb here; callers map
    bins so that this holds). Widths of the unbounded end bins are never used: no move crosses them fully.
    """
    out = np.zeros(n_bins, dtype=np.float64)
    if a.size == 0:
        return out
    same = ka == kb
    out += np.bincount(ka[same], weights=b[same] - a[same], minlength=n_bins)
    cross = ~same
    if cross.any():
        ka_c, kb_c = ka[cross], kb[cross]
        out += np.bincount(ka_c, weights=bin_hi[ka_c] - a[cross], minlength=n_bins)
        out += np.bincount(kb_c, weights=b[cross] - bin_lo[kb_c], minlength=n_bins)
        diff = np.bincount(ka_c + 1, minlength=n_bins + 1) - np.bincount(kb_c, minlength=n_bins + 1)
        full = np.cumsum(diff)[:n_bins]
        inner = full > 0
        out[inner] += full[inner] * (bin_hi[inner] - bin_lo[inner])
    return out


@dataclass(frozen=True)
class BinEdges:
    """Sorted finite edges ``E`` (length M) and the derived per-bin bounds in P, √P and 1/√P (M + 1 bins)."""

    edges: NDArray[np.float64]
    s_lo: NDArray[np.float64]
    s_hi: NDArray[np.float64]
    u_lo: NDArray[np.float64]
    u_hi: NDArray[np.float64]

    @classmethod
    def build(cls, edges: NDArray[np.float64]) -> BinEdges:
        e = np.unique(np.asarray(edges, dtype=np.float64))
        e = e[np.isfinite(e) & (e > 0)]
        s = np.sqrt(e)
        s_lo = np.concatenate([[0.0], s])
        s_hi = np.concatenate([s, [np.inf]])
        with np.errstate(divide="ignore"):
            u_hi = 1.0 / s_lo  # bin k in 1/√P is [1/√E[k], 1/√E[k−1]]
            u_lo = 1.0 / s_hi
        return cls(e, s_lo, s_hi, u_lo, u_hi)

    @property
    def n_bins(self) -> int:
        return self.edges.size + 1

    def bin_of(self, prices: NDArray[np.float64]) -> NDArray[np.intp]:
        """Bin index k with ``E[k−1] ≤ P < E[k]`` (the contract's in-range test is lower ≤ P < upper)."""
        return np.searchsorted(self.edges, prices, side="right")

    def index_of_lower(self, bounds: NDArray[np.float64]) -> NDArray[np.intp]:
        """Edge index of each range bound: −1 for 0 (unbounded below), M for +inf, else its edge."""
        b = np.asarray(bounds, dtype=np.float64)
        idx = np.searchsorted(self.edges, b, side="left")
        idx = np.where(b <= 0.0, -1, idx)
        idx = np.where(np.isinf(b), self.edges.size, idx)
        finite = (b > 0) & np.isfinite(b)
        if finite.any() and not np.array_equal(self.edges[idx[finite]], b[finite]):
            raise ValueError("every finite range bound must be one of the bin edges")
        return idx


@dataclass(frozen=True)
class PathBins:
    """Prefix sums over bins for one path (all arrays length n_bins + 1, see `_prefix`).

    From the pool price ``q``: step counts, √P up-flow ``up`` (token1 in), 1/√P down-flow ``down``
    (token0 in), noise volume ``nv`` and noise volume over price ``nw``. From the reference price ``p``:
    ``dp = Σ ΔP`` and ``dps = Σ ΔP/√P_{t−1}`` (the rebalancing strategy's P&L per unit L, by bin of P_{t−1}).
    """

    count: NDArray[np.float64]
    up: NDArray[np.float64]
    down: NDArray[np.float64]
    nv: NDArray[np.float64]
    nw: NDArray[np.float64]
    dp: NDArray[np.float64]
    dps: NDArray[np.float64]
    nv_bins: NDArray[np.float64]
    nw_bins: NDArray[np.float64]
    n_steps: int
    p0: float
    p_end: float
    q_end: float


def bin_path(
    bins: BinEdges,
    p: NDArray[np.float64],
    q: NDArray[np.float64],
    noise: NDArray[np.float64] | None,
    time_weights: NDArray[np.float64] | None = None,
) -> PathBins:
    """Reduce reference path ``p`` and pool path ``q`` (same length N+1), noise volume and step weights
    (length N; ``count`` is then the weight of the steps in each bin, normalised to sum to N)."""
    n = p.size - 1
    nb = bins.n_bins
    kq = bins.bin_of(q)
    kq0 = kq[:-1]
    if time_weights is None:
        count = np.bincount(kq0, minlength=nb).astype(np.float64)
    else:
        count = np.bincount(kq0, weights=time_weights * (n / float(np.sum(time_weights))), minlength=nb)

    sq = np.sqrt(q)
    a, b = sq[:-1], sq[1:]
    k1 = kq[1:]
    upm = b > a
    up = _flow_by_bin(a[upm], b[upm], kq0[upm], k1[upm], bin_lo=bins.s_lo, bin_hi=bins.s_hi, n_bins=nb)
    dn = b < a
    # in u = 1/√P bins run the other way, so index them by M − k to keep ka ≤ kb
    rev = nb - 1
    down_r = _flow_by_bin(
        1.0 / a[dn],
        1.0 / b[dn],
        rev - kq0[dn],
        rev - k1[dn],
        bin_lo=bins.u_lo[::-1],
        bin_hi=bins.u_hi[::-1],
        n_bins=nb,
    )
    down = down_r[::-1]

    if noise is None:
        nv_b = np.zeros(nb)
        nw_b = np.zeros(nb)
    else:
        nv_b = np.bincount(kq0, weights=noise, minlength=nb)
        nw_b = np.bincount(kq0, weights=noise / q[:-1], minlength=nb)

    kp0 = kq0 if p is q else bins.bin_of(p[:-1])
    dpv = np.diff(p)
    dp = np.bincount(kp0, weights=dpv, minlength=nb)
    dps = np.bincount(kp0, weights=dpv / np.sqrt(p[:-1]), minlength=nb)
    return PathBins(
        count=_prefix(count),
        up=_prefix(up),
        down=_prefix(down),
        nv=_prefix(nv_b),
        nw=_prefix(nw_b),
        dp=_prefix(dp),
        dps=_prefix(dps),
        nv_bins=nv_b,
        nw_bins=nw_b,
        n_steps=n,
        p0=float(p[0]),
        p_end=float(p[-1]),
        q_end=float(q[-1]),
    )
