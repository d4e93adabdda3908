"""Batch solving: uniform clearing prices per token pair, coincidences of wants first, the rest through pools.

For each pair {A, B} the orders on both sides are settled at one price p (B per A, as the exact fraction of
the two clearing prices). At p every trade's amounts follow from the contract's own rounding (`execution`),
so the settlement receives some net amount of A (or B) that the pools must turn into the other token. The
price is the uniform one at which that residual, routed through the pools at its slippage floor, exactly
pays what the opposite side is owed: found by bisection, since the residual's average rate falls as the
price moves toward the side in excess. What matches internally never touches a pool (its surplus is the
pool fee and price impact saved), and every trader gets the same rate as the routed residual. Orders whose
limit that price does not meet are dropped, one at a time, the worst first, and the price found again.

One `Settlement` per pair; a token shared by two pairs is priced separately in each, as the API allows
(one solution per pair). Partially fillable orders are filled whole (what remains of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from amm.chain import addresses as mainnet
from solver.intents.cow.auction_routing import AuctionRoute, AuctionRouter
from solver.intents.cow.order import BUY_ETH
from solver.intents.cow.settlement import (
    Execution,
    Settlement,
    SettlementError,
    Trade,
    estimate_gas,
    execution,
    route_interactions,
    unwrap_interaction,
)
from solver.intents.cow.signing import SignedCowOrder
from solver.routing.errors import RoutingError
from solver.routing.route import Route
from solver.routing.router import Router

BISECTIONS = 40  # at most; the bracket stops at PRICE_TOLERANCE (relative)
PRICE_TOLERANCE = Fraction(1, 2**27)  # 7.5e-9: far below a wei of surplus on the orders a batch carries
# how far from the pools' mid the clearing price is looked for, step by step
BRACKET_STEPS = tuple(Fraction(f) for f in ("1.0005", "1.002", "1.01", "1.03", "1.1", "1.3", "2", "4", "16"))
PRICE_BITS = 96  # clearing prices: numerator and denominator of at most this many bits


@dataclass(frozen=True)
class Candidate:
    """An order the batch may execute, and how much of it remains (sell token for sell orders, buy token for
    buy orders)."""

    order: SignedCowOrder
    remaining: int

    @property
    def sell(self) -> str:
        return _trading(self.order.order.sell_token)

    @property
    def buy(self) -> str:
        return _trading(self.order.order.buy_token)


@dataclass(frozen=True)
class PairSolution:
    """A settlement of one pair's orders, the orders it left out (with why), and its residual route."""

    settlement: Settlement
    route: Route | AuctionRoute | None
    dropped: tuple[tuple[Candidate, str], ...]


def solve(
    candidates: Sequence[Candidate],
    router: Router | AuctionRouter,
    *,
    deadline: int,
    gas_price_wei: int = 0,
    slippage_bps: int = 0,
    should_stop: Callable[[], bool] | None = None,
) -> list[PairSolution]:
    """A settlement per token pair of `candidates` (orders already checked: valid, unfilled, funded), through
    our pools (`Router`) or an auction's liquidity (`AuctionRouter`). `should_stop` is asked between pairs
    (a deadline): the pairs solved by then are returned."""
    pairs: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        if c.remaining <= 0 or c.sell.lower() == c.buy.lower():
            continue
        key = tuple(sorted((c.sell.lower(), c.buy.lower())))
        pairs.setdefault(key, []).append(c)  # type: ignore[arg-type]
    out: list[PairSolution] = []
    for group in pairs.values():
        if should_stop is not None and should_stop():
            break
        solution = _solve_pair(group, router, deadline, gas_price_wei, slippage_bps)
        if solution is not None:
            out.append(solution)
    return out


def _solve_pair(
    group: list[Candidate],
    router: Router | AuctionRouter,
    deadline: int,
    gas_price_wei: int,
    slippage_bps: int,
) -> PairSolution | None:
    """Clear the pair; while some order's limit is not met, leave out one order and clear again. Which one:
    of the order furthest from its limit, the largest order on the side in excess (its impact may be what
    pushes the others past their limits) and the largest violator, the one whose absence leaves the most
    surplus to the rest (greedy, a few clearings per step)."""
    a, b = group[0].sell, group[0].buy

    def clear(orders: list[Candidate]) -> tuple[_Pair, Fraction | None]:
        pair = _Pair(a, b, orders, router, deadline, gas_price_wei, slippage_bps)
        return pair, pair.clearing_price()

    included = list(group)
    dropped: list[tuple[Candidate, str]] = []
    pair, price = clear(included)
    while included:
        if price is not None:
            violators = [c for c in included if not _meets_limit(c, a, price)]
            if not violators:
                return pair.solution(price, tuple(dropped))
            options = {
                id(c): c
                for c in (
                    max(violators, key=lambda c: _limit_distance(c, a, price)),
                    max(violators, key=lambda c: _volume(c, a, price)),
                    max(
                        included,
                        key=lambda c: _volume(c, a, price) * (1 if _on_excess_side(pair, c, price) else 0),
                    ),
                )
            }
            why = "limit price not met at the batch's clearing price"
        else:
            options = {id(c): c for c in sorted(included, key=lambda c: -_volume(c, a, None))[:2]}
            why = "no clearing price: the pools cannot absorb the batch's residual"
        best: tuple[Fraction, Candidate, _Pair, Fraction | None] | None = None
        for candidate in options.values():
            rest = [c for c in included if c is not candidate]
            if not rest:
                continue
            trial, trial_price = clear(rest)
            value = _surplus(trial, trial_price) if trial_price is not None else Fraction(-1)
            if best is None or value > best[0]:
                best = (value, candidate, trial, trial_price)
        if best is None:
            dropped.append((included[0], why))
            return None
        _, leave, pair, price = best
        dropped.append((leave, why))
        included.remove(leave)
    return None


def _volume(c: Candidate, a: str, price: Fraction | None) -> Fraction:
    """The order's size in B (A amounts at `price`, or 1:1 without one)."""
    amount = c.order.order.sell_amount
    if c.sell.lower() == a.lower():
        return amount * (price if price is not None else Fraction(1))
    return Fraction(amount)


def _on_excess_side(pair: _Pair, c: Candidate, price: Fraction) -> bool:
    net_a, _, _ = pair.flows(price)
    return (c.sell.lower() == pair.a.lower()) == (net_a > 0)


def _surplus(pair: _Pair, price: Fraction) -> Fraction:
    """What the orders meeting their limits get beyond them, in B (A at `price`); those that do not meet
    them count as the shortfall, so a price that breaks limits scores low."""
    _, _, done = pair.flows(price)
    total = Fraction(0)
    for c, ex in zip(pair.orders, done, strict=True):
        extra = ex.buy - c.order.order.buy_amount * ex.sell // max(c.order.order.sell_amount, 1)
        total += extra if c.buy.lower() == pair.b.lower() else extra * price
    return total


class _Pair:
    """One pair's orders at trial prices: their exact flows and what the pools must absorb."""

    def __init__(
        self,
        a: str,
        b: str,
        orders: list[Candidate],
        router: Router | AuctionRouter,
        deadline: int,
        gas_price_wei: int,
        slippage_bps: int,
    ) -> None:
        self.a, self.b, self.orders, self.router = a, b, orders, router
        self.deadline, self.gas_price_wei, self.slippage_bps = deadline, gas_price_wei, slippage_bps
        self._routes: dict[tuple[str, str, int, str], Route | AuctionRoute | None] = {}

    # -- flows at a price -----------------------------------------------------------------------------
    def flows(self, price: Fraction) -> tuple[int, int, list[Execution]]:
        """The settlement's net A and B from the trades alone at `price` (B per A)."""
        net = {self.a.lower(): 0, self.b.lower(): 0}
        done: list[Execution] = []
        for c in self.orders:
            sell_price, buy_price = _prices_for(c, self.a, price)
            ex = execution(c.order, sell_price, buy_price, c.remaining, check_limit=False)
            net[c.sell.lower()] += ex.sell
            net[c.buy.lower()] -= ex.buy
            done.append(ex)
        return net[self.a.lower()], net[self.b.lower()], done

    def _route(self, sell: str, buy: str, amount: int, kind: str) -> Route | AuctionRoute | None:
        key = (sell, buy, amount, kind)
        if key not in self._routes:
            try:
                self._routes[key] = self.router.route(
                    sell, buy, amount, kind, gas_price_wei=self.gas_price_wei, slippage_bps=self.slippage_bps
                )
            except RoutingError:
                self._routes[key] = None
        return self._routes[key]

    def residual(self, price: Fraction) -> tuple[bool, Route | AuctionRoute | None]:
        """Whether the trades at `price` can be settled, routing the residual; and that route."""
        net_a, net_b, _ = self.flows(price)
        if net_a >= 0 and net_b >= 0:
            return True, None
        if net_a > 0 > net_b:  # sell the excess A for at least the B owed
            route = self._route(self.a, self.b, net_a, "exact_in")
            return (route is not None and route.min_amount_out >= -net_b), route
        if net_b > 0 > net_a:  # buy the A owed with at most the excess B
            route = self._route(self.b, self.a, -net_a, "exact_out")
            if route is not None:
                return route.max_amount_in <= net_b, route
            # no exact-output route: sell all the excess B instead (what it yields beyond the A owed stays
            # in the settlement)
            route = self._route(self.b, self.a, net_b, "exact_in")
            return (route is not None and route.min_amount_out >= -net_a), route
        return False, None  # both short: no price can be paid

    # -- the clearing price ---------------------------------------------------------------------------
    def clearing_price(self) -> Fraction | None:
        """The uniform price at which the routed residual exactly pays the other side (to the bracket's
        precision, rounded toward feasibility); None if none exists."""
        mid = self._mid()
        if mid is None:
            return None
        net_a, net_b, _ = self.flows(mid)
        if net_a >= 0 and net_b >= 0:
            return mid  # the batch clears at the pools' own price (a perfect coincidence of wants)
        a_in_excess = net_a > 0

        # A in excess: feasible at and below the clearing price; B in excess: at and above it. The mid is
        # only a start (a small route's rate can sit off the deep liquidity's): bracket by feasibility.
        def feasible(p: Fraction) -> bool:
            return self.residual(_limited(p))[0]

        good_side_low = a_in_excess  # feasible prices lie below the boundary
        good: Fraction | None = None
        bad: Fraction | None = None
        mid_ok = feasible(mid)
        # walk away from the mid in widening steps (not doubling at once: a price too far flips which side
        # is in excess) until feasibility changes
        toward_low = good_side_low != mid_ok  # infeasible mid: go toward the feasible side, else away
        previous = mid
        for factor in BRACKET_STEPS:
            probe = mid / factor if toward_low else mid * factor
            if feasible(probe) != mid_ok:
                good, bad = (previous, probe) if mid_ok else (probe, previous)
                break
            previous = probe
        else:
            if mid_ok:
                good = previous
        if good is None:
            return None
        if bad is None:
            return _limited(good)
        for _ in range(BISECTIONS):
            if abs(bad - good) <= good * PRICE_TOLERANCE:
                break
            middle = _limited((good + bad) / 2)
            if feasible(middle):
                good = middle
            else:
                bad = middle
        best = _limited(good)
        return best if self.residual(best)[0] else None

    def _mid(self) -> Fraction | None:
        """B per A at the pools' margin: a small route's rate (a thousandth of the side's total)."""
        total_a = sum(c.order.order.sell_amount for c in self.orders if c.sell.lower() == self.a.lower())
        total_b = sum(c.order.order.sell_amount for c in self.orders if c.sell.lower() == self.b.lower())
        if total_a:
            route = self._route(self.a, self.b, max(total_a // 1000, 1), "exact_in")
            if route is not None and route.amount_out > 0:
                return Fraction(route.amount_out, route.amount_in)
        if total_b:
            route = self._route(self.b, self.a, max(total_b // 1000, 1), "exact_in")
            if route is not None and route.amount_out > 0:
                return Fraction(route.amount_in, route.amount_out)
        return None

    # -- the settlement -------------------------------------------------------------------------------
    def solution(self, price: Fraction, dropped: tuple[tuple[Candidate, str], ...]) -> PairSolution:
        ok, route = self.residual(price)
        if not ok:
            raise SettlementError("the clearing price no longer settles")
        prices = {}
        for c in self.orders:
            for token in (c.order.order.sell_token, c.order.order.buy_token):
                is_a = _trading(token).lower() == self.a.lower()
                prices[token] = price.numerator if is_a else price.denominator
        trades = [Trade(c.order, c.remaining) for c in self.orders]
        settlement = Settlement(prices, trades)
        if isinstance(route, AuctionRoute):
            settlement.interactions = route.interactions()
        elif route is not None:
            settlement.interactions = route_interactions(
                route, deadline=self.deadline, slippage_bps=self.slippage_bps
            )
        eth_out = sum(
            ex.buy
            for c, ex in zip(self.orders, self.flows(price)[2], strict=True)
            if c.order.order.buy_token == BUY_ETH
        )
        if eth_out:
            settlement.interactions.append(unwrap_interaction(eth_out))  # before the payouts
        settlement.gas = estimate_gas(settlement, route.gas_units if route is not None else 0)
        return PairSolution(settlement, route, dropped)


# -- prices and limits ---------------------------------------------------------------------------------------
def _trading(token: str) -> str:
    """The token a pool trades for `token`: BUY_ETH is paid out of WETH."""
    return mainnet.WETH if token.lower() == BUY_ETH.lower() else token


def _prices_for(c: Candidate, a: str, price: Fraction) -> tuple[int, int]:
    """(sell price, buy price) of the candidate's tokens when A is worth `price` B."""
    if c.sell.lower() == a.lower():
        return price.numerator, price.denominator
    return price.denominator, price.numerator


def _meets_limit(c: Candidate, a: str, price: Fraction) -> bool:
    sell_price, buy_price = _prices_for(c, a, price)
    o = c.order.order
    return o.sell_amount * sell_price >= o.buy_amount * buy_price


def _limit_distance(c: Candidate, a: str, price: Fraction) -> Fraction:
    """How far the price is from meeting the order's limit, relative to the price."""
    o = c.order.order
    if c.sell.lower() == a.lower():  # needs price >= buy/sell
        return Fraction(o.buy_amount, o.sell_amount) / price
    return price / Fraction(o.sell_amount, o.buy_amount)  # needs price <= sell/buy (B per A)


def _limited(price: Fraction) -> Fraction:
    """The price with numerator and denominator cut to PRICE_BITS bits (relative precision 2**-PRICE_BITS
    at any magnitude, a WBTC-per-DAI as much as a DAI-per-WBTC), so amounts times prices stay far inside
    uint256."""
    n, d = price.numerator, price.denominator
    shift = max(n.bit_length(), d.bit_length()) - PRICE_BITS
    if shift <= 0:
        return price
    return Fraction(max(n >> shift, 1), max(d >> shift, 1))
