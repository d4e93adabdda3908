"""Backtest on the same code: replay recorded flow through `solver.pricing` and `solver.decision`, no chain.

    backtest(orders, universe=..., balances=..., policies=..., gas_price_wei=..., block_times={block: ts})
        -> BacktestResult

`orders` are the IncomingOrders a run recorded (`solver.flow.jsonl.read_orders(<run_dir>/orders.jsonl)`);
`universe` is a copy of the pools as they stood when the run started (it is mutated: pass a deepcopy);
`block_times` are the blocks the live solver decided at (one per `Solver.step`, its pending block) and their
timestamps. Each block, as `Solver.step` does:

1. fair value and volatility are updated (`Pricing.update`) from the pool models, or, given a `price_path`
   ({timestamp: {symbol: price}}: what the run recorded, or any external path), from its latest prices at
   or before the block's timestamp;
2. every open order received before the block (`received_block < block`) whose deadline has not passed is
   resolved offline (`Order.resolve` at the block's timestamp, number and base fee, for `filler`): no Permit2,
   nonce or balance checks, an order is valid unless `resolve` raises (then `rejected:<code>`);
3. `decide(...)` runs on them with a `Router` over the models and the balances tracked here;
4. each fill is applied: an inventory (or batch) fill adds the input and pays the outputs; a routed or split
   fill executes its legs on the pool models with exact swaps (`amm.v3.Pool.swap`, `amm.v2.Pair`), with the
   limits the filler contract enforces, so later blocks see the prices the fill left. A route the models
   refuse (an earlier fill of the block moved a pool past a leg's limit) is "not sent", and the order stays
   open, as the live solver releases it to be decided again.

Skips for a retryable reason (`no_edge`, `below_limit`, `no_inventory`, `risk_limit`) leave the order open
for the next block, as live. Not modelled: hedging, the kill switch, protocol fee outputs (none on the
built-in chain), pool activity other than our own fills, and gas (valued in the PnL estimate at
`gas_price_wei` and each fill's gas units, not paid from the filler's token balances).
"""

from __future__ import annotations

import bisect
import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from amm.v2.pair import Pair
from amm.v3.pool import Pool
from solver.accounting.inventory import TokenPolicy
from solver.core import RETRYABLE_SKIPS
from solver.decision import FILL_GAS_UNITS, Decision, RiskLimits, decide
from solver.flow.incoming import IncomingOrder
from solver.intents.uniswapx import Order, OrderError, ResolvedOrder
from solver.pricing import PriceError, Pricing
from solver.pricing.config import PricingConfig
from solver.pricing.fair_value import FairValue, FairValueFromStream
from solver.routing.route import Route
from solver.routing.router import Router
from solver.routing.universe import Universe

EXPIRED = "rejected:expired_deadline"
NOT_SENT = "not_sent"


@dataclass(frozen=True)
class OrderOutcome:
    """An order's last decision in the backtest: `action` (inventory/route/split/batch/skip), the settlement
    `mode` of a fill (inventory/route/split), the skip `reason`, and the block it was decided at."""

    hash: str
    action: str
    mode: str | None
    reason: str | None
    block: int | None
    detail: str = ""

    @property
    def filled(self) -> bool:
        return self.mode is not None


@dataclass
class BacktestResult:
    outcomes: dict[str, OrderOutcome]  # by order hash, in arrival order
    decisions: list[tuple[int, Decision]]  # every decision made, with its block
    balances: dict[str, int]  # the filler's token balances at the end (lower-case address -> raw)
    start_balances: dict[str, int]
    prices: dict[str, float]  # fair value at the last block, by symbol
    start_prices: dict[str, float]
    pnl: dict[str, float]  # estimate in the numeraire: expected (decisions) and marked (balances)
    fills: list[tuple[int, str, dict[str, int]]] = field(default_factory=list)  # (landing block, mode, flows)
    not_sent: int = 0  # routed fills the pool models refused (the order stayed open)
    malformed: int = 0
    blocks: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        fills = Counter(o.mode for o in self.outcomes.values() if o.filled)
        skipped = Counter(o.reason for o in self.outcomes.values() if not o.filled and o.reason)
        open_ = sum(1 for o in self.outcomes.values() if not o.filled and not o.reason)
        return {
            "orders_seen": len(self.outcomes),
            "blocks": len(self.blocks),
            "filled": sum(fills.values()),
            "fills_by_mode": dict(fills),
            "skipped": dict(skipped),
            "never_decided": open_,
            "not_sent": self.not_sent,
            "pnl": dict(self.pnl),
        }


def path_fair_value(
    path: Mapping[float, Mapping[str, float]], numeraire: str, universe: Universe
) -> FairValueFromStream:
    """Fair value from a price path: at each update, the latest prices at or before its timestamp."""
    stamps = sorted(path)
    if not stamps:
        raise PriceError("the price path is empty")

    def at(timestamp: float) -> Mapping[str, float]:
        index = bisect.bisect_right(stamps, timestamp)
        if not index:
            raise PriceError(f"the price path starts at {stamps[0]:g}, after timestamp {timestamp:g}")
        return path[stamps[index - 1]]

    return FairValueFromStream(at, numeraire, universe.tokens.values(), "price path")


def backtest(
    orders: Sequence[IncomingOrder],
    *,
    universe: Universe,
    balances: Mapping[str, int],
    policies: Mapping[str, TokenPolicy] | None = None,
    block_times: Mapping[int, int],
    gas_price_wei: int | Mapping[int, int] = 0,
    base_fees: Mapping[int, int] | None = None,
    filler: str | None = None,
    mined_times: Mapping[int, int] | None = None,
    pricing_config: PricingConfig | None = None,
    limits: RiskLimits | None = None,
    slippage_bps: int = 50,
    price_path: Mapping[float, Mapping[str, float]] | None = None,
) -> BacktestResult:
    """Replay `orders` block by block over `block_times` (see the module docstring). `balances` are the
    filler's starting token balances (raw, by address); `gas_price_wei` one price or one per block;
    `base_fees` per block (default 0; only priority orders read it); `filler` the address exclusivity is
    checked for. `universe` is mutated by routed fills.

    `mined_times` ({block: timestamp} of the blocks as mined) settles each fill where the live solver's
    transaction lands: one transaction a block on an automining node, so the n-th fill (from 0) decided for
    block `b` is mined in `b + n`, and its orders are resolved again there (Dutch amounts decay between the
    decision and the landing block). Without it, fills settle at the amounts decided."""
    pricing = Pricing.from_config(pricing_config, tokens=universe.tokens.values())
    if price_path is not None:
        pricing.fair_value = path_fair_value(price_path, pricing.fair_value.numeraire, universe)
    book = {t.lower(): int(a) for t, a in balances.items()}
    start = dict(book)
    outcomes: dict[str, OrderOutcome] = {}
    pending: list[tuple[int, Order]] = []  # (received block, order) in arrival order, not yet decided
    open_: dict[str, Order] = {}
    known: dict[str, Order] = {}
    fills: list[tuple[int, str, dict[str, int]]] = []
    malformed = 0
    for incoming in orders:
        if incoming.order is None:
            malformed += 1
            continue
        h = incoming.order.hash
        if h in outcomes:
            continue
        outcomes[h] = OrderOutcome(h, "open", None, None, None)
        known[h] = incoming.order
        received = incoming.received_block if incoming.received_block is not None else -1
        pending.append((received, incoming.order))
    decisions: list[tuple[int, Decision]] = []
    expected = 0.0
    gas_spent = 0.0
    not_sent = 0
    start_prices: dict[str, float] = {}
    blocks = sorted(block_times)
    for block in blocks:
        timestamp = int(block_times[block])
        pricing.update(universe, block, timestamp)
        if not start_prices:
            start_prices = pricing.fair_value.prices()
        while pending and pending[0][0] < block:
            _, order = pending.pop(0)
            open_[order.hash] = order
        for h in [h for h, o in open_.items() if o.info.deadline < timestamp]:
            _close(outcomes, open_, h, "skip", None, EXPIRED, block)
        if not open_:
            continue
        base_fee = (base_fees or {}).get(block, 0)
        resolved: list[ResolvedOrder] = []
        for h, order in list(open_.items()):
            try:
                resolved.append(
                    order.resolve(
                        timestamp=timestamp,
                        block_number=block,
                        base_fee=base_fee,
                        priority_fee=0,
                        filler=filler,
                    )
                )
            except OrderError as e:
                _close(outcomes, open_, h, "skip", None, f"rejected:{getattr(e, 'code', 'reverts')}", block)
        gas = gas_price_wei if isinstance(gas_price_wei, int) else int(gas_price_wei.get(block, 0))
        made = decide(
            resolved,
            pricing=pricing,
            router=Router(universe),
            inventory_balances=book,
            policies=policies,
            gas_price_wei=gas,
            limits=limits,
            slippage_bps=slippage_bps,
        )
        landing = block
        for decision in made:
            decisions.append((block, decision))
            if not decision.fills:
                for h in decision.hashes:
                    reason = decision.reason or "skip"
                    if _retryable(reason):
                        outcomes[h] = OrderOutcome(h, "skip", None, reason, block, decision.detail)
                    else:
                        _close(outcomes, open_, h, "skip", None, reason, block, decision.detail)
                continue
            settled = decision.orders
            at = timestamp
            if mined_times is not None and landing in mined_times:
                at = int(mined_times[landing])
                fee = (base_fees or {}).get(landing, 0)
                try:
                    settled = tuple(
                        known[o.hash].resolve(
                            timestamp=at, block_number=landing, base_fee=fee, priority_fee=0, filler=filler
                        )
                        for o in decision.orders
                    )
                except OrderError:
                    settled = decision.orders
            flows = settle_on_models(universe, decision, settled, at)
            if flows is None:  # the models refuse the route: not sent, decided again next block
                not_sent += 1
                for h in decision.hashes:
                    outcomes[h] = OrderOutcome(h, decision.action, None, NOT_SENT, block, decision.detail)
                continue
            fills.append(
                (landing, decision.plan.mode if decision.plan is not None else decision.action, flows)
            )
            landing += 1
            for token, change in flows.items():
                book[token] = book.get(token, 0) + change
            mode = decision.plan.mode if decision.plan is not None else decision.action
            for h in decision.hashes:
                _close(outcomes, open_, h, decision.action, mode, None, block, decision.detail)
            if decision.pnl is not None:
                expected += decision.pnl.total
            route_gas = sum(r.gas_units for r in decision.routes)
            eth = pricing.fair_value.price(pricing.config.gas_token)
            gas_spent += (FILL_GAS_UNITS * len(decision.hashes) + route_gas) * gas / 10**18 * eth
    prices = pricing.fair_value.prices()
    pnl = {"expected": expected, "gas": gas_spent}
    if prices:
        fv = pricing.fair_value
        tokens = set(book) | set(start)
        marked = sum(fv.value(t, book.get(t, 0) - start.get(t, 0)) for t in tokens if _priced(fv, t))
        held = sum(fv.value(t, start.get(t, 0)) for t in tokens if _priced(fv, t))
        held_before = sum(
            start.get(t, 0) / 10 ** fv.token(t).decimals * start_prices.get(fv.symbol(t), 0.0)
            for t in tokens
            if _priced(fv, t)
        )
        pnl.update(
            {
                "trading": marked,  # the balance changes at the last fair value
                "inventory_mtm": held - held_before,  # the starting balances' move in value
                "net_of_gas": marked - gas_spent,
            }
        )
    return BacktestResult(
        outcomes, decisions, book, start, prices, start_prices, pnl, fills, not_sent, malformed, blocks
    )


def _priced(fair_value: FairValue, token: str) -> bool:
    try:
        fair_value.price(token)
    except PriceError:
        return False
    return True


def _retryable(reason: str) -> bool:
    return reason.split(":", maxsplit=1)[0] in RETRYABLE_SKIPS


def _close(
    outcomes: dict[str, OrderOutcome],
    open_: dict[str, Order],
    h: str,
    action: str,
    mode: str | None,
    reason: str | None,
    block: int,
    detail: str = "",
) -> None:
    outcomes[h] = OrderOutcome(h, action, mode, reason, block, detail)
    open_.pop(h, None)


# ------------------------------------------------------------------------------------------- settlement
def settle_on_models(
    universe: Universe, decision: Decision, orders: Sequence[ResolvedOrder], timestamp: int
) -> dict[str, int] | None:
    """The filler's net token flows of a fill (lower-case address -> raw) with `orders` as resolved where it
    lands, routes executed on the pool models; None (and no model changed) when a route would revert."""
    flows: dict[str, int] = {}

    def add(token: str, amount: int) -> None:
        flows[token.lower()] = flows.get(token.lower(), 0) + amount

    received: dict[str, int] = {}
    for order in orders:
        received[order.input.token.lower()] = received.get(order.input.token.lower(), 0) + order.input.amount
        add(order.input.token, order.input.amount)
        for output in order.outputs:
            add(output.token, -output.amount)
    if not decision.routes:
        return flows
    models: dict[str, Pool | Pair] = {}
    for route in decision.routes:
        token_in = route.token_in.address.lower()
        # split or not as the plan was built (FillPlan.from_routes, at the decision's amounts); the filler
        # holds what the orders pay where the fill lands
        decided = sum(o.input.amount for o in decision.orders if o.input.token.lower() == token_in)
        partial = route.amount_in < decided
        credit = received.get(token_in, 0)
        result = execute_on_models(universe, route, models, timestamp, credit, partial)
        if result is None:
            return None
        spent, received = result
        add(route.token_in.address, -spent)
        add(route.token_out.address, received)
    for address, model in models.items():
        universe.replace_model(address, model)
    return flows


def execute_on_models(
    universe: Universe,
    route: Route,
    models: dict[str, Pool | Pair],
    timestamp: int,
    credit: int,
    partial: bool,
) -> tuple[int, int] | None:
    """Run the route's legs as the filler's leg engine does (contracts/routing/PoolLegs.sol, legs encoded by
    `encode_legs`) starting from `credit` of the input: exact-input legs take their amount, the last leg
    leaving a token takes all the route holds of it (not the input's legs of a `partial` route, a split); each
    leg's limit and the route's floor apply. Returns (input spent, output)."""
    bps = 10_000
    slippage = route.slippage_bps
    start = route.token_in.address.lower()
    last_out = {leg.token_in.lower(): n for n, leg in enumerate(route.legs)}
    credits = {start: credit}
    for n, leg in enumerate(route.legs):
        t_in, t_out = leg.token_in.lower(), leg.token_out.lower()
        model = models.get(leg.pool)
        if model is None:
            model = models[leg.pool] = copy.deepcopy(universe.pool(leg.pool).model)
        try:
            if leg.exact_output:
                paid, got = _swap(model, leg.zero_for_one, -leg.amount_out, timestamp)
                if paid > leg.limit(slippage):
                    return None
            else:
                absorb = last_out[t_in] == n and not (partial and t_in == start)
                amount = credits.get(t_in, 0) if absorb else leg.amount_in
                paid, got = _swap(model, leg.zero_for_one, amount, timestamp)
                if got < leg.amount_out * (bps - slippage) // bps:
                    return None
        except Exception:  # a model revert (price limit, no liquidity): the route would revert
            return None
        if credits.get(t_in, 0) < paid:
            return None
        credits[t_in] = credits.get(t_in, 0) - paid
        credits[t_out] = credits.get(t_out, 0) + got
    out = credits.get(route.token_out.address.lower(), 0)
    if out < route.amount_out * (bps - slippage) // bps:
        return None
    return credit - credits.get(start, 0), out


def _swap(model: Pool | Pair, zero_for_one: bool, amount_specified: int, timestamp: int) -> tuple[int, int]:
    """(paid in, received out) of one swap on the model, which it changes."""
    if isinstance(model, Pool):
        amount0, amount1 = model.swap(zero_for_one, amount_specified, timestamp=timestamp)
        return (amount0, -amount1) if zero_for_one else (amount1, -amount0)
    if amount_specified > 0:
        return amount_specified, model.swap_exact_in(amount_specified, zero_for_one, timestamp=timestamp)
    out = -amount_specified
    paid = model.get_amount_in(out, zero_for_one)
    if zero_for_one:
        model.swap(0, out, paid, 0, timestamp=timestamp)
    else:
        model.swap(out, 0, 0, paid, timestamp=timestamp)
    return paid, out
