"""JIT bundles on the built-in chain: what the planner says is what the block does, to the wei."""

from __future__ import annotations

from fractions import Fraction

from amm.chain import addresses as mainnet
from amm.v3.pool import Pool
from solver.jit.bundle import BundleResult, send_bundle
from solver.jit.decode import Decoder, PendingSwap, SwapLeg
from solver.jit.plan import JitPlan, Planner, spot_price
from solver.jit.simulate import Outcome, clone
from solver.routing.universe import Universe

from .conftest import Jit
from .victims import USDC, WETH, approve, exact_input_single, exact_output_single, sign

GAS_PRICE = 10**10
POOL = mainnet.v3_pool_address(USDC, WETH, 500)


def _pending(jit: Jit, pools: Universe, raw: bytes) -> PendingSwap:
    decoded = Decoder({p.address: p.model for p in pools.pools if p.kind == "v3"}).decode(raw)
    assert isinstance(decoded, PendingSwap), decoded
    return decoded


def _plan(jit: Jit, pools: Universe, raw: bytes) -> tuple[Pool, SwapLeg, JitPlan]:
    """The pool, the victim's leg on it and the planner's answer with the executor's inventory."""
    pool = pools.pool(POOL).model
    assert isinstance(pool, Pool)
    leg = _pending(jit, pools, raw).leg_on(POOL)
    assert leg is not None
    inventory = jit.executor.balances((pool.token0, pool.token1))
    return pool, leg, Planner().plan(pool, leg, inventory, gas_price_wei=GAS_PRICE)


def _victim_sells_usdc(jit: Jit, amount: int, **kw: int) -> bytes:
    approve(jit.node, jit.victim, USDC, mainnet.SWAP_ROUTER)
    data = exact_input_single("SwapRouter", USDC, WETH, 500, jit.victim, amount, **kw)
    return sign(jit.node, jit.victim_key, mainnet.SWAP_ROUTER, data)


def test_realized_fee_and_pnl_equal_planned_to_the_wei(jit: Jit, pools: Universe) -> None:
    pool = pools.pool(POOL).model
    raw = _victim_sells_usdc(jit, 2_000_000 * 10**6)
    leg = _pending(jit, pools, raw).leg_on(POOL)
    assert leg is not None and leg.zero_for_one == (USDC.lower() < WETH.lower())
    inventory = jit.executor.balances((pool.token0, pool.token1))
    plan = Planner().plan(pool, leg, inventory, gas_price_wei=GAS_PRICE)
    assert plan.decision == "execute", plan.reason
    o = plan.outcome
    assert o is not None and o.fee0 + o.fee1 > 0

    owner_eth = jit.node.balance(jit.owner)
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    after = jit.executor.balances((pool.token0, pool.token1))
    realized_delta = (after[0] - inventory[0], after[1] - inventory[1])  # balances, not events

    block = jit.node.block(result.block)
    assert list(block["transactions"]) == [result.mint_tx, result.victim_tx, result.burn_tx]
    assert result.mint_ok and result.victim_ok and result.burn_ok
    assert result.minted == (o.mint0, o.mint1)
    assert result.principal == (o.burn0, o.burn1)
    assert result.fees == (o.fee0, o.fee1)  # fee income to the wei
    assert realized_delta == result.delta == (o.delta0, o.delta1)
    assert result.sqrt_price_after == o.sqrt_price_x96
    assert jit.node.contract("UniswapV3Pool", POOL).call("slot0")[0] == o.sqrt_price_x96
    assert result.position_left.empty
    assert owner_eth - jit.node.balance(jit.owner) == result.gas_cost_wei
    # PnL at the realized price: the chain's balances and gas, marked where the pool ended
    price = spot_price(jit.node.contract("UniswapV3Pool", POOL).call("slot0")[0])
    eth = price if pool.token0 == mainnet.WETH else Fraction(1)
    realized = realized_delta[0] * price + realized_delta[1] - result.gas_cost_wei * eth
    planned = plan.fee_income + plan.price_impact - result.gas_cost_wei * eth
    assert plan.reference_price == price
    assert realized == planned
    # the gas model is an estimate: it is within 3% of what the two transactions used
    assert abs(result.gas_used - plan.gas_units) <= plan.gas_units * 3 // 100, (
        result.gas_used,
        plan.gas_units,
    )


def _round_trip_checks(result: BundleResult, o: Outcome | None) -> None:
    assert o is not None
    assert result.minted == (o.mint0, o.mint1)
    assert result.fees == (o.fee0, o.fee1)
    assert result.delta == (o.delta0, o.delta1)
    assert result.position_left.empty


def test_other_direction_through_swap_router02_and_gas_model(jit: Jit, pools: Universe) -> None:
    approve(jit.node, jit.victim, WETH, mainnet.SWAP_ROUTER_02)
    data = exact_output_single("SwapRouter02", WETH, USDC, 500, jit.victim, 1_500_000 * 10**6)
    raw = sign(jit.node, jit.victim_key, mainnet.SWAP_ROUTER_02, data)
    _, leg, plan = _plan(jit, pools, raw)
    assert leg.amount_specified == -1_500_000 * 10**6
    assert plan.execute, plan.reason
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    assert result.order[:3] == (result.mint_tx, result.victim_tx, result.burn_tx)
    assert result.victim_ok
    _round_trip_checks(result, plan.outcome)
    assert abs(result.gas_used - plan.gas_units) <= plan.gas_units * 3 // 100, (
        result.gas_used,
        plan.gas_units,
    )


def test_small_swap_is_skipped_for_gas(jit: Jit, pools: Universe) -> None:
    raw = _victim_sells_usdc(jit, 500 * 10**6)
    pool, leg, plan = _plan(jit, pools, raw)
    assert plan.decision == "skip" and plan.reason == "below_break_even"
    assert plan.fee_income > 0 and plan.fee_income + plan.price_impact < plan.gas_cost  # gas is what kills it
    assert plan.break_even is not None and plan.break_even > 500 * 10**6
    # at the break-even size the same planner would trade
    at = Planner().plan(
        pool,
        type(leg)(**{**leg.__dict__, "amount_specified": plan.break_even * 2}),
        jit.executor.balances((pool.token0, pool.token1)),
        gas_price_wei=GAS_PRICE,
    )
    assert at.execute
    # free gas: the same swap pays
    assert Planner().plan(pool, leg, (10**13, 10**21), gas_price_wei=0).execute


def test_swap_larger_than_inventory_gives_smaller_position_still_exact(jit: Jit, pools: Universe) -> None:
    pool = pools.pool(POOL).model
    token0, token1 = pool.token0, pool.token1
    # a thinner inventory: 3M USDC and 1,000 WETH against a 3M USDC swap
    jit.fund("USDC", jit.executor.address, 3_000_000 * 10**6)
    jit.fund("WETH", jit.executor.address, 1_000 * 10**18)
    inventory = jit.executor.balances((token0, token1))
    raw = _victim_sells_usdc(jit, 3_000_000 * 10**6)
    leg = _pending(jit, pools, raw).leg_on(POOL)
    assert leg is not None
    plan = Planner().plan(pool, leg, inventory, gas_price_wei=GAS_PRICE)
    full = Planner().plan(pool, leg, (10**13, 10**22), gas_price_wei=GAS_PRICE)
    o, big = plan.outcome, full.outcome
    assert o is not None and big is not None
    assert o.mint0 <= inventory[0] and o.mint1 <= inventory[1]
    assert o.liquidity < big.liquidity
    assert plan.execute, plan.reason
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    assert result.victim_ok
    _round_trip_checks(result, o)


def test_reverting_victim_leaves_no_position(jit: Jit, pools: Universe) -> None:
    raw_ok = _victim_sells_usdc(jit, 2_000_000 * 10**6)
    pool, _, plan = _plan(jit, pools, raw_ok)
    assert plan.execute
    # the same swap asking for more WETH than any pool gives: it reverts in the block
    raw = _victim_sells_usdc(jit, 2_000_000 * 10**6, min_out=10**30)
    before = jit.executor.balances((pool.token0, pool.token1))
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    assert result.order == (result.mint_tx, result.victim_tx, result.burn_tx)
    assert result.mint_ok and result.victim_ok is False and result.burn_ok
    assert result.position_left.empty
    o = plan.outcome
    assert o is not None
    # no swap: we get back the mint less the rounding, which is what a model mint + burn says
    twin = clone(pool)
    paid = twin.mint("us", o.tick_lower, o.tick_upper, o.liquidity)
    back = twin.burn("us", o.tick_lower, o.tick_upper, o.liquidity)
    assert result.fees == (0, 0)
    assert result.delta == (back[0] - paid[0], back[1] - paid[1])
    after = jit.executor.balances((pool.token0, pool.token1))
    assert after == (before[0] + result.delta[0], before[1] + result.delta[1])


def test_victim_missing_from_block_burn_still_runs(jit: Jit, pools: Universe) -> None:
    raw = _victim_sells_usdc(jit, 2_000_000 * 10**6)
    _, _, plan = _plan(jit, pools, raw)
    # the victim's nonce is used up before the bundle: its transaction can no longer be included
    jit.node.send(jit.victim, jit.victim, b"", what="burn the victim's nonce")
    result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    assert result.victim_ok is None
    assert result.order == (result.mint_tx, result.burn_tx)
    assert result.mint_ok and result.burn_ok and result.position_left.empty


def test_transactions_already_pending_go_after_the_bundle(jit: Jit, pools: Universe) -> None:
    raw = _victim_sells_usdc(jit, 2_000_000 * 10**6)
    _, _, plan = _plan(jit, pools, raw)
    jit.node.rpc.call("evm_setAutomine", [False])
    try:  # a stranger's transfer arrives first, and the victim's swap is already pending
        other = jit.node.rpc.call(
            "eth_sendTransaction", [{"from": jit.stranger, "to": jit.owner, "value": "0x1"}]
        )
        jit.node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        result = send_bundle(jit.node, jit.executor, jit.owner, plan, raw, gas_price_wei=GAS_PRICE)
    finally:
        jit.node.rpc.call("evm_setAutomine", [True])
    assert result.order == (result.mint_tx, result.victim_tx, result.burn_tx, other)
    assert result.fees == (plan.outcome.fee0, plan.outcome.fee1)  # type: ignore[union-attr]
