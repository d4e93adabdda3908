"""Reconciling the ledger with the chain: after a restart, and at the start of every `Solver.step`.

Two jobs, both read-only on chain (JSON-RPC batches) and written to the ledger only once the chain has said:

- `check_reorgs`: the live fills and mined hedges of the last `depth` blocks must still sit in blocks of the
  same hash (one batched `eth_getBlockByNumber` for their distinct block numbers). A different hash, or no
  block at that height any more, means a reorg took the transaction out: `Ledger.mark_dropped`, and the
  `Dropped` goes to the PnL tracker, which books it back.
- `settle_pending`: every order the ledger holds `sending`, `sent` or `dropped` is resolved from the chain.
  Its transaction is looked for by hash (a `sent` or reorged order carries one) and otherwise by the
  reactor's `Fill(orderHash, filler, swapper, nonce)` log since the order was received (a crash between
  `mark_sending` and the receipt leaves no hash). Mined and successful: `mark_filled` with the receipt's
  block, gas and the filler's net token flows, and the record is handed back for the PnL to book; mined and
  reverted: `mark_reverted` with its reason (final). Not found: the order's Permit2 nonce decides. Unspent
  and nothing of ours in flight: `release` to `new`, to be decided afresh. Spent by someone else (another
  filler, the swapper cancelling): released and at once skipped as `rejected:nonce_used`, so it is never
  sent. A transaction still in the mempool, or any unmined transaction of the owner's, leaves the order
  pending until a later step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from amm.chain.node import Node
from solver.accounting.ledger import Ledger
from solver.accounting.records import MODES, Dropped, FillRecord, HedgeRecord, OrderRow, Status
from solver.flow.incoming import receive
from solver.intents.uniswapx.checks import NONCE_BITMAP
from solver.intents.uniswapx.order import Order

REORG_DEPTH = 64  # how far back the block hashes of fills are checked
FILL_TOPIC = "0x" + keccak(text="Fill(bytes32,address,address,uint256)").hex()
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
LEG_EXECUTED_TOPIC = "0x" + keccak(text="LegExecuted(uint256,address,uint256,uint256)").hex()
NONCE_USED = "rejected:nonce_used"
NOTHING_DROPPED = Dropped((), (), ())


@dataclass(frozen=True)
class Reconciled:
    """What one reconciliation found: fills and hedges newly known to be mined (book them in the PnL),
    what a reorg dropped (book it back), orders released to `new`, orders closed as reverted or spent
    elsewhere, and orders still waiting on a transaction in flight."""

    fills: tuple[FillRecord, ...] = ()
    hedges: tuple[HedgeRecord, ...] = ()
    dropped: Dropped = NOTHING_DROPPED
    filled: tuple[str, ...] = ()  # orders found filled by a mined transaction of ours
    released: tuple[str, ...] = ()
    reverted: tuple[tuple[str, str], ...] = ()  # (order hash, reason)
    spent: tuple[str, ...] = ()  # nonce used by another transaction: skipped as rejected:nonce_used
    waiting: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        gone = self.dropped
        return bool(self.fills or self.hedges or gone.fills or gone.hedges or self.released or self.spent)


@dataclass
class Reconciler:
    node: Node
    ledger: Ledger
    filler: str
    owner: str
    depth: int = REORG_DEPTH

    def run(self) -> Reconciled:
        """Reorgs first (they add orders to `pending()`), then every pending order."""
        dropped, hedges = self.check_reorgs()
        settled = self.settle_pending(dropped)
        return dataclasses.replace(settled, dropped=dropped, hedges=(*hedges, *settled.hedges))

    # -- reorgs -------------------------------------------------------------------------------------------
    def check_reorgs(self) -> tuple[Dropped, tuple[HedgeRecord, ...]]:
        """Mark dropped every live fill and mined hedge whose block is no longer on the chain; a dropped hedge
        mined again in the new chain is recorded again (and returned, to book)."""
        head = self.node.block_number()
        since = max(head - self.depth, 0)
        fills = self.ledger.fills(since_block=since)
        hedges = [
            h
            for h in self.ledger.hedges()
            if h.status == "mined" and h.tx_hash and h.block_hash and h.block_number >= since
        ]
        placed = [(f.tx_hash, f.block_number, f.block_hash) for f in fills]
        placed += [(h.tx_hash, h.block_number, h.block_hash) for h in hedges if h.tx_hash and h.block_hash]
        if not placed:
            return NOTHING_DROPPED, ()
        numbers = sorted({n for _, n, _ in placed})
        blocks = self.node.rpc.batch_results([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        hashes = {
            n: (b.get("hash") or "").lower() if isinstance(b, dict) else None
            for n, b in zip(numbers, blocks, strict=True)
        }
        gone = sorted({tx for tx, n, h in placed if hashes[n] != h.lower()})
        if not gone:
            return NOTHING_DROPPED, ()
        orders: list[str] = []
        dropped_fills: list[FillRecord] = []
        dropped_hedges: list[HedgeRecord] = []
        for tx_hash in gone:
            out = self.ledger.mark_dropped(tx_hash, "reorg")
            orders += out.order_hashes
            dropped_fills += out.fills
            dropped_hedges += out.hedges
        remined: list[HedgeRecord] = []
        receipts = self._receipts([h.tx_hash for h in dropped_hedges if h.tx_hash])
        for hedge in dropped_hedges:
            receipt = receipts.get((hedge.tx_hash or "").lower())
            if receipt is not None and int(receipt["status"], 16) == 1:
                again = dataclasses.replace(
                    hedge,
                    block_number=int(receipt["blockNumber"], 16),
                    block_hash=receipt["blockHash"],
                    flows=net_flows(receipt, self.filler),
                    gas_used=int(receipt["gasUsed"], 16),
                    gas_price=int(receipt.get("effectiveGasPrice") or "0x0", 16),
                )
                self.ledger.record_hedge(again)
                remined.append(again)
        return Dropped(tuple(orders), tuple(dropped_fills), tuple(dropped_hedges)), tuple(remined)

    # -- pending orders -----------------------------------------------------------------------------------
    def settle_pending(self, dropped: Dropped | None = None) -> Reconciled:
        rows = self.ledger.pending()
        if not rows:
            return Reconciled()
        modes = {f.tx_hash.lower(): f.mode for f in (dropped.fills if dropped else ())}
        orders = {row.hash: _parse(self.node, row) for row in rows}
        # 1. transactions known by hash (sent, dropped)
        receipts = self._receipts([row.tx_hash for row in rows if row.tx_hash])
        # 2. the reactor's Fill log for each order, and each order's Permit2 nonce word
        calls: list[tuple[str, list[Any]]] = [
            ("eth_getTransactionCount", [self.owner, "latest"]),
            ("eth_getTransactionCount", [self.owner, "pending"]),
        ]
        for row in rows:
            order = orders[row.hash]
            if order is None:
                continue
            calls.append(
                (
                    "eth_getLogs",
                    [
                        {
                            "address": order.info.reactor,
                            "fromBlock": hex(max(row.received_block, 0)),
                            "toBlock": "latest",
                            "topics": [FILL_TOPIC, row.hash],
                        }
                    ],
                )
            )
            data = NONCE_BITMAP + abi_encode(
                ["address", "uint256"], [order.info.swapper, order.info.nonce >> 8]
            )
            calls.append(("eth_call", [{"to": order.permit2, "data": "0x" + data.hex()}, "latest"]))
        replies = self.node.rpc.batch(calls)
        in_flight = int(replies[1], 16) > int(replies[0], 16)
        logs: dict[str, list[dict]] = {}
        nonce_used: dict[str, bool] = {}
        at = 2
        for row in rows:
            order = orders[row.hash]
            if order is None:
                continue
            logs[row.hash] = replies[at]
            word = abi_decode(["uint256"], bytes.fromhex(replies[at + 1][2:])[:32])[0]
            nonce_used[row.hash] = bool(word >> (order.info.nonce & 0xFF) & 1)
            at += 2
        ours = self.filler.lower()
        found: dict[str, str] = {}  # order hash -> tx hash of our fill, mined
        for h, entries in logs.items():
            for log in entries:
                if len(log["topics"]) > 2 and log["topics"][2][-40:].lower() == ours[2:]:
                    found[h] = log["transactionHash"].lower()
        receipts.update(self._receipts([tx for tx in found.values() if tx not in receipts]))

        by_tx: dict[str, list[str]] = {}
        reverted: list[tuple[str, str]] = []
        released: list[str] = []
        spent: list[str] = []
        waiting: list[str] = []
        for row in rows:
            tx = (row.tx_hash or "").lower() or None
            receipt = receipts.get(tx) if tx else None
            if receipt is None and row.hash in found:
                tx = found[row.hash]
                receipt = receipts.get(tx)
            if receipt is not None:
                if int(receipt["status"], 16) == 1:
                    by_tx.setdefault(tx or "", []).append(row.hash)
                else:
                    reason = f"reverted on chain: {self.node.failure_reason(receipt) or 'no reason'}"[:300]
                    self.ledger.mark_reverted(row.hash, reason, tx)
                    reverted.append((row.hash, reason))
                continue
            if tx and self.node.rpc.call("eth_getTransactionByHash", [tx]) is not None:
                waiting.append(row.hash)  # in the mempool: it may still be mined
                continue
            if orders[row.hash] is None:  # cannot read it: nothing can be checked, nothing is sent for it
                self.ledger.release(row.hash, "reconciled: unreadable order")
                self.ledger.mark_skipped(row.hash, "rejected:malformed (unreadable at reconciliation)")
                spent.append(row.hash)
            elif nonce_used.get(row.hash):
                self.ledger.release(row.hash, "reconciled: nonce spent by another transaction")
                self.ledger.mark_skipped(row.hash, NONCE_USED)
                spent.append(row.hash)
            elif in_flight:
                waiting.append(row.hash)  # a transaction of ours is unmined: it may be this order's
            else:
                why = "dropped by a reorg" if row.status == Status.DROPPED else "not on chain"
                self.ledger.release(row.hash, f"reconciled: {why}, nonce unspent")
                released.append(row.hash)

        fills: list[FillRecord] = []
        filled: list[str] = []
        for tx, hashes in by_tx.items():
            receipt = receipts[tx]
            row = next(r for r in rows if r.hash == hashes[0])
            mode = modes.get(tx) or _mode(row.tx_fingerprint, receipt)
            record = record_from_receipt(receipt, self.filler, mode)
            self.ledger.mark_filled(hashes, record)
            fills.append(record)
            filled += hashes
        return Reconciled(
            fills=tuple(fills),
            filled=tuple(filled),
            released=tuple(released),
            reverted=tuple(reverted),
            spent=tuple(spent),
            waiting=tuple(waiting),
        )

    def _receipts(self, tx_hashes: Sequence[str]) -> dict[str, dict]:
        unique = sorted({t.lower() for t in tx_hashes})
        if not unique:
            return {}
        replies = self.node.rpc.batch([("eth_getTransactionReceipt", [t]) for t in unique])
        return {t: r for t, r in zip(unique, replies, strict=True) if r is not None}


def record_from_receipt(receipt: dict, filler: str, mode: str) -> FillRecord:
    """A FillRecord from a mined fill's receipt: where it landed, its gas, and the filler's net ERC-20 flows
    (what `fill` books as `FillResult.net`)."""
    return FillRecord(
        tx_hash=receipt["transactionHash"],
        block_number=int(receipt["blockNumber"], 16),
        block_hash=receipt["blockHash"],
        gas_used=int(receipt["gasUsed"], 16),
        gas_price=int(receipt.get("effectiveGasPrice") or "0x0", 16),
        mode=mode,
        flows=net_flows(receipt, filler),
    )


def net_flows(receipt: dict, account: str) -> dict[str, int]:
    """`account`'s net change per ERC-20 token (checksummed) over a receipt's Transfer logs."""
    me = account.lower()
    net: dict[str, int] = {}
    for log in receipt["logs"]:
        if len(log["topics"]) == 3 and log["topics"][0] == TRANSFER_TOPIC:
            sender = "0x" + log["topics"][1][-40:].lower()
            to = "0x" + log["topics"][2][-40:].lower()
            (amount,) = abi_decode(["uint256"], bytes.fromhex(log["data"][2:]))
            token = to_checksum_address(log["address"])
            if sender == me:
                net[token] = net.get(token, 0) - amount
            if to == me:
                net[token] = net.get(token, 0) + amount
    return net


def fingerprint(filler: str, mode: str, order_hashes: Sequence[str], stamp: int) -> str:
    """What `mark_sending` stores: the filler, the fill's mode, the orders, and when."""
    return f"{filler}:{mode}:{','.join(order_hashes)}:{stamp}"


def _mode(fingerprint_text: str | None, receipt: dict) -> str:
    for part in (fingerprint_text or "").split(":"):
        if part in MODES:
            return part
    legs = any(log["topics"] and log["topics"][0] == LEG_EXECUTED_TOPIC for log in receipt["logs"])
    return "route" if legs else "inventory"


def _parse(node: Node, row: OrderRow) -> Order | None:
    incoming = receive(
        row.kind,
        node.chain_id,
        row.encoded,
        row.signature,
        received_block=row.received_block,
        received_time=row.received_time,
        source="ledger",
    )
    return incoming.order
