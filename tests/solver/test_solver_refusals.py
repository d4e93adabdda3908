"""Bad orders never produce a transaction: malformed bytes, forged signatures and expired orders are
skipped with their reasons, and the chain sees no transaction from the solver's owner for them."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from amm.chain.node import Node
from solver.accounting.records import Status
from solver.core import open_solver
from solver.flow.generator import FlowConfig, FlowGenerator
from solver.flow.incoming import receive

FUNDING = {"WETH": 100.0, "USDC": 300_000.0}
FORGER = "0x" + "42" * 32


def test_bad_orders_are_skipped_and_never_sent(chain: Node, roles, universe, tmp_path: Path) -> None:
    solver = open_solver(chain, str(tmp_path), owner=roles.users[3], funding=FUNDING)
    flow = FlowGenerator(chain, FlowConfig(seed=9, orders_per_block=4.0), universe=copy.deepcopy(universe))
    flow.prepare()
    generated = [g.incoming for g in flow.step()]
    assert generated
    good = generated[0]
    forged = dataclasses.replace(good, signature=good.order.sign(FORGER))
    now = int(chain.block("pending")["timestamp"], 16)
    block = chain.block_number()
    info = dataclasses.replace(good.order.info, deadline=now - 1, nonce=good.order.info.nonce + 1)
    stale = dataclasses.replace(good.order, info=info)
    if hasattr(stale, "cosign"):
        stale = stale.cosign(flow.cosigner_key)
    at = {"received_block": block, "received_time": now, "source": "test"}
    expired = receive(good.kind, 31337, stale.encode(), stale.sign(FORGER), **at)
    garbage = receive("dutch", 31337, b"\x01" * 50, b"\x00" * 65, **at)
    nonce_before = int(chain.rpc.call("eth_getTransactionCount", [solver.owner, "latest"]), 16)
    for incoming in (forged, expired, garbage):
        solver.submit(incoming)
    report = solver.step()
    assert report.fills == ()
    assert int(chain.rpc.call("eth_getTransactionCount", [solver.owner, "latest"]), 16) == nonce_before
    rows = {row.hash: row for row in solver.ledger.orders()}
    assert rows[forged.order.hash].status == Status.SKIPPED
    assert rows[forged.order.hash].reason == "rejected:invalid_signature"
    assert rows[expired.order.hash].reason == "rejected:expired_deadline"
    (malformed,) = [r for r in rows.values() if r.hash not in (forged.order.hash, expired.order.hash)]
    assert malformed.status == Status.SKIPPED and malformed.reason.startswith("rejected:malformed")
