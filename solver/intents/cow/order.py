"""The GPv2 order as GPv2Settlement hashes it: struct, EIP-712 digest, order UID, trade flags.

Field for field what `GPv2Order.Data` holds; `kind` and the balance kinds are the strings the EIP-712 type
names ("sell"/"buy", "erc20"/"external"/"internal"), hashed to the contract's markers. A `receiver` of the
zero address means the owner; `BUY_ETH` as the buy token asks for native ETH. Amounts are raw integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
BUY_ETH = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"  # GPv2Order.BUY_ETH_ADDRESS
ORDER_TYPE = (
    "Order(address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,"
    "uint32 validTo,bytes32 appData,uint256 feeAmount,string kind,bool partiallyFillable,"
    "string sellTokenBalance,string buyTokenBalance)"
)
ORDER_TYPE_HASH = keccak(ORDER_TYPE.encode())
DOMAIN_TYPE_HASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
DOMAIN_NAME, DOMAIN_VERSION = "Gnosis Protocol", "v2"
KINDS = ("sell", "buy")
SELL_BALANCES = ("erc20", "external", "internal")
BUY_BALANCES = ("erc20", "internal")
UINT256_MAX = 2**256 - 1
APP_DATA_ZERO = b"\0" * 32


class CowOrderError(ValueError):
    """An order the settlement would refuse to decode; one line naming the field."""


@dataclass(frozen=True)
class CowOrder:
    """One GPv2 order (what its owner signs)."""

    sell_token: str
    buy_token: str
    sell_amount: int
    buy_amount: int
    valid_to: int
    kind: str = "sell"
    receiver: str = ZERO_ADDRESS
    app_data: bytes = APP_DATA_ZERO
    fee_amount: int = 0
    partially_fillable: bool = False
    sell_token_balance: str = "erc20"
    buy_token_balance: str = "erc20"

    def __post_init__(self) -> None:
        for name in ("sell_token", "buy_token", "receiver"):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, to_checksum_address(value))
            except (ValueError, TypeError):
                raise CowOrderError(f"{name} {value!r:.50} is not an address") from None
        for name in ("sell_amount", "buy_amount", "fee_amount"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
                raise CowOrderError(f"{name} must be an integer in [0, 2**256), got {value!r:.50}")
        if (
            isinstance(self.valid_to, bool)
            or not isinstance(self.valid_to, int)
            or not 0 <= self.valid_to < 2**32
        ):
            raise CowOrderError(f"valid_to must be a uint32 timestamp, got {self.valid_to!r:.50}")
        if self.kind not in KINDS:
            raise CowOrderError(f"kind must be sell or buy, got {self.kind!r:.30}")
        if self.sell_token_balance not in SELL_BALANCES:
            raise CowOrderError(
                f"sell_token_balance must be one of {SELL_BALANCES}, got {self.sell_token_balance!r}"
            )
        if self.buy_token_balance not in BUY_BALANCES:
            raise CowOrderError(
                f"buy_token_balance must be one of {BUY_BALANCES}, got {self.buy_token_balance!r}"
            )
        if not isinstance(self.app_data, bytes) or len(self.app_data) != 32:
            raise CowOrderError("app_data must be 32 bytes")

    @property
    def is_sell(self) -> bool:
        return self.kind == "sell"

    def receiver_or(self, owner: str) -> str:
        """Who receives the bought tokens: the receiver, or the owner when it is the zero address."""
        return owner if self.receiver == ZERO_ADDRESS else self.receiver

    # -- hashing ----------------------------------------------------------------------------------
    def struct_hash(self) -> bytes:
        """`GPv2Order.hash`'s struct hash: the type hash and every field as one ABI word."""
        words = (
            ORDER_TYPE_HASH,
            _address_word(self.sell_token),
            _address_word(self.buy_token),
            _address_word(self.receiver),
            self.sell_amount.to_bytes(32, "big"),
            self.buy_amount.to_bytes(32, "big"),
            self.valid_to.to_bytes(32, "big"),
            self.app_data,
            self.fee_amount.to_bytes(32, "big"),
            keccak(self.kind.encode()),
            int(self.partially_fillable).to_bytes(32, "big"),
            keccak(self.sell_token_balance.encode()),
            keccak(self.buy_token_balance.encode()),
        )
        return keccak(b"".join(words))

    def digest(self, chain_id: int, settlement: str = mainnet.GPV2_SETTLEMENT) -> bytes:
        """The EIP-712 signing digest for the settlement at `settlement` on `chain_id`."""
        return keccak(b"\x19\x01" + domain_separator(chain_id, settlement) + self.struct_hash())

    def uid(self, owner: str, chain_id: int, settlement: str = mainnet.GPV2_SETTLEMENT) -> bytes:
        """The 56-byte order UID: digest, owner, validTo (what `filledAmount` and pre-signatures key on)."""
        return self.digest(chain_id, settlement) + bytes.fromhex(owner[2:]) + self.valid_to.to_bytes(4, "big")

    def flags(self, scheme: int) -> int:
        """The trade's packed flags (GPv2Trade.extractFlags): kind, fill, balances, signing scheme."""
        sell_balance = {"erc20": 0, "external": 0x08, "internal": 0x0C}[self.sell_token_balance]
        buy_balance = 0x10 if self.buy_token_balance == "internal" else 0
        return (
            (1 if self.kind == "buy" else 0)
            | (0x02 if self.partially_fillable else 0)
            | sell_balance
            | buy_balance
            | (scheme << 5)
        )

    def typed_data(self, chain_id: int, settlement: str = mainnet.GPV2_SETTLEMENT) -> dict[str, Any]:
        """The EIP-712 message a wallet (or eth-account's `encode_typed_data`) signs."""
        members = ORDER_TYPE[ORDER_TYPE.index("(") + 1 : -1].split(",")
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Order": [{"name": m.split(" ")[1], "type": m.split(" ")[0]} for m in members],
            },
            "primaryType": "Order",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": to_checksum_address(settlement),
            },
            "message": {
                "sellToken": self.sell_token,
                "buyToken": self.buy_token,
                "receiver": self.receiver,
                "sellAmount": self.sell_amount,
                "buyAmount": self.buy_amount,
                "validTo": self.valid_to,
                "appData": self.app_data,
                "feeAmount": self.fee_amount,
                "kind": self.kind,
                "partiallyFillable": self.partially_fillable,
                "sellTokenBalance": self.sell_token_balance,
                "buyTokenBalance": self.buy_token_balance,
            },
        }


def domain_separator(chain_id: int, settlement: str = mainnet.GPV2_SETTLEMENT) -> bytes:
    """GPv2Signing's domain separator ("Gnosis Protocol", "v2", chain id, the settlement's address)."""
    return keccak(
        DOMAIN_TYPE_HASH
        + keccak(DOMAIN_NAME.encode())
        + keccak(DOMAIN_VERSION.encode())
        + chain_id.to_bytes(32, "big")
        + _address_word(settlement)
    )


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])
