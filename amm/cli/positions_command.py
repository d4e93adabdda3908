"""`amm positions --owner ADDR`: every position of a wallet, open and closed, with fees, IL, LVR and P&L."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from amm.chain.node import Node
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, out, print_json
from amm.cli.range_command import Block, block_arg, fit_table, money, price_text, usd_per_quote
from amm.lp.context import load_pool_context
from amm.lp.wallet import WalletPosition, wallet_positions

FULL_RANGE_TICK = 887_000  # within a spacing of MAX_TICK (887,272): a full-range position


def _usd_rates(node: Node, rows: list[WalletPosition], block: int) -> dict[str, float | None]:
    """Dollars per quote token of each pool the wallet used (1 for stablecoins)."""
    rates: dict[str, float | None] = {}
    for row in rows:
        if row.report.pool not in rates:
            rates[row.report.pool] = usd_per_quote(node, load_pool_context(node, row.report.pool, block))
    return rates


def positions(
    owner: Annotated[str, typer.Option(help="The wallet: every position NFT it has held.")],
    status: Annotated[str, typer.Option(help="all, open, closed or transferred.")] = "all",
    block: Block = "latest",
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Every position of a wallet, open and closed: value, fees, IL, LVR and P&L against HODL to date, in
    each pool's quote token and in dollars.

    Read from the chain's own logs (the position manager's Transfer events, each position's ledger and the
    pool's swaps); amounts and uncollected fees are exact, as in `amm position`.

    Examples:

      amm positions --owner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8

      amm positions --owner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --status closed --json
    """
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", owner.strip()):
        raise typer.BadParameter(f"--owner {owner!r} is not an address (0x and 40 hex digits)")
    if status not in ("all", "open", "closed", "transferred"):
        raise typer.BadParameter(f"--status must be all, open, closed or transferred, not {status!r}")
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        number = int(session.node.block(block_arg(block))["number"], 16)
        rows = [
            r for r in wallet_positions(session.node, owner.strip(), number) if status in ("all", r.status)
        ]
        rates = _usd_rates(session.node, rows, number)
    usd = {
        key: sum(
            getattr(r.report, key) * (rates[r.report.pool] or float("nan"))
            for r in rows
            if rates[r.report.pool]
        )
        for key in ("value_now", "fees_value", "il_value", "lvr_to_date", "pnl_vs_hodl")
    }
    if json:
        print_json(
            {
                "owner": owner,
                "block": number,
                "positions": [{**r.to_dict(), "usd_per_quote": rates[r.report.pool]} for r in rows],
                "total_usd": usd,
                "units": {"total_usd": "US dollars at each pool's price now", "usd_per_quote": "dollars"},
            }
        )
        return
    rows_text = []
    for r in rows:
        p, rate = r.report, rates[r.report.pool]
        full = min(p.tick_lower, -p.tick_upper) <= -FULL_RANGE_TICK
        rows_text.append(
            {
                "NFT": str(p.token_id),
                "pool (quote)": f"{p.pool} ({p.quote})",
                "range": "full range" if full else f"{price_text(p.lower)} – {price_text(p.upper)}",
                "status": r.status,
                "vs HODL": money(p.pnl_vs_hodl),
                "vs HODL $": money(p.pnl_vs_hodl * rate) if rate else "-",
                "fees": money(p.fees_value),
                "LVR": money(p.lvr_to_date),
                "IL": money(p.il_value),
                "value": money(p.value_now),
            }
        )
    columns = ["NFT", "pool (quote)", "range", "status", "vs HODL", "vs HODL $", "fees", "LVR", "IL", "value"]
    title = f"positions of {owner} at block {number}; figures in each pool's quote token"
    table = fit_table(title, columns, rows_text, text=("range", "pool (quote)"), keep=5)
    out.print(table)
    out.print(
        f"{len(rows)} positions; in dollars: value ${usd['value_now']:,.0f}, fees ${usd['fees_value']:,.0f}, "
        f"IL ${usd['il_value']:,.0f}, LVR ${usd['lvr_to_date']:,.0f}, P&L vs HODL ${usd['pnl_vs_hodl']:,.0f}"
    )
