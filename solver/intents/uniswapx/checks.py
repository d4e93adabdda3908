"""`check`: everything that would make the reactor or Permit2 refuse an order, found before spending gas.

Offline (no chain) it runs every check that needs no chain state: signature, cosignature, deadline, chain id,
reactor, and the reactor's own resolution (decay, exclusivity, auction start); swappers are taken to be EOAs
there, since a smart-contract wallet's (EIP-1271) verdict needs the chain. With a chain it adds the
Permit2 nonce, the swapper's balance and Permit2 allowance (and EIP-1271 for contract swappers), all read in
one JSON-RPC batch — one round trip for any number of orders (`check_many`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from solver.intents.uniswapx.errors import InvalidSignature, MalformedOrder, OrderError
from solver.intents.uniswapx.order import CosignedOrder, Order
from solver.intents.uniswapx.parse import parse_order
from solver.intents.uniswapx.priority import PriorityOrder
from solver.intents.uniswapx.reactors import REACTORS, reactor_for
from solver.intents.uniswapx.signing import as_bytes

CODES = (
    "malformed",
    "wrong_chain",
    "unknown_reactor",
    "invalid_signature",
    "invalid_cosignature",
    "expired_deadline",
    "not_exclusive_filler",
    "decay_not_started",
    "invalid_order",
    "nonce_used",
    "insufficient_balance",
    "insufficient_allowance",
)
# chains whose signatures a misdirected order most often carries (to say "wrong chain", not "bad signature")
LIKELY_CHAINS = (1, 10, 56, 130, 137, 8453, 42161, 31337, 11155111)
EIP1271_MAGIC = bytes.fromhex("1626ba7e")


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


NONCE_BITMAP = _selector("nonceBitmap(address,uint256)")
BALANCE_OF = _selector("balanceOf(address)")
ALLOWANCE = _selector("allowance(address,address)")
IS_VALID_SIGNATURE = _selector("isValidSignature(bytes32,bytes)")


@dataclass(frozen=True)
class Rejection:
    """Why an order would be refused: a stable `code` (one of CODES) and a one-line `reason`."""

    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(frozen=True)
class BlockContext:
    """The block a fill would land in: time, number, base fee, and the filler's priority fee and address."""

    timestamp: int
    block_number: int | None = None
    base_fee: int | None = None
    priority_fee: int | None = None
    filler: str | None = None


@dataclass(frozen=True)
class ChainFacts:
    """What the chain says about one order's swapper: nonce bitmap word, balance, allowance, signature."""

    nonce_word: int
    balance: int
    allowance: int
    swapper_is_contract: bool
    contract_signature_valid: bool
    reactor_has_code: bool


def check(
    order: Order | bytes | str,
    signature: bytes | str,
    *,
    chain: Any = None,
    now: int | None = None,
    filler: str | None = None,
    block_number: int | None = None,
    base_fee: int | None = None,
    priority_fee: int | None = None,
    kind: str | None = None,
    chain_id: int | None = None,
) -> list[Rejection]:
    """Every reason the reactor would refuse `order` signed with `signature`; [] if it would fill.

    `order` is an `Order`, or its bytes with `kind` and `chain_id` (bytes that do not parse give `malformed`).
    `chain` (a Node or ChainSession) adds the on-chain checks; the fill is assumed to land in the next block
    unless `now` / `block_number` / `base_fee` say otherwise. `filler` is who would fill (exclusivity);
    `priority_fee` the filler's bid above the base fee (priority orders; default 0)."""
    context = dict(
        now=now, filler=filler, block_number=block_number, base_fee=base_fee, priority_fee=priority_fee
    )
    return check_many([(order, signature)], chain=chain, kind=kind, chain_id=chain_id, **context)[0]


def check_many(
    orders: Sequence[tuple[Order | bytes | str, bytes | str]],
    *,
    chain: Any = None,
    now: int | None = None,
    filler: str | None = None,
    block_number: int | None = None,
    base_fee: int | None = None,
    priority_fee: int | None = None,
    kind: str | None = None,
    chain_id: int | None = None,
) -> list[list[Rejection]]:
    """`check` for many orders: one JSON-RPC batch for all of them."""
    node = getattr(chain, "node", chain)
    parsed: list[Order | Rejection] = [_parse(order, kind, chain_id) for order, _ in orders]
    valid = [(n, o) for n, o in enumerate(parsed) if isinstance(o, Order)]
    facts: dict[int, ChainFacts] = {}
    node_chain_id = None
    if node is not None:
        block, node_chain_id, read = _read_chain(node, [(o, as_bytes(orders[n][1])) for n, o in valid])
        facts = {n: f for (n, _), f in zip(valid, read, strict=True)}
        context = BlockContext(
            timestamp=now if now is not None else int(block["timestamp"], 16),
            block_number=block_number if block_number is not None else int(block["number"], 16),
            base_fee=base_fee if base_fee is not None else int(block.get("baseFeePerGas") or "0x0", 16),
            priority_fee=priority_fee if priority_fee is not None else 0,
            filler=filler,
        )
    else:
        context = BlockContext(
            timestamp=now if now is not None else int(time.time()),
            block_number=block_number,
            base_fee=base_fee,
            priority_fee=priority_fee if priority_fee is not None else 0,
            filler=filler,
        )
    results: list[list[Rejection]] = []
    for n, item in enumerate(parsed):
        if isinstance(item, Rejection):
            results.append([item])
            continue
        results.append(_check_one(item, as_bytes(orders[n][1]), context, node_chain_id, facts.get(n)))
    return results


def _parse(order: Order | bytes | str, kind: str | None, chain_id: int | None) -> Order | Rejection:
    if isinstance(order, Order):
        return order
    if kind is None or chain_id is None:
        return Rejection("malformed", "order bytes need kind= and chain_id= to be parsed")
    try:
        return parse_order(order, kind=kind, chain_id=chain_id)
    except MalformedOrder as err:
        return Rejection(err.code, err.reason)


def _check_one(
    order: Order, signature: bytes, context: BlockContext, node_chain_id: int | None, facts: ChainFacts | None
) -> list[Rejection]:
    found: dict[str, Rejection] = {}

    def reject(code: str, reason: str) -> None:
        found.setdefault(code, Rejection(code, reason))

    if node_chain_id is not None and node_chain_id != order.chain_id:
        reject("wrong_chain", f"the order is signed for chain {order.chain_id}, the chain is {node_chain_id}")
    expected = reactor_for(order.KIND, order.chain_id)
    if expected is None:
        if not REACTORS.get(order.chain_id) and (facts is None or not facts.reactor_has_code):
            reject("unknown_reactor", f"no {order.KIND} reactor is known on chain {order.chain_id}")
    elif expected.lower() != order.info.reactor.lower():
        reject("unknown_reactor", f"{order.info.reactor} is not the {order.KIND} reactor ({expected})")
    if facts is not None and not facts.reactor_has_code:
        reject("unknown_reactor", f"no contract at the order's reactor {order.info.reactor}")

    _check_signature(order, signature, facts, reject)
    if isinstance(order, CosignedOrder) and (
        not isinstance(order, PriorityOrder) or order.cosignature_applies(context.block_number)
    ):
        _check_cosignature(order, reject)

    if context.timestamp > order.info.deadline:
        reject(
            "expired_deadline", f"the deadline {order.info.deadline} is before block time {context.timestamp}"
        )
    needed_input = order.permit_amount
    try:
        resolved = order.resolve(
            timestamp=min(context.timestamp, order.info.deadline),
            block_number=context.block_number,
            base_fee=context.base_fee,
            priority_fee=context.priority_fee,
            filler=context.filler,
        )
        needed_input = resolved.input.amount
    except OrderError as err:
        reject(err.code, f"{err.reason}" + (f" ({err.error})" if err.error else ""))
    except ValueError:
        pass  # offline without the block a block-based kind needs: nothing more to say without a chain

    if facts is not None:
        bit = 1 << (order.info.nonce & 0xFF)
        if facts.nonce_word & bit:
            reject("nonce_used", f"Permit2 nonce {order.info.nonce} of {order.info.swapper} is already used")
        if facts.balance < needed_input:
            reject(
                "insufficient_balance",
                f"the swapper holds {facts.balance} of {order.permit_token}, the fill pulls {needed_input}",
            )
        if facts.allowance < needed_input:
            reject(
                "insufficient_allowance",
                f"the swapper allows Permit2 {facts.allowance} of {order.permit_token},"
                f" the fill pulls {needed_input}",
            )
    return [found[code] for code in CODES if code in found]


def _check_signature(order: Order, signature: bytes, facts: ChainFacts | None, reject: Any) -> None:
    if facts is not None and facts.swapper_is_contract:
        if not facts.contract_signature_valid:
            reject(
                "invalid_signature",
                f"the swapper contract {order.info.swapper} rejects the signature (EIP-1271)",
            )
        return
    try:
        signer = order.signer(signature)
    except InvalidSignature as err:
        reject("invalid_signature", err.reason)
        return
    if signer == order.info.swapper:
        return
    other = _signed_for_other_chain(order, signature)
    if other is not None:
        reject("wrong_chain", f"the signature is for chain {other}, the order is for chain {order.chain_id}")
    else:
        reject("invalid_signature", f"signed by {signer}, not the swapper {order.info.swapper}")


def _check_cosignature(order: CosignedOrder, reject: Any) -> None:
    try:
        order.verify_cosignature()
    except OrderError as err:
        reject("invalid_cosignature", err.reason)


def _signed_for_other_chain(order: Order, signature: bytes) -> int | None:
    for chain_id in LIKELY_CHAINS:
        if chain_id == order.chain_id:
            continue
        try:
            if dataclasses.replace(order, chain_id=chain_id).signer(signature) == order.info.swapper:
                return chain_id
        except InvalidSignature:
            return None
    return None


def _read_chain(node: Any, orders: list[tuple[Order, bytes]]) -> tuple[dict, int, list[ChainFacts]]:
    """The block a fill would land in, the chain id, and each order's ChainFacts, in one JSON-RPC batch.

    The pending block carries the next block's number and time (on anvil, a state loaded from a file has an
    old head but seals new blocks at the wall clock); nodes without one get the latest block, one later."""

    def call(to: str, data: bytes) -> tuple[str, list]:
        return ("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])

    calls: list[tuple[str, list]] = [
        ("eth_getBlockByNumber", ["pending", False]),
        ("eth_chainId", []),
        ("eth_getBlockByNumber", ["latest", False]),
    ]
    for order, signature in orders:
        swapper, token = order.info.swapper, order.permit_token
        word = order.info.nonce >> 8
        calls += [
            call(order.permit2, NONCE_BITMAP + abi_encode(["address", "uint256"], [swapper, word])),
            call(token, BALANCE_OF + abi_encode(["address"], [swapper])),
            call(token, ALLOWANCE + abi_encode(["address", "address"], [swapper, order.permit2])),
            ("eth_getCode", [swapper, "latest"]),
            call(
                swapper,
                IS_VALID_SIGNATURE + abi_encode(["bytes32", "bytes"], [order.permit_digest(), signature]),
            ),
            ("eth_getCode", [order.info.reactor, "latest"]),
        ]
    replies = node.rpc.batch_results(calls)
    block, chain_id, latest = replies[0], int(replies[1], 16), replies[2]
    if not isinstance(block, dict) or not block.get("number"):
        block = {
            **latest,
            "number": hex(int(latest["number"], 16) + 1),
            "timestamp": hex(int(latest["timestamp"], 16) + 1),
        }
    replies = replies[1:]
    facts = []
    for n in range(len(orders)):
        nonce, balance, allowance, code, valid, reactor_code = replies[2 + 6 * n : 8 + 6 * n]
        facts.append(
            ChainFacts(
                nonce_word=_uint(nonce),
                balance=_uint(balance),
                allowance=_uint(allowance),
                swapper_is_contract=_has_code(code),
                contract_signature_valid=isinstance(valid, str) and as_bytes(valid)[:4] == EIP1271_MAGIC,
                reactor_has_code=_has_code(reactor_code),
            )
        )
    return block, chain_id, facts


def _uint(reply: Any) -> int:
    """A uint256 return value; 0 where the call failed or returned nothing (no contract, reverted)."""
    if not isinstance(reply, str) or len(reply) < 66:
        return 0
    return abi_decode(["uint256"], as_bytes(reply)[:32])[0]


def _has_code(reply: Any) -> bool:
    return isinstance(reply, str) and reply not in ("0x", "0x0", "")
