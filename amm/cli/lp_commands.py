"""`amm pool`, `amm range` and `amm lvr`: an LP's questions about a pool and a range, answered on a chain."""

from __future__ import annotations

import math
import re
from typing import Annotated

import typer
from rich.table import Table

from amm.chain.positions import read_nft_position, read_pool_position
from amm.cli import parsing
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, out, print_json
from amm.cli.range_command import (
    Block,
    Blocks,
    BlockTime,
    Orientation,
    PlotFile,
    PoolArg,
    block_arg,
    check_plot,
    usd_per_quote,
)
from amm.lp.context import PoolContext, load_pool_context, resolve_pool
from amm.lp.history import load_pool_history
from amm.lp.lvr import lvr_figures
from amm.lp.position import PositionReport, position_report
from amm.lp.study import market_model
from amm.lp.wallet import require_position_manager


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
    check_plot(plot)
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        ctx = load_pool_context(session.node, name, block_arg(block), orientation=quote_in)
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


def lvr(
    price: Annotated[
        float | None, typer.Option(help="Price of the base token in the quote token; default: the pool's.")
    ] = None,
    vol: Annotated[
        str | None, typer.Option(help="Annual volatility: 60% or 0.6; default: from the pool's swaps.")
    ] = None,
    capital: Annotated[float, typer.Option(help="Position value in the quote token.")] = 10_000.0,
    range_: Annotated[
        str | None, typer.Option("--range", help="A concentrated range, e.g. 2700-3300.")
    ] = None,
    fee: Annotated[
        str | None, typer.Option(help="Pool fee: 0.05% or 5bp; adds the fees-and-blocks model.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--pool", "-p", help="Take price, volatility, fee and block time from a pool."),
    ] = None,
    blocks: Blocks = "fixed",
    block_time: BlockTime = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """LVR of a full-range or concentrated position: the in-range instantaneous rate, and with a fee what
    arbitrage takes net of fees and pays in fees under the block model.

    Examples:

      amm lvr --price 3000 --vol 60%

      amm lvr --price 3000 --vol 60% --range 2700-3300 --fee 0.05% --capital 100000

      amm lvr --pool USDC/WETH-500 --range 3000-3700

      amm lvr --price 3000 --vol 60% --fee 5bp --blocks poisson --block-time 12s
    """
    lower, upper = parsing.price_range(range_) if range_ else (0.0, math.inf)
    sigma = parsing.volatility(vol) if vol is not None else None
    fee_value = parsing.fee(fee) if fee is not None else None
    step = parsing.seconds(block_time, default_unit="s", what="--block-time") if block_time else None
    if blocks not in ("fixed", "poisson"):
        raise typer.BadParameter(f"--blocks must be fixed or poisson, not {blocks!r}")
    quote, base = "quote", "base token"
    market = market_model(blocks, step, None)
    if name is not None:
        with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
            ctx = load_pool_context(session.node, name)
            history = load_pool_history(session.node, ctx)
        price = ctx.price if price is None else price
        sigma = history.volatility.sigma if sigma is None else sigma
        fee_value = ctx.fee if fee_value is None else fee_value
        market = market_model(blocks, step, history)
        quote, base = ctx.quote.symbol, ctx.base.symbol
    if price is None or sigma is None:
        raise typer.BadParameter("give --price and --vol, or --pool NAME to take them from a pool")
    try:
        figures = lvr_figures(
            price=price,
            sigma=sigma,
            capital=capital,
            lower=lower,
            upper=upper,
            fee=fee_value,
            block_time=market.block_time,
            blocks=market.blocks,
            quote=quote,
            base=base,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if json:
        print_json({**figures.to_dict(), "pool": name, "market_model": market.to_dict()})
        return
    where = "full range" if math.isinf(upper) else f"range {lower:,.6g} – {upper:,.6g}"
    source = f" ({name})" if name else ""
    out.print(
        f"position worth {figures.capital:,.2f} {quote} at price {price:,.6g}{source}, {where}, "
        f"σ = {figures.sigma:.2%}/year"
    )
    out.print(
        f"  holds {figures.amount_base:,.6g} {base} + {figures.amount_quote:,.6g} {quote}; "
        f"liquidity {figures.liquidity:,.6g}"
    )
    if not figures.in_range:
        out.print("  out of range: no LVR (and no fees) until the price comes back")
    out.print(
        f"  LVR while in range, at this price (instantaneous): {figures.lvr_per_day:,.2f} {quote}/day = "
        f"{figures.lvr_per_year:,.2f}/year = {figures.lvr_fraction_per_year:.2%} of value per year "
        "(Milionis et al. 2022)"
    )
    out.print(f"  market model: {market.describe()}")
    if figures.p_trade is not None:
        out.print(
            f"  with fee {figures.fee:.3%} ({figures.blocks} blocks, Milionis et al. 2023): arbitrage trades "
            f"in {figures.p_trade:.1%} of blocks, take {figures.arb_per_year:,.2f} {quote}/year net of fees; "
            f"their fees pay {figures.fees_per_year:,.2f}/year = {figures.fee_recovery:.1%} of LVR"
        )


def position(
    nft: Annotated[
        int | None,
        typer.Option(
            "--nft", help="Token id of a NonfungiblePositionManager position.", min=0, max=2**256 - 1
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--pool", "-p", help="With --owner: the pool (name or address).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner of a position held directly in the pool.")] = None,
    lower: Annotated[int | None, typer.Option(help="With --owner: the position's lower tick.")] = None,
    upper: Annotated[int | None, typer.Option(help="With --owner: the position's upper tick.")] = None,
    since_block: Annotated[
        int | None, typer.Option(help="Read the position's history from this block.", min=0)
    ] = None,
    vol: Annotated[
        str | None, typer.Option(help="Annual volatility for the LVR rate: 60% or 0.6; default: the pool's.")
    ] = None,
    blocks: Blocks = "fixed",
    block_time: BlockTime = None,
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
    if owner is not None and not re.fullmatch(r"0x[0-9a-fA-F]{40}", owner.strip()):
        raise typer.BadParameter(f"--owner {owner!r} is not an address (0x and 40 hex digits)")
    sigma = parsing.volatility(vol) if vol is not None else None
    step = parsing.seconds(block_time, default_unit="s", what="--block-time") if block_time else None
    if blocks not in ("fixed", "poisson"):
        raise typer.BadParameter(f"--blocks must be fixed or poisson, not {blocks!r}")
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        at = block_arg(block)
        if nft is not None:
            require_position_manager(session.node, at)
            record = read_nft_position(session.node, nft, at, since_block=since_block)
        else:
            address, _ = resolve_pool(name or "")
            record = read_pool_position(
                session.node, address, owner or "", lower or 0, upper or 0, at, since_block=since_block or 0
            )
        ctx = load_pool_context(session.node, record.pool, record.block, orientation=quote_in)
        report = position_report(session.node, ctx, record)
        history = load_pool_history(session.node, ctx)
        usd = usd_per_quote(session.node, ctx)
    market = market_model(blocks, step, history)
    rates = lvr_figures(
        price=ctx.price,
        sigma=sigma if sigma is not None else history.volatility.sigma,
        capital=max(report.value_now, 1e-12),
        lower=report.lower,
        upper=report.upper,
        fee=ctx.fee,
        block_time=market.block_time,
        blocks=market.blocks,
        quote=report.quote,
        base=report.base,
    )
    if json:
        print_json(
            {
                **report.to_dict(),
                "usd_per_quote": usd,
                "market_model": market.to_dict(),
                "lvr_rate": rates.to_dict(),
            }
        )
        return
    _print_position(report, ctx, usd)
    out.print(f"market model: {market.describe()}")
    if report.liquidity == 0:
        out.print("closed: all liquidity withdrawn, nothing earns fees or loses to arbitrage now")
    elif rates.in_range and rates.p_trade is not None:
        out.print(
            f"LVR now, in range at this price (instantaneous): {rates.lvr_per_day:,.2f} {report.quote}/day "
            f"at σ {rates.sigma:.0%}/year; arbitrage trades in {rates.p_trade:.0%} of blocks and its fees "
            f"recover {rates.fee_recovery:.0%} of it"
        )
    else:
        out.print("out of range now: no LVR and no fees until the price comes back")


def _print_position(r: PositionReport, ctx: PoolContext, usd: float | None) -> None:
    q = r.quote

    def worth(x: float) -> str:
        dollars = f" ≈ ${x * usd:,.0f}" if usd is not None and usd != 1.0 else ""
        return f"{_money(x)} {q}{dollars}"

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
    table.add_row("position now", worth(r.value_now), tokens(r.amounts))
    table.add_row("fees earned", worth(r.fees_value), tokens(r.fees))
    table.add_row(
        "collectable now", "", tokens(r.owed) + " (what collect() pays: fees + withdrawn principal)"
    )
    table.add_row("deposited (HODL)", worth(r.hodl_value), tokens(r.deposited))
    table.add_row("IL vs HODL", worth(r.il_value), "position + withdrawn principal − HODL, no fees")
    table.add_row("P&L vs HODL", worth(r.pnl_vs_hodl), "IL + fees")
    table.add_row("LVR to date", worth(r.lvr_to_date), f"realised over {r.swaps_seen} swaps")
    out.print(table)
