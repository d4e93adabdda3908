"""Fill UniswapX orders through our `UniswapXFiller` contract (contracts/UniswapXFiller.sol).

The owner calls `execute` (one order) or `executeBatch` (several orders of one reactor) with `fillData`; the
reactor pulls each order's input to the filler and calls back, the filler runs the legs on those inputs (the
same engine as `RouteExecutor`, contracts/routing/PoolLegs.sol), approves the reactor for exactly what the
outputs owe, and once the reactor has pulled them checks the caller's inventory limits:

    fillData = abi.encode((uint8,address,address,uint24,int256,uint256)[] legs, (address,int256)[] limits)

A leg is `(kind, tokenIn, tokenOut, fee, amount, limit)` as `encode_legs` makes it from a `Route`; a limit is
`(token, minChange)`: the least change of the filler's balance of `token` over the fill (0: a routed fill must
not touch inventory; -X: an inventory fill may spend at most X; token 0x0 is ETH).

The owner also hedges the filler's own inventory with `hedge`: the legs of a route run on `amountIn` of the
filler's `tokenIn` (no approval; nothing leaves the contract but what the pools take), and the call reverts
with `HedgeSlippage(amountOut, minAmountOut)` unless the filler's balance of `tokenOut` grows by at least
`minAmountOut`.

Every transaction this wrapper sends is first simulated with eth_call, so a revert surfaces as
`TransactionFailed` whose `reason` names the contract's error with its arguments, e.g.
`InventoryLimit(0xC02a…, -5, 0)`, before any gas is spent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from eth_abi import decode, encode
from eth_utils import to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.abi import ContractInterface
from amm.chain.deployed import OwnedContract
from amm.chain.errors import RpcError, TransactionFailed, decode_revert
from amm.chain.node import Node, Receipt
from solver.routing.executor import LegResult, LegStruct, encode_legs
from solver.routing.route import Route

BPS = 10_000

NATIVE = "0x0000000000000000000000000000000000000000"
"""The token address UniswapX (and the filler's limits) use for native ETH."""

LEG_ABI = "(uint8,address,address,uint24,int256,uint256)"
LIMIT_ABI = "(address,int256)"
FILL_DATA_ABI = (f"{LEG_ABI}[]", f"{LIMIT_ABI}[]")
"""The ABI types of `fillData`, in order: the legs, then the inventory limits."""

SignedOrder = tuple[bytes, bytes]
"""UniswapX's `SignedOrder`: (the reactor-specific encoded order, the swapper's signature)."""
Limits = Mapping[str, int] | Sequence[tuple[str, int]]
"""Inventory limits: token -> least change of the filler's balance (negative: the most it may spend)."""


@dataclass(frozen=True)
class Fill:
    """What happened on chain: the transaction, its gas, how many orders were filled and each leg routed."""

    tx_hash: str
    gas_used: int
    orders: int
    legs: tuple[LegResult, ...]
    receipt: Receipt


class HedgeResult(NamedTuple):
    """A mined `hedge`: what the filler's balance of the input fell by and of the output grew by, its gas."""

    amount_in: int
    amount_out: int
    gas_used: int
    receipt: Receipt

    @property
    def tx_hash(self) -> str:
        return self.receipt["transactionHash"]


class UniswapXFiller(OwnedContract):
    """A deployed UniswapXFiller."""

    ARTIFACT = "UniswapXFiller"

    @classmethod
    def deploy(
        cls,
        node: Node,
        owner: str,
        *,
        deployer: str | None = None,
        v3_factory: str = mainnet.V3_FACTORY,
        v3_init_code_hash: bytes = mainnet.V3_POOL_INIT_CODE_HASH,
        v2_factory: str = mainnet.V2_FACTORY,
        v2_init_code_hash: bytes = mainnet.V2_PAIR_INIT_CODE_HASH,
    ) -> UniswapXFiller:
        """Deploy a filler owned by `owner` (sent by `deployer`, default the owner) for the given factories
        (mainnet's, which the built-in chain and a mainnet fork share)."""
        artifact = artifacts.load("UniswapXFiller")
        code = artifact.creation_code(owner, v3_factory, v3_init_code_hash, v2_factory, v2_init_code_hash)
        sender = deployer or owner
        what = "deploy UniswapXFiller"
        _simulate(node, sender, None, code, what, artifact.interface)
        return cls(node, node.deploy(sender, code, what=what))

    # calldata --------------------------------------------------------------------------------------------
    @staticmethod
    def encode_fill_data(legs: Sequence[LegStruct], limits: Limits = ()) -> bytes:
        """`fillData`: the legs to run on the orders' inputs (from `encode_legs`; none for a fill from
        inventory) and the inventory limits checked after the reactor returns."""
        pairs = limits.items() if isinstance(limits, Mapping) else limits
        return encode(
            list(FILL_DATA_ABI),
            [[tuple(leg) for leg in legs], [(token, int(change)) for token, change in pairs]],
        )

    @staticmethod
    def decode_fill_data(data: bytes) -> tuple[list[LegStruct], list[tuple[str, int]]]:
        """The inverse of `encode_fill_data` (addresses checksummed)."""
        legs, limits = decode(list(FILL_DATA_ABI), data)
        return (
            [
                (kind, to_checksum_address(a), to_checksum_address(b), fee, amount, limit)
                for kind, a, b, fee, amount, limit in legs
            ],
            [(to_checksum_address(token), change) for token, change in limits],
        )

    def execute_call(self, reactor: str, signed_orders: Sequence[SignedOrder], fill_data: bytes) -> bytes:
        """Calldata of `execute` (one order) or `executeBatch` (several) through `reactor`."""
        orders = [(bytes(order), bytes(sig)) for order, sig in signed_orders]
        if not orders:
            raise ValueError("no orders to fill")
        if len(orders) == 1:
            return self.contract.interface.encode("execute", reactor, orders[0], fill_data)
        return self.contract.interface.encode("executeBatch", reactor, orders, fill_data)

    # transactions ----------------------------------------------------------------------------------------
    def execute(
        self,
        reactor: str,
        signed_orders: Sequence[SignedOrder],
        fill_data: bytes,
        *,
        sender: str,
        gas_price: int | None = None,
    ) -> Fill:
        """Fill the orders through `reactor` (simulated first, at the gas price it is sent with: priority
        orders resolve on it); `sender` must be the owner. `gas_price` defaults to the node's eth_gasPrice."""
        data = self.execute_call(reactor, signed_orders, fill_data)
        what = "UniswapXFiller.execute" if len(signed_orders) == 1 else "UniswapXFiller.executeBatch"
        if gas_price is None:
            gas_price = int(self.node.rpc.call("eth_gasPrice"), 16)
        receipt = self.send(data, sender=sender, what=what, gas_price=gas_price)
        legs = tuple(
            LegResult(int(e["index"]), e["pool"], int(e["amountIn"]), int(e["amountOut"]))
            for e in self.contract.events(receipt, "LegExecuted")
        )
        (filled,) = self.contract.events(receipt, "Filled")
        return Fill(
            tx_hash=receipt["transactionHash"],
            gas_used=int(receipt["gasUsed"], 16),
            orders=int(filled["orders"]),
            legs=legs,
            receipt=receipt,
        )

    def hedge_call(
        self, route: Route, *, slippage_bps: int | None = None, min_amount_out: int | None = None
    ) -> bytes:
        """Calldata of `hedge` for `route`: its legs (limits at `slippage_bps`, default the route's own) on
        `route.max_amount_in` of the filler's input token, requiring at least `min_amount_out` of the output
        (default: the route's output less `slippage_bps`)."""
        bps = route.slippage_bps if slippage_bps is None else int(slippage_bps)
        if not 0 <= bps < BPS:
            raise ValueError(f"slippage_bps is in [0, {BPS}), got {bps}")
        if min_amount_out is None:
            min_amount_out = route.amount_out * (BPS - bps) // BPS
        if min_amount_out < 0:
            raise ValueError(f"min_amount_out cannot be negative, got {min_amount_out}")
        legs = [tuple(leg) for leg in encode_legs(route, bps)]
        return self.contract.interface.encode(
            "hedge",
            route.token_in.address,
            route.max_amount_in,
            legs,
            route.token_out.address,
            int(min_amount_out),
        )

    def hedge(
        self,
        route: Route,
        *,
        sender: str,
        slippage_bps: int | None = None,
        min_amount_out: int | None = None,
        gas_price: int | None = None,
    ) -> HedgeResult:
        """Swap the filler's own `route.token_in` along `route`, the output staying in the filler (simulated
        first; a revert raises TransactionFailed with the decoded error, e.g. `HedgeSlippage(out, min)`);
        `sender` must be the owner. Returns (amount_in, amount_out, gas_used, receipt)."""
        data = self.hedge_call(route, slippage_bps=slippage_bps, min_amount_out=min_amount_out)
        receipt = self.send(data, sender=sender, what="UniswapXFiller.hedge", gas_price=gas_price)
        (done,) = self.contract.events(receipt, "Hedged")
        gas_used = int(receipt["gasUsed"], 16)
        return HedgeResult(int(done["amountIn"]), int(done["amountOut"]), gas_used, receipt)

    def withdraw(self, token: str, to: str, amount: int, *, sender: str) -> Receipt:
        """Send `amount` of `token` from the filler to `to`; `sender` must be the owner."""
        data = self.contract.interface.encode("withdraw", token, to, amount)
        return self.send(data, sender=sender, what="UniswapXFiller.withdraw")

    def withdraw_native(self, to: str, amount: int, *, sender: str) -> Receipt:
        """Send `amount` wei from the filler to `to`; `sender` must be the owner."""
        data = self.contract.interface.encode("withdrawNative", to, amount)
        return self.send(data, sender=sender, what="UniswapXFiller.withdrawNative")

    def simulate(
        self, data: bytes, *, sender: str, what: str = "UniswapXFiller call", gas_price: int | None = None
    ) -> bytes:
        """eth_call `data` on the filler from `sender`; a revert raises TransactionFailed, error decoded."""
        return _simulate(self.node, sender, self.address, data, what, self.contract.interface, gas_price)

    def send(
        self,
        data: bytes,
        *,
        sender: str,
        what: str = "UniswapXFiller transaction",
        gas_price: int | None = None,
    ) -> Receipt:
        """Simulate `data` with eth_call, then send it (Node.send estimates the gas); raise on any revert."""
        self.simulate(data, sender=sender, what=what, gas_price=gas_price)
        try:
            return self.node.send(sender, self.address, data, gas_price=gas_price, what=what)
        except TransactionFailed as failed:  # the chain moved between the simulation and the block
            reason = failed.reason
            if reason and reason.startswith("0x"):
                reason = self.decode_error(bytes.fromhex(reason[2:]))
            raise TransactionFailed(failed.tx_hash, reason, what) from None

    def decode_error(self, data: bytes) -> str:
        """A revert payload as `Error(arg, ...)` when the filler's ABI declares it, else `decode_revert`."""
        return self.contract.interface.decode_error(data) or decode_revert(data)


def _simulate(
    node: Node,
    sender: str,
    to: str | None,
    data: bytes,
    what: str,
    interface: ContractInterface,
    gas_price: int | None = None,
) -> bytes:
    """eth_call a transaction (a deployment when `to` is None) in the pending block, the one it would land
    in (priority orders and V3 curves depend on the block number); a revert raises TransactionFailed."""
    tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex()}
    if to is not None:
        tx["to"] = to
    if gas_price is not None:
        tx["gasPrice"] = hex(gas_price)
    try:
        return bytes.fromhex(node.rpc.call("eth_call", [tx, "pending"])[2:])
    except RpcError as err:
        if err.revert_reason is None:
            raise
        data = err.revert_data or b""
        reason = interface.decode_error(data) or decode_revert(data)
        raise TransactionFailed("(eth_call)", reason, what) from None
