"""Mainnet addresses and the CREATE2 rules that place Uniswap pools.

The built-in chain puts every contract at its mainnet address, so code written against it runs unchanged on a
mainnet fork. Pool addresses are never listed by hand: they follow from factory, init-code hash and tokens.
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

# tokens
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
WBTC = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"  # shared/references.md lists a wrong, non-EIP-55 one

# Uniswap v3
V3_FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
V3_POOL_INIT_CODE_HASH = bytes.fromhex("e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54")
NONFUNGIBLE_POSITION_MANAGER = "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
NONFUNGIBLE_TOKEN_POSITION_DESCRIPTOR = "0xEe6A57eC80ea46401049E92587E52f5Ec1c24785"
SWAP_ROUTER = "0xE592427A0AEce92De3Edee1F18E0157C05861564"
SWAP_ROUTER_02 = "0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45"
QUOTER_V2 = "0x61fFE014bA17989E743c5F6cB21bF9697530B21e"
TICK_LENS = "0xbfd8137f7d1516D3ea5cA83523914859ec47F573"
UNISWAP_INTERFACE_MULTICALL = "0x1F98415757620B543A52E61c46B32eB19261F984"
UNISWAP_TIMELOCK = "0x1a9C8182C09F50C8318d769245beA52c32BE35BC"  # owner of the v3 factory on mainnet

# Uniswap v2
V2_FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
V2_PAIR_INIT_CODE_HASH = bytes.fromhex("96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f")
V2_ROUTER_02 = "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"

# Permit2, placed by CREATE2 through the deterministic deployer (Arachnid's; anvil predeploys it), so its
# EIP-712 domain separator, cached with address(this) in immutables, is the one its address implies
CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
PERMIT2_SALT = bytes.fromhex("0000000000000000000000000000000000000000d3af2663da51c10215000000")

# UniswapX (PriorityOrderReactor is not deployed on mainnet: this is its Base address)
EXCLUSIVE_DUTCH_ORDER_REACTOR = "0x6000da47483062A0D734Ba3dc7576Ce6A0B645C4"
V2_DUTCH_ORDER_REACTOR = "0x00000011F84B9aa48e5f8aA8B9897600006289Be"
V3_DUTCH_ORDER_REACTOR = "0x0000000015757c461808EA25Eb309638B62681cf"
PRIORITY_ORDER_REACTOR = "0x000000001Ec5656dcdB24D90DFa42742738De729"
UNISWAPX_ORDER_QUOTER = "0xc6ef4C96Ee89e48Eff1C35545DBEED4Ad8dAC9D4"  # the SDK's chain-1 OrderQuoter

# CoW Protocol, CREATE2-deployed through the same deployer with the salt of @cowprotocol/contracts' deploy
# scripts (formatBytes32String("Mattresses in Berlin!")); the settlement's constructor CREATEs the relayer
GPV2_SETTLEMENT = "0x9008D19f58AAbD9eD0D60971565AA8510560ab41"
GPV2_VAULT_RELAYER = "0xC92E8bdf79f0507f65a392b0ab4667716BFE0110"
GPV2_AUTHENTICATOR = "0x2c4c28DDBdAc9C5E7055b4C863b72eA0149D8aFE"  # the proxy; the allow list
GPV2_AUTHENTICATOR_IMPLEMENTATION = "0x9E7Ae8Bdba9AA346739792d219a808884996Db67"
GPV2_AUTHENTICATOR_OWNER = "0x6Fb5916c0f57f88004d5b5EB25f6f4D77353a1eD"  # proxy owner and first manager
GPV2_SALT = b"Mattresses in Berlin!".ljust(32, b"\0")
BALANCER_VAULT = "0xBA12222222228d8Ba445958a75a0704d566BF2C8"  # the settlement's (not on the built-in chain)

# Ours: RouteExecutor (contracts/RouteExecutor.sol, constructed with the mainnet factories above), CREATE2'd
# through the same deployer with this salt on the built-in chain and on demand on any anvil (forks too); the
# address follows from the compiled code, so a change to the contract moves it (tests pin both)
ROUTE_EXECUTOR_SALT = b"amm-solver RouteExecutor".ljust(32, b"\0")
ROUTE_EXECUTOR = "0x6b6fE27ef606DD3771bA0ddF74a99E4A40ccCC2A"

# v3 fee tiers and their tick spacings, as enabled on mainnet (100 was added by governance in 2021)
FEE_TICK_SPACING: dict[int, int] = {100: 1, 500: 10, 3000: 60, 10000: 200}


def sort_tokens(token_a: str, token_b: str) -> tuple[str, str]:
    """(token0, token1): Uniswap orders a pair by address."""
    if token_a.lower() == token_b.lower():
        raise ValueError(f"identical tokens {token_a}")
    a, b = to_checksum_address(token_a), to_checksum_address(token_b)
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def create2_address(deployer: str, salt: bytes, init_code_hash: bytes) -> str:
    raw = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + init_code_hash)[12:]
    return to_checksum_address(raw)


def v3_pool_address(
    token_a: str,
    token_b: str,
    fee: int,
    *,
    factory: str = V3_FACTORY,
    init_code_hash: bytes = V3_POOL_INIT_CODE_HASH,
) -> str:
    """PoolAddress.computeAddress of v3-periphery."""
    token0, token1 = sort_tokens(token_a, token_b)
    salt = keccak(encode(["address", "address", "uint24"], [token0, token1, fee]))
    return create2_address(factory, salt, init_code_hash)


def v2_pair_address(
    token_a: str,
    token_b: str,
    *,
    factory: str = V2_FACTORY,
    init_code_hash: bytes = V2_PAIR_INIT_CODE_HASH,
) -> str:
    """UniswapV2Library.pairFor."""
    token0, token1 = sort_tokens(token_a, token_b)
    salt = keccak(bytes.fromhex(token0[2:]) + bytes.fromhex(token1[2:]))
    return create2_address(factory, salt, init_code_hash)
