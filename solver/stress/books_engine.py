"""The books engine: four stress scenarios (correlated crash, stuck hedge, liquidity withdrawal, gas spike)
run on a market maker's books: the LP's v3 position, the solver's inventory, its perp hedge and the perp
venue's fund.

Why two worlds per variant: a kill switch's worth is the PnL it saves on the same path, so every variant runs
once with every book's kill switch armed and once with none, from the same universe (copied after the LP's
mint) and the same seed; `kill_switch_saved` is the book's PnL armed minus disarmed (when no switch trips
armed, the disarmed world is the same path, step for step, and is not run again). A book's row comes from
the world its own config asks for (`lp.kill_switch`, `solver.kill_switch`); the scenario figures (router
slippage, JIT) and the trace come from the LP's. Both worlds arm or disarm all books together, so a book's
saving includes what the others' switches changed in the shared pools (second order).

Why common random numbers: every variant of a seed sees the same base market path (`market.market_steps`
draws it before any shock) and the same order flow (the solver book's seed); only the named key differs.

One step: third-party liquidity leaves if the shock says so; the arbitrageur moves every pool to the market
(exact swaps, unless its gas eats the profit); the solver book steps (orders, fills, hedges on the same pool
models); the LP marks its position (a poke, then what burn + collect would pay).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from solver.jit.plan import Planner
from solver.jit.simulate import Swap
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.stress.books_config import BooksConfig, ProbeConfig
from solver.stress.config import apply_overrides, build, to_dict
from solver.stress.lp_book import LP_OWNER, LpBook
from solver.stress.market import MarketStep, market_steps
from solver.stress.solver_book import SolverBook
from solver.stress.stress_pools import (
    ARB_GAS_UNITS,
    arbitrage,
    build_universe,
    positions_in_range,
    reference_slippage,
    withdraw,
)

JIT_STREAM = 0x6A6974  # the JIT probe's swaps: default_rng((JIT_STREAM, seed)), the same for every variant


def override(config: Any, overrides: dict[str, Any]) -> Any:
    """`config` with each dotted key set, through the same `apply_overrides` and typed `build` as `--set`:
    a ScenarioError names a bad key or value, and every table's own checks run."""
    return build(type(config), apply_overrides(to_dict(config), overrides))


@dataclass
class World:
    """One run of a variant's path: its pools, the LP and the solver books, and the trace if asked."""

    armed: bool
    universe: Universe
    lp: LpBook
    solver: SolverBook
    trace: list[dict[str, Any]] | None = None
    liquidity_share: float = 1.0
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def step(self, step: MarketStep) -> None:
        if step.liquidity_share < self.liquidity_share:
            withdraw(self.universe, 1 - step.liquidity_share / self.liquidity_share, LP_OWNER, step.time_s)
            self.liquidity_share = step.liquidity_share
        gas = step.gas_price_wei
        arb_gas_usd = ARB_GAS_UNITS * gas / 10**18 * step.prices["WETH"]
        arb = arbitrage(self.universe, step.prices, step.time_s, gas_usd=arb_gas_usd)
        self.lp.record_arb(arb)
        self.solver.step(step.time_s, step.prices, gas, step.hedge_open)
        self.lp.mark(step.time_s, step.prices)
        if self.trace is not None:
            self.trace.append(self.trace_point(step))

    def trace_point(self, step: MarketStep) -> dict[str, Any]:
        point = self.solver.trace_point()
        return {
            "time_s": step.time_s,
            "prices": dict(step.prices),
            "gas_gwei": step.gas_gwei,
            "hedge_open": step.hedge_open,
            "lp_value": round(self.lp.last["value"], 2),
            "lp_in_range": self.lp.active and self.lp.in_range(),
            "solver_value": point.get("inventory_usd"),
            "hedge": point.get("hedge_position"),
            "fund": point.get("fund_usd"),
            "solver": point,
        }

    @property
    def fired(self) -> bool:
        """Whether a kill switch tripped here (if the solver book cannot say, assume it did)."""
        return self.lp.killed_s is not None or bool(getattr(self.solver, "killed", True))

    def finish(self) -> None:
        self.rows = {"lp": self.lp.row()}
        for row in self.solver.rows():
            self.rows[row["book"]] = row


class Books:
    """The engine (`config_cls`, `variant_keys`, `run_seed`); `variants()` lists (label, config) and
    `run_variant` runs one of them for a seed, for a notebook."""

    config_cls = BooksConfig
    variant_keys = ("variant", "book")

    def __init__(self, config: BooksConfig) -> None:
        self.config = config
        self._variants = [
            (label, override(config, overrides)) for label, overrides in config.variants.labels()
        ]

    def variants(self) -> list[tuple[str, BooksConfig]]:
        return list(self._variants)

    def run_seed(
        self, seed: int, trace: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """Every (variant, book) row of one seed, and each variant's step trace if asked."""
        rows: list[dict[str, Any]] = []
        traces: dict[str, list[dict[str, Any]]] = {}
        for label, config in self._variants:
            variant_rows, steps = self.run_variant(config, label, seed, trace)
            rows.extend(variant_rows)
            if steps is not None:
                traces[label] = steps
        return rows, traces

    def world(self, config: BooksConfig, seed: int, armed: bool = True) -> tuple[list[MarketStep], World]:
        """A variant's market steps and a fresh world of its books, not yet stepped: for a notebook or a
        bot, `steps, world = engine.world(config, seed)`, then `for step in steps[1:]: world.step(step)`
        (`engine.variants()` gives each variant's label and config)."""
        steps, universe, minted = self._start(config, seed)
        return steps, self._world(config, seed, universe, minted, steps[0], armed, None)

    def _start(self, config: BooksConfig, seed: int) -> tuple[list[MarketStep], Universe, LpBook]:
        steps = market_steps(config.market, seed, config.shock)
        universe = build_universe(config.pools, steps[0].prices)
        return steps, universe, LpBook(config.lp, universe, steps[0].prices, steps[0].time_s)

    def _world(
        self,
        config: BooksConfig,
        seed: int,
        universe: Universe,
        minted: LpBook,
        start: MarketStep,
        armed: bool,
        trace: list[dict[str, Any]] | None,
    ) -> World:
        """Books on a copy of the minted universe (each world trades on pools of its own)."""
        world_universe, lp = copy.deepcopy((universe, minted))
        lp.kill_switch = armed
        solver = SolverBook(config.solver, world_universe, start.prices, seed, kill_switch=armed)
        return World(armed, world_universe, lp, solver, trace)

    def run_variant(
        self, config: BooksConfig, label: str, seed: int, trace: bool = False
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        steps, universe, minted = self._start(config, seed)
        worlds: dict[bool, World] = {}
        primary = config.lp.kill_switch
        for armed in (True, False):
            if not armed and not worlds[True].fired:
                worlds[False] = worlds[True]  # no switch tripped: disarmed, it is the same path
                break
            traced = [] if trace and (armed or not primary) else None
            world = self._world(config, seed, universe, minted, steps[0], armed, traced)
            for step in steps[1:]:
                world.step(step)
            world.finish()
            worlds[armed] = world
        figures = self.probe(worlds[primary], config.probe, steps[-1], seed)
        rows = []
        for book in worlds[primary].rows:
            own = config.solver.kill_switch if book != "lp" else config.lp.kill_switch
            row = dict(worlds[own].rows[book])
            saved = worlds[True].rows[book]["pnl"] - worlds[False].rows[book]["pnl"]
            row["kill_switch_saved"] = round(saved, 2)
            row["router_slippage_bp"] = figures["router_slippage_bp"]
            if book == "solver_inventory":
                row.update({k: v for k, v in figures.items() if k.startswith("jit_")})
            if book == "lp":
                row.update({k: v for k, v in figures.items() if k.startswith("third_party_")})
            rows.append({"seed": seed, "variant": label, **row})
        return rows, worlds[primary].trace

    # ---------------------------------------------------------------------------------------- probes
    def probe(self, world: World, probe: ProbeConfig, last: MarketStep, seed: int) -> dict[str, Any]:
        """The scenario figures at the end of the path: the router's slippage on a reference WETH->USDC
        order, the third-party v3 positions still in range (withdrawn ones no longer count) and, with
        `jit_swaps`, what the JIT planner makes of large swaps at the variant's gas price."""
        universe = world.universe
        slippage = reference_slippage(
            universe, Router(universe), probe.slippage_usd, last.prices, last.gas_price_wei
        )
        working, live = positions_in_range(universe, LP_OWNER)
        figures: dict[str, Any] = {
            "router_slippage_bp": round(slippage, 2),
            "third_party_positions": live,
            "third_party_in_range_share": round(working / live, 4) if live else 0.0,
        }
        if probe.jit_swaps:
            figures.update(jit_probe(world.lp, probe, last, seed))
        else:
            figures.update({"jit_plans": 0, "jit_paying": 0, "jit_profit_usd": 0.0})
        return figures


def jit_probe(lp: LpBook, probe: ProbeConfig, last: MarketStep, seed: int) -> dict[str, Any]:
    """`jit_swaps` seeded large swaps (random side, log-normal USD size) each planned by the real JIT
    planner (`solver.jit.plan.Planner`) on a copy of the LP's pool as the path left it, at the gas price of
    the last step; a plan pays when its net (fees less price impact, gas and bribe) is positive."""
    rng = np.random.default_rng((JIT_STREAM, seed))
    pool = copy.deepcopy(lp.pool)
    universe = lp.universe
    t0, t1 = universe.tokens[lp.ref.token0.lower()], universe.tokens[lp.ref.token1.lower()]
    p0, p1 = last.prices[t0.symbol], last.prices[t1.symbol]
    half = probe.jit_inventory_usd / 2
    inventory = (int(half / p0 * 10**t0.decimals), int(half / p1 * 10**t1.decimals))
    planner = Planner()
    paying, profit = 0, Fraction(0)
    for _ in range(probe.jit_swaps):
        zero_for_one = bool(rng.random() < 0.5)
        size = probe.jit_swap_usd * math.exp(probe.jit_size_sigma * rng.standard_normal())
        token, price = (t0, p0) if zero_for_one else (t1, p1)
        swap = Swap(zero_for_one, int(size / price * 10**token.decimals))
        plan = planner.plan(pool, swap, inventory, gas_price_wei=last.gas_price_wei, break_even=False)
        if plan.net > 0:
            paying += 1
            profit += plan.net
    return {
        "jit_plans": probe.jit_swaps,
        "jit_paying": paying,
        "jit_profit_usd": round(float(profit) / 10**t1.decimals * p1, 2),
    }
