"""The swapper's surplus over the worst it signed for, exact per token and valued at fair value.

A UniswapX fill pays what the order resolves to in its block, so "surplus over the limit" is measured against
the order's signed bounds: on the input, the permitted maximum less what was taken (exact-out orders improve
there); on each output token, what its recipients received less the signed minimum (exact-in orders improve
there). A fill that lands before the decay runs out leaves the swapper the decay not yet spent, plus any
exclusivity override or priority-fee scaling.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from solver.accounting.units import to_decimal
from solver.intents.uniswapx import Order
from solver.settlement.uniswapx import OrderFill


def swapper_surplus(order: Order, filled: OrderFill) -> dict[str, int]:
    """Raw amounts by token (lower-case address), non-zero only: what the swapper got beyond its limits."""
    surplus: dict[str, int] = {}
    token_in = filled.resolved.input.token.lower()
    surplus[token_in] = order.permit_amount - filled.resolved.input.amount
    received: dict[str, int] = {}
    for (_recipient, token), amount in filled.received.items():
        received[token.lower()] = received.get(token.lower(), 0) + amount
    for token, least in order.min_outputs.items():
        surplus[token] = surplus.get(token, 0) + received.get(token, 0) - least
    return {token: amount for token, amount in surplus.items() if amount}


def surplus_value(surplus: dict[str, int], value: Callable[[str, int], float]) -> Decimal:
    """The surplus in the numeraire, `value(token, raw)` being the fair value of a raw amount."""
    return sum((to_decimal(value(token, amount)) for token, amount in surplus.items()), Decimal(0))
