"""Errors shared by the pool models.

A model raises `Revert` exactly where the Solidity original would revert, with the same reason string, so
that a caller (or a differential test) can treat the model and the chain alike.
"""


class Revert(Exception):
    """The contract would revert; `reason` is its `require` message ('' for a bare require or overflow)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason or "<no reason>")
        self.reason = reason
