"""`amm pools` and `amm devnet ...`: look at a chain's pools; build and serve the built-in chain."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from amm.chain.anvil import dev_account_keys
from amm.chain.devnet import statefile
from amm.chain.devnet.spec import POOLS
from amm.chain.overview import PoolOverview, read_overview
from amm.chain.session import start_devnet
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
from amm.cli.range_command import fit_table

devnet_app = typer.Typer(
    help="Build, inspect and serve the built-in mainnet-shaped chain.", no_args_is_help=True
)


def pools(
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Table of the known pools on a chain: address, pair, fee, price, active liquidity, TVL.

    Without options it starts the built-in mainnet-shaped chain (building it once if needed).

    Examples:

      amm pools

      amm pools --json | jq '.[0]'

      amm pools --fork-url https://eth-mainnet.example/v2/KEY --fork-block-number 21000000
    """
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        overviews, missing = read_overview(session.node, POOLS)
        block = session.node.block_number()
    if json:
        print_json(
            {
                "chain": session.description,
                "block": block,
                "pools": [p.to_dict() for p in overviews],
                "missing": missing,
            }
        )
        return
    out.print(pool_table(overviews, f"Pools on the {session.description} (now block {block})"))
    if missing:
        err.print(f"not deployed on this chain: {', '.join(missing)}")


def pool_table(overviews: list[PoolOverview], title: str) -> Table:
    """The pools by TVL, named as users type them (`USDC/WETH-500`); numbers are never cut: when the
    terminal is narrow, columns go from the right (the address first), and stay in --json."""
    rows = []
    for p in sorted(overviews, key=lambda p: -(p.tvl_usd or 0)):
        rows.append(
            {
                "pool": p.name,
                "price": p.price_text(),
                "fee": f"{p.fee / 10_000:g}%" + ("" if p.kind == "v3" else " v2"),
                "TVL (USD)": f"{p.tvl_usd:,.0f}" if p.tvl_usd is not None else "?",
                "tick": str(p.tick) if p.tick is not None else "-",
                "active liquidity": f"{p.liquidity:,}",
                "address": p.address,
            }
        )
    columns = ["pool", "price", "fee", "TVL (USD)", "tick", "active liquidity", "address"]
    table = fit_table(title, columns, rows, text=("pool",), keep=3)
    table.caption = "TVL values USDC, USDT and DAI at $1 and other tokens through their deepest pool."
    return table


@devnet_app.command("build")
def devnet_build(
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even if the state file is current.")
    ] = False,
) -> None:
    """Build the built-in chain's state file if its inputs changed (or always, with --force).

    Example:

      amm devnet build --force
    """
    with build_progress(enabled=True) as progress:
        manifest = statefile.ensure_state(rebuild=force, progress=progress)
    size = f"block {manifest['block']}, {manifest['transactions']:,} transactions"
    out.print(f"state file {statefile.state_path()}: {size}, built in {manifest['build_seconds']} s")


@devnet_app.command("serve")
def devnet_serve(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one, printed).")
    ] = 8545,
) -> None:
    """Run the built-in chain in the foreground for bots and wallets to use; Ctrl-C stops it. Prints the
    free funded accounts with their private keys: anvil's public test mnemonic, for this local chain only.

    Examples:

      amm devnet serve                 # http://127.0.0.1:8545, then point a bot at it

      amm devnet serve --port 0        # a free port, printed
    """
    with build_progress(enabled=True) as progress:
        session = start_devnet(progress=progress, port=port)
    roles = session.roles
    keys = dev_account_keys(10) if roles is not None else {}  # before the banner: no RPC after it
    pid = session.anvil.process.pid if session.anvil and session.anvil.process else "?"
    out.print(
        f"[bold]built-in chain[/bold] listening at [cyan]{session.url}[/cyan] "
        f"(chain id {session.node.chain_id}, anvil pid {pid}); Ctrl-C stops it"
    )
    if roles is not None:
        out.print("free funded accounts (anvil's public test mnemonic: never use these keys elsewhere):")
        for account in roles.users:
            out.print(f"  {account}  key {keys.get(account.lower(), '?')}", highlight=False)
    out.file.flush()
    try:
        while session.anvil is not None and session.anvil.alive:
            time.sleep(0.2)
        problem = session.anvil.diagnose() if session.anvil else None
        if problem is not None:
            raise problem
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
