"""Signatures as Permit2 and the reactors' CosignerLib check them, and signing with eth-account.

Recovery mirrors the `ecrecover` precompile: a 65-byte r||s||v signature with v in {27, 28} (Permit2 also
takes EIP-2098's 64-byte r||vs), r and s in (0, n); high-s values are accepted, as ecrecover accepts them.
Anything else recovers no address, which the contracts treat as invalid. eth-keys uses libsecp256k1
(coincurve) when installed, which is what makes screening thousands of orders a second possible.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_keys import KeyAPI
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import to_checksum_address

from solver.intents.uniswapx.errors import InvalidSignature
from solver.intents.uniswapx.types import checksum

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_keys = KeyAPI()


def as_bytes(value: bytes | str) -> bytes:
    """Bytes from bytes or 0x-hex text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    text = value[2:] if value[:2] in ("0x", "0X") else value
    return bytes.fromhex(text)


def ecrecover(digest: bytes, v: int, r: int, s: int) -> str | None:
    """The address the precompile returns, or None where it returns zero."""
    if v not in (27, 28) or not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        return None
    try:
        key = _keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError, ValueError):
        return None
    return checksum(key.to_address())


def recover_permit_signer(digest: bytes, signature: bytes | str) -> str:
    """The EOA Permit2's SignatureVerification recovers; raises InvalidSignature where it would revert."""
    sig = as_bytes(signature)
    if len(sig) == 65:
        r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    elif len(sig) == 64:  # EIP-2098 compact: the top bit of vs is the parity
        r, vs = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        s, v = vs & ((1 << 255) - 1), (vs >> 255) + 27
    else:
        raise InvalidSignature(
            f"a signature is 65 bytes (or 64, EIP-2098), got {len(sig)}", error="InvalidSignatureLength"
        )
    signer = ecrecover(digest, v, r, s)
    if signer is None:
        raise InvalidSignature("the signature recovers no address", error="InvalidSignature")
    return signer


def recover_cosigner(digest: bytes, cosignature: bytes | str) -> str:
    """CosignerLib.verify's ecrecover: r, s from the first 64 bytes, v from byte 64 (extra bytes ignored)."""
    sig = as_bytes(cosignature)
    if len(sig) < 65:
        raise InvalidSignature(
            f"a cosignature is 65 bytes, got {len(sig)}", code="invalid_cosignature", error="Panic"
        )
    signer = ecrecover(digest, sig[64], int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"))
    if signer is None:
        raise InvalidSignature(
            "the cosignature recovers no address", code="invalid_cosignature", error="InvalidCosignature"
        )
    return signer


def sign_typed_data(private_key: Any, full_message: dict[str, Any]) -> bytes:
    """The swapper's EIP-712 signature (r||s||v, v in {27, 28}), made by eth-account."""
    return bytes(Account.sign_typed_data(private_key, full_message=full_message).signature)


def sign_digest(private_key: Any, digest: bytes) -> bytes:
    """A raw ECDSA signature of a 32-byte digest (no EIP-191 prefix): what CosignerLib verifies."""
    return bytes(Account.unsafe_sign_hash(digest, private_key).signature)


def address_of(private_key: Any) -> str:
    return to_checksum_address(Account.from_key(private_key).address)
