"""The run's ledger: every order, fill, hedge and PnL line of a run in one SQLite file,
`<run_dir>/solver.sqlite`.

Why SQLite and why this shape: the ledger is what makes a restart safe. An order's status is written (and
committed to disk) *before* its transaction is sent, so after a crash the solver knows which orders may
already be on chain (`pending()`) and never fills one twice; re-recording a known order returns its stored
status instead of resetting it. Every status change is checked against `TRANSITIONS`, so a filled order can
never be sent again.

Durability: WAL journal with `synchronous=FULL`, so a commit has reached the disk when the call returns (WAL
alone with NORMAL survives a process crash but not a power cut); each method is one transaction. Another
connection (the HTTP endpoint, an operator's `sqlite3` shell) reads committed rows at once.

Exactness: on-chain integers (amounts, gas prices) are stored as decimal TEXT, never REAL; numeraire amounts
as plain decimal TEXT from `units.to_text`. Only block numbers, gas used and timestamps are INTEGER (all <
2**63).

Reorgs (`mark_dropped`): the fill row is kept, flagged dropped (its PnL lines stay: the PnL tracker books the
reversal in the block it learns of it), and its orders move to the status `dropped`, which `pending()` returns
beside `sending` and `sent`. They do not go straight back to `new`: a reorged transaction usually returns to
the mempool and may be mined again, so re-deciding the order at once would send a second transaction for it
(the Permit2 nonce stops a second fill on chain, but that transaction reverts and costs gas). The reconciler
resolves a dropped order with `mark_filled` (mined again), `mark_sent` (rebroadcast), `mark_reverted`, or
`release` (its nonce is unspent and the transaction is gone: decide it afresh).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solver.accounting.records import (
    _FILL_COLUMNS,
    _HEDGE_COLUMNS,
    _ORDER_COLUMNS,
    DB_NAME,
    MIGRATIONS,
    MODES,
    PENDING,
    PNL_KINDS,
    REPLAYABLE,
    SCHEMA,
    SCHEMA_VERSION,
    TRANSITIONS,
    Dropped,
    FillRecord,
    HedgeRecord,
    IllegalTransition,
    LedgerError,
    Mark,
    OrderRow,
    Status,
    _fill_record,
    _flows_from_json,
    _flows_json,
    _hedge_record,
    _hex,
    _order_row,
)
from solver.accounting.units import EXACT, to_decimal, to_text

if TYPE_CHECKING:
    pass


class Ledger:
    """The run's SQLite file. Methods are thread-safe (one connection behind a lock) and each is one
    transaction, committed before it returns."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self.path = path

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, run_dir: str | Path) -> Ledger:
        """Open (or create) `<run_dir>/solver.sqlite`. Raises LedgerError for a file of another schema
        version."""
        directory = Path(run_dir)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / DB_NAME
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            # one script, one transaction: executescript would commit a transaction begun outside it
            db.executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nPRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;")
        elif version in MIGRATIONS and version < SCHEMA_VERSION:
            steps = "\n".join(MIGRATIONS[v] for v in range(version, SCHEMA_VERSION))
            db.executescript(f"BEGIN IMMEDIATE;\n{steps}\nPRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;")
        elif version != SCHEMA_VERSION:
            db.close()
            raise LedgerError(f"{path} has ledger schema version {version}; this code reads {SCHEMA_VERSION}")
        return cls(db, path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """A read under the lock, so it never sees another thread's transaction half done."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, params: Mapping[str, Any]) -> int:
        """Record a run's parameters (JSON-able; exact ints as strings are the caller's choice) and its
        start."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, params) VALUES (?, ?)",
                (time.time(), json.dumps(params, sort_keys=True, default=str)),
            )
            return int(cursor.lastrowid or 0)

    def stop_run(self, run_id: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE runs SET stopped_at = ? WHERE id = ?", (time.time(), run_id))

    def runs(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT id, started_at, stopped_at, params FROM runs ORDER BY id")
        return [
            {"id": r[0], "started_at": r[1], "stopped_at": r[2], "params": json.loads(r[3])} for r in rows
        ]

    # -- orders -----------------------------------------------------------------------------------
    def record_order(
        self,
        order_hash: str,
        *,
        kind: str,
        encoded: bytes | str,
        signature: bytes | str,
        swapper: str,
        received_block: int,
        received_time: int,
    ) -> Status:
        """Record an order as `new`, or, if its hash is known (a restart, a duplicate POST), leave it
        untouched and return its stored status: the caller acts only on `new` orders, so nothing is filled
        twice."""
        key = _hex(order_hash)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO orders (hash, kind, encoded, signature, swapper, received_block, received_time,"
                " status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                (
                    key,
                    kind,
                    _hex(encoded),
                    _hex(signature),
                    swapper,
                    received_block,
                    received_time,
                    Status.NEW.value,
                    time.time(),
                ),
            )
            return self._status(db, key)

    def _status(self, db: sqlite3.Connection, order_hash: str) -> Status:
        row = db.execute("SELECT status FROM orders WHERE hash = ?", (order_hash,)).fetchone()
        if row is None:
            raise LedgerError(f"order {order_hash} is not in the ledger")
        return Status(row[0])

    def _move(
        self, db: sqlite3.Connection, order_hash: str, to: Status, **columns: str | None
    ) -> tuple[Status, bool]:
        """Check and apply one transition; returns (the previous status, whether anything changed).
        Re-applying the transition an order already went through with the same data is a no-op, so replays are
        safe."""
        key = _hex(order_hash)
        current = self._status(db, key)
        if current == to and to in REPLAYABLE:
            stored = db.execute(
                f"SELECT {', '.join(columns) or 'status'} FROM orders WHERE hash = ?", (key,)
            ).fetchone()
            if not columns or tuple(stored) == tuple(columns.values()):
                return current, False
            raise IllegalTransition(f"order {key} is already {current.value} with other data ({columns})")
        if to not in TRANSITIONS[current]:
            raise IllegalTransition(f"order {key} is {current.value}: it cannot become {to.value}")
        assignments = "".join(f", {name} = ?" for name in columns)
        db.execute(
            f"UPDATE orders SET status = ?, updated_at = ?{assignments} WHERE hash = ?",
            (to.value, time.time(), *columns.values(), key),
        )
        return current, True

    def mark_skipped(self, order_hash: str, reason: str) -> None:
        """The decision stage passed on the order (`no_edge`, `risk_limit`, `rejected:<code>`, ...)."""
        with self._transaction() as db:
            self._move(db, order_hash, Status.SKIPPED, reason=reason)

    def mark_sending(self, order_hash: str, tx_fingerprint: str) -> None:
        """Call BEFORE the transaction is broadcast, and broadcast only after this returns: it is committed to
        disk (WAL, synchronous=FULL), so a crash between here and the send leaves the order in `pending()` for
        reconciliation instead of forgetting it. `tx_fingerprint` is what lets the reconciler find the
        transaction later (the signed transaction's hash, or sender:nonce)."""
        with self._transaction() as db:
            self._move(db, order_hash, Status.SENDING, tx_fingerprint=tx_fingerprint, reason=None)

    def mark_sent(self, order_hash: str, tx_hash: str) -> None:
        with self._transaction() as db:
            self._move(db, order_hash, Status.SENT, tx_hash=_hex(tx_hash))

    def mark_filled(
        self,
        order_hashes: str | Sequence[str],
        fill: FillRecord,
        surplus: Mapping[str, tuple[Mapping[str, int], Decimal]] | None = None,
    ) -> int:
        """Record a mined fill (once per tx hash and block hash) and mark its orders filled, in one
        transaction; `surplus` gives, per order hash, the swapper's surplus (raw by token, and its value in
        the numeraire: `solver.accounting.surplus`). Returns the fill's row id."""
        if fill.mode not in MODES:
            raise LedgerError(f"fill mode {fill.mode!r} is not one of {MODES}")
        hashes = [order_hashes] if isinstance(order_hashes, str) else list(order_hashes)
        tx_hash, block_hash = _hex(fill.tx_hash), _hex(fill.block_hash)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO fills (tx_hash, block_number, block_hash, gas_used, gas_price, mode, flows)"
                # the same transaction in the same block again (a reorg undone): the dropped row is live again
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tx_hash, block_hash) DO UPDATE SET dropped = 0",
                (
                    tx_hash,
                    fill.block_number,
                    block_hash,
                    fill.gas_used,
                    str(fill.gas_price),
                    fill.mode,
                    _flows_json(fill.flows),
                ),
            )
            (fill_id,) = db.execute(
                "SELECT id FROM fills WHERE tx_hash = ? AND block_hash = ?", (tx_hash, block_hash)
            ).fetchone()
            for order_hash in hashes:
                _, changed = self._move(db, order_hash, Status.FILLED, tx_hash=tx_hash)
                if (
                    not changed
                    and not db.execute(
                        "SELECT 1 FROM fill_orders WHERE fill_id = ? AND order_hash = ?",
                        (fill_id, _hex(order_hash)),
                    ).fetchone()
                ):
                    raise IllegalTransition(f"order {_hex(order_hash)} is already filled by another fill")
                raw, value = (surplus or {}).get(order_hash, (None, None))
                db.execute(
                    "INSERT OR IGNORE INTO fill_orders (fill_id, order_hash, surplus, surplus_value)"
                    " VALUES (?, ?, ?, ?)",
                    (
                        fill_id,
                        _hex(order_hash),
                        None if raw is None else _flows_json(raw),
                        None if value is None else to_text(value),
                    ),
                )
            return int(fill_id)

    def mark_reverted(self, order_hash: str, reason: str, tx_hash: str | None = None) -> None:
        """The transaction reverted (or its simulation did): final, the order is never retried blindly."""
        with self._transaction() as db:
            columns: dict[str, str | None] = {"reason": reason}
            if tx_hash is not None:
                columns["tx_hash"] = _hex(tx_hash)
            self._move(db, order_hash, Status.REVERTED, **columns)

    def release(self, order_hash: str, reason: str) -> None:
        """Back to `new` an order whose transaction never reached the chain (crash before the send, dropped
        from the mempool, reorged out and gone). Call only after checking that its nonce is still unspent."""
        with self._transaction() as db:
            self._move(db, order_hash, Status.NEW, reason=reason, tx_fingerprint=None, tx_hash=None)

    def mark_dropped(self, tx_hash: str, reason: str = "reorg") -> Dropped:
        """A reorg removed the block holding `tx_hash`: its live fill rows are flagged dropped, their orders
        moved to `dropped` for reconciliation, and a hedge with that hash marked dropped. Returns what was
        dropped, so the PnL tracker can book the reversal (nothing when no live fill or hedge had that
        hash)."""
        key = _hex(tx_hash)
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_FILL_COLUMNS}, id FROM fills WHERE tx_hash = ? AND dropped = 0", (key,)
            )
            fills = [(_fill_record(r), r[-1]) for r in rows.fetchall()]
            hedges = [
                _hedge_record(r)
                for r in db.execute(
                    f"SELECT {_HEDGE_COLUMNS} FROM hedges WHERE tx_hash = ? AND status = 'mined'", (key,)
                ).fetchall()
            ]
            orders: list[str] = []
            for _, fill_id in fills:
                for (order_hash,) in db.execute(
                    "SELECT order_hash FROM fill_orders WHERE fill_id = ?", (fill_id,)
                ).fetchall():
                    if self._status(db, order_hash) is Status.FILLED:
                        self._move(db, order_hash, Status.DROPPED, reason=reason)
                        orders.append(order_hash)
                db.execute("UPDATE fills SET dropped = 1 WHERE id = ?", (fill_id,))
            db.execute(
                "UPDATE hedges SET status = 'dropped', reason = ? WHERE tx_hash = ? AND status = 'mined'",
                (reason, key),
            )
            return Dropped(tuple(orders), tuple(f for f, _ in fills), tuple(hedges))

    # -- reading orders ---------------------------------------------------------------------------
    def order(self, order_hash: str) -> OrderRow | None:
        rows = self._query(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE hash = ?", (_hex(order_hash),))
        return _order_row(rows[0]) if rows else None

    def orders(self, status: Status | str | None = None) -> list[OrderRow]:
        """Orders in arrival order, all or of one status."""
        if status is None:
            rows = self._query(f"SELECT {_ORDER_COLUMNS} FROM orders ORDER BY rowid")
        else:
            rows = self._query(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE status = ? ORDER BY rowid",
                (Status(status).value,),
            )
        return [_order_row(r) for r in rows]

    def pending(self) -> list[OrderRow]:
        """Orders that may be on chain or about to be (`sending`, `sent`, `dropped`): reconcile these after a
        restart before deciding anything new."""
        marks = ", ".join("?" for _ in PENDING)
        rows = self._query(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE status IN ({marks}) ORDER BY rowid",
            tuple(s.value for s in PENDING),
        )
        return [_order_row(r) for r in rows]

    def status_counts(self) -> dict[str, int]:
        rows = self._query("SELECT status, COUNT(*) FROM orders GROUP BY status")
        return {status: count for status, count in rows}

    def skipped_by_reason(self) -> dict[str, int]:
        """Orders now `skipped`, counted by their reason (most frequent first)."""
        rows = self._query(
            "SELECT COALESCE(reason, ''), COUNT(*) FROM orders WHERE status = 'skipped'"
            " GROUP BY reason ORDER BY COUNT(*) DESC, reason"
        )
        return {reason: count for reason, count in rows}

    # -- fills and hedges -------------------------------------------------------------------------
    def fills(self, *, include_dropped: bool = False, since_block: int | None = None) -> list[FillRecord]:
        """Fills in block order; live ones only unless asked. A reorg watcher compares their block hashes with
        the chain's (`since_block` bounds that to the blocks a reorg can reach)."""
        query = f"SELECT {_FILL_COLUMNS} FROM fills WHERE 1"
        args: list[Any] = []
        if not include_dropped:
            query += " AND dropped = 0"
        if since_block is not None:
            query += " AND block_number >= ?"
            args.append(since_block)
        rows = self._query(query + " ORDER BY block_number, id", args)
        return [_fill_record(r) for r in rows]

    def fill_modes(self) -> dict[str, int]:
        """Filled orders counted by how their live fill settled them (inventory / route / split)."""
        rows = self._query(
            "SELECT f.mode, COUNT(*) FROM fill_orders fo JOIN fills f ON f.id = fo.fill_id"
            " JOIN orders o ON o.hash = fo.order_hash"
            " WHERE f.dropped = 0 AND o.status = 'filled' GROUP BY f.mode"
        )
        return {mode: count for mode, count in rows}

    def swappers_surplus(self) -> tuple[Decimal, int]:
        """The swappers' surplus over their limits summed over filled orders (numeraire), and how many
        filled orders it covers (a fill found by reconciliation after a crash has none recorded)."""
        rows = self._query(
            "SELECT fo.surplus_value FROM fill_orders fo JOIN fills f ON f.id = fo.fill_id"
            " JOIN orders o ON o.hash = fo.order_hash"
            " WHERE f.dropped = 0 AND o.status = 'filled' AND fo.surplus_value IS NOT NULL"
        )
        values = [Decimal(value) for (value,) in rows]
        with localcontext(EXACT):
            return sum(values, Decimal(0)), len(values)

    def record_hedge(self, hedge: HedgeRecord) -> int:
        if hedge.status not in ("mined", "failed"):
            raise LedgerError(f"a hedge is recorded mined or failed, not {hedge.status!r}")
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT INTO hedges ({_HEDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    hedge.block_number,
                    _flows_json(hedge.flows),
                    _hex(hedge.tx_hash) if hedge.tx_hash else None,
                    _hex(hedge.block_hash) if hedge.block_hash else None,
                    hedge.gas_used,
                    str(hedge.gas_price),
                    hedge.status,
                    hedge.reason,
                ),
            )
            return int(cursor.lastrowid or 0)

    def hedges(self) -> list[HedgeRecord]:
        rows = self._query(f"SELECT {_HEDGE_COLUMNS} FROM hedges ORDER BY id")
        return [_hedge_record(r) for r in rows]

    # -- PnL --------------------------------------------------------------------------------------
    def record_pnl(self, block: int, lines: Sequence[tuple[str, Decimal, str | None]], mark: Mark) -> None:
        """One stepped block: its PnL lines (kind, numeraire amount, source tx hash) and its mark, atomically,
        so the path and its attribution never disagree on disk."""
        with self._transaction() as db:
            for kind, amount, tx_hash in lines:
                if kind not in PNL_KINDS:
                    raise LedgerError(f"PnL kind {kind!r} is not one of {PNL_KINDS}")
                db.execute(
                    "INSERT INTO pnl_lines (block, kind, amount, tx_hash) VALUES (?, ?, ?, ?)",
                    (block, kind, to_text(amount), _hex(tx_hash) if tx_hash else None),
                )
            db.execute(
                "INSERT INTO marks (block, balances, fair_values, inventory_value, pnl_total)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    mark.block,
                    _flows_json(mark.balances),
                    json.dumps({t: to_text(v) for t, v in sorted(mark.fair_values.items())}),
                    to_text(mark.inventory_value),
                    to_text(mark.pnl_total),
                ),
            )

    def pnl_attribution(self, block: int | None = None, tx_hash: str | None = None) -> dict[str, Decimal]:
        """The run's PnL by kind (or one block's, or one transaction's); every kind present, 0 if no line."""
        totals = {kind: Decimal(0) for kind in PNL_KINDS}
        query, args = "SELECT kind, amount FROM pnl_lines WHERE 1", []
        if block is not None:
            query, args = query + " AND block = ?", [*args, block]
        if tx_hash is not None:
            query, args = query + " AND tx_hash = ?", [*args, _hex(tx_hash)]
        with localcontext(EXACT):
            for kind, amount in self._query(query, args):
                totals[kind] += to_decimal(amount)
        return totals

    def marks(self) -> list[Mark]:
        rows = self._query(
            "SELECT block, balances, fair_values, inventory_value, pnl_total FROM marks ORDER BY block"
        )
        return [
            Mark(
                block=r[0],
                balances=_flows_from_json(r[1]),
                fair_values={t: Decimal(v) for t, v in json.loads(r[2]).items()},
                inventory_value=Decimal(r[3]),
                pnl_total=Decimal(r[4]),
            )
            for r in rows
        ]
