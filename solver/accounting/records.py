"""What the ledger stores: the schema, order statuses and their legal transitions, and the records it reads
back (fills, hedges, order rows, PnL marks) with their exact conversions to and from SQLite text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solver.settlement.uniswapx import FillResult

DB_NAME = "solver.sqlite"
SCHEMA_VERSION = 2
MODES = ("inventory", "route", "split")
PNL_KINDS = ("spread", "inventory_mtm", "hedge", "gas", "unexplained")


class Status(StrEnum):
    NEW = "new"
    SKIPPED = "skipped"
    SENDING = "sending"
    SENT = "sent"
    FILLED = "filled"
    REVERTED = "reverted"
    DROPPED = "dropped"


# Which status may follow which. `skipped -> sending`: a Dutch order skipped for want of edge may be worth
# filling blocks later as it decays. `sending -> new` and `sent/dropped -> new` happen only through `release`,
# after the reconciler has seen that the transaction never reached the chain. `reverted` is final: never
# retried blindly.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.SKIPPED, Status.SENDING}),
    Status.SKIPPED: frozenset({Status.SKIPPED, Status.SENDING}),
    Status.SENDING: frozenset({Status.SENT, Status.FILLED, Status.REVERTED, Status.NEW}),
    Status.SENT: frozenset({Status.FILLED, Status.REVERTED, Status.NEW}),
    Status.FILLED: frozenset({Status.DROPPED}),
    Status.DROPPED: frozenset({Status.SENT, Status.FILLED, Status.REVERTED, Status.NEW}),
    Status.REVERTED: frozenset(),
}
PENDING = (Status.SENDING, Status.SENT, Status.DROPPED)
# Statuses whose transition may be replayed with the same data as a no-op (a restart redoing its last step).
REPLAYABLE = frozenset({Status.SENDING, Status.SENT, Status.FILLED, Status.REVERTED})

# What turns an older ledger into this version (run once, in one transaction, on open).
MIGRATIONS = {
    1: "ALTER TABLE fill_orders ADD COLUMN surplus TEXT;\n"
    "ALTER TABLE fill_orders ADD COLUMN surplus_value TEXT;",
}

SCHEMA = f"""
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    stopped_at REAL,
    params TEXT NOT NULL                      -- JSON
);
CREATE TABLE orders (
    hash TEXT PRIMARY KEY,                    -- 0x order hash, as the reactor computes it
    kind TEXT NOT NULL,
    encoded TEXT NOT NULL,                    -- 0x hex of the abi-encoded order
    signature TEXT NOT NULL,                  -- 0x hex
    swapper TEXT NOT NULL,
    received_block INTEGER NOT NULL,
    received_time INTEGER NOT NULL,           -- unix seconds
    status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s.value}'" for s in Status)})),
    reason TEXT,                              -- why skipped / reverted / released / dropped
    tx_fingerprint TEXT,                      -- what identifies the transaction before it is sent
    tx_hash TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX orders_by_status ON orders (status);
CREATE INDEX orders_by_tx ON orders (tx_hash);
CREATE TABLE fills (
    id INTEGER PRIMARY KEY,
    tx_hash TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    gas_used INTEGER NOT NULL,
    gas_price TEXT NOT NULL,                  -- wei, decimal string
    mode TEXT NOT NULL CHECK (mode IN ({", ".join(f"'{m}'" for m in MODES)})),
    flows TEXT NOT NULL,                      -- JSON token -> signed raw amount as a decimal string
    dropped INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tx_hash, block_hash)              -- a reorged transaction mined again is a new row
);
CREATE TABLE fill_orders (
    fill_id INTEGER NOT NULL REFERENCES fills (id),
    order_hash TEXT NOT NULL REFERENCES orders (hash),
    surplus TEXT,                             -- JSON token -> raw amount the swapper got beyond its limits
    surplus_value TEXT,                       -- that, in the numeraire at fair value (NULL: not known)
    PRIMARY KEY (fill_id, order_hash)
);
CREATE TABLE hedges (
    id INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash TEXT,                             -- NULL when the hedge could not be sent
    block_hash TEXT,
    gas_used INTEGER NOT NULL,
    gas_price TEXT NOT NULL,
    flows TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('mined', 'failed', 'dropped')),
    reason TEXT
);
CREATE TABLE pnl_lines (
    id INTEGER PRIMARY KEY,
    block INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({", ".join(f"'{k}'" for k in PNL_KINDS)})),
    amount TEXT NOT NULL,                     -- numeraire (whole units), exact decimal string
    tx_hash TEXT                              -- the fill or hedge it comes from, if any
);
CREATE INDEX pnl_by_block ON pnl_lines (block);
CREATE TABLE marks (
    block INTEGER PRIMARY KEY,
    balances TEXT NOT NULL,                   -- JSON token -> raw amount (decimal string)
    fair_values TEXT NOT NULL,                -- JSON token -> numeraire per whole token
    inventory_value TEXT NOT NULL,            -- numeraire
    pnl_total TEXT NOT NULL                   -- cumulative PnL of the run at this block, numeraire
);
"""


class LedgerError(Exception):
    """The ledger cannot do what was asked; `str(error)` is one line."""


class IllegalTransition(LedgerError):
    """An order status change that would break the lifecycle (a filled order sent again, ...)."""


def _flows_json(flows: Mapping[str, int]) -> str:
    return json.dumps({token: str(int(amount)) for token, amount in sorted(flows.items())})


def _flows_from_json(text: str) -> dict[str, int]:
    return {token: int(amount) for token, amount in json.loads(text).items()}


@dataclass(frozen=True)
class FillRecord:
    """A mined fill as the ledger keeps it: where it landed (block hash, to detect reorgs), its gas, how it
    was settled, and the filler's net change per token (raw, signed: + received, - paid)."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    gas_price: int
    mode: str
    flows: Mapping[str, int] = field(default_factory=dict)

    @property
    def gas_cost_wei(self) -> int:
        return self.gas_used * self.gas_price

    @classmethod
    def from_result(cls, result: FillResult, block_hash: str) -> FillRecord:
        """From settlement's FillResult (which does not carry the block hash: read it from the receipt)."""
        return cls(
            tx_hash=result.tx_hash,
            block_number=result.block,
            block_hash=block_hash,
            gas_used=result.gas_used,
            gas_price=result.gas_price,
            mode=result.mode,
            flows=dict(result.net),
        )


@dataclass(frozen=True)
class HedgeRecord:
    """A hedge toward target: mined (with its flows and gas) or failed (with a reason, flows empty)."""

    block_number: int
    flows: Mapping[str, int]
    tx_hash: str | None = None
    block_hash: str | None = None
    gas_used: int = 0
    gas_price: int = 0
    status: str = "mined"
    reason: str | None = None

    @property
    def gas_cost_wei(self) -> int:
        return self.gas_used * self.gas_price


@dataclass(frozen=True)
class OrderRow:
    """One order as stored."""

    hash: str
    kind: str
    encoded: bytes
    signature: bytes
    swapper: str
    received_block: int
    received_time: int
    status: Status
    reason: str | None
    tx_fingerprint: str | None
    tx_hash: str | None


@dataclass(frozen=True)
class Dropped:
    """What a reorg took out: orders now awaiting reconciliation, and the fills and hedges to reverse in
    PnL."""

    order_hashes: tuple[str, ...]
    fills: tuple[FillRecord, ...]
    hedges: tuple[HedgeRecord, ...]


@dataclass(frozen=True)
class Mark:
    """One stepped block of the PnL path."""

    block: int
    balances: dict[str, int]
    fair_values: dict[str, Decimal]
    inventory_value: Decimal
    pnl_total: Decimal


def _hex(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lower() if data.startswith("0x") else "0x" + data.lower()
    return "0x" + bytes(data).hex()


_ORDER_COLUMNS = (
    "hash, kind, encoded, signature, swapper, received_block, received_time, status, reason, tx_fingerprint,"
    " tx_hash"
)


_FILL_COLUMNS = "tx_hash, block_number, block_hash, gas_used, gas_price, mode, flows"
_HEDGE_COLUMNS = "block_number, flows, tx_hash, block_hash, gas_used, gas_price, status, reason"


def _fill_record(row: tuple) -> FillRecord:
    return FillRecord(row[0], row[1], row[2], row[3], int(row[4]), row[5], _flows_from_json(row[6]))


def _hedge_record(row: tuple) -> HedgeRecord:
    return HedgeRecord(row[0], _flows_from_json(row[1]), row[2], row[3], row[4], int(row[5]), row[6], row[7])


def _order_row(row: tuple) -> OrderRow:
    return OrderRow(
        hash=row[0],
        kind=row[1],
        encoded=bytes.fromhex(row[2][2:]),
        signature=bytes.fromhex(row[3][2:]),
        swapper=row[4],
        received_block=row[5],
        received_time=row[6],
        status=Status(row[7]),
        reason=row[8],
        tx_fingerprint=row[9],
        tx_hash=row[10],
    )
