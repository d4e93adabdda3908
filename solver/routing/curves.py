"""Float trade curves of pools: what a pool pays out, and takes in, when traded down to a marginal rate.

A v3 pool between two initialised ticks is a constant-product curve with virtual reserves, and a v2 pair is
one over its whole range, so a pool traded in one direction is a chain of constant-product segments. In the
variable u (u = 1/sqrt(P) selling token0, u = sqrt(P) selling token1, P = token1 per token0 in raw units)
every segment reads the same way, for both directions:

    input  (fee included) = X_k + L_k (u - u_k) / γ          output = Y_k + L_k (1/u_k - 1/u)
    marginal rate (output per unit of input) = γ / u²        so trading down to rate r means u = sqrt(γ / r)

with γ = 1 - fee. That is the closed form of Angeris, Diamandis et al. (2023) for the "arbitrage problem" of a
constant-product pool at prices ν, applied segment by segment. `CurveSet` stacks the curves of many
pool-directions into flat numpy arrays and evaluates all of them at once with one `searchsorted`.

Floats are only used to *search* for a split; every amount that is sent comes from the exact integer models.
Segments end exactly at initialised ticks; the contract's extra stops at bitmap-word edges change only the
rounding, which the exact execution settles.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from amm.v2.pair import Pair
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

_Q96 = float(2**96)
_V2_GAMMA = 0.997
_V2_SPAN = 1e9  # a v2 curve is cut where its price moved by 1e18: every reserve but a 1e-9 sliver is out
_OFFSET = 256.0  # per-curve offset of log(u) keys, larger than any curve's log-u span (~90)
_CAP_GAP = 1e-9  # margin left before a capping tick: 1e-9 of the rate, far above the keys' float resolution


@dataclass(frozen=True)
class Curve:
    """One pool traded in one direction: segment starts `u` (increasing, u[0] = now), their liquidity and the
    cumulative input/output at each start, plus the end of the last segment (all liquidity used)."""

    gamma: float
    u: np.ndarray
    liquidity: np.ndarray
    cum_in: np.ndarray
    cum_out: np.ndarray
    u_end: float
    in_end: float
    out_end: float
    ticks: np.ndarray  # initialised ticks crossed on reaching each segment start (v3; zeros for v2)

    @property
    def spot_rate(self) -> float:
        """Marginal output per unit of input before trading (fee included)."""
        return self.gamma / float(self.u[0]) ** 2

    @property
    def mid_rate(self) -> float:
        """Output per unit of input at the current price, without the fee."""
        return 1.0 / float(self.u[0]) ** 2


def _build(gamma: float, u: np.ndarray, liquidity: np.ndarray, u_end: float, ticks: np.ndarray) -> Curve:
    bounds = np.append(u, u_end)
    d_in = liquidity * (bounds[1:] - bounds[:-1]) / gamma
    d_out = liquidity * (1.0 / bounds[:-1] - 1.0 / bounds[1:])
    cum_in = np.concatenate(([0.0], np.cumsum(d_in)))
    cum_out = np.concatenate(([0.0], np.cumsum(d_out)))
    return Curve(gamma, u, liquidity, cum_in[:-1], cum_out[:-1], u_end, cum_in[-1], cum_out[-1], ticks)


def v3_curve(pool: Pool, zero_for_one: bool) -> Curve:
    """The pool's curve from its current price through every initialised tick in the trade's direction."""
    gamma = 1.0 - pool.fee / 1e6
    s0 = pool.sqrt_price_x96 / _Q96
    ticks = np.array(pool.initialized_ticks, dtype=np.int64)
    nets = np.array(
        [float(pool.ticks[t].liquidity_net) if t in pool.ticks else 0.0 for t in pool.initialized_ticks]
    )
    if zero_for_one:  # price falls: cross ticks <= tick downwards, each subtracting its liquidity_net
        mask = ticks <= pool.tick
        crossed, net = ticks[mask][::-1], -nets[mask][::-1]
        bounds_s = np.power(1.0001, crossed / 2.0)
        u = np.concatenate(([1.0 / s0], 1.0 / bounds_s))
        u_end = _Q96 / MIN_SQRT_RATIO
    else:  # price rises: cross ticks > tick upwards, each adding its liquidity_net
        mask = ticks > pool.tick
        crossed, net = ticks[mask], nets[mask]
        bounds_s = np.power(1.0001, crossed / 2.0)
        u = np.concatenate(([s0], bounds_s))
        u_end = MAX_SQRT_RATIO / _Q96
    liquidity = np.maximum(float(pool.liquidity) + np.concatenate(([0.0], np.cumsum(net))), 0.0)
    u = np.maximum.accumulate(u)  # a price sitting exactly on a tick gives an empty first segment
    return _build(gamma, u, liquidity, max(u_end, float(u[-1])), np.arange(len(u), dtype=np.int64))


def v2_curve(pair: Pair, zero_for_one: bool) -> Curve:
    """A v2 pair: one constant-product segment with L = sqrt(reserve_in * reserve_out)."""
    r_in, r_out = (pair.reserve0, pair.reserve1) if zero_for_one else (pair.reserve1, pair.reserve0)
    if r_in <= 0 or r_out <= 0:
        return _build(_V2_GAMMA, np.array([1.0]), np.array([0.0]), 1.0 + 1e-9, np.zeros(1, np.int64))
    u0 = math.sqrt(r_in / r_out)
    liquidity = math.sqrt(float(r_in) * float(r_out))
    return _build(_V2_GAMMA, np.array([u0]), np.array([liquidity]), u0 * _V2_SPAN, np.zeros(1, np.int64))


@dataclass
class Flows:
    """Every curve of a `CurveSet` traded to its margin: input, output, the derivative of the input with
    respect to the margin (>= 0), and (on demand) the initialised ticks crossed."""

    amount_in: np.ndarray
    amount_out: np.ndarray
    d_in: np.ndarray
    _segment: np.ndarray
    _trading: np.ndarray
    _seg_ticks: np.ndarray

    @property
    def ticks(self) -> np.ndarray:
        return self._seg_ticks[self._segment] * self._trading

    def row(self, k: int) -> Flows:
        """One evaluation out of a batch (flows of 2-D margins)."""
        return Flows(
            self.amount_in[k],
            self.amount_out[k],
            self.d_in[k],
            self._segment[k],
            self._trading[k],
            self._seg_ticks,
        )


class CurveSet:
    """Many curves in flat arrays, evaluated together: `flows(margins)` costs one searchsorted for all.

    A curve is traded to a *margin* m = log(spot rate / target rate) >= 0 rather than to a rate: a small trade
    moves the price by a tiny fraction, and a rate near the spot rate carries that fraction only in its last
    digits, while m carries it at full precision (u/u0 = exp(m/2)). So a $1 order in a $100M pool still gets
    flows accurate to ~1e-15 of themselves.
    """

    def __init__(self, curves: list[Curve]) -> None:
        self.curves = curves
        n = len(curves)
        counts = np.array([len(c.u) for c in curves], dtype=np.int64)
        self.start = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        self.gamma = np.array([c.gamma for c in curves])
        self.inv_gamma = 1.0 / self.gamma
        self.u0 = np.array([float(c.u[0]) for c in curves])
        self.log_spot = np.log(self.gamma) - 2.0 * np.log(self.u0)
        self.m_end = 2.0 * np.log(np.array([c.u_end for c in curves]) / self.u0)
        self.in_end = np.array([c.in_end for c in curves])
        self.out_end = np.array([c.out_end for c in curves])
        empty = np.zeros(0)
        self.u = np.concatenate([c.u for c in curves]) if n else empty
        self.liquidity = np.concatenate([c.liquidity for c in curves]) if n else empty
        self.cum_in = np.concatenate([c.cum_in for c in curves]) if n else empty
        self.cum_out = np.concatenate([c.cum_out for c in curves]) if n else empty
        self.seg_ticks = np.concatenate([c.ticks for c in curves]) if n else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(n), counts)
        self.seg_m = 2.0 * np.log(self.u / self.u0[owner]) if n else empty  # margin at each segment start
        self.offset = np.arange(n) * _OFFSET
        # keys never reach the next curve's (offset > any margin span), so a search lands in its own curve
        self.keys = self.seg_m + owner * _OFFSET
        # one row per segment, gathered in one indexing operation: start margin, u, L/2, cum in, cum out
        self.table = np.stack([self.seg_m, self.u, 0.5 * self.liquidity, self.cum_in, self.cum_out], axis=1)
        # d(input)/d(margin) as soon as a curve starts trading
        self.slope0 = 0.5 * self.liquidity[self.start] * self.u0 / self.gamma if n else empty

    def __len__(self) -> int:
        return len(self.curves)

    def flows(self, margins: np.ndarray, active: np.ndarray | None = None) -> Flows:
        """Trade each curve to `margins` (log of spot rate over target rate); inactive curves do not trade.

        `margins` may be a batch (rows of margins for every curve): numpy's cost here is per call, not
        per element, so a line search evaluates all its trial steps at once. `d_in` is the derivative of the
        input with respect to the margin; it is one-sided at the no-trade threshold (a curve exactly at its
        spot rate reports the slope it will have once it trades), so a Newton step from the threshold sees
        the curvature it is about to meet instead of zero.
        """
        trading = margins > 0
        sloped = (margins > -1e-12) & (margins < self.m_end)
        if active is not None:
            trading &= active
            sloped &= active
        m = np.minimum(np.maximum(margins, 0.0), self.m_end)
        idx = np.searchsorted(self.keys, m + self.offset, side="right") - 1
        row = self.table[idx]
        seg_m, u_k, half_l, cum_in, cum_out = (row[..., c] for c in range(5))
        du = u_k * np.expm1(0.5 * (m - seg_m))  # u* - u_k without cancellation
        u_star = u_k + du
        moved = half_l * du * trading  # (L/2)·du where trading
        amount_in = cum_in * trading + 2.0 * moved * self.inv_gamma
        amount_out = cum_out * trading + 2.0 * moved / (u_k * u_star)
        d_in = half_l * u_star * self.inv_gamma * sloped
        return Flows(amount_in, amount_out, d_in, idx, trading, self.seg_ticks)

    def capped(self, caps: np.ndarray) -> CurveSet:
        """The same curves, each with `caps[e] >= 0` ending just before the initialised tick it would cross
        after `caps[e]` ticks (caps < 0: as is): a leg limited to crossing at most that many ticks, whose tick
        gas is then known, so the split search can weigh a tick's gas against the flow beyond it.

        A curve that cannot trade at all within its cap (its price sits on a tick) gets m_end = 0: callers
        leave such edges inactive."""
        out = copy.copy(self)
        m_end = self.m_end.copy()
        counts = np.diff(np.append(self.start, len(self.u)))
        for e in np.flatnonzero((caps >= 0) & (caps + 1 < counts)):
            boundary = float(self.seg_m[self.start[e] + caps[e] + 1])
            # a flow ending exactly on a tick crosses it: stop a hair before (keys resolve ~1e-11)
            m_end[e] = max(min(m_end[e], boundary - _CAP_GAP), 0.0)
        out.m_end = m_end
        ends = self.flows(m_end)
        out.in_end = np.where(m_end < self.m_end, ends.amount_in, self.in_end)
        out.out_end = np.where(m_end < self.m_end, ends.amount_out, self.out_end)
        return out

    def output_for_input(self, index: int, amount_in: float) -> tuple[float, int]:
        """Float output of curve `index` for `amount_in`, and the initialised ticks it crosses."""
        start, count = int(self.start[index]), len(self.curves[index].u)
        if amount_in <= 0:
            return 0.0, 0
        cum = self.cum_in[start : start + count]
        k = start + int(np.searchsorted(cum, min(amount_in, float(self.in_end[index])), side="right")) - 1
        ticks = int(self.seg_ticks[k])
        if amount_in >= self.in_end[index]:
            return float(self.out_end[index]), ticks
        half_l, u_k = float(self.table[k, 2]), float(self.u[k])
        if half_l <= 0:
            return float(self.cum_out[k]), ticks
        u = u_k + (amount_in - float(self.cum_in[k])) * float(self.gamma[index]) / (2.0 * half_l)
        return float(self.cum_out[k]) + 2.0 * half_l * (u - u_k) / (u_k * u), ticks

    def input_for_output(self, index: int, amount_out: float) -> tuple[float, int]:
        """Float input curve `index` needs to pay `amount_out` (inf if it cannot), and ticks crossed."""
        start, count = int(self.start[index]), len(self.curves[index].u)
        if amount_out <= 0:
            return 0.0, 0
        if amount_out >= self.out_end[index]:
            return float("inf"), 0
        cum = self.cum_out[start : start + count]
        k = start + int(np.searchsorted(cum, amount_out, side="right")) - 1
        ticks = int(self.seg_ticks[k])
        half_l, u_k = float(self.table[k, 2]), float(self.u[k])
        if half_l <= 0:
            return float("inf"), ticks
        # out - cum_out = L (1/u_k - 1/u)  =>  1/u = 1/u_k - (out - cum_out) / L
        inv_u = 1.0 / u_k - (amount_out - float(self.cum_out[k])) / (2.0 * half_l)
        if inv_u <= 0:
            return float("inf"), ticks
        return float(self.cum_in[k]) + 2.0 * half_l * (1.0 / inv_u - u_k) / float(self.gamma[index]), ticks
