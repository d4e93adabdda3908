"""Backtest on the same code: a short live run on the built-in chain, then its recorded flow replayed offline
through the same pricing and decision code from a copy of the pools taken before the run; each order's
backtest outcome is compared with the live ledger's."""

from __future__ import annotations

import copy
from pathlib import Path

from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver.accounting.records import Status
from solver.backtest import backtest
from solver.core import open_solver
from solver.flow.generator import FlowConfig, FlowGenerator
from solver.flow.jsonl import JsonlWriter, read_orders

FUNDING = {"WETH": 100.0, "USDC": 300_000.0, "USDT": 300_000.0, "DAI": 300_000.0, "WBTC": 5.0}
BLOCKS = 6


def _live_outcomes(ledger) -> dict[str, tuple[str, str | None]]:
    """Per order hash: ("filled", mode) or (status, reason) as the live ledger ends."""
    modes = {f.tx_hash: f.mode for f in ledger.fills()}
    out: dict[str, tuple[str, str | None]] = {}
    for row in ledger.orders():
        if row.status == Status.FILLED:
            out[row.hash] = ("filled", modes.get(row.tx_hash))
        else:
            out[row.hash] = (str(row.status), row.reason)
    return out


def test_a_backtest_of_a_live_run_reproduces_its_decisions(
    chain: Node, roles, universe, tmp_path: Path
) -> None:
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding=FUNDING)
    solver.gas_price_wei = int(chain.rpc.call("eth_gasPrice"), 16)  # one gas price, given to both
    start = copy.deepcopy(solver.universe)  # the pools before the run
    solver.inventory.refresh()
    balances = dict(solver.inventory.balances)
    flow = FlowGenerator(chain, FlowConfig(seed=3, orders_per_block=3.0), universe=copy.deepcopy(universe))
    flow.prepare()
    block_times: dict[int, int] = {}
    with JsonlWriter(tmp_path / "orders.jsonl") as recorded:
        for _ in range(BLOCKS):
            for generated in flow.step():
                recorded.write(generated.incoming)
                solver.submit(generated.incoming)
            report = solver.step()
            block_times[report.block] = report.timestamp
    mined = [chain.block(b) for b in range(min(block_times), chain.block_number() + 1)]
    mined_times = {int(b["number"], 16): int(b["timestamp"], 16) for b in mined}
    base_fees = {int(b["number"], 16): int(b.get("baseFeePerGas") or "0x0", 16) for b in mined}
    orders, bad = read_orders(tmp_path / "orders.jsonl")
    assert not bad and orders

    result = backtest(
        orders,
        universe=start,
        balances=balances,
        policies=solver.policies,
        block_times=block_times,
        gas_price_wei=solver.gas_price_wei,
        base_fees=base_fees,
        filler=solver.filler.address,
        mined_times=mined_times,
    )

    live = _live_outcomes(solver.ledger)
    assert set(live) == set(result.outcomes)
    agree, differ = 0, []
    for h, outcome in result.outcomes.items():
        status, detail = live[h]
        if status == "filled":
            same = outcome.mode == detail
        else:
            same = not outcome.filled and outcome.reason == detail
        if same:
            agree += 1
        else:
            differ.append((h[:10], live[h], (outcome.action, outcome.mode, outcome.reason, outcome.detail)))
    summary = result.summary()
    print(f"agreement {agree}/{len(live)}", summary, differ, sep="\n")
    assert summary["orders_seen"] == len(live) >= 5
    assert agree == len(live), differ
    # every fill lands in the block the live one was mined in, with the same flows
    live_fills = [
        (f.block_number, f.mode, {t.lower(): a for t, a in f.flows.items() if a})
        for f in solver.ledger.fills()
    ]
    assert [(b, m, {t: a for t, a in fl.items() if a}) for b, m, fl in result.fills] == live_fills
    # the routed legs ran on the models as on chain: the tracked balances equal the filler's, to the wei
    for token in solver.inventory.tokens:
        held = balance_of(chain, token.address, solver.filler.address)
        assert result.balances[token.address.lower()] == held, token.symbol
    solver.universe.refresh(chain)
    for pool in solver.universe.pools:  # and the pools it left equal the chain's
        model = start.pool(pool.address).model
        assert vars(model).get("sqrt_price_x96") == vars(pool.model).get("sqrt_price_x96"), pool.name
        assert vars(model).get("reserve0") == vars(pool.model).get("reserve0"), pool.name
