"""How the solver's books in a stress run meet the engine's market: swapper orders arriving, routes that
value gas at the market's ETH price, and hedges executed on the pool models.

Why separate from the books: these are the stand-ins for the chain (no node, no signatures, no filler
contract); the books themselves (`solver.stress.solver_book`) only run the live library code on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from amm.chain.errors import TransactionFailed
from solver.backtest import execute_on_models
from solver.intents.uniswapx import ResolvedOrder
from solver.intents.uniswapx.types import InputToken, OrderInfo, OutputToken
from solver.routing.route import Order, Route
from solver.routing.router import Router
from solver.routing.universe import Token, Universe

REACTOR = "0x00000000000000000000000000000000000000aa"  # one reactor: opposite orders may batch
SWAPPER = "0x00000000000000000000000000000000000000bb"
HEDGE_GAS_UNITS = 60_000  # the filler's hedge call beside the route's own gas (an estimate)
PAIRS = (("USDC", "WETH"), ("USDC", "WBTC"), ("WETH", "WBTC"))
DEADLINE_S = 600


class SwapperFlow:
    """Swapper orders as the reactor resolves them (`ResolvedOrder`, no signing: nothing here checks one),
    exact input, at their limit: Poisson arrivals, a pair by weight and a fair coin for the side, a
    log-uniform USD size, and a limit drawn uniformly up to `limit_slippage` worse than the market."""

    def __init__(
        self,
        tokens: Mapping[str, Token],
        orders_per_step: float,
        order_usd: tuple[float, float],
        limit_slippage: float,
        pair_weights: tuple[float, ...],
    ) -> None:
        self.tokens = tokens
        self.orders_per_step = orders_per_step
        self.order_usd = order_usd
        self.limit_slippage = limit_slippage
        weights = np.array(pair_weights, dtype=float)
        if len(weights) != len(PAIRS) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"solver pair_weights are {len(PAIRS)} weights >= 0, not all 0")
        self.pair_p = weights / weights.sum()
        self.nonce = 0

    def order(
        self, sell: str, buy: str, usd: float, slippage: float, prices: Mapping[str, float], now: int
    ) -> ResolvedOrder:
        """Sells `usd` of `sell` (raw, rounded down) for at least the market amount of `buy` less
        `slippage` (rounded down)."""
        t_in, t_out = self.tokens[sell], self.tokens[buy]
        amount_in = int(usd / prices[sell] * 10**t_in.decimals)
        fair_out = amount_in * prices[sell] / prices[buy] * 10 ** (t_out.decimals - t_in.decimals)
        self.nonce += 1
        return ResolvedOrder(
            "dutch",
            "0x" + f"{self.nonce:064x}",
            OrderInfo(REACTOR, SWAPPER, self.nonce, now + DEADLINE_S),
            InputToken(t_in.address, amount_in, amount_in),
            (OutputToken(t_out.address, int(fair_out * (1 - slippage)), SWAPPER),),
        )

    def arrivals(
        self, rng: np.random.Generator, prices: Mapping[str, float], now: int
    ) -> list[ResolvedOrder]:
        """This step's orders, drawn from `rng`."""
        orders = []
        low, high = math.log(self.order_usd[0]), math.log(self.order_usd[1])
        for _ in range(int(rng.poisson(self.orders_per_step))):
            a, b = PAIRS[int(rng.choice(len(PAIRS), p=self.pair_p))]
            sell, buy = (a, b) if rng.random() < 0.5 else (b, a)
            usd = math.exp(rng.uniform(low, high))
            slippage = float(rng.uniform(0.0, self.limit_slippage))
            orders.append(self.order(sell, buy, usd, slippage, prices, now))
        return orders


class MarketRouter(Router):
    """The live Router, valuing gas at the market's ETH price: the Router finds WETH by its mainnet address
    to price gas from the pools, which a synthetic universe does not use (every route would fail)."""

    def __init__(self, universe: Universe, prices: Mapping[str, float]) -> None:
        super().__init__(universe)
        self.prices = prices

    def route_order(
        self,
        order: Order,
        *,
        gas_price_wei: int | None = None,
        eth_price: float | None = None,
        slippage_bps: int = 50,
    ) -> Route:
        if eth_price is None:
            gas_token = order.buy if order.exact_in else order.sell
            eth_price = self.prices["WETH"] / self.prices[gas_token.symbol]
        return super().route_order(
            order, gas_price_wei=gas_price_wei, eth_price=eth_price, slippage_bps=slippage_bps
        )


class ModelExecutor:
    """What `Hedger.execute` sends a hedge through: the route run on the pool models
    (`backtest.execute_on_models`, the filler's leg rules and floors). Closed, or refused by the models,
    it raises TransactionFailed as a revert would, so the Hedger halts the side exactly as it does live."""

    def __init__(self, universe: Universe, timestamp: int, open_: bool) -> None:
        self.universe, self.timestamp, self.open = universe, timestamp, open_

    def execute(self, route: Route, *, sender: str, deadline: int | None = None) -> SimpleNamespace:
        if not self.open:
            raise TransactionFailed("0x", "hedge venue unreachable")
        models: dict[str, Any] = {}
        done = execute_on_models(self.universe, route, models, self.timestamp, route.amount_in, False)
        if done is None:
            raise TransactionFailed("0x", "route refused by the pools (limit or liquidity)")
        for address, model in models.items():
            self.universe.replace_model(address, model)
        receipt = {"effectiveGasPrice": "0x0", "blockNumber": "0x0", "blockHash": "0x"}
        gas = route.gas_units + HEDGE_GAS_UNITS
        return SimpleNamespace(
            amount_in=done[0], amount_out=done[1], gas_used=gas, tx_hash="0x", receipt=receipt
        )
