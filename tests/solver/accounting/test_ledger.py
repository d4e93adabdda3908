"""The ledger: orders and fills round-trip through SQLite exactly, status is on disk before a send, a restart
keeps every status, illegal transitions raise, and a reorg sends a fill's orders back for reconciliation."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from solver.accounting.ledger import (
    DB_NAME,
    FillRecord,
    HedgeRecord,
    IllegalTransition,
    Ledger,
    LedgerError,
    Status,
)
from solver.accounting.records import SCHEMA_VERSION

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
HUGE = 2**200


def order_hash(n: int) -> str:
    return "0x" + f"{n:064x}"


def record(ledger: Ledger, n: int, block: int = 100) -> str:
    key = order_hash(n)
    ledger.record_order(
        key,
        kind="ExclusiveDutch",
        encoded=bytes([n % 256]) * 64,
        signature=b"\x01" * 65,
        swapper="0x" + "ab" * 20,
        received_block=block,
        received_time=1_700_000_000 + n,
    )
    return key


def a_fill(tx: int = 1, block: int = 101, block_hash: int = 0xB1, mode: str = "inventory") -> FillRecord:
    return FillRecord(
        tx_hash="0x" + f"{tx:064x}",
        block_number=block,
        block_hash="0x" + f"{block_hash:064x}",
        gas_used=180_000,
        gas_price=2**70,  # above 2**63: must not pass through a SQLite INTEGER
        mode=mode,
        flows={WETH: HUGE, USDC: -HUGE - 1},
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path) as opened:
        yield opened


def test_orders_and_fills_round_trip_exactly(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        first, second = record(ledger, 1), record(ledger, 2)
        fill = a_fill()
        ledger.mark_sending(first, "fingerprint-1")
        ledger.mark_sent(first, fill.tx_hash)
        ledger.mark_filled(first, fill)
        ledger.record_hedge(
            HedgeRecord(102, {WETH: -HUGE, USDC: HUGE}, "0x" + "cd" * 32, "0x" + "ef" * 32, 1, 2)
        )

    with Ledger.open(tmp_path) as reopened:
        stored = reopened.order(first)
        assert stored is not None
        assert stored.status is Status.FILLED
        assert stored.encoded == bytes([1]) * 64 and stored.signature == b"\x01" * 65
        assert (stored.received_block, stored.received_time) == (100, 1_700_000_001)
        assert stored.tx_fingerprint == "fingerprint-1" and stored.tx_hash == fill.tx_hash
        assert [o.hash for o in reopened.orders(Status.NEW)] == [second]
        assert [o.hash for o in reopened.orders()] == [first, second]
        (back,) = reopened.fills()
        assert back == fill
        assert back.flows[WETH] == 2**200 and back.flows[USDC] == -(2**200) - 1
        assert back.gas_cost_wei == 180_000 * 2**70
        (hedge,) = reopened.hedges()
        assert hedge.flows == {WETH: -HUGE, USDC: HUGE} and hedge.status == "mined"
        assert reopened.fill_modes() == {"inventory": 1}


def test_sending_is_on_disk_when_mark_sending_returns(ledger: Ledger) -> None:
    """Another process (a fresh interpreter, its own connection) reads `sending` right after the call."""
    key = record(ledger, 7)
    ledger.mark_sending(key, "0xsigned")
    reader = sqlite3.connect(ledger.path)
    assert reader.execute("SELECT status, tx_fingerprint FROM orders WHERE hash = ?", (key,)).fetchone() == (
        "sending",
        "0xsigned",
    )
    reader.close()
    script = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        "print(db.execute('SELECT status FROM orders WHERE hash = ?', (sys.argv[2],)).fetchone()[0])"
    )
    seen = subprocess.run(
        [sys.executable, "-c", script, str(ledger.path), key], capture_output=True, text=True, check=True
    )
    assert seen.stdout.strip() == "sending"
    assert sqlite3.connect(ledger.path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_restart_keeps_status_and_lists_pending(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as before:
        sending, sent, filled, skipped = (record(before, n) for n in (1, 2, 3, 4))
        before.mark_sending(sending, "fp-1")
        before.mark_sending(sent, "fp-2")
        before.mark_sent(sent, "0x" + "22" * 32)
        before.mark_sending(filled, "fp-3")
        before.mark_filled(filled, a_fill())
        before.mark_skipped(skipped, "no_edge")

    with Ledger.open(tmp_path) as after:  # the restarted solver sees the same orders again from its flow
        statuses = [record_again(after, n) for n in (1, 2, 3, 4, 5)]
        assert statuses == [Status.SENDING, Status.SENT, Status.FILLED, Status.SKIPPED, Status.NEW]
        assert [o.hash for o in after.pending()] == [sending, sent]
        with pytest.raises(IllegalTransition, match="filled: it cannot become sending"):
            after.mark_sending(filled, "fp-again")


def record_again(ledger: Ledger, n: int) -> Status:
    return ledger.record_order(
        order_hash(n),
        kind="ExclusiveDutch",
        encoded=b"\x00",  # whatever arrives the second time, the stored order is left untouched
        signature=b"\x00",
        swapper="0x" + "00" * 20,
        received_block=999,
        received_time=0,
    )


def test_illegal_transitions_raise_and_replays_are_no_ops(ledger: Ledger) -> None:
    key = record(ledger, 1)
    with pytest.raises(IllegalTransition, match="new: it cannot become sent"):
        ledger.mark_sent(key, "0x01")
    with pytest.raises(IllegalTransition):
        ledger.mark_filled(key, a_fill())
    assert ledger.fills() == []  # the fill row was rolled back with the refused transition
    ledger.mark_sending(key, "fp")
    ledger.mark_sending(key, "fp")  # a replay after a restart: nothing changes
    with pytest.raises(IllegalTransition, match="already sending"):
        ledger.mark_sending(key, "another transaction")
    ledger.mark_filled(key, a_fill())
    ledger.mark_filled(key, a_fill())  # same fill again: a no-op
    assert len(ledger.fills()) == 1
    with pytest.raises(IllegalTransition, match="already filled with other data"):
        ledger.mark_filled(key, a_fill(tx=2, block_hash=0xB2))
    with pytest.raises(IllegalTransition, match="another fill"):  # same transaction, another block: a reorg
        ledger.mark_filled(key, a_fill(block_hash=0xB2))  # that nobody marked dropped
    for move in (
        lambda: ledger.mark_skipped(key, "no_edge"),
        lambda: ledger.mark_reverted(key, "late"),
        lambda: ledger.release(key, "why not"),
    ):
        with pytest.raises(IllegalTransition):
            move()

    reverted = record(ledger, 2)
    ledger.mark_sending(reverted, "fp-2")
    ledger.mark_reverted(reverted, "InvalidNonce()")
    with pytest.raises(IllegalTransition, match="reverted: it cannot become sending"):
        ledger.mark_sending(reverted, "fp-2b")
    assert ledger.order(reverted).reason == "InvalidNonce()"
    with pytest.raises(LedgerError, match="not in the ledger"):
        ledger.mark_sending(order_hash(99), "fp")


def test_reorg_sends_orders_to_reconciliation(ledger: Ledger) -> None:
    first, second, other = record(ledger, 1), record(ledger, 2), record(ledger, 3)
    fill = a_fill(mode="split")
    for key in (first, second):
        ledger.mark_sending(key, "fp")
        ledger.mark_sent(key, fill.tx_hash)
    ledger.mark_filled([first, second], fill)
    ledger.mark_sending(other, "fp-3")
    ledger.mark_filled(other, a_fill(tx=3, block=102, block_hash=0xC3))

    dropped = ledger.mark_dropped(fill.tx_hash)
    assert dropped.order_hashes == (first, second) and dropped.fills == (fill,)
    assert {o.hash: o.status for o in ledger.pending()} == {first: Status.DROPPED, second: Status.DROPPED}
    assert [f.tx_hash for f in ledger.fills()] == [a_fill(tx=3).tx_hash]
    assert len(ledger.fills(include_dropped=True)) == 2
    assert ledger.mark_dropped(fill.tx_hash).order_hashes == ()  # already handled: nothing more

    remined = a_fill(block=103, block_hash=0xD1, mode="split")  # the same transaction, mined again
    ledger.mark_filled(first, remined)
    ledger.release(second, "nonce unspent, transaction gone")
    assert ledger.order(first).status is Status.FILLED
    assert ledger.order(second).status is Status.NEW and ledger.order(second).tx_hash is None
    assert [(f.block_number, f.block_hash) for f in ledger.fills()] == [
        (102, "0x" + f"{0xC3:064x}"),
        (103, "0x" + f"{0xD1:064x}"),
    ]
    assert ledger.fill_modes() == {"split": 1, "inventory": 1}


def test_skipped_by_reason(ledger: Ledger) -> None:
    reasons = ["no_edge", "no_edge", "risk_limit", "rejected:deadline_passed", "no_edge"]
    keys = [record(ledger, n) for n in range(len(reasons) + 1)]
    for key, reason in zip(keys, reasons, strict=False):
        ledger.mark_skipped(key, reason)
    assert ledger.skipped_by_reason() == {"no_edge": 3, "rejected:deadline_passed": 1, "risk_limit": 1}
    ledger.mark_sending(keys[0], "fp")  # a Dutch order skipped earlier can be worth filling later
    assert ledger.skipped_by_reason()["no_edge"] == 2
    assert ledger.status_counts() == {"new": 1, "sending": 1, "skipped": 4}


def test_run_table_and_schema_version(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        run = ledger.start_run({"seed": 7, "max_inventory": str(HUGE)})
        ledger.stop_run(run)
        (stored,) = ledger.runs()
        assert (
            stored["params"] == {"seed": 7, "max_inventory": str(HUGE)} and stored["stopped_at"] is not None
        )
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger.open(tmp_path)


def test_swappers_surplus_is_summed_over_live_filled_orders(ledger: Ledger) -> None:
    """Each filled order's surplus is kept with its fill; a fill a reorg dropped no longer counts, and one
    booked without a surplus (found by reconciliation) is left out of the count."""
    first, second, third = record(ledger, 1), record(ledger, 2), record(ledger, 3)
    for h in (first, second, third):
        ledger.mark_sending(h, f"fp-{h}")
    ledger.mark_filled(first, a_fill(tx=1), {first: ({WETH: 5}, Decimal("1.25"))})
    ledger.mark_filled(second, a_fill(tx=2), {second: ({USDC: 7}, Decimal("0.000001"))})
    ledger.mark_filled(third, a_fill(tx=3))
    assert ledger.swappers_surplus() == (Decimal("1.250001"), 2)
    ledger.mark_dropped(a_fill(tx=1).tx_hash)
    assert ledger.swappers_surplus() == (Decimal("0.000001"), 1)


def test_a_version_1_ledger_is_migrated_on_open(tmp_path: Path) -> None:
    """Run directories written before the surplus columns existed open, keep their rows, and gain them."""
    with Ledger.open(tmp_path) as ledger:
        h = record(ledger, 1)
        ledger.mark_sending(h, "fp")
        ledger.mark_filled(h, a_fill())
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("ALTER TABLE fill_orders DROP COLUMN surplus_value")
    db.execute("ALTER TABLE fill_orders DROP COLUMN surplus")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with Ledger.open(tmp_path) as reopened:
        assert reopened.order(h).status is Status.FILLED  # type: ignore[union-attr]
        assert reopened.swappers_surplus() == (Decimal(0), 0)
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    db.close()
