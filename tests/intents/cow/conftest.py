"""Owners of CoW orders on the built-in chain: throwaway keys, funded, that approve the vault relayer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, approve
from solver.routing.router import Router
from solver.routing.universe import Universe


@pytest.fixture(scope="session")
def universe(devnet) -> Universe:
    return Universe.discover(devnet.node)


@pytest.fixture
def router(universe: Universe) -> Router:
    return Router(universe)


@pytest.fixture
def owner(chain: Node, fund) -> Callable[..., tuple[str, str]]:
    """`owner(n, USDC=amount, ...)`: the n-th throwaway key, with ETH for gas, the tokens given, and the vault
    relayer approved for each of them; returns (key, address)."""

    def make(n: int, *, approved: bool = True, **tokens: int) -> tuple[str, str]:
        key = "0x" + (0xC0 + n).to_bytes(1, "big").hex() * 32
        address = Account.from_key(key).address
        chain.set_balance(address, 10**20)
        for symbol, amount in tokens.items():
            fund(symbol, address, amount)
            if approved:
                with chain.impersonating(address):
                    token = getattr(mainnet, symbol)
                    approve(chain, token, address, mainnet.GPV2_VAULT_RELAYER, MAX_UINT256)
        return key, address

    return make
