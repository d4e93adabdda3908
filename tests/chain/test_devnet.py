"""The built-in mainnet-shaped chain: real contracts at mainnet addresses, usable the way mainnet is."""

from __future__ import annotations

import json
import random

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet import statefile
from amm.chain.devnet.build import Roles
from amm.chain.devnet.spec import POOLS, TOKENS, pool_by_name
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.session import ChainSession, start_devnet
from amm.chain.state import read_v3_state
from amm.chain.tokens import MAX_UINT256, approve, balance_of, balances

DEADLINE = 2**32 - 1
V3_POOLS = [p for p in POOLS if p.kind == "v3"]
V2_POOLS = [p for p in POOLS if p.kind == "v2"]


@pytest.mark.parametrize("pool", V3_POOLS, ids=lambda p: p.name)
def test_v3_pool_is_at_its_mainnet_address(chain: Node, pool) -> None:
    factory = chain.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    assert (
        factory.call("getPool", pool.token0.address, pool.token1.address, pool.fee).lower()
        == pool.address.lower()
    )
    contract = chain.contract("UniswapV3Pool", pool.address)
    assert contract.call("token0").lower() == pool.token0.address.lower()
    assert contract.call("token1").lower() == pool.token1.address.lower()
    assert contract.call("fee") == pool.fee
    assert contract.call("tickSpacing") == pool.tick_spacing
    assert contract.call("factory").lower() == mainnet.V3_FACTORY.lower()


@pytest.mark.parametrize("pool", V2_POOLS, ids=lambda p: p.name)
def test_v2_pair_is_at_its_mainnet_address(chain: Node, pool) -> None:
    factory = chain.contract("UniswapV2Factory", mainnet.V2_FACTORY)
    assert factory.call("getPair", pool.token0.address, pool.token1.address).lower() == pool.address.lower()
    reserve0, reserve1, _ = chain.contract("UniswapV2Pair", pool.address).call("getReserves")
    assert reserve0 > 0 and reserve1 > 0


def test_tokens_and_periphery_are_at_mainnet_addresses_and_wired_to_each_other(chain: Node) -> None:
    for token in TOKENS.values():
        erc20 = chain.contract("MintableERC20", token.address)
        assert erc20.call("symbol") == token.symbol
        assert erc20.call("decimals") == token.decimals
    for name, address in (
        ("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER),
        ("SwapRouter", mainnet.SWAP_ROUTER),
        ("QuoterV2", mainnet.QUOTER_V2),
    ):
        contract = chain.contract(name, address)
        assert contract.call("factory").lower() == mainnet.V3_FACTORY.lower(), name
        assert contract.call("WETH9").lower() == mainnet.WETH.lower(), name
    router02 = chain.contract("SwapRouter02", mainnet.SWAP_ROUTER_02)
    assert router02.call("factoryV2").lower() == mainnet.V2_FACTORY.lower()
    assert router02.call("positionManager").lower() == mainnet.NONFUNGIBLE_POSITION_MANAGER.lower()
    v2router = chain.contract("UniswapV2Router02", mainnet.V2_ROUTER_02)
    assert v2router.call("factory").lower() == mainnet.V2_FACTORY.lower()
    v3factory = chain.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    assert v3factory.call("owner").lower() == mainnet.UNISWAP_TIMELOCK.lower()
    assert [v3factory.call("feeAmountTickSpacing", f) for f in (100, 500, 3000, 10000)] == [1, 10, 60, 200]


def test_pools_hold_many_positions_over_many_ranges(chain: Node) -> None:
    pool = pool_by_name("USDC/WETH-500")
    state = read_v3_state(chain, pool.address)
    ticks = [(tick, info[0], info[1]) for tick, info in sorted(state.ticks.items())]
    assert len(ticks) > 150
    nets = [net for _, _, net in ticks]
    assert sum(nets) == 0  # every position adds at its lower tick what it removes at its upper
    assert len({abs(n) for n in nets}) > 100  # an uneven profile, not a few equal positions
    active = chain.contract("UniswapV3Pool", pool.address).call("liquidity")
    current = chain.contract("UniswapV3Pool", pool.address).call("slot0")[1]
    assert active == sum(net for tick, _, net in ticks if tick <= current)
    npm = chain.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    assert npm.call("totalSupply") > 1000


def test_history_left_swaps_over_a_week(devnet: ChainSession) -> None:
    pool = pool_by_name("USDC/WETH-500")
    node = devnet.node
    swap_topic = "0x" + node.contract("UniswapV3Pool", pool.address).interface.event("Swap").topic.hex()
    logs = node.rpc.call(
        "eth_getLogs",
        [{"fromBlock": "0x0", "toBlock": "latest", "address": pool.address, "topics": [swap_topic]}],
    )
    assert len(logs) > 300
    first, last = (node.block(int(logs[i]["blockNumber"], 16)) for i in (0, -1))
    span_days = (int(last["timestamp"], 16) - int(first["timestamp"], 16)) / 86400
    assert 6.5 < span_days <= 7.0


def test_free_accounts_are_funded_but_approve_nothing(chain: Node, roles: Roles) -> None:
    tokens = [t.address for t in TOKENS.values()]
    for user in roles.users:
        held = balances(chain, tokens, user)
        for token, amount in zip(TOKENS.values(), held, strict=True):
            assert amount / 10**token.decimals * token.usd == pytest.approx(10e6, rel=1e-6), (
                user,
                token.symbol,
            )
        assert chain.balance(user) > 1000 * 10**18
        usdc = chain.contract("MintableERC20", mainnet.USDC)
        assert usdc.call("allowance", user, mainnet.SWAP_ROUTER) == 0


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_router_swap_moves_price_and_balances_exactly_as_quoted(
    chain: Node, user: str, zero_for_one: bool
) -> None:
    pool = pool_by_name("USDC/WETH-500")
    token_in, token_out = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
    amount_in = 2_000_000 * 10**6 if zero_for_one else 700 * 10**18  # large enough to cross ticks
    quoter = chain.contract("QuoterV2", mainnet.QUOTER_V2)
    quoted_out, sqrt_after, ticks_crossed, _ = quoter.call(
        "quoteExactInputSingle", (token_in.address, token_out.address, amount_in, pool.fee, 0)
    )
    assert ticks_crossed > 0
    approve(chain, token_in.address, user, mainnet.SWAP_ROUTER)
    before = balances(chain, [token_in.address, token_out.address], user)
    router = chain.contract("SwapRouter", mainnet.SWAP_ROUTER)
    params = (token_in.address, token_out.address, pool.fee, user, DEADLINE, amount_in, quoted_out, 0)
    receipt = router.transact("exactInputSingle", params, sender=user)
    after = balances(chain, [token_in.address, token_out.address], user)
    assert before[0] - after[0] == amount_in
    assert after[1] - before[1] == quoted_out
    v3pool = chain.contract("UniswapV3Pool", pool.address)
    assert v3pool.call("slot0")[0] == sqrt_after
    (swap,) = v3pool.events(receipt, "Swap")
    assert swap["sqrtPriceX96"] == sqrt_after
    assert {swap["amount0"], swap["amount1"]} == {amount_in, -quoted_out}


def test_exact_output_through_router02_matches_quote(chain: Node, user: str) -> None:
    pool = pool_by_name("WBTC/WETH-3000")
    amount_out = 5 * 10**8  # 5 WBTC
    quoter = chain.contract("QuoterV2", mainnet.QUOTER_V2)
    quoted_in = quoter.call("quoteExactOutputSingle", (mainnet.WETH, mainnet.WBTC, amount_out, pool.fee, 0))[
        0
    ]
    approve(chain, mainnet.WETH, user, mainnet.SWAP_ROUTER_02)
    before = balances(chain, [mainnet.WETH, mainnet.WBTC], user)
    router = chain.contract("SwapRouter02", mainnet.SWAP_ROUTER_02)
    router.transact(
        "exactOutputSingle",
        (mainnet.WETH, mainnet.WBTC, pool.fee, user, amount_out, quoted_in, 0),
        sender=user,
    )
    after = balances(chain, [mainnet.WETH, mainnet.WBTC], user)
    assert (before[0] - after[0], after[1] - before[1]) == (quoted_in, amount_out)


def test_v2_router_swap_matches_get_amounts_out(chain: Node, user: str) -> None:
    router = chain.contract("UniswapV2Router02", mainnet.V2_ROUTER_02)
    path = [mainnet.DAI, mainnet.WETH, mainnet.USDC]
    amount_in = 250_000 * 10**18
    expected = router.call("getAmountsOut", amount_in, path)
    approve(chain, mainnet.DAI, user, mainnet.V2_ROUTER_02)
    before = balance_of(chain, mainnet.USDC, user)
    router.transact("swapExactTokensForTokens", amount_in, expected[-1], path, user, DEADLINE, sender=user)
    assert balance_of(chain, mainnet.USDC, user) - before == expected[-1]


def test_mint_through_the_position_manager(chain: Node, user: str) -> None:
    pool = pool_by_name("DAI/USDC-100")
    npm = chain.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    v3pool = chain.contract("UniswapV3Pool", pool.address)
    tick = v3pool.call("slot0")[1]
    lower, upper = tick - 20, tick + 20
    for token in (pool.token0, pool.token1):
        approve(chain, token.address, user, mainnet.NONFUNGIBLE_POSITION_MANAGER)
    before = balances(chain, [pool.token0.address, pool.token1.address], user)
    desired = (100_000 * 10**18, 100_000 * 10**6)
    params = (
        pool.token0.address,
        pool.token1.address,
        pool.fee,
        lower,
        upper,
        *desired,
        0,
        0,
        user,
        DEADLINE,
    )
    receipt = npm.transact("mint", params, sender=user)
    (event,) = npm.events(receipt, "IncreaseLiquidity")
    after = balances(chain, [pool.token0.address, pool.token1.address], user)
    assert (before[0] - after[0], before[1] - after[1]) == (event["amount0"], event["amount1"])
    assert npm.call("ownerOf", event["tokenId"]).lower() == user.lower()
    position = npm.call("positions", event["tokenId"])
    assert (position[4], position[5], position[6], position[7]) == (
        pool.fee,
        lower,
        upper,
        event["liquidity"],
    )
    from eth_abi.packed import encode_packed  # noqa: PLC0415
    from eth_utils import keccak  # noqa: PLC0415

    key = keccak(
        encode_packed(["address", "int24", "int24"], [mainnet.NONFUNGIBLE_POSITION_MANAGER, lower, upper])
    )
    assert v3pool.call("positions", key)[0] >= event["liquidity"]
    # and back out again
    npm.transact("decreaseLiquidity", (event["tokenId"], event["liquidity"], 0, 0, DEADLINE), sender=user)
    npm.transact("collect", (event["tokenId"], user, 2**128 - 1, 2**128 - 1), sender=user)
    back = balances(chain, [pool.token0.address, pool.token1.address], user)
    assert before[0] - back[0] in (0, 1) and before[1] - back[1] in (
        0,
        1,
    )  # the pool rounds in its own favour


def test_swap_without_approval_fails_as_on_mainnet(chain: Node, user: str) -> None:
    router = chain.contract("SwapRouter", mainnet.SWAP_ROUTER)
    params = (mainnet.USDC, mainnet.WETH, 500, user, DEADLINE, 10**6, 0, 0)
    with pytest.raises(TransactionFailed, match="STF"):
        router.transact("exactInputSingle", params, sender=user)


def test_snapshot_fixture_isolates_tests(chain: Node, user: str) -> None:
    approve(chain, mainnet.USDC, user, mainnet.SWAP_ROUTER, MAX_UINT256)
    assert (
        chain.contract("MintableERC20", mainnet.USDC).call("allowance", user, mainnet.SWAP_ROUTER)
        == MAX_UINT256
    )


def test_snapshot_fixture_isolates_tests_after(chain: Node, user: str) -> None:
    assert chain.contract("MintableERC20", mainnet.USDC).call("allowance", user, mainnet.SWAP_ROUTER) == 0


def test_starting_again_loads_the_state_file_without_rebuilding(devnet: ChainSession, monkeypatch) -> None:
    assert statefile.is_current()

    def no_rebuild(*_: object) -> None:
        raise AssertionError("the state file was current: nothing should be rebuilt")

    monkeypatch.setattr(statefile, "build_chain", no_rebuild)
    second = start_devnet()
    try:
        assert second.node.block_number() == devnet.manifest["block"]
        assert second.url != devnet.url
    finally:
        second.close()


def test_state_file_is_canonical_whatever_order_anvil_dumps_in(devnet: ChainSession) -> None:
    """anvil writes blocks, transactions and accounts in hash-map order; the slimmed file does not depend on
    it, so two builds of the same inputs give the same bytes."""
    raw = json.loads(statefile.state_path().read_bytes())
    for key in ("blocks", "transactions"):
        random.Random(7).shuffle(raw[key])
    raw["accounts"] = dict(reversed(list(raw["accounts"].items())))
    assert statefile.slim(json.dumps(raw).encode()) == statefile.state_path().read_bytes()
