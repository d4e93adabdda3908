"""Hedging the filler's own inventory, on the built-in chain: `UniswapXFiller.hedge` swaps what the filler
holds along a route (owner only, output checked, no approval left), `Hedger.execute` drives it, and
`Solver.step` hedges a position far outside its band back inside it in one step, books the hedge in the
ledger and on the PnL's `hedge` line, and, when the hedge comes up short on chain, leaves the inventory
untouched and halts the side (orders adding to it are skipped with `risk_limit:hedge_halted`)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver.core import HEDGE_HALTED, Solver, open_solver
from solver.flow.generator import FlowConfig, FlowGenerator
from solver.risk import HedgeFill, Hedger, HedgeRefusal, HedgeRule
from solver.routing import Router, Universe
from solver.settlement.uniswapx_filler import UniswapXFiller

E18 = 10**18
FUNDING = {"WETH": 100.0, "USDC": 300_000.0}
FLOW_FUNDING = {"WETH": 100.0, "USDC": 300_000.0, "USDT": 300_000.0, "DAI": 300_000.0, "WBTC": 5.0}
BAND_SHARE = 0.1  # WETH: target 100, band 10


def _solver(chain: Node, roles, run_dir: Path, funding=FUNDING, **kwargs) -> Solver:
    return open_solver(
        chain, str(run_dir), owner=roles.users[3], funding=funding, band_share=BAND_SHARE, **kwargs
    )


def _held(chain: Node, solver: Solver, symbol: str) -> int:
    return balance_of(chain, solver.universe.token(symbol).address, solver.filler.address)


# -- the contract and its wrapper ---------------------------------------------------------------------------
def test_filler_hedges_its_own_inventory(chain: Node, roles, fund, universe: Universe) -> None:
    owner = roles.users[3]
    filler = UniswapXFiller.deploy(chain, owner)
    weth, usdc = universe.token("WETH"), universe.token("USDC")
    fund("WETH", filler.address, 30 * E18)
    route = Router(universe).route("WETH", "USDC", 10 * E18, slippage_bps=30, gas_price_wei=0)

    amount_in, amount_out, gas_used, receipt = filler.hedge(route, sender=owner)
    assert amount_in == 10 * E18 and amount_out == route.amount_out  # the chain is where the route was priced
    assert gas_used > 0 and receipt["status"] == "0x1"
    assert balance_of(chain, weth.address, filler.address) == 20 * E18
    assert balance_of(chain, usdc.address, filler.address) == amount_out
    (event,) = filler.contract.events(receipt, "Hedged")
    assert event["tokenIn"].lower() == weth.address.lower()
    assert event["tokenOut"].lower() == usdc.address.lower()
    # pools are paid by transfer: no allowance is ever left to anyone the legs touched
    for leg in route.legs:
        assert (
            filler.node.contract("MintableERC20", weth.address).call("allowance", filler.address, leg.pool)
            == 0
        )


def test_a_short_hedge_reverts_with_its_error_and_moves_nothing(
    chain: Node, roles, fund, universe: Universe
) -> None:
    owner = roles.users[3]
    filler = UniswapXFiller.deploy(chain, owner)
    weth, usdc = universe.token("WETH"), universe.token("USDC")
    fund("WETH", filler.address, 30 * E18)
    route = Router(universe).route("WETH", "USDC", 10 * E18, slippage_bps=30, gas_price_wei=0)
    with pytest.raises(TransactionFailed, match=r"HedgeSlippage\(\d+, \d+\)"):
        filler.hedge(route, sender=owner, min_amount_out=route.amount_out + 1)
    with pytest.raises(TransactionFailed, match=r"Shortfall\("):  # more than it holds
        filler.hedge(Router(universe).route("WETH", "USDC", 31 * E18, gas_price_wei=0), sender=owner)
    assert balance_of(chain, weth.address, filler.address) == 30 * E18
    assert balance_of(chain, usdc.address, filler.address) == 0


def test_a_stranger_cannot_hedge(chain: Node, roles, fund, universe: Universe) -> None:
    owner, stranger = roles.users[3], roles.users[2]
    filler = UniswapXFiller.deploy(chain, owner)
    fund("WETH", filler.address, 30 * E18)
    route = Router(universe).route("WETH", "USDC", 10 * E18, gas_price_wei=0)
    with pytest.raises(TransactionFailed, match=r"OwnableUnauthorizedAccount"):
        filler.hedge(route, sender=stranger)
    assert balance_of(chain, universe.token("WETH").address, filler.address) == 30 * E18


# -- the run loop ------------------------------------------------------------------------------------------
def test_step_hedges_a_long_position_back_inside_its_band(chain: Node, roles, fund, tmp_path: Path) -> None:
    solver = _solver(chain, roles, tmp_path, hedge_rule=HedgeRule())
    weth, usdc = solver.universe.token("WETH"), solver.universe.token("USDC")
    policy = solver.policies[weth.address]
    fund("WETH", solver.filler.address, 150 * E18)  # target 100, band 10: 50 WETH too long
    usdc_before = _held(chain, solver, "USDC")

    report = solver.step()

    (hedge,) = report.hedges
    assert isinstance(hedge, HedgeFill) and hedge.order.side == "sell" and hedge.amount_in == 50 * E18
    held = _held(chain, solver, "WETH")
    assert abs(held - policy.target) <= policy.band  # inside the band (at target: threshold rule)
    assert _held(chain, solver, "USDC") - usdc_before == hedge.amount_out > 0
    assert solver.hedger is not None and solver.hedger.halted_side("WETH") is None
    # the ledger has it, with what moved
    (record,) = solver.ledger.hedges()
    assert record.status == "mined" and record.tx_hash == hedge.tx_hash
    assert dict(record.flows) == {weth.address: -50 * E18, usdc.address: hedge.amount_out}
    # and the PnL booked it on its own line, nothing unexplained
    assert report.pnl is not None and report.pnl.unexplained == 0
    assert report.pnl.hedge < 0 and report.pnl.gas < 0
    assert float(-report.pnl.hedge) == pytest.approx(
        hedge.order.slippage_bps / 1e4 * hedge.order.fair_amount_out / 10**6, rel=1e-6
    )
    # inside the band now: the next step does not hedge
    assert solver.step().hedges == ()


class _MovedHedger(Hedger):
    """A hedger whose pools are hit by a large WETH sale between its pricing and its execution."""

    dump: tuple[object, str] | None = None

    def plan(self, balances, policies, fair_values):  # type: ignore[override]
        plan = super().plan(balances, policies, fair_values)
        if self.dump is not None:
            executor, sender = self.dump
            route = self.router.route("WETH", "USDC", 3000 * E18, slippage_bps=100, gas_price_wei=0)
            executor.execute(route, sender=sender)  # type: ignore[attr-defined]
            self.dump = None
        return plan


def test_a_hedge_that_comes_up_short_halts_the_side_and_moves_nothing(
    chain: Node, roles, fund, universe: Universe, executor, tmp_path: Path
) -> None:
    solver = _solver(chain, roles, tmp_path)
    other = roles.users[1]
    fund("WETH", other, 3000 * E18)
    hedger = _MovedHedger(Router(solver.universe))
    hedger.dump = (executor, other)
    solver.hedger = hedger
    fund("WETH", solver.filler.address, 150 * E18)
    weth_before, usdc_before = _held(chain, solver, "WETH"), _held(chain, solver, "USDC")

    report = solver.step()

    (refused,) = report.hedges
    assert isinstance(refused, HedgeRefusal) and refused.reason.startswith("reverted")
    assert "Slippage(" in refused.reason  # the custom error, decoded (LegSlippage or HedgeSlippage)
    assert (_held(chain, solver, "WETH"), _held(chain, solver, "USDC")) == (weth_before, usdc_before)
    assert hedger.halted_side("WETH") == "buy"  # long and cannot sell: stop taking WETH in
    (record,) = solver.ledger.hedges()
    assert record.status == "failed" and record.reason == refused.reason
    assert report.pnl is not None and report.pnl.hedge == 0 and report.pnl.unexplained == 0


def test_orders_adding_to_a_halted_side_are_skipped(
    chain: Node, roles, fund, universe: Universe, tmp_path: Path
) -> None:
    solver = _solver(chain, roles, tmp_path, funding=FLOW_FUNDING)
    hedger = Hedger(Router(solver.universe), max_slippage_bps=0.01)  # no hedge of 50 WETH is that good
    weth = solver.universe.token("WETH")
    solver.hedger = hedger
    fund("WETH", solver.filler.address, 150 * E18)
    first = solver.step()  # no orders yet: the hedge is refused, taking WETH in stops
    assert [type(h) for h in first.hedges] == [HedgeRefusal] and hedger.halted_side("WETH") == "buy"
    flow = FlowGenerator(chain, FlowConfig(seed=3, orders_per_block=4.0), universe=copy.deepcopy(universe))
    flow.prepare()
    halted: list[str] = []
    others = 0
    for _ in range(4):
        for generated in flow.step():
            solver.submit(generated.incoming)
        report = solver.step()
        for decision in report.decisions:
            (order,) = decision.orders[:1] or (None,)
            if order is None:
                continue
            if order.input.token.lower() == weth.address.lower():
                assert decision.reason == HEDGE_HALTED and "buying" in decision.detail
                halted.append(decision.hash)
            elif decision.reason != HEDGE_HALTED:
                others += 1
    assert halted, "the generated flow sold the filler no WETH: pick another seed"
    assert others  # the other side keeps quoting
    for h in halted:  # skipped, and kept open: the side may reopen before the order expires
        row = solver.ledger.order(h)
        assert row is not None and row.reason == HEDGE_HALTED and h in solver._orders
    # the refusal is booked once, when the side halted, not again every block it stays halted
    assert [r.status for r in solver.ledger.hedges()] == ["failed"]
