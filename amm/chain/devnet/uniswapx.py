"""Permit2 and the UniswapX reactors and OrderQuoter at their real addresses on the built-in chain.

The bytecode is the one `@uniswap/uniswapx-sdk` ships (exported to build/artifacts/uniswapx/). Permit2 is
CREATE2-deployed exactly as on mainnet, because it caches its EIP-712 domain separator, made with
address(this), in immutables: moving its code would leave a separator for the wrong address and every
signature would fail. The reactors and the quoter hold no such self-reference, so they are deployed with
their real constructor arguments and moved with `deploy_at`.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.deploy import deploy_at
from amm.chain.errors import ChainError
from amm.chain.node import Node

# The owner (protocolFeeOwner) of the mainnet ExclusiveDutch and V3 reactors, per UniswapX's
# script/DeployExclusiveDutch.s.sol and deployments.md. The V2 and Priority deploy scripts read the owner
# from the environment; we give them the same timelock.
REACTOR_OWNER = mainnet.UNISWAP_TIMELOCK
REACTORS = (
    ("ExclusiveDutchOrderReactor", mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR),
    ("V2DutchOrderReactor", mainnet.V2_DUTCH_ORDER_REACTOR),
    ("V3DutchOrderReactor", mainnet.V3_DUTCH_ORDER_REACTOR),
    ("PriorityOrderReactor", mainnet.PRIORITY_ORDER_REACTOR),  # its Base address: not on mainnet
)


@dataclass(frozen=True)
class UniswapXContracts:
    """Where Permit2 and the UniswapX contracts live on the built-in chain."""

    permit2: str = mainnet.PERMIT2
    exclusive_dutch_order_reactor: str = mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR
    v2_dutch_order_reactor: str = mainnet.V2_DUTCH_ORDER_REACTOR
    v3_dutch_order_reactor: str = mainnet.V3_DUTCH_ORDER_REACTOR
    priority_order_reactor: str = mainnet.PRIORITY_ORDER_REACTOR
    order_quoter: str = mainnet.UNISWAPX_ORDER_QUOTER


def reactor_creation_code(name: str, permit2: str = mainnet.PERMIT2, owner: str = REACTOR_OWNER) -> bytes:
    """A reactor's creation code with its constructor arguments (permit2, protocolFeeOwner)."""
    return artifacts.load(name).creation_code(permit2, owner)


def deploy_permit2(node: Node, sender: str) -> str:
    """CREATE2 Permit2 through the deterministic deployer with its published salt, as on mainnet."""
    if not node.code(mainnet.CREATE2_DEPLOYER):
        raise ChainError(
            f"the deterministic CREATE2 deployer {mainnet.CREATE2_DEPLOYER} has no code on this node, so "
            "Permit2 cannot be placed at its mainnet address: start anvil without "
            "--disable-default-create2-deployer"
        )
    creation = artifacts.load("Permit2").bytecode
    expected = mainnet.create2_address(mainnet.CREATE2_DEPLOYER, mainnet.PERMIT2_SALT, keccak(creation))
    if expected != mainnet.PERMIT2:
        raise ChainError(f"Permit2's creation code would land at {expected}, not {mainnet.PERMIT2}")
    node.send(sender, mainnet.CREATE2_DEPLOYER, mainnet.PERMIT2_SALT + creation, what="CREATE2 Permit2")
    if not node.code(mainnet.PERMIT2):
        raise ChainError(f"the CREATE2 deployer left no code at {mainnet.PERMIT2}")
    return mainnet.PERMIT2


def deploy_uniswapx(node: Node, deployer: str) -> UniswapXContracts:
    """Permit2, the four reactors (owned by the Uniswap timelock) and the OrderQuoter."""
    contracts = UniswapXContracts()
    deploy_permit2(node, deployer)
    for name, target in REACTORS:
        deploy_at(node, deployer, reactor_creation_code(name), target, what=name)
    quoter = artifacts.load("OrderQuoter").bytecode
    deploy_at(node, deployer, quoter, contracts.order_quoter, what="OrderQuoter")
    return contracts
