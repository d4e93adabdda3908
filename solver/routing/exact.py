"""Exact integer execution of a split on the pool models.

The float search (`dual.py`) says how much each edge should carry; here those shares become integers and every
leg is quoted on the exact v3/v2 model, in topological order of the tokens, so what a hub token receives is
exactly what its outgoing legs spend (exact input) or what they need (exact output). Each pool carries at most
one leg (an edge is a pool in one direction, and a pool never trades both ways at one set of prices), so a
quote on the loaded model is exactly what the pool will do inside the route, whatever the order of the legs.

`polish.py` then improves the integer split exactly (tick crossings, small legs).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from amm.errors import Revert
from amm.v2.pair import Pair
from amm.v3.pool import Pool
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.routing.errors import InsufficientLiquidity
from solver.routing.network import BUY, SELL, Network

_RETREAT_TRIES = 4  # units a retreat steps down while rounding still reaches the tick


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
        """The largest amount (input, or output for exact output) the edge's v3 pool takes without crossing
        the last initialised tick that `amount` crosses; None if it crosses none (or is a v2 pair).

        A swap that reaches a tick's price crosses it, and near a tick one raw unit of a token can move the
        price by less than one unit of sqrtPriceX96: stopping one unit of price short of the tick can still
        cost the amount that reaches it. So: the amount that takes the price exactly to the tick, less one,
        checked by a quote (and lowered by a unit while rounding still reaches the tick)."""
        e = self.network.edges[edge]
        model, zfo = e.pool.model, e.zero_for_one
        if isinstance(model, Pair):
            return None
        specified = amount if exact_in else -amount
        self.quotes += 1
        q = _v3_quote(model, zfo, specified)
        if q.ticks_crossed == 0:
            return None
        ticks = model.initialized_ticks
        # moving down, crossing t leaves tick t - 1: the last one crossed is the lowest above the end;
        # moving up, crossing t leaves tick t: the last one crossed is the highest at or below the end
        last = ticks[bisect_right(ticks, q.tick)] if zfo else ticks[bisect_right(ticks, q.tick) - 1]
        try:
            self.quotes += 1
            reach = model.quote(zfo, specified, get_sqrt_ratio_at_tick(last))
        except Revert:  # the price sits on that tick: any trade crosses it
            return None
        paid_in, paid_out = (reach.amount0, -reach.amount1) if zfo else (reach.amount1, -reach.amount0)
        candidate = (paid_in if exact_in else paid_out) - 1
        for _ in range(_RETREAT_TRIES):
            if not 0 < candidate < amount:
                return None
            self.quotes += 1
            if _v3_quote(model, zfo, candidate if exact_in else -candidate).ticks_crossed < q.ticks_crossed:
                return candidate
            candidate -= 1
        return None

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
