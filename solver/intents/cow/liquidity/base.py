"""What every auction liquidity model shares: errors, field parsing, and the quoting interface.

The driver serialises the auction with the `solvers-dto` crate, so the parsers here accept what those serde
types accept (not only what the OpenAPI YAML lists): token amounts are `HexOrDecimalU256` strings, decimals
(`fee`, `weight`, `scalingFactor`, `amplificationParameter`) are BigDecimal strings, ids are strings, and
unknown fields are ignored. Anything else raises `MalformedLiquidity`, a ValueError whose one-line message
names the field, so that the server can answer HTTP 400.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

MAX_U256 = (1 << 256) - 1
_HEX = frozenset("0123456789abcdefABCDEF")
_DECIMAL = re.compile(r"\+?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]{1,3})?|\+?\.[0-9]+([eE][+-]?[0-9]{1,3})?")


class MalformedLiquidity(ValueError):
    """A liquidity entry of the auction does not have the shape the solver API defines (-> HTTP 400)."""


class InfeasibleSwap(Exception):
    """The pool cannot do this swap (unknown token, not enough liquidity, the contract would revert).

    Deliberately not a ValueError: a swap a pool cannot do is a routing outcome, not a malformed request.
    """


# ----------------------------------------------------------------------------------------- field parsing
def field(entry: Mapping[str, Any], name: str, where: str) -> Any:
    """entry[name], or MalformedLiquidity naming the missing field."""
    if name not in entry:
        raise MalformedLiquidity(f"{where}: missing field `{name}`")
    return entry[name]


def parse_u256(value: Any, where: str) -> int:
    """A `HexOrDecimalU256`: a decimal string or a 0x-prefixed hex string, within uint256."""
    if not isinstance(value, str) or not value:
        raise MalformedLiquidity(f"{where}: expected a decimal or 0x-hex integer string, got {value!r:.60}")
    digits = value[2:] if value[:2] in ("0x", "0X") else None
    if len(value) > 100:  # no uint256 is this long; and int() of a huge string is slow
        number = -1
    elif digits is not None:
        number = int(digits, 16) if digits and all(c in _HEX for c in digits) else -1
    else:
        number = int(value, 10) if value.isascii() and value.isdigit() else -1
    if not 0 <= number <= MAX_U256:
        raise MalformedLiquidity(f"{where}: not a uint256: {value!r:.60}")
    return number


def parse_int_string(value: Any, where: str, bits: int, *, signed: bool) -> int:
    """A `DisplayFromStr` integer (u128 liquidity, i128 liquidityNet, i32 tick keys) within its width."""
    if not isinstance(value, str):
        raise MalformedLiquidity(f"{where}: expected an integer string, got {value!r:.60}")
    text = value[1:] if signed and value[:1] == "-" else value
    if not (text.isascii() and text.isdigit()) or len(text) > 60:
        raise MalformedLiquidity(f"{where}: not an integer: {value!r:.60}")
    number = int(value, 10)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= number <= high:
        raise MalformedLiquidity(f"{where}: out of range for {'i' if signed else 'u'}{bits}: {value!r:.60}")
    return number


def parse_decimal(value: Any, where: str) -> Fraction:
    """A BigDecimal (string, or a JSON number) as an exact non-negative rational.

    Plain decimals ("0.003", "5000.0") and a short exponent ("1e-3") are accepted; the length and the
    exponent are bounded so that a hostile value cannot make a huge integer.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedLiquidity(f"{where}: expected a decimal string, got {value!r:.60}")
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 200 or not _DECIMAL.fullmatch(text):
        raise MalformedLiquidity(f"{where}: not a non-negative decimal: {value!r:.60}")
    return Fraction(text)


def parse_address(value: Any, where: str) -> str:
    """A 20-byte hex address, returned lower-case (the driver's casing varies, comparisons must not)."""
    if (
        not isinstance(value, str)
        or len(value) != 42
        or value[:2] not in ("0x", "0X")
        or not all(c in _HEX for c in value[2:])
    ):
        raise MalformedLiquidity(f"{where}: not an address: {value!r:.60}")
    return "0x" + value[2:].lower()


def parse_string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise MalformedLiquidity(f"{where}: expected a string, got {value!r:.60}")
    return value


def parse_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedLiquidity(f"{where}: expected an object, got {type(value).__name__}")
    return value


def parse_token_map(
    entry: Mapping[str, Any], where: str, parse_reserve: Callable[[Mapping[str, Any], str], Any]
) -> dict[str, Any]:
    """The `tokens` object of a pool: address -> reserve, addresses unique once lower-cased."""
    tokens = parse_object(field(entry, "tokens", where), f"{where}.tokens")
    out: dict[str, Any] = {}
    for raw, reserve in tokens.items():
        address = parse_address(raw, f"{where}.tokens key")
        if address in out:
            raise MalformedLiquidity(f"{where}.tokens: duplicate token {address}")
        at = f"{where}.tokens[{address}]"
        out[address] = parse_reserve(parse_object(reserve, at), at)
    return out


def to_fixed_point(value: Fraction) -> int:
    """A rational as an 18-decimal fixed-point integer, truncated, as the solvers crate converts it."""
    return value.numerator * 10**18 // value.denominator


# ----------------------------------------------------------------------------------------- the interface
class Liquidity(ABC):
    """One entry of the auction's `liquidity` array, with exact swap math.

    `quote_exact_in` and `quote_exact_out` are what the on-chain contract computes for a single swap of that
    kind; `input_covering_output` is the input that, sold exact-in, yields at least the wanted output (what a
    solver pays for a buy through this liquidity; for Balancer it bumps the input as the reference solver
    does, because its exact-out math can undershoot its own exact-in math by a few wei).
    Token arguments are addresses in any casing.
    """

    kind: str = ""

    def __init__(self, id: str, address: str, gas_estimate: int) -> None:
        self.id = id
        self.address = address.lower()
        self.gas_estimate = gas_estimate

    @property
    @abstractmethod
    def tokens(self) -> tuple[str, ...]:
        """The tradable tokens (lower-case addresses)."""

    @abstractmethod
    def quote_exact_in(self, token_in: str, token_out: str, amount_in: int) -> int:
        """The output of selling exactly `amount_in`; raises InfeasibleSwap."""

    @abstractmethod
    def quote_exact_out(self, token_in: str, token_out: str, amount_out: int) -> int:
        """The input the contract charges to buy exactly `amount_out`; raises InfeasibleSwap."""

    def input_covering_output(self, token_in: str, token_out: str, amount_out: int) -> int:
        """An input whose exact-in swap yields at least `amount_out` (exact-out, then checked forwards)."""
        amount_in = self.quote_exact_out(token_in, token_out, amount_out)
        if self.quote_exact_in(token_in, token_out, amount_in) < amount_out:
            raise InfeasibleSwap(
                f"{self.kind} {self.id}: exact-in of {amount_in} does not cover {amount_out}"
            )
        return amount_in

    def _pair(self, token_in: str, token_out: str) -> tuple[str, str]:
        """Lower-cased (token_in, token_out), checked to be two different tokens of this liquidity."""
        tin, tout = token_in.lower(), token_out.lower()
        tokens = self.tokens
        if tin == tout or tin not in tokens or tout not in tokens:
            raise InfeasibleSwap(f"{self.kind} {self.id}: cannot swap {token_in} for {token_out}")
        return tin, tout

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r} address={self.address} tokens={self.tokens}>"


def check_amount(amount: int, what: str) -> None:
    """A swap amount must be a positive uint256 (the reference solver refuses zero)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be an int, got {type(amount).__name__}")
    if not 0 < amount <= MAX_U256:
        raise InfeasibleSwap(f"{what} must be a positive uint256, got {amount}")


def parse_common(entry: Mapping[str, Any], where: str) -> tuple[str, str, int]:
    """(id, address, gasEstimate), the fields every liquidity kind carries."""
    id_ = parse_string(field(entry, "id", where), f"{where}.id")
    address = parse_address(field(entry, "address", where), f"{where}.address")
    gas = parse_u256(field(entry, "gasEstimate", where), f"{where}.gasEstimate")
    return id_, address, gas
