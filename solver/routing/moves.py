"""The changes the split search weighs gas with, each ranked by a second-order estimate (`sensitivity.py`):

* drops: trading edges (or whole paths) whose value does not pay for their gas;
* offers: idle edges (or whole intermediate tokens) whose value would;
* swaps: one trading edge for one idle edge, on the same hop (a v2 pair at 55k gas for a v3 leg at 75k, a
  deeper pool) or on another path (a pool that crosses no tick for one that does); neither a drop nor an
  offer alone may pay, the exchange can;
* tick caps: a leg stopped just before the last initialised tick it crosses (`CurveSet.capped`), its flow
  beyond left to the others (or to an idle pool on the same hop), when the tick's gas is worth more than
  the flow's better rate there.

A move's estimate only ranks it; the search keeps it only if re-solving improves the float objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.routing import dual
from solver.routing.network import BUY, SELL, Network
from solver.routing.sensitivity import Sensitivity

_FAR = 2.0  # largest relative (log) price move a swap estimate extrapolates to

Unit = tuple[float, np.ndarray]  # estimated change of the objective, edges concerned


@dataclass
class Solved:
    """A float split: the edges it may use, each edge's tick cap (-1: none), its solution and objective."""

    active: np.ndarray
    caps: np.ndarray
    solution: dual.DualSolution
    net: float  # float objective: output net of gas (exact input), minus input plus gas (exact output)
    network: Network  # the network it was solved on (curves cut at `caps`)
    _sensitivity: Sensitivity | None = field(default=None, repr=False)

    @property
    def trading(self) -> np.ndarray:
        return self.active & (self.solution.flows.amount_in > 0)

    def sensitivity(self) -> Sensitivity:
        """Second-order estimates at this split (computed once)."""
        if self._sensitivity is None:
            self._sensitivity = Sensitivity(self.network, self.solution)
        return self._sensitivity


class GasMoves:
    """Move generators of `SplitSearch` (which provides the attributes below)."""

    network: Network
    unit: float
    per_leg: np.ndarray  # gas units of each edge's leg before ticks
    per_tick: float  # gas units of each initialised tick crossed

    def edge_gas(self, ticks: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def drops(self, current: Solved, keep: np.ndarray) -> list[Unit]:
        """Units whose value does not pay for their gas, worst first: (excess, edges).

        An edge's value is its surplus at the solution prices plus the second-order cost of re-absorbing its
        flow elsewhere. Direct pools are units alone. Around an intermediate token, losing edges are units
        alone as long as the best edge on their side stays; once the token is down to one edge in and one
        out, the pair is one unit (dropping half a path would strand the other half).
        """
        network, sol = self.network, current.solution
        trading = current.trading
        sens = current.sensitivity()
        surplus = sol.surplus()
        gas = self.edge_gas(sol.flows.ticks) * self.unit
        excess = surplus + sens.drop_loss() - gas
        losing = trading & (excess < 0) & ~keep
        units: list[Unit] = []
        one = network.unit_masks
        for e in np.flatnonzero(losing & (network.ei == SELL) & (network.ej == BUY)):
            units.append((float(excess[e]), one[e]))
        for h in range(2, network.size):
            sides = [trading & (network.ej == h), trading & (network.ei == h)]
            if sides[0].sum() == 1 and sides[1].sum() == 1:
                pair = sides[0] | sides[1]
                a, b = int(np.flatnonzero(sides[0])[0]), int(np.flatnonzero(sides[1])[0])
                pair_excess = float(surplus[a] + surplus[b] + sens.path_drop_loss(a, b) - gas[a] - gas[b])
                if pair_excess < 0 and not (keep & pair).any():
                    units.append((pair_excess, pair))
                continue
            for side in sides:
                if not side.any():
                    continue
                best = int(np.argmax(np.where(side, excess, -np.inf)))
                units.extend((float(excess[e]), one[e]) for e in np.flatnonzero(losing & side) if e != best)
        units.sort(key=lambda u: u[0])
        remaining = trading.copy()
        kept: list[Unit] = []
        for value, members in units:  # never drop the last way into the bought token
            if (remaining & ~members & (network.ej == BUY)).any():
                remaining &= ~members
                kept.append((value, members))
        return kept

    def idle_gains(self, current: Solved) -> np.ndarray:
        """What each edge would add trading at the current prices: surplus less the second-order cost of
        taking its flow off the others, less its gas (ticks included)."""
        network, sol = current.network, current.solution
        everything = network.curves.flows(sol.margins)
        surplus = everything.amount_out * sol.nu[network.ej] - everything.amount_in * sol.nu[network.ei]
        cost = current.sensitivity().add_cost(everything)
        return surplus - cost - self.edge_gas(everything.ticks) * self.unit

    def live_tokens(self, current: Solved) -> np.ndarray:
        network, trading = self.network, current.trading
        live = np.zeros(network.size, dtype=bool)
        live[[SELL, BUY]] = True
        live[network.ei[trading]] = True
        live[network.ej[trading]] = True
        return live

    def offers(self, current: Solved, offered: np.ndarray) -> list[Unit]:
        """Idle edges worth adding at the current prices, best first: each edge whose value would pay for
        its gas, if its tokens still trade; and each intermediate token that no longer trades at all, with
        all its edges, if its best path would (no single edge of it can show a surplus while the token has no
        price of its own)."""
        network, sol = self.network, current.solution
        gain = self.idle_gains(current)
        live = self.live_tokens(current)
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
                path_gain = self._path_gain(h, sol, current.sensitivity().order_conductance)
                if path_gain > 0:
                    units.append((path_gain, idle & around))
        return units

    def swaps(
        self, current: Solved, tried: set[tuple[int, int]], limit: int = 8
    ) -> list[tuple[float, int, int]]:
        """(estimate, dropped edge, added edge), best first, the `limit` best not `tried`: every trading edge
        that is not a bridge against every idle edge between live tokens. The added edge is valued at the
        prices the drop leaves (`Sensitivity.drop_response`): a substitute shows its worth only once the
        dropped edge's flow is looking for a way."""
        sol = current.solution
        loss = sol.surplus() + current.sensitivity().drop_loss() - self.edge_gas(sol.flows.ticks) * self.unit
        idle = self._idle_between_live(current)
        dropped = np.flatnonzero(current.trading & np.isfinite(loss))
        if not len(idle) or not len(dropped):
            return []
        gain = self._gains_after(current, dropped)
        table = np.nan_to_num(gain[:, idle] - loss[dropped][:, None], nan=-np.inf)
        out = []
        for k in np.argsort(-table, axis=None)[: limit + len(tried)]:
            e, f = int(dropped[k // len(idle)]), int(idle[k % len(idle)])
            if (e, f) not in tried:
                out.append((float(table.flat[k]), e, f))
        return out[:limit]

    def tick_caps(self, current: Solved, tried: set[tuple[int, int]]) -> list[tuple[float, int, int, int]]:
        """(estimate, edge, cap, companion), best first: each trading v3 edge that crosses ticks, stopped
        before the last one. It saves that tick's gas and loses the second-order cost of moving its flow
        beyond elsewhere; an idle pool on the same hop (the companion, -1 if none pays its gas) may take that
        flow: the estimate is then the better of the two (`Sensitivity.trim_loss` with the companion's
        conductance at its threshold, less its leg gas)."""
        network, sol = current.network, current.solution
        curves, flows, sens = network.curves, sol.flows, current.sensitivity()
        idle = ~current.active
        out = []
        for e in np.flatnonzero(current.trading & (flows.ticks > 0)):
            cap = int(flows.ticks[e]) - 1
            if (int(e), cap) in tried:
                continue
            beyond = float(flows.amount_in[e] - curves.cum_in[curves.start[e] + cap + 1])
            value = beyond * float(sol.nu[network.ei[e]])
            best, companion = self.per_tick * self.unit - sens.trim_loss(int(e), value), -1
            parallel = idle & (network.ei == network.ei[e]) & (network.ej == network.ej[e])
            for f in np.flatnonzero(parallel):
                extra = float(curves.slope0[f] * sol.nu[network.ei[f]])
                estimate = self.per_tick * self.unit - sens.trim_loss(int(e), value, extra)
                estimate -= self.per_leg[f] * self.unit
                if estimate > best:
                    best, companion = estimate, int(f)
            out.append((float(best), int(e), cap, companion))
        out.sort(key=lambda m: -m[0])
        return out

    def _idle_between_live(self, current: Solved) -> np.ndarray:
        network, live = self.network, self.live_tokens(current)
        return np.flatnonzero(~current.active & live[network.ei] & live[network.ej])

    def _gains_after(self, current: Solved, edges: np.ndarray) -> np.ndarray:
        """What every edge would add (as `idle_gains`) at the prices left once each of `edges` is dropped,
        one row per dropped edge (`Sensitivity.drop_response`)."""
        network, sol = current.network, current.solution
        moves, conductance = current.sensitivity().drop_response(edges)
        # a near-bridge's linear response means nothing past a few e-folds
        moves = np.clip(moves, -_FAR, _FAR)
        flows = network.curves.flows(sol.margins[None, :] + moves[:, network.ej] - moves[:, network.ei])
        nu = sol.nu[None, :] * np.exp(moves)
        value_in = flows.amount_in * nu[:, network.ei]
        surplus = flows.amount_out * nu[:, network.ej] - value_in
        own = flows.d_in * nu[:, network.ei]
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = 0.5 * value_in * value_in / (conductance + own)
        return surplus - np.where(np.isfinite(cost), cost, 0.0) - self.edge_gas(flows.ticks) * self.unit

    def _path_gain(self, h: int, sol: dual.DualSolution, conductance: float) -> float:
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
        value = c_path * margin
        gain = 0.5 * value * margin - 0.5 * value * value / (conductance + c_path)
        return gain - float(self.per_leg[e1] + self.per_leg[e2]) * self.unit
