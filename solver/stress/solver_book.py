"""The solver's books in a stress run: its inventory, and its hedge, stepped by the scenario engine on the
same library code the live solver runs.

Why the live code and not a model of it: the stress question is what *this* solver does when a market
crashes, its hedge venue goes away or gas spikes, so every step goes through `solver.pricing` (fair value
from the engine's market prices, EWMA volatility, inventory skew), `solver.decision.decide` (inventory,
route, split, batch or skip with a reason), `solver.risk.hedging.Hedger` (band hedging through the
`Router`, its halts when a hedge cannot execute) and `solver.risk.limits.RiskState` (max loss: the kill
switch), with fills and hedges applied by exact swaps on the engine's pool models as `solver.backtest` does
(`settle_on_models`, `execute_on_models`). Balances are raw integers end to end; floats are only valuations.

One step (`SolverBook.step`), after the engine has arbitraged the pools to the market:

1. fair value and volatility update from the market prices; the kill switch checks the marked PnL;
2. swapper orders arrive (Poisson, log-uniform USD size, a limit up to `limit_slippage` worse than fair) as
   `ResolvedOrder`s at their limit, and are decided once (not kept open: a skipped order walks away);
3. orders that would add to a side whose hedge is stuck are widened (decided with `min_edge_bps` times
   `widen_factor`) or stopped (skipped `risk_limit:hedge_halted`, as `Solver._screen_halted` does);
4. the inventory is hedged back toward its band: through the router (`Hedger.plan` + `Hedger.execute` on the
   pool models; `hedge_open=False` makes the execution fail, which halts the side as a revert does live),
   or on a perp (`solver.stress.perp_hedge`: only `perp.tokens` are hedged, WETH by default, so WBTC's
   deviation is left unhedged unless listed), or not at all;
5. every book is marked; breaches are named as they happen.

The quoted half-spread is what the decision stage demands of an order beyond fair value before the inventory
penalty and gas: `min_edge_bps` (a fill must clear `min_edge_bps` of its notional), times `widen_factor` on a
stuck side. Gas is valued at fair value and booked against the inventory book (the operator pays it in ETH
from outside the filler's balances, as `solver.backtest` counts it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from solver.accounting.inventory import TokenPolicy
from solver.backtest import settle_on_models
from solver.core import HEDGE_HALTED, halted_by
from solver.decision import FILL_GAS_UNITS, Decision, decide
from solver.decision import RiskLimits as DecisionLimits
from solver.decision.types import SKIP
from solver.intents.uniswapx import ResolvedOrder
from solver.pricing import Pricing, PricingConfig
from solver.pricing.fair_value import FairValueFromStream
from solver.risk.hedging import HedgeFill, Hedger, HedgeRefusal, HedgeRule
from solver.risk.limits import KILLED, RiskLimits, RiskState
from solver.routing.router import Router
from solver.routing.universe import Token, Universe
from solver.stress.books import BookTracker
from solver.stress.perp_hedge import PerpConfig, PerpMarket
from solver.stress.solver_market import MarketRouter, ModelExecutor, SwapperFlow

NUMERAIRE = "USDC"
SYMBOLS = ("USDC", "WETH", "WBTC")
BPS = 10_000


@dataclass(frozen=True)
class SolverBookConfig:
    """The solver's books in a scenario (the TOML table [solver]); every default runs."""

    orders_per_step: float = 1.0  # Poisson mean of swapper orders per step
    order_usd: tuple[float, float] = (500.0, 50_000.0)  # log-uniform size range
    limit_slippage: float = 0.005  # each order's limit is up to this much worse than fair (uniform draw)
    start_inventory_usd: float = 1_000_000.0  # split evenly across USDC/WETH/WBTC: the targets
    band_share: float = 0.5  # the hedge band, a share of each target
    pair_weights: tuple[float, float, float] = (0.5, 0.25, 0.25)  # USDC/WETH, USDC/WBTC, WETH/WBTC
    hedge: Literal["none", "router", "perp"] = "router"
    on_stuck: Literal["widen", "stop"] = "widen"  # when a needed hedge cannot execute
    widen_factor: float = 3.0  # the stuck side's half-spread multiplier (widen)
    kill_switch: bool = True
    max_loss_usd: float = 150_000.0  # the kill switch: PnL of inventory + perp at or below -this
    max_inventory_usd: float = 1_000_000.0  # per token (not USDC), at fair value
    max_hedge_slippage_bps: float = 50.0
    slippage_bps: int = 50  # routed fills' on-chain slippage floor (decide's)
    perp: PerpConfig = field(default_factory=PerpConfig)
    gamma: float = 0.1  # pricing overrides (solver.pricing.config)
    k: float = 2000.0
    A: float = 2500.0
    min_edge_bps: float = 5.0  # the quoted half-spread in normal times

    def __post_init__(self) -> None:
        if self.hedge not in ("none", "router", "perp") or self.on_stuck not in ("widen", "stop"):
            raise ValueError("solver hedge is none/router/perp and on_stuck widen/stop")
        if not (0 < self.order_usd[0] <= self.order_usd[1]) or not 0 <= self.limit_slippage < 1:
            raise ValueError("solver order_usd is 0 < low <= high and limit_slippage in [0, 1)")
        if self.widen_factor < 1 or self.orders_per_step < 0 or self.start_inventory_usd <= 0:
            raise ValueError("solver widen_factor >= 1, orders_per_step >= 0, start_inventory_usd > 0")


class SolverBook:
    """The solver's inventory and hedge books over one scenario path (see the module docstring)."""

    def __init__(
        self,
        config: SolverBookConfig,
        universe: Universe,
        prices: Mapping[str, float],
        seed: int,
        kill_switch: bool | None = None,
    ) -> None:
        self.config = c = config
        self.universe = universe
        self.tokens: dict[str, Token] = {s: universe.token(s) for s in SYMBOLS}
        self.prices = {s: float(prices[s]) for s in SYMBOLS if s in prices} | {NUMERAIRE: 1.0}
        self.pricing = Pricing.from_config(
            PricingConfig(gamma=c.gamma, k=c.k, A=c.A, min_edge_bps=c.min_edge_bps),
            tokens=universe.tokens.values(),
        )
        self.pricing.fair_value = FairValueFromStream(
            lambda _t: self.prices, NUMERAIRE, universe.tokens.values(), "stress market"
        )
        widened = replace(self.pricing.config, min_edge_bps=c.min_edge_bps * c.widen_factor)
        self.widened = Pricing(widened, self.pricing.fair_value, self.pricing.volatility)
        self.policies: dict[str, TokenPolicy] = {}
        self.balances: dict[str, int] = {}
        for symbol, token in self.tokens.items():
            target = int(c.start_inventory_usd / len(SYMBOLS) / self.prices[symbol] * 10**token.decimals)
            self.policies[self._key(symbol)] = TokenPolicy(target, int(target * c.band_share))
            self.balances[self._key(symbol)] = target
        self.start_balances = dict(self.balances)
        self.decision_limits = DecisionLimits(max_inventory_value={"*": c.max_inventory_usd})
        use_kill = c.kill_switch if kill_switch is None else kill_switch
        self.risk = RiskState(RiskLimits(max_loss=c.max_loss_usd if use_kill else None))
        flow_seq, perp_seq = np.random.SeedSequence(seed).spawn(2)
        self._rng = np.random.default_rng(flow_seq)
        self.hedger: Hedger | None = None
        if c.hedge == "router":
            self.hedger = Hedger(
                MarketRouter(universe, self.prices),
                NUMERAIRE,
                HedgeRule(),
                max_slippage_bps=c.max_hedge_slippage_bps,
            )
        self.perps: dict[str, PerpMarket] = {}
        if c.hedge == "perp":
            perp_rng = np.random.default_rng(perp_seq)
            self.perps = {s: PerpMarket(s, self.prices[s], c.perp, perp_rng) for s in c.perp.tokens}
        self._perp_halts: dict[str, tuple[str, str]] = {}
        self._submitted: list[ResolvedOrder] = []
        self.flow = SwapperFlow(self.tokens, c.orders_per_step, c.order_usd, c.limit_slippage, c.pair_weights)
        self.time_s = 0.0  # seconds from the start of the path
        self.flows: list[tuple[str, dict[str, int]]] = []  # (fill mode or "hedge", raw flows), in order
        self.filled_orders: list[ResolvedOrder] = []
        self.decisions: list[tuple[float, float | None, Decision]] = []  # (time, half-spread bp, decision)
        self.inventory = BookTracker("solver_inventory")
        self.perp_book = BookTracker("perp_hedge")
        self.fund_book = BookTracker("venue_fund")
        self.counts: Counter[str] = Counter()
        self.skips: Counter[str] = Counter()
        self.spreads: list[float] = []  # quoted half-spreads (bp) of every quoting side, every step
        self.stopped_s = 0.0
        self._stopped = False
        self.gas_usd = self.edge_usd = self.hedge_usd = self.inventory_loss_usd = 0.0
        self.liquidation_distance_min: float | None = None
        self.margin_calls = 0
        self._margin_called = False
        self._trace: dict[str, Any] = {}
        self._mark(0.0)

    # -- helpers -----------------------------------------------------------------------------------------
    def _key(self, symbol: str) -> str:
        return self.tokens[symbol].address.lower()

    def value(self, balances: Mapping[str, int] | None = None) -> float:
        """The inventory at market prices (USD)."""
        held = self.balances if balances is None else balances
        return sum(
            held.get(self._key(s), 0) / 10**t.decimals * self.prices[s] for s, t in self.tokens.items()
        )

    def deviation(self, symbol: str) -> int:
        """Raw units held beyond the target."""
        return self.balances[self._key(symbol)] - self.policies[self._key(symbol)].target

    def halts(self) -> dict[str, tuple[str, str]]:
        """Quoting sides halted because their hedge is stuck: token address -> (side, why)."""
        if self.hedger is not None:
            return self.hedger.halts()
        return dict(self._perp_halts)

    @property
    def killed(self) -> bool:
        return self.risk.halted is not None

    def _apply(self, kind: str, flows: Mapping[str, int]) -> None:
        for token, change in flows.items():
            self.balances[token.lower()] = self.balances.get(token.lower(), 0) + change
        self.flows.append((kind, dict(flows)))

    def _flow_value(self, flows: Mapping[str, int]) -> float:
        return sum(self.pricing.fair_value.value(t, a) for t, a in flows.items())

    def _half_spread(self, decision: Decision) -> float | None:
        """The half-spread (bp) the decision stage demanded of this order, measured from what it produced:
        its inventory option's min edge per unit of the input's fair value; None when nothing was priced."""
        option = next((o for o in decision.options if o.action == "inventory"), None)
        if option is None:
            return None
        order = decision.orders[0]
        received = self.pricing.fair_value.value(order.input.token, order.input.amount)
        return option.pnl.min_edge / received * BPS if received > 0 else None

    def _gas(self, units: int, gas_price_wei: int) -> float:
        return units * gas_price_wei / 10**18 * self.prices["WETH"]

    # -- flow --------------------------------------------------------------------------------------------
    def submit(self, *orders: ResolvedOrder) -> None:
        """Hand-made orders for the next step, decided before that step's generated ones (tests, replays)."""
        self._submitted.extend(orders)

    def order(self, sell: str, buy: str, usd: float, slippage: float = 0.0) -> ResolvedOrder:
        """A swapper's exact-input order at the current market price (see `SwapperFlow.order`)."""
        return self.flow.order(sell, buy, usd, slippage, self.prices, int(self.time_s))

    # -- one step ----------------------------------------------------------------------------------------
    def step(self, time_s: float, prices: Mapping[str, float], gas_price_wei: int, hedge_open: bool) -> None:
        """One step of the scenario at `time_s` (seconds from the start) with the market at `prices`."""
        dt = max(0.0, time_s - self.time_s)
        self.time_s = time_s
        if self._stopped:  # quoting was stopped on some side since the last step
            self.stopped_s += dt
        before = dict(self.prices)
        self.prices = {s: float(prices[s]) for s in SYMBOLS if s in prices} | {NUMERAIRE: 1.0}
        self.inventory_loss_usd -= sum(
            self.balances[self._key(s)] / 10**t.decimals * (self.prices[s] - before[s])
            for s, t in self.tokens.items()
        )
        self.pricing.update(self.universe, None, time_s)
        for market in self.perps.values():
            market.step(round(dt), self.prices[market.symbol], hedge_open)
        self._check_kill(time_s)
        router = MarketRouter(self.universe, self.prices)
        orders = self._submitted + self.flow.arrivals(self._rng, self.prices, int(time_s))
        self._submitted = []
        if self.killed:
            self.skips[KILLED] += len(orders)
        else:
            self._decide(orders, router, gas_price_wei, int(time_s))
            self._hedge(router, gas_price_wei, time_s, hedge_open)
        self._quotes()
        self._mark(time_s)
        self._check_kill(time_s)

    def _decide(self, orders: list[ResolvedOrder], router: Router, gas_price_wei: int, now: int) -> None:
        """Decide and settle the step's orders; those adding to a stuck side are widened or stopped."""
        halts = self.halts()
        normal: list[ResolvedOrder] = []
        stuck: list[ResolvedOrder] = []
        for order in orders:
            (stuck if halts and halted_by(order, halts) is not None else normal).append(order)
        if self.config.on_stuck == "stop":
            self.skips[HEDGE_HALTED] += len(stuck)
            stuck = []
        for pricing, group in ((self.pricing, normal), (self.widened, stuck)):
            if not group or self.killed:
                continue
            made = decide(
                group,
                pricing=pricing,
                router=router,
                inventory_balances=self.balances,
                policies=self.policies,
                gas_price_wei=gas_price_wei,
                limits=self.decision_limits,
                slippage_bps=self.config.slippage_bps,
            )
            for decision in made:
                self.decisions.append((float(now), self._half_spread(decision), decision))
                if not decision.fills:
                    self.skips[decision.reason or SKIP] += len(decision.hashes)
                    continue
                if self.killed:  # as live: no new fill once the kill switch is tripped
                    self.skips[KILLED] += len(decision.hashes)
                    continue
                flows = settle_on_models(self.universe, decision, decision.orders, now)
                if flows is None:
                    self.skips["not_sent"] += len(decision.hashes)
                    continue
                mode = decision.plan.mode if decision.plan is not None else decision.action
                self._apply(mode, flows)
                self.filled_orders.extend(decision.orders)
                self.counts["fills"] += len(decision.hashes)
                self.counts["fills_inventory" if mode == "inventory" else "fills_routed"] += len(
                    decision.hashes
                )
                self.edge_usd += self._flow_value(flows)
                route_gas = sum(r.gas_units for r in decision.routes)
                self.gas_usd += self._gas(FILL_GAS_UNITS * len(decision.hashes) + route_gas, gas_price_wei)

    def _hedge(self, router: Router, gas_price_wei: int, now: float, open_: bool) -> None:
        """Hedge the inventory as it stands after the step's fills; a hedge that cannot execute is a
        `hedge_stuck` breach and (through the Hedger's halts, or the perp's) stops or widens its side."""
        if self.hedger is not None:
            self.hedger.router, self.hedger.gas_price_wei = router, gas_price_wei
            plan = self.hedger.plan(self.balances, self.policies, self.pricing.fair_value.prices())
            executor = ModelExecutor(self.universe, int(now), open_)
            done: list[HedgeFill | HedgeRefusal] = list(plan.refused)
            done += [self.hedger.execute(o, executor, account="solver") for o in plan.orders]  # type: ignore[arg-type]
            for outcome in done:
                if isinstance(outcome, HedgeFill):
                    self._apply("hedge", outcome.flows)
                    self.counts["hedges"] += 1
                    self.hedge_usd += self._flow_value(outcome.flows)
                    self.gas_usd += self._gas(outcome.gas_used, gas_price_wei)
                else:
                    self._failed(outcome.reason, now)
        elif self.perps:
            self._hedge_perp(now, open_)

    def _failed(self, reason: str, now: float) -> None:
        self.counts["hedges_failed"] += 1
        self.inventory.breach("hedge_stuck", now)
        if "slippage" in reason:
            self.inventory.breach("hedge_slippage", now)

    def _hedge_perp(self, now: float, open_: bool) -> None:
        """Hold a perp position of minus the token's deviation from target; rebalance when the net
        (deviation + perp) leaves the band; halt the side that adds to it when the venue refuses."""
        for symbol, market in self.perps.items():
            token, key = self.tokens[symbol], self._key(symbol)
            deviation = self.deviation(symbol) / 10**token.decimals
            band = self.policies[key].band / 10**token.decimals
            net = deviation + market.position
            if abs(net) <= band:
                self._perp_halts.pop(key, None)
                continue
            if market.rebalance(-deviation):
                self.counts["hedges"] += 1
                self._perp_halts.pop(key, None)
                continue
            why = "perp venue closed" if not open_ else "perp venue refused the trade"
            self._perp_halts[key] = ("buy" if net > 0 else "sell", why)
            self._failed(why, now)

    # -- marks -------------------------------------------------------------------------------------------
    def _quotes(self) -> None:
        """The half-spread each side quotes from now to the next step (bp), None where it is stopped."""
        halts = self.halts()
        sides: dict[str, float | None] = {}
        for symbol in SYMBOLS[1:]:
            halted = halts.get(self._key(symbol), ("", ""))[0]
            for side in ("buy", "sell"):
                if self.killed or (halted == side and self.config.on_stuck == "stop"):
                    sides[f"{symbol}_{side}"] = None
                elif halted == side:
                    sides[f"{symbol}_{side}"] = self.widened.config.min_edge_bps
                else:
                    sides[f"{symbol}_{side}"] = self.pricing.config.min_edge_bps
        quoted = [v for v in sides.values() if v is not None]
        self.spreads.extend(quoted)
        self._stopped = len(quoted) < len(sides)
        self._trace["half_spread_bp"] = max(quoted) if quoted else None  # the widest side still quoting
        self._trace["half_spread_sides"] = sides
        self._trace["stopped"] = self._stopped

    def _mark(self, time_s: float) -> None:
        c = self.config
        value = self.value()
        self.inventory.mark(time_s, value - self.gas_usd)
        for symbol in SYMBOLS[1:]:
            if self.balances[self._key(symbol)] / 10 ** self.tokens[symbol].decimals * self.prices[symbol] > (
                c.max_inventory_usd
            ):
                self.inventory.breach("max_inventory", time_s)
        trace: dict[str, Any] = {
            "time_s": time_s,
            "inventory_usd": value,
            **{
                f"deviation_{s}_usd": self.deviation(s) / 10**t.decimals * self.prices[s]
                for s, t in self.tokens.items()
            },
        }
        if self.perps:
            self.perp_book.mark(time_s, sum(m.pnl_usd for m in self.perps.values()))
            self.fund_book.mark(time_s, sum(m.fund_usd for m in self.perps.values()))
            called = False
            for market in self.perps.values():
                distance = market.liquidation_distance()
                if distance is not None:
                    low = self.liquidation_distance_min
                    self.liquidation_distance_min = distance if low is None else min(low, distance)
                if market.liquidated:
                    self.perp_book.breach("perp_liquidation", time_s)
                if market.margin_call():
                    called = True
                    self.perp_book.breach("margin_call", time_s)
                if market.fund_exhausted:
                    self.fund_book.breach("fund_exhausted", time_s)
            self.margin_calls += called and not self._margin_called
            self._margin_called = called
            trace["hedge_position"] = sum(m.position * m.mark for m in self.perps.values())  # USD, signed
            trace["hedge_tokens"] = {s: m.position for s, m in self.perps.items()}
            trace["perp_pnl_usd"] = self.perp_book.pnl
            trace["fund_usd"] = self.fund_book.pnl + (self.fund_book.start or 0.0)
        self._trace.update(trace)

    def _check_kill(self, time_s: float) -> None:
        """The kill switch on the solver's whole PnL (inventory, gas and perp) at this step's prices."""
        pnl = self.value() - self.gas_usd - (self.inventory.start or 0.0)
        pnl += sum(m.pnl_usd for m in self.perps.values())
        if not self.killed and self.risk.update_pnl(pnl) is not None:
            self.inventory.breach("max_loss", time_s)

    # -- reports -----------------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        """One BookTracker row per book: solver_inventory; perp_hedge and venue_fund with a perp hedge."""
        top = self.skips.most_common(1)
        rows = [
            self.inventory.row(
                fills=self.counts["fills"],
                fills_inventory=self.counts["fills_inventory"],
                fills_routed=self.counts["fills_routed"],
                skips=sum(self.skips.values()),
                top_skip_reason=top[0][0] if top else "",
                hedges=self.counts["hedges"],
                hedges_failed=self.counts["hedges_failed"],
                quote_half_spread_bp_mean=round(float(np.mean(self.spreads)), 4) if self.spreads else None,
                quote_half_spread_bp_max=round(max(self.spreads), 4) if self.spreads else None,
                stopped_s=round(self.stopped_s, 3),
                gas_usd=round(self.gas_usd, 2),
                inventory_loss_usd=round(self.inventory_loss_usd, 2),
                edge_usd=round(self.edge_usd, 2),
                hedge_usd=round(self.hedge_usd, 2),
                killed=self.killed,
            )
        ]
        if self.perps:
            distance = self.liquidation_distance_min
            rows.append(
                self.perp_book.row(
                    funding_usd=round(sum(m.funding_usd for m in self.perps.values()), 2),
                    liquidation_distance_min=None if distance is None else round(distance, 6),
                    margin_calls=self.margin_calls,
                    liquidated=any(m.liquidated for m in self.perps.values()),
                    position={s: m.position for s, m in self.perps.items()},
                )
            )
            rows.append(
                self.fund_book.row(
                    fund_start=round(sum(m.usd(m.fund_start) for m in self.perps.values()), 2),
                    fund_end=round(sum(m.fund_usd for m in self.perps.values()), 2),
                    liquidations=sum(m.venue.stats.liquidations for m in self.perps.values()),
                    bad_debt=round(sum(m.usd(m.venue.stats.bad_debt) for m in self.perps.values()), 2),
                )
            )
        return rows

    def trace_point(self) -> dict[str, Any]:
        """This step's figures for plots: `inventory_usd`, `deviation_<SYMBOL>_usd`, `half_spread_bp` (the
        widest side still quoting; None when every side is stopped), `half_spread_sides` ({WETH_buy: bp or
        None when stopped, ...}), `stopped`, and with a perp `hedge_position` (USD at the mark, signed),
        `hedge_tokens`, `perp_pnl_usd` and `fund_usd`."""
        return dict(self._trace)
