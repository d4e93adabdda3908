"""Hedging on the built-in chain: a WETH position outside its band is sold back to target for USDC through the
router and RouteExecutor; hedges beyond the slippage limit (priced, or on chain after the pool moved) are
refused and halt the token's side until a later hedge executes; the continuous rule hedges a fraction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver.accounting import HedgeRecord, PnlTracker, TokenPolicy
from solver.pricing import FairValueFromPools
from solver.risk import HedgeOrder, Hedger, HedgeRefusal, HedgeRule, RiskConfigError, RiskLimits
from solver.routing import Router, Universe

E18 = 10**18
POLICY = TokenPolicy(target=100 * E18, band=10 * E18)


@pytest.fixture(scope="module")
def fair(universe: Universe) -> dict[str, float]:
    return FairValueFromPools().update(universe)  # by symbol: numeraire (USDC) per whole token


@pytest.fixture(scope="module")
def router(universe: Universe) -> Router:
    return Router(universe)


def _book(chain: Node, universe: Universe, account: str) -> dict[str, int]:
    return {t.address: balance_of(chain, t.address, account) for t in map(universe.token, ("WETH", "USDC"))}


def _plan_one(hedger: Hedger, balances, fair) -> HedgeOrder | HedgeRefusal | None:
    weth = hedger.router.universe.token("WETH")
    plan = hedger.plan(balances, {weth.address: POLICY}, fair)
    found = [*plan.orders, *plan.refused]
    assert len(found) <= 1
    return found[0] if found else None


def test_inside_the_band_no_hedge(router, fair) -> None:
    hedger = Hedger(router)
    assert _plan_one(hedger, {"WETH": 109 * E18, "USDC": 10**12}, fair) is None
    assert _plan_one(hedger, {"WETH": 91 * E18, "USDC": 10**12}, fair) is None


def test_long_weth_is_sold_back_to_target_on_chain(
    chain, universe, router, fair, executor, fund, roles
) -> None:
    account = roles.users[0]
    weth, usdc = universe.token("WETH"), universe.token("USDC")
    fund("WETH", account, 150 * E18)
    before = _book(chain, universe, account)
    hedger = Hedger(router, max_slippage_bps=RiskLimits().max_hedge_slippage_bps)
    hedge = _plan_one(hedger, before, fair)
    assert isinstance(hedge, HedgeOrder)
    assert (hedge.side, hedge.token, hedge.deviation) == ("sell", weth, 50 * E18)
    assert (hedge.route.token_in, hedge.route.token_out, hedge.amount_in) == (weth, usdc, 50 * E18)
    expected_fair = 50 * fair["WETH"] * 10**6
    assert hedge.fair_amount_out == pytest.approx(expected_fair, rel=1e-9)
    assert 0 < hedge.slippage_bps <= 50
    # the on-chain minimum is no worse than fair value less the limit
    assert hedge.route.min_amount_out >= hedge.fair_amount_out * (10_000 - 50) // 10_000

    fill = hedger.execute(hedge, executor, account=account)
    after = _book(chain, universe, account)
    assert (fill.amount_in, fill.amount_out) == (hedge.amount_in, hedge.amount_out)
    assert after[weth.address] == POLICY.target  # back inside the band, at target
    assert after[usdc.address] - before[usdc.address] == fill.amount_out
    assert fill.flows == {weth.address: -50 * E18, usdc.address: fill.amount_out}
    assert fill.gas_used > 0 and fill.gas_price > 0
    assert hedger.halted_side("WETH") is None

    # accounting books it on its own PnL line: the hedge's cost against fair value, nothing unexplained
    record = fill.record()
    assert isinstance(record, HedgeRecord) and record.status == "mined" and record.flows == fill.flows
    prices = {weth.address: fair["WETH"], usdc.address: 1.0}
    tracker = PnlTracker({weth.address: 18, usdc.address: 6}, gas_token=weth.address)
    tracker.step(fill.block_number - 1, before, prices)
    pnl = tracker.step(fill.block_number, after, prices, hedges=[record])
    assert pnl.unexplained == 0 and pnl.inventory_mtm == 0
    assert pnl.hedge < 0 and float(-pnl.hedge) == pytest.approx(
        hedge.slippage_bps / 1e4 * float(Decimal(hedge.fair_amount_out) / 10**6), rel=1e-6
    )


def test_band_edge_rule_sells_only_the_excess(router, fair) -> None:
    hedger = Hedger(router, rule=HedgeRule(to="band_edge"))
    balances = {"WETH": 150 * E18, "USDC": 0, "0x0000000000000000000000000000000000000000": E18}
    hedge = _plan_one(hedger, balances, fair)
    assert isinstance(hedge, HedgeOrder) and hedge.amount_in == 40 * E18


def test_short_weth_is_bought_back_with_usdc(router, fair) -> None:
    hedger = Hedger(router)
    hedge = _plan_one(hedger, {"WETH": 50 * E18, "USDC": 10**12}, fair)
    assert isinstance(hedge, HedgeOrder) and hedge.side == "buy"
    assert hedge.route.token_in.symbol == "USDC" and hedge.fair_amount_out == 50 * E18
    assert hedge.amount_out == pytest.approx(50 * E18, rel=0.005)
    # with no USDC to buy with, the sell side of WETH stops
    refused = _plan_one(hedger, {"WETH": 50 * E18}, fair)
    assert isinstance(refused, HedgeRefusal) and "no USDC" in refused.reason
    assert hedger.halted_side("WETH") == "sell"


def test_tiny_slippage_limit_refuses_and_halts_until_a_hedge_executes(
    chain, universe, router, fair, executor, fund, roles
) -> None:
    account = roles.users[0]
    fund("WETH", account, 150 * E18)
    hedger = Hedger(router, max_slippage_bps=0.5)
    refused = _plan_one(hedger, _book(chain, universe, account), fair)
    assert isinstance(refused, HedgeRefusal) and refused.side == "sell"
    assert "exceeds the limit of 0.5 bp" in refused.reason
    assert hedger.halted_side("WETH") == "buy"  # long and cannot sell: stop buying WETH
    assert hedger.halted_side(universe.token("WETH").address) == "buy"
    assert hedger.halt_reason("WETH") == refused.reason
    assert refused.record(7) == HedgeRecord(7, {}, status="failed", reason=refused.reason)

    hedger.max_slippage_bps = 50  # the limit is raised (or the market calms): a priced hedge keeps the halt
    hedge = _plan_one(hedger, _book(chain, universe, account), fair)
    assert isinstance(hedge, HedgeOrder) and hedger.halted_side("WETH") == "buy"
    hedger.execute(hedge, executor, account=account)  # it executes: the side reopens
    assert hedger.halted_side("WETH") is None


def test_pool_moved_beyond_the_limit_reverts_and_halts(chain, universe, router, fair, executor, fund, roles):
    account, other = roles.users[0], roles.users[1]
    fund("WETH", account, 150 * E18)
    hedger = Hedger(router)
    hedge = _plan_one(hedger, _book(chain, universe, account), fair)
    assert isinstance(hedge, HedgeOrder)
    # someone dumps WETH first: the pools' price falls well beyond the hedge's limit
    dump = router.route("WETH", "USDC", 3000 * E18, slippage_bps=100, gas_price_wei=0)
    fund("WETH", other, dump.amount_in)
    executor.execute(dump, sender=other)
    result = hedger.execute(hedge, executor, account=account)
    assert isinstance(result, HedgeRefusal) and result.reason.startswith("reverted")
    assert hedger.halted_side("WETH") == "buy"
    assert balance_of(chain, universe.token("WETH").address, account) == 150 * E18  # nothing moved


def test_continuous_rule_hedges_a_fraction(chain, universe, router, fair, executor, fund, roles) -> None:
    account = roles.users[0]
    weth = universe.token("WETH")
    fund("WETH", account, 150 * E18)
    hedger = Hedger(router, rule=HedgeRule(kind="continuous", fraction=0.25))
    hedge = _plan_one(hedger, _book(chain, universe, account), fair)
    assert isinstance(hedge, HedgeOrder) and hedge.amount_in == 50 * E18 // 4
    hedger.execute(hedge, executor, account=account)
    held = balance_of(chain, weth.address, account)
    assert held == 150 * E18 - 50 * E18 // 4  # still outside the band: the next block hedges again
    nxt = _plan_one(hedger, {weth.address: held, "USDC": 0}, fair)
    assert isinstance(nxt, HedgeOrder) and nxt.amount_in == (held - POLICY.target) // 4


def test_min_value_skips_dust(router, fair) -> None:
    hedger = Hedger(router, rule=HedgeRule(kind="continuous", fraction=0.01, min_value=100_000))
    assert _plan_one(hedger, {"WETH": 150 * E18}, fair) is None  # 0.5 WETH is worth ~1,700 USDC
    assert hedger.halted_side("WETH") is None


def test_dust_beyond_the_band_halts_nothing(router, fair) -> None:
    hedger = Hedger(router, rule=HedgeRule(to="band_edge"))
    assert _plan_one(hedger, {"WETH": 110 * E18 + 1}, fair) is None  # one wei: no route, no halt
    assert hedger.halted_side("WETH") is None


def test_too_large_to_hedge_is_refused(router, fair) -> None:
    hedger = Hedger(router, max_slippage_bps=9_999)
    refused = _plan_one(hedger, {"WETH": 10**9 * E18}, fair)
    assert isinstance(refused, HedgeRefusal)
    assert refused.reason.startswith(("InsufficientLiquidity", "slippage"))
    assert hedger.halted_side("WETH") == "buy"
    assert _plan_one(hedger, {"WETH": 100 * E18}, fair) is None  # back in its band: the halt lifts
    assert hedger.halted_side("WETH") is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kind": "sometimes"}, "hedge setting kind is one of threshold, continuous, got 'sometimes'"),
        ({"to": "moon"}, "hedge setting to is one of target, band_edge, got 'moon'"),
        ({"fraction": 0}, "hedge setting fraction is in (0, 1], got 0.0"),
        ({"fraction": "half"}, "hedge setting fraction: 'half' is not a number"),
        ({"min-value": -1}, "hedge setting min_value must be >= 0, got -1.0"),
        ({"every": 3}, "unknown hedge setting 'every'"),
    ],
)
def test_rule_config_errors(table, message) -> None:
    with pytest.raises(RiskConfigError) as err:
        HedgeRule.from_dict(table)
    assert str(err.value).startswith(message)


def test_rule_from_dict() -> None:
    rule = HedgeRule.from_dict({"kind": "continuous", "fraction": "0.5", "min-value": 250})
    assert rule == HedgeRule(kind="continuous", fraction=0.5, min_value=250.0)
