"""Just-in-time liquidity: decode a pending swap, plan a position around it, execute mint -> swap -> burn.

    decoded = Decoder(models).decode(raw_tx)            # PendingSwap (pool, direction, amount, ...) or Skip
    plan = Planner().plan(pool, decoded.legs[0], (inv0, inv1), gas_price_wei=...)   # pure, exact
    result = send_bundle(node, executor, owner, plan, raw_tx, gas_price_wei=...)    # one ordered block

`JitRunner` is the bot behind `solver jit run`; `JitExecutor` wraps contracts/JitExecutor.sol.
"""

from solver.jit.bundle import BundleResult, send_bundle, send_bundles
from solver.jit.decode import DEFAULT_ROUTERS, UNIVERSAL_ROUTER, Decoder, PendingSwap, Skip, SwapLeg
from solver.jit.executor import JitExecutor
from solver.jit.plan import GasModel, JitPlan, Planner
from solver.jit.runner import JitRunner, Summary
from solver.jit.simulate import Outcome, Swap, evaluate, replay

__all__ = [
    "DEFAULT_ROUTERS",
    "UNIVERSAL_ROUTER",
    "BundleResult",
    "Decoder",
    "GasModel",
    "JitExecutor",
    "JitPlan",
    "JitRunner",
    "Outcome",
    "PendingSwap",
    "Planner",
    "Skip",
    "Summary",
    "Swap",
    "SwapLeg",
    "evaluate",
    "replay",
    "send_bundle",
    "send_bundles",
]
