"""Single paths: the order sent along one path of pools, for every path and every choice of pool per hop.

When gas dominates (small orders, high gas prices) the best route is often one path, and which pools it uses
matters as much as which tokens: a v2 pair costs 55k gas against 75k for a v3 leg, a 0.3% pool may be deeper
than a 0.05% one, a three-hop path through deep stable pools may beat a two-hop one. So every path of at most
three pools is a candidate (they are few: one per combination of pools along each token path). Each is
bounded first, from its first (exact output: last) pool's float curve and the other pools' spot rates, less
its leg gas; only paths whose bound beats the best estimate so far are walked on the float curves (leg gas
and the initialised ticks each leg crosses counted), best bound first, so a large network costs little.
"""

from __future__ import annotations

import math

import numpy as np

from solver.routing.network import Network
from solver.routing.route import Order

Estimate = tuple[float, list[int]]  # float objective net of gas (output - gas, or -(input + gas)), edges


def single_paths(
    network: Network,
    order: Order,
    leg_gas_value: np.ndarray,
    tick_gas_value: float,
    floor: float = -math.inf,
) -> list[Estimate]:
    """Float estimates of the single paths that may beat `floor` (and the best path in any case), best
    first. `leg_gas_value` values each edge's fixed leg gas, `tick_gas_value` one tick crossed."""
    paths = network.paths
    if not paths:
        return []
    curves, amount, exact_in = network.curves, float(order.amount), order.exact_in
    matrix, lengths = network.path_matrix, network.path_lengths
    ends = matrix[:, 0] if exact_in else matrix[np.arange(len(paths)), lengths - 1]
    # the path's own first (last) pool traded alone; every other pool at its spot rate, which only helps
    alone = {}
    for e in np.unique(ends):
        x, _ = (
            curves.output_for_input(int(e), amount) if exact_in else curves.input_for_output(int(e), amount)
        )
        alone[int(e)] = x
    rest = network.path_log_spot - curves.log_spot[ends]
    end_value = np.array([alone[int(e)] for e in ends])
    gas = np.where(matrix >= 0, leg_gas_value[np.maximum(matrix, 0)], 0.0).sum(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = end_value * np.exp(rest) if exact_in else -end_value * np.exp(-rest)
    bound = np.where(np.isnan(bound), -np.inf, bound) - gas
    out: list[Estimate] = []
    best = floor
    for p in np.argsort(-bound, kind="stable"):
        if bound[p] <= best and out:
            break
        path = paths[int(p)]
        value = _walk(network, path, amount, exact_in, tick_gas_value) - float(gas[p])
        out.append((value, path))
        best = max(best, value)
    out.sort(key=lambda c: c[0], reverse=True)
    return out


def _walk(network: Network, path: list[int], amount: float, exact_in: bool, tick_gas_value: float) -> float:
    """The path's float objective before leg gas: output less tick gas (exact input), or minus the input
    less tick gas (exact output)."""
    curves, ticks = network.curves, 0
    if exact_in:
        x = amount
        for e in path:
            x, t = curves.output_for_input(e, x)
            ticks += t
        return x - ticks * tick_gas_value
    y = amount
    for e in reversed(path):
        y, t = curves.input_for_output(e, y)
        ticks += t
        if not math.isfinite(y):
            return -math.inf
    return -y - ticks * tick_gas_value
