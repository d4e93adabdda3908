"""The pool universe: discovered and loaded in a few shared batches, exact, and refreshed by block."""

from __future__ import annotations

import copy

from amm.chain.devnet.spec import POOLS
from amm.chain.models import load_v2_pair, load_v3_pool
from amm.chain.node import Node
from amm.chain.state import read_v2_state
from amm.v2.pair import Pair
from solver.routing.executor import RouteExecutor
from solver.routing.router import Router
from solver.routing.universe import Universe


def _same_state(a, b) -> bool:
    if isinstance(a, Pair):
        return (a.reserve0, a.reserve1) == (b.reserve0, b.reserve1)
    return (a.sqrt_price_x96, a.tick, a.liquidity, a._idx_ticks, a._idx_nets) == (
        b.sqrt_price_x96,
        b.tick,
        b.liquidity,
        b._idx_ticks,
        b._idx_nets,
    )


def test_discovers_every_pool_of_the_built_in_chain(universe: Universe) -> None:
    assert sorted(p.address for p in universe.pools) == sorted(p.address for p in POOLS)
    assert {t.symbol for t in universe.tokens.values()} == {"WETH", "USDC", "USDT", "DAI", "WBTC"}
    names = {p.name for p in universe.pools}
    assert {"USDC/WETH-500", "DAI/USDC-100", "WBTC/WETH-v2"} <= names
    # 14 pools, ~19,000 eth_calls (every bitmap word of 0.01% pools included) in a few batched requests
    assert universe.cost.requests <= 25 < universe.cost.calls


def test_loaded_models_equal_single_pool_reads(chain: Node, universe: Universe) -> None:
    for spec in POOLS:
        ours = universe.pool(spec.address).model
        if spec.kind == "v3":
            assert _same_state(ours, load_v3_pool(chain, spec.address))
        else:
            state = read_v2_state(chain, spec.address)
            assert (ours.reserve0, ours.reserve1) == (state.reserve0, state.reserve1)


def test_refresh_rereads_only_the_pools_that_traded(
    chain: Node, universe: Universe, roles, fund, user
) -> None:
    fresh = copy.deepcopy(universe)
    route = Router(fresh, max_hops=2).route("WBTC", "USDC", 20 * 10**8, gas_price_wei=0)
    executor = RouteExecutor.deploy(chain, roles.deployer)
    fund(route.token_in.address, user, route.amount_in)
    executor.execute(route, sender=user)
    traded = {leg.pool for leg in route.legs}
    changed = fresh.refresh(chain)
    assert set(changed) == traded
    assert fresh.block == chain.block_number()
    assert fresh.cost.calls < universe.cost.calls  # only the traded pools were read again
    untouched = next(p for p in fresh.pools if p.address not in traded and p.kind == "v3")
    for pool in [*(fresh.pool(a) for a in traded), untouched]:
        reread = load_v3_pool(chain, pool.address) if pool.kind == "v3" else load_v2_pair(chain, pool.address)
        assert _same_state(pool.model, reread), pool.name
    # the same order now meets the moved prices: it gets less
    assert (
        Router(fresh, max_hops=2).route("WBTC", "USDC", 20 * 10**8, gas_price_wei=0).amount_out
        < route.amount_out
    )
    assert fresh.refresh(chain) == []  # nothing happened since
    assert fresh.cost.requests <= 2  # the block number and one eth_getLogs
