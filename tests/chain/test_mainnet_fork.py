"""Against a real mainnet fork: our addresses and models meet the real chain (skips without ETH_RPC_URL)."""

from __future__ import annotations

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import POOLS, TOKENS
from amm.chain.overview import read_overview
from amm.chain.session import ChainSession
from amm.chain.tokens import approve, balance_of, deal

pytestmark = pytest.mark.mainnet


def test_spec_pools_exist_on_mainnet_with_our_tokens(mainnet_fork: ChainSession) -> None:
    overviews, missing = read_overview(mainnet_fork.node, POOLS)
    assert not missing
    for overview in overviews:
        assert overview.liquidity > 0, overview.name


def test_deal_works_on_real_tokens(mainnet_fork: ChainSession) -> None:
    someone = "0x00000000000000000000000000000000DeaDBeef"
    snapshot = mainnet_fork.node.snapshot()
    try:
        for token in TOKENS.values():
            deal(mainnet_fork.node, token.address, someone, 12345)
            assert balance_of(mainnet_fork.node, token.address, someone) == 12345
    finally:
        mainnet_fork.node.revert(snapshot)


def test_real_swap_matches_real_quoter(mainnet_fork: ChainSession) -> None:
    node = mainnet_fork.node
    someone = "0x00000000000000000000000000000000DeaDBeef"
    snapshot = node.snapshot()
    try:
        node.set_balance(someone, 10**20)
        deal(node, mainnet.USDC, someone, 10**12)
        quoted = node.contract("QuoterV2", mainnet.QUOTER_V2).call(
            "quoteExactInputSingle", (mainnet.USDC, mainnet.WETH, 10**11, 500, 0)
        )[0]
        with node.impersonating(someone):
            approve(node, mainnet.USDC, someone, mainnet.SWAP_ROUTER)
            router = node.contract("SwapRouter", mainnet.SWAP_ROUTER)
            params = (mainnet.USDC, mainnet.WETH, 500, someone, 2**32 - 1, 10**11, 0, 0)
            router.transact("exactInputSingle", params, sender=someone)
        assert balance_of(node, mainnet.WETH, someone) == quoted
    finally:
        node.revert(snapshot)
