"""A signed GPv2 order: owner, signing scheme and the signature bytes as the settlement decodes them.

The four schemes of GPv2Signing: `eip712` (r||s||v over the order digest), `ethsign` (the same over
"\\x19Ethereum Signed Message:\\n32" || digest), `eip1271` (the owner contract's address || the bytes its
`isValidSignature(digest, bytes)` accepts) and `presign` (the owner's address; the owner called
`setPreSignature(uid, true)` on chain). ECDSA recovery mirrors the precompile (exactly 65 bytes, any v the
precompile refuses recovers nothing); the two on-chain schemes are verified by `checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from solver.intents.cow.order import CowOrder
from solver.intents.uniswapx.signing import ecrecover

SCHEMES = ("eip712", "ethsign", "eip1271", "presign")
SCHEME_CODE = {name: code for code, name in enumerate(SCHEMES)}
PRE_SIGNED = keccak(b"GPv2Signing.Scheme.PreSign")  # what `preSignature[uid]` holds once pre-signed
ETHSIGN_PREFIX = b"\x19Ethereum Signed Message:\n32"


class SignatureError(ValueError):
    """A signature the settlement would refuse to decode or recover (one line)."""


@dataclass(frozen=True)
class SignedCowOrder:
    """An order, who owns it, how it is signed, and for which chain and settlement."""

    order: CowOrder
    owner: str
    scheme: str
    signature: bytes  # as the trade carries it (for eip1271 and presign: starting with the owner)
    chain_id: int
    settlement: str = mainnet.GPV2_SETTLEMENT
    known_uid: bytes | None = None  # the UID an auction gave (the driver's chain computed it)

    @property
    def digest(self) -> bytes:
        return self.order.digest(self.chain_id, self.settlement)

    @property
    def uid(self) -> bytes:
        return self.known_uid or self.order.uid(self.owner, self.chain_id, self.settlement)

    @property
    def receiver(self) -> str:
        return self.order.receiver_or(self.owner)

    @property
    def flags(self) -> int:
        return self.order.flags(SCHEME_CODE[self.scheme])

    def recovered_owner(self) -> str:
        """The owner the settlement derives from the signature (for eip712/ethsign: by ECDSA recovery, so a
        signature by another key yields another owner, whose UID the order then is not)."""
        return recover_owner(self.order, self.scheme, self.signature, self.chain_id, self.settlement)


def recover_owner(order: CowOrder, scheme: str, signature: bytes, chain_id: int, settlement: str) -> str:
    """What GPv2Signing.recoverOrderSigner returns offline; raises SignatureError where it reverts."""
    if scheme not in SCHEME_CODE:
        raise SignatureError(f"unknown signing scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    digest = order.digest(chain_id, settlement)
    if scheme in ("eip712", "ethsign"):
        if len(signature) != 65:
            raise SignatureError(f"an ECDSA signature is 65 bytes, got {len(signature)}")
        message = digest if scheme == "eip712" else keccak(ETHSIGN_PREFIX + digest)
        r, s, v = (
            int.from_bytes(signature[:32], "big"),
            int.from_bytes(signature[32:64], "big"),
            signature[64],
        )
        owner = ecrecover(message, v, r, s)
        if owner is None:
            raise SignatureError("the signature recovers no address")
        return owner
    if scheme == "presign" and len(signature) != 20:
        raise SignatureError(f"a pre-signature is the owner's 20-byte address, got {len(signature)} bytes")
    if len(signature) < 20:
        raise SignatureError("an EIP-1271 signature starts with the owner's 20-byte address")
    return to_checksum_address(signature[:20])


# -- signing ------------------------------------------------------------------------------------------------
def sign(
    order: CowOrder,
    private_key: Any,
    chain_id: int,
    *,
    scheme: str = "eip712",
    settlement: str = mainnet.GPV2_SETTLEMENT,
) -> SignedCowOrder:
    """Sign as an EOA: `eip712` (eth-account's `encode_typed_data`) or `ethsign` (EIP-191 of the digest)."""
    account = Account.from_key(private_key)
    if scheme == "eip712":
        message = encode_typed_data(full_message=order.typed_data(chain_id, settlement))
        signature = bytes(account.sign_message(message).signature)
    elif scheme == "ethsign":
        signature = bytes(
            Account.unsafe_sign_hash(
                keccak(ETHSIGN_PREFIX + order.digest(chain_id, settlement)), private_key
            ).signature
        )
    else:
        raise SignatureError(f"an EOA signs with eip712 or ethsign, not {scheme!r}")
    return SignedCowOrder(
        order, to_checksum_address(account.address), scheme, signature, chain_id, settlement
    )


def eip1271(
    order: CowOrder,
    owner: str,
    contract_signature: bytes,
    chain_id: int,
    settlement: str = mainnet.GPV2_SETTLEMENT,
) -> SignedCowOrder:
    """An order owned by a contract: `contract_signature` is what its `isValidSignature(digest, _)` takes."""
    owner = to_checksum_address(owner)
    return SignedCowOrder(
        order, owner, "eip1271", bytes.fromhex(owner[2:]) + contract_signature, chain_id, settlement
    )


def presign(
    order: CowOrder, owner: str, chain_id: int, settlement: str = mainnet.GPV2_SETTLEMENT
) -> SignedCowOrder:
    """An order its owner pre-signs on chain (`setPreSignature(uid, true)`, see `set_presignature_call`)."""
    owner = to_checksum_address(owner)
    return SignedCowOrder(order, owner, "presign", bytes.fromhex(owner[2:]), chain_id, settlement)
