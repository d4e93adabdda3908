"""Stress scenarios on the venues and books: scenario files, price paths, Monte Carlo over seeds, sweeps.

A scenario is a small TOML file in `solver/stress/scenarios/` naming its engine; `load` reads it (with
dotted-key overrides), `run` runs it over seeds and summarises per variant, `sweep` runs a grid of
overrides over a local process pool. Everything is deterministic for a seed (numpy Generators), so a
result can be reproduced from its seed alone.

Usage, from a bot or a notebook::

    from solver.stress import load, run

    scenario = load("weekend-gap", {"gap.size": -0.3, "variants.architectures": ["vault", "onchain"]})
    result = run(scenario, seeds=range(10))
    for v in result.summary:
        print(v["architecture"], v["mark_rule"], v["fund"]["exhaustion_rate"], v["bad_debt"]["mean"])

    # step one venue yourself: the same draw (path, traders) for every variant of a seed
    engine = scenario.engine
    draw = engine.draw(seed=0)
    variant = engine.variants()[0]
    for i, venue in engine.simulate(variant, draw):
        print(venue.now, venue.oracle, venue.mark, venue.fund)

    # the books scenarios (correlated-crash, stuck-hedge, liquidity-withdrawal, gas-spike): one world of
    # exact pools, the LP's position and the solver's books, stepped by hand
    crash = load("correlated-crash").engine
    label, config = crash.variants()[0]
    steps, world = crash.world(config, seed=0)
    for step in steps[1:]:
        world.step(step)
        print(step.time_s, world.lp.last["value"], world.solver.trace_point()["inventory_usd"])

Every scenario reports per book (`solver.stress.books`: LP positions, solver inventory, perp hedge, venue
fund): PnL, worst drawdown, which limit or buffer broke first and when, and what the kill switch saved.
"""

from solver.stress.books import BookTracker, summarise_books
from solver.stress.books_engine import Books
from solver.stress.config import ScenarioError, ScenarioFile, parse_override
from solver.stress.engine import ENGINES, Result, Scenario, load, run, runnable, summarise_engine
from solver.stress.lp_book import LpBook
from solver.stress.oracle_manipulation import OracleManipulation
from solver.stress.paths import (
    GapModel,
    JumpDiffusion,
    MarketPath,
    ProxyModel,
    fit_gaps,
    market_path,
    schedule,
)
from solver.stress.solver_book import SolverBook, SolverBookConfig
from solver.stress.weekend_gap import Variant, WeekendGap, WeekendGapConfig

__all__ = [
    "ENGINES",
    "BookTracker",
    "Books",
    "GapModel",
    "JumpDiffusion",
    "LpBook",
    "MarketPath",
    "OracleManipulation",
    "ProxyModel",
    "Result",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "SolverBook",
    "SolverBookConfig",
    "Variant",
    "WeekendGap",
    "WeekendGapConfig",
    "fit_gaps",
    "load",
    "market_path",
    "parse_override",
    "run",
    "runnable",
    "schedule",
    "summarise_books",
    "summarise_engine",
]
