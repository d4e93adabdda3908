"""Greedy exact improvement of an integer split: what the float search cannot see to the raw unit.

Each move is quoted exactly and kept only if the exact objective (output net of gas, or input plus gas)
improves:

* tick retreats: a v3 leg that crosses initialised ticks stops just before its last one (each crossing costs
  ~40k gas) and the difference goes to its largest sibling (the legs leaving, or for exact output entering,
  the same token);
* re-routed retreats: when that leg has no sibling (it is the only way out of an intermediate token, or
  for exact output the only way in), the amount is taken off the leg feeding it and moved to a sibling of that
  leg on another path, so the flow reaches the bought token through another intermediate token;
* small legs: a leg carrying under 2% of its token's amount is folded into its largest sibling.

Without gas there is nothing to polish: the float optimum, rounded, is optimal to a few raw units.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.routing.errors import InsufficientLiquidity
from solver.routing.exact import Plan, Quoter, realise

Objective = Callable[[Plan], float]

_SMALL = 0.02  # a leg under this share of its token's amount is worth folding into a sibling
_REROUTE_TRIES = 3  # evaluations spent aiming a re-routed retreat (the feeding leg's rate is not linear)


class _Polish:
    def __init__(self, quoter: Quoter, plan: Plan, objective: Objective, budget: int) -> None:
        self.quoter, self.network, self.objective, self.budget = quoter, quoter.network, objective, budget
        self.best, self.best_value = plan, objective(plan)
        self.evaluations = 0

    @property
    def spent(self) -> bool:
        return self.evaluations >= self.budget

    def trial(self, k: int, split: dict[int, int]) -> Plan | None:
        """The best plan with token k's legs split as given, quoted exactly (None: a pool cannot fill it)."""
        best = self.best
        weights = {e: float(a) for s in best.shares.values() for e, a in s.items()}
        for e in best.shares.get(k, {}):
            weights[e] = float(split.get(e, 0))
        weights.update({e: float(a) for e, a in split.items()})
        self.evaluations += 1
        size = best.amount_in if best.exact_in else best.amount_out
        try:
            return realise(self.quoter, weights, best.exact_in, size, {**best.shares, k: split})
        except InsufficientLiquidity:
            return None

    def keep(self, trial: Plan | None) -> bool:
        if trial is None:
            return False
        value = self.objective(trial)
        if value > self.best_value:
            self.best, self.best_value = trial, value
            return True
        return False

    def share_token(self, e: int) -> int:
        edge = self.network.edges[e]
        return edge.i if self.best.exact_in else edge.j

    def retreat(self, e: int) -> bool:
        """Stop leg e before its last tick, the difference to a sibling or, without one, re-routed."""
        k = self.share_token(e)
        current = self.best.shares.get(k, {})
        if e not in current:
            return False
        target = self.quoter.before_last_tick(e, current[e], self.best.exact_in)
        if target is None:
            return False
        if len(current) >= 2:
            return self.keep(self.trial(k, _shift(current, e, current[e] - target)))
        return self.reroute(e, k, target)

    def reroute(self, e: int, k: int, target: int) -> bool:
        """Leg e is token k's only leg: take the excess off the largest leg feeding k (exact input: into k;
        exact output: out of k) and give it to that leg's largest sibling not touching k, aiming (from the
        feeding leg's average rate, then correcting) at e carrying exactly `target`."""
        network, best, exact_in = self.network, self.best, self.best.exact_in
        feeding = [a for a in best.legs if (network.edges[a].j if exact_in else network.edges[a].i) == k]
        for a in sorted(feeding, key=lambda a: -best.legs[a][0]):
            p = self.share_token(a)
            split = best.shares.get(p, {})
            siblings = [x for x in split if x != a and k not in (network.edges[x].i, network.edges[x].j)]
            if a not in split or not siblings:
                continue
            amount_in, amount_out, _ = best.legs[a]
            rate = amount_in / amount_out if exact_in else amount_out / amount_in  # of p per unit of k
            excess = best.shares[k][e] - target
            delta = int(excess * rate) + 1
            for _ in range(_REROUTE_TRIES):
                if self.spent or not 0 < delta < split[a]:
                    return False
                trial = self.trial(p, _shift(split, a, delta, max(siblings, key=split.__getitem__)))
                if trial is None:
                    return False
                carried = trial.shares.get(k, {}).get(e, 0)
                if carried <= target:
                    return self.keep(trial)
                # still over: the feeding leg's marginal rate is worse than its average; aim further
                delta = int(delta * excess / max(excess - (carried - target), 1)) + 1
            return False
        return False

    def fold_small_legs(self) -> None:
        for k in list(self.best.shares):
            split = self.best.shares.get(k, {})
            total = sum(split.values())
            for e in sorted(split, key=split.__getitem__):
                current = self.best.shares.get(k, {})
                if self.spent or e not in current or len(current) < 2:
                    continue
                if current[e] < _SMALL * total:
                    self.keep(self.trial(k, _shift(current, e, current[e])))


def polish(quoter: Quoter, plan: Plan, objective: Objective, *, budget: int = 12) -> tuple[Plan, float]:
    """Greedy exact improvement of the integer split (see the module docstring), at most `budget` exact
    evaluations of a whole split. Returns the best plan and its objective."""
    state = _Polish(quoter, plan, objective, budget)
    moved = True
    while moved and not state.spent:
        moved = False
        for e in sorted(state.best.legs, key=lambda e: -state.best.legs[e][2]):
            if state.best.legs[e][2] == 0 or state.spent:
                continue
            if state.retreat(e):
                moved = True
                break
    state.fold_small_legs()
    return state.best, state.best_value


def _shift(split: dict[int, int], e: int, delta: int, onto: int | None = None) -> dict[int, int]:
    """Move `delta` units off leg e onto `onto` (default: its largest sibling): at the optimum every leg has
    the same marginal rate, and the largest one's rate moves least per unit, so it absorbs a small amount most
    cheaply (and only two legs need new quotes)."""
    moved = dict(split)
    moved[e] -= delta
    if onto is None:
        onto = max((x for x in split if x != e), key=lambda x: split[x])
    moved[onto] += delta
    return {x: a for x, a in moved.items() if a > 0}
