"""Deploy real contracts at their mainnet addresses on anvil.

A contract cannot be CREATEd at an address of our choosing, so each one is deployed normally (its constructor
runs, with the real arguments) and then moved: its runtime code, with every occurrence of its temporary
address replaced by the target (immutables such as NoDelegateCall's `original`), and every storage slot its
constructor wrote (read with a diff-mode prestate trace) are set at the mainnet address.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import TOKENS
from amm.chain.errors import ChainError
from amm.chain.node import Node

NATIVE_LABEL = b"ETH".ljust(32, b"\0")  # NonfungibleTokenPositionDescriptor's nativeCurrencyLabelBytes
COMPILED_CONTRACTS = ("MintableERC20", "RouteExecutor")  # ours, from contracts/; the rest comes from npm


def deploy_at(node: Node, deployer: str, creation_code: bytes, target: str, *, what: str) -> str:
    """Run `creation_code` from `deployer`, then move the result to `target`. Returns `target`."""
    receipt = node.send(deployer, None, creation_code, what=f"deploy {what}")
    temporary = to_checksum_address(receipt["contractAddress"])
    trace = node.rpc.call(
        "debug_traceTransaction",
        [receipt["transactionHash"], {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
    )
    post = {k.lower(): v for k, v in trace["post"].items()}.get(temporary.lower(), {})
    code = node.code(temporary)
    old, new = bytes.fromhex(temporary[2:]), bytes.fromhex(target[2:])
    node.set_code(target, code.replace(old, new))
    for slot, value in post.get("storage", {}).items():
        node.set_storage_at(target, int(slot, 16), int(value, 16))
        node.set_storage_at(temporary, int(slot, 16), 0)
    node.set_code(temporary, b"")
    if node.code(target) != code.replace(old, new):
        raise ChainError(f"moving {what} to {target} failed")
    return target


@dataclass(frozen=True)
class CoreContracts:
    """Where the deployed contracts live (all mainnet addresses, except the NFT descriptor's library)."""

    weth: str = mainnet.WETH
    v3_factory: str = mainnet.V3_FACTORY
    v2_factory: str = mainnet.V2_FACTORY
    position_manager: str = mainnet.NONFUNGIBLE_POSITION_MANAGER
    swap_router: str = mainnet.SWAP_ROUTER
    swap_router02: str = mainnet.SWAP_ROUTER_02
    quoter_v2: str = mainnet.QUOTER_V2
    tick_lens: str = mainnet.TICK_LENS
    multicall: str = mainnet.UNISWAP_INTERFACE_MULTICALL
    v2_router02: str = mainnet.V2_ROUTER_02
    descriptor: str = mainnet.NONFUNGIBLE_TOKEN_POSITION_DESCRIPTOR


def deploy_core(node: Node, deployer: str, minter: str) -> CoreContracts:
    """Tokens, both factories and the periphery, each at its mainnet address; the v3 factory is handed to
    the Uniswap timelock after enabling the 0.01% tier, as on mainnet."""
    core = CoreContracts()

    def creation(name: str, *args: object) -> bytes:
        return artifacts.load(name).creation_code(*args)

    deploy_at(node, deployer, creation("WETH9"), core.weth, what="WETH9")
    for token in TOKENS.values():
        if token.symbol != "WETH":
            code = creation("MintableERC20", token.name, token.symbol, token.decimals, minter)
            deploy_at(node, deployer, code, token.address, what=token.symbol)

    deploy_at(node, deployer, creation("UniswapV3Factory"), core.v3_factory, what="UniswapV3Factory")
    factory = node.contract("UniswapV3Factory", core.v3_factory)
    factory.transact("enableFeeAmount", 100, 1, sender=deployer)
    factory.transact("setOwner", mainnet.UNISWAP_TIMELOCK, sender=deployer)
    deploy_at(
        node, deployer, creation("UniswapV2Factory", mainnet.UNISWAP_TIMELOCK), core.v2_factory, what="V2F"
    )

    library = node.deploy(deployer, artifacts.load("NFTDescriptor").bytecode, what="deploy NFTDescriptor")
    descriptor = artifacts.load("NonfungibleTokenPositionDescriptor")
    code = descriptor.linked({"NFTDescriptor": library}) + descriptor.interface.encode_constructor(
        core.weth, NATIVE_LABEL
    )
    deploy_at(node, deployer, code, core.descriptor, what="NonfungibleTokenPositionDescriptor")

    periphery = (
        ("NonfungiblePositionManager", core.position_manager, (core.v3_factory, core.weth, core.descriptor)),
        ("SwapRouter", core.swap_router, (core.v3_factory, core.weth)),
        ("QuoterV2", core.quoter_v2, (core.v3_factory, core.weth)),
        ("TickLens", core.tick_lens, ()),
        ("UniswapInterfaceMulticall", core.multicall, ()),
        ("UniswapV2Router02", core.v2_router02, (core.v2_factory, core.weth)),
        (
            "SwapRouter02",
            core.swap_router02,
            (core.v2_factory, core.v3_factory, core.position_manager, core.weth),
        ),
    )
    for name, target, args in periphery:
        deploy_at(node, deployer, creation(name, *args), target, what=name)
    return core
