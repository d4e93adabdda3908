"""`solver jit plan` and `solver jit run`: parse, call `solver.jit`, render. No figure is computed here."""

from __future__ import annotations

import time
from decimal import Decimal
from fractions import Fraction
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.session import open_chain
from amm.chain.tokens import deal
from amm.cli.common import (
    ForkBlock,
    ForkUrl,
    JsonFlag,
    RpcUrl,
    build_progress,
    chain_from_options,
    err,
    out,
    print_json,
)
from amm.v3.pool import Pool
from solver.jit.decode import Decoder, PendingSwap, Skip
from solver.jit.executor import JitExecutor
from solver.jit.feed import SwapFeed
from solver.jit.plan import JitPlan, Planner
from solver.jit.routers import ensure_universal_router
from solver.jit.runner import JitRunner, Row, eth_price
from solver.jit.simulate import Swap
from solver.routing.errors import InvalidOrder
from solver.routing.universe import Token, Universe

app = typer.Typer(
    help="Just-in-time liquidity: plan a position around a pending swap, run the bot on the built-in chain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
DEFAULT_INVENTORY = {"USDC": "10000000", "USDT": "10000000", "DAI": "10000000", "WETH": "3000", "WBTC": "150"}
GasPrice = Annotated[
    float | None,
    typer.Option(
        "--gas-price-gwei", min=0.0, help="Gas price our mint and burn pay (default: the node's gas price)."
    ),
]
Bribe = Annotated[
    float, typer.Option("--bribe-share", min=0.0, max=1.0, help="Share of the profit paid to the builder.")
]


def _raw(amount: str, token: Token) -> int:
    value = Decimal(amount.replace("_", "").replace(",", "")) * 10**token.decimals
    if value != value.to_integral_value():
        raise InvalidOrder(f"{amount} {token.symbol} is not a whole number of raw units")
    return int(value)


def _whole(raw: int | Fraction, token: Token) -> str:
    value = float(raw) / 10**token.decimals
    return f"{value:,.{6 if abs(value) < 10 else 2}f} {token.symbol}"


def _inventory(universe: Universe, words: list[str] | None) -> dict[str, int]:
    """token address (lower) -> raw amount, from 'AMOUNT TOKEN' words over the defaults."""
    pairs = dict(DEFAULT_INVENTORY)
    for item in words or []:
        parts = item.split()
        if len(parts) != 2:
            raise InvalidOrder(f"--inventory takes 'AMOUNT TOKEN', got {item!r}")
        pairs[universe.token(parts[1]).symbol] = parts[0]
    return {universe.token(s).address.lower(): _raw(a, universe.token(s)) for s, a in pairs.items()}


def _gas_price(node: Node, gwei: float | None) -> int:
    return int(node.rpc.call("eth_gasPrice"), 16) if gwei is None else round(gwei * 10**9)


def _pool(universe: Universe, name: str) -> Pool:
    for ref in universe.pools:
        if ref.kind == "v3" and (ref.name.lower() == name.lower() or ref.address.lower() == name.lower()):
            assert isinstance(ref.model, Pool)
            return ref.model
    names = ", ".join(r.name for r in universe.pools if r.kind == "v3")
    raise InvalidOrder(f"no v3 pool {name!r} here: {names}")


@app.command("plan")
def plan_command(
    tx: Annotated[str | None, typer.Option("--tx", help="A signed raw pending transaction (0x...).")] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", help="A v3 pool by name (USDC/WETH-500) or address.")
    ] = None,
    sell: Annotated[
        str | None, typer.Option("--sell", metavar="AMOUNT TOKEN", help="The swap: exact input.")
    ] = None,
    buy_exact: Annotated[
        str | None, typer.Option("--buy-exact", metavar="AMOUNT TOKEN", help="The swap: exact output.")
    ] = None,
    inventory: Annotated[
        list[str] | None,
        typer.Option("--inventory", metavar="'AMOUNT TOKEN'", help="What the executor holds (repeatable)."),
    ] = None,
    gas_price_gwei: GasPrice = None,
    bribe_share: Bribe = 0.0,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Plan a just-in-time position for one swap: range, liquidity, fee income, price impact, gas, net.

    The swap is a pending raw transaction (--tx; SwapRouter, SwapRouter02, Universal Router or a direct pool
    swap), or given as --pool with --sell AMOUNT TOKEN / --buy-exact AMOUNT TOKEN. Amounts are exact; values
    are in the pool's token1, marked at the pool's price after the swap.

    Examples:

      solver jit plan --pool USDC/WETH-500 --sell 2000000 USDC

      solver jit plan --pool WETH/USDT-500 --buy-exact 500000 USDT --gas-price-gwei 30 --json

      solver jit plan --tx 0x02f9... --inventory '1000000 USDC' --inventory '400 WETH'
    """
    if (tx is None) == (pool is None):
        raise InvalidOrder(
            "give --tx RAWTX, or --pool NAME with --sell AMOUNT TOKEN / --buy-exact AMOUNT TOKEN"
        )
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        universe = Universe.discover(session.node)
        gas_price = _gas_price(session.node, gas_price_gwei)
    planner = Planner(bribe_share=Fraction(bribe_share).limit_denominator(10**6))
    holdings = _inventory(universe, inventory)
    pending: PendingSwap | None = None
    if tx is not None:
        models = {r.address: r.model for r in universe.pools if isinstance(r.model, Pool)}
        decoded = Decoder(models).decode(tx)
        if isinstance(decoded, Skip):
            _show_skip(decoded, json)
            return
        pending = decoded
        candidates = [
            (
                _pool(universe, leg.pool),
                Swap(leg.zero_for_one, leg.amount_specified, leg.sqrt_price_limit_x96),
            )
            for leg in decoded.legs
        ]
    else:
        assert pool is not None
        model = _pool(universe, pool)
        candidates = [(model, _swap(universe, model, sell, buy_exact))]
    plans = []
    for model, swap in candidates:
        assert model.token0 is not None and model.token1 is not None
        inv = (holdings.get(model.token0.lower(), 0), holdings.get(model.token1.lower(), 0))
        weth_pool = eth_price(universe, model.token1) if "WETH" not in _symbols(universe, model) else None
        plans.append(planner.plan(model, swap, inv, gas_price_wei=gas_price, eth_price=weth_pool))
    best = max(plans, key=lambda p: (p.execute, p.net))
    if json:
        data = best.to_dict()
        if pending is not None:
            data["tx"] = {
                "hash": pending.tx_hash,
                "sender": pending.sender,
                "via": pending.via,
                "call": pending.call,
                "hops": len(pending.legs),
            }
        print_json(data)
        return
    _render_plan(best, universe, session.description, pending)


def _symbols(universe: Universe, model: Pool) -> tuple[str, str]:
    return universe.token(str(model.token0)).symbol, universe.token(str(model.token1)).symbol


def _swap(universe: Universe, model: Pool, sell: str | None, buy_exact: str | None) -> Swap:
    words = (sell or buy_exact or "").split()
    if (sell is None) == (buy_exact is None) or len(words) != 2:
        raise InvalidOrder("with --pool give --sell AMOUNT TOKEN or --buy-exact AMOUNT TOKEN")
    token = universe.token(words[1])
    if token.address.lower() not in (str(model.token0).lower(), str(model.token1).lower()):
        raise InvalidOrder(f"{token.symbol} is not in this pool")
    amount = _raw(words[0], token)
    is0 = token.address.lower() == str(model.token0).lower()
    if sell is not None:
        return Swap(is0, amount)
    return Swap(not is0, -amount)


def _show_skip(skip: Skip, json: bool) -> None:
    if json:
        print_json(
            {"decision": "skip", "reason": skip.reason, "detail": skip.detail, "tx_hash": skip.tx_hash}
        )
        return
    out.print(f"[yellow]skip[/yellow]: {skip.reason} {skip.detail}")


def _render_plan(plan: JitPlan, universe: Universe, chain: str, pending: PendingSwap | None) -> None:
    t0, t1 = universe.token(plan.token0), universe.token(plan.token1)
    name = next((r.name for r in universe.pools if r.address == plan.pool), plan.pool)
    swap = plan.swap
    side = (
        (t0 if swap.zero_for_one else t1) if swap.amount_specified > 0 else (t1 if swap.zero_for_one else t0)
    )
    kind = "sell" if swap.amount_specified > 0 else "buy"
    colour = "green" if plan.execute else "yellow"
    title = f"JIT plan on {name} ({chain})"
    if pending is not None:
        title += f": {pending.via}.{pending.call} from {pending.sender[:10]}…"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("decision", f"[{colour}]{plan.decision}[/{colour}] ({plan.reason})")
    table.add_row("swap", f"{kind} {_whole(abs(swap.amount_specified), side)}")
    o = plan.outcome
    if o is not None:
        table.add_row(
            "range", f"ticks [{o.tick_lower}, {o.tick_upper}) = {(o.tick_upper - o.tick_lower)} ticks"
        )
        table.add_row("liquidity", f"{o.liquidity:,}")
        table.add_row("capital", f"{_whole(o.mint0, t0)} + {_whole(o.mint1, t1)}")
        table.add_row(
            "fees earned", f"{_whole(o.fee0, t0)} + {_whole(o.fee1, t1)}  (share {float(plan.fee_share):.1%})"
        )
    for label, value in (
        ("fee income", plan.fee_income),
        ("price impact", plan.price_impact),
        ("gas", -plan.gas_cost),
        ("bribe", -plan.bribe),
        ("net", plan.net),
    ):
        table.add_row(label, _whole(value, t1))
    table.add_row("gas units", f"{plan.gas_units:,} at {plan.gas_price_wei / 1e9:g} gwei")
    if plan.break_even is not None:
        table.add_row("break-even swap", _whole(plan.break_even, side))
    table.add_row(
        "victim gains",
        _whole(plan.victim_gain, t1 if (swap.amount_specified > 0) == swap.zero_for_one else t0),
    )
    out.print(table)
    out.print(f"[dim]planned in {plan.seconds * 1e3:.1f} ms over {plan.candidates} candidates[/dim]")


@app.command("run")
def run_command(
    blocks: Annotated[int, typer.Option("--blocks", min=1, help="Blocks to run, then stop.")] = 10,
    swaps_per_block: Annotated[
        int, typer.Option("--swaps-per-block", min=0, help="Large swaps a test account sends per block.")
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fed swaps.")] = 1,
    gas_price_gwei: GasPrice = None,
    bribe_share: Bribe = 0.0,
    rpc_url: RpcUrl = None,
    json: JsonFlag = False,
) -> None:
    """Watch pending transactions and execute profitable JIT bundles, block by block.

    Without --rpc-url it starts the built-in chain with --order fifo, deploys a JitExecutor owned by dev
    account 8 holding 10M USDC/USDT/DAI, 3,000 WETH and 150 WBTC, and has test accounts send
    --swaps-per-block large swaps each block. With --rpc-url the node must be an anvil started with
    --order fifo; automine is switched off for the run (the bot mines each block) and restored after.

    Examples:

      solver jit run --blocks 10

      solver jit run --blocks 30 --swaps-per-block 5 --gas-price-gwei 20 --json
    """
    with (
        build_progress(enabled=rpc_url is None and not json) as progress,
        open_chain(rpc_url=rpc_url, progress=progress, anvil_args=("--order", "fifo")) as session,
    ):
        node = session.node
        gas_price = _gas_price(node, gas_price_gwei)
        accounts = node.accounts()
        if len(accounts) < 9:
            raise ChainError("solver jit run needs an anvil with its ten unlocked dev accounts")
        universe = Universe.discover(node)
        owner = accounts[8]
        executor = JitExecutor.deploy(node, owner)
        for address, amount in _inventory(universe, None).items():
            deal(node, address, executor.address, amount)
        ensure_universal_router(node, accounts[0])
        feed = SwapFeed(node, users=max(swaps_per_block, 1), seed=seed, gas_price_wei=gas_price)
        feed.prepare()
        planner = Planner(bribe_share=Fraction(bribe_share).limit_denominator(10**6))
        automine = bool(node.rpc.call("anvil_getAutomine"))
        node.rpc.call("evm_setAutomine", [False])
        runner = JitRunner(node, executor, owner, universe, planner=planner, gas_price_wei=gas_price)
        started = time.perf_counter()
        table = _run_table()
        try:
            live = None if json else Live(table, console=err, auto_refresh=False)
            with live or _Null():
                for _ in range(blocks):
                    feed.send(swaps_per_block)
                    for row in runner.step():
                        _add_row(table, row, universe)
                    if live is not None:
                        live.refresh()
        finally:
            runner.close()
            node.rpc.call("evm_setAutomine", [automine])
        seconds = time.perf_counter() - started
    symbols = {a: t.symbol for a, t in universe.tokens.items()}
    summary = runner.summary.to_dict(symbols)
    summary["executor"] = executor.address
    summary["seconds"] = round(seconds, 2)
    if json:
        print_json(summary)
        return
    out.print(
        f"[bold]{summary['blocks']} blocks[/bold]: {summary['swaps_seen']} transactions seen, "
        f"{summary['planned']} profitable plans, {summary['executed']} bundles executed; skipped: "
        + (", ".join(f"{k} {v}" for k, v in summary["skipped"].items()) or "none")
    )
    out.print("fees earned: " + (", ".join(f"{v} raw {k}" for k, v in summary["fees"].items()) or "none"))
    out.print(
        f"PnL {summary['pnl_wei']['approx_eth']:.6f} ETH (inventory change at the price after each victim, "
        f"minus {int(summary['gas_wei']) / 1e18:.6f} ETH of gas); {seconds:.1f} s"
    )


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _run_table() -> Table:
    table = Table(title="solver jit run", title_justify="left")
    for column in ("block", "tx", "pool", "via", "swap", "decision", "reason", "fee", "PnL (ETH)"):
        table.add_column(
            column, justify="right" if column in ("block", "swap", "fee", "PnL (ETH)") else "left"
        )
    return table


def _add_row(table: Table, row: Row, universe: Universe) -> None:
    colour = {"executed": "green", "planned": "cyan"}.get(row.decision, "yellow")
    symbols = {t.symbol for t in universe.tokens.values()}
    fee = ""
    if row.plan is not None and row.bundle is not None:
        o = row.plan
        token = universe.token(o.token0 if o.swap.zero_for_one else o.token1)
        fee = _whole(row.fee, token)
    table.add_row(
        str(row.block),
        row.tx_hash[:10] + "…",
        row.pool,
        row.via,
        f"{row.amount / 10 ** universe.token(row.token).decimals:,.2f} {row.token}"
        if row.token in symbols
        else "",
        f"[{colour}]{row.decision}[/{colour}]",
        row.reason,
        fee,
        f"{float(row.pnl_wei) / 1e18:.6f}" if row.bundle is not None else "",
    )
