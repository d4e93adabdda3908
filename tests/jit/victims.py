"""Pending swaps for the JIT tests: calldata of every shape the decoder reads, signed by the victim."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.abi import ContractInterface
from amm.chain.node import Node

DEADLINE = 2**40
MAX_UINT = 2**256 - 1


def sign(
    node: Node,
    key: str,
    to: str,
    data: bytes,
    *,
    value: int = 0,
    gas: int = 1_500_000,
    nonce: int | None = None,
    gas_price: int = 10**10,
) -> bytes:
    """A signed EIP-1559 transaction from `key`, as a wallet would broadcast it."""
    sender = Account.from_key(key).address
    if nonce is None:
        nonce = int(node.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": node.chain_id,
        "nonce": nonce,
        "to": to,
        "value": value,
        "data": data,
        "gas": gas,
        "maxFeePerGas": gas_price,
        "maxPriorityFeePerGas": gas_price // 10,
    }
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def approve(node: Node, owner: str, token: str, spender: str) -> None:
    node.contract("MintableERC20", token).transact("approve", spender, MAX_UINT, sender=owner)


def path(*hops: object) -> bytes:
    """token, fee, token, fee, ..., token packed as a v3 path."""
    out = b""
    for item in hops:
        out += item.to_bytes(3, "big") if isinstance(item, int) else bytes.fromhex(str(item)[2:])
    return out


def router(name: str) -> ContractInterface:
    return artifacts.interface(name)


def exact_input_single(
    kind: str,
    token_in: str,
    token_out: str,
    fee: int,
    recipient: str,
    amount: int,
    min_out: int = 0,
    limit: int = 0,
) -> bytes:
    if kind == "SwapRouter":
        params = (token_in, token_out, fee, recipient, DEADLINE, amount, min_out, limit)
    else:
        params = (token_in, token_out, fee, recipient, amount, min_out, limit)
    return router(kind).encode("exactInputSingle", params)


def exact_output_single(
    kind: str,
    token_in: str,
    token_out: str,
    fee: int,
    recipient: str,
    amount: int,
    max_in: int = MAX_UINT >> 1,
    limit: int = 0,
) -> bytes:
    if kind == "SwapRouter":
        params = (token_in, token_out, fee, recipient, DEADLINE, amount, max_in, limit)
    else:
        params = (token_in, token_out, fee, recipient, amount, max_in, limit)
    return router(kind).encode("exactOutputSingle", params)


def exact_input(kind: str, v3_path: bytes, recipient: str, amount: int, min_out: int = 0) -> bytes:
    if kind == "SwapRouter":
        return router(kind).encode("exactInput", (v3_path, recipient, DEADLINE, amount, min_out))
    return router(kind).encode("exactInput", (v3_path, recipient, amount, min_out))


def exact_output(
    kind: str, v3_path: bytes, recipient: str, amount: int, max_in: int = MAX_UINT >> 1
) -> bytes:
    if kind == "SwapRouter":
        return router(kind).encode("exactOutput", (v3_path, recipient, DEADLINE, amount, max_in))
    return router(kind).encode("exactOutput", (v3_path, recipient, amount, max_in))


def multicall(kind: str, calls: list[bytes]) -> bytes:
    iface = router(kind)
    if kind == "SwapRouter02":
        return iface.encode("multicall(uint256,bytes[])", DEADLINE, calls)
    return iface.encode("multicall", calls)


def universal(commands: list[tuple[int, bytes]]) -> bytes:
    """UniversalRouter.execute(commands, inputs, deadline)."""
    iface = router("UniversalRouter")
    return iface.encode(
        "execute(bytes,bytes[],uint256)", bytes(c for c, _ in commands), [i for _, i in commands], DEADLINE
    )


def ur_v3_swap(recipient: str, amount: int, limit: int, v3_path: bytes, payer_is_user: bool = True) -> bytes:
    return encode(
        ["address", "uint256", "uint256", "bytes", "bool"], [recipient, amount, limit, v3_path, payer_is_user]
    )


USDC, WETH, USDT, DAI, WBTC = mainnet.USDC, mainnet.WETH, mainnet.USDT, mainnet.DAI, mainnet.WBTC
