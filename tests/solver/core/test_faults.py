"""Faults on the built-in chain: a crash around a fill's send, a restart on the same run directory, a reorg
that drops a fill, and a fill that reverts on chain. Each ends with the ledger's live fills equal to the
filler's on-chain balance changes to the wei, and nothing in the PnL left unexplained."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from amm.chain import node as node_module
from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver import core
from solver.accounting.records import Status
from solver.core import Solver, StepReport, open_solver
from solver.flow.generator import FlowConfig, FlowGenerator

FUNDING = {"WETH": 100.0, "USDC": 300_000.0, "USDT": 300_000.0, "DAI": 300_000.0, "WBTC": 5.0}
APPROVE = keccak(text="approve(address,uint256)")[:4]


class Crash(BaseException):
    """The process dying mid-step (nothing in the solver catches it)."""


def _flow(chain: Node, universe, seed: int = 3) -> FlowGenerator:
    flow = FlowGenerator(chain, FlowConfig(seed=seed, orders_per_block=3.0), universe=copy.deepcopy(universe))
    flow.prepare()
    return flow


def _step_until_fill(solver: Solver, flow: FlowGenerator, blocks: int = 8) -> StepReport:
    for _ in range(blocks):
        for generated in flow.step():
            solver.submit(generated.incoming)
        report = solver.step()
        if report.fills:
            return report
    pytest.fail("no fill in the generated flow")


def _assert_books_agree(chain: Node, solver: Solver) -> None:
    """Live fills (and hedges) add up to the filler's balance changes; no unexplained PnL; nothing pending."""
    booked: dict[str, int] = {}
    for trade in [*solver.ledger.fills(), *(h for h in solver.ledger.hedges() if h.status == "mined")]:
        for token, amount in trade.flows.items():
            booked[token] = booked.get(token, 0) + amount
    for token in solver.inventory.tokens:
        funded = int(FUNDING[token.symbol] * 10**token.decimals)
        held = balance_of(chain, token.address, solver.filler.address)
        assert held - funded == booked.get(token.address, 0), token.symbol
    assert solver.ledger.pnl_attribution()["unexplained"] == Decimal(0)
    assert solver.ledger.pending() == []
    live_txs = {f.tx_hash.lower() for f in solver.ledger.fills()}
    for row in solver.ledger.orders(Status.FILLED):
        assert row.tx_hash in live_txs, row.hash


def _nonce_used(chain: Node, order) -> bool:
    data = keccak(text="nonceBitmap(address,uint256)")[:4] + abi_encode(
        ["address", "uint256"], [order.info.swapper, order.info.nonce >> 8]
    )
    word = int.from_bytes(chain.call(order.permit2, data), "big")
    return bool(word >> (order.info.nonce & 0xFF) & 1)


def _reopen(chain: Node, solver: Solver, run_dir: Path) -> Solver:
    solver.ledger.close()
    again = open_solver(chain, str(run_dir), owner=solver.owner, funding=FUNDING)
    assert again.filler.address == solver.filler.address  # reused: not deployed or funded again
    return again


@pytest.mark.parametrize("broadcast", [False, True], ids=["crash_before_send", "crash_after_send"])
def test_a_crash_around_the_send_neither_loses_nor_double_fills(
    chain: Node, roles, universe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broadcast: bool
) -> None:
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding=FUNDING)
    flow = _flow(chain, universe)
    real_fill = core.fill
    sent: list[str] = []

    def crashing_fill(signed, plan, **kwargs):
        if broadcast:
            sent.append(real_fill(signed, plan, **kwargs).tx_hash.lower())
        raise Crash("killed between the ledger's write and the ledger's record of the result")

    monkeypatch.setattr(core, "fill", crashing_fill)
    with pytest.raises(Crash):
        _step_until_fill(solver, flow)
    monkeypatch.undo()
    stuck = [row.hash for row in solver.ledger.orders(Status.SENDING)]
    assert stuck
    orders = {h: solver._orders[h][0] for h in stuck}
    assert all(_nonce_used(chain, o) == broadcast for o in orders.values())

    again = _reopen(chain, solver, tmp_path)
    runs = again.ledger.runs()
    assert len(runs) == 2 and runs[1]["params"]["resumed_from"] == runs[0]["id"]
    for h in stuck:
        row = again.ledger.order(h)
        if broadcast:  # found on chain from the reactor's Fill log: filled by that transaction, never resent
            assert row.status == Status.FILLED and row.tx_hash == sent[0]
        else:  # nothing reached the chain: released, to be decided afresh
            assert row.status == Status.NEW and "nonce unspent" in (row.reason or "")
            assert h in again._orders
    report = again.step()
    refilled = {h for fill in report.fills for h in (o.hash for o in fill.orders)}
    if broadcast:
        assert not refilled & set(stuck)
    else:
        assert set(stuck) <= refilled  # the same state, the same decision: filled, once
    assert all(_nonce_used(chain, o) for o in orders.values())
    _assert_books_agree(chain, again)

    third = _reopen(chain, again, tmp_path)
    assert not set(stuck) & set(third._orders)
    report = third.step()
    assert not {o.hash for fill in report.fills for o in fill.orders} & set(stuck)
    assert all(third.ledger.order(h).status == Status.FILLED for h in stuck)
    _assert_books_agree(chain, third)


def test_a_resume_refuses_a_chain_without_the_runs_filler(chain: Node, roles, tmp_path: Path) -> None:
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding={"WETH": 1.0})
    solver.ledger.close()
    chain.set_code(solver.filler.address, b"")  # as a fresh chain would be
    with pytest.raises(core.LedgerError, match="not on this chain"):
        open_solver(chain, str(tmp_path), owner=roles.users[3], funding={"WETH": 1.0})


@pytest.mark.parametrize("reincluded", [False, True], ids=["rolled_back", "reorged_and_mined_again"])
def test_a_reorged_fill_is_dropped_and_reconciled(
    chain: Node, roles, universe, tmp_path: Path, reincluded: bool
) -> None:
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding=FUNDING)
    flow = _flow(chain, universe)
    report = _step_until_fill(solver, flow)
    fill = report.fills[0]
    hashes = [o.hash for o in fill.orders]
    depth = chain.block_number() - fill.block + 1
    if reincluded:  # the same transaction, in a new block (another transaction beside it) at the same height
        raw = chain.rpc.call("eth_getRawTransactionByHash", [fill.tx_hash])
        other = {"from": roles.deployer, "to": roles.lps[0], "value": hex(1)}
        chain.rpc.call("anvil_reorg", [depth, [[other, 0], [raw, 0]]])
    else:  # the blocks are gone and so is the transaction
        chain.rpc.call("anvil_rollback", [depth])
    assert chain.rpc.call("eth_getTransactionReceipt", [fill.tx_hash]) is None or reincluded

    after = solver.step()
    assert after.reconciled is not None
    assert fill.tx_hash.lower() in {f.tx_hash.lower() for f in after.reconciled.dropped.fills}
    every = solver.ledger.fills(include_dropped=True)
    (old,) = [f for f in every if f.block_hash == fill.fill.receipt["blockHash"].lower()]
    assert old.tx_hash == fill.tx_hash.lower()  # kept (flagged dropped unless the very same block came back)
    rows = {h: solver.ledger.order(h) for h in hashes}
    if reincluded:
        # the same transaction in a block with another timestamp: the chain decides whether it still fills
        receipt = chain.rpc.call("eth_getTransactionReceipt", [fill.tx_hash])
        assert receipt is not None and receipt["blockHash"].lower() != fill.fill.receipt["blockHash"].lower()
        rows = {h: solver.ledger.order(h) for h in hashes}
        if int(receipt["status"], 16) == 1:
            (live,) = [f for f in solver.ledger.fills() if f.tx_hash == fill.tx_hash.lower()]
            assert live.block_hash == receipt["blockHash"].lower()
            assert all(r.status == Status.FILLED and r.tx_hash == fill.tx_hash.lower() for r in rows.values())
            assert set(after.reconciled.filled) == set(hashes)
        else:  # it reverted where it landed now: final, with its hash, and never sent again
            assert not [f for f in solver.ledger.fills() if f.tx_hash == fill.tx_hash.lower()]
            assert all(
                r.status == Status.REVERTED and r.tx_hash == fill.tx_hash.lower() for r in rows.values()
            )
    else:
        assert set(after.reconciled.released) >= set(hashes)
        refilled = {o.hash for f in after.fills for o in f.orders}
        for h, row in rows.items():  # decided afresh: filled again by a new transaction, or skipped
            assert row.status in (Status.FILLED, Status.SKIPPED, Status.NEW), row
            if row.status == Status.FILLED:
                assert h in refilled  # by a new transaction (the same hash if it is byte-identical)
                assert [f for f in solver.ledger.fills() if f.tx_hash == row.tx_hash]  # one live fill
    assert after.pnl is not None and after.pnl.unexplained == 0
    _assert_books_agree(chain, solver)


def test_a_fill_that_reverts_on_chain_stays_reverted(
    chain: Node, roles, universe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swapper revokes Permit2's allowance in the same block, ahead of our fill (a mempool race the
    simulation could not see): the fill is mined and reverts; the order is `reverted` with the reason and
    never sent again."""
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding=FUNDING)
    flow = _flow(chain, universe)
    real_margin = node_module.estimate_with_margin
    raced: list[str] = []

    def race_after_the_estimate(estimate: int) -> int:
        """Called by Node.send between eth_estimateGas and eth_sendTransaction."""
        sending = [row.hash for row in solver.ledger.orders(Status.SENDING)]
        if not raced and sending:
            raced.extend(sending)
            order = solver._orders[raced[0]][0]
            chain.rpc.call("evm_setAutomine", [False])  # both land in the next block, the revoke first
            call = APPROVE + abi_encode(["address", "uint256"], [order.permit2, 0])
            with chain.impersonating(order.info.swapper):
                tx = {
                    "from": order.info.swapper,
                    "to": order.permit_token,
                    "data": "0x" + call.hex(),
                    "gas": hex(100_000),
                    "gasPrice": hex(10**12),
                }
                chain.rpc.call("eth_sendTransaction", [tx])
        return real_margin(estimate)

    monkeypatch.setattr(node_module, "estimate_with_margin", race_after_the_estimate)
    try:
        report = _step_until_fill_or_failure(solver, flow)
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    monkeypatch.undo()
    assert raced
    for h in raced:  # one transaction: all its orders reverted with it
        row = solver.ledger.order(h)
        assert row.status == Status.REVERTED, row
        assert row.tx_hash and row.reason
        assert (h, row.reason) in report.failed or any(x == h for x, _ in report.failed)
    report = solver.step()
    assert not set(raced) & {x for d in report.decisions for x in d.hashes}
    assert all(solver.ledger.order(h).status == Status.REVERTED for h in raced)
    _assert_books_agree(chain, solver)


def _step_until_fill_or_failure(solver: Solver, flow: FlowGenerator, blocks: int = 8) -> StepReport:
    for _ in range(blocks):
        for generated in flow.step():
            solver.submit(generated.incoming)
        report = solver.step()
        if report.fills or report.failed:
            return report
    pytest.fail("no fill attempted in the generated flow")
