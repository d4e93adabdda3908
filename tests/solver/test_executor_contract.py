"""RouteExecutor on its own: it trusts no caller-supplied pool, enforces every limit, and keeps no funds."""

from __future__ import annotations

import pytest
from eth_abi import encode

from amm.chain import addresses as mainnet
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import approve, balance_of
from solver.routing.executor import RouteExecutor
from solver.routing.router import Router
from solver.routing.universe import Universe


def test_pool_addresses_are_computed_not_trusted(chain: Node, executor: RouteExecutor) -> None:
    contract = executor.contract
    v3 = contract.call("v3Pool", mainnet.WETH, mainnet.USDC, 500)
    assert v3.lower() == mainnet.v3_pool_address(mainnet.USDC, mainnet.WETH, 500).lower()
    assert v3.lower() == "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640"  # the USDC/WETH 0.05% pool
    v2 = contract.call("v2Pair", mainnet.WBTC, mainnet.WETH)
    assert v2.lower() == mainnet.v2_pair_address(mainnet.WETH, mainnet.WBTC).lower()
    assert chain.code(v3) and chain.code(v2)


def test_swap_callback_rejects_anyone_but_the_pool_being_swapped(
    chain: Node, executor: RouteExecutor, fund, user
) -> None:
    """An attacker calling the callback directly (even naming a genuine pool's tokens) gets nothing."""
    fund("USDC", executor.address, 10**12)  # funds an attacker would like to drain
    data = encode(["address", "address", "uint24", "uint256"], [mainnet.USDC, mainnet.WETH, 500, 10**12])
    with pytest.raises(TransactionFailed) as failed:
        executor.contract.transact("uniswapV3SwapCallback", 10**12, 0, data, sender=user)
    assert failed.value.reason == f"UnexpectedCallback({user})"  # decoded with the contract's ABI
    assert balance_of(chain, mainnet.USDC, executor.address) == 10**12


def _route(universe: Universe, kind: str = "exact_in"):
    amount = 300_000 * 10**6 if kind == "exact_in" else 100 * 10**18
    return Router(universe).route("USDC", "WETH", amount, kind, slippage_bps=30, gas_price_wei=0)


def test_total_minimum_is_enforced(chain: Node, universe: Universe, executor: RouteExecutor, user) -> None:
    route = _route(universe)
    struct = list(executor.encode(route, recipient=user, deadline=2**40))
    struct[3] = route.amount_out + 1  # ask for one wei more than the pools give
    approve(chain, mainnet.USDC, user, executor.address)
    with pytest.raises(TransactionFailed) as failed:
        executor.contract.transact("execute", tuple(struct), sender=user)
    assert failed.value.reason == f"RouteSlippage({route.amount_out}, {route.amount_out + 1})"


def test_leg_limits_are_enforced(chain: Node, universe: Universe, executor: RouteExecutor, user) -> None:
    route = _route(universe)
    struct = list(executor.encode(route, recipient=user, deadline=2**40))
    legs = [list(leg) for leg in struct[6]]
    legs[0][5] = route.legs[0].amount_out + 1
    struct[6] = [tuple(leg) for leg in legs]
    approve(chain, mainnet.USDC, user, executor.address)
    with pytest.raises(TransactionFailed) as failed:
        executor.contract.transact("execute", tuple(struct), sender=user)
    assert (
        failed.value.reason == f"LegSlippage(0, {route.legs[0].amount_out}, {route.legs[0].amount_out + 1})"
    )


def test_deadline_is_enforced(chain: Node, universe: Universe, executor: RouteExecutor, user) -> None:
    route = _route(universe)
    with pytest.raises(TransactionFailed) as failed:
        executor.execute(route, sender=user, deadline=1)
    assert (failed.value.reason or "").startswith("Expired(1, ")


def test_exact_output_refunds_unspent_input_and_keeps_nothing(
    chain: Node, universe: Universe, executor: RouteExecutor, user, roles
) -> None:
    route = _route(universe, "exact_out")
    assert route.max_amount_in > route.amount_in
    recipient = roles.users[1]
    usdc_before = balance_of(chain, mainnet.USDC, user)
    weth_before = balance_of(chain, mainnet.WETH, recipient)
    done = executor.execute(route, sender=user, recipient=recipient)
    assert usdc_before - balance_of(chain, mainnet.USDC, user) == route.amount_in == done.amount_in
    assert balance_of(chain, mainnet.WETH, recipient) - weth_before == route.amount_out
    for token in (mainnet.USDC, mainnet.WETH, mainnet.USDT, mainnet.DAI, mainnet.WBTC):
        assert balance_of(chain, token, executor.address) == 0


def test_a_leg_on_a_pool_that_does_not_exist_reverts(
    chain: Node, universe: Universe, executor: RouteExecutor, user
) -> None:
    """USDC/WETH has no 1% pool: the derived address holds no code, so the leg cannot silently succeed."""
    route = _route(universe)
    struct = list(executor.encode(route, recipient=user, deadline=2**40))
    first = list(struct[6][0])
    first[0], first[3] = 0, 10_000
    struct[6] = [tuple(first), *struct[6][1:]]
    approve(chain, mainnet.USDC, user, executor.address)
    with pytest.raises(TransactionFailed):
        executor.contract.transact("execute", tuple(struct), sender=user)
