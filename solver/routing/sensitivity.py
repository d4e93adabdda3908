"""Second-order estimates at a dual solution: what dropping, adding or trimming an edge's flow costs.

Near the solution every trading edge is a conductance c_e = ν_i ∂in_e/∂m_e (value it takes per unit of
relative price move), and the network, with the fixed token grounded, is a weighted Laplacian (`dual.py`).
Moving value V between two tokens i and j through the rest of the network then costs V²/(2 C_ij), C_ij the
effective conductance between them (from the grounded Laplacian's inverse M: 1/C_ij = M_ii + M_jj - 2 M_ij).
So an edge carrying V that is dropped loses its surplus plus V²/(2(C_ij - c_e)) (infinite when it is the only
way between its tokens, a bridge); an idle edge that would trade V at the current prices gains its surplus
less V²/(2(C_ij + c_e)); a leg cut back by V before a tick it crosses loses V²/2 (1/c_e + 1/(C_ij - c_e)). All
are exact for constant-product curves to second order, and are only used to rank changes that are then solved.
"""

from __future__ import annotations

import contextlib

import numpy as np

from solver.routing import dual
from solver.routing.curves import Flows
from solver.routing.network import BUY, SELL, Network


class Sensitivity:
    """The inverse grounded Laplacian of one solution, and the estimates built on it."""

    def __init__(self, network: Network, sol: dual.DualSolution) -> None:
        self.network, self.sol = network, sol
        n = network.size
        fixed = BUY if sol.nu[BUY] == 1.0 else SELL
        free = np.array([k for k in range(n) if k != fixed])
        w = sol.flows.d_in * sol.nu[network.ei]
        d = network.incidence[:, free]
        lap = (d.T * w) @ d
        lap.flat[:: len(lap) + 1] += 1e-12 * max(float(lap.diagonal().max()), 1e-300)
        self.inverse = np.zeros((n, n))
        with contextlib.suppress(np.linalg.LinAlgError):  # left at zero: no estimate sees any cost
            self.inverse[np.ix_(free, free)] = np.linalg.inv(lap)
        self.value = sol.flows.amount_in * sol.nu[network.ei]
        self.own = w

    def conductance(self, i: np.ndarray | int, j: np.ndarray | int) -> np.ndarray:
        """Effective conductance between tokens i and j (the fixed token is ground)."""
        m = self.inverse
        resistance = m[i, i] + m[j, j] - 2.0 * m[i, j]
        with np.errstate(divide="ignore"):
            return np.where(resistance > 0, 1.0 / np.maximum(resistance, 1e-300), np.inf)

    @property
    def order_conductance(self) -> float:
        """Between the sold and the bought token: how much value the order moves per relative price move."""
        return float(self.conductance(SELL, BUY))

    def edge_conductance(self) -> np.ndarray:
        network = self.network
        return self.conductance(network.ei, network.ej)

    def drop_loss(self) -> np.ndarray:
        """Second-order part of what dropping each trading edge loses (infinite for a bridge)."""
        rest = self.edge_conductance() - self.own
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            term = 0.5 * self.value * self.value / rest
        bridge = rest <= 1e-9 * self.edge_conductance()
        return np.where(self.value > 0, np.where(bridge | np.isnan(term), np.inf, term), 0.0)

    def add_cost(self, flows: Flows) -> np.ndarray:
        """Second-order cost, for each edge trading `flows` at the current prices, of taking that flow off
        the rest of the network."""
        value = flows.amount_in * self.sol.nu[self.network.ei]
        own = flows.d_in * self.sol.nu[self.network.ei]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            term = 0.5 * value * value / (self.edge_conductance() + own)
        return np.where(np.isfinite(term), term, 0.0)

    def path_drop_loss(self, a: int, b: int) -> float:
        """Second-order loss of dropping the path a -> h -> b (h reached by nothing else): the two edges in
        series, as one edge between a's and b's far tokens."""
        own_a, own_b = float(self.own[a]), float(self.own[b])
        if own_a + own_b <= 0:
            return 0.0
        c_path = own_a * own_b / (own_a + own_b)
        network = self.network
        rest = float(self.conductance(int(network.ei[a]), int(network.ej[b]))) - c_path
        value = float(self.value[a])
        if rest <= 1e-9 * c_path:
            return np.inf
        return 0.5 * value * value / rest

    def drop_response(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """If each of `edges` is dropped (one row per edge): the relative (log) price move of every token, and
        the conductance between every edge's tokens in what remains.

        Its flow V must cross from i to j through the rest: Δy = -V M u / (1 - c_e u·M u), u = 1_i - 1_j, the
        Newton step of the dual without the edge; by Sherman-Morrison the inverse Laplacian without it is
        M + c_e (M u)(M u)ᵀ / (1 - c_e u·M u). Rows of bridges are zero moves and unchanged conductances."""
        network, m = self.network, self.inverse
        moves = np.zeros((len(edges), network.size))
        resistance = np.tile(self._resistance(), (len(edges), 1))
        for r, e in enumerate(edges):
            i, j = int(network.ei[e]), int(network.ej[e])
            mu = m[:, i] - m[:, j]
            denominator = 1.0 - float(self.own[e]) * float(mu[i] - mu[j])
            if denominator > 1e-9:
                moves[r] = -float(self.value[e]) * mu / denominator
                coupling = mu[network.ei] - mu[network.ej]
                resistance[r] += float(self.own[e]) * coupling * coupling / denominator
        with np.errstate(divide="ignore"):
            return moves, np.where(resistance > 0, 1.0 / np.maximum(resistance, 1e-300), np.inf)

    def _resistance(self) -> np.ndarray:
        m, network = self.inverse, self.network
        i, j = network.ei, network.ej
        return m[i, i] + m[j, j] - 2.0 * m[i, j]

    def trim_loss(self, e: int, value: float, extra: float = 0.0) -> float:
        """Second-order loss of cutting `value` off trading edge e (its curve and the rest absorb it), with
        `extra` conductance added between its tokens (a pool on the same hop that would take it up)."""
        own = float(self.own[e])
        rest = float(self.conductance(int(self.network.ei[e]), int(self.network.ej[e]))) - own + extra
        if own <= 0 or rest <= 1e-9 * own:
            return np.inf
        return 0.5 * value * value * (1.0 / own + 1.0 / rest)
