"""The float split search with gas: solve the convex split, then decide which pools pay for their gas.

A fixed cost per leg makes routing non-convex. `SplitSearch` solves the dual (`dual.solve`) with every pool,
then drops pools whose value does not cover their gas and offers back idle ones that would, re-solving from
the previous prices each time and keeping a change only if the float objective (output net of gas, or minus
input plus gas) improves. Dropping a pool loses its surplus at the solution prices plus the cost of
re-absorbing its flow in the rest of the network; adding an idle one gains its surplus less the cost of
taking its flow off the others (`_second_order`). Changes are tried in batches, worst (best) first, halving a
batch that hurts. Small orders also try the best single path first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.routing import dual
from solver.routing.curves import Flows
from solver.routing.errors import InsufficientLiquidity, RoutingError
from solver.routing.exact import CycleError, topological_order
from solver.routing.network import BUY, SELL, Network
from solver.routing.route import GasModel, Order

_MAX_SOLVES = 16  # re-solves spent on gas decisions at most
_NEGLIGIBLE = 2e-6  # 0.02 bp of the order: gas decisions worth less are not explored


@dataclass
class Solved:
    active: np.ndarray
    solution: dual.DualSolution
    net: float  # float objective: output net of gas (exact input), minus input plus gas (exact output)


class SplitSearch:
    """One order's float search over one network; `unit` values a unit of gas in the objective's token."""

    def __init__(self, network: Network, order: Order, unit: float, gas_model: GasModel) -> None:
        self.network = network
        self.order = order
        self.unit = unit
        self.gas_model = gas_model
        self.amount, self.exact_in = float(order.amount), order.exact_in
        self.per_leg = np.array([gas_model.leg(e.pool.kind, 0) for e in network.edges], dtype=float)
        self.solves = 0
        self.dropped = 0
        self._singles: list[tuple[float, list[int]]] | None = None

    def run(self) -> Solved:
        """The best split found: the convex optimum, pruned for gas, with its flows free of cycles."""
        return self._break_cycles(self._search())

    def singles(self) -> list[tuple[float, list[int]]]:
        """Float estimates of every single-pool and single two-hop path (computed once)."""
        if self._singles is None:
            self._singles = single_paths(self.network, self.order, self.per_leg * self.unit)
        return self._singles

    def edge_gas(self, ticks: np.ndarray) -> np.ndarray:
        """Gas units of each edge's leg given the ticks it crosses."""
        return self.per_leg + self.gas_model.per_tick * ticks

    def _search(self) -> Solved:
        """Solve with every pool, then drop and offer back pools by gas."""
        network, unit = self.network, self.unit
        current = self._solve(np.ones(len(network.edges), dtype=bool), None)
        if unit <= 0:
            return current
        # a small order may be best on one path: start from it when it already beats the full split
        estimate, path = max(self.singles(), key=lambda c: c[0], default=(-np.inf, []))
        if estimate > current.net:
            alone = np.zeros(len(network.edges), dtype=bool)
            alone[path] = True
            current = self._try(alone, current) or current
        keep = np.zeros(len(network.edges), dtype=bool)  # drops that were tried and hurt
        offered = np.zeros(len(network.edges), dtype=bool)  # offers that were tried and hurt
        drop_limit = add_limit = len(
            network.edges
        )  # units tried at once; halves on failure, doubles on success
        while self.solves < _MAX_SOLVES:
            # changes worth less than _NEGLIGIBLE of the order are not worth a re-solve
            floor = _NEGLIGIBLE * abs(current.net)
            drops = [u for u in self._gas_drops(current, keep) if u[0] < -floor]
            adds = [] if drops else [u for u in self._offers(current, offered) if u[0] > floor]
            units, limit = (drops, drop_limit) if drops else (adds, add_limit)
            if not units:
                break
            change = np.zeros(len(network.edges), dtype=bool)
            for _, members in units[:limit]:
                change |= members
            active = current.active & ~change if drops else current.active | change
            trial = self._try(active, current)
            if trial is not None:
                self.dropped += int(change.sum()) if drops else -int(change.sum())
                current, limit = trial, limit * 2
            elif len(units[:limit]) == 1:
                (keep if drops else offered)[change] = True
            else:
                limit = max(1, min(limit, len(units)) // 2)
            drop_limit, add_limit = (limit, add_limit) if drops else (drop_limit, limit)
        self.dropped = max(self.dropped, 0)
        return current

    def _break_cycles(self, solved: Solved) -> Solved:
        """Flows around a cycle of intermediate tokens (pools mispriced beyond their fees, 3 hops) cannot be
        executed leg after leg: drop the cycle's smallest edge and solve again until none is left."""
        network = self.network
        for _ in range(len(network.edges)):
            trading = np.flatnonzero(solved.active & (solved.solution.flows.amount_in > 0))
            try:
                topological_order(network, [int(e) for e in trading])
            except CycleError as cycle:
                value = solved.solution.flows.amount_in * solved.solution.nu[network.ei]
                smallest = min(cycle.edges, key=lambda e: value[e])
                active = solved.active.copy()
                active[smallest] = False
                solved = self._solve(active, solved.solution.nu)
                continue
            break
        return solved

    def _try(self, active: np.ndarray, current: Solved) -> Solved | None:
        """Re-solve with other active pools; the result if it improves the float objective."""
        network = self.network
        if not (active & (network.ei == SELL)).any() or not (active & (network.ej == BUY)).any():
            return None
        try:
            trial = self._solve(active, current.solution.nu)
        except RoutingError:
            return None
        return trial if trial.net > current.net else None

    def _solve(self, active: np.ndarray, warm: np.ndarray | None) -> Solved:
        network = self.network
        self.solves += 1
        sol = dual.solve(network, self.amount, self.exact_in, active, warm)
        if sol.exhausted or not sol.converged:
            raise self._failure(sol)
        flows = sol.flows
        trading = active & (flows.amount_in > 0)
        gas = float((self.edge_gas(flows.ticks) * trading).sum()) * self.unit
        if self.exact_in:
            net = float(flows.amount_out[network.ej == BUY].sum()) - gas
        else:
            net = -float(flows.amount_in[network.ei == SELL].sum()) - gas
        return Solved(active, sol, net)

    def _gas_drops(self, current: Solved, keep: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Drop units whose value does not pay for their gas, worst first.

        An edge's value is its own surplus at the solution prices plus the second-order cost of re-absorbing
        its flow elsewhere (`_second_order`): what dropping it loses. Direct pools are
        units alone. Around an intermediate token, losing edges are units alone as long as the best edge on
        their side stays; once the token is down to one edge in and one out, the pair is one unit (dropping
        half a path would strand the other half).
        """
        network, sol = self.network, current.solution
        trading = current.active & (sol.flows.amount_in > 0)
        loss = sol.surplus() + _second_order(network, sol, sol.flows, 1.0)
        excess = loss - self.edge_gas(sol.flows.ticks) * self.unit
        losing = trading & (excess < 0) & ~keep
        units: list[tuple[float, np.ndarray]] = []
        one = network.unit_masks
        for e in np.flatnonzero(losing & (network.ei == SELL) & (network.ej == BUY)):
            units.append((float(excess[e]), one[e]))
        for h in range(2, network.size):
            sides = [trading & (network.ej == h), trading & (network.ei == h)]
            if not sides[0].any() and not sides[1].any():
                continue
            if sides[0].sum() == 1 and sides[1].sum() == 1:
                pair = sides[0] | sides[1]
                if float(excess[pair].sum()) < 0 and not (keep & pair).any():
                    units.append((float(excess[pair].sum()), pair))
                continue
            for side in sides:
                if not side.any():
                    continue
                best = int(np.argmax(np.where(side, excess, -np.inf)))
                for e in np.flatnonzero(losing & side):
                    if e != best:
                        units.append((float(excess[e]), one[e]))
        units.sort(key=lambda u: u[0])
        remaining = trading.copy()
        kept: list[tuple[float, np.ndarray]] = []
        for value, members in units:  # never drop the last way into the bought token
            if (remaining & ~members & (network.ej == BUY)).any():
                remaining &= ~members
                kept.append((value, members))
        return kept

    def _offers(self, current: Solved, offered: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Idle pools worth adding at the current prices, best first: each pool whose surplus (less what
        taking its flow off the others costs) would pay for its gas, if its intermediate token still trades;
        and each intermediate token that no longer trades at all, with all its pools, if its best path would
        (no single pool of it can show a surplus while the token has no price of its own)."""
        network, sol = self.network, current.solution
        everything = network.curves.flows(sol.margins)
        surplus = everything.amount_out * sol.nu[network.ej] - everything.amount_in * sol.nu[network.ei]
        gain = (
            surplus
            - _second_order(network, sol, everything, -1.0)
            - self.edge_gas(everything.ticks) * self.unit
        )
        trading = current.active & (sol.flows.amount_in > 0)
        live = np.zeros(network.size, dtype=bool)
        live[[SELL, BUY]] = True
        live[network.ei[trading]] = True
        live[network.ej[trading]] = True
        idle = ~current.active & ~offered
        one = network.unit_masks
        units = [
            (float(gain[e]), one[e])
            for e in np.flatnonzero(idle & (gain > 0) & live[network.ei] & live[network.ej])
        ]
        units.sort(key=lambda u: -u[0])
        for h in range(2, network.size):
            around = (network.ei == h) | (network.ej == h)
            if not live[h] and (idle & around).any():
                gain = self._path_gain(h, sol)
                if gain > 0:
                    units.append((gain, idle & around))
        return units

    def _path_gain(self, h: int, sol: dual.DualSolution) -> float:
        """Rough value of reopening intermediate token h at the current prices: its best-priced pool in and
        out as one path, linearised at their thresholds (conductances c_in, c_out in series), trading to the
        order's marginal rate; less the cost of taking that flow off the others; less two legs of gas.
        Three-hop tokens (not adjacent to both order tokens) are not estimated (inf: try once)."""
        network, curves = self.network, self.network.curves
        ins = np.flatnonzero((network.ei == SELL) & (network.ej == h))
        outs = np.flatnonzero((network.ei == h) & (network.ej == BUY))
        if not len(ins) or not len(outs):
            return np.inf
        e1 = int(ins[np.argmax(curves.log_spot[ins])])
        e2 = int(outs[np.argmax(curves.log_spot[outs])])
        log_sell, log_buy = float(np.log(sol.nu[SELL])), float(np.log(sol.nu[BUY]))
        margin = float(curves.log_spot[e1] + curves.log_spot[e2]) - (log_sell - log_buy)
        if margin <= 0:
            return -np.inf
        c_in = float(curves.slope0[e1]) * float(sol.nu[SELL])
        c_out = float(curves.slope0[e2]) * float(np.exp(log_buy + curves.log_spot[e2]))
        c_path = c_in * c_out / (c_in + c_out)
        resistance = _resistance(network, sol)
        conductance = 1.0 / resistance if resistance > 0 else np.inf
        value = c_path * margin
        gain = 0.5 * value * margin - 0.5 * value * value / (conductance + c_path)
        return gain - float(self.per_leg[e1] + self.per_leg[e2]) * self.unit

    def _failure(self, sol: dual.DualSolution) -> RoutingError:
        network, exact_in, amount = self.network, self.exact_in, self.amount
        a, b = self.order.sell, self.order.buy
        bound = SELL if exact_in else BUY
        moved = abs(
            float(np.log(sol.nu[bound])) - float(dual.threshold_prices(network, exact_in, sol.ei >= 0)[bound])
        )
        if sol.exhausted or moved > np.log(2.0):
            cap = float(network.curves.out_end[network.ej == BUY].sum())
            what = (
                f"selling {a.units(int(amount)):,.6g} {a.symbol}"
                if exact_in
                else (f"buying {b.units(int(amount)):,.6g} {b.symbol}")
            )
            return InsufficientLiquidity(
                f"{what} would more than halve or double prices and drain the pools; they hold at most "
                f"~{b.units(int(cap)):,.6g} {b.symbol} on these paths"
            )
        return RoutingError(
            f"the split search did not converge (imbalance {sol.imbalance:.2e}); please report this order"
        )


def _resistance(network: Network, sol: dual.DualSolution) -> float:
    """1/C: how far (relative) the bound token's price moves per unit of value the order's other edges must
    absorb, with intermediate tokens re-balancing (the bound's entry of the inverse grounded Laplacian)."""
    cached = getattr(sol, "_resistance", None)
    if cached is not None:
        return cached
    bound = SELL if sol.nu[BUY] == 1.0 else BUY
    fixed = BUY if bound == SELL else SELL
    free = [k for k in range(network.size) if k != fixed]
    w = sol.flows.d_in * sol.nu[network.ei]
    d = network.incidence[:, free]
    lap = (d.T * w) @ d
    lap.flat[:: len(lap) + 1] += 1e-12 * max(float(lap.diagonal().max()), 1e-300)
    unit_vector = np.zeros(len(free))
    unit_vector[free.index(bound)] = 1.0
    try:
        resistance = max(float(np.linalg.solve(lap, unit_vector)[free.index(bound)]), 0.0)
    except np.linalg.LinAlgError:
        resistance = 0.0
    sol._resistance = resistance  # type: ignore[attr-defined]
    return resistance


def _second_order(network: Network, sol: dual.DualSolution, flows: Flows, sign: float) -> np.ndarray:
    """The second-order part of what dropping an edge loses (sign +1) or adding it gains (sign -1).

    With C the order's conductance (value the network absorbs per unit relative move of the bound token's
    price, intermediate tokens re-balancing: 1 / the bound's entry of the inverse grounded Laplacian) and c_e
    the edge's own (ν_i ∂in_e/∂m_e), an edge carrying value V that is dropped leaves V to a network of
    conductance C - c_e: the loss is its surplus plus V²/(2(C - c_e)). An idle edge that would trade V at
    the current prices gains its surplus minus V²/(2(C + c_e)), because taking V off the others raises
    their marginal rate. (Both are exact for constant-product curves to second order.)
    """
    resistance = _resistance(network, sol)
    conductance = 1.0 / resistance if resistance > 0 else np.inf
    own = flows.d_in * sol.nu[network.ei]
    value = flows.amount_in * sol.nu[network.ei]
    rest = np.maximum(conductance - own, 1e-300) if sign > 0 else conductance + own
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        term = 0.5 * value * value / rest
    return np.where(np.isfinite(term), term, 0.0)


def single_paths(network: Network, order: Order, leg_gas_value: np.ndarray) -> list[tuple[float, list[int]]]:
    """Float estimates (objective net of leg gas) of each direct pool and, per intermediate token, the path
    through its best-priced pools on each side."""
    curves, amount = network.curves, float(order.amount)
    out: list[tuple[float, list[int]]] = []

    def through(path: list[int]) -> float:
        if order.exact_in:
            x = amount
            for e in path:
                x = curves.output_for_input(e, x)
            return x - float(leg_gas_value[path].sum())
        y = amount
        for e in reversed(path):
            y = curves.input_for_output(e, y)
        return -y - float(leg_gas_value[path].sum())

    spot = network.spot
    for e, edge in enumerate(network.edges):
        if edge.i == SELL and edge.j == BUY:
            out.append((through([e]), [e]))
    for k in range(2, network.size):
        ins = [e for e, edge in enumerate(network.edges) if edge.i == SELL and edge.j == k]
        outs = [e for e, edge in enumerate(network.edges) if edge.i == k and edge.j == BUY]
        if ins and outs:
            path = [max(ins, key=lambda e: spot[e]), max(outs, key=lambda e: spot[e])]
            out.append((through(path), path))
    return out
