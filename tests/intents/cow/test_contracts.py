"""CoW Protocol on the built-in chain: the mainnet bytecode at the mainnet addresses, our solver allowed, and
the settlement's domain separator equal to the one our orders are signed with."""

from __future__ import annotations

import json

from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.node import Node
from amm.chain.session import ChainSession
from solver.intents.cow.order import domain_separator

DEPLOYMENTS = artifacts.project_root() / "node_modules/@cowprotocol/contracts/deployments/mainnet"


def _deployed(name: str) -> tuple[str, bytes]:
    data = json.loads((DEPLOYMENTS / f"{name}.json").read_text())
    return data["address"], bytes.fromhex(data["deployedBytecode"][2:])


def _differing_words(code: bytes, template: bytes) -> set[bytes]:
    """The 32-byte values at the places where `code` differs from `template` (immutables filled in)."""
    assert len(code) == len(template)
    found: set[bytes] = set()
    i = 0
    while i < len(code):
        if code[i] != template[i]:
            start = max(0, i - 31)
            window = next(code[s : s + 32] for s in range(start, i + 1) if template[s : s + 32] == bytes(32))
            found.add(window)
            i = start + 64
        else:
            i += 1
    return found


def test_authenticator_is_the_mainnet_code_at_the_mainnet_addresses(devnet: ChainSession) -> None:
    node = devnet.node
    for name, address in (
        ("GPv2AllowListAuthentication_Implementation", mainnet.GPV2_AUTHENTICATOR_IMPLEMENTATION),
        ("GPv2AllowListAuthentication_Proxy", mainnet.GPV2_AUTHENTICATOR),
    ):
        published_address, code = _deployed(name)
        assert published_address == address
        assert node.code(address) == code, name  # no immutables: byte for byte
        assert keccak(node.code(address)) == keccak(code)


def test_settlement_is_the_mainnet_code_with_its_immutables(devnet: ChainSession) -> None:
    """GPv2Settlement's runtime code equals the published deployed bytecode except where its immutables sit,
    and those hold exactly: the authenticator, the Balancer vault, the relayer and the domain separator."""
    node = devnet.node
    published_address, template = _deployed("GPv2Settlement")
    assert published_address == mainnet.GPV2_SETTLEMENT
    code = node.code(mainnet.GPV2_SETTLEMENT)
    separator = domain_separator(node.chain_id)
    words = {
        bytes(12) + bytes.fromhex(a[2:])
        for a in (mainnet.GPV2_AUTHENTICATOR, mainnet.BALANCER_VAULT, mainnet.GPV2_VAULT_RELAYER)
    }
    assert _differing_words(code, template) == {*words, separator}
    settlement = node.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT)
    assert settlement.call("domainSeparator") == separator
    assert settlement.call("authenticator").lower() == mainnet.GPV2_AUTHENTICATOR.lower()
    assert settlement.call("vaultRelayer").lower() == mainnet.GPV2_VAULT_RELAYER.lower()
    assert node.code(mainnet.GPV2_VAULT_RELAYER)  # CREATEd by the settlement's constructor


def test_our_solver_is_allowed_and_a_stranger_is_not(devnet: ChainSession, chain: Node) -> None:
    authenticator = chain.contract("GPv2AllowListAuthentication", mainnet.GPV2_AUTHENTICATOR)
    roles = devnet.roles
    assert roles is not None
    assert devnet.manifest["cow"]["solvers"] == [roles.solver]
    assert authenticator.call("isSolver", roles.solver) is True
    assert authenticator.call("isSolver", roles.users[0]) is False
    assert authenticator.call("manager").lower() == mainnet.GPV2_AUTHENTICATOR_OWNER.lower()
