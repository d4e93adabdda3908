"""Large swaps from a funded test account, signed and sent to the pending pool: flow for `solver jit run`.

On the built-in chain nobody else trades, so the bot needs someone to JIT: this account sends seeded random
swaps (both directions, log-uniform sizes, through SwapRouter and SwapRouter02) on the big v3 pools, as raw
signed transactions that wait in the pending pool for the bot's next block.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from eth_account import Account
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.node import Node
from amm.chain.tokens import deal

DEADLINE = 2**40
MAX_UINT = 2**256 - 1
# whole-token sizes a feed swap is drawn from (log-uniform), per input token
SIZES: dict[str, tuple[float, float]] = {
    mainnet.USDC: (2e4, 4e6),
    mainnet.USDT: (2e4, 4e6),
    mainnet.DAI: (2e4, 1e6),
    mainnet.WETH: (5.0, 1_300.0),
    mainnet.WBTC: (0.3, 60.0),
}
DECIMALS = {mainnet.USDC: 6, mainnet.USDT: 6, mainnet.DAI: 18, mainnet.WETH: 18, mainnet.WBTC: 8}
POOLS = (
    (mainnet.USDC, mainnet.WETH, 500),
    (mainnet.WETH, mainnet.USDT, 500),
    (mainnet.USDC, mainnet.WETH, 3000),
)


@dataclass(frozen=True)
class FedSwap:
    tx_hash: str
    sender: str
    token_in: str
    token_out: str
    fee: int
    amount_in: int
    router: str


class SwapFeed:
    """Sends seeded random swaps, each from the next of `users` accounts in turn (anvil: they are funded and
    approve the routers through impersonation in `prepare`)."""

    def __init__(self, node: Node, *, users: int = 4, seed: int = 1, gas_price_wei: int = 10**10) -> None:
        self.node = node
        self.keys = ["0x" + keccak(f"solver.jit feed user {i}".encode()).hex() for i in range(users)]
        self.addresses = [Account.from_key(k).address for k in self.keys]
        self.rng = random.Random(seed)
        self.gas_price_wei = gas_price_wei
        self._next = 0
        self._nonces: dict[str, int] = {}

    def prepare(self) -> None:
        """Fund every user (ETH and ten times the largest swap of each token) and approve both routers (sends
        and waits: call while the node still automines)."""
        for address in self.addresses:
            self.node.set_balance(address, 1_000 * 10**18)
            for token, (_, high) in SIZES.items():
                deal(self.node, token, address, int(high * 10) * 10 ** DECIMALS[token])
            with self.node.impersonating(address):
                for router in (mainnet.SWAP_ROUTER, mainnet.SWAP_ROUTER_02):
                    for token in DECIMALS:
                        erc20 = self.node.contract("MintableERC20", token)
                        erc20.transact("approve", router, MAX_UINT, sender=address)

    def send(self, count: int) -> list[FedSwap]:
        """Sign and send `count` swaps to the pending pool (nothing is mined here)."""
        return [self._send_one() for _ in range(count)]

    def _send_one(self) -> FedSwap:
        key, sender = self.keys[self._next], self.addresses[self._next]
        self._next = (self._next + 1) % len(self.keys)
        a, b, fee = self.rng.choice(POOLS)
        token_in, token_out = (a, b) if self.rng.random() < 0.5 else (b, a)
        low, high = SIZES[token_in]
        whole = low * (high / low) ** self.rng.random()
        amount = int(whole * 10 ** min(DECIMALS[token_in], 6)) * 10 ** max(DECIMALS[token_in] - 6, 0)
        router = self.rng.choice((mainnet.SWAP_ROUTER, mainnet.SWAP_ROUTER_02))
        kind = "SwapRouter" if router == mainnet.SWAP_ROUTER else "SwapRouter02"
        if kind == "SwapRouter":
            params: tuple[object, ...] = (token_in, token_out, fee, sender, DEADLINE, amount, 0, 0)
        else:
            params = (token_in, token_out, fee, sender, amount, 0, 0)
        data = artifacts.interface(kind).encode("exactInputSingle", params)
        if sender not in self._nonces:
            self._nonces[sender] = int(self.node.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)
        tx = {
            "type": 2,
            "chainId": self.node.chain_id,
            "nonce": self._nonces[sender],
            "to": router,
            "value": 0,
            "data": data,
            "gas": 1_000_000,
            "maxFeePerGas": self.gas_price_wei,
            "maxPriorityFeePerGas": self.gas_price_wei // 10,
        }
        raw = bytes(Account.sign_transaction(tx, key).raw_transaction)
        self._nonces[sender] += 1
        tx_hash = self.node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        return FedSwap(tx_hash, sender, token_in, token_out, fee, amount, kind)
