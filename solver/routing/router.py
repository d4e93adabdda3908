"""The router: an order in, the best split it can find out, as exact legs.

1. `network.build_network`: the pools on paths of at most `max_hops` between the two tokens.
2. `dual.solve`: float prices at which every used pool trades to the same marginal rate (convex, Newton).
3. `search.SplitSearch`: fixed gas per leg and per tick crossed is not convex; starting from the full split
   or from the best single path (every choice of pool per hop, `paths.py`), legs are dropped, offered back,
   swapped for other pools and stopped before ticks while that pays for its gas (`moves.py`), re-solving
   each time (see those modules).
4. `exact.realise` + `polish.polish`: integer amounts quoted on the exact pool models, then improved exactly.
5. A safety net: the best few single paths, estimated on the float curves, are quoted exactly and replace
   the split if better net of gas (only when gas dwarfs the gains of splitting).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from amm.chain.addresses import WETH
from amm.chain.node import Node
from solver.routing import dual
from solver.routing.errors import InsufficientLiquidity, InvalidOrder, NoRoute, RoutingError, SameToken
from solver.routing.exact import Plan, Quoter, realise
from solver.routing.network import BUY, SELL, Network, build_network
from solver.routing.polish import Objective, polish
from solver.routing.prices import reference_prices
from solver.routing.route import GasModel, Kind, Leg, Order, Route, RouteStats
from solver.routing.search import Solved, SplitSearch
from solver.routing.universe import Token, Universe

_MIN_SHARE = 1e-9  # edges worth less than this fraction of the order are float noise


class Router:
    """Routes orders over a `Universe`; reuse one router for many orders (networks and prices are cached
    until the universe changes).

    `max_hops`: pools considered are those on paths of at most this many pools (1 = direct pools only, 2 =
    through one intermediate token, 3 = the smart-order-router's limit and the default). The flow may chain
    them (A -> H1 -> H2 -> H3 -> B when all those pools lie on short paths); gas counts every leg.
    `hubs`: intermediate tokens allowed (symbols or addresses; default: every token of the universe).
    `polish_budget`: exact evaluations spent polishing the integer split (0 = none).
    `node`: where the gas price comes from when a route is asked for without one (`eth_gasPrice`); without a
    node, every route must be given its gas price (0 routes as if gas were free: many legs for a small order).
    """

    def __init__(
        self,
        universe: Universe,
        *,
        max_hops: int = 3,
        hubs: Iterable[str] | None = None,
        gas_model: GasModel | None = None,
        polish_budget: int = 12,
        node: Node | None = None,
    ) -> None:
        if max_hops not in (1, 2, 3):
            raise RoutingError(f"max_hops is 1, 2 or 3, got {max_hops}")
        self.universe = universe
        self.max_hops = max_hops
        self.hubs = None if hubs is None else [universe.token(h).address for h in hubs]
        self.gas_model = gas_model or GasModel()
        self.node = node
        self.polish_budget = polish_budget
        self._cache: dict[tuple, object] = {}
        self._cache_version = universe.version

    # ------------------------------------------------------------------------------------------ public
    def gas_price(self, given: int | None = None) -> int:
        """`given`, or the node's `eth_gasPrice`; raises RoutingError when neither is there."""
        if given is not None:
            return given
        if self.node is None:
            raise RoutingError(
                "give gas_price_wei (0 prices gas at nothing) or build the Router with a node to read it from"
            )
        return int(self.node.rpc.call("eth_gasPrice"), 16)

    def order(self, sell: str, buy: str, amount: int, kind: Kind = "exact_in") -> Order:
        """An order from symbols or addresses; raises UnknownToken / SameToken / InvalidOrder."""
        token_in, token_out = self.universe.token(sell), self.universe.token(buy)
        if token_in.address.lower() == token_out.address.lower():
            raise SameToken(f"selling and buying the same token ({token_in.symbol}) is not a trade")
        return Order(token_in, token_out, amount, kind)

    def route(
        self,
        sell: str,
        buy: str,
        amount: int,
        kind: Kind = "exact_in",
        *,
        gas_price_wei: int | None = None,
        eth_price: float | None = None,
        slippage_bps: int = 50,
    ) -> Route:
        """The best split for the order, net of gas at `gas_price_wei` (None: the node's gas price; an error
        without a node, rather than a silent 0).

        Gas is valued in the output token (exact input) or the input token (exact output) at `eth_price`
        whole tokens per ETH, or at the universe's own mid price of WETH when not given.
        """
        return self.route_order(
            self.order(sell, buy, amount, kind),
            gas_price_wei=gas_price_wei,
            eth_price=eth_price,
            slippage_bps=slippage_bps,
        )

    def route_order(
        self,
        order: Order,
        *,
        gas_price_wei: int | None = None,
        eth_price: float | None = None,
        slippage_bps: int = 50,
    ) -> Route:
        started = time.perf_counter()
        gas_price_wei = self.gas_price(gas_price_wei)
        if not 0 <= slippage_bps < 10_000:
            raise RoutingError(f"slippage_bps must be in [0, 10000), got {slippage_bps}")
        if gas_price_wei < 0:
            raise RoutingError(f"the gas price cannot be negative, got {gas_price_wei}")
        network = self._network(order)
        exact_in = order.exact_in
        gas_token = order.buy if exact_in else order.sell
        eth_price = self._eth_price(gas_token, gas_price_wei, eth_price)
        unit = gas_price_wei * eth_price * 10**gas_token.decimals / 1e18  # raw gas-token units per gas unit
        if not exact_in:
            capacity = float(network.curves.out_end[network.ej == BUY].sum())
            if order.amount >= capacity:
                raise InsufficientLiquidity(
                    f"cannot buy {order.buy.units(order.amount):,.6g} {order.buy.symbol}: the pools on its "
                    f"paths hold at most ~{order.buy.units(int(capacity)):,.6g}"
                )
        search = SplitSearch(network, order, unit, self.gas_model)
        solved = search.run()
        searched = time.perf_counter()
        quoter = Quoter(network)
        objective = self._objective(network, unit)
        plan = realise(quoter, _weights(network, solved, exact_in), exact_in, order.amount)
        if self.polish_budget and unit > 0:
            plan, _ = polish(quoter, plan, objective, budget=self.polish_budget)
        if unit > 0:  # without gas the split is optimal: a single path cannot beat it
            plan = self._safety_net(quoter, plan, objective, order, solved.net, search.singles())
        if plan.amount_out <= 0 or any(out <= 0 for _, out, _ in plan.legs.values()):
            raise InvalidOrder(
                f"the order is too small: selling {order.sell.units(plan.amount_in):.6g} {order.sell.symbol} "
                f"buys less than one raw unit of {order.buy.symbol} on some pool"
            )
        legs = self._legs(network, plan)
        gas_units = self.gas_model.base + sum(leg.gas for leg in legs)
        finished = time.perf_counter()
        stats = RouteStats(
            seconds=finished - started,
            search_seconds=searched - started,
            exact_seconds=finished - searched,
            dual_iterations=solved.solution.iterations,
            solves=search.solves,
            exact_quotes=quoter.quotes,
            edges=len(network.edges),
            dropped_for_gas=search.dropped,
        )
        return Route(
            order=order,
            legs=tuple(legs),
            amount_in=plan.amount_in,
            amount_out=plan.amount_out,
            gas_units=gas_units,
            gas_price_wei=gas_price_wei,
            gas_cost=round(gas_units * unit),
            eth_price=eth_price,
            spot_price=self._spot_price(network, order),
            slippage_bps=slippage_bps,
            block=self.universe.block,
            stats=stats,
        )

    # -------------------------------------------------------------------------------------- exact stage
    def _objective(self, network: Network, unit: float) -> Objective:
        per = [self.gas_model.leg(edge.pool.kind, 0) for edge in network.edges]
        per_tick = self.gas_model.per_tick

        def value(plan: Plan) -> float:
            gas = sum(per[e] + per_tick * ticks for e, (_, _, ticks) in plan.legs.items()) * unit
            return plan.amount_out - gas if plan.exact_in else -(plan.amount_in + gas)

        return value

    @staticmethod
    def _safety_net(
        quoter: Quoter,
        plan: Plan,
        objective: Objective,
        order: Order,
        split_net: float,
        singles: list[tuple[float, list[int]]],
    ) -> Plan:
        """Replace the split by a single path if that is better net of gas: candidates (every choice of pool
        per hop) are ranked on the float curves and only the best few within 1 bp of the split are quoted
        exactly."""
        best, best_value = plan, objective(plan)
        scored = sorted(singles, key=lambda c: c[0], reverse=True)
        for estimate, path in scored[:3]:
            if estimate < split_net - 1e-4 * abs(split_net):
                break
            try:
                candidate = realise(quoter, dict.fromkeys(path, 1.0), order.exact_in, order.amount)
            except InsufficientLiquidity:
                continue
            value = objective(candidate)
            if value > best_value:
                best, best_value = candidate, value
        return best

    def _legs(self, network: Network, plan: Plan) -> list[Leg]:
        legs: list[Leg] = []
        position = {k: n for n, k in enumerate(plan.order)}
        for e in sorted(plan.legs, key=lambda e: (position.get(network.edges[e].i, 0), e)):
            edge = network.edges[e]
            amount_in, amount_out, ticks = plan.legs[e]
            pool = edge.pool
            legs.append(
                Leg(
                    pool=pool.address,
                    pool_name=pool.name,
                    kind=pool.kind,
                    fee=pool.fee,
                    zero_for_one=edge.zero_for_one,
                    token_in=pool.token0 if edge.zero_for_one else pool.token1,
                    token_out=pool.token1 if edge.zero_for_one else pool.token0,
                    amount_in=amount_in,
                    amount_out=amount_out,
                    ticks_crossed=ticks,
                    gas=self.gas_model.leg(pool.kind, ticks),
                    exact_output=not plan.exact_in,
                )
            )
        return legs

    # ------------------------------------------------------------------------------ prices and caching
    def _cached(self, key: tuple) -> object | None:
        if self._cache_version != self.universe.version:
            self._cache.clear()
            self._cache_version = self.universe.version
        return self._cache.get(key)

    def _store(self, key: tuple, value: object) -> None:
        self._cache[key] = value

    def _network(self, order: Order) -> Network:
        key = ("network", order.sell.address, order.buy.address)
        network = self._cached(key)
        if network is None:
            network = build_network(
                self.universe, order.sell.address, order.buy.address, max_hops=self.max_hops, hubs=self.hubs
            )
            self._store(key, network)
        return network  # type: ignore[return-value]

    def _eth_price(self, token: Token, gas_price_wei: int, eth_price: float | None) -> float:
        """Whole `token` per ETH, to value gas: given, 1 for WETH, else the universe's mid price of WETH."""
        if eth_price is not None:
            if eth_price <= 0:
                raise RoutingError(f"eth_price must be positive, got {eth_price}")
            return eth_price
        if token.address.lower() == WETH.lower():
            return 1.0
        key = ("eth_price", token.address)
        cached = self._cached(key)
        if cached is None:
            weth = self.universe.tokens.get(WETH.lower())
            raw = reference_prices(self.universe, token.address).get(WETH.lower()) if weth else None
            cached = -1.0 if raw is None or weth is None else raw * 10**weth.decimals / 10**token.decimals
            self._store(key, cached)
        if cached < 0:  # type: ignore[operator]
            if gas_price_wei:
                raise RoutingError(
                    f"cannot value gas in {token.symbol}: no pool links it to WETH here; give eth_price"
                )
            return 0.0
        return cached  # type: ignore[return-value]

    def _spot_price(self, network: Network, order: Order) -> float:
        """Best mid price (no fees) along the network's paths, whole output tokens per whole input token."""
        curves = network.curves
        log_mid = curves.log_spot - np.log(curves.gamma)
        log_nu = dual.threshold_prices(network, True, np.ones(len(network.edges), dtype=bool), log_mid)
        raw = float(np.exp(log_nu[SELL]))
        return raw * 10**order.sell.decimals / 10**order.buy.decimals


def _weights(network: Network, solved: Solved, exact_in: bool) -> dict[int, float]:
    """Per-edge shares of the float solution (inputs for exact input, outputs for exact output), without
    edges whose value is float noise next to the order's."""
    sol = solved.solution
    flows = sol.flows
    value = flows.amount_in * sol.nu[sol.ei]
    order_value = float(value[sol.ei == SELL].sum())
    keep = solved.active & (flows.amount_in > 0) & (value > _MIN_SHARE * order_value)
    amounts = flows.amount_in if exact_in else flows.amount_out
    # one leg per pool: both directions of a pool never trade at one set of prices, but float noise could
    # leave a sliver on the other; keep the larger (quotes assume each pool is touched once)
    by_pool: dict[str, int] = {}
    for e in np.flatnonzero(keep):
        pool = network.edges[int(e)].pool.address
        if pool not in by_pool or value[e] > value[by_pool[pool]]:
            by_pool[pool] = int(e)
    keep[:] = False
    keep[list(by_pool.values())] = True
    weights = {int(e): float(amounts[e]) for e in np.flatnonzero(keep)}
    if not weights:
        raise NoRoute("no pool would trade at any price along the order's paths")
    return weights
