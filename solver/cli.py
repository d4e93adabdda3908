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
from rich.table import Table

from amm.chain.errors import ChainError
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, err, out, print_json
from solver.cli_backtest import backtest_command
from solver.cli_cow import serve_cow_command
from solver.cli_execute import execute_command, whole_units
from solver.cli_jit import app as jit_app
from solver.cli_run import run_command
from solver.cli_stress import app as stress_app
from solver.routing.errors import InvalidOrder, RoutingError
from solver.routing.route import Route
from solver.routing.router import Router
from solver.routing.universe import DEFAULT_TOKENS, Token, Universe

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
    buy: Annotated[
        str | None, typer.Option("--buy", metavar="TOKEN", help="What to buy with --sell AMOUNT TOKEN.")
    ] = None,
    buy_exact: Annotated[
        str | None,
        typer.Option("--buy-exact", metavar="AMOUNT TOKEN", help="Buy exactly this much (exact output)."),
    ] = None,
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
    max_hops: Annotated[
        int, typer.Option("--max-hops", min=1, max=3, help="Longest path: 1, 2 or 3 pools.")
    ] = 3,
    slippage_bps: Annotated[
        int, typer.Option("--slippage-bps", min=0, max=9999, help="Tolerance for the minimums: 50 = 0.5%.")
    ] = 50,
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
    exact_in, sell_amount, sell_token, buy_amount, buy_token = _order_words(sell, buy, buy_exact)
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        node = session.node
        universe = Universe.discover(node, (*DEFAULT_TOKENS, *(tokens or [])))
        gas_price_wei = (
            int(node.rpc.call("eth_gasPrice"), 16) if gas_price_gwei is None else round(gas_price_gwei * 1e9)
        )
    router = Router(universe, max_hops=max_hops)
    token_in, token_out = universe.token(sell_token), universe.token(buy_token)
    amount = _raw(sell_amount, token_in) if exact_in else _raw(buy_amount, token_out)
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
    _render(route, universe, session.description, seconds)


def _order_words(
    sell: str | None, buy: str | None, buy_exact: str | None
) -> tuple[bool, str | None, str, str | None, str]:
    """(exact_in, sell amount, sell token, buy amount, buy token) from the options, or a one-line error."""
    sell_words = (sell or "").split()
    if buy_exact is not None:
        words = buy_exact.split()
        if buy is not None or len(words) != 2 or len(sell_words) != 1:
            raise InvalidOrder(
                "exact output is --sell TOKEN --buy-exact AMOUNT TOKEN "
                "(e.g. --sell USDC --buy-exact 300 WETH)"
            )
        return False, None, sell_words[0], words[0], words[1]
    if buy is None or len(sell_words) != 2:
        raise InvalidOrder(
            "give --sell AMOUNT TOKEN --buy TOKEN (exact input) or --sell TOKEN --buy-exact AMOUNT TOKEN"
        )
    return True, sell_words[0], sell_words[1], None, buy


def _raw(amount: str | None, token: Token) -> int:
    """Whole tokens (1000000, 0.5, 1e6, 1_000) to raw units, exactly."""
    try:
        value = Decimal((amount or "").replace("_", "").replace(",", ""))
    except InvalidOperation:
        raise InvalidOrder(f"not an amount: {amount!r}") from None
    raw = value * 10**token.decimals
    if raw != raw.to_integral_value():
        raise InvalidOrder(
            f"{token.symbol} has {token.decimals} decimals: {amount} is not a whole number of raw units"
        )
    return int(raw)


def _fmt(raw: int, token: Token) -> str:
    return f"{whole_units(raw, token.decimals)} {token.symbol}"


def _price(price: float, token_in: Token, token_out: Token) -> str:
    """The readable way round: '3,351.2 USDC per WETH' rather than '0.000298 WETH per USDC'."""
    if price >= 1:
        return f"{price:,.6g} {token_out.symbol} per {token_in.symbol}"
    return f"{1 / price:,.6g} {token_in.symbol} per {token_out.symbol}" if price > 0 else "?"


def _render(route: Route, universe: Universe, chain: str, seconds: float) -> None:
    order = route.order
    tokens = {t.address.lower(): t for t in universe.tokens.values()}
    kind = "exact input" if order.exact_in else "exact output"
    table = Table(
        title=f"{kind} route on the {chain} (pools read at block {universe.block})", title_justify="left"
    )
    columns = ("#", "pool", "in", "out", "max in" if not order.exact_in else "min out", "ticks", "gas")
    for column in columns:
        table.add_column(column, justify="left" if column == "pool" else "right")
    for n, leg in enumerate(route.legs, 1):
        t_in, t_out = tokens[leg.token_in.lower()], tokens[leg.token_out.lower()]
        limit = leg.limit(route.slippage_bps)
        table.add_row(
            str(n),
            leg.pool_name,
            _fmt(leg.amount_in, t_in),
            _fmt(leg.amount_out, t_out),
            _fmt(limit, t_in if leg.exact_output else t_out),
            str(leg.ticks_crossed),
            f"{leg.gas:,}",
        )
    out.print(table)
    slip = f"{route.slippage_bps / 100:g}% slippage"
    if order.exact_in:
        out.print(
            f"sell [bold]{_fmt(route.amount_in, order.sell)}[/bold] -> "
            f"[bold]{_fmt(route.amount_out, order.buy)}"
            f"[/bold] (at least {_fmt(route.min_amount_out, order.buy)} with {slip})"
        )
    else:
        out.print(
            f"buy [bold]{_fmt(route.amount_out, order.buy)}[/bold] for "
            f"[bold]{_fmt(route.amount_in, order.sell)}"
            f"[/bold] (at most {_fmt(route.max_amount_in, order.sell)} with {slip})"
        )
    out.print(
        f"effective price {_price(route.effective_price, order.sell, order.buy)}; best spot "
        f"{_price(route.spot_price, order.sell, order.buy)}; "
        f"price impact {route.price_impact:.3%} (fees included)"
    )
    gas_token = order.buy if order.exact_in else order.sell
    net = (
        f"net {_fmt(route.net_amount_out, order.buy)}"
        if order.exact_in
        else f"net cost {_fmt(route.net_amount_in, order.sell)}"
    )
    out.print(
        f"gas ~{route.gas_units:,} units at {route.gas_price_wei / 1e9:g} gwei "
        f"= {route.gas_cost_wei / 1e18:.6g} ETH "
        f"= {_fmt(route.gas_cost, gas_token)}; {net}"
    )
    cost = universe.cost
    out.print(
        f"[dim]{len(universe.pools)} pools read in {cost.requests} requests ({cost.calls:,} calls, "
        f"{cost.seconds:.1f} s); split found in {route.stats.search_seconds * 1e3:.1f} ms, "
        f"exact legs in {route.stats.exact_seconds * 1e3:.1f} ms ({seconds * 1e3:.1f} ms in all)[/dim]"
    )


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
