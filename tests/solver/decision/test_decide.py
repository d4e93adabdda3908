"""The decision stage on the built-in chain's pools: inventory, route, split, batch, and every skip reason.

Orders are ResolvedOrders built by hand (no signing): what the reactor would pass the filler. Prices are
the pools' fair value (WETH about 3,340 USDC); on this chain routing WETH -> USDC pays a little under fair
value and USDC -> WETH a little over it, which the orders below are sized around.
"""

from __future__ import annotations

import itertools

import pytest

from amm.chain import addresses as mainnet
from solver.accounting.inventory import TokenPolicy
from solver.decision import (
    BATCH,
    BELOW_LIMIT,
    FILL_GAS_UNITS,
    INVENTORY,
    NO_EDGE,
    NO_INVENTORY,
    RISK_LIMIT,
    ROUTE,
    SKIP,
    SPLIT,
    UNSUPPORTED,
    RiskLimits,
    decide,
    why_not,
)
from solver.intents.uniswapx import InputToken, OrderInfo, OutputToken, Rejection, ResolvedOrder
from solver.pricing import OrderTerms, Pricing
from solver.routing.router import Router
from solver.routing.universe import Universe

GWEI = 10**9
GAS_PRICE = 10 * GWEI
SWAPPER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"  # anvil account 6
WETH, USDC = mainnet.WETH, mainnet.USDC
_nonce = itertools.count(1)


@pytest.fixture(scope="module")
def pricing(universe: Universe) -> Pricing:
    pricing = Pricing.from_config()
    pricing.update(universe, universe.block, 1_700_000_000.0)
    return pricing


@pytest.fixture(scope="module")
def router(universe: Universe) -> Router:
    return Router(universe)


def order(
    token_in: str,
    amount_in: int,
    token_out: str,
    amount_out: int,
    *,
    reactor: str = mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR,
    extra_outputs: tuple[OutputToken, ...] = (),
) -> ResolvedOrder:
    nonce = next(_nonce)
    return ResolvedOrder(
        kind="dutch",
        hash="0x" + f"{nonce:064x}",
        info=OrderInfo(reactor, SWAPPER, nonce, 2_000_000_000),
        input=InputToken(token_in, amount_in, amount_in),
        outputs=(OutputToken(token_out, amount_out, SWAPPER), *extra_outputs),
    )


def usdc_for(pricing: Pricing, weth: int, bps: int = 0) -> int:
    """Raw USDC worth `weth` raw WETH at fair value, `bps` below it (negative: above)."""
    return int(pricing.fair_value.value(WETH, weth) * 10**6 * (10_000 - bps) / 10_000)


def weth_for(pricing: Pricing, usdc: int, bps: int = 0) -> int:
    price = pricing.fair_value.price(WETH)
    return int(usdc / 10**6 / price * 10**18 * (10_000 - bps) / 10_000)


def gas_value(pricing: Pricing, units: int) -> float:
    return units * GAS_PRICE / 10**18 * pricing.fair_value.price(WETH)


def run(pricing, router, orders, balances, **kw):
    return decide(
        orders,
        pricing=pricing,
        router=router,
        inventory_balances=balances,
        policies=kw.pop("policies", {}),
        gas_price_wei=GAS_PRICE,
        limits=kw.pop("limits", None),
        **kw,
    )


TEN_WETH = 10 * 10**18
RICH = {USDC: 1_000_000 * 10**6, WETH: 0}


def test_generous_order_with_inventory_fills_from_inventory(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    (d,) = run(pricing, router, [o], RICH)
    assert d.action == INVENTORY and d.reason is None and d.hashes == (o.hash,)
    assert d.plan is not None and d.plan.mode == "inventory" and d.routes == ()
    # the PnL is Quoter.edge's, with the gas of a ~180k fill
    edge = pricing.edge(OrderTerms(WETH, TEN_WETH, USDC, o.outputs[0].amount), {WETH: 0, USDC: RICH[USDC]})
    assert d.pnl.total == pytest.approx(edge.edge - gas_value(pricing, FILL_GAS_UNITS))
    assert d.pnl.spread == pytest.approx(edge.value_received - edge.value_paid)
    assert 300 < d.pnl.spread < 340  # 1% of ~33,400 USDC
    assert d.pnl.total == max(opt.pnl.total for opt in d.options)
    assert {opt.action for opt in d.options} >= {INVENTORY, ROUTE}
    assert d.to_dict()["pnl"]["total"] == d.pnl.total and d.to_dict()["mode"] == "inventory"


def test_same_order_without_inventory_is_routed(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    (d,) = run(pricing, router, [o], {})
    assert d.action == ROUTE and d.plan is not None and d.plan.mode == "route"
    (route,) = d.routes
    owed = o.outputs[0].amount
    assert route.amount_in == TEN_WETH and route.min_amount_out >= owed
    surplus = pricing.fair_value.value(USDC, route.amount_out - owed)
    gas = gas_value(pricing, FILL_GAS_UNITS + route.gas_units)
    assert d.pnl.route_surplus == pytest.approx(surplus) and d.pnl.gas == pytest.approx(gas)
    assert d.pnl.spread == 0
    assert d.pnl.total == pytest.approx(surplus - gas - d.pnl.penalty)
    assert abs(d.pnl.penalty) < 0.01  # USDC is the numeraire: no inventory risk in holding it


def test_limit_above_the_pools_without_inventory_is_below_limit(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=-100))
    (d,) = run(pricing, router, [o], {})
    assert (d.action, d.reason) == (SKIP, BELOW_LIMIT) and d.plan is None


def test_no_route_and_no_inventory(pricing) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    (d,) = run(pricing, None, [o], {})
    assert (d.action, d.reason) == (SKIP, NO_INVENTORY)


def test_order_at_fair_value_has_no_edge(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH))
    (d,) = run(pricing, router, [o], RICH)
    assert (d.action, d.reason) == (SKIP, NO_EDGE)
    assert d.pnl is not None and d.pnl.total < 0
    assert d.pnl.total == pytest.approx(-gas_value(pricing, FILL_GAS_UNITS) - d.pnl.penalty, abs=0.01)


def test_half_inventory_chooses_the_best_of_split_and_route(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    owed = o.outputs[0].amount
    (d,) = run(pricing, router, [o], {USDC: owed // 2})
    assert d.action in (SPLIT, ROUTE)
    actions = [opt.action for opt in d.options]
    assert INVENTORY not in actions and ROUTE in actions and SPLIT in actions
    assert d.pnl.total == max(opt.pnl.total for opt in d.options)
    # recompute every option from its own route: kept input and routed surplus at fair value, less gas
    fv = pricing.fair_value
    for opt in d.options:
        (route,) = opt.routes
        kept, owed_by_route = TEN_WETH - route.amount_in, owed * route.amount_in // TEN_WETH
        value = fv.value(WETH, kept) - fv.value(USDC, owed - owed_by_route)
        value += fv.value(USDC, route.amount_out - owed_by_route)
        gas = gas_value(pricing, FILL_GAS_UNITS + route.gas_units)
        assert opt.pnl.total == pytest.approx(value - gas - opt.pnl.penalty)
        assert owed - route.min_amount_out <= owed // 2  # inventory covers what the route's floor leaves
    if d.action == SPLIT:
        assert d.plan.mode == "split" and d.routes[0].amount_in < TEN_WETH


def test_max_notional_per_fill_is_a_risk_limit(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    (d,) = run(pricing, router, [o], RICH, limits=RiskLimits(max_notional_per_fill=10_000.0))
    assert (d.action, d.reason) == (SKIP, RISK_LIMIT) and "notional" in d.detail


def test_hard_limit_routes_instead_or_skips(pricing, router) -> None:
    """Rule: an option is allowed only if no token's worst-case balance ends above its hard limit. Routing
    keeps none of the input, so it stays allowed; without a router nothing is, and the order is a
    risk_limit skip."""
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    policies = {WETH: TokenPolicy(target=0, band=0, hard_limit=5 * 10**18)}
    (d,) = run(pricing, router, [o], RICH, policies=policies)
    assert d.action in (ROUTE, SPLIT)
    assert all(opt.action != INVENTORY for opt in d.options)
    assert TEN_WETH - d.routes[0].amount_in <= 5 * 10**18  # WETH kept within the limit
    (d,) = run(pricing, None, [o], RICH, policies=policies)
    assert (d.action, d.reason) == (SKIP, RISK_LIMIT)


@pytest.mark.parametrize("key", ["WETH", "weth", WETH, WETH.lower()])
def test_max_inventory_raw_caps_what_inventory_takes_in(pricing, router, key) -> None:
    """The run's max inventory (raw units, by symbol or address) works like a hard limit: 10 WETH into a book
    holding 3 with a cap of 8 may keep at most 5 of them; the rest is routed, or the order skipped."""
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    book = {**RICH, WETH: 3 * 10**18}
    limits = RiskLimits(max_inventory={key: 8 * 10**18})
    (d,) = run(pricing, router, [o], book, limits=limits)
    assert d.action in (ROUTE, SPLIT) and all(opt.action != INVENTORY for opt in d.options)
    assert 3 * 10**18 + TEN_WETH - d.routes[0].amount_in <= 8 * 10**18
    (d,) = run(pricing, None, [o], book, limits=limits)
    assert (d.action, d.reason) == (SKIP, RISK_LIMIT) and "max inventory 8000000000000000000" in d.detail
    (d,) = run(pricing, None, [o], book, limits=RiskLimits(max_inventory={key: 13 * 10**18}))
    assert d.action == INVENTORY  # 13 WETH exactly is allowed


def test_max_inventory_value_caps_at_fair_value(pricing, router) -> None:
    """A value cap turns into raw units at this block's fair value; "*" covers every token but the
    numeraire, so USDC flowing in is never limited by it."""
    price = pricing.fair_value.price(WETH)
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    just_under = RiskLimits(max_inventory_value={"*": 9.99 * price})
    (d,) = run(pricing, None, [o], RICH, limits=just_under)
    assert (d.action, d.reason) == (SKIP, RISK_LIMIT)
    (d,) = run(pricing, None, [o], RICH, limits=RiskLimits(max_inventory_value={"*": 10.01 * price}))
    assert d.action == INVENTORY
    usdc_in = usdc_for(pricing, TEN_WETH)
    buy = order(USDC, usdc_in, WETH, weth_for(pricing, usdc_in, bps=100))
    (d,) = run(
        pricing, None, [buy], {USDC: 0, WETH: 100 * 10**18}, limits=RiskLimits(max_inventory_value={"*": 1.0})
    )
    assert d.action == INVENTORY  # USDC is the numeraire: "*" does not cap it
    named = RiskLimits(max_inventory_value={"USDC": 1_000.0})
    (d,) = run(pricing, None, [buy], {USDC: 0, WETH: 100 * 10**18}, limits=named)
    assert (d.action, d.reason) == (SKIP, RISK_LIMIT)


def test_opposite_orders_are_netted_into_one_batch(pricing, router) -> None:
    sell_weth = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    usdc_in = usdc_for(pricing, TEN_WETH)
    buy_weth = order(USDC, usdc_in, WETH, weth_for(pricing, usdc_in, bps=100))
    elsewhere = order(
        USDC, usdc_in, WETH, weth_for(pricing, usdc_in, bps=100), reactor=mainnet.V2_DUTCH_ORDER_REACTOR
    )
    # no inventory at all: each side's input pays the other's output
    decisions = run(pricing, router, [sell_weth, elsewhere, buy_weth], {})
    batch = decisions[0]
    assert batch.action == BATCH and batch.hashes == (sell_weth.hash, buy_weth.hash)
    assert batch.reactor == mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR
    assert batch.plan is not None and batch.plan.mode == "inventory"
    assert all(limit >= 0 for _, limit in batch.plan.limits)  # netted: nothing drawn from inventory
    assert batch.pnl.total == pytest.approx(sum(opt.pnl.total for opt in batch.options))
    assert batch.pnl.gas == pytest.approx(2 * gas_value(pricing, FILL_GAS_UNITS))
    assert len(decisions) == 2 and decisions[1].hashes == (elsewhere.hash,)
    assert decisions[1].action == ROUTE  # another reactor: not batched; no WETH held, the pools pay


def test_skew_lowers_the_edge_of_buying_weth_as_weth_builds(pricing, router) -> None:
    o = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    totals = []
    for held in (0, 50, 200, 500):
        balances = {USDC: 10_000_000 * 10**6, WETH: held * 10**18}
        (d,) = run(pricing, router, [o], balances, batch=False)
        inventory = next(opt for opt in d.options if opt.action == INVENTORY)
        edge = pricing.edge(OrderTerms(WETH, TEN_WETH, USDC, o.outputs[0].amount), balances)
        assert inventory.pnl.total == pytest.approx(edge.edge - gas_value(pricing, FILL_GAS_UNITS))
        totals.append(inventory.pnl.total)
    assert totals == sorted(totals, reverse=True) and totals[0] - totals[-1] > 10


def test_sequential_orders_do_not_spend_the_same_inventory(pricing, router) -> None:
    first = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    second = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    a, b = run(pricing, router, [first, second], {USDC: first.outputs[0].amount})
    assert a.action == INVENTORY
    assert b.action == ROUTE  # the USDC went to the first order


def test_rejections_and_unsupported_pass_through(pricing, router) -> None:
    rejected = order(WETH, TEN_WETH, USDC, usdc_for(pricing, TEN_WETH, bps=100))
    two_tokens = order(
        WETH, TEN_WETH, USDC, 10**6, extra_outputs=(OutputToken(mainnet.DAI, 10**18, SWAPPER),)
    )
    same = order(WETH, TEN_WETH, WETH, 10**18)
    decisions = run(
        pricing,
        router,
        [rejected, two_tokens, same],
        RICH,
        rejections={rejected.hash: [Rejection("expired_deadline", "the deadline has passed")]},
    )
    assert [d.reason for d in decisions] == ["rejected:expired_deadline", UNSUPPORTED, UNSUPPORTED]
    assert all(d.action == SKIP and d.plan is None for d in decisions)
    # aligned with the orders, as check_many returns them
    (d,) = run(pricing, router, [rejected], RICH, rejections=[[Rejection("invalid_signature", "x")]])
    assert d.reason == "rejected:invalid_signature"
    assert why_not(d) == "skip rejected:invalid_signature: invalid_signature: x"
