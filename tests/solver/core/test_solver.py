"""The whole pipeline on the built-in chain: generated flow in, decisions, fills through the real reactors,
and a ledger that equals the filler's on-chain balance changes to the wei."""

from __future__ import annotations

import copy
from pathlib import Path

from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver.accounting.records import Status
from solver.core import Solver, open_solver
from solver.flow.generator import FlowConfig, FlowGenerator

FUNDING = {"WETH": 100.0, "USDC": 300_000.0, "USDT": 300_000.0, "DAI": 300_000.0, "WBTC": 5.0}


def _run(chain: Node, roles, universe, run_dir: Path, blocks: int) -> tuple[Solver, FlowGenerator]:
    solver = open_solver(chain, str(run_dir), owner=roles.users[3], funding=FUNDING)
    flow = FlowGenerator(chain, FlowConfig(seed=3, orders_per_block=3.0), universe=copy.deepcopy(universe))
    flow.prepare()
    for _ in range(blocks):
        for generated in flow.step():
            solver.submit(generated.incoming)
        solver.step()
    return solver, flow


def test_generated_flow_is_decided_filled_and_accounted(chain: Node, roles, universe, tmp_path: Path) -> None:
    solver, _ = _run(chain, roles, universe, tmp_path, blocks=6)
    result = solver.summary()
    assert result["orders_seen"] >= 10, result
    assert result["filled"] >= 1, result
    assert (
        sum(result["skipped"].values()) + result["filled"] + result.get("reverted", 0)
        <= result["orders_seen"]
    )
    # every fill's flows, as the ledger booked them, add up to the filler's balance change on chain
    booked: dict[str, int] = {}
    for fill in solver.ledger.fills():
        for token, amount in fill.flows.items():
            booked[token] = booked.get(token, 0) + amount
    for token in solver.inventory.tokens:
        funded = int(FUNDING[token.symbol] * 10**token.decimals)
        held = balance_of(chain, token.address, solver.filler.address)
        assert held - funded == booked.get(token.address, 0), token.symbol
    statuses = {row.status for row in solver.ledger.orders()}
    assert Status.SENDING not in statuses  # nothing left half-sent


def test_a_restart_resumes_from_the_ledger_without_refilling(
    chain: Node, roles, universe, tmp_path: Path
) -> None:
    solver, _ = _run(chain, roles, universe, tmp_path, blocks=3)
    filled = {row.hash for row in solver.ledger.orders(Status.FILLED)}
    solver.ledger.close()
    again = Solver(
        chain,
        solver.filler,
        solver.owner,
        type(solver.ledger).open(str(tmp_path)),
        solver.universe,
        solver.pricing,
        solver.inventory,
        solver.policies,
    )
    assert not filled & set(again._orders)  # a filled order is never open again
    report = again.step()
    assert not {h for d in report.decisions for h in d.hashes} & filled
