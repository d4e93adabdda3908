"""A bare anvil with freshly deployed Uniswap contracts, for the tests that prove the models against bytecode.

The built-in chain carries a 42 MB state, and anvil spends ~50 ms sealing each block on it; the differential
tests send thousands of transactions, so they run on their own empty anvil (a few ms a block) where the real
v3 factory (owned by the Uniswap timelock address, as on mainnet), QuoterV2, the v2 factory (feeToSetter: the
timelock) and Router02 are deployed from the same npm artifacts as on the built-in chain. The timelock is
impersonated, so tests can switch protocol fees on and off the way governance does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.anvil import Anvil
from amm.chain.errors import TransactionFailed, decode_revert
from amm.chain.node import Node, Receipt

BLOCK_GAS = 1_000_000_000  # long walks through empty bitmap words cost more than a mainnet block holds
TX_GAS = 200_000_000


@dataclass(frozen=True)
class Bare:
    """The bare chain: its node, accounts, where each contract was deployed, and transaction helpers."""

    node: Node
    accounts: list[str]
    weth: str
    v3_factory: str
    quoter: str
    v2_factory: str
    v2_router: str
    owner: str = mainnet.UNISWAP_TIMELOCK  # owner of the v3 factory, feeToSetter of the v2 factory

    @property
    def deployer(self) -> str:
        return self.accounts[0]

    def send(self, sender: str, to: str, data: bytes, gas: int = TX_GAS) -> Receipt:
        """Send a transaction and wait for its block; raise TransactionFailed with the reason if it reverted.

        Unlike Node.send this never mines a block of its own while anvil is still sealing the transaction's
        (that block would take anvil's wall-clock time instead of the timestamp a test set for the next one),
        and a revert's reason is '' when the contract gave none.
        """
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(gas)}
        tx_hash = self.node.rpc.call("eth_sendTransaction", [tx])
        deadline = time.monotonic() + 60
        while (receipt := self.node.rpc.call("eth_getTransactionReceipt", [tx_hash])) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"transaction {tx_hash} was not mined within 60 s")
            time.sleep(0.001)
        if int(receipt["status"], 16) != 1:
            raise TransactionFailed(tx_hash, self.revert_reason(tx_hash))
        return receipt

    def revert_reason(self, tx_hash: str) -> str:
        """The reason string of a failed transaction, from a call trace; '' when the contract gave none.

        A bare `revert()` and the INVALID opcode that Solidity 0.5-0.7 executes on a division by zero both
        leave no data (the models raise Revert('') for both); anything else (out of gas) is returned as is.
        """
        trace = self.node.rpc.call("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        output = trace.get("output")
        if output and output != "0x":
            return decode_revert(bytes.fromhex(output[2:]))
        error = str(trace.get("error", "<unknown>"))
        return "" if "revert" in error.lower() or "invalid" in error.lower() else error

    def try_send(self, sender: str, to: str, data: bytes, *, at: int | None = None) -> Receipt | str:
        """`send` at block timestamp `at` (if given); the receipt, or the revert reason as a str."""
        if at is not None:
            self.node.set_next_block_timestamp(at)
        try:
            return self.send(sender, to, data)
        except TransactionFailed as err:
            return err.reason if err.reason is not None else "<unknown>"

    def read(self, calls: Sequence[tuple[str, bytes]]) -> list[str]:
        """eth_call each (address, calldata) at the latest block, in one JSON-RPC batch; raw hex results."""
        return self.node.rpc.batch(
            [("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"]) for to, data in calls]
        )

    def next_timestamp(self) -> int:
        """A block timestamp anvil accepts next: past both the latest block and its wall clock."""
        return max(int(self.node.block()["timestamp"], 16), int(time.time())) + 1

    def deploy_token(self, symbol: str) -> str:
        """A fresh MintableERC20 (18 decimals) whose minter is the deployer."""
        return self.node.deploy(
            self.deployer, creation_code("MintableERC20", symbol, symbol, 18, self.deployer)
        )

    def mint_tokens(self, token: str, holders: list[str], amount: int) -> None:
        contract = self.node.contract("MintableERC20", token)
        for holder in holders:
            self.send(self.deployer, token, contract.interface.encode("mint", holder, amount))


def creation_code(name: str, *args: object) -> bytes:
    """An npm or compiled artifact's creation code with its constructor arguments."""
    return artifacts.load(name).creation_code(*args)


@contextmanager
def bare_chain() -> Iterator[Bare]:
    """Start an empty anvil and deploy the Uniswap v3/v2 cores and lenses; stop it on exit."""
    with Anvil(args=["--gas-limit", str(BLOCK_GAS)]) as anvil:
        node = Node(anvil.rpc)
        accounts = node.accounts()
        deployer = accounts[0]
        weth = node.deploy(deployer, creation_code("WETH9"), what="WETH9")
        v3_factory = node.deploy(deployer, creation_code("UniswapV3Factory"), what="UniswapV3Factory")
        factory = node.contract("UniswapV3Factory", v3_factory)
        factory.transact("enableFeeAmount", 100, 1, sender=deployer)
        factory.transact("setOwner", mainnet.UNISWAP_TIMELOCK, sender=deployer)
        quoter = node.deploy(deployer, creation_code("QuoterV2", v3_factory, weth), what="QuoterV2")
        v2_factory = node.deploy(
            deployer, creation_code("UniswapV2Factory", mainnet.UNISWAP_TIMELOCK), what="UniswapV2Factory"
        )
        v2_router = node.deploy(
            deployer, creation_code("UniswapV2Router02", v2_factory, weth), what="Router02"
        )
        node.set_balance(mainnet.UNISWAP_TIMELOCK, 10**24)
        node.rpc.call("anvil_impersonateAccount", [mainnet.UNISWAP_TIMELOCK])
        yield Bare(node, accounts, weth, v3_factory, quoter, v2_factory, v2_router)
