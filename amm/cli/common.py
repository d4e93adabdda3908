"""What every `amm` command shares: chain options, consoles, progress, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from amm.chain.devnet import statefile
from amm.chain.session import ChainSession, open_chain

# rich assumes 80 columns when output is not a terminal (make demo, CI logs); tables of addresses need more
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
out = Console(width=_WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else _WIDTH)

RpcUrl = Annotated[
    str | None,
    typer.Option(
        "--rpc-url", help="Use this node as it is (read-only commands). Keys in the URL are never printed."
    ),
]
ForkUrl = Annotated[
    str | None, typer.Option("--fork-url", help="Fork this node on a local anvil (e.g. a mainnet RPC URL).")
]
ForkBlock = Annotated[
    int | None, typer.Option("--fork-block-number", help="Fork at this block (with --fork-url).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]


@contextmanager
def build_progress(enabled: bool = True) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for the one-off build of the built-in chain (about a minute)."""
    if not enabled or statefile.is_current():
        yield None
        return
    err.print("[bold]Building the built-in chain[/bold] (once; later starts load its state file in a second)")
    with Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield report


@contextmanager
def chain_from_options(
    rpc_url: str | None, fork_url: str | None, fork_block_number: int | None, *, quiet: bool = False
) -> Iterator[ChainSession]:
    builtin = not rpc_url and not fork_url
    with (
        build_progress(enabled=builtin and not quiet) as progress,
        open_chain(
            rpc_url=rpc_url, fork_url=fork_url, fork_block_number=fork_block_number, progress=progress
        ) as session,
    ):
        yield session


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
