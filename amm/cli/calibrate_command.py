"""`amm calibrate`: the forward model against the replay of the chain's own swaps, for the same ranges."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from amm.cli import parsing
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, out, print_json
from amm.cli.range_command import Block, Orientation, PoolArg, block_arg, fit_table, money, price_text
from amm.lp.calibration import calibrate
from amm.lp.context import load_pool_context
from amm.lp.history import load_pool_history


def calibrate_(
    name: PoolArg = "USDC/WETH-500",
    days: Annotated[str, typer.Option(help="How much history to replay: 7d, 72h, 1w.")] = "7d",
    widths: Annotated[str, typer.Option(help="Half-widths in percent, plus full range.")] = "1,5,20",
    paths: Annotated[int, typer.Option(help="Forward-model paths.", min=2)] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the forward paths.", min=0)] = 0,
    block: Block = "latest",
    quote_in: Orientation = "auto",
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Run the forward model and the realised replay for the same ranges over the pool's last days, and say
    where they differ and why (block time, what LVR is measured on, one path against many).

    Examples:

      amm calibrate --pool USDC/WETH-500

      amm calibrate --pool WBTC/WETH-3000 --days 3d --widths 2,10 --json
    """
    span = parsing.seconds(days, what="--days") / 86400
    width_values = parsing.percent_list(widths)
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        ctx = load_pool_context(session.node, name, block_arg(block), orientation=quote_in)
        history = load_pool_history(session.node, ctx, days=span)
    report = calibrate(ctx, history, widths=width_values, paths=paths, seed=seed)
    if json:
        print_json(report.to_dict())
        return
    q = ctx.quote.symbol
    out.print(
        f"[bold]{ctx.name}[/bold] at block {ctx.block}: {history.describe()}; σ {report.sigma:.1%}/year, "
        f"uninformed {report.noise_per_day:,.0f} {q}/day, {report.block_time:g}-s blocks"
    )
    columns = ["range", "width", "f/L real", "f/L fwd", "fees real", "fees fwd p5–p95", "LVR real"]
    columns.append("LVR fwd p5–p95")
    rows = [
        {
            "range": f"{price_text(r.lower)} – {price_text(r.upper)}",
            "width": r.label,
            "f/L real": f"{r.realised_ratio:.3f}" if math.isfinite(r.realised_ratio) else "-",
            "f/L fwd": f"{r.forward_ratio:.3f}" if math.isfinite(r.forward_ratio) else "-",
            "fees real": money(r.realised_fees),
            "fees fwd p5–p95": f"{money(r.forward_fees_p5)}–{money(r.forward_fees_p95)}",
            "LVR real": money(r.realised_lvr),
            "LVR fwd p5–p95": f"{money(r.forward_lvr_p5)}–{money(r.forward_lvr_p95)}",
        }
        for r in report.rows
    ]
    title = f"realised (replay) against forward ({report.paths} paths); {q}; f/L = fees/LVR"
    table = fit_table(title, columns, rows, text=("range", "width"), keep=4)
    out.print(table)
    for line in report.explain():
        out.print(f"- {line}")
