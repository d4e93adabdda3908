"""The order that `solver route` and `solver execute` take, and how a route is printed: the shared options,
their parsing into (exact_in, amounts, tokens) and raw units, and the route table."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from amm.cli.common import out
from solver.routing.errors import InvalidOrder
from solver.routing.route import Route
from solver.routing.universe import Token, Universe

BuyOption = Annotated[
    str | None, typer.Option("--buy", metavar="TOKEN", help="What to buy with --sell AMOUNT TOKEN.")
]
BuyExactOption = Annotated[
    str | None,
    typer.Option("--buy-exact", metavar="AMOUNT TOKEN", help="Buy exactly this much (exact output)."),
]
MaxHopsOption = Annotated[
    int, typer.Option("--max-hops", min=1, max=3, help="Longest path: 1, 2 or 3 pools.")
]
SlippageBpsOption = Annotated[
    int, typer.Option("--slippage-bps", min=0, max=9999, help="Tolerance for the minimums: 50 = 0.5%.")
]


def order_words(
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


def raw_amount(amount: str | None, token: Token) -> int:
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


def whole_units(raw: int, decimals: int) -> str:
    """A raw amount in whole tokens for people: grouped, at most 8 decimals, no trailing zeros."""
    value = Decimal(raw) / 10**decimals
    return f"{value:,.{min(decimals, 8)}f}".rstrip("0").rstrip(".")


def _fmt(raw: int, token: Token) -> str:
    return f"{whole_units(raw, token.decimals)} {token.symbol}"


def _price(price: float, token_in: Token, token_out: Token) -> str:
    """The readable way round: '3,351.2 USDC per WETH' rather than '0.000298 WETH per USDC'."""
    if price >= 1:
        return f"{price:,.6g} {token_out.symbol} per {token_in.symbol}"
    return f"{1 / price:,.6g} {token_in.symbol} per {token_out.symbol}" if price > 0 else "?"


def render_route(route: Route, universe: Universe, chain: str, seconds: float) -> None:
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
