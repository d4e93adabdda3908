"""Open a chain the way a user asked for it: an existing node, a fresh fork of one, or the built-in chain.

Every CLI command and test goes through `open_chain`, so the three ways behave alike and fail alike (one-line
errors that say what to do).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from amm.chain.anvil import Anvil, check_rpc_url, redact_url
from amm.chain.devnet import statefile
from amm.chain.devnet.build import Progress, Roles
from amm.chain.errors import AnvilDied, ChainError
from amm.chain.node import Node
from amm.chain.rpc import RpcClient


@dataclass
class ChainSession:
    """A node to talk to, what kind it is, and (for the built-in chain) its manifest."""

    node: Node
    kind: str  # "devnet", "fork" or "rpc"
    description: str
    anvil: Anvil | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.node.rpc.url

    @property
    def roles(self) -> Roles | None:
        """Dev-account roles of the built-in chain (None elsewhere)."""
        accounts = self.manifest.get("accounts")
        return Roles(**accounts) if accounts else None

    def close(self) -> None:
        if self.anvil is not None:
            self.anvil.stop()
        else:
            self.node.rpc.close()


def start_devnet(
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    anvil_args: Sequence[str] = (),
    port: int = 0,
) -> ChainSession:
    """Start the built-in mainnet-shaped chain from its state file (building the file first if stale).

    `anvil_args` are extra anvil flags, e.g. ("--order", "fifo") for a node that mines ordered bundles."""
    manifest = statefile.ensure_state(rebuild=rebuild, progress=progress)
    try:
        anvil = Anvil(load_state=statefile.state_path(), args=anvil_args, port=port).start()
    except AnvilDied as died:
        raise ChainError(
            f"anvil could not load the built-in chain's state file {statefile.state_path()} (corrupted?):"
            f" rebuild it with `amm devnet build --force` ({str(died).splitlines()[0][:120]})"
        ) from None
    node = Node(anvil.rpc)
    if not node.code(manifest["contracts"]["v3_factory"]):
        anvil.stop()
        raise ChainError(
            f"the state file {statefile.state_path()} holds no v3 factory: rebuild it (amm devnet build)"
        )
    return ChainSession(node, "devnet", f"built-in chain at block {manifest['block']}", anvil, manifest)


def start_fork(fork_url: str, fork_block_number: int | None = None) -> ChainSession:
    try:
        anvil = Anvil(fork_url=fork_url, fork_block_number=fork_block_number).start()
    except AnvilDied as died:
        old = re.search(r"block height is (\d+) but requested was (\d+)", str(died))
        if old is None:
            raise
        height, asked = old.groups()
        raise ChainError(
            f"{redact_url(fork_url)} has no state for block {asked}: it holds state only from block {height}"
            f" on (the built-in chain keeps only its latest state); fork at block {height} or later, or leave"
            " out --fork-block-number"
        ) from None
    at = f" at block {fork_block_number}" if fork_block_number is not None else ""
    return ChainSession(Node(anvil.rpc), "fork", f"anvil fork of {redact_url(fork_url)}{at}", anvil)


def connect(rpc_url: str) -> ChainSession:
    check_rpc_url(rpc_url)
    return ChainSession(Node(RpcClient(rpc_url)), "rpc", f"node at {redact_url(rpc_url)}")


@contextmanager
def open_chain(
    *,
    rpc_url: str | None = None,
    fork_url: str | None = None,
    fork_block_number: int | None = None,
    progress: Progress | None = None,
    anvil_args: Sequence[str] = (),
) -> Iterator[ChainSession]:
    """`rpc_url`: use that node as is; `fork_url`: fork it on a local anvil; neither: the built-in chain.

    `anvil_args`: extra flags for the anvil this starts (the built-in chain only)."""
    if rpc_url and fork_url:
        raise ChainError("give either --rpc-url (use a node as is) or --fork-url (fork it locally), not both")
    if fork_block_number is not None and not fork_url:
        raise ChainError("--fork-block-number needs --fork-url")
    if rpc_url:
        session = connect(rpc_url)
    elif fork_url:
        session = start_fork(fork_url, fork_block_number)
    else:
        session = start_devnet(progress=progress, anvil_args=anvil_args)
    try:
        yield session
    finally:
        session.close()
