"""The `amm` command: parses, calls the library, renders. Every figure it prints comes from a library call."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from amm.analytics.paths import PriceDataError
from amm.chain.errors import ChainError
from amm.cli import parsing
from amm.cli.calibrate_command import calibrate_
from amm.cli.chain_commands import devnet_app, pools
from amm.cli.common import err
from amm.cli.lp_commands import lvr, pool, position
from amm.cli.positions_command import positions
from amm.cli.range_command import range_
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
app.command("positions")(positions)
app.command("calibrate")(calibrate_)
app.add_typer(devnet_app, name="devnet")


def main() -> None:
    """Entry point: a failure the user can act on prints one line and exits 2, never a traceback."""
    try:
        code = app(args=parsing.join_amount_words(sys.argv[1:]), prog_name="amm", standalone_mode=False)
    except (ChainError, StudyError, PriceDataError) as error:
        _fail(str(error), 2)
    except typer.TyperException as error:  # Click's usage errors: one line with where to look, not a box
        ctx = getattr(error, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        _fail(f"{message}{where}", getattr(error, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    err.print(f"[red]error:[/red] {escape(' '.join(message.split()))}", highlight=False, soft_wrap=True)
    sys.exit(code)
