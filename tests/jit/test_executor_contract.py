"""JitExecutor: only its owner moves its funds or its position; the mint callback pays only its own mint."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain.errors import TransactionFailed
from amm.chain.models import load_v3_pool
from solver.jit.bundle import send_bundle
from solver.jit.decode import Decoder, PendingSwap
from solver.jit.plan import Planner

from .conftest import Jit
from .victims import USDC, WETH, approve, exact_input_single, sign

POOL = mainnet.v3_pool_address(USDC, WETH, 500)


def _selector(error: str) -> str:
    """Custom errors surface as their raw revert data: match on the selector."""
    return "0x" + keccak(text=error)[:4].hex()


def test_stranger_cannot_withdraw_mint_burn_or_call_back(jit: Jit) -> None:
    ex = jit.executor
    rng = ex.range_of(*mainnet.sort_tokens(USDC, WETH), 500, 195170, 195180)
    calls = {
        "withdraw": ex.withdraw_call(USDC, jit.stranger, 1),
        "mint": ex.mint_call(rng, 10**12, 10**12, 10**21),
        "burnAll": ex.burn_call(rng),
    }
    for name, data in calls.items():
        with pytest.raises(TransactionFailed, match=_selector("NotOwner(address)")):
            jit.node.send(jit.stranger, ex.address, data, gas=500_000, what=name)
    # a direct mint callback (as a fake pool would make) is refused: no mint of ours is in progress
    callback = ex.contract.interface.encode("uniswapV3MintCallback", 10**6, 10**18, b"\x00" * 64)
    for caller in (jit.stranger, jit.owner):
        with pytest.raises(TransactionFailed, match=_selector("NotPool(address,address)")):
            jit.node.send(caller, ex.address, callback, gas=500_000, what="callback")
    # and so is the genuine pool calling back outside our mint
    with jit.node.impersonating(POOL):
        jit.node.set_balance(POOL, 10**18)
        with pytest.raises(TransactionFailed, match=_selector("NotPool(address,address)")):
            jit.node.send(POOL, ex.address, callback, gas=500_000, what="callback")
    balance = ex.balances((USDC,))[0]
    assert balance > 0
    # the owner can
    jit.node.send(jit.owner, ex.address, ex.withdraw_call(USDC, jit.owner, 5), what="withdraw")
    assert ex.balances((USDC,))[0] == balance - 5


def test_protocol_fee_is_included_to_the_wei(jit: Jit) -> None:
    factory = jit.node.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    owner = factory.call("owner")
    jit.node.set_balance(owner, 10**18)
    with jit.node.impersonating(owner):
        jit.node.contract("UniswapV3Pool", POOL).transact("setFeeProtocol", 4, 5, sender=owner)
    pool = load_v3_pool(jit.node, POOL)
    assert pool.fee_protocol == 4 + (5 << 4)
    approve(jit.node, jit.victim, USDC, mainnet.SWAP_ROUTER)
    data = exact_input_single("SwapRouter", USDC, WETH, 500, jit.victim, 2_000_000 * 10**6)
    raw = sign(jit.node, jit.victim_key, mainnet.SWAP_ROUTER, data)
    decoded = Decoder({POOL: pool}).decode(raw)
    assert isinstance(decoded, PendingSwap)
    leg = decoded.legs[0]
    inventory = jit.executor.balances((pool.token0, pool.token1))
    plan = Planner().plan(pool, leg, inventory, gas_price_wei=10**10)
    pool.fee_protocol = 0
    without_protocol = Planner().plan(pool, leg, inventory, gas_price_wei=10**10)
    pool.fee_protocol = 4 + (5 << 4)
    o, o_free = plan.outcome, without_protocol.outcome
    assert o is not None and o_free is not None
    assert (o.tick_lower, o.tick_upper, o.liquidity) == (
        o_free.tick_lower,
        o_free.tick_upper,
        o_free.liquidity,
    )
    assert 0 < o.fee0 < o_free.fee0  # a quarter of the swap fee (token0 in) goes to the protocol
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=10**10)
    assert result.victim_ok and result.fees == (o.fee0, o.fee1)
    assert result.delta == (o.delta0, o.delta1)
