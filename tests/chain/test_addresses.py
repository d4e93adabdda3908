"""Mainnet addresses and CREATE2: every pool address we use must be the one on mainnet."""

from __future__ import annotations

import pytest
from eth_utils import is_checksum_address, keccak

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import POOLS

# Mainnet addresses as published (Etherscan, Uniswap docs), typed in independently of the code under test.
KNOWN_V3_POOLS = {
    ("USDC", "WETH", 500): "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
    ("USDC", "WETH", 3000): "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8",
    ("WETH", "USDT", 3000): "0x4e68Ccd3E89f51C3074ca5072bbAC773960dFa36",
    ("WETH", "USDT", 500): "0x11b815efB8f581194ae79006d24E0d814B7697F6",
    ("WBTC", "WETH", 3000): "0xCBCdF9626bC03E24f779434178A73a0B4bad62eD",
    ("WBTC", "WETH", 500): "0x4585FE77225b41b697C938B018E2Ac67Ac5a20c0",
    ("DAI", "USDC", 100): "0x5777d92f208679DB4b9778590Fa3CAB3aC9e2168",
    ("USDC", "USDT", 100): "0x3416cF6C708Da44DB2624D63ea0AAef7113527C6",
    ("DAI", "WETH", 3000): "0xC2e9F25Be6257c210d7Adf0D4Cd6E3E881ba25f8",
}
KNOWN_V2_PAIRS = {
    ("USDC", "WETH"): "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc",
    ("DAI", "WETH"): "0xA478c2975Ab1Ea89e8196811F51A7B7Ade33eB11",
    ("WETH", "USDT"): "0x0d4a11d5EEaaC28EC3F61d100daF4d40471f1852",
    ("WBTC", "WETH"): "0xBb2b8038a1640196FbE3e38816F3e67Cba72D940",
}
TOKEN = {
    "WETH": mainnet.WETH,
    "USDC": mainnet.USDC,
    "USDT": mainnet.USDT,
    "DAI": mainnet.DAI,
    "WBTC": mainnet.WBTC,
}


@pytest.mark.parametrize(("pair", "expected"), KNOWN_V3_POOLS.items(), ids=str)
def test_v3_pool_address_is_mainnets(pair: tuple[str, str, int], expected: str) -> None:
    a, b, fee = pair
    assert mainnet.v3_pool_address(TOKEN[a], TOKEN[b], fee) == expected
    assert mainnet.v3_pool_address(TOKEN[b], TOKEN[a], fee) == expected  # order of arguments does not matter


@pytest.mark.parametrize(("pair", "expected"), KNOWN_V2_PAIRS.items(), ids=str)
def test_v2_pair_address_is_mainnets(pair: tuple[str, str], expected: str) -> None:
    assert mainnet.v2_pair_address(TOKEN[pair[0]], TOKEN[pair[1]]) == expected


def test_every_constant_is_an_eip55_address() -> None:
    names = [n for n in dir(mainnet) if n.isupper() and isinstance(getattr(mainnet, n), str)]
    assert len(names) >= 15
    for name in names:
        assert is_checksum_address(getattr(mainnet, name)), name


def test_references_wbtc_address_is_not_a_valid_checksum() -> None:
    """shared/references.md lists WBTC as 0x2260...4e3c: not EIP-55 valid, and it yields no known pool."""
    listed = "0x2260FAC5E5542a773Aa44fBCF7e1C7D2dD3B4e3c"
    assert not is_checksum_address(listed)
    assert (
        mainnet.v3_pool_address(listed.lower(), mainnet.WETH, 3000) != KNOWN_V3_POOLS[("WBTC", "WETH", 3000)]
    )


def test_spec_pools_are_in_token_order_and_at_create2_addresses() -> None:
    for pool in POOLS:
        assert mainnet.sort_tokens(pool.token0.address, pool.token1.address) == (
            pool.token0.address,
            pool.token1.address,
        )
        key = (pool.symbol0, pool.symbol1, pool.fee)
        if pool.kind == "v3" and key in KNOWN_V3_POOLS:
            assert pool.address == KNOWN_V3_POOLS[key]
        if pool.kind == "v2" and key[:2] in KNOWN_V2_PAIRS:
            assert pool.address == KNOWN_V2_PAIRS[key[:2]]


def test_npm_artifacts_hash_to_mainnets_init_code_hashes() -> None:
    """The pool bytecode we deploy is mainnet's: the CREATE2 init-code hashes match."""
    assert keccak(artifacts.load("UniswapV3Pool").bytecode) == mainnet.V3_POOL_INIT_CODE_HASH
    assert keccak(artifacts.load("UniswapV2Pair").bytecode) == mainnet.V2_PAIR_INIT_CODE_HASH
    assert (
        mainnet.V3_POOL_INIT_CODE_HASH.hex()
        == "e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
    )


def test_identical_tokens_are_rejected() -> None:
    with pytest.raises(ValueError, match="identical"):
        mainnet.sort_tokens(mainnet.WETH, mainnet.WETH.lower())
