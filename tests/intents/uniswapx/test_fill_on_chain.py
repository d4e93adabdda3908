"""Orders of every kind signed in Python and filled through the real reactors and Permit2 by our filler:
from inventory, by routing, and split; each bad variant refused by `check` with its code and, forced on
chain, refused by the reactor too; a route that comes up short reverts and leaves inventory untouched."""

from __future__ import annotations

import dataclasses

import pytest
from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, approve, balance_of
from solver.accounting.surplus import swapper_surplus
from solver.intents.uniswapx import (
    ExclusiveDutchOrder,
    Order,
    PriorityOrder,
    V2DutchOrder,
    V3DutchOrder,
    check,
    check_many,
    reactor_for,
)
from solver.routing.router import Router
from solver.settlement.uniswapx import FillPlan, FillRejected, fill, resolve_for_next_block
from solver.settlement.uniswapx_filler import NATIVE, UniswapXFiller

from .factory import COSIGNER_KEY, KINDS, OTHER, OTHER_KEY, SWAPPER, SWAPPER_KEY, make_order

INVENTORY_WETH = 50 * 10**18
USDC_IN = 30_000 * 10**6


@pytest.fixture
def filler(chain: Node, roles, fund) -> UniswapXFiller:
    owner = roles.users[2]
    contract = UniswapXFiller.deploy(chain, owner)
    fund("WETH", contract.address, INVENTORY_WETH)
    approve(chain, mainnet.USDC, SWAPPER, mainnet.PERMIT2, MAX_UINT256)
    return contract


def _owner(filler: UniswapXFiller) -> str:
    return filler.owner


def _order(chain: Node, kind: str, amount_out: int, **kwargs) -> Order:
    latest = chain.block("pending")  # the next block's number and time
    now, block = int(latest["timestamp"], 16), int(latest["number"], 16)
    return make_order(kind, now=now, block=block, amount_in=USDC_IN, amount_out=amount_out, **kwargs)


def _route_out(universe, amount_in: int) -> int:
    return Router(universe).route("USDC", "WETH", amount_in, slippage_bps=30, gas_price_wei=0).amount_out


def _balances(chain: Node, filler: UniswapXFiller) -> tuple[int, int]:
    return balance_of(chain, mainnet.WETH, filler.address), balance_of(chain, mainnet.USDC, filler.address)


@pytest.mark.parametrize("kind", KINDS)
def test_fill_from_inventory(chain: Node, filler: UniswapXFiller, universe, kind: str) -> None:
    order = _order(chain, kind, _route_out(universe, USDC_IN) * 9 // 10, extra_output=True)
    before_swapper = balance_of(chain, mainnet.WETH, SWAPPER)
    weth_before, usdc_before = _balances(chain, filler)
    result = fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
    assert result.mode == "inventory"
    (done,) = result.orders
    owed = {(o.recipient, o.token): o.amount for o in done.resolved.outputs}
    assert done.received == owed  # read from the receipt's Transfer logs, never less than resolved
    got_swapper = balance_of(chain, mainnet.WETH, SWAPPER) - before_swapper
    assert got_swapper == owed[(SWAPPER, mainnet.WETH)]
    weth_after, usdc_after = _balances(chain, filler)
    assert weth_before - weth_after == sum(owed.values()) == result.paid[mainnet.WETH]
    assert usdc_after - usdc_before == done.resolved.input.amount == result.got[mainnet.USDC]
    assert result.net == {mainnet.WETH: -sum(owed.values()), mainnet.USDC: done.resolved.input.amount}


@pytest.mark.parametrize("kind", KINDS)
def test_fill_by_routing(chain: Node, filler: UniswapXFiller, universe, kind: str) -> None:
    route = Router(universe).route("USDC", "WETH", USDC_IN, slippage_bps=30, gas_price_wei=0)
    order = _order(chain, kind, route.amount_out * 99 // 100)
    resolved = resolve_for_next_block(chain, [order], filler.address)
    plan = FillPlan.from_routes(resolved, [route])
    assert plan.mode == "route" and plan.legs
    weth_before, usdc_before = _balances(chain, filler)
    result = fill([(order, order.sign(SWAPPER_KEY))], plan, filler=filler, sender=_owner(filler))
    (done,) = result.orders
    assert done.received[(SWAPPER, mainnet.WETH)] >= done.resolved.outputs[0].amount
    weth_after, usdc_after = _balances(chain, filler)
    assert usdc_after == usdc_before  # the whole input was routed
    assert weth_after >= weth_before  # inventory untouched: the route paid the swapper, the edge stays
    assert result.fill.legs and sum(leg.amount_in for leg in result.fill.legs if leg.index == 0) > 0


@pytest.mark.parametrize("kind", KINDS)
def test_split_between_route_and_inventory(chain: Node, filler: UniswapXFiller, universe, kind: str) -> None:
    half = Router(universe).route("USDC", "WETH", USDC_IN // 2, slippage_bps=30, gas_price_wei=0)
    order = _order(chain, kind, half.amount_out * 2 * 9 // 10)
    resolved = resolve_for_next_block(chain, [order], filler.address)
    plan = FillPlan.from_routes(resolved, [half])
    assert plan.mode == "split"
    weth_before, usdc_before = _balances(chain, filler)
    result = fill([(order, order.sign(SWAPPER_KEY))], plan, filler=filler, sender=_owner(filler))
    (done,) = result.orders
    assert done.received[(SWAPPER, mainnet.WETH)] >= done.resolved.outputs[0].amount
    weth_after, usdc_after = _balances(chain, filler)
    assert usdc_after - usdc_before == done.resolved.input.amount - USDC_IN // 2  # half kept, half routed
    spent = weth_before - weth_after
    assert 0 < spent <= done.resolved.outputs[0].amount - half.amount_out * (10_000 - 30) // 10_000


def test_native_eth_output_from_inventory(chain: Node, filler: UniswapXFiller, fund) -> None:
    """An order paying out ETH (token 0x0): the filler sends ETH to the reactor, which pays the swapper."""
    fund.eth(filler.address, 5 * 10**18)
    order = _order(chain, "dutch", 10**18, token_out=NATIVE)
    swapper_before = chain.balance(SWAPPER)
    result = fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
    (done,) = result.orders
    owed = done.resolved.outputs[0].amount
    assert done.received == {(SWAPPER, NATIVE): owed}  # from the swapper's balance over the block
    assert chain.balance(SWAPPER) - swapper_before == owed
    assert chain.balance(filler.address) == 5 * 10**18 - owed
    assert chain.balance(mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR) == 0


def test_a_short_route_reverts_and_leaves_inventory_untouched(
    chain: Node, filler: UniswapXFiller, universe
) -> None:
    route = Router(universe).route("USDC", "WETH", USDC_IN, slippage_bps=30, gas_price_wei=0)
    order = _order(chain, "dutch", route.amount_out * 11 // 10, decay_bps=0)  # more than the route yields
    resolved = [order.resolve(timestamp=order.info.deadline - 3_599, filler=filler.address)]
    split = FillPlan.from_routes(resolved, [route])
    route_only = FillPlan(split.legs, tuple((t, max(c, 0)) for t, c in split.limits), "route")
    before = _balances(chain, filler)
    with pytest.raises(TransactionFailed) as failed:
        fill([(order, order.sign(SWAPPER_KEY))], route_only, filler=filler, sender=_owner(filler))
    assert "InventoryLimit" in (failed.value.reason or "")
    assert _balances(chain, filler) == before


# -- refusals: check() says why, and the reactor agrees when the fill is forced on chain -----------------
def _selector(error: str) -> str:
    return "0x" + keccak(text=error)[:4].hex()


EXPIRED = {
    "dutch": "DeadlinePassed()",  # UniswapX v1.1 checks it itself
    "v2_dutch": "SignatureExpired(uint256)",  # Permit2
    "v3_dutch": "DeadlineReached()",
    "priority": "InvalidDeadline()",
}


def _bad_variants(chain: Node, kind: str) -> dict[str, tuple[Order | bytes, bytes, str | None]]:
    """code -> (order or bytes, signature, the error the reactor or Permit2 reverts with; None: no data)."""
    pending = chain.block("pending")
    now, block = int(pending["timestamp"], 16), int(pending["number"], 16)
    good = _order(chain, kind, 10**18)
    bad: dict[str, tuple[Order | bytes, bytes, str | None]] = {
        "invalid_signature": (good, good.sign(OTHER_KEY), "InvalidSigner()"),
        "malformed": (b"\x00" * 40 + b"garbage", good.sign(SWAPPER_KEY), None),
    }
    tampered = _tamper(good)  # signed before an output was raised by one wei
    cosigned = kind not in {"dutch", "priority"}  # the cosignature covers the order hash first
    bad["tampered"] = (
        tampered,
        good.sign(SWAPPER_KEY),
        "InvalidCosignature()" if cosigned else "InvalidSigner()",
    )
    past = make_order(kind, now=now - 400, block=block, amount_in=USDC_IN, deadline=now - 1)
    bad["expired_deadline"] = (past, past.sign(SWAPPER_KEY), EXPIRED[kind])
    poor = _order(chain, kind, 10**18, swapper=OTHER)  # OTHER never approved Permit2
    bad["insufficient_allowance"] = (poor, poor.sign(OTHER_KEY), "TRANSFER_FROM_FAILED")
    foreign = make_order(kind, now=now, block=block, amount_in=USDC_IN, chain_id=1)
    foreign = dataclasses.replace(foreign, info=good.info)  # mainnet's signature on a devnet order
    bad["wrong_chain"] = (good, foreign.sign(SWAPPER_KEY), "InvalidSigner()")
    elsewhere = dataclasses.replace(good, info=dataclasses.replace(good.info, reactor=OTHER))
    if kind != "dutch":
        elsewhere = elsewhere.cosign(COSIGNER_KEY)
    bad["unknown_reactor"] = (elsewhere, elsewhere.sign(SWAPPER_KEY), "InvalidReactor()")
    if kind != "priority":  # exclusive to OTHER, strictly, well past the next block
        until = now + 600 if kind != "v3_dutch" else block + 50
        strict = _order(chain, kind, 10**18, exclusive_filler=OTHER, override_bps=0, exclusive_until=until)
        bad["not_exclusive_filler"] = (strict, strict.sign(SWAPPER_KEY), "NoExclusiveOverride()")
    if kind != "dutch":
        wrong = dataclasses.replace(good, cosignature=b"")
        if kind == "priority":  # the cosignature only counts before the auction start, to open it early
            wrong = dataclasses.replace(wrong, auction_start_block=block + 50, auction_target_block=block)
        wrong = wrong.cosign(OTHER_KEY)
        bad["invalid_cosignature"] = (wrong, wrong.sign(SWAPPER_KEY), "InvalidCosignature()")
        flipped = bytes([good.cosignature[0] ^ 1]) + good.cosignature[1:]
        if kind == "priority":
            flipped_order = dataclasses.replace(wrong, cosignature=flipped)
        else:
            flipped_order = dataclasses.replace(good, cosignature=flipped)
        bad["tampered_cosignature"] = (flipped_order, flipped_order.sign(SWAPPER_KEY), "InvalidCosignature()")
    if kind == "priority":
        late = dataclasses.replace(good, auction_start_block=block + 50, auction_target_block=block + 40)
        late = late.cosign(COSIGNER_KEY)
        bad["decay_not_started"] = (late, late.sign(SWAPPER_KEY), "OrderNotFillable()")
    return bad


def _tamper(order: Order) -> Order:
    """The same order with its first output raised by one wei."""
    if hasattr(order, "base_outputs"):
        first = order.base_outputs[0]
        raised = dataclasses.replace(first, start_amount=first.start_amount + 1)
        return dataclasses.replace(order, base_outputs=(raised, *order.base_outputs[1:]))
    first = order.outputs[0]
    field = "amount" if hasattr(first, "amount") else "start_amount"
    raised = dataclasses.replace(first, **{field: getattr(first, field) + 1})
    return dataclasses.replace(order, outputs=(raised, *order.outputs[1:]))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_orders_are_refused_by_check_and_by_the_reactor(
    chain: Node, filler: UniswapXFiller, kind: str
) -> None:
    owner = _owner(filler)
    reactor = reactor_for(kind, 31337)
    for code, (order, signature, error) in _bad_variants(chain, kind).items():
        if isinstance(order, bytes):
            codes = [r.code for r in check(order, signature, chain=chain, kind=kind, chain_id=31337)]
            encoded = order
        else:
            codes = [r.code for r in check(order, signature, chain=chain, filler=filler.address)]
            encoded = order.encode()
            with pytest.raises(FillRejected):  # fill() sends nothing the reactor would refuse
                fill([(order, signature)], filler=filler, sender=owner)
        expected = code.replace("tampered_cosignature", "invalid_cosignature").replace(
            "tampered", "invalid_signature"
        )
        assert expected in codes, (kind, code, codes)
        # forced: sent to the kind's reactor with a fixed gas limit (no simulation): it reverts on chain
        data = filler.execute_call(reactor, [(encoded, signature)], FillPlan().fill_data())
        with pytest.raises(TransactionFailed) as failed:
            chain.send(owner, filler.address, data, gas=3_000_000, what=f"forced {code}")
        assert failed.value.tx_hash != "(not mined)", code
        reason = failed.value.reason or ""
        if error is None:
            assert reason == "execution reverted", (kind, code, reason)
        elif error.endswith(")"):
            assert reason.startswith(_selector(error)), (kind, code, reason, error)
        else:
            assert reason == error, (kind, code, reason)


def test_reused_nonce_is_refused(chain: Node, filler: UniswapXFiller) -> None:
    for kind in KINDS:
        order = _order(chain, kind, 10**17, nonce=77 + KINDS.index(kind))
        fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
        again = _order(chain, kind, 10**17 + 1, nonce=77 + KINDS.index(kind))
        codes = [r.code for r in check(again, again.sign(SWAPPER_KEY), chain=chain, filler=filler.address)]
        assert codes == ["nonce_used"], (kind, codes)
        data = filler.execute_call(
            again.info.reactor, [(again.encode(), again.sign(SWAPPER_KEY))], FillPlan().fill_data()
        )
        with pytest.raises(TransactionFailed) as failed:
            chain.send(_owner(filler), filler.address, data, gas=3_000_000, what="forced reuse")
        # the priority reactor reads the Permit2 bitmap itself; the others learn it from Permit2
        error = "OrderAlreadyFilled()" if kind == "priority" else "InvalidNonce()"
        assert (failed.value.reason or "").startswith(_selector(error)), (kind, failed.value.reason)


def test_valid_orders_pass_check(chain: Node, filler: UniswapXFiller) -> None:
    for kind in KINDS:
        order = _order(chain, kind, 10**18)
        assert check(order, order.sign(SWAPPER_KEY), chain=chain, filler=filler.address) == []
        now = int(chain.block("pending")["timestamp"], 16)  # the chain's clock, not the wall clock
        offline = check(order, order.sign(SWAPPER_KEY), now=now, block_number=chain.block_number() + 1)
        assert offline == []  # offline: everything that needs no chain


@pytest.mark.parametrize("kind", KINDS)
def test_batch_of_orders_routed_together(
    chain: Node, filler: UniswapXFiller, universe, fund, kind: str
) -> None:
    """Two swappers' orders through executeBatchWithCallback: their inputs routed as one route."""
    fund("USDC", OTHER, USDC_IN)
    approve(chain, mainnet.USDC, OTHER, mainnet.PERMIT2, MAX_UINT256)
    route = Router(universe).route("USDC", "WETH", 2 * USDC_IN, slippage_bps=30, gas_price_wei=0)
    first = _order(chain, kind, route.amount_out * 49 // 100, nonce=1)
    second = _order(chain, kind, route.amount_out * 49 // 100, nonce=2, swapper=OTHER)
    resolved = resolve_for_next_block(chain, [first, second], filler.address)
    plan = FillPlan.from_routes(resolved, [route])
    assert plan.mode == "route"
    weth_before, _ = _balances(chain, filler)
    result = fill(
        [(first, first.sign(SWAPPER_KEY)), (second, second.sign(OTHER_KEY))],
        plan,
        filler=filler,
        sender=_owner(filler),
    )
    assert result.fill.orders == 2 and len(result.orders) == 2
    for done, swapper in zip(result.orders, (SWAPPER, OTHER), strict=True):
        assert done.received[(swapper, mainnet.WETH)] >= done.resolved.outputs[0].amount
    assert _balances(chain, filler)[0] >= weth_before


def test_contract_swapper_signs_with_eip1271(chain: Node, filler: UniswapXFiller, roles, fund) -> None:
    """A smart-contract swapper: Permit2 asks the wallet (EIP-1271); check asks it too, in the same batch."""
    wallet = chain.deploy(roles.deployer, artifacts.load("SignerWallet").creation_code(SWAPPER))
    fund("USDC", wallet, USDC_IN)
    chain.contract("SignerWallet", wallet).transact(
        "approve", mainnet.USDC, mainnet.PERMIT2, MAX_UINT256, sender=SWAPPER
    )
    order = _order(chain, "v2_dutch", 10**18, swapper=wallet)
    signature = order.sign(SWAPPER_KEY)  # the wallet owner's key
    assert check(order, signature, chain=chain, filler=filler.address) == []
    offline = check(order, signature, now=int(chain.block("pending")["timestamp"], 16))
    assert [r.code for r in offline] == ["invalid_signature"]  # offline, swappers are taken to be EOAs
    forged = order.sign(OTHER_KEY)
    assert [r.code for r in check(order, forged, chain=chain, filler=filler.address)] == ["invalid_signature"]
    data = filler.execute_call(order.info.reactor, [(order.encode(), forged)], FillPlan().fill_data())
    with pytest.raises(TransactionFailed) as failed:
        chain.send(_owner(filler), filler.address, data, gas=3_000_000, what="forged 1271")
    assert (failed.value.reason or "").startswith(_selector("InvalidContractSignature()"))
    result = fill([(order, signature)], filler=filler, sender=_owner(filler))
    (done,) = result.orders
    assert done.received[(wallet, mainnet.WETH)] == done.resolved.outputs[0].amount
    assert balance_of(chain, mainnet.USDC, wallet) == USDC_IN - done.resolved.input.amount


def test_priority_fee_scales_a_priority_order_in_a_real_fill(chain: Node, filler: UniswapXFiller) -> None:
    """The filler's bid (gas price above the base fee) scales the outputs, as resolve says for that block."""
    pending = chain.block("pending")
    now, block = int(pending["timestamp"], 16), int(pending["number"], 16)
    order = make_order("priority", now=now, block=block, amount_in=USDC_IN, amount_out=10**18)
    order = dataclasses.replace(order, baseline_priority_fee_wei=10**6).cosign(COSIGNER_KEY)
    result = fill(
        [(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler), priority_fee=3 * 10**6
    )
    (done,) = result.orders
    # output mps 1 per wei above the 1e6 baseline: 2e6 mps on top of 1e7 = 1.2x
    assert done.resolved.outputs[0].amount == 12 * 10**17
    assert done.received[(SWAPPER, mainnet.WETH)] == 12 * 10**17


def test_checks_of_many_orders_cost_one_round_trip(chain: Node, filler: UniswapXFiller) -> None:
    orders = [_order(chain, kind, 10**18, nonce=n) for n in range(5) for kind in KINDS]
    signed = [(o, o.sign(SWAPPER_KEY)) for o in orders]
    before = chain.rpc.http_requests
    results = check_many(signed, chain=chain, filler=filler.address)
    assert chain.rpc.http_requests - before == 1
    assert results == [[] for _ in orders]


@pytest.mark.parametrize("kind", KINDS)
def test_protocol_fee_outputs_are_paid_too(chain: Node, filler: UniswapXFiller, kind: str) -> None:
    """With a fee controller set (as on mainnet), the reactor adds fee outputs: the plan and the accounting
    ask the controller for them, the filler pays them, and the swapper still gets its resolved amount."""
    fee_recipient = to_checksum_address("0x000000000000000000000000000000000000fee5")
    artifact = artifacts.load("FixedFeeController")
    controller = chain.deploy(_owner(filler), artifact.creation_code(5, fee_recipient))
    reactor = reactor_for(kind, 31337)
    chain.set_balance(mainnet.UNISWAP_TIMELOCK, 10**18)
    with chain.impersonating(mainnet.UNISWAP_TIMELOCK) as timelock:
        reactor_contract = chain.contract("ExclusiveDutchOrderReactor", reactor)
        reactor_contract.transact("setProtocolFeeController", controller, sender=timelock)
    order = _order(chain, kind, 10**18)
    (planned,) = resolve_for_next_block(chain, [order], filler.address)
    assert planned.outputs[-1].recipient == fee_recipient  # asked of the controller before sending
    result = fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
    (done,) = result.orders
    swapper_out, fee_out = done.resolved.outputs
    assert fee_out.amount == swapper_out.amount * 5 // 10_000 > 0
    assert done.received == {
        (SWAPPER, mainnet.WETH): swapper_out.amount,
        (fee_out.recipient, mainnet.WETH): fee_out.amount,
    }
    assert balance_of(chain, mainnet.WETH, fee_recipient) == fee_out.amount


def _signed_limits(order: Order) -> tuple[int, int]:
    """The most USDC the swapper signed to pay and the least WETH it signed to get, read off each kind's own
    fields (what the reactor may never go past)."""
    if isinstance(order, ExclusiveDutchOrder):
        return order.input.end_amount, sum(o.end_amount for o in order.outputs if o.token == mainnet.WETH)
    if isinstance(order, V2DutchOrder):
        base = order.base_outputs
        return order.base_input.end_amount, sum(o.end_amount for o in base if o.token == mainnet.WETH)
    if isinstance(order, V3DutchOrder):
        base = order.base_outputs
        return order.base_input.max_amount, sum(o.min_amount for o in base if o.token == mainnet.WETH)
    assert isinstance(order, PriorityOrder)
    return order.input.amount, sum(o.amount for o in order.outputs if o.token == mainnet.WETH)


@pytest.mark.parametrize("kind", KINDS)
def test_swapper_surplus_is_what_the_swapper_got_beyond_its_signed_limits(
    chain: Node, filler: UniswapXFiller, universe, kind: str
) -> None:
    """The surplus `solver run` reports equals the swapper's measured balance changes against the limits it
    signed: WETH received beyond the least it accepts, USDC kept below the most it allows."""
    order = _order(chain, kind, _route_out(universe, USDC_IN) * 9 // 10)
    weth_before, usdc_before = (
        balance_of(chain, mainnet.WETH, SWAPPER),
        balance_of(chain, mainnet.USDC, SWAPPER),
    )
    result = fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
    got = balance_of(chain, mainnet.WETH, SWAPPER) - weth_before
    paid = usdc_before - balance_of(chain, mainnet.USDC, SWAPPER)
    most_in, least_out = _signed_limits(order)
    expected = {mainnet.USDC.lower(): most_in - paid, mainnet.WETH.lower(): got - least_out}
    (done,) = result.orders
    assert swapper_surplus(order, done) == {t: a for t, a in expected.items() if a}
    assert all(amount >= 0 for amount in expected.values())
    if kind == "dutch":  # filled mid-decay: the swapper keeps part of it
        assert expected[mainnet.WETH.lower()] > 0
