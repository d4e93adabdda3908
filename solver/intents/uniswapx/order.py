"""What every UniswapX order kind shares: ABI bytes in and out, the order hash, the Permit2 witness digest,
the swapper's signature, and (for cosigned kinds) the cosignature.

A kind subclasses `Order` with its fields, its ABI tuple type, its struct hash and its `resolve`. Orders are
immutable; anything derived from their bytes (hash, digest, recovered cosigner) is computed once.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import cached_property
from typing import Any, ClassVar, Self

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError

from solver.intents.uniswapx import eip712, signing
from solver.intents.uniswapx.errors import InvalidSignature, MalformedOrder, OrderError, OrderReverts
from solver.intents.uniswapx.types import OrderInfo, ResolvedOrder, checksum

ORDER_INFO_ABI = "(address,address,uint256,uint256,address,bytes)"


def info_from_abi(value: tuple) -> OrderInfo:
    reactor, swapper, nonce, deadline, validation_contract, validation_data = value
    return OrderInfo(
        checksum(reactor), checksum(swapper), nonce, deadline, checksum(validation_contract), validation_data
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Order(ABC):
    """A signed-intent order of one UniswapX kind, bound to the chain (and Permit2) it is signed for."""

    KIND: ClassVar[str]
    ABI_TYPE: ClassVar[str]  # the Solidity struct as an eth-abi tuple type
    WITNESS_NAME: ClassVar[str]  # the witness struct's EIP-712 name
    WITNESS_TYPE: ClassVar[str]  # the Permit2 witness type string the reactor passes to Permit2

    info: OrderInfo
    chain_id: int
    permit2: str = eip712.PERMIT2

    # -- bytes ------------------------------------------------------------------------------------
    @abstractmethod
    def abi_value(self) -> tuple:
        """The struct as eth-abi values, in Solidity field order."""

    @classmethod
    @abstractmethod
    def from_abi(cls, value: tuple, *, chain_id: int, permit2: str) -> Self:
        """Build from decoded eth-abi values."""

    def encode(self) -> bytes:
        """`abi.encode(order)`: the `order` bytes of the SignedOrder the reactor takes."""
        return abi_encode([self.ABI_TYPE], [self.abi_value()])

    @classmethod
    def parse(cls, encoded: bytes | str, *, chain_id: int, permit2: str = eip712.PERMIT2) -> Self:
        """Decode the reactor's bytes; anything its `abi.decode` would refuse raises MalformedOrder."""
        try:
            raw = signing.as_bytes(encoded)
        except (ValueError, TypeError) as err:
            raise MalformedOrder(f"the order is not hex: {err}") from None
        try:
            (value,) = abi_decode([cls.ABI_TYPE], raw)
            return cls.from_abi(value, chain_id=chain_id, permit2=checksum(permit2))
        except (DecodingError, ValueError, TypeError, OverflowError, IndexError) as err:
            reason = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            raise MalformedOrder(
                f"not an ABI-encoded {cls.KIND} order ({len(raw)} bytes): {reason}"
            ) from None

    # -- hashes -----------------------------------------------------------------------------------
    @abstractmethod
    def struct_hash(self) -> bytes:
        """The EIP-712 struct hash of the order: what the reactor computes as `order.hash()`."""

    @cached_property
    def hash_bytes(self) -> bytes:
        return self.struct_hash()

    @property
    def hash(self) -> str:
        """The order hash as the reactor computes it (0x-hex): the Fill event's orderHash."""
        return "0x" + self.hash_bytes.hex()

    @property
    @abstractmethod
    def permit_token(self) -> str:
        """The token Permit2 transfers from the swapper."""

    @property
    @abstractmethod
    def permit_amount(self) -> int:
        """The maximum the swapper's permit covers (the resolved input's maxAmount)."""

    @property
    @abstractmethod
    def min_outputs(self) -> dict[str, int]:
        """The least the swapper's recipients may receive per output token (lower-case address, summed), as
        signed: the limit a swapper's surplus is measured against (with `permit_amount` on the input)."""

    @cached_property
    def _permit_digest(self) -> bytes:
        return eip712.permit_witness_digest(
            chain_id=self.chain_id,
            permit2=self.permit2,
            witness_type=self.WITNESS_TYPE,
            token=self.permit_token,
            max_amount=self.permit_amount,
            spender=self.info.reactor,
            nonce=self.info.nonce,
            deadline=self.info.deadline,
            witness=self.hash_bytes,
        )

    def permit_digest(self) -> bytes:
        """The EIP-712 digest of Permit2's PermitWitnessTransferFrom that the swapper signs."""
        return self._permit_digest

    @abstractmethod
    def witness_typed_data(self) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
        """(EIP-712 types of the witness struct and the structs it uses, the witness message)."""

    def typed_data(self) -> dict[str, Any]:
        """The PermitWitnessTransferFrom typed data (eth-account `full_message`), as a wallet shows it."""
        types, witness = self.witness_typed_data()
        return eip712.typed_data(
            chain_id=self.chain_id,
            permit2=self.permit2,
            witness_name=self.WITNESS_NAME,
            witness_types=types,
            witness=witness,
            token=self.permit_token,
            max_amount=self.permit_amount,
            spender=self.info.reactor,
            nonce=self.info.nonce,
            deadline=self.info.deadline,
        )

    # -- signatures -------------------------------------------------------------------------------
    def sign(self, private_key: Any) -> bytes:
        """The swapper's signature of the permit (eth-account `sign_typed_data` over `typed_data()`)."""
        return signing.sign_typed_data(private_key, self.typed_data())

    def signer(self, signature: bytes | str) -> str:
        """The address Permit2 recovers from `signature` (checksummed); InvalidSignature if none."""
        return signing.recover_permit_signer(self.permit_digest(), signature)

    # -- resolution -------------------------------------------------------------------------------
    @abstractmethod
    def resolve(
        self,
        *,
        timestamp: int,
        block_number: int | None = None,
        base_fee: int | None = None,
        priority_fee: int | None = None,
        filler: str | None = None,
    ) -> ResolvedOrder:
        """The input and outputs as the reactor resolves them in a block with this timestamp (and number, base
        fee, and the filler's priority fee), for `filler` (None: a filler without exclusive rights).
        Raises OrderReverts (with its Rejection code) where the reactor or Permit2 would revert."""

    def _check_deadline(self, timestamp: int, error: str = "SignatureExpired") -> None:
        """Permit2 refuses an order after its deadline (the V3 and Priority reactors already while resolving,
        with their own `error`)."""
        if timestamp > self.info.deadline:
            raise OrderReverts(
                f"the deadline {self.info.deadline} has passed (block time {timestamp})",
                code="expired_deadline",
                error=error,
            )

    def resolved(self, input_token: Any, outputs: list[Any]) -> ResolvedOrder:
        return ResolvedOrder(self.KIND, self.hash, self.info, input_token, tuple(outputs))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosignedOrder(Order):
    """A kind whose resolution a cosigner refines (V2, V3, Priority): raw ECDSA over a cosigner digest."""

    cosigner: str
    cosignature: bytes = b""

    @abstractmethod
    def cosigner_digest(self) -> bytes:
        """What the cosigner signs: keccak(orderHash [, chainId], abi.encode(cosignerData))."""

    @cached_property
    def _cosigner_or_error(self) -> str | OrderError:
        try:
            return signing.recover_cosigner(self.cosigner_digest(), self.cosignature)
        except InvalidSignature as err:
            return err

    def recover_cosigner(self) -> str:
        """The address the reactor's ecrecover gets from the cosignature; InvalidSignature if none."""
        recovered = self._cosigner_or_error
        if isinstance(recovered, OrderError):
            raise recovered
        return recovered

    def verify_cosignature(self) -> None:
        """CosignerLib.verify: raises OrderReverts(invalid_cosignature) where the reactor would revert."""
        recovered = self._cosigner_or_error
        if isinstance(recovered, OrderError) or recovered != self.cosigner:
            got = recovered.reason if isinstance(recovered, OrderError) else f"it recovers {recovered}"
            raise OrderReverts(
                f"the cosignature is not {self.cosigner}'s: {got}",
                code="invalid_cosignature",
                error="InvalidCosignature",
            )

    def cosign(self, private_key: Any) -> Self:
        """This order with its cosigner data signed by `private_key` (raw ECDSA, as the reactor verifies)."""
        return dataclasses.replace(self, cosignature=signing.sign_digest(private_key, self.cosigner_digest()))


def summed(amounts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Amounts per token (lower-case address), summed."""
    totals: dict[str, int] = {}
    for token, amount in amounts:
        totals[token.lower()] = totals.get(token.lower(), 0) + amount
    return totals
