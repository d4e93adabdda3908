"""The inventory is what the chain says the filler holds, in one batch, against its policy."""

from __future__ import annotations

import pytest

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from solver.accounting.inventory import NATIVE, Inventory, TokenPolicy
from solver.routing.universe import Token

HOLDER = "0x00000000000000000000000000000000C0FFEE00"
WETH = Token(mainnet.WETH, "WETH", 18)
USDC = Token(mainnet.USDC, "USDC", 6)
ETH = Token(NATIVE, "ETH", 18)


def test_balances_are_read_from_the_chain_in_one_request(chain: Node, fund) -> None:
    fund("WETH", HOLDER, 7 * 10**18)
    fund("USDC", HOLDER, 12_345 * 10**6)
    fund.eth(HOLDER, 3 * 10**18)
    inventory = Inventory(chain, HOLDER, (WETH, USDC, ETH))
    before = chain.rpc.http_requests
    balances = inventory.refresh()
    assert chain.rpc.http_requests - before == 1
    assert balances == {mainnet.WETH: 7 * 10**18, mainnet.USDC: 12_345 * 10**6, NATIVE: 3 * 10**18}
    assert inventory.block == chain.block_number()
    fair = {mainnet.WETH: 3_000.0, mainnet.USDC: 1.0, NATIVE: 3_000.0}
    assert inventory.value(fair) == pytest.approx(7 * 3_000 + 12_345 + 3 * 3_000)


def test_policy_band_and_limit(chain: Node, fund) -> None:
    policy = TokenPolicy(target=5 * 10**18, band=10**18, hard_limit=10 * 10**18)
    inventory = Inventory(chain, HOLDER, (WETH,), {mainnet.WETH: policy})
    fund("WETH", HOLDER, 5_500 * 10**15)
    inventory.refresh()
    assert inventory.deviation(mainnet.WETH) == 5 * 10**17 and not inventory.outside_band(mainnet.WETH)
    assert inventory.room_to_buy(mainnet.WETH) == 4_500 * 10**15
    fund("WETH", HOLDER, 6_500 * 10**15)
    inventory.refresh()
    assert inventory.outside_band(mainnet.WETH)
    with pytest.raises(ValueError, match="inside the band"):
        TokenPolicy(target=10, band=5, hard_limit=12)
