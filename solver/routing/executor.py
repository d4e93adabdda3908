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

import time
from dataclasses import dataclass
from typing import Any

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.deployed import DeployedContract
from amm.chain.devnet.route_executor import deploy_route_executor
from amm.chain.errors import ChainError, RpcError
from amm.chain.node import Node, Receipt
from amm.chain.tokens import approve, erc20
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


class RouteExecutor(DeployedContract):
    """A deployed RouteExecutor."""

    ARTIFACT = "RouteExecutor"

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
        code = artifact.creation_code(v3_factory, v3_init_code_hash, v2_factory, v2_init_code_hash)
        return cls(node, node.deploy(deployer, code, what="deploy RouteExecutor"))

    @classmethod
    def at_known_address(cls, node: Node, deployer: str | None = None) -> RouteExecutor:
        """The executor at its documented address (`addresses.ROUTE_EXECUTOR`, there on the built-in chain).
        Where it is absent, anvil (a fork, say) gets it by the same CREATE2, sent from `deployer`; any other
        node gets a one-line error: we never deploy on a live chain behind the caller's back."""
        if node.code(mainnet.ROUTE_EXECUTOR):
            return cls(node, mainnet.ROUTE_EXECUTOR)
        if deployer is None or not is_anvil(node):
            raise ChainError(
                f"no RouteExecutor at {mainnet.ROUTE_EXECUTOR} on this chain (it is on the built-in chain; "
                "anvil forks get it on demand): deploy contracts/RouteExecutor.sol by CREATE2 through "
                f"{mainnet.CREATE2_DEPLOYER} with addresses.ROUTE_EXECUTOR_SALT"
            )
        return cls(node, deploy_route_executor(node, deployer))

    def simulate(
        self, route: Route, *, sender: str, deadline: int, approve_amount: int = 0
    ) -> tuple[int, int]:
        """(amount_in, amount_out) the route gives if sent now from `sender`, by eth_call, nothing sent.

        When `approve_amount` > 0 the approval it needs comes first in the same simulated block
        (eth_simulateV1), so a dry run checks the route as it would really go."""
        function = self.contract.interface.fn("execute")
        data = function.encode(self.encode(route, recipient=sender, deadline=deadline))
        if approve_amount <= 0:
            try:
                raw = self.node.call(self.address, data, sender=sender)
            except RpcError as err:
                if err.revert_reason is None:
                    raise
                raise ChainError(
                    f"simulation reverted: {self.contract._readable(err.revert_reason)}"
                ) from None
            amount_in, amount_out = function.decode(raw)
            return int(amount_in), int(amount_out)
        approval = erc20(self.node, route.token_in.address).interface.encode(
            "approve", self.address, approve_amount
        )
        calls = [
            {"from": sender, "to": route.token_in.address, "data": "0x" + approval.hex()},
            {"from": sender, "to": self.address, "data": "0x" + data.hex()},
        ]
        (block,) = self.node.rpc.call("eth_simulateV1", [{"blockStateCalls": [{"calls": calls}]}, "latest"])
        for call in block["calls"]:
            if int(call["status"], 16) != 1:
                payload = call.get("returnData") or "0x"
                error = call.get("error") or {}
                reason = self.contract._readable(payload) if payload != "0x" else error.get("message")
                raise ChainError(f"simulation reverted: {reason}")
        amount_in, amount_out = function.decode(bytes.fromhex(block["calls"][1]["returnData"][2:]))
        return int(amount_in), int(amount_out)

    def deadline(self, seconds: int = 600) -> int:
        """`seconds` past the next block's earliest time: the later of the last block's and the wall clock's
        (a chain loaded from an old state mines its next block at "now", far past its last block)."""
        return max(int(self.node.block()["timestamp"], 16), int(time.time())) + seconds

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
            deadline = self.deadline()
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


def is_anvil(node: Node) -> bool:
    """Whether the node is anvil (ours, or one a user runs): only there do we deploy on demand."""
    try:
        return str(node.rpc.call("web3_clientVersion")).lower().startswith("anvil")
    except RpcError:
        return False
