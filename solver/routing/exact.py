"""Exact integer execution of a split on the pool models, and its polish.

The float search (`dual.py`) says how much each edge should carry; here those shares become integers and every
leg is quoted on the exact v3/v2 model, in topological order of the tokens, so what a hub token receives is
exactly what its outgoing legs spend (exact input) or what they need (exact output). Each pool carries at most
one leg (an edge is a pool in one direction, and a pool never trades both ways at one set of prices), so a
quote on the loaded model is exactly what the pool will do inside the route, whatever the order of the legs.

`polish` then moves integer amounts between legs that leave the same token while the exact objective
(output net of gas, or input plus gas) improves: it settles tick crossings (~40k gas each, which the float
search cannot see) and the fixed cost of small legs that the float search could only estimate.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from amm.errors import Revert
from amm.v2.pair import Pair
from amm.v3.pool import Pool
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.routing.errors import InsufficientLiquidity
from solver.routing.network import BUY, SELL, Network


class Quoter:
    """Exact quotes of the network's edges on their pool models, cached: (amount_in, amount_out, ticks)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.cache: dict[tuple[int, int, bool], tuple[int, int, int]] = {}
        self.quotes = 0

    def exact_in(self, edge: int, amount_in: int) -> tuple[int, int, int]:
        return self._quote(edge, amount_in, True)

    def exact_out(self, edge: int, amount_out: int) -> tuple[int, int, int]:
        return self._quote(edge, amount_out, False)

    def before_last_tick(self, edge: int, amount: int, exact_in: bool) -> int | None:
        """The largest amount (input, or output for exact output) the edge's v3 pool takes before crossing
        the last initialised tick that `amount` crosses; None if it crosses none (or is a v2 pair)."""
        e = self.network.edges[edge]
        model, zfo = e.pool.model, e.zero_for_one
        if isinstance(model, Pair):
            return None
        self.quotes += 1
        q = _v3_quote(model, zfo, amount if exact_in else -amount)
        if q.ticks_crossed == 0:
            return None
        ticks = model.initialized_ticks
        if zfo:  # moving down, crossing t leaves tick t - 1: the last one crossed is the lowest above the end
            last = ticks[bisect_right(ticks, q.tick)]
            limit = get_sqrt_ratio_at_tick(last) + 1
        else:  # moving up, crossing t leaves tick t: the last one crossed is the highest at or below the end
            last = ticks[bisect_right(ticks, q.tick) - 1]
            limit = get_sqrt_ratio_at_tick(last) - 1
        try:
            stop = model.quote(zfo, amount if exact_in else -amount, limit)
        except Revert:
            return None
        paid_in, paid_out = (stop.amount0, -stop.amount1) if zfo else (stop.amount1, -stop.amount0)
        result = paid_in if exact_in else paid_out
        return result if 0 < result < amount else None

    def _quote(self, edge: int, amount: int, exact_in: bool) -> tuple[int, int, int]:
        key = (edge, amount, exact_in)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        self.quotes += 1
        e = self.network.edges[edge]
        model, zfo = e.pool.model, e.zero_for_one
        try:
            if isinstance(model, Pair):
                if exact_in:
                    result = (amount, model.get_amount_out(amount, zfo), 0)
                else:
                    result = (model.get_amount_in(amount, zfo), amount, 0)
            else:
                q = _v3_quote(model, zfo, amount if exact_in else -amount)
                paid_in, paid_out = (q.amount0, -q.amount1) if zfo else (q.amount1, -q.amount0)
                if (paid_in if exact_in else paid_out) != amount:
                    raise InsufficientLiquidity(
                        f"pool {e.pool.name} runs out of liquidity before it can "
                        f"{'take' if exact_in else 'pay'} {amount} raw units"
                    )
                result = (paid_in, paid_out, q.ticks_crossed)
        except Revert as revert:
            raise InsufficientLiquidity(
                f"pool {e.pool.name} cannot {'take' if exact_in else 'pay'} {amount} raw units "
                f"({revert.reason})"
            ) from None
        self.cache[key] = result
        return result


def _v3_quote(pool: Pool, zero_for_one: bool, amount_specified: int):
    return pool.quote(zero_for_one, amount_specified)


@dataclass
class Plan:
    """An integer split: for each token, the amounts its legs carry, and every leg's exact quote.

    `shares[k]` maps each edge leaving token k (exact input: amount in) or entering it (exact output: amount
    out) to its integer amount; `legs` maps edge -> (amount_in, amount_out, ticks crossed).
    """

    exact_in: bool
    order: list[int]
    shares: dict[int, dict[int, int]]
    legs: dict[int, tuple[int, int, int]]
    amount_in: int
    amount_out: int


class CycleError(ValueError):
    """The split's flows go round a cycle of intermediate tokens (only possible when pools are mispriced
    against each other beyond their fees); `edges` are the edges on or behind the cycle."""

    def __init__(self, edges: list[int]) -> None:
        super().__init__("the split's flows form a cycle between intermediate tokens")
        self.edges = edges


def topological_order(network: Network, edges: list[int]) -> list[int]:
    """Tokens in an order where every edge goes forwards (Kahn); raises CycleError if the flows cycle."""
    indegree = dict.fromkeys(range(network.size), 0)
    for e in edges:
        indegree[network.edges[e].j] += 1
    ready = [k for k in range(network.size) if indegree[k] == 0]
    order: list[int] = []
    while ready:
        k = ready.pop(0)
        order.append(k)
        for e in edges:
            if network.edges[e].i == k:
                j = network.edges[e].j
                indegree[j] -= 1
                if indegree[j] == 0:
                    ready.append(j)
    if len(order) != network.size:
        placed = set(order)
        raise CycleError([e for e in edges if network.edges[e].i not in placed])
    return order


def allocate(total: int, weights: dict[int, float]) -> dict[int, int]:
    """Split an integer total in proportion to float weights, exactly: weights become 60-bit integers, each
    share is a floor division, and the few units left over go to the largest remainders."""
    positive = {k: w for k, w in weights.items() if w > 0}
    if total == 0 or not positive:
        return {}
    top = max(positive.values())
    scaled = {k: max(1, round(w / top * (1 << 60))) for k, w in positive.items()}
    denominator = sum(scaled.values())
    shares = {k: total * w // denominator for k, w in scaled.items()}
    left = total - sum(shares.values())  # < number of weights
    by_remainder = sorted(scaled, key=lambda k: total * scaled[k] % denominator, reverse=True)
    for k in by_remainder[:left]:
        shares[k] += 1
    return {k: v for k, v in shares.items() if v > 0}


def realise(
    quoter: Quoter, weights: dict[int, float], exact_in: bool, amount: int, overrides: dict | None = None
) -> Plan:
    """Quote the split given by per-edge weights exactly. `overrides[k]` fixes token k's integer shares."""
    network = quoter.network
    edges = [e for e, w in weights.items() if w > 0]
    order = topological_order(network, edges)
    shares: dict[int, dict[int, int]] = {}
    legs: dict[int, tuple[int, int, int]] = {}
    overrides = overrides or {}
    if exact_in:
        held = {SELL: amount}
        for k in order:
            if k == BUY or held.get(k, 0) == 0:
                continue
            out = {e: weights[e] for e in edges if network.edges[e].i == k}
            if not out:
                raise InsufficientLiquidity("the split leaves an intermediate token without a way out")
            split = overrides.get(k)
            if split is None or sum(split.values()) != held[k]:
                split = allocate(held[k], out)
            shares[k] = split
            for e, a in split.items():
                legs[e] = quoter.exact_in(e, a)
                j = network.edges[e].j
                held[j] = held.get(j, 0) + legs[e][1]
        return Plan(True, order, shares, legs, amount, held.get(BUY, 0))
    need = {BUY: amount}
    for k in reversed(order):
        if k == SELL or need.get(k, 0) == 0:
            continue
        into = {e: weights[e] for e in edges if network.edges[e].j == k}
        if not into:
            raise InsufficientLiquidity("the split leaves an intermediate token without a way in")
        split = overrides.get(k)
        if split is None or sum(split.values()) != need[k]:
            split = allocate(need[k], into)
        shares[k] = split
        for e, a in split.items():
            legs[e] = quoter.exact_out(e, a)
            i = network.edges[e].i
            need[i] = need.get(i, 0) + legs[e][0]
    return Plan(False, order, shares, legs, need.get(SELL, 0), amount)


Objective = Callable[[Plan], float]


def polish(quoter: Quoter, plan: Plan, objective: Objective, *, budget: int = 12) -> tuple[Plan, float]:
    """Greedy exact improvement of the integer split, at most `budget` exact evaluations.

    Two kinds of move, each kept only if the exact objective improves:
    * tick retreats: a v3 leg that crosses initialised ticks stops just before its last one (each crossing
      costs ~40k gas the float search cannot see) and its largest sibling (the legs leaving, or for exact
      output entering, the same token) takes the difference;
    * small legs: a leg carrying under 2% of its token's amount is folded into its largest sibling.
    Without gas there is nothing to polish: the float optimum, rounded, is optimal to a few raw units.
    """
    best, best_value = plan, objective(plan)
    evaluations = 0

    def attempt(k: int, split: dict[int, int]) -> bool:
        nonlocal best, best_value, evaluations
        weights = _weights(best)
        for e in best.shares[k]:
            weights[e] = float(split.get(e, 0))
        evaluations += 1
        try:
            trial = realise(quoter, weights, best.exact_in, _size(best), {**best.shares, k: split})
        except InsufficientLiquidity:
            return False
        value = objective(trial)
        if value > best_value:
            best, best_value = trial, value
            return True
        return False

    moved = True
    while moved and evaluations < budget:
        moved = False
        for e in sorted(best.legs, key=lambda e: -best.legs[e][2]):
            if best.legs[e][2] == 0 or evaluations >= budget:
                continue
            k = _share_token(quoter.network, e, best.exact_in)
            current = best.shares.get(k, {})
            if e not in current or len(current) < 2:
                continue
            target = quoter.before_last_tick(e, current[e], best.exact_in)
            if target is None:
                continue
            if attempt(k, _shift(current, e, current[e] - target)):
                moved = True
                break
    for k in list(best.shares):
        split = best.shares.get(k, {})
        total = sum(split.values())
        for e in sorted(split, key=split.__getitem__):
            if evaluations >= budget or e not in best.shares.get(k, {}) or len(best.shares[k]) < 2:
                continue
            if best.shares[k][e] < 0.02 * total:
                attempt(k, _shift(best.shares[k], e, best.shares[k][e]))
    return best, best_value


def _shift(split: dict[int, int], e: int, delta: int) -> dict[int, int]:
    """Move `delta` units off leg e onto its largest sibling: at the optimum every leg has the same marginal
    rate, and the largest one's rate moves least per unit, so it absorbs a small amount most cheaply (and
    only two legs need new quotes)."""
    moved = dict(split)
    moved[e] -= delta
    largest = max((x for x in split if x != e), key=lambda x: split[x])
    moved[largest] += delta
    return {x: a for x, a in moved.items() if a > 0}


def _share_token(network: Network, e: int, exact_in: bool) -> int:
    edge = network.edges[e]
    return edge.i if exact_in else edge.j


def _weights(plan: Plan) -> dict[int, float]:
    return {e: float(a) for split in plan.shares.values() for e, a in split.items()}


def _size(plan: Plan) -> int:
    return plan.amount_in if plan.exact_in else plan.amount_out
