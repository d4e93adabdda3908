"""Pool discovery from the factories' logs finds every built-in pool of a token, and a pool created just now
that no list names."""

from __future__ import annotations

from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import POOLS
from amm.chain.discovery import pools_between, pools_of
from amm.chain.node import Node


def test_every_built_in_pool_of_a_token_is_found(chain: Node) -> None:
    for symbol in ("WETH", "USDC", "WBTC", "DAI", "USDT"):
        token = getattr(mainnet, symbol)
        found = {p.address.lower(): p for p in pools_of(chain, token)}
        listed = [p for p in POOLS if token.lower() in (p.token0.address.lower(), p.token1.address.lower())]
        assert {p.address.lower() for p in listed} == set(found), symbol
        for spec in listed:
            pool = found[spec.address.lower()]
            assert (pool.kind, pool.token0.lower(), pool.token1.lower()) == (
                spec.kind,
                spec.token0.address.lower(),
                spec.token1.address.lower(),
            )
            if spec.kind == "v3":
                assert (pool.fee, pool.tick_spacing) == (spec.fee, spec.tick_spacing)


def test_a_pool_created_now_is_found(chain: Node, roles) -> None:
    """A 1% WBTC/DAI pool (none on the built-in list) created through the real factory."""
    before = {p.address for p in pools_between(chain, mainnet.WBTC, mainnet.DAI)}
    factory = chain.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    factory.transact("createPool", mainnet.WBTC, mainnet.DAI, 10_000, sender=roles.deployer)
    expected = mainnet.v3_pool_address(mainnet.WBTC, mainnet.DAI, 10_000)
    after = pools_between(chain, mainnet.DAI, mainnet.WBTC)
    (new,) = [p for p in after if p.address not in before]
    assert new.address == expected and new.fee == 10_000 and new.tick_spacing == 200 and new.kind == "v3"
