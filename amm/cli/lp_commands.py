"""`amm pool`, `amm range` and `amm lvr`: an LP's questions about a pool and a range, answered on a chain."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amm.analytics.paths import load_price_csv
from amm.chain.errors import ChainError
from amm.chain.positions import read_nft_position, read_pool_position
from amm.cli import parsing
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, out, print_json
from amm.lp.context import PoolContext, load_pool_context, resolve_pool
from amm.lp.history import history_from_prices, load_pool_history
from amm.lp.lvr import lvr_figures
from amm.lp.position import PositionReport, position_report
from amm.lp.study import DEFAULT_WIDTHS, RangeStudy, RangeStudyConfig, StudyError, run_range_study

PoolArg = Annotated[
    str, typer.Option("--pool", "-p", help="A known name (USDC/WETH-500) or a v3 pool address.")
]
Block = Annotated[str, typer.Option("--block", help="Read the pool at this block (default: latest).")]
Orientation = Annotated[
    str,
    typer.Option("--quote-in", help="auto (quote in the stablecoin), token0 or token1 as the base token."),
]
PlotFile = Annotated[Path | None, typer.Option("--plot", help="Write a PNG here.", dir_okay=False)]


def _block(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _money(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:,.2f}" if abs(x) < 1e5 else f"{x:,.0f}"


def _price(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:,.6g}"


def pool(
    name: PoolArg = "USDC/WETH-500",
    block: Block = "latest",
    quote_in: Orientation = "auto",
    plot: PlotFile = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """State and liquidity profile of a v3 pool, read exactly from the chain.

    Examples:

      amm pool --pool USDC/WETH-500

      amm pool --pool WBTC/WETH-3000 --plot profile.png

      amm pool --pool 0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640 --fork-url "$ETH_RPC_URL" --json
    """
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        ctx = load_pool_context(session.node, name, _block(block), orientation=quote_in)
    profile = ctx.profile()
    near = _profile_rows(ctx, 15)
    if json:
        print_json({**ctx.summary(), "profile": profile.to_dict(), "near_price": near})
    else:
        _print_pool(ctx, near)
    if plot is not None:
        from amm.cli.plots import plot_pool  # noqa: PLC0415 - matplotlib loads only when plotting

        plot_pool(
            plot,
            profile,
            ctx.price,
            f"{ctx.name} at block {ctx.block}",
            f"{ctx.quote.symbol} per {ctx.base.symbol}",
        )
        err.print(f"wrote {plot}")


def _profile_rows(ctx: PoolContext, count: int) -> list[dict[str, float]]:
    """The liquidity intervals nearest the price, low to high."""
    profile = ctx.profile()
    edges, liquidity = profile.edges, profile.liquidity
    at = max(0, min(len(liquidity) - 1, int(((edges <= ctx.price).sum()) - 1)))
    lo, hi = max(0, at - count // 2), min(len(liquidity), at + count // 2 + 1)
    return [
        {
            "lower": float(edges[i]),
            "upper": float(edges[i + 1]),
            "liquidity": float(liquidity[i]),
            "current": i == at,
        }
        for i in range(lo, hi)
    ]


def _print_pool(ctx: PoolContext, near: list[dict[str, float]]) -> None:
    s = ctx.summary()
    out.print(f"[bold]{ctx.name}[/bold] {ctx.address} at block {ctx.block}")
    out.print(
        f"price {ctx.price:,.6g} {ctx.quote.symbol}/{ctx.base.symbol}   tick {ctx.pool.tick}   "
        f"fee {ctx.fee:.2%}   spacing {ctx.pool.tick_spacing}   active liquidity {ctx.pool.liquidity:,}"
    )
    out.print(
        f"{s['initialized_ticks']} initialised ticks; read in {ctx.load_cost.calls:,} calls / "
        f"{ctx.load_cost.requests} requests ({ctx.load_cost.seconds:.2f} s)"
    )
    table = Table(title="active liquidity near the price", title_justify="left")
    for column in (f"from ({ctx.quote.symbol}/{ctx.base.symbol})", "to", "liquidity"):
        table.add_column(column, justify="right")
    table.add_column("")
    peak = max(row["liquidity"] for row in near) or 1.0
    for row in near:
        bar = "█" * max(1, round(30 * row["liquidity"] / peak)) if row["liquidity"] else ""
        mark = " ◀ price" if row["current"] else ""
        table.add_row(
            _price(row["lower"]), _price(row["upper"]), f"{row['liquidity']:.4g}", f"[cyan]{bar}[/cyan]{mark}"
        )
    out.print(table)


def range_(
    name: PoolArg = "USDC/WETH-500",
    horizon: Annotated[str, typer.Option(help="How long the position is held: 30d, 12h, 2w.")] = "30d",
    vol: Annotated[
        str | None, typer.Option(help="Annual volatility (0.6 or 60%); default: from the pool's swaps.")
    ] = None,
    paths: Annotated[int, typer.Option(help="Monte Carlo paths.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the paths (same seed, same paths).")] = 0,
    step: Annotated[
        str, typer.Option(help="Step of the paths: one block with one arbitrage chance (12s).")
    ] = "12s",
    model: Annotated[str, typer.Option(help="gbm, merton (jumps) or student_t (fat tails).")] = "gbm",
    widths: Annotated[str, typer.Option(help="Half-widths in percent: 1 means [P/1.01, 1.01P).")] = ",".join(
        f"{100 * w:g}" for w in DEFAULT_WIDTHS
    ),
    centres: Annotated[str, typer.Option(help="Centres as percent of the price, e.g. 95,100,105.")] = "100",
    range_: Annotated[
        list[str] | None, typer.Option("--range", help="An explicit range in quote per base, e.g. 2800-3600.")
    ] = None,
    capital: Annotated[float, typer.Option(help="Capital per position, in the quote token.")] = 10_000.0,
    noise_volume: Annotated[
        float | None, typer.Option(help="Uninformed volume per day in the quote token; default: estimated.")
    ] = None,
    rank_by: Annotated[
        str, typer.Option(help="Metric to rank by: pnl_vs_hodl, pnl_vs_rebalancing, fees, ...")
    ] = "pnl_vs_hodl",
    historical: Annotated[
        bool, typer.Option(help="Replay history (the pool's swaps, or --prices) from today's price.")
    ] = False,
    prices: Annotated[
        Path | None,
        typer.Option(
            help="CSV of market prices (timestamp,price in quote per base): volatility, --historical."
        ),
    ] = None,
    history_days: Annotated[float, typer.Option(help="Days of swaps to read for estimates.")] = 7.0,
    top: Annotated[int, typer.Option(help="Rows to show.")] = 12,
    block: Block = "latest",
    quote_in: Orientation = "auto",
    plot: PlotFile = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Rank ranges for a pool: fees, LVR, IL, P&L against HODL and rebalancing, time in range.

    Reads the pool and its liquidity profile from the chain, estimates volatility and uninformed volume from
    its recent swaps (unless given), simulates price paths and evaluates every range on each.

    Examples:

      amm range --pool USDC/WETH-500 --plot out.png

      amm range --pool WBTC/WETH-3000 --widths 1,5,20 --centres 95,100,105 --vol 45%

      amm range --pool USDC/WETH-500 --range 3000-3700 --capital 50000 --horizon 7d --json

      amm range --pool DAI/USDC-100 --historical

      amm range --pool USDC/WETH-500 --prices eth_usd.csv --historical --step 1h
    """
    try:
        config = RangeStudyConfig(
            horizon_days=parsing.seconds(horizon) / 86400,
            step_seconds=parsing.seconds(step, default_unit="s"),
            paths=paths,
            seed=seed,
            model=model,
            vol=parsing.fraction(vol) if vol is not None else None,
            widths=parsing.percent_list(widths),
            centres=tuple(c for c in parsing.percent_list(centres)),
            bounds=tuple(parsing.price_range(r) for r in range_ or ()),
            capital=capital,
            noise_per_day=noise_volume,
            rank_by=rank_by,
            historical=historical,
            keep_samples=plot is not None,
        )
    except StudyError as error:
        raise typer.BadParameter(str(error)) from None
    if model not in ("gbm", "merton", "student_t"):
        raise typer.BadParameter("--model must be gbm, merton or student_t")
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        ctx = load_pool_context(session.node, name, _block(block), orientation=quote_in)
        need_history = historical or config.vol is None or config.noise_per_day is None
        history = None
        if prices is not None:
            history = history_from_prices(load_price_csv(prices), ctx)
        elif need_history:
            try:
                history = load_pool_history(session.node, ctx, days=history_days)
            except ChainError as error:
                if historical or config.vol is None:
                    raise
                err.print(f"[yellow]no history:[/yellow] {error}")
    study = _run_with_progress(ctx, config, history, show=not json)
    if json:
        print_json(study.to_dict())
    else:
        _print_study(study, ctx, top)
    if plot is not None:
        from amm.cli.plots import plot_study  # noqa: PLC0415 - matplotlib loads only when plotting

        plot_study(plot, study, ctx.profile(), f"{ctx.quote.symbol} per {ctx.base.symbol}", ctx.quote.symbol)
        err.print(f"wrote {plot}")


def _run_with_progress(
    ctx: PoolContext, config: RangeStudyConfig, history: object, *, show: bool
) -> RangeStudy:
    if not show or config.historical:
        return run_range_study(ctx, config, history)  # type: ignore[arg-type]
    with Progress(
        TextColumn("simulating paths"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("paths", total=config.paths)
        return run_range_study(
            ctx,
            config,
            history,
            lambda done, total: bar.update(task, completed=done, total=total),  # type: ignore[arg-type]
        )


def _print_study(study: RangeStudy, ctx: PoolContext, top: int) -> None:
    a = study.analysis
    q = ctx.quote.symbol
    if study.config.historical and study.history is not None:
        mode = f"the returns of {study.history.describe()} replayed in {a.n_steps:,} steps"
    else:
        mode = (
            f"{a.n_paths} {study.config.model} paths over {study.config.horizon_days:g} days "
            f"in {study.config.step_seconds:g}-s steps"
        )
    out.print(
        f"[bold]{ctx.name}[/bold] at block {ctx.block}: price {ctx.price:,.6g} {q}/{ctx.base.symbol}, "
        f"fee {ctx.fee:.2%}; {mode}"
    )
    out.print(f"volatility {study.sigma:.3f} ({study.sigma_source})")
    out.print(f"uninformed volume {study.noise_per_day:,.0f} {q}/day ({study.noise_source})")
    title = f"ranges ranked by {a.rank_by} ({a.rank_stat}); capital {a.capital:,.0f} {q} each; figures in {q}"
    table = Table(title=title, title_justify="left")
    columns = (
        "#",
        "range",
        "width",
        "ticks",
        "fees",
        "LVR",
        "IL",
        "vs HODL",
        "p5 … p95",
        "vs rebal.",
        "in range",
        "eff.",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("range", "width", "ticks") else "right")
    for r in a.results[:top]:
        m = r.metrics
        ticks = study.ticks.get((r.lower, r.upper))
        table.add_row(
            str(r.rank),
            f"{_price(r.lower)} – {_price(r.upper)}",
            r.label,
            f"{ticks[0]}:{ticks[1]}" if ticks else "",
            _money(m["fees"].mean),
            _money(m["lvr"].mean),
            f"{m['il'].mean:+.2%}",
            _money(m["pnl_vs_hodl"].mean),
            f"{_money(m['pnl_vs_hodl'].p5)} … {_money(m['pnl_vs_hodl'].p95)}",
            _money(m["pnl_vs_rebalancing"].mean),
            f"{m['time_in_range'].mean:.0%}",
            f"{r.capital_efficiency:,.0f}x",
        )
    out.print(table)
    best = a.best
    se = best.metrics[a.rank_by].stderr
    out.print(
        f"best: {best.label} ({_price(best.lower)} – {_price(best.upper)}); Monte Carlo standard error "
        f"of its "
        f"{a.rank_by} ≈ {_money(se)} {q}. Assumptions: amm range --json | jq .analysis.assumptions"
    )


def lvr(
    price: Annotated[float, typer.Option(help="Price of the base token in the quote token.")],
    vol: Annotated[str, typer.Option(help="Annual volatility: 0.6 or 60%.")],
    capital: Annotated[float, typer.Option(help="Position value in the quote token.")] = 10_000.0,
    range_: Annotated[
        str | None, typer.Option("--range", help="A concentrated range, e.g. 2700-3300.")
    ] = None,
    fee: Annotated[
        str | None, typer.Option(help="Pool fee (0.05% or 0.0005): adds the fees-and-blocks model.")
    ] = None,
    block_time: Annotated[float, typer.Option(help="Seconds between blocks (with --fee).")] = 12.0,
    json: JsonFlag = False,
) -> None:
    """Closed-form LVR of a full-range or concentrated position, with fees and blocks if --fee is given.

    Examples:

      amm lvr --price 3000 --vol 60%

      amm lvr --price 3000 --vol 60% --range 2700-3300 --fee 0.05% --capital 100000
    """
    lower, upper = parsing.price_range(range_) if range_ else (0.0, math.inf)
    try:
        figures = lvr_figures(
            price=price,
            sigma=parsing.fraction(vol),
            capital=capital,
            lower=lower,
            upper=upper,
            fee=parsing.fraction(fee) if fee is not None else None,
            block_time=block_time,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if json:
        print_json(figures.to_dict())
        return
    where = "full range" if math.isinf(upper) else f"range {lower:,.6g} – {upper:,.6g}"
    out.print(
        f"position worth {figures.capital:,.2f} at price {price:,.6g}, {where}, σ = {figures.sigma:.2%}"
    )
    out.print(
        f"  holds {figures.amount_base:,.6g} base + {figures.amount_quote:,.6g} quote; "
        f"liquidity {figures.liquidity:,.6g}"
    )
    if not figures.in_range:
        out.print("  out of range: no LVR (and no fees) until the price comes back")
    out.print(
        f"  LVR {figures.lvr_per_year:,.2f}/year = {figures.lvr_per_day:,.2f}/day = "
        f"{figures.lvr_fraction_per_year:.2%} of value per year (Milionis et al. 2022)"
    )
    if figures.p_trade is not None:
        out.print(
            f"  with fee {figures.fee:.3%} and {figures.block_time:g}-s blocks (Milionis et al. 2023): "
            f"arbitrageurs trade in {figures.p_trade:.1%} of blocks, take {figures.arb_per_year:,.2f}/year "
            f"net of fees; fees paid by "
            f"arbitrage {figures.fees_per_year:,.2f}/year = {figures.fee_recovery:.1%} of LVR"
        )


def position(
    nft: Annotated[
        int | None, typer.Option("--nft", help="Token id of a NonfungiblePositionManager position.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--pool", "-p", help="With --owner: the pool (name or address).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner of a position held directly in the pool.")] = None,
    lower: Annotated[int | None, typer.Option(help="With --owner: the position's lower tick.")] = None,
    upper: Annotated[int | None, typer.Option(help="With --owner: the position's upper tick.")] = None,
    since_block: Annotated[
        int | None, typer.Option(help="Read the position's history from this block.")
    ] = None,
    block: Block = "latest",
    quote_in: Orientation = "auto",
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Value, fees, IL against HODL and LVR to date of an existing position.

    Amounts and uncollected fees are exact (the contract's arithmetic on the pool's state); IL, P&L and LVR
    are valued at the current price.

    Examples:

      amm position --nft 1100

      amm position --nft 123456 --fork-url "$ETH_RPC_URL" --json

      amm position --pool USDC/WETH-500 --owner 0xYourVault --lower 195000 --upper 196000
    """
    if (nft is None) == (owner is None):
        raise typer.BadParameter("give --nft ID, or --pool, --owner, --lower and --upper")
    if owner is not None and (name is None or lower is None or upper is None):
        raise typer.BadParameter("--owner needs --pool, --lower and --upper")
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        at = _block(block)
        if nft is not None:
            record = read_nft_position(session.node, nft, at, since_block=since_block)
        else:
            address, _ = resolve_pool(name or "")
            record = read_pool_position(
                session.node, address, owner or "", lower or 0, upper or 0, at, since_block=since_block or 0
            )
        ctx = load_pool_context(session.node, record.pool, record.block, orientation=quote_in)
        report = position_report(session.node, ctx, record)
    if json:
        print_json(report.to_dict())
        return
    _print_position(report, ctx)


def _print_position(r: PositionReport, ctx: PoolContext) -> None:
    q = r.quote
    who = f"NFT #{r.token_id}" if r.token_id is not None else f"position of {r.owner}"
    state = "[green]in range[/green]" if r.in_range else "[yellow]out of range[/yellow]"
    out.print(
        f"[bold]{who}[/bold] in {r.pool}: {_price(r.lower)} – {_price(r.upper)} {q}/{r.base} "
        f"(ticks {r.tick_lower}:{r.tick_upper}), {state} at {_price(r.price)}"
    )
    out.print(
        f"owner {r.owner}; liquidity {r.liquidity:,}; history since block {r.since_block} ({r.days:.1f} days)"
    )

    def tokens(amounts: tuple[int, int]) -> str:
        return (
            f"{amounts[0] / 10**ctx.token0.decimals:,.6g} {ctx.token0.symbol} + "
            f"{amounts[1] / 10**ctx.token1.decimals:,.6g} {ctx.token1.symbol}"
        )

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column()
    table.add_row("position now", _money(r.value_now) + f" {q}", tokens(r.amounts))
    table.add_row("fees earned", _money(r.fees_value) + f" {q}", tokens(r.fees))
    table.add_row(
        "collectable now", "", tokens(r.owed) + " (what collect() pays: fees + withdrawn principal)"
    )
    table.add_row("deposited (HODL)", _money(r.hodl_value) + f" {q}", tokens(r.deposited))
    table.add_row(
        "IL vs HODL", _money(r.il_value) + f" {q}", "position + withdrawn principal − HODL, no fees"
    )
    table.add_row("P&L vs HODL", _money(r.pnl_vs_hodl) + f" {q}", "IL + fees")
    table.add_row("LVR to date", _money(r.lvr_to_date) + f" {q}", f"realised over {r.swaps_seen} swaps")
    out.print(table)
