"""Encode calls and decode results and logs from a contract ABI, with eth_abi and no provider.

web3's Contract objects need a provider and cost milliseconds per call; bulk reads and test transactions
only need calldata, which this builds in microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import abi_to_signature, collapse_if_tuple

from amm.chain.errors import ChainError


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    def encode(self, *args: Any) -> bytes:
        return self.selector + encode(list(self.input_types), list(args))

    def decode(self, data: bytes) -> Any:
        """The decoded outputs: a single value when the function returns one, else a tuple."""
        values = decode(list(self.output_types), data)
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    topic: bytes
    indexed: tuple[tuple[str, str], ...]  # (name, type) of indexed inputs, in order
    data: tuple[tuple[str, str], ...]  # (name, type) of the others

    def decode(self, log: dict[str, Any]) -> dict[str, Any]:
        """Decode one eth_getLogs/receipt log into {input name: value}."""
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        if not topics or topics[0] != self.topic:
            raise ChainError(f"log is not a {self.name} event")
        out: dict[str, Any] = {}
        for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
            out[name] = decode([typ], topic)[0]
        values = decode([t for _, t in self.data], bytes.fromhex(log["data"][2:]))
        out.update({name: value for (name, _), value in zip(self.data, values, strict=True)})
        return out


class ContractInterface:
    """Functions and events of one ABI, looked up by name or by full signature for overloads."""

    def __init__(self, abi: Sequence[dict[str, Any]], name: str = "contract") -> None:
        self.name = name
        self.abi = list(abi)
        self.functions: dict[str, Function] = {}
        self.events: dict[str, Event] = {}
        self.constructor_types: tuple[str, ...] = ()
        self.errors: dict[bytes, tuple[str, tuple[str, ...]]] = {}  # selector -> (name, argument types)
        for item in self.abi:
            kind = item.get("type", "function")
            if kind == "function":
                self._add_function(item)
            elif kind == "event":
                self._add_event(item)
            elif kind == "error":
                types = tuple(collapse_if_tuple(i) for i in item.get("inputs", []))
                self.errors[keccak(text=f"{item['name']}({','.join(types)})")[:4]] = (item["name"], types)
            elif kind == "constructor":
                self.constructor_types = tuple(collapse_if_tuple(i) for i in item.get("inputs", []))

    def _add_function(self, item: dict[str, Any]) -> None:
        signature = abi_to_signature(item)
        fn = Function(
            name=item["name"],
            signature=signature,
            selector=keccak(text=signature)[:4],
            input_types=tuple(collapse_if_tuple(i) for i in item.get("inputs", [])),
            output_types=tuple(collapse_if_tuple(o) for o in item.get("outputs", [])),
        )
        self.functions[signature] = fn
        self.functions.setdefault(fn.name, fn)  # the first overload answers to the bare name

    def _add_event(self, item: dict[str, Any]) -> None:
        inputs = item.get("inputs", [])
        signature = abi_to_signature(item)
        self.events[item["name"]] = Event(
            name=item["name"],
            topic=keccak(text=signature),
            indexed=tuple((i["name"], collapse_if_tuple(i)) for i in inputs if i.get("indexed")),
            data=tuple((i["name"], collapse_if_tuple(i)) for i in inputs if not i.get("indexed")),
        )

    def decode_error(self, data: bytes) -> str | None:
        """A custom error of this ABI as `Name(arg, ...)` (addresses checksummed, bytes as hex), or None when
        the payload is not one of them."""
        known = self.errors.get(bytes(data[:4]))
        if known is None:
            return None
        name, types = known
        try:
            values = decode(list(types), bytes(data[4:]))
        except Exception:  # a known selector with malformed arguments: not decodable
            return None
        return f"{name}({', '.join(_shown(v) for v in values)})"

    def fn(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            raise ChainError(f"{self.name} has no function {name!r}") from None

    def event(self, name: str) -> Event:
        try:
            return self.events[name]
        except KeyError:
            raise ChainError(f"{self.name} has no event {name!r}") from None

    def encode(self, name: str, *args: Any) -> bytes:
        return self.fn(name).encode(*args)

    def decode(self, name: str, data: bytes) -> Any:
        return self.fn(name).decode(data)

    def encode_constructor(self, *args: Any) -> bytes:
        return encode(list(self.constructor_types), list(args)) if self.constructor_types else b""


def _shown(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return str(value)
