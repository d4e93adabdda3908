"""Our own Solidity, compiled by solc-js from contracts/, deploys and works on a real anvil."""

from __future__ import annotations

import pytest

from amm.chain import artifacts
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node


def deploy_token(node: Node, deployer: str, decimals: int) -> str:
    code = artifacts.load("MintableERC20").creation_code("Test Token", "TST", decimals, deployer)
    return node.deploy(deployer, code, what="deploy MintableERC20")


@pytest.mark.parametrize("decimals", [0, 6, 8, 18, 24])
def test_mintable_erc20_any_decimals(chain: Node, roles, decimals: int) -> None:
    minter, holder, other = roles.deployer, roles.users[0], roles.users[1]
    token = chain.contract("MintableERC20", deploy_token(chain, minter, decimals))
    assert (token.call("name"), token.call("symbol"), token.call("decimals")) == (
        "Test Token",
        "TST",
        decimals,
    )
    token.transact("mint", holder, 5 * 10**decimals, sender=minter)
    token.transact("transfer", other, 2 * 10**decimals, sender=holder)
    assert token.call("balanceOf", holder) == 3 * 10**decimals
    assert token.call("balanceOf", other) == 2 * 10**decimals
    assert token.call("totalSupply") == 5 * 10**decimals


def test_only_the_minter_mints(chain: Node, roles) -> None:
    token = chain.contract("MintableERC20", deploy_token(chain, roles.deployer, 18))
    with pytest.raises(TransactionFailed) as raised:
        token.transact("mint", roles.users[0], 1, sender=roles.users[0])
    assert raised.value.reason == f"NotMinter({roles.users[0]})"  # the custom error, decoded with the ABI


def test_transfer_from_needs_allowance(chain: Node, roles) -> None:
    token = chain.contract("MintableERC20", deploy_token(chain, roles.deployer, 6))
    owner, spender = roles.users[0], roles.users[1]
    token.transact("mint", owner, 100, sender=roles.deployer)
    with pytest.raises(TransactionFailed):
        token.transact("transferFrom", owner, spender, 1, sender=spender)
    token.transact("approve", spender, 60, sender=owner)
    token.transact("transferFrom", owner, spender, 60, sender=spender)
    assert token.call("balanceOf", spender) == 60 and token.call("allowance", owner, spender) == 0
