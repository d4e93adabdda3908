"""Funding helpers: `deal` finds each token's balance slot and writes any balance."""

from __future__ import annotations

import pytest

from amm.chain.devnet.spec import TOKENS
from amm.chain.node import Node
from amm.chain.tokens import balance_of, deal, find_balance_slot


@pytest.mark.parametrize("symbol", sorted(TOKENS))
def test_deal_sets_exact_balances(chain: Node, user: str, symbol: str) -> None:
    token = TOKENS[symbol].address
    for amount in (0, 1, 123_456_789 * 10 ** TOKENS[symbol].decimals):
        deal(chain, token, user, amount)
        assert balance_of(chain, token, user) == amount


def test_balance_slots_are_where_the_sources_put_them(chain: Node) -> None:
    assert find_balance_slot(chain, TOKENS["WETH"].address) == (
        3,
        False,
    )  # WETH9: name, symbol, decimals, balanceOf
    assert find_balance_slot(chain, TOKENS["USDC"].address) == (
        0,
        False,
    )  # OpenZeppelin ERC20: _balances first


def test_fund_fixture_gives_any_token(fund, chain: Node, roles) -> None:
    someone = "0x00000000000000000000000000000000DeaDBeef"
    fund("WBTC", someone, 7 * 10**8)
    fund.eth(someone, 10**18)
    assert balance_of(chain, TOKENS["WBTC"].address, someone) == 7 * 10**8
    assert chain.balance(someone) == 10**18
