"""Execute a `Route` on chain through our `RouteExecutor` contract (contracts/RouteExecutor.sol).

The contract runs the legs in the route's order directly on the pools (it derives each pool's address from its
tokens and fee with CREATE2, so a route cannot point it at anything else), checks every leg's limit and the
total, and emits `LegExecuted(index, pool, amountIn, amountOut)` per leg: what the real pools did, to compare
with what the models said.

Leg amounts: an exact-input route gives each leg its exact input, except that the last leg leaving each token
takes "everything the route holds of it" (amount 0): identical when the chain is where the route was computed,
and still executable when a pool moved in between (the per-leg minimums then decide). Exact-output legs ask
for their exact output with a maximum input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.node import Contract, Node, Receipt
from amm.chain.tokens import approve
from solver.routing.route import Route

V3, V2 = 0, 1

LegStruct = tuple[int, str, str, int, int, int]
"""A `PoolLegs.Leg` as the ABI takes it: (kind, tokenIn, tokenOut, fee, amount, limit)."""


def encode_legs(route: Route, slippage_bps: int, *, exact_input_legs: bool = False) -> list[LegStruct]:
    """The route's legs as `PoolLegs.Leg` structs (contracts/routing/PoolLegs.sol), limits at `slippage_bps`.

    Exact-input legs take their exact input, except the last leg leaving each token, which takes everything
    the route holds of it (amount 0); exact-output legs ask for their exact output (negative amount) with a
    maximum input. RouteExecutor and UniswapXFiller run these structs on the same engine.
    `exact_input_legs`: legs leaving the route's input token take exactly their amount, for a filler that
    holds more of that token than this route sells (a fill split between a route and inventory).
    """
    last_out: dict[str, int] = {}
    for n, leg in enumerate(route.legs):
        last_out[leg.token_in.lower()] = n
    encoded: list[LegStruct] = []
    for n, leg in enumerate(route.legs):
        if leg.exact_output:
            amount = -leg.amount_out
        else:
            absorb = last_out[leg.token_in.lower()] == n
            if exact_input_legs and leg.token_in.lower() == route.token_in.address.lower():
                absorb = False
            amount = 0 if absorb else leg.amount_in
        encoded.append(
            (
                V3 if leg.kind == "v3" else V2,
                leg.token_in,
                leg.token_out,
                leg.fee if leg.kind == "v3" else 0,
                amount,
                leg.limit(slippage_bps),
            )
        )
    return encoded


@dataclass(frozen=True)
class LegResult:
    index: int
    pool: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class Execution:
    """What happened on chain: the transaction, its gas, the totals and each leg as the pools reported it."""

    tx_hash: str
    gas_used: int
    amount_in: int
    amount_out: int
    legs: tuple[LegResult, ...]
    receipt: Receipt


class RouteExecutor:
    """A deployed RouteExecutor."""

    def __init__(self, node: Node, address: str) -> None:
        self.node = node
        self.contract: Contract = node.contract("RouteExecutor", address)

    @property
    def address(self) -> str:
        return self.contract.address

    @classmethod
    def deploy(
        cls,
        node: Node,
        deployer: str,
        *,
        v3_factory: str = mainnet.V3_FACTORY,
        v3_init_code_hash: bytes = mainnet.V3_POOL_INIT_CODE_HASH,
        v2_factory: str = mainnet.V2_FACTORY,
        v2_init_code_hash: bytes = mainnet.V2_PAIR_INIT_CODE_HASH,
    ) -> RouteExecutor:
        """Deploy for the given factories (mainnet's, which the built-in chain and a mainnet fork share)."""
        artifact = artifacts.load("RouteExecutor")
        code = artifact.bytecode + artifact.interface.encode_constructor(
            v3_factory, v3_init_code_hash, v2_factory, v2_init_code_hash
        )
        return cls(node, node.deploy(deployer, code, what="deploy RouteExecutor"))

    def encode(self, route: Route, *, recipient: str, deadline: int) -> tuple[Any, ...]:
        """The `Route` struct the contract takes, with the route's slippage limits."""
        return (
            route.token_in.address,
            route.token_out.address,
            route.max_amount_in,
            route.min_amount_out,
            recipient,
            deadline,
            encode_legs(route, route.slippage_bps),
        )

    def execute(
        self,
        route: Route,
        *,
        sender: str,
        recipient: str | None = None,
        deadline: int | None = None,
        approve_input: bool = True,
    ) -> Execution:
        """Send the route from `sender` (approving the executor for the input first, unless told not to)."""
        if approve_input:
            approve(self.node, route.token_in.address, sender, self.address, route.max_amount_in)
        if deadline is None:
            deadline = int(self.node.block()["timestamp"], 16) + 600
        struct = self.encode(route, recipient=recipient or sender, deadline=deadline)
        receipt = self.contract.transact("execute", struct, sender=sender)
        legs = tuple(
            LegResult(int(e["index"]), e["pool"], int(e["amountIn"]), int(e["amountOut"]))
            for e in self.contract.events(receipt, "LegExecuted")
        )
        (done,) = self.contract.events(receipt, "RouteExecuted")
        return Execution(
            tx_hash=receipt["transactionHash"],
            gas_used=int(receipt["gasUsed"], 16),
            amount_in=int(done["amountIn"]),
            amount_out=int(done["amountOut"]),
            legs=legs,
            receipt=receipt,
        )
