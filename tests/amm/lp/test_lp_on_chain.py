"""LP tools against the built-in chain: pool context, history estimates, and exact position accounting.

The position figures are checked against what the real contracts pay: `collect`, `decreaseLiquidity` and
swaps through the real router on anvil.
"""

from __future__ import annotations

import math

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import HISTORY
from amm.chain.node import Node
from amm.chain.positions import read_nft_position
from amm.chain.session import ChainSession
from amm.chain.tokens import approve, balances
from amm.lp.context import load_pool_context
from amm.lp.history import load_pool_history
from amm.lp.position import position_report

DEADLINE = 2**32 - 1
MAX128 = 2**128 - 1


def test_orientation_quotes_in_the_stablecoin(devnet: ChainSession) -> None:
    usdc_weth = load_pool_context(devnet.node, "USDC/WETH-500")
    assert usdc_weth.inverted and usdc_weth.pair == "WETH/USDC"
    assert 1000 < usdc_weth.price < 10000  # USDC per WETH, not WETH per USDC
    wbtc_weth = load_pool_context(devnet.node, "WBTC/WETH-3000")
    assert not wbtc_weth.inverted and 10 < wbtc_weth.price < 100
    # the same pool the other way round prices the reciprocal
    flipped = load_pool_context(devnet.node, "USDC/WETH-500", orientation="token0")
    assert flipped.price == pytest.approx(1 / usdc_weth.price, rel=1e-12)


def test_profile_at_the_price_is_the_pools_active_liquidity(devnet: ChainSession) -> None:
    for name in ("USDC/WETH-500", "WBTC/WETH-3000", "DAI/USDC-100"):
        ctx = load_pool_context(devnet.node, name)
        assert float(ctx.profile().active_at(ctx.price)) == pytest.approx(
            ctx.active_liquidity_human(), rel=1e-12
        )


def test_snapped_ranges_are_valid_ticks_around_the_display_range(devnet: ChainSession) -> None:
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    lower, upper = ctx.ticks_of_range(3000, 3600)
    assert lower % 10 == 0 and upper % 10 == 0 and lower < upper
    prices = sorted((ctx.price_at_tick(lower), ctx.price_at_tick(upper)))
    assert prices[0] <= 3000 and prices[1] >= 3600  # snapped outward
    assert prices[0] > 3000 / 1.002 and prices[1] < 3600 * 1.002  # by at most a spacing


def test_volatility_from_history_recovers_the_market_that_made_it(devnet: ChainSession) -> None:
    """The built-in chain's week was driven by ETH at 60%/year; 4-hour pool returns must find it."""
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    history = load_pool_history(devnet.node, ctx)
    estimate = history.volatility
    assert abs(estimate.sigma - HISTORY.eth_vol) < 3 * estimate.stderr
    assert history.swaps > 300 and 6 < history.days <= 7
    assert history.noise_quote_per_day >= 0
    assert history.volume_quote_per_day > 0


@pytest.mark.parametrize("token_id", [1, 150, 600, 1100])
def test_owed_amounts_equal_what_collect_pays(devnet: ChainSession, token_id: int) -> None:
    node = devnet.node
    record = read_nft_position(node, token_id)
    ctx = load_pool_context(node, record.pool)
    report = position_report(node, ctx, record)
    npm = node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    paid = npm.call("collect", (token_id, record.owner, MAX128, MAX128), sender=record.owner)
    assert report.owed == tuple(paid)
    assert record.ledger[0].kind == "deposit"


def test_mint_swap_burn_on_chain_matches_the_report(chain: Node, user: str, roles) -> None:
    """Mint a position, trade through it with the real router, then burn and collect: every figure of the
    report (amounts, fees, IL) equals what the contracts paid."""
    pool_name, fee = "USDC/WETH-500", 500
    ctx = load_pool_context(chain, pool_name)
    tick = ctx.pool.tick
    lower, upper = (tick // 10 - 30) * 10, (tick // 10 + 30) * 10
    npm = chain.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    router = chain.contract("SwapRouter", mainnet.SWAP_ROUTER)
    for token in (mainnet.USDC, mainnet.WETH):
        approve(chain, token, user, mainnet.NONFUNGIBLE_POSITION_MANAGER)
        approve(chain, token, user, mainnet.SWAP_ROUTER)
    params = (
        mainnet.USDC,
        mainnet.WETH,
        fee,
        lower,
        upper,
        500_000 * 10**6,
        150 * 10**18,
        0,
        0,
        user,
        DEADLINE,
    )
    (minted,) = npm.events(npm.transact("mint", params, sender=user), "IncreaseLiquidity")
    trader = roles.users[1]
    for token in (mainnet.USDC, mainnet.WETH):
        approve(chain, token, trader, mainnet.SWAP_ROUTER)
    for amount_in, pair in (
        (3_000_000 * 10**6, (mainnet.USDC, mainnet.WETH)),
        (900 * 10**18, (mainnet.WETH, mainnet.USDC)),
    ):
        router.transact("exactInputSingle", (*pair, fee, trader, DEADLINE, amount_in, 0, 0), sender=trader)
    record = read_nft_position(chain, minted["tokenId"])
    after = load_pool_context(chain, pool_name)
    report = position_report(chain, after, record)
    assert report.deposited == (minted["amount0"], minted["amount1"])
    before = balances(chain, [mainnet.USDC, mainnet.WETH], user)
    npm.transact("decreaseLiquidity", (minted["tokenId"], minted["liquidity"], 0, 0, DEADLINE), sender=user)
    npm.transact("collect", (minted["tokenId"], user, MAX128, MAX128), sender=user)
    got = balances(chain, [mainnet.USDC, mainnet.WETH], user)
    received = (got[0] - before[0], got[1] - before[1])
    # principal (burn) + fees (collect) exactly as the report said, to the wei
    assert received == (report.amounts[0] + report.fees[0], report.amounts[1] + report.fees[1])
    assert report.fees[0] > 0 and report.fees[1] > 0  # the swaps crossed the range both ways
    # IL is the position's value against holding the deposit, at today's price
    human0 = (report.amounts[0] - report.deposited[0]) / 1e6
    human1 = (report.amounts[1] - report.deposited[1]) / 1e18
    assert report.il_value == pytest.approx(human1 * after.price + human0, rel=1e-9, abs=1e-6)
    assert math.isfinite(report.lvr_to_date) and report.lvr_to_date >= 0
