"""Errors of the chain layer.

Each carries a one-line, actionable message: the CLIs print `str(error)` and exit, never a traceback.
"""

from __future__ import annotations

from eth_abi import decode

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


class ChainError(Exception):
    """Base of every chain-layer failure; its message is one line a user can act on."""


class NodeUnreachable(ChainError):
    """Nothing answers at the RPC URL (wrong URL, node down, network)."""


class AnvilNotFound(ChainError):
    """No anvil binary in ANVIL_BIN, on PATH, or in node_modules."""


class AnvilDied(ChainError):
    """The anvil process exited, at start or later; the message quotes its last log line."""


class ArtifactMissing(ChainError):
    """A contract artifact is not on disk (npm packages not installed, or contracts not compiled)."""


class RpcError(ChainError):
    """The node answered a JSON-RPC call with an error (including a revert of eth_call or a transaction)."""

    def __init__(self, method: str, code: int, message: str, data: str | None = None) -> None:
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data
        super().__init__(f"{method} failed: {message} (code {code})")

    @property
    def revert_data(self) -> bytes | None:
        """The raw revert payload if the node returned one."""
        if not isinstance(self.data, str) or not self.data.startswith("0x"):
            return None
        return bytes.fromhex(self.data[2:])

    @property
    def revert_reason(self) -> str | None:
        """The contract's reason string, '' for a bare revert, None when this was not a revert."""
        data = self.revert_data
        if data is not None:
            return decode_revert(data)
        if "revert" in self.rpc_message.lower():
            return ""
        return None


class TransactionFailed(ChainError):
    """A transaction was mined but reverted."""

    def __init__(self, tx_hash: str, reason: str | None, what: str = "transaction") -> None:
        self.tx_hash = tx_hash
        self.reason = reason
        shown = f"'{reason}'" if reason else "without a reason"
        super().__init__(f"{what} {tx_hash} reverted {shown}")


def decode_revert(data: bytes) -> str:
    """Decode Error(string) or Panic(uint256) revert data; other custom errors come back as hex."""
    if not data:
        return ""
    if data[:4] == ERROR_SELECTOR:
        (reason,) = decode(["string"], data[4:])
        return str(reason)
    if data[:4] == PANIC_SELECTOR:
        (code,) = decode(["uint256"], data[4:])
        return f"Panic(0x{code:02x})"
    return "0x" + data.hex()
