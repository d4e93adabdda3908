"""The float curves the split search runs on agree with the exact pool models they were built from."""

from __future__ import annotations

import numpy as np
import pytest

from solver.routing import dual
from solver.routing.curves import CurveSet
from solver.routing.network import BUY, SELL, build_network
from solver.routing.universe import Universe


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_curves_match_exact_quotes(universe: Universe, zero_for_one: bool) -> None:
    """Each pool traded to marginal rates 0.01% .. 10% below its spot rate: the float input, output and
    ticks crossed are those of the exact model's quote of that input (to 1e-6, or 2 raw units)."""
    for pool in universe.pools:
        curves = CurveSet([universe.curve(pool, zero_for_one)])
        for impact in (1e-4, 1e-3, 1e-2, 1e-1):
            flows = curves.flows(np.array([-np.log(1 - impact)]))
            amount_in = int(flows.amount_in[0])
            if pool.kind == "v3":
                q = pool.model.quote(zero_for_one, amount_in)
                out, ticks = -(q.amount1 if zero_for_one else q.amount0), q.ticks_crossed
            else:
                out, ticks = pool.model.get_amount_out(amount_in, zero_for_one), 0
            assert abs(flows.amount_out[0] - out) <= 1e-6 * out + 2, (pool.name, impact)
            assert int(flows.ticks[0]) == ticks, (pool.name, impact)


@pytest.mark.parametrize("kind", [True, False], ids=["exact_in", "exact_out"])
@pytest.mark.parametrize("usd", [1.0, 1e4, 1e7])
def test_dual_solution_balances_every_token(universe: Universe, usd: float, kind: bool) -> None:
    """At the solution the order is filled, every intermediate token balances, and every trading edge ends
    at the price ratio of its tokens (equal marginal rates along every path)."""
    network = build_network(
        universe, universe.token("USDC").address, universe.token("WETH").address, max_hops=3
    )
    amount = usd * 1e6 if kind else usd / 3300 * 1e18
    sol = dual.solve(network, amount, kind)
    assert sol.converged and not sol.exhausted
    f = sol.flows
    net = f.amount_out @ network.into - f.amount_in @ network.out_of_matrix
    filled = -net[SELL] if kind else net[BUY]
    assert abs(filled - amount) <= 1e-6 * amount
    value = amount * (sol.nu[SELL] if kind else sol.nu[BUY])
    assert np.all(np.abs(net[2:] * sol.nu[2:]) <= 1e-6 * value)
    assert (f.amount_in > 0).any()


def test_every_trading_pool_ends_at_the_same_marginal_rate(universe: Universe) -> None:
    """The optimality condition, checked on the exact models: each pool's exact marginal rate at the amount
    the solution gives it (a finite difference of two exact quotes) equals the ratio of its tokens' prices,
    so no path can gain by taking flow from another."""
    network = build_network(
        universe, universe.token("USDC").address, universe.token("WETH").address, max_hops=2
    )
    sol = dual.solve(network, 2e12, True)  # $2M
    checked = 0
    for e in np.flatnonzero(sol.flows.amount_in > 1e3):
        edge = network.edges[e]
        a = int(sol.flows.amount_in[e])
        step = max(a // 10**5, int(1e5 / sol.rates[e]))  # a central difference over >= 1e5 output units
        if edge.pool.kind == "v3":
            q1, q2 = (edge.pool.model.quote(edge.zero_for_one, x) for x in (a - step, a + step))
            outs = [-(q.amount1 if edge.zero_for_one else q.amount0) for q in (q1, q2)]
        else:
            outs = [edge.pool.model.get_amount_out(x, edge.zero_for_one) for x in (a - step, a + step)]
        marginal = (outs[1] - outs[0]) / (2 * step)
        assert marginal == pytest.approx(sol.rates[e], rel=2e-4), edge.pool.name
        checked += 1
    assert checked >= 5
