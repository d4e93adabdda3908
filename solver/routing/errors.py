"""Routing errors: each message is one line a user (or a bot's log) can act on.

They are not chain errors: a route can fail on a perfectly healthy chain because the order cannot be filled.
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base of every failure to route an order; `str(error)` is a one-line explanation."""


class UnknownToken(RoutingError):
    """A symbol or address that no pool of the universe trades."""


class SameToken(RoutingError):
    """Selling and buying the same token is not a trade."""


class NoRoute(RoutingError):
    """No path of pools (within the hop limit) connects the two tokens."""


class InsufficientLiquidity(RoutingError):
    """The pools cannot fill the order (too large an amount, or pools without liquidity)."""


class InvalidOrder(RoutingError):
    """Amount, slippage or gas settings that make no sense (zero or negative amount, slippage >= 100%)."""
