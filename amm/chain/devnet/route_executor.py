"""Our RouteExecutor at one documented address (`addresses.ROUTE_EXECUTOR`) on the built-in chain and on any
anvil: CREATE2 through the deterministic deployer with a fixed salt, its constructor given mainnet's factories
and init-code hashes, so the address follows from the compiled code alone and is the same on every chain
that has the deployer (a mainnet fork included).

Changing contracts/RouteExecutor.sol (or its compiler settings) moves the address: `creation_code` then lands
elsewhere and `deploy_route_executor` says so; update the constant (tests pin it and the runtime code hash).
"""

from __future__ import annotations

from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import ChainError
from amm.chain.node import Node


def creation_code() -> bytes:
    """RouteExecutor's init code for mainnet's factories (the built-in chain and mainnet forks share them)."""
    return artifacts.load("RouteExecutor").creation_code(
        mainnet.V3_FACTORY, mainnet.V3_POOL_INIT_CODE_HASH, mainnet.V2_FACTORY, mainnet.V2_PAIR_INIT_CODE_HASH
    )


def expected_address() -> str:
    """Where the CREATE2 deployer puts `creation_code()` with our salt."""
    return mainnet.create2_address(
        mainnet.CREATE2_DEPLOYER, mainnet.ROUTE_EXECUTOR_SALT, keccak(creation_code())
    )


def deploy_route_executor(node: Node, sender: str) -> str:
    """CREATE2 the RouteExecutor at `addresses.ROUTE_EXECUTOR` (a no-op when its code is already there)."""
    code = creation_code()
    landed = expected_address()
    if landed != mainnet.ROUTE_EXECUTOR:
        raise ChainError(
            f"RouteExecutor's compiled code would land at {landed}, not at the documented "
            f"{mainnet.ROUTE_EXECUTOR}: contracts/RouteExecutor.sol changed, update addresses.ROUTE_EXECUTOR"
        )
    if node.code(mainnet.ROUTE_EXECUTOR):
        return mainnet.ROUTE_EXECUTOR
    if not node.code(mainnet.CREATE2_DEPLOYER):
        raise ChainError(
            f"no deterministic CREATE2 deployer at {mainnet.CREATE2_DEPLOYER} on this node: RouteExecutor "
            f"cannot be placed at {mainnet.ROUTE_EXECUTOR}"
        )
    node.send(
        sender, mainnet.CREATE2_DEPLOYER, mainnet.ROUTE_EXECUTOR_SALT + code, what="CREATE2 RouteExecutor"
    )
    if not node.code(mainnet.ROUTE_EXECUTOR):
        raise ChainError(f"the CREATE2 deployer left no code at {mainnet.ROUTE_EXECUTOR} (RouteExecutor)")
    return mainnet.ROUTE_EXECUTOR
