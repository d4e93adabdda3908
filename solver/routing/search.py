"""The float split search with gas: solve the convex split, then decide which legs pay for their gas.

A fixed cost per leg and per initialised tick crossed makes routing non-convex. `SplitSearch` solves the dual
(`dual.solve`) with every pool, and also sends the order down the best single path (every choice of pool per
hop, `paths.py`) when that alone beats the full split net of gas. From the better of the two it then makes the
discrete choices gas asks for (`moves.py`): dropping legs whose value does not cover their gas, offering back
idle ones that would, swapping one pool for another, stopping a leg before the last tick it crosses. Each
change is re-solved from the previous prices and kept only if the float objective (output net of gas, or minus
input plus gas, ticks included) improves. Drops and offers go in batches, worst (best) first, halving a batch
that hurts; swaps and tick caps one at a time, best estimate first.
"""

from __future__ import annotations

import copy

import numpy as np

from solver.routing import dual
from solver.routing.errors import InsufficientLiquidity, RoutingError
from solver.routing.exact import CycleError, topological_order
from solver.routing.moves import GasMoves, Solved
from solver.routing.network import BUY, SELL, Network
from solver.routing.paths import Estimate, single_paths
from solver.routing.route import GasModel, Order

__all__ = ["Solved", "SplitSearch"]

_MAX_SOLVES = 24  # re-solves spent on gas decisions at most
_NEGLIGIBLE = 2e-6  # 0.02 bp of the order: gas decisions worth less are not explored
_TRIES = 2  # swaps (and tick caps) re-solved per round at most


class SplitSearch(GasMoves):
    """One order's float search over one network; `unit` values a unit of gas in the objective's token."""

    def __init__(self, network: Network, order: Order, unit: float, gas_model: GasModel) -> None:
        self.network = network
        self.order = order
        self.unit = unit
        self.gas_model = gas_model
        self.amount, self.exact_in = float(order.amount), order.exact_in
        self.per_leg = np.array([gas_model.leg(e.pool.kind, 0) for e in network.edges], dtype=float)
        self.per_tick = float(gas_model.per_tick)
        self.solves = 0
        self.dropped = 0
        self._singles: list[Estimate] | None = None
        self._networks: dict[bytes, Network] = {}

    def run(self) -> Solved:
        """The best split found: the convex optimum, pruned for gas, with its flows free of cycles."""
        return self._break_cycles(self._search())

    def singles(self, floor: float = -np.inf) -> list[Estimate]:
        """Float estimates of the single paths (every choice of pool per hop) that may beat `floor`, best
        first (computed once, with the first call's floor)."""
        if self._singles is None:
            leg_value, tick_value = self.per_leg * self.unit, self.per_tick * self.unit
            self._singles = single_paths(self.network, self.order, leg_value, tick_value, floor)
        return self._singles

    def edge_gas(self, ticks: np.ndarray) -> np.ndarray:
        """Gas units of each edge's leg given the ticks it crosses."""
        return self.per_leg + self.per_tick * ticks

    def _search(self) -> Solved:
        """Solve with every pool (or from the best single path), then make the gas decisions."""
        edges = len(self.network.edges)
        uncapped = np.full(edges, -1, dtype=np.int64)
        current = self._solve(np.ones(edges, dtype=bool), uncapped, None)
        if self.unit <= 0:
            return current
        # a small order may be best on one path: start from it when it already beats the full split
        estimate, path = next(iter(self.singles(current.net)), (-np.inf, []))
        if estimate > current.net:
            alone = np.zeros(edges, dtype=bool)
            alone[path] = True
            current = self._try(alone, uncapped, current) or current
        current = self._improve(current)
        self.dropped = max(self.dropped, 0)
        return current

    def _improve(self, current: Solved) -> Solved:
        edges = len(self.network.edges)
        keep = np.zeros(edges, dtype=bool)  # drops that were tried and hurt
        offered = np.zeros(edges, dtype=bool)  # offers that were tried and hurt
        swapped: set[tuple[int, int]] = set()
        capped: set[tuple[int, int]] = set()
        drop_limit = add_limit = edges  # units tried at once; halves on failure, doubles on success
        while self.solves < _MAX_SOLVES:
            # changes worth less than _NEGLIGIBLE of the order are not worth a re-solve
            floor = _NEGLIGIBLE * abs(current.net)
            drops = [u for u in self.drops(current, keep) if u[0] < -floor]
            adds = [] if drops else [u for u in self.offers(current, offered) if u[0] > floor]
            if drops or adds:
                units, limit = (drops, drop_limit) if drops else (adds, add_limit)
                change = np.zeros(edges, dtype=bool)
                for _, members in units[:limit]:
                    change |= members
                # a drop keeps only what trades (an idle pool taking up the flow must pay its way as an offer)
                active = current.trading & ~change if drops else current.active | change
                trial = self._try(active, current.caps, current)
                if trial is not None:  # a new split: earlier failures no longer say anything
                    self.dropped += int(change.sum()) if drops else -int(change.sum())
                    current, limit = trial, limit * 2
                    keep[:] = False
                    offered[:] = False
                elif len(units[:limit]) == 1:
                    (keep if drops else offered)[change] = True
                else:
                    limit = max(1, min(limit, len(units)) // 2)
                drop_limit, add_limit = (limit, add_limit) if drops else (drop_limit, limit)
                continue
            better = self._swap(current, swapped, floor) or self._cap(current, capped, floor)
            if better is None:
                break
            current = better
            keep[:] = False
            offered[:] = False
        return current

    def _swap(self, current: Solved, tried: set[tuple[int, int]], floor: float) -> Solved | None:
        """The first of the best few swaps that improves the split (each tried once per search)."""
        for estimate, e, f in self.swaps(current, tried, _TRIES):
            tried.add((e, f))
            if estimate < -self._leg_value(e, f) or self.solves >= _MAX_SOLVES:
                break
            active = current.trading.copy()
            active[e], active[f] = False, True
            trial = self._try(active, current.caps, current)
            if trial is not None and trial.net > current.net + floor:
                return trial
        return None

    def _cap(self, current: Solved, tried: set[tuple[int, int]], floor: float) -> Solved | None:
        """The first of the best few tick caps (with the pool that would take the flow beyond, if any) that
        improves the split (each tried once per search)."""
        for estimate, e, cap, companion in self.tick_caps(current, tried)[:_TRIES]:
            tried.add((e, cap))
            # estimates err low by about a leg's gas (a companion trades above its threshold slope)
            if estimate < -(self.per_tick + self.per_leg.max()) * self.unit or self.solves >= _MAX_SOLVES:
                break
            caps = current.caps.copy()
            caps[e] = cap
            active = current.trading.copy()
            if companion >= 0:
                active[companion] = True
            trial = self._try(active, caps, current)
            if trial is not None and trial.net > current.net + floor:
                return trial
        return None

    def _leg_value(self, *edges: int) -> float:
        """Gas value of the legs of these edges (the scale an estimate's error is measured on)."""
        return float(self.per_leg[list(edges)].max()) * self.unit

    def _break_cycles(self, solved: Solved) -> Solved:
        """Flows around a cycle of intermediate tokens (pools mispriced beyond their fees, 3 hops) cannot be
        executed leg after leg: drop the cycle's smallest edge and solve again until none is left."""
        network = self.network
        for _ in range(len(network.edges)):
            trading = np.flatnonzero(solved.trading)
            try:
                topological_order(network, [int(e) for e in trading])
            except CycleError as cycle:
                value = solved.solution.flows.amount_in * solved.solution.nu[network.ei]
                smallest = min(cycle.edges, key=lambda e: value[e])
                active = solved.active.copy()
                active[smallest] = False
                solved = self._solve(active, solved.caps, solved.solution.nu)
                continue
            break
        return solved

    def _try(self, active: np.ndarray, caps: np.ndarray, current: Solved) -> Solved | None:
        """Re-solve with other active pools or caps; the result if it improves the float objective."""
        network = self.network
        if not (active & (network.ei == SELL)).any() or not (active & (network.ej == BUY)).any():
            return None
        try:
            trial = self._solve(active, caps, current.solution.nu)
        except RoutingError:
            return None
        return trial if trial.net > current.net else None

    def _capped(self, caps: np.ndarray) -> Network:
        """The network with each capped edge's curve cut before its tick (cached per set of caps)."""
        if not (caps >= 0).any():
            return self.network
        key = caps.tobytes()
        network = self._networks.get(key)
        if network is None:
            network = copy.copy(self.network)
            network.curves = self.network.curves.capped(caps)
            self._networks[key] = network
        return network

    def _solve(self, active: np.ndarray, caps: np.ndarray, warm: np.ndarray | None) -> Solved:
        network = self._capped(caps)
        self.solves += 1
        usable = active & (network.curves.m_end > 0)
        sol = dual.solve(network, self.amount, self.exact_in, usable, warm)
        if sol.exhausted or not sol.converged:
            raise self._failure(sol)
        flows = sol.flows
        trading = usable & (flows.amount_in > 0)
        gas = float((self.edge_gas(flows.ticks) * trading).sum()) * self.unit
        if self.exact_in:
            net = float(flows.amount_out[network.ej == BUY].sum()) - gas
        else:
            net = -float(flows.amount_in[network.ei == SELL].sum()) - gas
        return Solved(active, caps, sol, net, network)

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
