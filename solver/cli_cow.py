"""`solver serve-cow`: the CoW Protocol solver engine over HTTP, on the built-in chain, a fork or a node.

Parses and renders only: the engine is `solver.intents.cow.engine.CowEngine`, the server
`solver.intents.cow.server.CowServer`.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from amm.cli.common import ForkBlock, ForkUrl, RpcUrl, chain_from_options, err
from solver.intents.cow.engine import CowEngine
from solver.intents.cow.server import CowServer
from solver.routing.universe import Universe


def serve_cow_command(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one).")
    ] = 8080,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    slippage_bps: Annotated[
        int, typer.Option("--slippage-bps", min=0, max=1000, help="Slippage allowed on each pool swap.")
    ] = 10,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
) -> None:
    """Answer CoW solver-engine requests (POST /solve) until stopped: uniform clearing prices per pair,
    coincidences of wants first, the rest through the auction's liquidity or, when it sends none, our pools.

    Examples:

      solver serve-cow --port 8080                       # on the built-in chain

      solver serve-cow --fork-url http://127.0.0.1:8545 --port 0

      curl -s -d @auction.json 127.0.0.1:8080/solve | jq '.solutions[0].prices'
    """
    with chain_from_options(rpc_url, fork_url, fork_block_number) as session:
        node = session.node
        engine = CowEngine(
            chain_id=node.chain_id, node=node, universe=Universe.discover(node), slippage_bps=slippage_bps
        )
        server = CowServer(engine, host=host, port=port).start()
        err.print(f"solving on {server.url}/solve ({session.description}); Ctrl-C stops", highlight=False)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        server.stop()
