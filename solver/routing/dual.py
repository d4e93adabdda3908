"""The split search: dual decomposition over token prices (Angeris, Diamandis et al. 2023, arXiv 2302.04938).

Exact input X of token A, maximise the output of B. With a price ν_k for every token of the network (ν_B = 1),
each pool edge i -> j solves its own "arbitrage problem": trade until its marginal rate equals ν_i / ν_j
(closed form per constant-product segment, `curves.py`). The dual function

    g(ν) = ν_A X + Σ_e (ν_j out_e - ν_i in_e)        (exact output Y of B: ν_A = 1 and -ν_B Y instead)

is convex; its gradient is the token imbalance (X minus what A's edges take; at each intermediate token what
flows in minus what flows out). At its minimum the imbalances vanish: the input is spent, intermediate tokens
balance, and every used pool ends at the same marginal rate along every path, which is the optimality
condition of the split. In relative coordinates (ν_k -> ν_k (1 + Δ_k)) the Hessian is a weighted Laplacian
of the token graph, Σ_e w_e (1_i - 1_j)(1_i - 1_j)ᵀ with w_e = ν_i ∂in_e/∂m_e, so each damped Newton step
solves a system as small as the number of tokens. Prices are kept as y = log(ν / ν_start) and edges are
evaluated at their margin (`curves.CurveSet.flows`), so tiny orders converge as well as large ones.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from solver.routing.curves import CurveSet, Flows
from solver.routing.network import BUY, SELL, Network

_MAX_STEP = 0.5  # fallback step (relative price move) when Newton has nothing to say
_ARMIJO = 1e-4
_EXHAUSTED = math.log(1e6)  # the bound token's price moved a millionfold: the order drains the pools
_LOOSE = 1e-6  # imbalance accepted when float precision stops progress


@dataclass
class DualSolution:
    nu: (
        np.ndarray
    )  # token prices in raw units of the fixed token (BUY for exact input, SELL for exact output)
    flows: Flows
    margins: np.ndarray  # log(spot rate / marginal rate) each edge trades to
    iterations: int
    evaluations: int
    converged: bool
    exhausted: bool  # prices ran away: the order is larger than the pools can fill
    imbalance: float  # largest |ν_k G_k| relative to the order's value
    ei: np.ndarray
    ej: np.ndarray

    @property
    def rates(self) -> np.ndarray:
        return self.nu[self.ei] / self.nu[self.ej]

    def surplus(self) -> np.ndarray:
        """Each edge's own arbitrage profit at ν, in raw units of the fixed token: what it adds over trading
        the same amount at the marginal rate. Dropping an edge costs at least this much."""
        return self.flows.amount_out * self.nu[self.ej] - self.flows.amount_in * self.nu[self.ei]


def threshold_prices(
    network: Network, exact_in: bool, active: np.ndarray, log_rates: np.ndarray | None = None
) -> np.ndarray:
    """Prices at which the best path is exactly at its margin and no edge trades: where Newton starts.

    Exact input: ν_k = max over edges k -> j of spot · ν_j, from BUY backwards (Bellman-Ford over the few
    tokens). Exact output: ν_j = min over edges i -> j of ν_i / spot, from SELL forwards. Returns log ν; other
    `log_rates` (e.g. mid rates without fees) give the best path's price at those rates.
    """
    n = network.size
    ei, ej = network.ei, network.ej
    log_spot = network.curves.log_spot if log_rates is None else log_rates
    log_nu = np.full(n, -np.inf if exact_in else np.inf)
    log_nu[BUY if exact_in else SELL] = 0.0
    for _ in range(n):
        if exact_in:
            cand = np.where(active, log_spot + log_nu[ej], -np.inf)
            best = np.full(n, -np.inf)
            np.maximum.at(best, ei, cand)
            best[BUY] = 0.0
        else:
            cand = np.where(active, log_nu[ei] - log_spot, np.inf)
            best = np.full(n, np.inf)
            np.minimum.at(best, ej, cand)
            best[SELL] = 0.0
        if np.array_equal(best, log_nu):
            break
        log_nu = best
    return np.where(np.isfinite(log_nu), log_nu, 0.0)


def solve(
    network: Network,
    amount: float,
    exact_in: bool,
    active: np.ndarray | None = None,
    warm: np.ndarray | None = None,
    *,
    tol: float = 1e-9,
    max_iter: int = 60,
) -> DualSolution:
    """Minimise the dual for an order of `amount` (input if exact_in, else output) over the active edges.

    `warm` is a price vector of an earlier solve (e.g. before some edges were dropped) to start from.

    Globalisation: concentrated liquidity makes the flows piecewise smooth with kinks where liquidity jumps
    by orders of magnitude (a stable pair's tick range), and deep pools may sit just past the threshold of a
    thin one, so the step is a semi-smooth Newton step over the edges it brings in (`_newton_step`). The full
    step is tried first (Armijo on g); if it fails, the line ν (1 + t·step) is evaluated at a ladder of t in
    one batched call and the t with the lowest g is taken (or, once g's change is below its float resolution,
    the one with the lowest imbalance).
    """
    n = network.size
    ei, ej = network.ei, network.ej
    curves = network.curves
    if active is None:
        active = np.ones(len(network.edges), dtype=bool)
    fixed = BUY if exact_in else SELL
    bound = SELL if exact_in else BUY
    sign = 1.0 if exact_in else -1.0
    free = np.array([k for k in range(n) if k != fixed], dtype=np.int64)
    delta = network.incidence  # +1 at the token an edge pays out, -1 at the token it takes
    log_nu_s = threshold_prices(network, exact_in, active)
    c = curves.log_spot - (log_nu_s[ei] - log_nu_s[ej])
    c[np.abs(c) < 1e-13] = 0.0  # edges on the best path sit exactly at their threshold
    y = np.zeros(n) if warm is None else np.log(warm) - log_nu_s
    y[fixed] = 0.0
    evaluations = 0

    def evaluate(ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, Flows, np.ndarray, np.ndarray]:
        """g, scaled gradient ν·G, flows, margins and ν for each row of log-price offsets."""
        nonlocal evaluations
        evaluations += len(ys)
        margins = c - ys[:, ei] + ys[:, ej]
        f = curves.flows(margins, active)
        nu = np.exp(log_nu_s + ys)
        flow = f.amount_out @ network.into - f.amount_in @ network.out_of_matrix
        flow[:, bound] += sign * amount
        g = sign * nu[:, bound] * amount + (f.amount_out * nu[:, ej] - f.amount_in * nu[:, ei]).sum(axis=1)
        gross = nu[:, bound] * amount + (f.amount_in * nu[:, ei]).sum(axis=1)
        return np.stack((g, gross), axis=1), nu * flow, f, margins, nu

    gs, grads, fs, ms, nus = evaluate(y[None, :])
    g, grad, f, margins, nu = gs[0, 0], grads[0], fs.row(0), ms[0], nus[0]
    iterations = 0
    converged = exhausted = False
    imbalance = best = np.inf
    since_best = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - reported
        value = nu[bound] * amount
        imbalance = float(np.max(np.abs(grad[free]))) / value
        if imbalance <= tol:
            converged = True
            break
        if abs(y[bound]) > _EXHAUSTED:
            exhausted = True
            break
        if imbalance < 0.5 * best:
            best, since_best = imbalance, 0
        elif imbalance < 1e-4:
            since_best += 1
            if since_best >= 6:  # float precision reached
                break
        step = _newton_step(curves, f, margins, nu, grad, active, ei, delta, free)
        # no price may halve or double in one step
        biggest = float(np.max(np.maximum(-step / 0.5, step)))
        if not np.isfinite(biggest):
            step[free] = -np.sign(grad[free]) * _MAX_STEP
        elif biggest > 1.0:
            step /= biggest
        if float(grad @ step) >= 0:  # not a descent direction for g: a small scaled-gradient step instead
            step[free] = -np.sign(grad[free]) * 0.05
        # the full step alone first (it is what Newton usually takes), the ladder only if it fails
        norm = float(np.max(np.abs(grad[free])))
        ys = y[None, :] + np.log1p(step[None, :])
        gs, grads, fs, ms, nus = evaluate(ys)
        resolution = 1e-9 * max(float(gs[0, 1]), value)
        decrease = g - gs[:, 0]
        if not (
            (decrease[0] > resolution and decrease[0] >= -_ARMIJO * float(grad @ step))
            or (abs(decrease[0]) <= resolution and np.abs(grads[0, free]).max() < norm)
        ):
            ys = y[None, :] + np.log1p(_LADDER[:, None] * step[None, :])
            gs, grads, fs, ms, nus = evaluate(ys)
            resolution = 1e-9 * max(float(gs[:, 1].max()), value)
            decrease = g - gs[:, 0]
        norms = np.abs(grads[:, free]).max(axis=1)
        if decrease.max() > resolution:  # a measurable decrease of g: take the lowest g
            k = int(np.argmax(decrease))
        else:  # g is flat at float resolution here: take the smallest imbalance if it improves
            k = int(np.argmin(norms))
            if norms[k] >= norm:
                break
        y, g, grad, f, margins, nu = ys[k], gs[k, 0], grads[k], fs.row(k), ms[k], nus[k]
    converged = converged or (imbalance <= _LOOSE and not exhausted)
    return DualSolution(nu, f, margins, iterations, evaluations, converged, exhausted, imbalance, ei, ej)


def _newton_step(
    curves: CurveSet,
    f: Flows,
    margins: np.ndarray,
    nu: np.ndarray,
    grad: np.ndarray,
    active: np.ndarray,
    ei: np.ndarray,
    delta: np.ndarray,
    free: np.ndarray,
) -> np.ndarray:
    """A semi-smooth Newton step: relative price moves Δ that zero the imbalances of the piecewise-linear
    model in_e ≈ max(0, b_e + a_e Δm_e) of every edge (Δm_e = Δ_j - Δ_i).

    A trading edge keeps its slope a_e = ∂in/∂m and current input b_e; an idle edge within reach gets its
    opening slope and b_e = a_e m_e < 0, the distance to its threshold. The set of edges the model says trade
    is iterated to a fixed point (keeping the step whose model residual is smallest, should it cycle), so a
    deep pool a few bps away joins the step instead of being overshot into, and an edge the step stops leaves
    it. In value units the system is a weighted Laplacian of the token graph, Dᵀ diag(w) D with D the
    edge-token incidence (+1 at j, -1 at i) and w_e = ν_i a_e.
    """
    trading = f.amount_in > 0
    idle = active & ~trading & (margins > -1.0)
    a = np.where(f.d_in > 0, f.d_in, np.where(idle, curves.slope0, 0.0))
    value = nu[ei]
    av = a * value
    bv = np.where(trading, f.amount_in, a * margins) * value
    current = f.amount_in * value
    kept = trading & (a == 0)  # saturated edges keep their flow
    d_free = delta[:, free]
    g_free = grad[free]

    def residual(step_free: np.ndarray) -> float:
        """Largest imbalance the piecewise-linear model predicts after the step."""
        moved = d_free @ step_free
        flow = np.where(kept, bv, np.maximum(bv + av * moved, 0.0)) - current
        return float(np.max(np.abs(g_free + flow @ d_free)))

    in_set = trading | (f.d_in > 0)
    steps: list[np.ndarray] = []
    for _ in range(8):
        w = av * in_set
        rhs = g_free + (np.where(in_set, bv, 0.0) - current) @ d_free
        lap = (d_free.T * w) @ d_free
        step_free = _solve_laplacian(lap, -rhs)
        steps.append(step_free)
        new_set = ((bv + av * (d_free @ step_free) > 0) & (a > 0)) | kept
        if np.array_equal(new_set, in_set):
            break
        in_set = new_set
    else:  # the active set cycles: keep the step whose model residual is smallest
        step_free = min(steps, key=residual)
    step = np.zeros(len(grad))
    step[free] = step_free
    return step


def _solve_laplacian(lap: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the grounded Laplacian system; tokens without any sloped edge get a small step towards balance
    (their row is empty, so no Newton information exists for them)."""
    diag = lap.diagonal()
    live = diag > 0
    if not live.any():
        return np.sign(rhs) * 0.05
    lap = lap.copy()
    lap.flat[:: len(lap) + 1] += 1e-12 * float(diag.max())
    with np.errstate(all="ignore"):
        if live.all():
            try:
                out = np.linalg.solve(lap, rhs)
            except np.linalg.LinAlgError:
                out = np.sign(rhs) * 0.05
        else:
            out = np.sign(rhs) * 0.05
            idx = np.flatnonzero(live)
            with contextlib.suppress(np.linalg.LinAlgError):
                out[idx] = np.linalg.solve(lap[np.ix_(idx, idx)], rhs[idx])
    return np.where(np.isfinite(out), out, np.sign(rhs) * 0.05)


_LADDER = np.array([0.75, 0.5, 0.3, 0.15, 0.05, 0.01, 0.001])
