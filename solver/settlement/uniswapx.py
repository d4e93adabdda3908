"""`fill(orders, how) -> FillResult`: UniswapX orders settled through our filler, accounted from the receipt.

Before any gas is spent, the orders are screened with `check_many` (one JSON-RPC batch) and the transaction is
simulated with eth_call and gas-estimated. After it is mined, the receipt's ERC-20 Transfer logs say what each
order's recipients received and what the filler paid and got; every order is resolved again at the mined
block (its time, number, base fee and the transaction's priority fee) and any recipient short of its
resolved outputs raises `FillShortfall` — never a silent success.

`how` is a `FillPlan`: the legs the filler runs on the orders' inputs (from `solver.routing` routes) and the
inventory limits it enforces. `FillPlan.from_inventory` pays every output from inventory;
`FillPlan.from_routes` routes the whole input and must not touch inventory, or routes part of it (a split)
and lets inventory cover exactly what the route does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from amm.chain.node import Node
from solver.intents.uniswapx import Order, OutputToken, Rejection, ResolvedOrder, check_many
from solver.intents.uniswapx.order import ORDER_INFO_ABI
from solver.intents.uniswapx.types import checksum
from solver.routing.executor import LegStruct, encode_legs
from solver.routing.route import BPS, Route
from solver.settlement.uniswapx_filler import NATIVE, Fill, UniswapXFiller

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
FEE_CONTROLLER = keccak(text="feeController()")[:4]
OUTPUT_ABI = "(address,uint256,address)"
RESOLVED_ORDER_ABI = f"({ORDER_INFO_ABI},(address,uint256,uint256),{OUTPUT_ABI}[],bytes,bytes32)"
GET_FEE_OUTPUTS = keccak(text=f"getFeeOutputs({RESOLVED_ORDER_ABI})")[:4]


class FillError(Exception):
    """A fill that was not sent or did not deliver; `str(error)` is one line."""


class FillRejected(FillError):
    """Orders the reactor would refuse: nothing was sent."""

    def __init__(self, rejections: dict[str, list[Rejection]]) -> None:
        self.rejections = rejections
        first = next(iter(rejections.items()))
        super().__init__(f"order {first[0]} would be refused: {'; '.join(map(str, first[1]))}")


class FillShortfall(FillError):
    """The transaction was mined but a recipient got less than the resolved outputs."""


@dataclass(frozen=True)
class FillPlan:
    """The filler's `fillData`: legs run on the orders' inputs, and per-token inventory limits (the least
    change of the filler's balance over the fill: negative = the most it may spend)."""

    legs: tuple[LegStruct, ...] = ()
    limits: tuple[tuple[str, int], ...] = ()
    mode: str = "inventory"

    def fill_data(self) -> bytes:
        return UniswapXFiller.encode_fill_data(self.legs, self.limits)

    @classmethod
    def from_inventory(cls, resolved: Sequence[ResolvedOrder]) -> FillPlan:
        """Pay every output from inventory, keep every input: spend at most what the outputs owe."""
        return cls((), _limits(resolved, routed_in={}, allowed={}), "inventory")

    @classmethod
    def from_routes(
        cls, resolved: Sequence[ResolvedOrder], routes: Sequence[Route], *, slippage_bps: int | None = None
    ) -> FillPlan:
        """Swap (part of) the inputs along `routes`. Where the routes' minimum outputs cover what the orders
        owe, inventory must stay untouched (a route that comes up short reverts); where they cover less, the
        rest comes from inventory (a split) and only that much of it may be spent."""
        inputs = _totals([(r.input.token, r.input.amount) for r in resolved])
        legs: list[LegStruct] = []
        routed_in: dict[str, int] = {}
        routed_min_out: dict[str, int] = {}
        for route in routes:
            token_in, token_out = route.token_in.address, route.token_out.address
            slippage = route.slippage_bps if slippage_bps is None else slippage_bps
            partial = route.amount_in < inputs.get(token_in, 0)
            legs += encode_legs(route, slippage, exact_input_legs=partial)
            routed_in[token_in] = routed_in.get(token_in, 0) + route.amount_in
            floor = route.amount_out * (BPS - slippage) // BPS
            routed_min_out[token_out] = routed_min_out.get(token_out, 0) + floor
        owed = _totals([(o.token, o.amount) for r in resolved for o in r.outputs])
        allowed = {t: max(owed[t] - routed_min_out.get(t, 0), 0) for t in owed}
        split = any(allowed.values())
        limits = _limits(resolved, routed_in=routed_in, allowed=allowed)
        return cls(tuple(legs), limits, "split" if split else "route")


def _totals(pairs: Sequence[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for token, amount in pairs:
        key = checksum(token)
        out[key] = out.get(key, 0) + amount
    return out


def _limits(
    resolved: Sequence[ResolvedOrder],
    *,
    routed_in: dict[str, int],
    allowed: dict[str, int],
) -> tuple[tuple[str, int], ...]:
    """Per token: inputs kept (received minus routed) must stay; outputs may draw at most `allowed` from
    inventory (all of what they owe where `allowed` does not say)."""
    limits = _totals([(r.input.token, r.input.amount) for r in resolved])
    for token, amount in routed_in.items():
        limits[token] = limits.get(token, 0) - amount
    owed = _totals([(o.token, o.amount) for r in resolved for o in r.outputs])
    for token, amount in owed.items():
        limits[token] = limits.get(token, 0) - allowed.get(token, amount)
    return tuple(sorted(limits.items()))


@dataclass(frozen=True)
class OrderFill:
    """One order in a mined fill: what it resolved to in that block, and what its recipients received."""

    hash: str
    resolved: ResolvedOrder
    received: dict[tuple[str, str], int]  # (recipient, token) -> amount, from the receipt


@dataclass(frozen=True)
class FillResult:
    """A mined fill: gas, each order, and the filler's own flows (paid to recipients, got from swappers, and
    the net change of its balance per token, pools included)."""

    tx_hash: str
    block: int
    gas_used: int
    gas_price: int
    mode: str
    orders: tuple[OrderFill, ...]
    paid: dict[str, int]
    got: dict[str, int]
    net: dict[str, int]
    fill: Fill = field(repr=False)

    @property
    def gas_cost_wei(self) -> int:
        return self.gas_used * self.gas_price


def fill(
    orders: Sequence[tuple[Order, bytes]],
    how: FillPlan | None = None,
    *,
    filler: UniswapXFiller,
    sender: str,
    priority_fee: int | None = None,
) -> FillResult:
    """Fill `orders` ((order, swapper signature) pairs, one reactor) through `filler`, sent by its owner.

    `how` defaults to a fill from inventory at the next block's resolution. Raises FillRejected (nothing
    sent) when `check_many` finds a reason the reactor would refuse, TransactionFailed when the simulation
    reverts, FillShortfall when a recipient received less than its order resolved to in the mined block."""
    if not orders:
        raise FillError("no orders to fill")
    node = filler.node
    reactors = {o.info.reactor.lower() for o, _ in orders}
    if len(reactors) != 1:
        raise FillError("one fill goes through one reactor: split the orders by reactor")
    rejections = check_many(list(orders), chain=node, filler=filler.address, priority_fee=priority_fee)
    refused = {o.hash: r for (o, _), r in zip(orders, rejections, strict=True) if r}
    if refused:
        raise FillRejected(refused)
    if how is None:
        resolved = resolve_for_next_block(node, [o for o, _ in orders], filler.address, priority_fee or 0)
        how = FillPlan.from_inventory(resolved)
    signed = [(o.encode(), bytes(sig)) for o, sig in orders]
    gas_price = None
    if priority_fee is not None:
        gas_price = int(node.block("pending").get("baseFeePerGas") or "0x0", 16) + priority_fee
    done = filler.execute(
        orders[0][0].info.reactor, signed, how.fill_data(), sender=sender, gas_price=gas_price
    )
    return _account(node, filler, orders, how, done)


def resolve_for_next_block(
    node: Node, orders: Sequence[Order], filler: str, priority_fee: int = 0
) -> list[ResolvedOrder]:
    """The orders resolved for the pending block at the earliest time it can carry, for `filler` bidding
    `priority_fee`: what a FillPlan is built from. Amounts only decay in the filler's favour as time passes,
    so this is the most the fill can owe and the least input it gets."""
    block = node.block("pending")
    resolved = [
        order.resolve(
            timestamp=int(block["timestamp"], 16),
            block_number=int(block["number"], 16),
            base_fee=int(block.get("baseFeePerGas") or "0x0", 16),
            priority_fee=priority_fee,
            filler=filler,
        )
        for order in orders
    ]
    return with_protocol_fees(node, resolved, "pending")


def with_protocol_fees(
    node: Node, resolved: Sequence[ResolvedOrder], block: int | str
) -> list[ResolvedOrder]:
    """`resolved` with the outputs each reactor's protocol fee controller adds (BaseReactor._injectFees),
    asked of the controller itself at `block`: none where a reactor has no controller (the built-in chain),
    an interface fee on mainnet where one is set. Two JSON-RPC batches at most."""
    tag = hex(block) if isinstance(block, int) else block
    reactors = sorted({r.info.reactor for r in resolved})
    call = [("eth_call", [{"to": r, "data": "0x" + FEE_CONTROLLER.hex()}, tag]) for r in reactors]
    controllers = {
        r: to_checksum_address("0x" + reply[-40:])
        for r, reply in zip(reactors, node.rpc.batch_results(call), strict=True)
        if isinstance(reply, str) and len(reply) >= 66 and int(reply, 16)
    }
    asking = [r for r in resolved if r.info.reactor in controllers]
    if not asking:
        return list(resolved)
    calls = [("eth_call", [{"to": controllers[r.info.reactor], "data": _fee_call(r)}, tag]) for r in asking]
    fees = {
        r.hash: [
            OutputToken(to_checksum_address(t), a, to_checksum_address(rc))
            for t, a, rc in abi_decode([f"{OUTPUT_ABI}[]"], bytes.fromhex(reply[2:]))[0]
        ]
        for r, reply in zip(asking, node.rpc.batch(calls), strict=True)
    }
    return [
        dataclasses.replace(r, outputs=(*r.outputs, *fees[r.hash])) if r.hash in fees else r for r in resolved
    ]


def _fee_call(resolved: ResolvedOrder) -> str:
    """getFeeOutputs(ResolvedOrder): the order as the reactor passes it (its signature does not matter)."""
    value = (
        resolved.info.as_tuple(),
        (resolved.input.token, resolved.input.amount, resolved.input.max_amount),
        [(o.token, o.amount, o.recipient) for o in resolved.outputs],
        b"",
        bytes.fromhex(resolved.hash[2:]),
    )
    return "0x" + (GET_FEE_OUTPUTS + abi_encode([RESOLVED_ORDER_ABI], [value])).hex()


def _account(
    node: Node, filler: UniswapXFiller, orders: Sequence[tuple[Order, bytes]], how: FillPlan, done: Fill
) -> FillResult:
    receipt = done.receipt
    block = node.block(int(receipt["blockNumber"], 16))
    base_fee = int(block.get("baseFeePerGas") or "0x0", 16)
    gas_price = int(receipt.get("effectiveGasPrice") or "0x0", 16)
    me = filler.address.lower()
    flows: dict[tuple[str, str, str], int] = {}  # (token, from, to) -> amount
    for log in receipt["logs"]:
        if len(log["topics"]) == 3 and log["topics"][0] == TRANSFER_TOPIC:
            sender = "0x" + log["topics"][1][-40:]
            to = "0x" + log["topics"][2][-40:]
            (amount,) = abi_decode(["uint256"], bytes.fromhex(log["data"][2:]))
            key = (log["address"].lower(), sender, to)
            flows[key] = flows.get(key, 0) + amount
    swappers = {o.info.swapper.lower() for o, _ in orders}
    resolved_at_block = with_protocol_fees(
        node,
        [
            order.resolve(
                timestamp=int(block["timestamp"], 16),
                block_number=int(block["number"], 16),
                base_fee=base_fee,
                priority_fee=max(gas_price - base_fee, 0),
                filler=filler.address,
            )
            for order, _ in orders
        ],
        int(block["number"], 16) - 1,  # the controller as the transaction met it
    )
    recipients = {out.recipient.lower() for resolved in resolved_at_block for out in resolved.outputs}
    paid, got, net = _flow_totals(flows, me, swappers, recipients)
    owed: dict[tuple[str, str], int] = {}
    for resolved in resolved_at_block:
        for out in resolved.outputs:
            key = (out.recipient.lower(), out.token.lower())
            owed[key] = owed.get(key, 0) + out.amount
    received = _received(node, flows, me, owed, int(receipt["blockNumber"], 16))
    short = {k: (received.get(k, 0), v) for k, v in owed.items() if received.get(k, 0) < v}
    if short:
        (recipient, token), (got_amount, due) = next(iter(short.items()))
        raise FillShortfall(
            f"fill {receipt['transactionHash']}: {recipient} received {got_amount} of {token}, "
            f"its orders resolved to {due} in block {int(receipt['blockNumber'], 16)}"
        )
    order_fills = tuple(
        OrderFill(
            order.hash,
            resolved,
            {
                (out.recipient, out.token): received.get((out.recipient.lower(), out.token.lower()), 0)
                for out in resolved.outputs
            },
        )
        for (order, _), resolved in zip(orders, resolved_at_block, strict=True)
    )
    return FillResult(
        tx_hash=receipt["transactionHash"],
        block=int(receipt["blockNumber"], 16),
        gas_used=done.gas_used,
        gas_price=gas_price,
        mode=how.mode,
        orders=order_fills,
        paid=paid,
        got=got,
        net=net,
        fill=done,
    )


def _flow_totals(
    flows: dict[tuple[str, str, str], int], me: str, swappers: set[str], recipients: set[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    paid: dict[str, int] = {}
    got: dict[str, int] = {}
    net: dict[str, int] = {}
    for (token, sender, to), amount in flows.items():
        token = checksum(token)
        if sender == me:
            net[token] = net.get(token, 0) - amount
            if to in recipients:
                paid[token] = paid.get(token, 0) + amount
        if to == me:
            net[token] = net.get(token, 0) + amount
            if sender in swappers:
                got[token] = got.get(token, 0) + amount
    return paid, got, net


def _received(
    node: Node,
    flows: dict[tuple[str, str, str], int],
    me: str,
    owed: dict[tuple[str, str], int],
    block: int,
) -> dict[tuple[str, str], int]:
    """What each (recipient, token) received from the filler in the transaction; native ETH from the
    recipient's balance change over the block (the reactor pays it with a call, which logs nothing)."""
    received: dict[tuple[str, str], int] = {}
    for (token, sender, to), amount in flows.items():
        if sender == me:
            received[(to, token)] = received.get((to, token), 0) + amount
    natives = [recipient for recipient, token in owed if token == NATIVE.lower()]
    if natives:
        calls = [("eth_getBalance", [r, hex(b)]) for r in natives for b in (block - 1, block)]
        balances = [int(x, 16) for x in node.rpc.batch(calls)]
        for n, recipient in enumerate(natives):
            received[(recipient, NATIVE.lower())] = balances[2 * n + 1] - balances[2 * n]
    return received
