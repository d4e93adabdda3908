"""Permit2 and UniswapX on the built-in chain: the SDK's bytecode at the real addresses, wired as deployed."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from eth_abi import encode
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.uniswapx import REACTORS, UniswapXContracts, deploy_permit2, reactor_creation_code
from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.session import ChainSession

ZERO_ADDRESS = "0x" + "00" * 20
EIP712_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,uint256 chainId,address verifyingContract)")


def test_every_contract_has_code_and_the_manifest_lists_it(chain: Node, devnet: ChainSession) -> None:
    contracts = asdict(UniswapXContracts())
    assert devnet.manifest["uniswapx"] == contracts
    for name, address in contracts.items():
        assert chain.code(address), name


def test_permit2_is_where_create2_of_its_creation_code_puts_it() -> None:
    creation = artifacts.load("Permit2").bytecode
    address = mainnet.create2_address(mainnet.CREATE2_DEPLOYER, mainnet.PERMIT2_SALT, keccak(creation))
    assert address == mainnet.PERMIT2


def test_permit2_code_is_what_its_creation_code_produces_at_that_address(chain: Node) -> None:
    """Wipe Permit2 (in the snapshot) and CREATE2 it again: the runtime code, immutables included, matches."""
    code_hash = chain.rpc.call("eth_getProof", [mainnet.PERMIT2, [], "latest"])["codeHash"]
    deployed = chain.code(mainnet.PERMIT2)
    assert bytes.fromhex(code_hash[2:]) == keccak(deployed)

    chain.set_code(mainnet.PERMIT2, b"")
    chain.rpc.call("anvil_setNonce", [mainnet.PERMIT2, "0x0"])  # else CREATE2 sees a collision
    deploy_permit2(chain, chain.accounts()[0])
    assert keccak(chain.code(mainnet.PERMIT2)) == keccak(deployed)


def test_permit2_domain_separator_is_the_one_its_address_and_chain_imply(chain: Node) -> None:
    domain = encode(
        ["bytes32", "bytes32", "uint256", "address"],
        [EIP712_DOMAIN_TYPEHASH, keccak(b"Permit2"), chain.chain_id, mainnet.PERMIT2],
    )
    permit2 = chain.contract("Permit2", mainnet.PERMIT2)
    assert permit2.call("DOMAIN_SEPARATOR") == keccak(domain)


def test_placing_permit2_without_the_create2_deployer_fails_clearly(chain: Node) -> None:
    chain.set_code(mainnet.CREATE2_DEPLOYER, b"")
    with pytest.raises(ChainError, match="CREATE2 deployer"):
        deploy_permit2(chain, chain.accounts()[0])


@pytest.mark.parametrize(("name", "address"), REACTORS, ids=[name for name, _ in REACTORS])
def test_reactor_is_wired_to_permit2_owned_by_the_timelock_and_has_fresh_code(
    chain: Node, name: str, address: str
) -> None:
    reactor = chain.contract(name, address)
    assert reactor.call("permit2").lower() == mainnet.PERMIT2.lower()
    assert reactor.call("owner").lower() == mainnet.UNISWAP_TIMELOCK.lower()
    assert reactor.call("feeController").lower() == ZERO_ADDRESS
    fresh = chain.deploy(chain.accounts()[0], reactor_creation_code(name), what=f"deploy {name}")
    assert chain.code(address) == chain.code(fresh)
    # what the constructor stored (owner, the reentrancy guard's unlocked state) came along with the code
    assert [chain.storage_at(address, slot) for slot in range(4)] == [
        chain.storage_at(fresh, slot) for slot in range(4)
    ]


def test_order_quoter_has_the_code_a_fresh_deployment_has(chain: Node) -> None:
    creation = artifacts.load("OrderQuoter").bytecode
    fresh = chain.deploy(chain.accounts()[0], creation, what="deploy OrderQuoter")
    assert chain.code(mainnet.UNISWAPX_ORDER_QUOTER) == chain.code(fresh)
