"""A GPv2 settlement: encode `settle(tokens, clearingPrices, trades, interactions)`, predict every trade's
amounts exactly as the contract computes them, simulate with `eth_call`, send, and verify from the receipt.

`execution` is `GPv2Settlement.computeTradeExecution`'s arithmetic: for a sell order the buy amount is
`ceil(executedSell * sellPrice / buyPrice)` (rounded up, in the owner's favour), for a buy order the sell
amount is `floor(executedBuy * buyPrice / sellPrice)`; the fee is pro rata for partially fillable orders;
and `sellAmount * sellPrice >= buyAmount * buyPrice` is the limit check. Pool swaps run as interactions from
the settlement itself: a v2 pair is paid by a transfer and swapped directly; a v3 pool through Uniswap's
SwapRouter, approved for exactly the leg's input (an exact-input swap spends all of it, so no allowance is
left standing; an exact-output leg resets it to 0 afterwards).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import RpcError, TransactionFailed
from amm.chain.node import Node, Receipt
from amm.chain.tokens import ERC20
from solver.intents.cow.order import BUY_ETH
from solver.intents.cow.signing import SignedCowOrder
from solver.routing.route import Route

SETTLE_BASE_GAS = 80_000  # the transaction, the settlement's own bookkeeping
TRADE_GAS = 65_000  # per trade: signature recovery, two transfers through the relayer, storage
INTERACTION_GAS = 10_000  # per interaction, beyond the swap itself


class SettlementError(Exception):
    """A settlement that would revert or did not deliver; one line saying which order or why."""


@dataclass(frozen=True)
class Interaction:
    """One call the settlement makes, with what it takes from and gives to the settlement (for the API)."""

    target: str
    call_data: bytes
    value: int = 0
    inputs: tuple[tuple[str, int], ...] = ()  # (token, amount) the call takes from the settlement
    outputs: tuple[tuple[str, int], ...] = ()  # (token, amount) it gives back
    liquidity_id: str | None = None  # an auction's liquidity, which the driver encodes (no calldata here)

    def as_abi(self) -> tuple[str, int, bytes]:
        if self.liquidity_id is not None:
            raise SettlementError(f"liquidity {self.liquidity_id} is encoded by the driver, not here")
        return (self.target, self.value, self.call_data)


@dataclass(frozen=True)
class Trade:
    """An order executed in a settlement: `executed_amount` is in the sell token for sell orders, the buy
    token for buy orders (ignored by the contract for fill-or-kill orders, which execute whole)."""

    order: SignedCowOrder
    executed_amount: int
    fee: int = 0  # a limit order's solver fee, in the sell token, taken out of `executed_amount`


@dataclass(frozen=True)
class Execution:
    """What a trade moves, as the contract computes it."""

    sell: int  # taken from the owner, fee included
    buy: int  # paid to the receiver
    fee: int


def execution(
    order: SignedCowOrder, sell_price: int, buy_price: int, executed_amount: int, *, check_limit: bool = True
) -> Execution:
    """`computeTradeExecution`'s amounts; raises SettlementError where the contract would revert on the limit
    price (unless `check_limit` is off: a solver trying prices)."""
    o = order.order
    if check_limit and o.sell_amount * sell_price < o.buy_amount * buy_price:
        raise SettlementError(f"order {order.uid.hex()[:16]}: limit price not respected")
    if o.is_sell:
        sell = executed_amount if o.partially_fillable else o.sell_amount
        fee = o.fee_amount * sell // o.sell_amount if o.partially_fillable else o.fee_amount
        buy = -(-sell * sell_price // buy_price)
    else:
        buy = executed_amount if o.partially_fillable else o.buy_amount
        fee = o.fee_amount * buy // o.buy_amount if o.partially_fillable else o.fee_amount
        sell = buy * buy_price // sell_price
    return Execution(sell + fee, buy, fee)


@dataclass
class Settlement:
    """Tokens and clearing prices (one entry per token; `BUY_ETH` has its own, priced as WETH), trades and
    the three interaction lists (before, between, after the transfers)."""

    prices: dict[str, int]  # token address -> clearing price
    trades: list[Trade] = field(default_factory=list)
    pre: list[Interaction] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    post: list[Interaction] = field(default_factory=list)
    gas: int = 0

    @property
    def tokens(self) -> list[str]:
        return list(self.prices)

    def executions(self) -> list[Execution]:
        return [
            execution(
                t.order,
                self.prices[t.order.order.sell_token],
                self.prices[t.order.order.buy_token],
                t.executed_amount,
            )
            for t in self.trades
        ]

    def net_flows(self) -> dict[str, int]:
        """The settlement contract's balance change per token, predicted: trades plus interactions."""
        flows: dict[str, int] = {}
        for trade, done in zip(self.trades, self.executions(), strict=True):
            sell, buy = trade.order.order.sell_token, trade.order.order.buy_token
            flows[sell] = flows.get(sell, 0) + done.sell
            flows[buy] = flows.get(buy, 0) - done.buy
        for interaction in (*self.pre, *self.interactions, *self.post):
            for token, amount in interaction.inputs:
                flows[token] = flows.get(token, 0) - amount
            for token, amount in interaction.outputs:
                flows[token] = flows.get(token, 0) + amount
        return flows

    def calldata(self) -> bytes:
        """`settle(...)`'s calldata."""
        tokens = self.tokens
        index = {t.lower(): i for i, t in enumerate(tokens)}
        trades = []
        for trade in self.trades:
            o = trade.order.order
            trades.append(
                (
                    index[o.sell_token.lower()],
                    index[o.buy_token.lower()],
                    o.receiver,
                    o.sell_amount,
                    o.buy_amount,
                    o.valid_to,
                    o.app_data,
                    o.fee_amount,
                    trade.order.flags,
                    trade.executed_amount,
                    trade.order.signature,
                )
            )
        interactions = [[i.as_abi() for i in group] for group in (self.pre, self.interactions, self.post)]
        prices = [self.prices[t] for t in tokens]
        return artifacts.interface("GPv2Settlement").fn("settle").encode(tokens, prices, trades, interactions)


# -- pool swaps as interactions ---------------------------------------------------------------------------
def route_interactions(route: Route, *, deadline: int, slippage_bps: int = 0) -> list[Interaction]:
    """The settlement's calls that execute `route`'s legs in order, paying out to the settlement itself."""
    erc20 = artifacts.interface(ERC20)
    pair = artifacts.interface("UniswapV2Pair")
    router = artifacts.interface("SwapRouter")
    out: list[Interaction] = []
    for leg in route.legs:
        limit = leg.limit(slippage_bps)
        if leg.kind == "v2":
            amounts = (0, leg.amount_out) if leg.zero_for_one else (leg.amount_out, 0)
            transfer = erc20.fn("transfer").encode(leg.pool, leg.amount_in)
            out.append(Interaction(leg.token_in, transfer, inputs=((leg.token_in, leg.amount_in),)))
            swap = pair.fn("swap").encode(*amounts, mainnet.GPV2_SETTLEMENT, b"")
            out.append(Interaction(leg.pool, swap, outputs=((leg.token_out, leg.amount_out),)))
            continue
        approve = erc20.fn("approve").encode(
            mainnet.SWAP_ROUTER, limit if leg.exact_output else leg.amount_in
        )
        out.append(Interaction(leg.token_in, approve))
        if leg.exact_output:
            params = (
                leg.token_in,
                leg.token_out,
                leg.fee,
                mainnet.GPV2_SETTLEMENT,
                deadline,
                leg.amount_out,
                limit,
                0,
            )
            call = router.fn("exactOutputSingle").encode(params)
        else:
            params = (
                leg.token_in,
                leg.token_out,
                leg.fee,
                mainnet.GPV2_SETTLEMENT,
                deadline,
                leg.amount_in,
                limit,
                0,
            )
            call = router.fn("exactInputSingle").encode(params)
        out.append(
            Interaction(
                mainnet.SWAP_ROUTER,
                call,
                inputs=((leg.token_in, leg.amount_in),),
                outputs=((leg.token_out, leg.amount_out),),
            )
        )
        if leg.exact_output:  # no allowance left standing
            out.append(Interaction(leg.token_in, erc20.fn("approve").encode(mainnet.SWAP_ROUTER, 0)))
    return out


def unwrap_interaction(amount: int) -> Interaction:
    """WETH.withdraw(amount): the ETH that `BUY_ETH` orders are paid in."""
    call = artifacts.interface("WETH9").fn("withdraw").encode(amount)
    return Interaction(mainnet.WETH, call, inputs=((mainnet.WETH, amount),), outputs=((BUY_ETH, amount),))


def estimate_gas(settlement: Settlement, route_gas: int = 0) -> int:
    calls = len(settlement.pre) + len(settlement.interactions) + len(settlement.post)
    return SETTLE_BASE_GAS + TRADE_GAS * len(settlement.trades) + INTERACTION_GAS * calls + route_gas


# -- on chain ---------------------------------------------------------------------------------------------
def simulate(node: Node, settlement: Settlement, solver: str) -> int:
    """`eth_call` the settlement from `solver` in the pending block; returns the node's gas estimate. Raises
    SettlementError with the revert reason."""
    tx = {"from": solver, "to": mainnet.GPV2_SETTLEMENT, "data": "0x" + settlement.calldata().hex()}
    try:
        node.rpc.call("eth_call", [tx, "pending"])
        return int(node.rpc.call("eth_estimateGas", [tx, "pending"]), 16)
    except RpcError as e:
        raise SettlementError(f"the settlement would revert: {e.revert_reason or e}") from None


@dataclass(frozen=True)
class Settled:
    """A mined settlement: its receipt, and per trade what the owner paid and the receiver got (from the
    Trade events and the receipt's transfers)."""

    tx_hash: str
    gas_used: int
    receipt: Receipt
    executed: tuple[Execution, ...]
    received: tuple[int, ...]


def settle(node: Node, settlement: Settlement, solver: str) -> Settled:
    """Simulate, send from `solver` (an allowed solver), and verify that every receiver got at least what
    its order's limit price gives for what its owner paid. Raises SettlementError otherwise."""
    gas = simulate(node, settlement, solver)
    try:
        receipt = node.send(
            solver, mainnet.GPV2_SETTLEMENT, settlement.calldata(), gas=gas * 13 // 10, what="settle"
        )
    except TransactionFailed as e:
        raise SettlementError(f"the settlement reverted: {e}") from None
    events = node.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT).events(receipt, "Trade")
    by_uid = {bytes(e["orderUid"]): e for e in events}
    transfers = _transfers(receipt)
    executed: list[Execution] = []
    received: list[int] = []
    for trade in settlement.trades:
        event = by_uid.get(trade.order.uid)
        if event is None:
            raise SettlementError(f"order {trade.order.uid.hex()[:16]} has no Trade event")
        done = Execution(event["sellAmount"], event["buyAmount"], event["feeAmount"])
        o = trade.order.order
        got = (
            done.buy
            if o.buy_token == BUY_ETH
            else transfers.get((o.buy_token.lower(), trade.order.receiver.lower()), 0)
        )
        sold = done.sell - done.fee
        if got < done.buy or got * o.sell_amount < o.buy_amount * sold:
            raise SettlementError(
                f"order {trade.order.uid.hex()[:16]}: the receiver got {got} for {sold}, below its limit"
            )
        executed.append(done)
        received.append(got)
    return Settled(
        receipt["transactionHash"], int(receipt["gasUsed"], 16), receipt, tuple(executed), tuple(received)
    )


TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def _transfers(receipt: Receipt) -> Mapping[tuple[str, str], int]:
    """ERC-20 Transfer amounts out of the settlement in `receipt`, by (token, recipient)."""
    settlement_topic = "0x" + mainnet.GPV2_SETTLEMENT[2:].lower().rjust(64, "0")
    out: dict[tuple[str, str], int] = {}
    for log in receipt["logs"]:
        topics = log["topics"]
        if len(topics) == 3 and topics[0] == TRANSFER_TOPIC and topics[1].lower() == settlement_topic:
            key = (log["address"].lower(), "0x" + topics[2][-40:].lower())
            out[key] = out.get(key, 0) + int(log["data"], 16)
    return out
