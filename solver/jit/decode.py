"""Decode a pending raw transaction into the v3 pool swaps it will make, or a reason to skip it.

A JIT plan needs, for the pool it will provide on, the exact `swap(zeroForOne, amountSpecified, limit)` the
pool will see. Routers give that directly for the first hop; later hops of a multi-hop path get the output (or
owe the input) of the hops before them, so their amounts are derived by quoting those hops on the exact pool
models, in the order the router runs them. Understood shapes: SwapRouter and SwapRouter02 `exactInputSingle`,
`exactInput`, `exactOutputSingle`, `exactOutput` (also inside any `multicall`), a direct `pool.swap`, and the
Universal Router's `V3_SWAP_EXACT_IN` / `V3_SWAP_EXACT_OUT` commands. Everything else comes back as a `Skip`
with a stable `reason`; decoding never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_abi import decode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.abi import Function
from amm.errors import Revert
from amm.v3.pool import Pool

UNIVERSAL_ROUTER = "0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af"
"""The Universal Router 2.x on mainnet (deploy `@uniswap/universal-router@2.1.0` here on a test chain)."""

DEFAULT_ROUTERS: dict[str, str] = {
    mainnet.SWAP_ROUTER: "SwapRouter",
    mainnet.SWAP_ROUTER_02: "SwapRouter02",
    UNIVERSAL_ROUTER: "UniversalRouter",
}

V3_SWAP_EXACT_IN = 0x00
V3_SWAP_EXACT_OUT = 0x01
WRAP_ETH = 0x0B
_UR_COMMAND_MASK = 0x3F
_UR_CONTRACT_BALANCE = 1 << 255  # Universal Router: "the router's whole balance"
_ROUTER02_CONTRACT_BALANCE = 0  # SwapRouter02: amountIn 0 means "the router's whole balance"


@dataclass(frozen=True)
class SwapLeg:
    """One pool swap of the transaction, as the pool will be called."""

    hop: int  # position in the token path (0: the pool the input enters first)
    pool: str
    token_in: str
    token_out: str
    fee: int
    zero_for_one: bool
    amount_specified: int  # the pool's argument: > 0 exact input, < 0 exact output
    sqrt_price_limit_x96: int  # 0: none (a router's default: MIN/MAX_SQRT_RATIO -/+ 1); a pool call: as is
    derived: bool  # the amount was derived by quoting the earlier hops on the models


@dataclass(frozen=True)
class PendingSwap:
    """A decoded pending transaction: who sends it, through what, and the pool swaps it makes."""

    tx_hash: str
    raw: bytes = field(repr=False)
    sender: str
    to: str
    nonce: int
    gas_limit: int
    value: int
    via: str  # "SwapRouter", "SwapRouter02", "UniversalRouter" or "pool"
    call: str  # e.g. "exactInputSingle", "multicall/exactInput", "execute/V3_SWAP_EXACT_IN"
    exact_input: bool
    amount: int  # the whole input (exact input) or output (exact output) of the first swap call
    limit: int  # its amountOutMinimum / amountInMaximum (0 for a direct pool swap)
    legs: tuple[SwapLeg, ...]

    def leg_on(self, pool: str) -> SwapLeg | None:
        """The swap this transaction makes on `pool` (None if none)."""
        return next((leg for leg in self.legs if leg.pool.lower() == pool.lower()), None)


@dataclass(frozen=True)
class Skip:
    """Why a transaction was not decoded into pool swaps: a stable `reason` code and a readable detail."""

    reason: str
    detail: str = ""
    tx_hash: str = ""
    sender: str = ""


Decoded = PendingSwap | Skip


class _Unsupported(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Call:
    """One swap call found in the calldata, before its hops are resolved."""

    name: str
    path: tuple[tuple[str, int, str], ...]  # (token in, fee, token out) in execution order of the tokens
    exact_input: bool
    amount: int
    limit: int
    sqrt_price_limit_x96: int


def _functions(name: str) -> dict[bytes, Function]:
    iface = artifacts.interface(name)
    return {fn.selector: fn for fn in iface.functions.values()}


class Decoder:
    """Decodes raw transactions against a set of known routers and pool models.

    `pools` maps pool address -> exact model (as a `Universe` holds them); hops through pools not in it are
    skipped (`unknown_pool`), because their amounts cannot be derived. `routers` maps router address -> kind.
    """

    def __init__(self, pools: Mapping[str, Pool], routers: Mapping[str, str] | None = None) -> None:
        self.pools = {a.lower(): p for a, p in pools.items()}
        self.routers = {a.lower(): kind for a, kind in (routers or DEFAULT_ROUTERS).items()}
        self._by_kind: dict[str, dict[bytes, Function]] = {
            kind: _functions(kind) for kind in ("SwapRouter", "SwapRouter02", "UniversalRouter")
        }
        self._pool_swap = artifacts.interface("UniswapV3Pool").fn("swap")

    # ----------------------------------------------------------------------------------------------- entry
    def decode(self, raw: bytes | str) -> Decoded:
        """The pool swaps a signed raw transaction makes, or a `Skip` saying why not."""
        try:
            data = bytes.fromhex(raw.removeprefix("0x")) if isinstance(raw, str) else bytes(raw)
            tx = _parse_raw(data)
        except Exception as error:
            return Skip("malformed_tx", f"{type(error).__name__}: {error}"[:200])
        tx_hash = "0x" + keccak(data).hex()
        try:
            return self._decode_tx(tx, data, tx_hash)
        except _Unsupported as skip:
            return Skip(skip.reason, skip.detail, tx_hash, tx["sender"])
        except Revert as error:
            return Skip("swap_reverts", f"a hop reverts on the pool model: {error}", tx_hash, tx["sender"])
        except Exception as error:
            return Skip("bad_calldata", f"{type(error).__name__}: {error}"[:200], tx_hash, tx["sender"])

    def _decode_tx(self, tx: dict[str, Any], raw: bytes, tx_hash: str) -> PendingSwap:
        to = tx["to"]
        if to is None:
            raise _Unsupported("contract_creation")
        data: bytes = tx["data"]
        if len(data) < 4:
            raise _Unsupported("no_calldata", "a plain transfer")
        kind = self.routers.get(to.lower())
        if kind is None and to.lower() in self.pools:
            kind = "pool"
        if kind is None:
            raise _Unsupported("unknown_target", f"{to} is not a known router or pool")
        if kind == "pool":
            leg = self._pool_leg(to, data)
            calls = [_Call("swap", (), leg.amount_specified > 0, abs(leg.amount_specified), 0, 0)]
            legs: tuple[SwapLeg, ...] = (leg,)
        else:
            if kind == "UniversalRouter":
                calls = self._universal(data, tx["value"])
            else:
                calls = self._router_call(kind, data, "")
            if not calls:
                raise _Unsupported("no_v3_swap", f"no v3 swap in this {kind} call")
            legs = self._legs(calls)
        first = calls[0]
        return PendingSwap(
            tx_hash=tx_hash,
            raw=raw,
            sender=tx["sender"],
            to=to,
            nonce=tx["nonce"],
            gas_limit=tx["gas"],
            value=tx["value"],
            via=kind,
            call=first.name,
            exact_input=first.exact_input,
            amount=first.amount,
            limit=first.limit,
            legs=legs,
        )

    # ------------------------------------------------------------------------------------------- calldata
    def _router_call(self, kind: str, data: bytes, prefix: str) -> list[_Call]:
        fn = self._by_kind[kind].get(data[:4])
        if fn is None:
            if prefix:
                return []  # a call beside the swaps in a multicall (unwrap, sweep, refund, ...)
            raise _Unsupported("unknown_selector", f"{kind} selector 0x{data[:4].hex()}")
        args = decode(list(fn.input_types), data[4:])
        if fn.name == "multicall":
            if prefix:
                raise _Unsupported("nested_multicall")
            calls: list[_Call] = []
            for inner in args[-1]:
                calls += self._router_call(kind, bytes(inner), "multicall/")
            return calls
        handler = _ROUTER_CALLS.get(fn.name)
        if handler is None:
            if prefix:
                return []
            raise _Unsupported("not_a_v3_swap", f"{kind}.{fn.name}")
        return [handler(kind, prefix + fn.name, args[0])]

    def _pool_leg(self, pool: str, data: bytes) -> SwapLeg:
        if data[:4] != self._pool_swap.selector:
            raise _Unsupported("not_a_swap", f"pool call 0x{data[:4].hex()}")
        _, zero_for_one, amount_specified, sqrt_limit, _ = decode(list(self._pool_swap.input_types), data[4:])
        model = self.pools[pool.lower()]
        assert model.token0 is not None and model.token1 is not None
        model._check_swap(zero_for_one, amount_specified, sqrt_limit)  # a limit of 0 is no default here: SPL
        token_in, token_out = (model.token0, model.token1) if zero_for_one else (model.token1, model.token0)
        return SwapLeg(
            0, pool, token_in, token_out, model.fee, zero_for_one, amount_specified, sqrt_limit, False
        )

    def _universal(self, data: bytes, value: int) -> list[_Call]:
        fn = self._by_kind["UniversalRouter"].get(data[:4])
        if fn is None or fn.name != "execute":
            raise _Unsupported("unknown_selector", f"UniversalRouter selector 0x{data[:4].hex()}")
        args = decode(list(fn.input_types), data[4:])
        commands: bytes = args[0]
        inputs: list[bytes] = args[1]
        calls: list[_Call] = []
        wrapped: int | None = None  # what WRAP_ETH left in the router, for a CONTRACT_BALANCE swap after it
        for command, raw_input in zip(commands, inputs, strict=True):
            kind = command & _UR_COMMAND_MASK
            if kind == WRAP_ETH:
                _, amount = decode(["address", "uint256"], raw_input)
                wrapped = value if amount == _UR_CONTRACT_BALANCE else amount
            elif kind in (V3_SWAP_EXACT_IN, V3_SWAP_EXACT_OUT):
                _recipient, amount, limit, path, payer_is_user = decode(
                    ["address", "uint256", "uint256", "bytes", "bool"], raw_input
                )
                exact_in = kind == V3_SWAP_EXACT_IN
                if amount == _UR_CONTRACT_BALANCE:
                    if not exact_in or payer_is_user or wrapped is None:
                        raise _Unsupported(
                            "amount_from_router_balance", "the swap spends the router's balance"
                        )
                    amount = wrapped
                hops = _parse_path(bytes(path))
                if not exact_in:  # exact output paths run tokenOut -> tokenIn
                    hops = _reverse(hops)
                name = "execute/V3_SWAP_EXACT_IN" if exact_in else "execute/V3_SWAP_EXACT_OUT"
                calls.append(_Call(name, hops, exact_in, amount, limit, 0))
                wrapped = None
        return calls

    # ----------------------------------------------------------------------------------------------- hops
    def _legs(self, calls: list[_Call]) -> tuple[SwapLeg, ...]:
        legs: list[SwapLeg] = []
        for call in calls:
            legs += self._call_legs(call)
        seen = [leg.pool.lower() for leg in legs]
        if len(set(seen)) != len(seen):
            raise _Unsupported("pool_swapped_twice", "one pool is swapped twice: hop amounts would interact")
        return tuple(legs)

    def _model(self, token_in: str, fee: int, token_out: str) -> tuple[str, Pool]:
        address = mainnet.v3_pool_address(token_in, token_out, fee)
        model = self.pools.get(address.lower())
        if model is None:
            raise _Unsupported("unknown_pool", f"no model of pool {address} ({fee})")
        return address, model

    def _call_legs(self, call: _Call) -> list[SwapLeg]:
        n = len(call.path)
        amounts: list[int] = [0] * n
        order = range(n) if call.exact_input else range(n - 1, -1, -1)
        carried = call.amount
        for step, i in enumerate(order):
            token_in, fee, token_out = call.path[i]
            _, model = self._model(token_in, fee, token_out)
            zero_for_one = int(token_in, 16) < int(token_out, 16)
            limit = call.sqrt_price_limit_x96 if n == 1 else 0
            amounts[i] = carried if call.exact_input else -carried
            if step < n - 1:
                quote = model.quote(zero_for_one, amounts[i], limit or None)
                out = -(quote.amount1 if zero_for_one else quote.amount0)
                paid = quote.amount0 if zero_for_one else quote.amount1
                carried = out if call.exact_input else paid
        legs = []
        first = 0 if call.exact_input else n - 1
        for i, (token_in, fee, token_out) in enumerate(call.path):
            address, _ = self._model(token_in, fee, token_out)
            legs.append(
                SwapLeg(
                    hop=i,
                    pool=address,
                    token_in=token_in,
                    token_out=token_out,
                    fee=fee,
                    zero_for_one=int(token_in, 16) < int(token_out, 16),
                    amount_specified=amounts[i],
                    sqrt_price_limit_x96=call.sqrt_price_limit_x96 if n == 1 else 0,
                    derived=i != first,
                )
            )
        return legs


def _exact_single(kind: str, name: str, p: tuple[Any, ...]) -> _Call:
    # SwapRouter: (tokenIn, tokenOut, fee, recipient, deadline, amount, limit, sqrtPriceLimitX96);
    # SwapRouter02 has no deadline
    token_in, token_out, fee = to_checksum_address(p[0]), to_checksum_address(p[1]), p[2]
    amount, limit, sqrt_limit = p[-3], p[-2], p[-1]
    exact_in = "Input" in name
    if kind == "SwapRouter02" and exact_in and amount == _ROUTER02_CONTRACT_BALANCE:
        raise _Unsupported("amount_from_router_balance", "amountIn 0: the router's whole balance")
    return _Call(name, ((token_in, fee, token_out),), exact_in, amount, limit, sqrt_limit)


def _exact_path(kind: str, name: str, p: tuple[Any, ...]) -> _Call:
    # SwapRouter: (path, recipient, deadline, amount, limit); SwapRouter02 has no deadline
    path, amount, limit = bytes(p[0]), p[-2], p[-1]
    exact_in = "Input" in name
    if kind == "SwapRouter02" and exact_in and amount == _ROUTER02_CONTRACT_BALANCE:
        raise _Unsupported("amount_from_router_balance", "amountIn 0: the router's whole balance")
    hops = _parse_path(path)
    return _Call(name, hops if exact_in else _reverse(hops), exact_in, amount, limit, 0)


_ROUTER_CALLS: dict[str, Callable[[str, str, tuple[Any, ...]], _Call]] = {
    "exactInputSingle": _exact_single,
    "exactOutputSingle": _exact_single,
    "exactInput": _exact_path,
    "exactOutput": _exact_path,
}


def _parse_path(path: bytes) -> tuple[tuple[str, int, str], ...]:
    """A v3 path (token, fee, token, fee, ..., token) as (token a, fee, token b) hops in path order."""
    if len(path) < 43 or (len(path) - 20) % 23:
        raise _Unsupported("bad_path", f"a v3 path of {len(path)} bytes")
    hops = []
    for start in range(0, len(path) - 20, 23):
        a = to_checksum_address(path[start : start + 20])
        fee = int.from_bytes(path[start + 20 : start + 23], "big")
        b = to_checksum_address(path[start + 23 : start + 43])
        hops.append((a, fee, b))
    return tuple(hops)


def _reverse(hops: tuple[tuple[str, int, str], ...]) -> tuple[tuple[str, int, str], ...]:
    """An exact-output path (tokenOut first) as hops in the direction the tokens flow."""
    return tuple((b, fee, a) for a, fee, b in reversed(hops))


def _parse_raw(raw: bytes) -> dict[str, Any]:
    """Sender, nonce, gas, to, value and data of a signed raw transaction (legacy or typed)."""
    sender = to_checksum_address(Account.recover_transaction(raw))
    if raw and raw[0] < 0x7F:
        fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        to = fields.get("to")
        return {
            "sender": sender,
            "nonce": int(fields["nonce"]),
            "gas": int(fields["gas"]),
            "to": to_checksum_address(to) if to else None,
            "value": int(fields.get("value", 0)),
            "data": bytes(fields.get("data", b"")),
        }
    nonce, _, gas, to, value, data, *_ = rlp.decode(raw)
    return {
        "sender": sender,
        "nonce": int.from_bytes(nonce, "big"),
        "gas": int.from_bytes(gas, "big"),
        "to": to_checksum_address(to) if to else None,
        "value": int.from_bytes(value, "big"),
        "data": bytes(data),
    }
