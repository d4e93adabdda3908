"""`solver run`: the market maker on generated flow, block by block, with a live table and a summary.

Parses and renders only: the pipeline is `solver.core.Solver`, the flow `solver.flow.FlowGenerator` (and,
with `--http`, the orders posted to `solver.flow.http.OrderServer`), the figures `Solver.summary()`.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, out, print_json
from solver.cli_backtest import RunRecording
from solver.core import StepReport, open_solver
from solver.decision import Decision
from solver.flow.generator import FlowConfig, FlowGenerator
from solver.flow.http import OrderServer
from solver.flow.jsonl import JsonlWriter
from solver.keys import SignerError, load_signer
from solver.pricing import Pricing
from solver.risk.kill import KillSwitch
from solver.risk.limits import RiskState
from solver.run_config import DEFAULT_FUNDING, HEDGE_KINDS, RunConfig, RunConfigError, load_run_config

__all__ = ["DEFAULT_FUNDING", "run_command"]

GAS_MONEY_WEI = 100 * 10**18  # what a signer without ETH gets on the built-in chain or a fork


def run_command(
    blocks: Annotated[
        int, typer.Option("--blocks", min=1, help="Blocks of generated flow to run, then stop.")
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated flow (same seed, same orders).")
    ] = 0,
    orders_per_block: Annotated[
        float, typer.Option("--orders-per-block", min=0.0, help="Mean arrivals per block (Poisson).")
    ] = 3.0,
    informed_share: Annotated[
        float, typer.Option("--informed-share", min=0.0, max=1.0, help="Share of informed orders.")
    ] = 0.0,
    run_dir: Annotated[
        Path | None,
        typer.Option(
            "--run-dir", help="Where the run's SQLite ledger and recorded flow live (default: runs/<time>)."
        ),
    ] = None,
    kill_file: Annotated[
        Path | None, typer.Option("--kill-file", help="Stop new fills as soon as this file exists.")
    ] = None,
    http: Annotated[
        int | None,
        typer.Option(
            "--http",
            min=0,
            max=65535,
            metavar="PORT",
            help="Take orders on http://127.0.0.1:PORT (POST /orders, GET /orders?status=, POST /kill); "
            "0 picks a free port. The URL is printed on stderr.",
        ),
    ] = None,
    no_flow: Annotated[
        bool, typer.Option("--no-flow", help="No generated flow: only orders posted with --http.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE.toml",
            help="Settings in [pricing], [risk], [hedging] and [inventory] tables; flags override them.",
        ),
    ] = None,
    gamma: Annotated[
        float | None, typer.Option("--gamma", help="Risk aversion per lot: the inventory skew's strength.")
    ] = None,
    min_edge_bps: Annotated[
        float | None, typer.Option("--min-edge-bps", help="Least a fill must earn, in bp of its value.")
    ] = None,
    max_notional: Annotated[
        float | None,
        typer.Option(
            "--max-notional", help="Largest fill in the numeraire (USDC); larger orders are skipped."
        ),
    ] = None,
    max_loss: Annotated[
        float | None,
        typer.Option("--max-loss", help="Stop new fills once the run's PnL falls below -this (USDC)."),
    ] = None,
    hedge: Annotated[
        str | None,
        typer.Option(
            "--hedge",
            metavar="|".join(HEDGE_KINDS),
            help="Hedge inventory back toward its band each block, by this rule (default: off).",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE.png", help="Draw PnL, inventory value and WETH fair value."),
    ] = None,
    keystore: Annotated[
        Path | None,
        typer.Option(
            "--keystore",
            metavar="FILE.json",
            help="The owner's key as an encrypted keystore (password from SOLVER_KEYSTORE_PASSWORD or a "
            "prompt); or set SOLVER_PRIVATE_KEY. Default: the node's own (anvil's) accounts.",
        ),
    ] = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Run the market maker on generated UniswapX flow: price each order from fair value with an inventory
    skew, fill from inventory, route or split when that pays, skip with a reason otherwise; print a summary.

    Without chain options it runs on the built-in chain; with --fork-url on a local fork. The flow is real:
    funded users sign orders through Permit2 and the fills go through the real reactors.

    Examples:

      solver run --blocks 30 --seed 7

      solver run --blocks 100 --orders-per-block 5 --run-dir runs/today --json | jq .pnl

      solver run --fork-url http://127.0.0.1:8545 --blocks 10

      solver run --http 8080 --no-flow --blocks 600   # then: curl -d @order.json 127.0.0.1:8080/orders

      solver run --config solver.toml --hedge continuous --max-loss 500 --plot run.png

      SOLVER_PRIVATE_KEY=0x... solver run --rpc-url http://127.0.0.1:8545 --blocks 100
    """
    try:
        settings = load_run_config(
            config,
            {
                "pricing": {"gamma": gamma, "min_edge_bps": min_edge_bps},
                "risk": {"max_fill_notional": max_notional, "max_loss": max_loss},
                "hedging": {"kind": hedge},
            },
        )
        signer = load_signer(keystore)
    except (RunConfigError, SignerError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    directory = run_dir or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    directory.mkdir(parents=True, exist_ok=True)
    kill = KillSwitch(kill_file)
    kill.install_signal_handlers()
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        node = session.node
        owner = _owner(session, signer)
        solver = _open(node, directory, owner, settings, kill)
        risk = RiskState(settings.risk, kill=kill)
        flow = None
        if not no_flow and orders_per_block > 0:
            config = FlowConfig(seed=seed, orders_per_block=orders_per_block, informed_share=informed_share)
            flow = FlowGenerator(node, config, universe=solver.universe)
            flow.prepare()
        server = None
        if http is not None:
            server = OrderServer(chain_id=node.chain_id, ledger=solver.ledger, kill=kill, port=http)
            err.print(
                f"taking orders on {server.url} (POST /orders, GET /orders?status=, POST /kill)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        recording = RunRecording(directory)  # what `solver backtest` replays
        limits = settings.decision_limits()
        recording.start(solver, pricing=settings.pricing, limits=limits, slippage_bps=solver.slippage_bps)
        table = _table()
        started = time.perf_counter()
        live = None if json else Live(table, console=err, auto_refresh=False, redirect_stdout=False)
        with JsonlWriter(directory / "orders.jsonl") as recorder:
            with server or contextlib.nullcontext(), live or contextlib.nullcontext():
                for _ in range(blocks):
                    if kill.poll():
                        break
                    if server is not None:
                        for incoming in _posted(server, node):
                            recorder.write(incoming)
                            solver.submit(incoming)
                    for generated in flow.step() if flow is not None else ():
                        recorder.write(generated.incoming)
                        solver.submit(generated.incoming)
                    recording.before_step(solver)
                    report = solver.step()
                    recording.after_step(solver, report)
                    _check_loss(solver, risk, kill)
                    if live is not None:
                        _rows(table, report, solver)
                        live.refresh()
            if server is not None:  # stopped: what arrived since the last block is kept, as new, for a resume
                for incoming in _posted(server, node):
                    recorder.write(incoming)
                    solver.submit(incoming)
        kill.close()
        recording.close()
        result = solver.summary()
        result["run_dir"] = str(directory)
        result["chain"] = session.description
        result["blocks"] = blocks
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["killed"] = kill.tripped
        result["config"] = settings.to_dict()
        if plot is not None:
            from solver.plot import plot_run  # noqa: PLC0415 - matplotlib loads only when plotting

            plot_run(solver.ledger, plot, token=solver.universe.token("WETH").address)
            result["plot"] = str(plot)
    if json:
        print_json(jsonlib.loads(jsonlib.dumps(result, default=str)))
        return
    _summary(result)


def _owner(session, signer) -> str:
    """Who owns the filler and sends its transactions: the signer (its transactions signed here; on the
    built-in chain and on forks given gas if it has none), else a dev account of the node."""
    node = session.node
    if signer is None:
        return session.roles.users[3] if session.roles else node.accounts()[0]
    owner = node.add_signer(signer)
    if session.kind in ("devnet", "fork") and node.balance(owner) < GAS_MONEY_WEI // 10:
        node.set_balance(owner, GAS_MONEY_WEI)
    return owner


def _open(node, directory: Path, owner: str, settings: RunConfig, kill: KillSwitch):
    """A Solver with the run's funding, limits, hedging rule and pricing."""
    solver = open_solver(
        node,
        str(directory),
        owner=owner,
        funding=settings.inventory.funding,
        band_share=settings.inventory.band_share,
        limits=settings.decision_limits(),
        kill=kill,
        hedge_rule=settings.hedging,
        max_hedge_slippage_bps=settings.risk.max_hedge_slippage_bps,
    )
    # open_solver prices with the default config; the run's own replaces it before the first step.
    solver.pricing = Pricing.from_config(settings.pricing, tokens=solver.universe.tokens.values())
    return solver


def _check_loss(solver, risk: RiskState, kill: KillSwitch) -> None:
    """Max loss per run: once the PnL total falls to -max_loss, trip the kill switch (no new fills)."""
    if solver.pnl is None or risk.limits.max_loss is None:
        return
    halted = risk.update_pnl(solver.pnl.total)
    if halted is not None:
        kill.trip(halted)  # "max_loss: PnL -x breached the limit of -y"


def _posted(server: OrderServer, node) -> list:
    """The orders posted since the last call, stamped with the chain's latest block."""
    if server.inbox.empty():
        return []
    latest = node.block("latest")
    return server.drain(received_block=int(latest["number"], 16), received_time=int(latest["timestamp"], 16))


def _table() -> Table:
    table = Table(title="solver run", expand=False)
    numbers = ("exp. PnL", "surplus", "gas", "PnL", "book")
    for name in ("block", "order", "pair", "decision", *numbers):
        table.add_column(name, justify="right" if name in numbers else "left")
    return table


def _rows(table: Table, report: StepReport, solver) -> None:
    pnl = f"{float(report.pnl.cumulative):,.2f}" if report.pnl else ""
    book = f"{float(report.pnl.inventory_value):,.0f}" if report.pnl else ""
    for decision in report.decisions:
        expected = f"{decision.pnl.total:,.2f}" if decision.pnl else ""
        gas = f"{decision.pnl.gas:,.2f}" if decision.pnl else ""
        label, pair = _label(decision), _pair(decision, solver)
        mined = [report.surplus[h] for h in decision.hashes if h in report.surplus]
        surplus = f"{float(sum(mined)):,.2f}" if mined else ""
        table.add_row(str(report.block), decision.hash[:10], pair, label, expected, surplus, gas, pnl, book)


def _pair(decision: Decision, solver) -> str:
    if not decision.orders:
        return ""
    order = decision.orders[0]
    symbol = {t.address.lower(): t.symbol for t in solver.universe.tokens.values()}
    sell = symbol.get(order.input.token.lower(), order.input.token[:8])
    buy = symbol.get(order.outputs[0].token.lower(), order.outputs[0].token[:8]) if order.outputs else "?"
    return f"{sell}->{buy}"


def _label(decision: Decision) -> str:
    return decision.action if decision.fills else f"skip: {decision.reason}"


def _summary(result: dict) -> None:
    pnl = result["pnl"]
    out.print(f"\n[bold]{result['chain']}[/bold], {result['blocks']} blocks in {result['seconds']} s")
    out.print(
        f"orders seen {result['orders_seen']}, filled {result['filled']}, skipped "
        + ", ".join(f"{reason} {n}" for reason, n in sorted(result["skipped"].items()))
    )
    share = result["internalized_share"]
    modes = ", ".join(f"{mode} {n}" for mode, n in sorted(result["fills_by_mode"].items()))
    out.print(f"internalized {share:.0%} of fills ({modes})" if share is not None else "no fills")
    surplus = result["swappers_surplus"]
    out.print(
        f"swappers' surplus over their limits {float(surplus['total']):,.2f} {surplus['numeraire']}"
        f" on {surplus['orders']} filled orders"
    )
    parts = ", ".join(f"{k} {float(v):,.2f}" for k, v in pnl["attribution"].items())
    out.print(f"PnL {float(pnl['total']):,.2f} {pnl['numeraire']} ({parts})")
    sharpe = result["sharpe"]
    out.print(
        f"Sharpe {sharpe:,.2f}" if sharpe is not None else "Sharpe n/a",
        f"max drawdown {float(result['max_drawdown']['absolute']):,.2f}",
    )
    if result["killed"]:
        out.print(f"stopped: {result['killed']}", markup=False)
    if "plot" in result:
        out.print(f"plot in {result['plot']}", markup=False)
    out.print(f"ledger and recorded flow in {result['run_dir']}")
