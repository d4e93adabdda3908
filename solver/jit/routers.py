"""Put the Universal Router on a chain that lacks it (the built-in chain), at its mainnet address.

`@uniswap/universal-router@2.1.0`'s artifact is deployed with the built-in chain's Permit2, WETH and Uniswap
factories (no v4), and its runtime code is copied to the mainnet address the decoder knows by default. Its
constructor only sets immutables, which live in the runtime code, so the copy behaves as the deployment.
"""

from __future__ import annotations

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.node import Node
from solver.jit.decode import UNIVERSAL_ROUTER

ZERO = "0x0000000000000000000000000000000000000000"


def ensure_universal_router(node: Node, deployer: str, at: str = UNIVERSAL_ROUTER) -> str:
    """The Universal Router's address on `node`, deploying it there first if it has no code (anvil only)."""
    if node.code(at):
        return at
    artifact = artifacts.load("UniversalRouter")
    params = (
        mainnet.PERMIT2,
        mainnet.WETH,
        mainnet.V2_FACTORY,
        mainnet.V3_FACTORY,
        mainnet.V2_PAIR_INIT_CODE_HASH,
        mainnet.V3_POOL_INIT_CODE_HASH,
        ZERO,  # v4 PoolManager: none here
        mainnet.NONFUNGIBLE_POSITION_MANAGER,
        ZERO,  # v4 PositionManager
        ZERO,  # Across spoke pool
    )
    code = artifact.creation_code(params)
    deployed = node.deploy(deployer, code, what="deploy UniversalRouter")
    node.set_code(at, node.code(deployed))
    return at
