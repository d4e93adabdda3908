"""Routing over an auction's own liquidity: the best direct pool or two-hop path, exact for every kind.

The auction's liquidity (`solver.intents.cow.liquidity`) comes with each kind's exact swap math and a gas
estimate; this searches every pool holding both tokens and every path through one intermediate token,
quotes each exactly, and keeps the best net of gas (gas valued in the output token for a sell, the input
token for a buy, at the auction's reference prices). The route it returns has what `solve` asks of a route
(amounts, slippage-protected limits, gas) and becomes `liquidity` interactions that the driver encodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solver.intents.cow.liquidity import InfeasibleSwap, Liquidity
from solver.intents.cow.settlement import Interaction
from solver.routing.errors import RoutingError

BPS = 10_000


@dataclass(frozen=True)
class Hop:
    pool: Liquidity
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class AuctionRoute:
    """One or two hops through auction liquidity, with the route API `solve` uses."""

    hops: tuple[Hop, ...]
    slippage_bps: int = 0

    @property
    def amount_in(self) -> int:
        return self.hops[0].amount_in

    @property
    def amount_out(self) -> int:
        return self.hops[-1].amount_out

    @property
    def min_amount_out(self) -> int:
        return self.amount_out * (BPS - self.slippage_bps) // BPS

    @property
    def max_amount_in(self) -> int:
        return self.amount_in + (self.amount_in * self.slippage_bps + BPS - 1) // BPS

    @property
    def gas_units(self) -> int:
        return sum(h.pool.gas_estimate for h in self.hops)

    def interactions(self) -> list[Interaction]:
        return [
            Interaction(
                h.pool.address,
                b"",
                inputs=((h.token_in, h.amount_in),),
                outputs=((h.token_out, h.amount_out),),
                liquidity_id=h.pool.id,
            )
            for h in self.hops
        ]


class AuctionRouter:
    """Routes over one auction's liquidity; `reference_prices` are wei of ETH per 10**18 of each token."""

    def __init__(
        self, liquidity: Sequence[Liquidity], reference_prices: Mapping[str, int] | None = None
    ) -> None:
        self.liquidity = list(liquidity)
        self.prices = {t.lower(): p for t, p in (reference_prices or {}).items()}
        self._by_token: dict[str, list[Liquidity]] = {}
        for pool in self.liquidity:
            for token in pool.tokens:
                self._by_token.setdefault(token.lower(), []).append(pool)

    def route(
        self,
        sell: str,
        buy: str,
        amount: int,
        kind: str = "exact_in",
        *,
        gas_price_wei: int = 0,
        slippage_bps: int = 0,
    ) -> AuctionRoute:
        """The best path for selling exactly `amount` of `sell` (exact_in) or buying exactly `amount` of
        `buy` (exact_out); raises RoutingError when no liquidity can."""
        best: tuple[float, AuctionRoute] | None = None
        for path in self._paths(sell.lower(), buy.lower()):
            hops = self._quote(path, amount, kind)
            if hops is None:
                continue
            route = AuctionRoute(hops, slippage_bps)
            score = self._score(route, kind, gas_price_wei)
            if best is None or score > best[0]:
                best = (score, route)
        if best is None:
            raise RoutingError(f"no auction liquidity can {'sell' if kind == 'exact_in' else 'buy'} {amount}")
        return best[1]

    def _paths(self, sell: str, buy: str) -> list[tuple[tuple[Liquidity, str, str], ...]]:
        direct = [((p, sell, buy),) for p in self._by_token.get(sell, []) if buy in p.tokens]
        two_hop = []
        for first in self._by_token.get(sell, []):
            for middle in first.tokens:
                if middle in (sell, buy):
                    continue
                for second in self._by_token.get(middle, []):
                    if second is not first and buy in second.tokens:
                        two_hop.append(((first, sell, middle), (second, middle, buy)))
        return [*direct, *two_hop]

    def _quote(
        self, path: tuple[tuple[Liquidity, str, str], ...], amount: int, kind: str
    ) -> tuple[Hop, ...] | None:
        try:
            if kind == "exact_in":
                hops, current = [], amount
                for pool, tin, tout in path:
                    out = pool.quote_exact_in(tin, tout, current)
                    hops.append(Hop(pool, tin, tout, current, out))
                    current = out
                return tuple(hops) if current > 0 else None
            needed = amount  # backwards: what each hop must be paid; then forwards: what it really gives
            for pool, tin, tout in reversed(path):
                needed = pool.input_covering_output(tin, tout, needed)
            hops, current = [], needed
            for pool, tin, tout in path:
                out = pool.quote_exact_in(tin, tout, current)
                hops.append(Hop(pool, tin, tout, current, out))
                current = out
            return tuple(hops) if current >= amount else None
        except (InfeasibleSwap, ArithmeticError):
            return None

    def _score(self, route: AuctionRoute, kind: str, gas_price_wei: int) -> float:
        """Output net of gas (sells) or minus the input plus gas (buys), in the token's own units."""
        if kind == "exact_in":
            token, value = route.hops[-1].token_out, float(route.amount_out)
        else:
            token, value = route.hops[0].token_in, -float(route.amount_in)
        price = self.prices.get(token)
        gas = route.gas_units * gas_price_wei * 10**18 / price if price else 0.0
        return value - gas
