"""A slow, exhaustive reference for the router: the best split net of gas, with a proven upper bound.

Branch and bound over the two discrete choices gas makes: which edges trade (each pays its leg's gas) and how
many initialised ticks each crosses (each pays `per_tick`). A node fixes, per edge, whether it is allowed,
whether it is forced in (its leg gas is counted), and a range [t_min, t_max] of ticks it may cross. Its bound
is the gas-free split over the allowed edges, each curve cut before tick t_max + 1 (`CurveSet.capped`),
less the gas every solution of the node must pay (forced legs, t_min ticks). The gas-free split is valued
by its dual function g(ν) (`dual.py`), which bounds every split from above at *any* prices ν (weak duality),
so the bound does not depend on the solver converging. Branching: an edge that trades in the relaxation but
is not forced is forced in or excluded; once every trading edge is forced, an edge crossing more ticks than
its t_min either stops before its last tick or must cross them all. At a leaf the relaxation pays exactly
the gas counted, so its bound is attained.

Incumbents are real: the relaxation's split at each promising node, and every single path over every
combination of pools, are executed exactly on the pool models (integer quotes, the ticks they really cross,
the same gas model), with a leg that overshoots its tick cap by rounding trimmed to the largest amount that
does not (found by bisection on exact quotes). The search stops when no open node can beat the best executed
split by more than `tolerance` of it, so `upper` is a proven bound on any split over these pools (to the
float curves' precision, ~1e-12).
"""

from __future__ import annotations

import copy
import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from solver.routing import dual
from solver.routing.baselines import Outcome, outcome, routes
from solver.routing.errors import InsufficientLiquidity
from solver.routing.exact import CycleError, Plan, Quoter, realise
from solver.routing.network import BUY, SELL, Network
from solver.routing.route import GasModel

_UNCAPPED = 1 << 30


@dataclass(frozen=True)
class Reference:
    """The best executed split found, and a bound no split over the same pools and gas model can beat."""

    best: Outcome
    upper: float  # objective net of gas (same units and sign as best.net)
    nodes: int
    complete: bool  # the search closed every node within `tolerance` (else `upper` is the open nodes' best)


@dataclass
class _Node:
    allowed: np.ndarray
    forced: np.ndarray
    t_min: np.ndarray
    t_max: np.ndarray


class _Search:
    def __init__(self, network: Network, amount: int, exact_in: bool, gas: GasModel, unit: float) -> None:
        self.network, self.amount, self.exact_in, self.gas, self.unit = network, amount, exact_in, gas, unit
        self.leg_value = np.array([gas.leg(e.pool.kind, 0) for e in network.edges], dtype=float) * unit
        self.tick_value = gas.per_tick * unit
        self.quoter = Quoter(network)
        self.best: Outcome | None = None

    # ------------------------------------------------------------------------------------ incumbents
    def offer(self, plan: Plan) -> None:
        result = outcome(self.network, plan, self.gas, self.unit)
        if self.best is None or result.net > self.best.net:
            self.best = result

    def single_paths(self) -> None:
        """Every path of at most three pools, over every combination of pools, executed exactly."""
        for path in routes(self.network, 3):
            try:
                self.offer(realise(self.quoter, dict.fromkeys(path, 1.0), self.exact_in, self.amount))
            except InsufficientLiquidity:
                continue

    def execute(self, node: _Node, sol: dual.DualSolution) -> None:
        """The relaxation's split, executed exactly; legs over their tick cap are trimmed onto a sibling."""
        flows = sol.flows
        amounts = flows.amount_in if self.exact_in else flows.amount_out
        weights = {int(e): float(amounts[e]) for e in np.flatnonzero(node.allowed & (amounts > 0))}
        if not weights:
            return
        try:
            plan = realise(self.quoter, weights, self.exact_in, self.amount)
            for _ in range(len(plan.legs)):
                over = [e for e, (_, _, t) in plan.legs.items() if t > node.t_max[e]]
                if not over:
                    break
                plan = self._trim(plan, over[0], int(node.t_max[over[0]]))
                if plan is None:
                    return
        except (InsufficientLiquidity, CycleError):
            return
        self.offer(plan)

    def _trim(self, plan: Plan, e: int, cap: int) -> Plan | None:
        """Move the part of leg e's amount that crosses a tick beyond `cap` onto its largest sibling."""
        edge = self.network.edges[e]
        k = edge.i if self.exact_in else edge.j
        split = dict(plan.shares[k])
        siblings = [x for x in split if x != e]
        if not siblings:
            return None
        limit = self._largest_within(e, split[e], cap)
        largest = max(siblings, key=split.__getitem__)
        split[largest] += split[e] - limit
        split[e] = limit
        split = {x: a for x, a in split.items() if a > 0}
        weights = {x: float(a) for s in plan.shares.values() for x, a in s.items()}
        weights.update({x: float(split.get(x, 0)) for x in plan.shares[k]})
        size = plan.amount_in if self.exact_in else plan.amount_out
        return realise(self.quoter, weights, self.exact_in, size, {**plan.shares, k: split})

    def _largest_within(self, e: int, amount: int, cap: int) -> int:
        """The largest amount up to `amount` whose exact quote crosses at most `cap` ticks (bisection)."""
        quote = self.quoter.exact_in if self.exact_in else self.quoter.exact_out
        lo, hi = 0, amount  # quote(lo) within the cap (or lo = 0), quote(hi) over it
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if quote(e, mid)[2] <= cap:
                lo = mid
            else:
                hi = mid
        return lo

    # ---------------------------------------------------------------------------------- relaxation
    def relax(self, node: _Node) -> tuple[float, dual.DualSolution] | None:
        """The node's bound and its relaxed split (None: the allowed, capped edges cannot fill the order)."""
        network = copy.copy(self.network)
        network.curves = self.network.curves.capped(np.where(node.t_max < _UNCAPPED, node.t_max, -1))
        allowed = _on_paths(network, node.allowed & (network.curves.m_end > 0))
        if not allowed.any():
            return None
        sol = dual.solve(network, float(self.amount), self.exact_in, allowed)
        if sol.exhausted:
            return None
        bound = self._dual_value(sol)
        bound -= float(self.leg_value[node.forced].sum()) + float(node.t_min.sum()) * self.tick_value
        return bound, sol

    def _dual_value(self, sol: dual.DualSolution) -> float:
        """g(ν): an upper bound on the gas-free objective of every split over the node's edges."""
        bound_token = SELL if self.exact_in else BUY
        sign = 1.0 if self.exact_in else -1.0
        return sign * float(sol.nu[bound_token]) * self.amount + float(sol.surplus().sum())

    def run(self, tolerance: float, max_nodes: int) -> Reference:
        n = len(self.network.edges)
        root = _Node(np.ones(n, bool), np.zeros(n, bool), np.zeros(n, np.int64), np.full(n, _UNCAPPED))
        self.single_paths()
        counter = itertools.count()
        heap: list[tuple[float, int, _Node, dual.DualSolution]] = []

        def push(node: _Node) -> None:
            relaxed = self.relax(node)
            if relaxed is not None:
                heapq.heappush(heap, (-relaxed[0], next(counter), node, relaxed[1]))

        push(root)
        nodes = 1
        while heap and nodes < max_nodes:
            bound = -heap[0][0]
            if self.best is not None and bound <= self.best.net + tolerance * abs(self.best.net):
                break
            _, _, node, sol = heapq.heappop(heap)
            trading = node.allowed & (sol.flows.amount_in > 0)
            ticks = sol.flows.ticks
            estimate = bound + float(self.leg_value[node.forced].sum()) - float(self.leg_value[trading].sum())
            estimate -= float((ticks * trading).sum() - node.t_min.sum()) * self.tick_value
            if self.best is None or estimate > self.best.net:
                self.execute(node, sol)
            for child in self._children(node, trading, ticks, sol):
                nodes += 1
                push(child)
        open_bound = -heap[0][0] if heap else -np.inf
        assert self.best is not None, "no executable split at all"
        complete = not heap or open_bound <= self.best.net + tolerance * abs(self.best.net)
        return Reference(self.best, max(self.best.net, open_bound), nodes, complete)

    def _children(
        self, node: _Node, trading: np.ndarray, ticks: np.ndarray, sol: dual.DualSolution
    ) -> list[_Node]:
        """Branch on the smallest trading edge not yet forced in; else on an edge crossing more ticks than its
        node guarantees; a leaf (none of either) has no children."""
        free = trading & ~node.forced
        if free.any():
            value = sol.flows.amount_in * sol.nu[self.network.ei]
            e = int(np.flatnonzero(free)[np.argmin(value[free])])
            forced = node.forced.copy()
            forced[e] = True
            allowed = node.allowed.copy()
            allowed[e] = False
            return [
                _Node(node.allowed, forced, node.t_min, node.t_max),
                _Node(allowed, node.forced, node.t_min, node.t_max),
            ]
        extra = np.where(trading, ticks - node.t_min, 0)
        if not (extra > 0).any():
            return []
        e = int(np.argmax(extra))
        below, at_least = node.t_max.copy(), node.t_min.copy()
        below[e] = ticks[e] - 1
        at_least[e] = ticks[e]
        return [
            _Node(node.allowed, node.forced, node.t_min, below),
            _Node(node.allowed, node.forced, at_least, node.t_max),
        ]


def _on_paths(network: Network, allowed: np.ndarray) -> np.ndarray:
    """The allowed edges that lie on some path from the sold to the bought token (others only strand flow)."""
    reach_from, reach_to = {SELL}, {BUY}
    for _ in range(network.size):
        reach_from |= {int(j) for j in network.ej[allowed & np.isin(network.ei, list(reach_from))]}
        reach_to |= {int(i) for i in network.ei[allowed & np.isin(network.ej, list(reach_to))]}
    return allowed & np.isin(network.ei, list(reach_from)) & np.isin(network.ej, list(reach_to))


def optimum(
    network: Network,
    amount: int,
    exact_in: bool,
    gas: GasModel,
    unit: float,
    *,
    tolerance: float = 1e-6,
    max_nodes: int = 20_000,
) -> Reference:
    """The best split of the order over `network` net of gas (`unit`: gas-token raw units per gas unit),
    proven within `tolerance` of the optimum unless `max_nodes` nodes did not suffice (see `complete`)."""
    return _Search(network, amount, exact_in, gas, unit).run(tolerance, max_nodes)
