"""The `solver` command: parses, calls the library, renders. Every figure it prints comes from a library call.

`solver route` loads the pools between the major tokens of a chain (the built-in chain by default), routes one
order and prints its legs, totals, price impact and gas, or the same as JSON.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.markup import escape

from amm.chain.errors import ChainError
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, print_json
from solver.cli_backtest import backtest_command
from solver.cli_cow import serve_cow_command
from solver.cli_execute import execute_command
from solver.cli_jit import app as jit_app
from solver.cli_order import (
    BuyExactOption,
    BuyOption,
    MaxHopsOption,
    SlippageBpsOption,
    order_words,
    raw_amount,
    render_route,
)
from solver.cli_run import run_command
from solver.cli_stress import app as stress_app
from solver.routing.errors import RoutingError
from solver.routing.router import Router
from solver.routing.universe import DEFAULT_TOKENS, Universe

app = typer.Typer(
    help="Route orders over Uniswap v2/v3 pools: near-optimal splits, exact amounts, gas included.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
_PAIRED = ("--sell", "--buy-exact")  # options that take "AMOUNT TOKEN" as two words


app.command("run")(run_command)
app.command("backtest")(backtest_command)
app.command("serve-cow")(serve_cow_command)
app.command("execute")(execute_command)
app.add_typer(jit_app, name="jit")
app.add_typer(stress_app, name="stress")


@app.callback()
def _solver() -> None:
    """Route orders over Uniswap v2/v3 pools: near-optimal splits, exact amounts, gas included."""


@app.command("route")
def route_command(
    sell: Annotated[
        str | None,
        typer.Option(
            "--sell",
            metavar="[AMOUNT] TOKEN",
            help="What to sell: 'AMOUNT TOKEN' (exact input), or "
            "just TOKEN with --buy-exact. Tokens by symbol or address; amounts in whole tokens.",
        ),
    ] = None,
    buy: BuyOption = None,
    buy_exact: BuyExactOption = None,
    gas_price_gwei: Annotated[
        float | None,
        typer.Option(
            "--gas-price-gwei", help="Gas price to net out (default: the node's current gas price)."
        ),
    ] = None,
    eth_price: Annotated[
        float | None,
        typer.Option(
            "--eth-price", help="Whole tokens of the gas token per ETH (default: the pools' WETH price)."
        ),
    ] = None,
    max_hops: MaxHopsOption = 3,
    slippage_bps: SlippageBpsOption = 50,
    tokens: Annotated[
        list[str] | None,
        typer.Option("--token", metavar="ADDRESS", help="Also load pools with this token (repeatable)."),
    ] = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Find the best split of one order over every pool between WETH, USDC, USDT, DAI and WBTC.

    The split maximises the output (or minimises the input) net of gas,
    over direct pools and paths through intermediate tokens (--max-hops).
    Every amount is computed exactly by the pool models; the minimums apply --slippage-bps.
    Without chain options it starts the built-in mainnet-shaped chain.

    Examples:

      solver route --sell 1000000 USDC --buy WETH

      solver route --sell USDC --buy-exact 300 WETH --slippage-bps 30

      solver route --sell 25 WBTC --buy DAI --max-hops 2 --gas-price-gwei 40

      solver route --sell 1000000 USDC --buy WETH --json | jq '.legs[] | {pool_name, amount_out}'

      solver route --sell 5 WETH --buy USDT --fork-url https://eth-mainnet.example/v2/KEY
    """
    exact_in, sell_amount, sell_token, buy_amount, buy_token = order_words(sell, buy, buy_exact)
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        node = session.node
        universe = Universe.discover(node, (*DEFAULT_TOKENS, *(tokens or [])))
        gas_price_wei = (
            int(node.rpc.call("eth_gasPrice"), 16) if gas_price_gwei is None else round(gas_price_gwei * 1e9)
        )
    router = Router(universe, max_hops=max_hops)
    token_in, token_out = universe.token(sell_token), universe.token(buy_token)
    amount = raw_amount(sell_amount, token_in) if exact_in else raw_amount(buy_amount, token_out)
    started = time.perf_counter()
    route = router.route(
        token_in.address,
        token_out.address,
        amount,
        "exact_in" if exact_in else "exact_out",
        gas_price_wei=gas_price_wei,
        eth_price=eth_price,
        slippage_bps=slippage_bps,
    )
    seconds = time.perf_counter() - started
    if json:
        data = route.to_dict()
        data["chain"] = session.description  # the route's "block" is where the pools were read
        data["universe"] = {"pools": len(universe.pools), "block": universe.block, **universe.cost.__dict__}
        print_json(data)
        return
    render_route(route, universe, session.description, seconds)


def _normalise(argv: list[str]) -> list[str]:
    """Join '--sell 1000000 USDC' into one option value, so both '--sell 1 WETH' and '--sell WETH' parse."""
    result: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if (
            word in _PAIRED
            and i + 2 < len(argv) + 0
            and not argv[i + 2].startswith("-")
            and _numeric(argv[i + 1])
        ):
            result += [word, f"{argv[i + 1]} {argv[i + 2]}"]
            i += 3
            continue
        result.append(word)
        i += 1
    return result


def _numeric(word: str) -> bool:
    try:
        Decimal(word.replace("_", "").replace(",", ""))
    except InvalidOperation:
        return False
    return True


def main() -> None:
    """Entry point: a failure the user can act on prints one line and exits 2, never a traceback."""
    try:
        app(args=_normalise(sys.argv[1:]), prog_name="solver")
    except (ChainError, RoutingError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
