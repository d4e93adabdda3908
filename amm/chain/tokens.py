"""ERC-20 reads and test funding.

`deal` writes a balance straight into a token's storage, like Foundry's `deal`: it finds the slot of the
`balanceOf` mapping by probing, so it works for our tokens on the built-in chain and for real mainnet tokens
on a fork (USDC's proxy, USDT, DAI, WBTC, WETH) without a per-token table.
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from amm.chain.errors import ChainError
from amm.chain.node import Contract, Node

ERC20 = "MintableERC20"  # its ABI is the plain ERC-20 interface plus mint()
MAX_UINT256 = 2**256 - 1
_PROBE = 0x5EED_0F_BA1A_4CE  # an unlikely balance, to recognise the slot we wrote
_slot_cache: dict[tuple[int, str], tuple[int, bool]] = {}


def erc20(node: Node, token: str) -> Contract:
    return node.contract(ERC20, token)


def balance_of(node: Node, token: str, owner: str, block: int | str = "latest") -> int:
    return int(erc20(node, token).call("balanceOf", owner, block=block))


def balances(node: Node, tokens: list[str], owner: str, block: int | str = "latest") -> list[int]:
    """Many balances in one JSON-RPC batch."""
    fn = erc20(node, tokens[0]).interface.fn("balanceOf") if tokens else None
    if fn is None:
        return []
    data = "0x" + fn.encode(owner).hex()
    tag = hex(block) if isinstance(block, int) else block
    raw = node.rpc.batch([("eth_call", [{"to": t, "data": data}, tag]) for t in tokens])
    return [int(r, 16) for r in raw]


def approve(node: Node, token: str, owner: str, spender: str, amount: int = MAX_UINT256) -> None:
    erc20(node, token).transact("approve", spender, amount, sender=owner)


def _mapping_slot(owner: str, slot: int, vyper: bool) -> int:
    key = (
        encode(["uint256", "address"], [slot, owner])
        if vyper
        else encode(["address", "uint256"], [owner, slot])
    )
    return int.from_bytes(keccak(key), "big")


def find_balance_slot(node: Node, token: str, *, max_slot: int = 64) -> tuple[int, bool]:
    """(slot of the balances mapping, whether keys are laid out Vyper-style), found by probing with anvil."""
    cache_key = (node.chain_id, token.lower())
    if cache_key in _slot_cache:
        return _slot_cache[cache_key]
    probe_owner = "0x000000000000000000000000000000000000dEaD"
    for slot in range(max_slot):
        for vyper in (False, True):
            storage_slot = _mapping_slot(probe_owner, slot, vyper)
            before = node.storage_at(token, storage_slot)
            node.set_storage_at(token, storage_slot, _PROBE)
            try:
                found = balance_of(node, token, probe_owner) == _PROBE
            finally:
                node.set_storage_at(token, storage_slot, before)
            if found:
                _slot_cache[cache_key] = (slot, vyper)
                return slot, vyper
    raise ChainError(f"cannot find the balance slot of token {token} in its first {max_slot} slots")


def deal(node: Node, token: str, owner: str, amount: int) -> None:
    """Set `owner`'s balance of `token` to `amount` (anvil only; total supply is left unchanged)."""
    slot, vyper = find_balance_slot(node, token)
    node.set_storage_at(token, _mapping_slot(owner, slot, vyper), amount)
    if balance_of(node, token, owner) != amount:
        raise ChainError(f"deal did not take for token {token}: does it pack balances with flags?")
