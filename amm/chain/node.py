"""What the toolkit asks of a node: reads, transactions (from unlocked or impersonated accounts, or signed
here with a key the caller hands in), anvil cheats.

Everything goes through one `RpcClient`; contracts are bound to an ABI codec from `amm.chain.abi`, so a call
costs one HTTP request and microseconds of Python.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from amm.chain import artifacts
from amm.chain.abi import ContractInterface
from amm.chain.errors import ChainError, RpcError, TransactionFailed, decode_revert
from amm.chain.rpc import RpcClient, block_tag

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

Receipt = dict[str, Any]


class Node:
    """A JSON-RPC endpoint (anvil, a fork, or any node) with typed helpers."""

    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc
        self._chain_id: int | None = None
        self._signers: dict[str, LocalAccount] = {}  # lower-case address -> key held in memory only
        self._nonces: dict[str, int] = {}  # lower-case signer address -> its next nonce, tracked here
        self.priority_fee_wei: int | None = (
            None  # signed EIP-1559 tip; None: the node's eth_maxPriorityFeePerGas
        )

    # reads -----------------------------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc.call("eth_chainId"), 16)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        return self.rpc.call("eth_getBlockByNumber", [block_tag(number), False])

    def accounts(self) -> list[str]:
        return [to_checksum_address(a) for a in self.rpc.call("eth_accounts")]

    def code(self, address: str, block: int | str = "latest") -> bytes:
        return bytes.fromhex(self.rpc.call("eth_getCode", [address, block_tag(block)])[2:])

    def balance(self, address: str, block: int | str = "latest") -> int:
        return int(self.rpc.call("eth_getBalance", [address, block_tag(block)]), 16)

    def storage_at(self, address: str, slot: int, block: int | str = "latest") -> int:
        return int(self.rpc.call("eth_getStorageAt", [address, hex(slot), block_tag(block)]), 16)

    def call(self, to: str, data: bytes, *, block: int | str = "latest", sender: str | None = None) -> bytes:
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            tx["from"] = sender
        return bytes.fromhex(self.rpc.call("eth_call", [tx, block_tag(block)])[2:])

    # transactions ----------------------------------------------------------------------------------------
    def add_signer(self, account: LocalAccount) -> str:
        """Sign `account`'s transactions here and send them raw: a node you run holds no unlocked key. The key
        stays in memory, in this object only; returns the account's address."""
        self._signers[account.address.lower()] = account
        self._nonces.pop(account.address.lower(), None)
        return to_checksum_address(account.address)

    def next_nonce(self, address: str) -> int:
        """The nonce the next signed transaction from `address` takes: tracked here, so quick sends in a row
        get consecutive nonces without waiting for the node's pending count to catch up."""
        key = address.lower()
        if key not in self._nonces:
            self._nonces[key] = int(self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
        return self._nonces[key]

    def resync_nonce(self, address: str) -> None:
        """Forget the tracked nonce: the next send asks the node (after 'nonce too low', a revert, ...)."""
        self._nonces.pop(address.lower(), None)

    def fees(self, priority_fee_wei: int | None = None) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for a type-2 transaction: twice the latest base fee plus the
        tip, so it stays includable through six full blocks of base-fee rises (12.5% each)."""
        tip = priority_fee_wei if priority_fee_wei is not None else self.priority_fee_wei
        if tip is None:
            block, raw_tip = self.rpc.batch(
                [("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", [])]
            )
            tip = int(raw_tip, 16)
        else:
            block = self.block()
        base = int(block.get("baseFeePerGas") or "0x0", 16)
        return 2 * base + tip, tip

    def send(
        self,
        sender: str,
        to: str | None = None,
        data: bytes = b"",
        *,
        value: int = 0,
        gas: int | None = None,
        gas_price: int | None = None,
        priority_fee_wei: int | None = None,
        what: str = "transaction",
    ) -> Receipt:
        """Send from an unlocked (or impersonated) account, or from a signer added with `add_signer` (signed
        here, sent with eth_sendRawTransaction), wait for the receipt, raise if it reverted.

        Signed transactions are EIP-1559 (type 2: maxFeePerGas = 2 x base fee + tip, the tip
        `priority_fee_wei`, else `self.priority_fee_wei`, else the node's eth_maxPriorityFeePerGas) with a
        locally tracked nonce; `gas_price` keeps legacy pricing.

        Without `gas`, the estimate is padded: an estimate taken in one block can fall short in the next
        (a v2 pair writes its price accumulators only when the timestamp moved), and anvil adds no margin.
        """
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            tx["to"] = to
        if gas_price is not None:  # legacy pricing: the whole price above the base fee is the priority fee
            tx["gasPrice"] = hex(gas_price)
        try:
            if gas is None:
                gas = estimate_with_margin(int(self.rpc.call("eth_estimateGas", [tx]), 16))
            tx["gas"] = hex(gas)
            signer = self._signers.get(sender.lower())
            if signer is None:
                tx_hash = self.rpc.call("eth_sendTransaction", [tx])
            else:
                tx_hash = self._send_signed(signer, tx, priority_fee_wei)
        except RpcError as err:
            if err.revert_reason is None:
                raise
            raise TransactionFailed("(not mined)", err.revert_reason, what) from None
        receipt = self.receipt(tx_hash)
        if int(receipt["status"], 16) != 1:
            raise TransactionFailed(tx_hash, self.failure_reason(receipt, gas), what)
        return receipt

    def _send_signed(self, signer: LocalAccount, tx: dict[str, Any], priority_fee_wei: int | None) -> str:
        """Sign `tx` with `signer` (type 2, or legacy when it carries a gasPrice) at the tracked nonce, send
        it raw; a 'nonce too low' (another sender used the key) resyncs from the node and tries once more."""
        fields: dict[str, Any] = {
            "gas": int(tx["gas"], 16),
            "value": int(tx["value"], 16),
            "data": tx["data"],
            "chainId": self.chain_id,
        }
        if "to" in tx:
            fields["to"] = to_checksum_address(tx["to"])
        if "gasPrice" in tx:
            fields["gasPrice"] = int(tx["gasPrice"], 16)
        else:
            fields["maxFeePerGas"], fields["maxPriorityFeePerGas"] = self.fees(priority_fee_wei)
            fields["type"] = 2
        for attempt in (1, 2):
            fields["nonce"] = self.next_nonce(signer.address)
            signed = signer.sign_transaction(fields)
            try:
                tx_hash = self.rpc.call(
                    "eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()]
                )
            except RpcError as err:
                self.resync_nonce(signer.address)
                if attempt == 1 and "nonce too low" in str(err).lower():
                    continue
                raise
            self._nonces[signer.address.lower()] = fields["nonce"] + 1
            return tx_hash
        raise AssertionError("unreachable")

    def receipt(self, tx_hash: str, *, timeout: float = 30.0) -> Receipt:
        """Wait for the receipt. anvil answers eth_sendTransaction before it has sealed the block (~50 ms on
        the built-in chain's large state), so poll; mine a block only if anvil is not mining at all."""
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            receipt = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise ChainError(f"transaction {tx_hash} was not mined within {timeout:g} s")
            if pause > 0.1 and self._automine() is False:
                self.mine()
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    def _automine(self) -> bool | None:
        """anvil's automine setting; None on nodes that don't say."""
        try:
            return bool(self.rpc.call("anvil_getAutomine"))
        except RpcError:
            return None

    def failure_reason(self, receipt: Receipt, gas_limit: int | None = None) -> str | None:
        """Why a mined transaction failed, from a call trace (exact even mid-block); None if unknown."""
        if gas_limit is not None and int(receipt["gasUsed"], 16) >= gas_limit:
            return f"out of gas (used all {gas_limit:,})"
        try:
            trace = self.rpc.call(
                "debug_traceTransaction", [receipt["transactionHash"], {"tracer": "callTracer"}]
            )
        except RpcError:
            return None
        output = trace.get("output")
        if output and output != "0x":
            return decode_revert(bytes.fromhex(output[2:]))
        return trace.get("error")

    def deploy(self, sender: str, creation_code: bytes, *, what: str = "deployment") -> str:
        receipt = self.send(sender, None, creation_code, what=what)
        return to_checksum_address(receipt["contractAddress"])

    # anvil cheats ----------------------------------------------------------------------------------------
    def snapshot(self) -> str:
        return self.rpc.call("evm_snapshot")

    def revert(self, snapshot_id: str) -> None:
        self._nonces.clear()  # the reverted chain forgot the transactions the tracked nonces counted
        if not self.rpc.call("evm_revert", [snapshot_id]):
            raise ChainError(f"evm_revert({snapshot_id}) failed: unknown snapshot")

    def mine(self, blocks: int = 1) -> None:
        self.rpc.call("anvil_mine", [hex(blocks)])

    def set_next_block_timestamp(self, timestamp: int) -> None:
        self.rpc.call("evm_setNextBlockTimestamp", [timestamp])

    def set_code(self, address: str, code: bytes) -> None:
        self.rpc.call("anvil_setCode", [address, "0x" + code.hex()])

    def set_storage_at(self, address: str, slot: int, value: int) -> None:
        self.rpc.call("anvil_setStorageAt", [address, _word(slot), _word(value)])

    def set_balance(self, address: str, wei: int) -> None:
        self.rpc.call("anvil_setBalance", [address, hex(wei)])

    @contextmanager
    def impersonating(self, address: str) -> Iterator[str]:
        """Send as `address` without its key (anvil only)."""
        self.rpc.call("anvil_impersonateAccount", [address])
        try:
            yield address
        finally:
            self.rpc.call("anvil_stopImpersonatingAccount", [address])

    def dump_state(self) -> bytes:
        """The whole chain state as anvil's JSON (what --load-state reads)."""
        raw = bytes.fromhex(self.rpc.call("anvil_dumpState")[2:])
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw

    def contract(self, name_or_interface: str | ContractInterface, address: str) -> Contract:
        iface = (
            artifacts.interface(name_or_interface)
            if isinstance(name_or_interface, str)
            else name_or_interface
        )
        return Contract(self, iface, to_checksum_address(address))


@dataclass(frozen=True)
class Contract:
    """An ABI bound to an address on a node."""

    node: Node
    interface: ContractInterface
    address: str

    def call(self, fn: str, *args: Any, block: int | str = "latest", sender: str | None = None) -> Any:
        function = self.interface.fn(fn)
        try:
            raw = self.node.call(self.address, function.encode(*args), block=block, sender=sender)
        except RpcError as err:
            reason = err.revert_reason
            if reason is None:
                raise
            what = f"{self.interface.name}.{function.name}"
            raise TransactionFailed("(eth_call)", self._readable(reason), what) from None
        return function.decode(raw)

    def transact(self, fn: str, *args: Any, sender: str, value: int = 0, gas: int | None = None) -> Receipt:
        """Send `fn(*args)`; a revert raises TransactionFailed with this contract's custom errors decoded
        (`LegSlippage(2, 99, 100)`, not the raw payload)."""
        function = self.interface.fn(fn)
        what = f"{self.interface.name}.{function.name}"
        try:
            return self.node.send(
                sender, self.address, function.encode(*args), value=value, gas=gas, what=what
            )
        except TransactionFailed as failed:
            readable = self._readable(failed.reason)
            if readable == failed.reason:
                raise
            raise TransactionFailed(failed.tx_hash, readable, what) from None

    def _readable(self, reason: str | None) -> str | None:
        """A raw custom-error payload (0x-hex) decoded with this contract's ABI, else as it was."""
        if not reason or not reason.startswith("0x"):
            return reason
        try:
            data = bytes.fromhex(reason[2:])
        except ValueError:
            return reason
        return self.interface.decode_error(data) or reason

    def events(self, receipt: Receipt, name: str) -> list[dict[str, Any]]:
        """Decoded `name` events that this contract emitted in `receipt`."""
        event = self.interface.event(name)
        topic = "0x" + event.topic.hex()
        return [
            event.decode(log)
            for log in receipt["logs"]
            if log["topics"] and log["topics"][0] == topic and log["address"].lower() == self.address.lower()
        ]


def estimate_with_margin(estimate: int) -> int:
    return estimate * 5 // 4 + 20_000


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()
