"""The `amm` command: parses, calls the library, renders. Every figure it prints comes from a library call."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from amm.analytics.paths import PriceDataError
from amm.chain.errors import ChainError
from amm.cli.chain_commands import devnet_app, pools
from amm.cli.common import err
from amm.cli.lp_commands import lvr, pool, position, range_
from amm.lp.study import StudyError

app = typer.Typer(
    help="Exact Uniswap pool models and LP analytics, against a local anvil chain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("pools")(pools)
app.command("pool")(pool)
app.command("range")(range_)
app.command("position")(position)
app.command("lvr")(lvr)
app.add_typer(devnet_app, name="devnet")


def main() -> None:
    """Entry point: a failure the user can act on prints one line and exits 2, never a traceback."""
    try:
        app()
    except (ChainError, StudyError, PriceDataError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
