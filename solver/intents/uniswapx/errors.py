"""Why an order cannot be parsed, signed for, or filled: each failure carries a stable `code`.

The codes are the `Rejection` codes of `check` (see `checks.py`), so a bot can branch on them; the message is
one line naming the reactor's own error where the reactor would revert.
"""

from __future__ import annotations


class OrderError(Exception):
    """Base of the UniswapX layer's failures; `code` is stable, `str(error)` is one line."""

    code = "invalid_order"

    def __init__(self, reason: str, *, code: str | None = None, error: str | None = None) -> None:
        super().__init__(reason)
        if code is not None:
            self.code = code
        self.reason = reason
        self.error = error  # the reactor's / Permit2's custom error name, where one applies


class MalformedOrder(OrderError):
    """Bytes that do not decode as the order kind (or an unknown kind): the reactor's abi.decode reverts."""

    code = "malformed"


class OrderReverts(OrderError):
    """The reactor (or Permit2) would revert while resolving or filling this order."""


class InvalidSignature(OrderError):
    """A signature that recovers no address (bad length, v, r or s): ecrecover would return zero."""

    code = "invalid_signature"
