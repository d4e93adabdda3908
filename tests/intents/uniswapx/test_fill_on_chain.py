"""Orders of every kind signed in Python and filled through the real reactors and Permit2 by our filler:
from inventory, by routing, and split; each bad variant refused by `check` with its code and, forced on
chain, refused by the reactor too; a route that comes up short reverts and leaves inventory untouched."""

from __future__ import annotations

import dataclasses

import pytest

from amm.chain import addresses as mainnet
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, approve, balance_of
from solver.intents.uniswapx import Order, check
from solver.routing.router import Router
from solver.settlement.uniswapx import FillPlan, FillRejected, fill
from solver.settlement.uniswapx_filler import UniswapXFiller

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
    return Router(universe).route("USDC", "WETH", amount_in, slippage_bps=30).amount_out


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
    route = Router(universe).route("USDC", "WETH", USDC_IN, slippage_bps=30)
    order = _order(chain, kind, route.amount_out * 99 // 100)
    resolved = [
        order.resolve(
            timestamp=order.info.deadline - 3_599,
            block_number=int(chain.block("pending")["number"], 16),
            base_fee=0,
            priority_fee=0,
            filler=filler.address,
        )
    ]
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
    half = Router(universe).route("USDC", "WETH", USDC_IN // 2, slippage_bps=30)
    order = _order(chain, kind, half.amount_out * 2 * 9 // 10)
    resolved = [
        order.resolve(
            timestamp=order.info.deadline - 3_599,
            block_number=int(chain.block("pending")["number"], 16),
            base_fee=0,
            priority_fee=0,
            filler=filler.address,
        )
    ]
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


def test_a_short_route_reverts_and_leaves_inventory_untouched(
    chain: Node, filler: UniswapXFiller, universe
) -> None:
    route = Router(universe).route("USDC", "WETH", USDC_IN, slippage_bps=30)
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
def _bad_variants(chain: Node, kind: str, filler: str) -> dict[str, tuple[Order | bytes, bytes]]:
    good = _order(chain, kind, 10**18)
    variants: dict[str, tuple[Order | bytes, bytes]] = {
        "invalid_signature": (good, good.sign(OTHER_KEY)),
        "expired_deadline": (
            (o := _order(chain, kind, 10**18, deadline=int(chain.block("pending")["timestamp"], 16) - 1)),
            o.sign(SWAPPER_KEY),
        ),
        "insufficient_allowance": ((o := _order(chain, kind, 10**18, swapper=OTHER)), o.sign(OTHER_KEY)),
        "malformed": (b"\x00" * 40 + b"garbage", good.sign(SWAPPER_KEY)),
    }
    tampered = _tamper(good)
    variants["tampered"] = (tampered, good.sign(SWAPPER_KEY))
    if kind != "priority":
        strict = _order(chain, kind, 10**18, exclusive_filler=OTHER, override_bps=0, exclusive_until=None)
        strict = _exclusive_window(strict, chain)
        variants["not_exclusive_filler"] = (strict, strict.sign(SWAPPER_KEY))
    if kind != "dutch":
        wrong = _order(chain, kind, 10**18, cosigner_key=OTHER_KEY, cosign=False)
        wrong = dataclasses.replace(wrong, cosigner=good.cosigner).cosign(OTHER_KEY)
        if kind == "priority":  # the cosignature only counts before the auction start, to open it early
            block = chain.block_number()
            wrong = dataclasses.replace(wrong, auction_start_block=block + 50, auction_target_block=block)
            wrong = wrong.cosign(OTHER_KEY)
        variants["invalid_cosignature"] = (wrong, wrong.sign(SWAPPER_KEY))
    return variants


def _tamper(order: Order) -> Order:
    """The same order with its first output raised by one wei after signing."""
    if hasattr(order, "base_outputs"):
        first = order.base_outputs[0]
        return dataclasses.replace(
            order, base_outputs=(dataclasses.replace(first, start_amount=first.start_amount + 1),)
        )
    first = order.outputs[0]
    field = "amount" if hasattr(first, "amount") else "start_amount"
    return dataclasses.replace(
        order, outputs=(dataclasses.replace(first, **{field: getattr(first, field) + 1}),)
    )


def _exclusive_window(order: Order, chain: Node) -> Order:
    """Move the exclusivity window well past the next block (decay start = exclusivity end)."""
    if hasattr(order, "decay_start_time"):
        return dataclasses.replace(
            order,
            decay_start_time=order.decay_start_time + 600,
            decay_end_time=order.decay_end_time + 600,
            info=dataclasses.replace(order.info, deadline=order.info.deadline + 600),
        )
    data = order.cosigner_data
    if hasattr(data, "decay_start_time"):
        data = dataclasses.replace(
            data, decay_start_time=data.decay_start_time + 600, decay_end_time=data.decay_end_time + 600
        )
        order = dataclasses.replace(
            order, info=dataclasses.replace(order.info, deadline=order.info.deadline + 600)
        )
    else:
        data = dataclasses.replace(data, decay_start_block=data.decay_start_block + 50)
    return dataclasses.replace(order, cosigner_data=data).cosign(COSIGNER_KEY)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_orders_are_refused_by_check_and_by_the_reactor(
    chain: Node, filler: UniswapXFiller, kind: str
) -> None:
    owner = _owner(filler)
    for code, (order, signature) in _bad_variants(chain, kind, filler.address).items():
        if isinstance(order, bytes):
            codes = [r.code for r in check(order, signature, chain=chain, kind=kind, chain_id=31337)]
            encoded = order
        else:
            codes = [r.code for r in check(order, signature, chain=chain, filler=filler.address)]
            encoded = order.encode()
            with pytest.raises(FillRejected):
                fill([(order, signature)], filler=filler, sender=owner)
        expected = "invalid_signature" if code == "tampered" else code
        assert expected in codes, (code, codes)
        # forced: sent with a fixed gas limit (no simulation), the reactor reverts on chain
        reactor = _order(chain, kind, 1).info.reactor
        data = filler.execute_call(reactor, [(encoded, signature)], FillPlan().fill_data())
        with pytest.raises(TransactionFailed) as failed:
            chain.send(owner, filler.address, data, gas=3_000_000, what=f"forced {code}")
        assert failed.value.tx_hash != "(not mined)", code


def test_reused_nonce_is_refused(chain: Node, filler: UniswapXFiller, universe) -> None:
    for kind in KINDS:
        order = _order(chain, kind, 10**17, nonce=77 + KINDS.index(kind))
        fill([(order, order.sign(SWAPPER_KEY))], filler=filler, sender=_owner(filler))
        again = _order(chain, kind, 10**17 + 1, nonce=77 + KINDS.index(kind))
        codes = [r.code for r in check(again, again.sign(SWAPPER_KEY), chain=chain, filler=filler.address)]
        assert codes == ["nonce_used"], (kind, codes)
        data = filler.execute_call(
            again.info.reactor, [(again.encode(), again.sign(SWAPPER_KEY))], FillPlan().fill_data()
        )
        with pytest.raises(TransactionFailed):
            chain.send(_owner(filler), filler.address, data, gas=3_000_000, what="forced reuse")


def test_valid_orders_pass_check(chain: Node, filler: UniswapXFiller) -> None:
    for kind in KINDS:
        order = _order(chain, kind, 10**18)
        assert check(order, order.sign(SWAPPER_KEY), chain=chain, filler=filler.address) == []
        now = int(chain.block("pending")["timestamp"], 16)  # the chain's clock, not the wall clock
        offline = check(order, order.sign(SWAPPER_KEY), now=now, block_number=chain.block_number() + 1)
        assert offline == []  # offline: everything that needs no chain
