"""`decide(orders, ...) -> list[Decision]`: the best of fill-from-inventory, route, split, or skip, per order.

Pure: no transactions and no chain reads. It takes the pricing and the router already updated for the block,
and the filler's balances as last read from the chain.

Per order (the filler receives `I` of the input token and owes `O` of one output token):
- inventory: `Quoter.edge` of the order at the current deviations (value received - value paid at fair value
  - inventory penalty), minus the gas of one fill (`fill_gas_units`, default 180k);
- route: the whole input routed exact-in to the output token; needs the route's slippage floor >= `O`; PnL =
  the route's output beyond `O` at fair value - penalty - gas of the fill plus the route's `gas_units`;
- split: a share `f` of the input routed, the rest kept, inventory paying what the route's floor leaves owed;
  PnL = (kept input - (1-f)·O) at fair value + (route output - f·O) at fair value - penalty - gas.
The option with the highest PnL wins if it clears the min edge (`min_edge_bps` of the value received);
otherwise the order is skipped with the first reason that applies:
  `rejected:<code>` (the caller's `check` results), `unsupported` (several output tokens, the same token in
  and out, a token pricing does not know), `risk_limit` (notional above `max_notional_per_fill`, or every
  option blocked by a hard limit), `no_edge` (some option was possible but none clears the min edge),
  `below_limit` (routing works but its floor stays below the outputs, and inventory cannot make up the rest),
  `no_inventory` (inventory short and no route at all).

Hard limits (TokenPolicy.hard_limit) and the run's max inventory (`RiskLimits.max_inventory` in raw units,
`max_inventory_value` in the numeraire at this block's fair value) block an option whose worst-case balance
after the fill exceeds the lower of them; routing the whole input keeps none of it, so an order whose input
would break the limit from inventory is routed when routing pays, and skipped `risk_limit` when nothing else
is allowed.

Coincidence of wants: before single orders, opposite orders through the same reactor (A sells X for Y, B sells
Y for X) are paired, in arrival order, when each is worth filling from inventory on its own edge (B priced at
the deviations A leaves) and the inventory covers the net residual; the pair becomes one "batch" decision
with `FillPlan.from_inventory([A, B])`, whose limits are the netted per-token flows. Gas is counted as one
fill per order (no saving claimed for the shared transaction until it is measured). A residual the
inventory cannot cover is not routed here: such pairs are decided one by one instead.

Orders are decided in sequence against a working copy of the balances: each fill chosen moves them (routes at
their slippage floor), so two orders never spend the same inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction

from solver.accounting.inventory import TokenPolicy
from solver.decision.types import (
    BATCH,
    BELOW_LIMIT,
    FILL_GAS_UNITS,
    INVENTORY,
    NO_EDGE,
    NO_INVENTORY,
    RISK_LIMIT,
    ROUTE,
    SKIP,
    SPLIT,
    SPLIT_FRACTIONS,
    UNSUPPORTED,
    Decision,
    Option,
    Pnl,
    RiskLimits,
)
from solver.intents.uniswapx import Rejection, ResolvedOrder
from solver.pricing import OrderTerms, PriceError, Quoter
from solver.pricing.fair_value import FairValue
from solver.routing.errors import RoutingError
from solver.routing.route import Route
from solver.routing.router import Router
from solver.settlement.uniswapx import FillPlan

BPS = 10_000
ANY_TOKEN = "*"  # in max_inventory_value: every token not named, except the numeraire
Rejections = Mapping[str, Sequence[Rejection]] | Sequence[Sequence[Rejection]]


class Book:
    """A working copy of the filler's balances and policies, keyed by lower-case token address."""

    def __init__(
        self,
        balances: Mapping[str, int],
        policies: Mapping[str, TokenPolicy] | None,
        caps: Callable[[str], int | None] | None = None,
    ) -> None:
        self.caps = caps  # the run's max inventory per token (raw units), beside the policies' hard limits
        self.balances: dict[str, int] = {}
        for token, amount in balances.items():
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise ValueError(f"balance of {token} must be an integer of raw units, got {amount!r}")
            self.balances[token.lower()] = self.balances.get(token.lower(), 0) + amount
        self.policies = {t.lower(): p for t, p in (policies or {}).items()}

    def balance(self, token: str) -> int:
        return self.balances.get(token.lower(), 0)

    def deviation(self, token: str) -> int:
        return self.balance(token) - self.policy(token).target

    def policy(self, token: str) -> TokenPolicy:
        return self.policies.get(token.lower(), TokenPolicy())

    def short(self, changes: Mapping[str, int]) -> bool:
        """Whether `changes` would spend more of some token than is held."""
        return any(self.balance(t) + c < 0 for t, c in changes.items() if c < 0)

    def breaches(self, changes: Mapping[str, int]) -> str | None:
        """Why `changes` would push some token above its hard limit or the run's max inventory, or None."""
        for token, change in changes.items():
            if change <= 0:
                continue
            after = self.balance(token) + change
            limit = self.policy(token).hard_limit
            if limit is not None and after > limit:
                return f"{token} would reach {after}, above its hard limit {limit}"
            cap = self.caps(token) if self.caps is not None else None
            if cap is not None and after > cap:
                return f"{token} would reach {after}, above its max inventory {cap}"
        return None

    def apply(self, changes: Mapping[str, int]) -> None:
        for token, change in changes.items():
            self.balances[token] = self.balance(token) + change


def decide(
    orders: Sequence[ResolvedOrder],
    *,
    pricing: Quoter,
    router: Router | None,
    inventory_balances: Mapping[str, int],
    policies: Mapping[str, TokenPolicy] | None = None,
    gas_price_wei: int = 0,
    limits: RiskLimits | None = None,
    rejections: Rejections | None = None,
    slippage_bps: int = 50,
    fill_gas_units: int = FILL_GAS_UNITS,
    split_fractions: Iterable[float] = SPLIT_FRACTIONS,
    batch: bool = True,
) -> list[Decision]:
    """One decision per order (a batch stands for all its orders, at its first order's place).

    `inventory_balances` and `policies` are keyed by token address; `rejections` is the caller's `check`
    output, keyed by order hash or aligned with `orders`; `router=None` disables routing and splits."""
    if gas_price_wei < 0:
        raise ValueError(f"the gas price cannot be negative, got {gas_price_wei}")
    ctx = _Context(
        pricing,
        router,
        gas_price_wei,
        limits or RiskLimits(),
        slippage_bps,
        fill_gas_units,
        tuple(Fraction(f).limit_denominator(BPS) for f in split_fractions),
    )
    book = Book(inventory_balances, policies, ctx.inventory_cap)
    decided: dict[int, Decision] = {}
    candidates: list[int] = []
    for i, order in enumerate(orders):
        skip = _screen(ctx, order, _rejections_of(rejections, i, order))
        if skip is not None:
            decided[i] = skip
        else:
            candidates.append(i)
    if batch:
        for (i, j), decision in _batches(ctx, book, orders, candidates).items():
            decided[i] = decided[j] = decision
    for i in candidates:
        if i not in decided:
            decided[i], changes = _decide_one(ctx, book, orders[i])
            book.apply(changes)
    out: list[Decision] = []
    seen: set[int] = set()
    for i in range(len(orders)):
        if id(decided[i]) not in seen:
            seen.add(id(decided[i]))
            out.append(decided[i])
    return out


# --------------------------------------------------------------------------------------------- internals
class _Context:
    def __init__(
        self,
        pricing: Quoter,
        router: Router | None,
        gas_price_wei: int,
        limits: RiskLimits,
        slippage_bps: int,
        fill_gas_units: int,
        fractions: tuple[Fraction, ...],
    ) -> None:
        self.pricing = pricing
        self.router = router
        self.gas_price_wei = gas_price_wei
        self.limits = limits
        self.slippage_bps = slippage_bps
        self.fill_gas_units = fill_gas_units
        self.fractions = tuple(f for f in fractions if 0 < f < 1)
        self._caps: dict[str, int | None] = {}

    def value(self, token: str, amount: int) -> float:
        return self.pricing.fair_value.value(token, amount)

    def inventory_cap(self, token: str) -> int | None:
        """The most of `token` (raw units) the run's limits allow held this block: the raw cap, and the value
        cap at fair value (floored), whichever is lower; None when neither applies."""
        key = token.lower()
        if key not in self._caps:
            self._caps[key] = _cap(self.limits, self.pricing.fair_value, token)
        return self._caps[key]

    def gas(self, units: int) -> float:
        """Numeraire cost of `units` gas at the block's gas price, ETH at the gas token's fair value."""
        eth = self.pricing.fair_value.price(self.pricing.config.gas_token)
        return units * self.gas_price_wei / 10**18 * eth

    def min_edge(self, token_in: str, amount_in: int) -> float:
        return self.pricing.config.min_edge_bps / BPS * self.value(token_in, amount_in)

    def route(self, token_in: str, token_out: str, amount: int) -> Route:
        assert self.router is not None
        return self.router.route(
            token_in, token_out, amount, gas_price_wei=self.gas_price_wei, slippage_bps=self.slippage_bps
        )


def _cap(limits: RiskLimits, fair: FairValue, token: str) -> int | None:
    raw_caps: Mapping[str, int] = getattr(limits, "max_inventory", None) or {}
    value_caps: Mapping[str, float] = getattr(limits, "max_inventory_value", None) or {}
    if not raw_caps and not value_caps:
        return None
    try:
        symbol = fair.symbol(token)
    except PriceError:
        symbol = None
    names = {token.lower(), (symbol or "").lower()}
    caps = [int(v) for k, v in raw_caps.items() if k.lower() in names]
    value = next((v for k, v in value_caps.items() if k.lower() in names), None)
    if value is None and symbol is not None and symbol.lower() != fair.numeraire.lower():
        value = value_caps.get(ANY_TOKEN)
    if value is not None:
        try:  # a token without a fair value cannot be held against a value cap
            price = fair.price(token) / 10 ** fair.token(token).decimals
        except PriceError:
            caps.append(0)
        else:
            caps.append(int(value / price) if price > 0 else 0)
    return min(caps) if caps else None


def _rejections_of(rejections: Rejections | None, i: int, order: ResolvedOrder) -> Sequence[Rejection]:
    if rejections is None:
        return ()
    if isinstance(rejections, Mapping):
        return rejections.get(order.hash, ())
    return rejections[i] if i < len(rejections) else ()


def _skip(order: ResolvedOrder, reason: str, detail: str, **kw) -> Decision:
    return Decision((order.hash,), SKIP, reason, detail, orders=(order,), **kw)


def _single_output(order: ResolvedOrder) -> tuple[str, int] | None:
    totals = order.output_totals()
    return next(iter(totals.items())) if len(totals) == 1 else None


def _screen(ctx: _Context, order: ResolvedOrder, rejected: Sequence[Rejection]) -> Decision | None:
    """A skip decided before pricing any option: rejected, unsupported, or above the notional limit."""
    if rejected:
        return _skip(order, f"rejected:{rejected[0].code}", "; ".join(map(str, rejected)))
    output = _single_output(order)
    if output is None:
        n = len(order.output_totals())
        return _skip(order, UNSUPPORTED, f"outputs in {n} tokens: only one output token is supported")
    token_out, owed = output
    if token_out.lower() == order.input.token.lower():
        return _skip(order, UNSUPPORTED, "the input and output are the same token")
    try:
        notional = max(ctx.value(order.input.token, order.input.amount), ctx.value(token_out, owed))
    except PriceError as e:
        return _skip(order, UNSUPPORTED, str(e))
    cap = ctx.limits.max_notional_per_fill
    if cap is not None and notional > cap:
        return _skip(order, RISK_LIMIT, f"notional {notional:,.2f} above the max per fill {cap:,.2f}")
    return None


def _penalty(ctx: _Context, book: Book, changes: Mapping[str, int]) -> float:
    return sum(ctx.pricing.inventory_penalty(t, book.deviation(t), c) for t, c in changes.items() if c)


def _inventory_option(ctx: _Context, order: ResolvedOrder, deviations: Mapping[str, int]) -> Option:
    token_out, owed = _single_output(order)  # type: ignore[misc]
    token_in, amount_in = order.input.token, order.input.amount
    edge = ctx.pricing.edge(OrderTerms(token_in, amount_in, token_out, owed), deviations, gas_price_wei=0)
    pnl = Pnl(
        spread=edge.value_received - edge.value_paid,
        penalty=edge.inventory_penalty,
        gas=ctx.gas(ctx.fill_gas_units),
        min_edge=edge.min_edge,
    )
    changes = {token_in.lower(): amount_in, token_out.lower(): -owed}
    return Option(INVENTORY, 0.0, pnl, FillPlan.from_inventory([order]), (), changes)


def _routed_option(ctx: _Context, book: Book, order: ResolvedOrder, route: Route) -> Option:
    """Route `route.amount_in` of the input (all of it: route; part: split), inventory paying the rest."""
    token_out, owed = _single_output(order)  # type: ignore[misc]
    token_in, amount_in = order.input.token, order.input.amount
    routed = route.amount_in
    owed_by_route = owed * routed // amount_in  # the share of the outputs the routed share pays for
    kept = amount_in - routed
    expected = {token_in.lower(): kept, token_out.lower(): route.amount_out - owed}
    pnl = Pnl(
        spread=ctx.value(token_in, kept) - ctx.value(token_out, owed - owed_by_route),
        route_surplus=ctx.value(token_out, route.amount_out - owed_by_route),
        penalty=_penalty(ctx, book, expected),
        gas=ctx.gas(ctx.fill_gas_units + route.gas_units),
        min_edge=ctx.min_edge(token_in, amount_in),
    )
    changes = {token_in.lower(): kept, token_out.lower(): route.min_amount_out - owed}
    action = ROUTE if routed == amount_in else SPLIT
    plan = FillPlan.from_routes([order], [route])
    return Option(action, routed / amount_in, pnl, plan, (route,), changes)


def _decide_one(ctx: _Context, book: Book, order: ResolvedOrder) -> tuple[Decision, dict[str, int]]:
    token_out, owed = _single_output(order)  # type: ignore[misc]
    token_in, amount_in = order.input.token, order.input.amount
    deviations = {token_in: book.deviation(token_in), token_out: book.deviation(token_out)}
    options: list[Option] = []
    blocked: dict[str, str] = {}  # why options were not allowed: kind -> one line

    def consider(option: Option) -> None:
        if book.short(option.changes):
            blocked.setdefault("short", f"inventory short of {token_out} for the {option.action} fill")
        elif breach := book.breaches(option.changes):
            blocked.setdefault("hard_limit", f"the {option.action} fill would break a limit: {breach}")
        else:
            options.append(option)

    consider(_inventory_option(ctx, order, deviations))
    if ctx.router is not None:
        try:
            route = ctx.route(token_in, token_out, amount_in)
        except RoutingError as e:
            blocked["no_route"] = str(e)
        else:
            if route.min_amount_out < owed:
                blocked["route_short"] = (
                    f"routing yields {route.min_amount_out} at its floor, the order owes {owed}"
                )
            else:
                consider(_routed_option(ctx, book, order, route))
            for fraction in ctx.fractions:
                part = amount_in * fraction.numerator // fraction.denominator
                if part <= 0:
                    continue
                try:
                    consider(_routed_option(ctx, book, order, ctx.route(token_in, token_out, part)))
                except RoutingError:
                    continue
    if not options:
        if "hard_limit" in blocked:
            reason = RISK_LIMIT
        elif "route_short" in blocked:
            reason = BELOW_LIMIT
        else:
            reason = NO_INVENTORY
        return _skip(order, reason, "; ".join(blocked.values())), {}
    best = max(options, key=lambda o: o.pnl.total)
    if not best.pnl.worth_filling:
        detail = f"best option ({best.action}) earns {best.pnl.total:,.4f}, min edge {best.pnl.min_edge:,.4f}"
        return _skip(order, NO_EDGE, detail, pnl=best.pnl, options=tuple(options)), {}
    decision = Decision(
        (order.hash,),
        best.action,
        None,
        f"{best.action} earns {best.pnl.total:,.4f} (routed share {best.routed_share:.0%})",
        best.pnl,
        best.plan,
        best.routes,
        (order,),
        tuple(options),
    )
    return decision, dict(best.changes)


def _opposite(a: ResolvedOrder, b: ResolvedOrder) -> bool:
    out_a, out_b = _single_output(a), _single_output(b)
    return (
        out_a is not None
        and out_b is not None
        and a.info.reactor.lower() == b.info.reactor.lower()
        and a.input.token.lower() == out_b[0].lower()
        and b.input.token.lower() == out_a[0].lower()
    )


def _batches(
    ctx: _Context, book: Book, orders: Sequence[ResolvedOrder], candidates: list[int]
) -> dict[tuple[int, int], Decision]:
    """Opposite pairs worth filling from inventory together, paired greedily in arrival order."""
    found: dict[tuple[int, int], Decision] = {}
    paired: set[int] = set()
    for n, i in enumerate(candidates):
        if i in paired:
            continue
        for j in candidates[n + 1 :]:
            if j in paired or not _opposite(orders[i], orders[j]):
                continue
            decision, changes = _batch(ctx, book, orders[i], orders[j])
            if decision is not None:
                found[(i, j)] = decision
                paired |= {i, j}
                book.apply(changes)
                break
    return found


def _batch(
    ctx: _Context, book: Book, a: ResolvedOrder, b: ResolvedOrder
) -> tuple[Decision | None, dict[str, int]]:
    options: list[Option] = []
    after = Book(book.balances, book.policies, book.caps)
    for order in (a, b):
        token_out, _ = _single_output(order)  # type: ignore[misc]
        token_in = order.input.token
        deviations = {token_in: after.deviation(token_in), token_out: after.deviation(token_out)}
        option = _inventory_option(ctx, order, deviations)
        if not option.pnl.worth_filling:
            return None, {}
        options.append(option)
        after.apply(option.changes)
    changes: dict[str, int] = {}
    for option in options:
        for token, change in option.changes.items():
            changes[token] = changes.get(token, 0) + change
    if book.short(changes) or book.breaches(changes):
        return None, {}
    pnl = options[0].pnl + options[1].pnl
    detail = f"coincidence of wants: {a.hash[:10]} and {b.hash[:10]} netted, earn {pnl.total:,.4f}"
    decision = Decision(
        (a.hash, b.hash),
        BATCH,
        None,
        detail,
        pnl,
        FillPlan.from_inventory([a, b]),
        (),
        (a, b),
        tuple(options),
    )
    return decision, changes


def why_not(decision: Decision) -> str:
    """One line for a log or table: the action, or the skip reason and its detail."""
    if decision.action == SKIP:
        return f"skip {decision.reason}: {decision.detail}"
    return decision.detail
