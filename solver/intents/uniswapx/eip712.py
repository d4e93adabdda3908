"""EIP-712 as the reactors and Permit2 compute it: type strings, struct hashes, the Permit2 witness digest.

The type strings are assembled exactly as the Solidity libraries assemble them (OrderInfoLib, DutchOrderLib,
V2/V3DutchOrderLib, PriorityOrderLib), so `keccak(...)` of a struct here is the `order.hash()` the reactor
computes. Hashing packs 32-byte words directly (no ABI encoder) because signature screening runs per order;
`typed_data()` gives the same digest through eth-account's `encode_typed_data` (tests prove they agree).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_utils import keccak

from amm.chain.addresses import PERMIT2
from solver.intents.uniswapx.types import OrderInfo

ORDER_INFO_TYPE = (
    "OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,"
    "address additionalValidationContract,bytes additionalValidationData)"
)
TOKEN_PERMISSIONS_TYPE = "TokenPermissions(address token,uint256 amount)"
DUTCH_OUTPUT_TYPE = "DutchOutput(address token,uint256 startAmount,uint256 endAmount,address recipient)"

ORDER_INFO_TYPE_HASH = keccak(text=ORDER_INFO_TYPE)
TOKEN_PERMISSIONS_TYPE_HASH = keccak(text=TOKEN_PERMISSIONS_TYPE)
DUTCH_OUTPUT_TYPE_HASH = keccak(text=DUTCH_OUTPUT_TYPE)
DOMAIN_TYPE = "EIP712Domain(string name,uint256 chainId,address verifyingContract)"
DOMAIN_TYPE_HASH = keccak(text=DOMAIN_TYPE)
PERMIT2_NAME_HASH = keccak(text="Permit2")
PERMIT_WITNESS_STUB = (
    "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,"
)


def fields(type_string: str) -> list[dict[str, str]]:
    """The EIP-712 member list of the first struct in a type string, e.g. "Foo(address a,uint256 b)Bar(...)"
    -> [{"name": "a", "type": "address"}, ...]: typed data built from the same strings the reactors hash."""
    body = type_string[type_string.index("(") + 1 : type_string.index(")")]
    return [{"name": name, "type": kind} for kind, name in (member.split(" ") for member in body.split(","))]


ORDER_INFO_FIELDS = fields(ORDER_INFO_TYPE)
TOKEN_PERMISSIONS_FIELDS = fields(TOKEN_PERMISSIONS_TYPE)
DUTCH_OUTPUT_FIELDS = fields(DUTCH_OUTPUT_TYPE)


def word(value: int | str | bytes) -> bytes:
    """One ABI word: an int (two's complement if negative), an address (0x-hex) or 32 raw bytes."""
    if isinstance(value, bytes):
        if len(value) != 32:
            raise ValueError("a word is 32 bytes")
        return value
    if isinstance(value, str):
        return int(value, 16).to_bytes(32, "big")
    return (value % 2**256).to_bytes(32, "big")


def struct_hash(type_hash: bytes, *values: int | str | bytes) -> bytes:
    """keccak256(abi.encode(typeHash, values...)) for static values (dynamic ones passed pre-hashed)."""
    return keccak(type_hash + b"".join(word(v) for v in values))


def hash_list(hashes: list[bytes]) -> bytes:
    """keccak256 of packed 32-byte hashes: how the libraries hash an array of structs."""
    return keccak(b"".join(hashes))


def order_info_hash(info: OrderInfo) -> bytes:
    return struct_hash(
        ORDER_INFO_TYPE_HASH,
        info.reactor,
        info.swapper,
        info.nonce,
        info.deadline,
        info.additional_validation_contract,
        keccak(info.additional_validation_data),
    )


def dutch_output_hash(token: str, start_amount: int, end_amount: int, recipient: str) -> bytes:
    return struct_hash(DUTCH_OUTPUT_TYPE_HASH, token, start_amount, end_amount, recipient)


@lru_cache(maxsize=64)
def domain_separator(chain_id: int, permit2: str = PERMIT2) -> bytes:
    """Permit2's EIP-712 domain separator (name "Permit2", no version)."""
    return struct_hash(DOMAIN_TYPE_HASH, PERMIT2_NAME_HASH, chain_id, permit2)


def permit_witness_digest(
    *,
    chain_id: int,
    permit2: str,
    witness_type: str,
    token: str,
    max_amount: int,
    spender: str,
    nonce: int,
    deadline: int,
    witness: bytes,
) -> bytes:
    """The digest Permit2's permitWitnessTransferFrom checks the swapper's signature against."""
    type_hash = _witness_type_hash(witness_type)
    permitted = struct_hash(TOKEN_PERMISSIONS_TYPE_HASH, token, max_amount)
    message = struct_hash(type_hash, permitted, spender, nonce, deadline, witness)
    return keccak(b"\x19\x01" + domain_separator(chain_id, permit2) + message)


@lru_cache(maxsize=16)
def _witness_type_hash(witness_type: str) -> bytes:
    return keccak(text=PERMIT_WITNESS_STUB + witness_type)


def uint_array(values: tuple[int, ...] | list[int]) -> bytes:
    """The tail of a dynamic uint256[] in abi.encode: its length, then its words."""
    return word(len(values)) + b"".join(word(v) for v in values)


def order_info_message(info: OrderInfo) -> dict[str, Any]:
    return {
        "reactor": info.reactor,
        "swapper": info.swapper,
        "nonce": info.nonce,
        "deadline": info.deadline,
        "additionalValidationContract": info.additional_validation_contract,
        "additionalValidationData": info.additional_validation_data,
    }


def typed_data(
    *,
    chain_id: int,
    permit2: str,
    witness_name: str,
    witness_types: dict[str, list[dict[str, str]]],
    witness: dict[str, Any],
    token: str,
    max_amount: int,
    spender: str,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The PermitWitnessTransferFrom typed data a wallet signs (eth-account's `full_message` shape)."""
    return {
        "types": {
            "EIP712Domain": fields(DOMAIN_TYPE),
            "PermitWitnessTransferFrom": fields(f"{PERMIT_WITNESS_STUB}{witness_name} witness)"),
            "TokenPermissions": TOKEN_PERMISSIONS_FIELDS,
            **witness_types,
        },
        "primaryType": "PermitWitnessTransferFrom",
        "domain": {"name": "Permit2", "chainId": chain_id, "verifyingContract": permit2},
        "message": {
            "permitted": {"token": token, "amount": max_amount},
            "spender": spender,
            "nonce": nonce,
            "deadline": deadline,
            "witness": witness,
        },
    }
