"""`amm range`: rank ranges for a pool, with every unit, the market model and the ranking's noise stated."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amm.analytics.paths import load_price_csv
from amm.chain.devnet.spec import POOLS, STABLES
from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.cli import parsing
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, out, print_json
from amm.lp.context import PoolContext, load_pool_context
from amm.lp.history import PoolHistory, history_from_prices, load_pool_history
from amm.lp.study import RangeStudy, RangeStudyConfig, StudyError, run_range_study

PoolArg = Annotated[
    str, typer.Option("--pool", "-p", help="A known name (USDC/WETH-500) or a v3 pool address.")
]
Block = Annotated[str, typer.Option("--block", help="Read the pool at this block (default: latest).")]
Orientation = Annotated[
    str,
    typer.Option("--quote-in", help="auto (quote in the stablecoin), token0 or token1 as the base token."),
]
PlotFile = Annotated[
    Path | None, typer.Option("--plot", help="Write a plot here (.png, .svg or .pdf).", dir_okay=False)
]
Blocks = Annotated[
    str, typer.Option("--blocks", help="Block times: fixed, or poisson (exponential gaps with that mean).")
]
BlockTime = Annotated[
    str | None,
    typer.Option(
        "--block-time",
        "--step",
        help="Seconds between blocks, one arbitrage chance each (12s, 15min); default: the chain's median.",
    ),
]
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def fit_table(
    title: str, columns: list[str], rows: list[dict[str, str]], *, text: tuple[str, ...], keep: int
) -> Table:
    """A table that fits the terminal without cutting a number: numeric columns never wrap or truncate, so
    when the table is too wide, columns are dropped from the right (all but the first `keep`); what is
    dropped stays in --json. Text columns (`text`) wrap at spaces, never inside a word. Every column gets an
    exact width, so rich has nothing left to squeeze."""

    def cells(column: str) -> list[str]:
        return [column, *(row[column] for row in rows)]

    least = {
        c: max(cell_len(w) for cell in cells(c) for w in cell.split())
        if c in text
        else max(map(cell_len, cells(c)))
        for c in columns
    }
    shown = list(columns)
    while len(shown) > keep and 1 + sum(least[c] + 3 for c in shown) > out.width:
        shown.pop()
    width = {c: least[c] for c in shown}
    spare = out.width - 1 - sum(width[c] + 3 for c in shown)
    for c in (c for c in text if c in shown):  # widen text columns toward one line each, in `text` order
        grow = max(0, min(spare, max(map(cell_len, cells(c))) - width[c]))
        width[c] += grow
        spare -= grow
    table = Table(title=title, title_justify="left")
    for column in shown:
        table.add_column(
            column,
            justify="left" if column in text else "right",
            no_wrap=column not in text,
            min_width=width[column],
            max_width=width[column],
        )
    for row in rows:
        table.add_row(*(row[c] for c in shown))
    return table


def block_arg(text: str) -> int | str:
    if text.isdigit():
        return int(text)
    if text in ("latest", "pending", "earliest", "safe", "finalized"):
        return text
    raise typer.BadParameter(f"--block {text!r}: give a block number or latest")


def check_plot(plot: Path | None) -> None:
    """Refuse a plot path that cannot be written before any simulation runs."""
    if plot is None:
        return
    if plot.suffix.lower() not in PLOT_SUFFIXES:
        raise typer.BadParameter(f"--plot {plot}: the file must end in {', '.join(PLOT_SUFFIXES)}")
    if not plot.parent.is_dir():
        raise typer.BadParameter(f"--plot {plot}: no directory {plot.parent}")


def money(x: float) -> str:
    """Amounts in any quote token: 4 significant digits below 100 (0.0213 WETH is not "0.02"), cents above."""
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    return f"{x:,.2f}" if abs(x) >= 100 else f"{x:.4g}"


def price_text(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:,.6g}"


def usd_per_quote(node: Node, ctx: PoolContext) -> float | None:
    """Dollars per quote token: 1 for a stablecoin, else from a built-in pool against USDC (None if none)."""
    if ctx.quote.symbol.upper() in STABLES:
        return 1.0
    try:
        return capital_in_quote(node, ctx, 1.0, "USDC")[0] ** -1
    except typer.BadParameter:
        return None


def capital_in_quote(node: Node, ctx: PoolContext, amount: float, symbol: str | None) -> tuple[float, str]:
    """The capital in the pool's quote token, and how it was converted (said in the output)."""
    q, b = ctx.quote.symbol.upper(), ctx.base.symbol.upper()
    if symbol is None or symbol == q:
        return amount, f"{amount:,.6g} {ctx.quote.symbol}"
    if symbol == b:
        return amount * ctx.price, f"{amount:,.6g} {ctx.base.symbol} at {ctx.price:,.6g}"
    for spec in POOLS:  # another built-in pool that prices the token in the quote token
        if spec.kind == "v3" and {spec.symbol0.upper(), spec.symbol1.upper()} == {symbol, q}:
            try:
                other = load_pool_context(node, spec.name, ctx.block)
            except ChainError:
                continue
            price = other.price if other.base.symbol.upper() == symbol else 1 / other.price
            return amount * price, f"{amount:,.6g} {symbol} at {price:,.6g} {q} ({spec.name})"
    raise typer.BadParameter(
        f"--capital {amount:g} {symbol}: the pool trades {b}/{q}, and no known pool prices {symbol} in {q}; "
        f"give it in {q} or {b}"
    )


def range_(
    name: PoolArg = "USDC/WETH-500",
    horizon: Annotated[
        str | None,
        typer.Option(
            help="How long the position is held: 30d, 12h, 90min, 2w, 1mo (default 30d; --historical: all)."
        ),
    ] = None,
    vol: Annotated[
        str | None, typer.Option(help="Annual volatility: 60% or 0.6; default: from the pool's swaps.")
    ] = None,
    paths: Annotated[int, typer.Option(help="Monte Carlo paths.", min=1)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the paths (same seed, same paths).")] = 0,
    blocks: Blocks = "fixed",
    block_time: BlockTime = None,
    model: Annotated[str, typer.Option(help="gbm, merton (jumps) or student_t (fat tails).")] = "gbm",
    widths: Annotated[
        str | None,
        typer.Option(
            help="Half-widths in percent: 1 means [P/1.01, 1.01P); default: 0.1-4x the typical move σ√T."
        ),
    ] = None,
    centres: Annotated[str, typer.Option(help="Centres as percent of the price, e.g. 95,100,105.")] = "100",
    range_: Annotated[
        list[str] | None, typer.Option("--range", help="An explicit range in quote per base, e.g. 2800-3600.")
    ] = None,
    capital: Annotated[
        str, typer.Option(help="Capital per position with its token: '50000 USDC', '10 WETH'; bare: quote.")
    ] = "10000",
    noise_volume: Annotated[
        float | None,
        typer.Option(help="Uninformed volume per day, in the quote token; default: estimated from swaps."),
    ] = None,
    rank_by: Annotated[
        str, typer.Option(help="Metric to rank by: pnl_vs_rebalancing (fees − LVR), pnl_vs_hodl, fees, ...")
    ] = "pnl_vs_rebalancing",
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
    top: Annotated[int, typer.Option(help="Rows to show.", min=1)] = 12,
    block: Block = "latest",
    quote_in: Orientation = "auto",
    plot: PlotFile = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Rank ranges for a pool by fees − LVR (P&L against rebalancing), with each range's gap to the best.

    Reads the pool and its liquidity profile from the chain, estimates volatility, uninformed volume and the
    block time from its recent swaps (unless given), simulates price paths (the same paths for every range)
    and evaluates every range on each. Ranges within two standard errors of the best are marked tied.

    Examples:

      amm range --pool USDC/WETH-500 --plot out.png

      amm range --pool WBTC/WETH-3000 --widths 1,5,20 --centres 95,100,105 --vol 45% --capital 50000 USDC

      amm range --pool USDC/WETH-500 --range 3000-3700 --capital '50000 USDC' --horizon 7d --json

      amm range --pool DAI/USDC-100 --historical --horizon 3d

      amm range --pool USDC/WETH-500 --prices eth_usd.csv --historical --block-time 1h
    """
    check_plot(plot)
    if model not in ("gbm", "merton", "student_t"):
        raise typer.BadParameter("--model must be gbm, merton or student_t")
    amount, token = parsing.amount(capital, "--capital")
    horizon_days = parsing.seconds(horizon, what="--horizon") / 86400 if horizon is not None else None
    step = parsing.seconds(block_time, default_unit="s", what="--block-time") if block_time else None
    parsing.non_negative(noise_volume, "--noise-volume")
    if not (math.isfinite(history_days) and history_days > 0):
        raise typer.BadParameter("--history-days must be positive")
    if historical and horizon_days is not None:
        history_days = max(history_days, horizon_days)
    try:
        base = dict(
            horizon_days=horizon_days,
            step_seconds=step,
            blocks=blocks,
            paths=paths,
            seed=seed,
            model=model,
            vol=parsing.volatility(vol) if vol is not None else None,
            widths=parsing.percent_list(widths) if widths is not None else None,
            centres=parsing.percent_list(centres),
            bounds=tuple(parsing.price_range(r) for r in range_ or ()),
            noise_per_day=noise_volume,
            rank_by=rank_by,
            historical=historical,
            keep_samples=plot is not None,
        )
        RangeStudyConfig(**base)  # type: ignore[arg-type] # refuse bad input before reading the chain
    except StudyError as error:
        raise typer.BadParameter(str(error)) from None
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        ctx = load_pool_context(session.node, name, block_arg(block), orientation=quote_in)
        capital_quote, capital_text = capital_in_quote(session.node, ctx, amount, token)
        usd = usd_per_quote(session.node, ctx)
        if usd is not None and usd != 1.0:
            capital_text += f" (≈ ${capital_quote * usd:,.0f})"
        history: PoolHistory | None = None
        if prices is not None:
            history = history_from_prices(load_price_csv(prices), ctx)
        else:
            try:
                history = load_pool_history(session.node, ctx, days=history_days)
            except ChainError as error:
                if historical or base["vol"] is None:
                    raise
                err.print(f"[yellow]no history:[/yellow] {error}")
    config = RangeStudyConfig(**base, capital=capital_quote)  # type: ignore[arg-type]
    study = _run_with_progress(ctx, config, history, show=not json)
    if json:
        data = study.to_dict()
        data["capital"] = {
            "amount": amount,
            "token": token or ctx.quote.symbol,
            "in_quote": capital_quote,
            "usd": None if usd is None else capital_quote * usd,
        }
        print_json(data)
    else:
        _print_study(study, ctx, top, capital_text)
    if plot is not None:
        from amm.cli.plots import plot_study  # noqa: PLC0415 - matplotlib loads only when plotting

        plot_study(plot, study, ctx.profile(), f"{ctx.quote.symbol} per {ctx.base.symbol}", ctx.quote.symbol)
        err.print(f"wrote {plot}")


def _run_with_progress(
    ctx: PoolContext, config: RangeStudyConfig, history: PoolHistory | None, *, show: bool
) -> RangeStudy:
    if not show or config.historical:
        return run_range_study(ctx, config, history)
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
            ctx, config, history, lambda done, total: bar.update(task, completed=done, total=total)
        )


def _print_study(study: RangeStudy, ctx: PoolContext, top: int, capital_text: str) -> None:
    a = study.analysis
    q = ctx.quote.symbol
    out.print(
        f"[bold]{ctx.name}[/bold] at block {ctx.block}: price {ctx.price:,.6g} {q}/{ctx.base.symbol}, "
        f"fee {ctx.fee:.2%}"
    )
    out.print(f"model: {study.mode}; {study.market.describe()}")
    out.print(f"volatility {study.sigma:.1%}/year ({study.sigma_source})")
    out.print(f"uninformed volume {study.noise_per_day:,.0f} {q}/day ({study.noise_source})")
    title = (
        f"ranked by {a.rank_by} ({a.rank_stat}); capital {capital_text} = {a.capital:,.6g} {q} each; "
        f"figures in {q}; vs rebal. ≈ fees − LVR; Δ best ± its standard error on the same paths"
    )
    columns = ["#", "range", "width", "fees", "LVR", "vs rebal.", "Δ best ± se", "net APR", "in range"]
    columns += ["vs HODL", "IL"]  # the first to go on a narrow terminal (in --json always)
    rows = []
    for r in a.results[:top]:
        m = r.metrics
        if r.rank == 1:
            gap = "best"
        elif not r.trades:
            gap = "never in range"
        else:
            gap = f"{money(r.vs_best)} ± {money(r.vs_best_stderr)}" + (" tied" if r.tied else "")
        apr = study.apr(r).get("pnl_vs_rebalancing", math.nan)
        rows.append(
            {
                "#": str(r.rank),
                "range": f"{price_text(r.lower)} – {price_text(r.upper)}",
                "width": r.label,
                "fees": money(m["fees"].mean),
                "LVR": money(m["lvr"].mean),
                "vs rebal.": money(m["pnl_vs_rebalancing"].mean),
                "Δ best ± se": gap,
                "vs HODL": money(m["pnl_vs_hodl"].mean),
                "IL": f"{m['il'].mean:+.2%}",
                "net APR": f"{apr:+.1%}" if math.isfinite(apr) else "-",
                "in range": f"{m['time_in_range'].mean:.0%}",
            }
        )
    table = fit_table(title, columns, rows, text=("range", "width"), keep=7)
    out.print(table)
    best = a.best
    tied = a.tied_with_best
    verdict = f"best: {best.label} ({price_text(best.lower)} – {price_text(best.upper)})"
    if tied:
        verdict += f", statistically tied with {', '.join(r.label for r in tied)}"
    if not best.trades:
        verdict = "no range is ever in range on these paths"
    out.print(f"{verdict}. Assumptions: amm range --json | jq .analysis.assumptions")
