"""The plain data of UniswapX orders: what every kind shares (OrderInfo) and what a reactor resolves to.

Field names follow the reactors' Solidity structs (snake_case), amounts are Python ints in raw token
units, and addresses are checksummed. `ResolvedOrder` is what the reactor passes to a filler's callback:
the input it pulls from the swapper and the outputs the filler must pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from eth_utils import to_checksum_address

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """EIP-55 form, memoised: orders repeat the same few addresses (reactors, tokens, swappers, signers)
    and eth-utils' checksum costs ~50 µs, more than decoding the address."""
    return to_checksum_address(address)


@dataclass(frozen=True)
class OrderInfo:
    """UniswapX OrderInfo: which reactor, whose order, the Permit2 nonce and deadline, optional validation."""

    reactor: str
    swapper: str
    nonce: int
    deadline: int
    additional_validation_contract: str = ZERO_ADDRESS
    additional_validation_data: bytes = b""

    def as_tuple(self) -> tuple:
        return (
            self.reactor,
            self.swapper,
            self.nonce,
            self.deadline,
            self.additional_validation_contract,
            self.additional_validation_data,
        )


@dataclass(frozen=True)
class DutchInput:
    """DutchInput: the input decays upward from start to end (the swapper pays more as time passes)."""

    token: str
    start_amount: int
    end_amount: int

    def as_tuple(self) -> tuple:
        return (self.token, self.start_amount, self.end_amount)


@dataclass(frozen=True)
class DutchOutput:
    """DutchOutput: an output decays downward from start to end (the swapper accepts less as time passes)."""

    token: str
    start_amount: int
    end_amount: int
    recipient: str

    def as_tuple(self) -> tuple:
        return (self.token, self.start_amount, self.end_amount, self.recipient)


@dataclass(frozen=True)
class InputToken:
    """A resolved input: `amount` is pulled from the swapper; `max_amount` is what the permit covers."""

    token: str
    amount: int
    max_amount: int


@dataclass(frozen=True)
class OutputToken:
    """A resolved output: `amount` of `token` the filler must deliver to `recipient` (token 0x0 = ETH)."""

    token: str
    amount: int
    recipient: str


@dataclass(frozen=True)
class ResolvedOrder:
    """An order resolved at a point in time, as the reactor resolves it. `Order.resolve` needs no chain, so
    it leaves out protocol fee outputs, which the reactor's fee controller adds where one is set;
    `solver.settlement.uniswapx.with_protocol_fees` asks the controller and appends them."""

    kind: str
    hash: str
    info: OrderInfo
    input: InputToken
    outputs: tuple[OutputToken, ...]

    def output_totals(self) -> dict[str, int]:
        """What the filler owes per token (outputs of the same token summed)."""
        totals: dict[str, int] = {}
        for output in self.outputs:
            totals[output.token] = totals.get(output.token, 0) + output.amount
        return totals

    def to_dict(self) -> dict:
        """JSON-safe: on-chain integers as decimal strings."""
        return {
            "kind": self.kind,
            "hash": self.hash,
            "swapper": self.info.swapper,
            "reactor": self.info.reactor,
            "nonce": str(self.info.nonce),
            "deadline": self.info.deadline,
            "input": {
                "token": self.input.token,
                "amount": str(self.input.amount),
                "max_amount": str(self.input.max_amount),
            },
            "outputs": [
                {"token": o.token, "amount": str(o.amount), "recipient": o.recipient} for o in self.outputs
            ],
        }
