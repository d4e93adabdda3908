"""CoW Protocol's GPv2Settlement, vault relayer and allow-list authenticator at their mainnet addresses.

Deployed the way mainnet was: the bytecode of `@cowprotocol/contracts`' `deployments/mainnet/*.json` (what was
deployed; `lib/contracts/` holds a later build that lands elsewhere), CREATE2 through the deterministic
deployer with the salt of the package's deploy scripts, in their order: the authenticator's implementation,
its EIP-1967 proxy (owner and manager the mainnet deployer's `owner`, set by `initializeManager` in the
proxy's constructor), then the settlement, whose constructor CREATEs the vault relayer. Nothing is moved, so
the settlement's EIP-712 domain separator (made with address(this)) is the mainnet one for this chain id.
Solvers are allowed as on mainnet: the manager calls `addSolver` (impersonated here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import ChainError
from amm.chain.node import Node


@dataclass(frozen=True)
class CowContracts:
    """Where CoW Protocol lives on the built-in chain, and which solvers its allow list admits."""

    settlement: str = mainnet.GPV2_SETTLEMENT
    vault_relayer: str = mainnet.GPV2_VAULT_RELAYER
    authenticator: str = mainnet.GPV2_AUTHENTICATOR
    manager: str = mainnet.GPV2_AUTHENTICATOR_OWNER
    solvers: tuple[str, ...] = field(default_factory=tuple)


def _create2(node: Node, sender: str, creation: bytes, expected: str, what: str) -> None:
    landed = mainnet.create2_address(mainnet.CREATE2_DEPLOYER, mainnet.GPV2_SALT, keccak(creation))
    if landed != expected:
        raise ChainError(f"{what}'s creation code would land at {landed}, not {expected}")
    node.send(sender, mainnet.CREATE2_DEPLOYER, mainnet.GPV2_SALT + creation, what=f"CREATE2 {what}")
    if not node.code(expected):
        raise ChainError(f"the CREATE2 deployer left no code at {expected} ({what})")


def deploy_cow(node: Node, deployer: str, solvers: tuple[str, ...]) -> CowContracts:
    """Deploy the authenticator, its proxy and the settlement; allow `solvers`."""
    if not node.code(mainnet.CREATE2_DEPLOYER):
        raise ChainError(f"no CREATE2 deployer at {mainnet.CREATE2_DEPLOYER}: CoW cannot be placed")
    implementation = artifacts.load("GPv2AllowListAuthentication")
    _create2(
        node,
        deployer,
        implementation.bytecode,
        mainnet.GPV2_AUTHENTICATOR_IMPLEMENTATION,
        "GPv2AllowListAuthentication",
    )
    manager = mainnet.GPV2_AUTHENTICATOR_OWNER
    init = implementation.interface.fn("initializeManager").encode(manager)
    proxy = artifacts.load("GPv2AllowListAuthenticationProxy").bytecode + encode(
        ["address", "address", "bytes"], [mainnet.GPV2_AUTHENTICATOR_IMPLEMENTATION, manager, init]
    )
    _create2(node, deployer, proxy, mainnet.GPV2_AUTHENTICATOR, "GPv2AllowListAuthentication proxy")
    settlement = artifacts.load("GPv2Settlement").bytecode + encode(
        ["address", "address"], [mainnet.GPV2_AUTHENTICATOR, mainnet.BALANCER_VAULT]
    )
    _create2(node, deployer, settlement, mainnet.GPV2_SETTLEMENT, "GPv2Settlement")
    if not node.code(mainnet.GPV2_VAULT_RELAYER):
        raise ChainError(f"GPv2Settlement left no vault relayer at {mainnet.GPV2_VAULT_RELAYER}")
    authenticator = node.contract("GPv2AllowListAuthentication", mainnet.GPV2_AUTHENTICATOR)
    node.set_balance(manager, 10**18)  # gas for its addSolver calls
    with node.impersonating(manager):
        for solver in solvers:
            authenticator.transact("addSolver", solver, sender=manager)
    return CowContracts(solvers=tuple(solvers))
