"""`check_many`: what would make GPv2Settlement refuse an order's trade, found before spending gas.

Offline: the order decodes, is for this chain and settlement, has not expired, and (eip712/ethsign) its
signature recovers its owner. On chain, one JSON-RPC batch for any number of orders: `filledAmount(uid)`
(fully filled, or cancelled with `invalidateOrder`, which sets it to 2**256-1), the owner's sell-token
balance and allowance to the vault relayer, and per scheme the pre-signature or the owner contract's
EIP-1271 verdict. Codes are stable strings, reported with a one-line reason (`Rejection`).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import RpcError
from amm.chain.node import Node
from amm.chain.tokens import ERC20
from solver.intents.cow.order import UINT256_MAX
from solver.intents.cow.signing import PRE_SIGNED, SignatureError, SignedCowOrder
from solver.intents.uniswapx.checks import Rejection

CODES = (
    "wrong_chain",
    "wrong_settlement",
    "invalid_signature",
    "expired",
    "cancelled",
    "already_filled",
    "not_presigned",
    "insufficient_balance",
    "insufficient_allowance",
)
# isValidSignature(bytes32,bytes): its selector is also the magic value a contract returns to accept
EIP1271_MAGIC = bytes.fromhex("1626ba7e")


def remaining(signed: SignedCowOrder, filled: int) -> int:
    """What is left to execute, in the order's own unit (sell token for sell orders, buy token for buy)."""
    total = signed.order.sell_amount if signed.order.is_sell else signed.order.buy_amount
    return max(total - filled, 0)


def check_offline(signed: SignedCowOrder, *, chain_id: int, timestamp: int) -> list[Rejection]:
    """The checks that need no chain state."""
    found: list[Rejection] = []
    if signed.chain_id != chain_id:
        found.append(
            Rejection("wrong_chain", f"signed for chain {signed.chain_id}, this is chain {chain_id}")
        )
    if signed.settlement.lower() != mainnet.GPV2_SETTLEMENT.lower():
        found.append(Rejection("wrong_settlement", f"signed for settlement {signed.settlement}"))
    if signed.order.valid_to < timestamp:
        found.append(
            Rejection("expired", f"valid to {signed.order.valid_to}, the next block is at {timestamp}")
        )
    try:
        owner = signed.recovered_owner()
    except SignatureError as e:
        found.append(Rejection("invalid_signature", str(e)))
    else:
        if owner.lower() != signed.owner.lower():
            found.append(
                Rejection("invalid_signature", f"the signature recovers {owner}, not {signed.owner}")
            )
    return found


def check_many(
    node: Node, orders: Sequence[SignedCowOrder], *, timestamp: int | None = None
) -> tuple[list[list[Rejection]], list[int]]:
    """Per order: its rejections (empty: the settlement would accept a trade of it now) and its filled amount
    so far. `timestamp` is the next block's (default: the pending block's)."""
    if timestamp is None:
        timestamp = int(node.block("pending")["timestamp"], 16)
    settlement = artifacts.interface("GPv2Settlement")
    erc20 = artifacts.interface(ERC20)
    calls: list[tuple[str, list]] = []
    for signed in orders:
        uid, order, owner = signed.uid, signed.order, signed.owner
        calls.append(_call(mainnet.GPV2_SETTLEMENT, settlement.fn("filledAmount").encode(uid)))
        calls.append(_call(order.sell_token, erc20.fn("balanceOf").encode(owner)))
        calls.append(_call(order.sell_token, erc20.fn("allowance").encode(owner, mainnet.GPV2_VAULT_RELAYER)))
        if signed.scheme == "presign":
            calls.append(_call(mainnet.GPV2_SETTLEMENT, settlement.fn("preSignature").encode(uid)))
        elif signed.scheme == "eip1271":
            data = EIP1271_MAGIC + _encode_1271(signed.digest, signed.signature[20:])
            calls.append(_call(owner, data))
    replies = iter(node.rpc.batch_results(calls))
    results: list[list[Rejection]] = []
    filled_amounts: list[int] = []
    for signed in orders:
        found = check_offline(signed, chain_id=node.chain_id, timestamp=timestamp)
        filled, balance, allowance = (_uint(next(replies)) for _ in range(3))
        order = signed.order
        if filled == UINT256_MAX:
            found.append(Rejection("cancelled", "the owner invalidated the order"))
        elif remaining(signed, filled) == 0:
            found.append(Rejection("already_filled", f"filled {filled} of it already"))
        need = order.sell_amount + order.fee_amount
        if order.partially_fillable:
            need = 1  # any part can settle; the solver sizes it to what the owner holds
        if balance < need:
            found.append(
                Rejection("insufficient_balance", f"{signed.owner} holds {balance} of {need} needed")
            )
        if allowance < need:
            found.append(
                Rejection(
                    "insufficient_allowance", f"the vault relayer may take {allowance} of {need} needed"
                )
            )
        if signed.scheme == "presign" and _word(next(replies)) != PRE_SIGNED:
            found.append(Rejection("not_presigned", "the owner has not called setPreSignature(uid, true)"))
        elif signed.scheme == "eip1271" and _word(next(replies))[:4] != EIP1271_MAGIC:
            found.append(
                Rejection("invalid_signature", f"{signed.owner} does not accept the EIP-1271 signature")
            )
        results.append(found)
        filled_amounts.append(filled if filled != UINT256_MAX else 0)
    return results, filled_amounts


def _encode_1271(digest: bytes, signature: bytes) -> bytes:
    return abi_encode(["bytes32", "bytes"], [digest, signature])


def _call(to: str, data: bytes) -> tuple[str, list]:
    return ("eth_call", [{"to": to, "data": "0x" + data.hex()}, "pending"])


def _uint(reply: object) -> int:
    if isinstance(reply, RpcError) or not isinstance(reply, str) or len(reply) < 66:
        return 0
    return abi_decode(["uint256"], bytes.fromhex(reply[2:66]))[0]


def _word(reply: object) -> bytes:
    if isinstance(reply, RpcError) or not isinstance(reply, str) or len(reply) < 66:
        return bytes(32)
    return bytes.fromhex(reply[2:66])
