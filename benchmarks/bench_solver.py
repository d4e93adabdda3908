"""The market maker end to end: decision latency, orders per second, and internalization's gain.

    .venv/bin/python benchmarks/bench_solver.py                 # 20 blocks x 4 orders, 300 latency orders
    .venv/bin/python benchmarks/bench_solver.py --blocks 10     # quicker

On the built-in chain, every figure beside its baseline measured in the same run, from the same snapshot
(evm_snapshot / evm_revert) and the same generated flow (`solver.flow`, real signed UniswapX orders):

1. Decision latency per order: every built-in pool loaded (`Universe.discover`), a few hundred generated
   orders resolved for the next block (`resolve_for_next_block`), each timed alone through
   `decide([order], ...)` with the funded solver's pricing, balances and policies; baseline: the router
   alone on the same orders (`Router.route` of each order's whole input, exact in, same gas price and
   slippage). Both use one warm Router (networks cached, as within one `Solver.step`); the cold cost of a
   fresh Router's first route per pair (what every step pays, as `step` builds a new Router) is printed too.
2. Orders per second sustained by `Solver.step()`: N blocks of generated flow (Poisson arrivals) submitted
   and stepped, wall clock around `step()` only (flow generation excluded); the step is split into its stages
   by timing, from outside, the functions `solver.core` calls (`check_many`, `resolve_for_next_block`,
   `decide`, `fill`); "refresh+mark" is the rest (pools, fair value, inventory, ledger, marking the book).
3. Internalization's gain: the same orders (recorded from run (a), replayed byte for byte in (b) at the same
   step, the same timestamps pinned per step with evm_setNextBlockTimestamp) through (a) our Solver, funded
   as `solver run` funds it, and (b) a router-only filler: the same Solver with every token at zero balance
   (target 0, no hard limit, so a route's surplus may accrue) and `decide` shown zero balances every step.
   The latter matters: the surplus routes leave behind soon adds up to a small inventory, and a Solver merely
   started unfunded then fills small orders from it (measured: 11 inventory and 6 split fills of 52); shown
   zero, it can only route whole inputs. Printed: fills, fills by mode, skips by reason, the ledger's PnL
   and its attribution (USDC at fair value), and the swappers' price improvement.

Price improvement, exactly: a fill pays what the order resolves to in its block, so the surplus over the
decayed limit is 0 by construction. What we measure instead is the improvement over the worst the swapper
signed for (the order's end amounts): per filled order, sum over its output tokens of (received by its
recipients - the output's end/min amount) plus (the input's end/max amount - the input taken), each valued at
the fair value of the solver's pricing at the end of its run. Exact-in orders improve on the output, exact-out
orders on the input. A filler that fills sooner (before more decay) gives the swapper more.

Caveats: v3_dutch orders decay per block and each fill mines one, so a run that fills more advances the
chain's block number faster (timestamps are pinned per step, block numbers are not); fair values move with
each run's own pool impact.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path

from amm.chain.session import start_devnet
from solver import core
from solver.accounting.inventory import TokenPolicy
from solver.accounting.surplus import surplus_value, swapper_surplus
from solver.cli_run import DEFAULT_FUNDING
from solver.core import Solver, open_solver
from solver.decision import decide
from solver.flow.generator import FlowConfig, FlowGenerator
from solver.flow.incoming import IncomingOrder
from solver.intents.uniswapx import Order
from solver.routing.errors import RoutingError
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.settlement.uniswapx import FillResult, resolve_for_next_block

BLOCK_SECONDS = 12
BLOCK_ORDERS = 50  # decide() of a busy block's orders at once
STAGES = ("check_many", "resolve_for_next_block", "decide", "fill")


# ------------------------------------------------------------------------------------------------ helpers
def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


@contextmanager
def stage_timer(totals: dict[str, float], *, route_only: bool = False):
    """Time, from outside, the functions `Solver.step` calls through `solver.core`'s namespace. `route_only`:
    `decide` is shown zero balances, so the filler never spends inventory (its routed surplus still
    accrues on chain and in the PnL: it is just never used to fill)."""
    originals = {name: getattr(core, name) for name in STAGES}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            if route_only and name == "decide":
                kwargs["inventory_balances"] = dict.fromkeys(kwargs["inventory_balances"], 0)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for name, fn in originals.items():
        setattr(core, name, timed(name, fn))
    try:
        yield totals
    finally:
        for name, fn in originals.items():
            setattr(core, name, fn)


def price_improvement(fills: Sequence[FillResult], orders: Mapping[str, Order], value) -> float:
    """Sum over filled orders of what the swappers got beyond their signed limits, at fair value."""
    return float(
        sum(
            surplus_value(swapper_surplus(orders[filled.hash], filled), value)
            for result in fills
            for filled in result.orders
        )
    )


def pin_time(node, t0: int, step: int) -> None:
    """The next block at t0 + 12 s per step (or one second after the latest, if that is later)."""
    latest = int(node.block("latest")["timestamp"], 16)
    node.set_next_block_timestamp(max(latest + 1, t0 + BLOCK_SECONDS * step))


# ------------------------------------------------------------------------------ part 1: decision latency
def part_latency(node, owner: str, run_dir: Path, n_orders: int, seed: int) -> dict:
    solver = open_solver(node, str(run_dir), owner=owner, funding=DEFAULT_FUNDING)
    universe = solver.universe
    flow = FlowGenerator(node, FlowConfig(seed=seed, orders_per_block=n_orders / 3), universe=universe)
    generated = []
    for _ in range(3):  # three blocks of arrivals: orders at different points of their decay
        generated += flow.step()
        node.mine()
    orders = [g.incoming.order for g in generated if g.incoming.order is not None]
    pending = node.block("pending")
    block, timestamp = int(pending["number"], 16), int(pending["timestamp"], 16)
    universe.refresh(node)
    solver.pricing.update(universe, block, timestamp)
    solver.inventory.refresh()
    gas_price = int(node.rpc.call("eth_gasPrice"), 16)
    resolved = resolve_for_next_block(node, orders, solver.filler.address)

    def out_token(r) -> str:
        return next(iter(r.output_totals()))

    pairs = sorted({(r.input.token, out_token(r)) for r in resolved})
    cold = []
    for sell, buy in pairs:  # a fresh Router's first route on each pair: network build included
        started = time.perf_counter()
        with suppress(RoutingError):
            Router(universe).route(sell, buy, 10**6, gas_price_wei=gas_price)
        cold.append((time.perf_counter() - started) * 1e3)
    router = Router(universe)
    for sell, buy in pairs:  # warm: networks and gas prices cached, as within one step
        with suppress(RoutingError):
            router.route(sell, buy, 10**6, gas_price_wei=gas_price)
    kwargs = dict(
        pricing=solver.pricing,
        router=router,
        inventory_balances=solver.inventory.balances,
        policies=solver.policies,
        gas_price_wei=gas_price,
        slippage_bps=solver.slippage_bps,
    )
    decide_ms, route_ms, actions = [], [], Counter()
    for r in resolved:
        started = time.perf_counter()
        decision = decide([r], **kwargs)[0]
        decide_ms.append((time.perf_counter() - started) * 1e3)
        actions[decision.action if decision.fills else f"skip:{decision.reason}"] += 1
        started = time.perf_counter()
        with suppress(RoutingError):
            router.route(r.input.token, out_token(r), r.input.amount, gas_price_wei=gas_price)
        route_ms.append((time.perf_counter() - started) * 1e3)
    block_orders = resolved[:BLOCK_ORDERS]
    started = time.perf_counter()
    decide(block_orders, **kwargs)
    batch_s = time.perf_counter() - started

    n = len(resolved)
    print(f"\n== 1. decision latency: {len(universe.pools)} pools, {len(universe.tokens)} tokens, {n} orders "
          f"({len(pairs)} pairs), gas price {gas_price / 1e9:.2f} gwei")  # fmt: skip
    print(f"{'per order, ms':<34}{'median':>9}{'p99':>9}{'mean':>9}{'max':>9}")
    for label, ms in (
        ("decide([order])", decide_ms),
        ("router.route(input, gas_price_wei=0) [baseline]", route_ms),
    ):
        print(f"{label:<34}{statistics.median(ms):>9.2f}{pct(ms, 99):>9.2f}"
              f"{statistics.fmean(ms):>9.2f}{max(ms):>9.2f}")  # fmt: skip
    print(f"{'cold Router, first route per pair':<34}{statistics.median(cold):>9.2f}{pct(cold, 99):>9.2f}"
          f"{statistics.fmean(cold):>9.2f}{max(cold):>9.2f}")  # fmt: skip
    ratio = statistics.median(decide_ms) / statistics.median(route_ms)
    print(f"decide / route (medians): {ratio:.2f}x; decide() of {len(block_orders)} orders at once (pairing "
          f"included): {batch_s:.2f} s = {batch_s / len(block_orders) * 1e3:.2f} ms/order")  # fmt: skip
    print("decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(actions.items())))
    return {"decide_p50": statistics.median(decide_ms), "route_p50": statistics.median(route_ms)}


# ------------------------------------------------------------------------------ parts 2 and 3: the runs
def run(
    node,
    solver: Solver,
    t0: int,
    blocks: int,
    *,
    flow: FlowGenerator | None = None,
    replay: Sequence[Sequence[IncomingOrder]] | None = None,
    route_only: bool = False,
) -> dict:
    """Step `solver` for `blocks`; orders from `flow` (recorded) or `replay` (another run's recording)."""
    recorded: list[list[IncomingOrder]] = []
    orders: dict[str, Order] = {}
    fills: list[FillResult] = []
    step_s, gen_s, failed, stamps = [], 0.0, 0, []
    stages: dict[str, float] = {}
    with stage_timer(stages, route_only=route_only):
        for k in range(blocks):
            pin_time(node, t0, k + 1)
            started = time.perf_counter()
            incoming = [g.incoming for g in flow.step()] if flow is not None else list(replay[k])
            gen_s += time.perf_counter() - started
            recorded.append(incoming)
            for item in incoming:
                if item.order is not None:
                    orders[item.order.hash] = item.order
                solver.submit(item)
            started = time.perf_counter()
            report = solver.step()
            step_s.append(time.perf_counter() - started)
            fills += report.fills
            stamps.append(report.timestamp)
            failed += len(report.failed)
    summary = solver.summary()
    improvement = price_improvement(fills, orders, solver.pricing.fair_value.value)
    return {
        "recorded": recorded,
        "orders": sum(len(b) for b in recorded),
        "step_s": step_s,
        "gen_s": gen_s,
        "stages": stages,
        "fills": fills,
        "failed": failed,
        "timestamps": stamps,
        "summary": summary,
        "improvement": improvement,
        "filled_notional": sum(
            solver.pricing.fair_value.value(f.resolved.input.token, f.resolved.input.amount)
            for r in fills
            for f in r.orders
        ),
    }


def router_only(node, owner: str, run_dir: Path) -> Solver:
    """The same Solver with every token at zero: no inventory fill or split can pass `decide`'s balance
    check; targets 0 and no hard limit (a 0 limit would refuse even the surplus a route leaves behind)."""
    solver = open_solver(node, str(run_dir), owner=owner, funding={s: 0.0 for s in DEFAULT_FUNDING})
    policies = {t: TokenPolicy(0, 0, None) for t in solver.policies}
    solver.policies = policies
    solver.inventory.policies = policies
    return solver


def print_throughput(results: dict[str, dict]) -> None:
    print("\n== 2. throughput of Solver.step() (wall clock around step(); flow generation excluded)")
    print(f"{'run':<14}{'orders':>7}{'fills':>6}{'step s':>8}{'orders/s':>9}{'fills/s':>8}{'s/block':>8}"
          f"{'p99 blk':>8}{'screen':>8}{'resolve':>8}{'decide':>8}{'settle':>8}{'rest':>8}")  # fmt: skip
    for name, r in results.items():
        total = sum(r["step_s"])
        st = r["stages"]
        rest = total - sum(st.values())
        fills = sum(len(f.orders) for f in r["fills"])
        print(f"{name:<14}{r['orders']:>7}{fills:>6}{total:>8.1f}{r['orders'] / total:>9.1f}"
              f"{fills / total:>8.2f}{total / len(r['step_s']):>8.2f}{pct(r['step_s'], 99):>8.2f}"
              f"{st.get('check_many', 0):>8.1f}{st.get('resolve_for_next_block', 0):>8.1f}"
              f"{st.get('decide', 0):>8.1f}{st.get('fill', 0):>8.1f}{rest:>8.1f}")  # fmt: skip
    print(
        "stage columns: seconds over the run; settle = fill() (its own check, simulation, gas estimate, "
        "send, receipt accounting); rest = refresh of pools / fair value / inventory, ledger and mark"
    )


def print_gain(results: dict[str, dict]) -> None:
    print("\n== 3. internalization's gain: the same orders through both fillers")
    rows = {name: r["summary"] for name, r in results.items()}
    kinds = sorted({k for s in rows.values() for k in s["pnl"]["attribution"]})
    modes = sorted({m for s in rows.values() for m in s["fills_by_mode"]})
    reasons = sorted({k for s in rows.values() for k in s["skipped"]})
    names = list(rows)
    print(f"{'':<30}" + "".join(f"{n:>16}" for n in names))

    def line(label: str, values: Sequence[str]) -> None:
        print(f"{label:<30}" + "".join(f"{v:>16}" for v in values))

    line("orders seen", [str(s["orders_seen"]) for s in rows.values()])
    line("filled", [str(s["filled"]) for s in rows.values()])
    for mode in modes:
        line(f"  fills by mode: {mode}", [str(s["fills_by_mode"].get(mode, 0)) for s in rows.values()])
    for reason in reasons:
        line(
            f"  skipped: {reason.replace('rejected:', 'rej:')[:19]}",
            [str(s["skipped"].get(reason, 0)) for s in rows.values()],
        )
    line("reverted / failed", [f"{s['reverted']} / {results[n]['failed']}" for n, s in rows.items()])
    line("filled notional (USDC)", [f"{r['filled_notional']:,.0f}" for r in results.values()])
    line("PnL total (USDC)", [f"{float(Decimal(s['pnl']['total'])):,.2f}" for s in rows.values()])
    for kind in kinds:
        amounts = [float(Decimal(s["pnl"]["attribution"].get(kind, "0"))) for s in rows.values()]
        line(f"  {kind}", [f"{amount:,.2f}" for amount in amounts])
    line("swappers' improvement (USDC)", [f"{r['improvement']:,.2f}" for r in results.values()])
    line(
        "  per filled $1M",
        [f"{r['improvement'] / r['filled_notional'] * 1e6:,.0f}" if r["filled_notional"] else "-"
         for r in results.values()],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20, help="blocks of flow per run (parts 2 and 3)")
    parser.add_argument("--orders-per-block", type=float, default=4.0, help="Poisson mean of arrivals")
    parser.add_argument("--latency-orders", type=int, default=300, help="orders timed in part 1 (about)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    wall = time.perf_counter()
    session = start_devnet()
    node = session.node
    tmp = tempfile.TemporaryDirectory(prefix="bench_solver-")
    try:
        owner = session.roles.users[3]
        universe = Universe.discover(node)  # the flow's own view of the pools (the solvers discover theirs)
        flow = FlowGenerator(
            node, FlowConfig(seed=args.seed, orders_per_block=args.orders_per_block), universe=universe
        )
        flow.prepare()  # users funded and Permit2 approved once, before the snapshot both runs start from
        node.mine()
        base = node.snapshot()
        t0 = int(node.block("latest")["timestamp"], 16)

        latency = part_latency(node, owner, Path(tmp.name) / "latency", args.latency_orders, args.seed + 1)
        node.revert(base)
        base = node.snapshot()

        ours = open_solver(node, str(Path(tmp.name) / "ours"), owner=owner, funding=DEFAULT_FUNDING)
        flow = FlowGenerator(
            node, FlowConfig(seed=args.seed, orders_per_block=args.orders_per_block), universe=universe
        )
        a = run(node, ours, t0, args.blocks, flow=flow)
        node.revert(base)
        base = node.snapshot()

        routed = router_only(node, owner, Path(tmp.name) / "router_only")
        b = run(node, routed, t0, args.blocks, replay=a["recorded"], route_only=True)
        node.revert(base)

        results = {"ours": a, "router-only": b}
        print_throughput(results)
        print(f"(flow generation, not in the step time: {a['gen_s']:.1f} s for {a['orders']} signed orders)")
        print_gain(results)
        skew = max(abs(x - y) for x, y in zip(a["timestamps"], b["timestamps"], strict=True))
        print(f"step timestamps, ours vs router-only: largest difference {skew} s over {args.blocks} steps")

        pnl = [float(Decimal(r["summary"]["pnl"]["total"])) for r in (a, b)]
        improvement = [r["improvement"] for r in (a, b)]
        fills = [r["summary"]["filled"] for r in (a, b)]
        print(
            f"\nsummary: internalizing: PnL {pnl[0]:,.2f} vs {pnl[1]:,.2f} USDC (router-only, "
            f"{pnl[0] - pnl[1]:+,.2f}), fills {fills[0]} vs {fills[1]}, swappers' improvement "
            f"{improvement[0]:,.2f} vs {improvement[1]:,.2f} USDC on the same {a['orders']} orders; "
            f"{a['orders'] / sum(a['step_s']):.1f} orders/s ({sum(a['step_s']) / args.blocks:.2f} s/block); "
            f"decide p50 {latency['decide_p50']:.2f} ms vs route {latency['route_p50']:.2f} ms; "
            f"{time.perf_counter() - wall:.0f} s in all"
        )
    finally:
        session.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()
