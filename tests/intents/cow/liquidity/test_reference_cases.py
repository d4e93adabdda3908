"""The exact amounts of cowprotocol/services' own tests, reproduced from the same liquidity JSON.

Two sources, both outside our code:
- crates/solvers/src/tests/cases/*.rs: auctions sent to the reference (baseline) solver and the liquidity
  interactions it answers with; a sell order's interaction is `quote_exact_in`, a buy order's input is
  `input_covering_output` and its output the exact-in quote of that input;
- crates/liquidity-sources' Balancer unit tests whose expected amounts were read off mainnet transactions
  (Tenderly/Etherscan links in the crate), i.e. what the deployed pools computed.
"""

from __future__ import annotations

import pytest

from solver.intents.cow.liquidity import (
    ConstantProductPool,
    Liquidity,
    StablePool,
    WeightedProductPool,
    parse_liquidity,
    parse_liquidity_entry,
)

PID = "0x5c78d05b8ecf97507d1cf70646082c54faa4da950000000000000000000005ca"
ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
GNO, COW = "0x6810e776880c02933d47db1b9fc05908e5386b96", "0xdef1ca1fb7fbcdc777520aa7f396b4e015f497ab"
XCOW, XGNO = "0x177127622c4a00f3d409b75571e12cb3c8973d3c", "0x9c58bacc331c9aa871afd802db6379a98e80cedb"
WXDAI = "0xe91d153e0b41518a2ce8dd3d7944fa863463a97d"
WETH, USDC = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
DAI, USDT = "0x6b175474e89094c44da98b954eedeac495271d0f", "0xdac17f958d2ee523a2206206994597c13d831ec7"
AGEUR, BPT = "0x4b1e2c2762667331bc91648052f646d1b0d35984", "0x5c78d05b8ecf97507d1cf70646082c54faa4da95"
EURE = "0xcb444e90d8198415266c6a2724b7900fb12fc56e"


def weighted(balances: dict[str, str], version: str, fee: str = "0.005") -> dict:
    tokens = {t: {"balance": b, "scalingFactor": "1", "weight": "0.5"} for t, b in balances.items()}
    return {
        "kind": "weightedProduct",
        "tokens": tokens,
        "fee": fee,
        "id": "0",
        "address": "0x21d4c792ea7e38e0d0819c2011a2b1cb7252bd99",
        "balancerPoolId": PID,
        "gasEstimate": "88892",
        "version": version,
    }


def constant_product(balances: dict[str, str], fee: str, address: str) -> dict:
    return {
        "kind": "constantProduct",
        "tokens": {t: {"balance": b} for t, b in balances.items()},
        "fee": fee,
        "id": "0",
        "address": address,
        "router": ROUTER,
        "gasEstimate": "110000",
    }


STABLE_3POOL = {
    "kind": "stable",
    "tokens": {
        DAI: {"balance": "505781036390938593206504", "scalingFactor": "1"},
        USDC: {"balance": "554894862074", "scalingFactor": "1000000000000"},
        USDT: {"balance": "1585576741011", "scalingFactor": "1000000000000"},
    },
    "fee": "0.0001",
    "amplificationParameter": "5000.0",
    "id": "0",
    "address": "0x06df3b2bbb68adc8b0e302443692037ed9f91b42",
    "balancerPoolId": PID,
    "gasEstimate": "183520",
}
COMPOSABLE_STABLE = {
    "kind": "stable",
    "tokens": {
        AGEUR: {"balance": "126041615528606990697699", "scalingFactor": "1"},
        BPT: {"balance": "2596148429267369423681023550322451", "scalingFactor": "1"},
        EURE: {"balance": "170162457652825667152980", "scalingFactor": "1"},
    },
    "fee": "0.0001",
    "amplificationParameter": "100.0",
    "id": "0",
    "address": BPT,
    "balancerPoolId": PID,
    "gasEstimate": "183520",
}
WETH_COW_V2 = constant_product(
    {WETH: "3828187314911751990", COW: "179617892578796375604692"},
    "0.003",
    "0x97b744df0b59d93A866304f97431D8EfAd29a08d",
)

# (case, liquidity entry, token in, token out, order kind, order amount, interaction in, interaction out)
SOLVER_CASES = [
    (
        "bal_liquidity::weighted",
        weighted({GNO: "11260752191375725565253", COW: "18764168403990393422000071"}, "v0"),
        GNO,
        COW,
        "sell",
        10**18,
        10**18,
        1657855325872947866705,
    ),
    (
        "bal_liquidity::weighted_v3plus",
        weighted({XCOW: "5089632258314443812936111", XGNO: "3043530764763263654069"}, "v3Plus"),
        XGNO,
        XCOW,
        "sell",
        10**18,
        10**18,
        1663373703594405548696,
    ),
    ("bal_liquidity::stable (sell)", STABLE_3POOL, DAI, USDC, "sell", 10 * 10**18, 10 * 10**18, 9999475),
    ("bal_liquidity::stable (buy)", STABLE_3POOL, DAI, USDC, "buy", 10**7, 10000524328839166557, None),
    (
        "bal_liquidity::composable_stable_v4",
        COMPOSABLE_STABLE,
        AGEUR,
        EURE,
        "sell",
        10 * 10**18,
        10 * 10**18,
        10029862202766050434,
    ),
    (
        "buy_order_rounding::balancer_stable",
        COMPOSABLE_STABLE,
        AGEUR,
        EURE,
        "buy",
        10 * 10**18,
        9970226684231795304,
        10 * 10**18,
    ),
    (
        "buy_order_rounding::balancer_weighted_v3plus",
        weighted({XCOW: "18764168403990393422000071", XGNO: "11260752191375725565253"}, "v3Plus"),
        XGNO,
        XCOW,
        "buy",
        10**21,
        603167793526702182,
        1000000000000001964333,
    ),
    (
        "buy_order_rounding::distant_convergence",
        weighted({XCOW: "5089632258314443812936111", XGNO: "3043530764763263654069"}, "v3Plus"),
        XGNO,
        XCOW,
        "buy",
        999999999999999843119,
        601109440402472000,
        1000000000000015112015,
    ),
    (
        "limit_order_quoting::buy_order",
        weighted({XCOW: "5089632258314443812936111", XGNO: "3043530764763263654069"}, "v3Plus"),
        XGNO,
        XCOW,
        "buy",
        10**18,
        600991453799057,
        1000000000004392195,
    ),
    # the Balancer hop of xCOW -> xGNO -> wxDAI: it must buy what the Uniswap hop needs (9056454904357528)
    (
        "buy_order_rounding::balancer_weighted (hop 1)",
        weighted({XCOW: "1963528800698237927834721", XGNO: "1152796145430714835825"}, "v0"),
        XCOW,
        XGNO,
        "buy",
        9056454904357528,
        15503270361052085989,
        9056454904360584,
    ),
    (
        "buy_order_rounding::balancer_weighted (hop 2)",
        constant_product(
            {XGNO: "9661963829146095661", WXDAI: "1070533209145548137343"},
            "0.0025",
            "0xd7b118271b1b7d26c9e044fc927ca31dccb22a5a",
        ),
        XGNO,
        WXDAI,
        "buy",
        10**18,
        9056454904357528,
        1000000000000000090,
    ),
    (
        "buy_order_rounding::same_path (the v2 pool that wins)",
        constant_product(
            {XCOW: "1000000000000000000000000000", XGNO: "585921934616708391829053"},
            "0.003",
            "0x9090909090909090909090909090909090909090",
        ),
        XCOW,
        XGNO,
        "buy",
        9056454904357528,
        15503270361045187242,
        9056454904357528,
    ),
    (
        "direct_swap",
        WETH_COW_V2,
        WETH,
        COW,
        "sell",
        133700000000000000,
        133700000000000000,
        6043910341261930467761,
    ),
    ("partial_fill", WETH_COW_V2, WETH, COW, "sell", 5 * 10**17, 5 * 10**17, 20694705425542464884657),
    (
        "buy_order_rounding::uniswap",
        constant_product(
            {USDC: "30493445841295", WETH: "16551311935742077745684"},
            "0.003",
            "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc",
        ),
        USDC,
        WETH,
        "buy",
        10**18,
        1848013595,
        1000000000428620302,
    ),
]


@pytest.mark.parametrize(
    ("entry", "token_in", "token_out", "kind", "amount", "amount_in", "amount_out"),
    [case[1:] for case in SOLVER_CASES],
    ids=[case[0] for case in SOLVER_CASES],
)
def test_solver_crate_cases(
    entry: dict, token_in: str, token_out: str, kind: str, amount: int, amount_in: int, amount_out: int | None
) -> None:
    """The reference solver's liquidity interaction amounts, to the wei."""
    [pool] = parse_liquidity([entry])
    if kind == "sell":
        assert pool.quote_exact_in(token_in, token_out, amount) == amount_out
    else:
        assert pool.input_covering_output(token_in, token_out, amount) == amount_in
        if amount_out is not None:
            assert pool.quote_exact_in(token_in, token_out, amount_in) == amount_out


def test_same_path_balancer_would_cost_more() -> None:
    """buy_order_rounding::same_path: the Balancer pool's raw exact-out input (…187239) undershoots by 403 wei
    when sold exact-in, and its covering input is dearer than the v2 pool's, which is why the v2 pool wins."""
    pool = parse_liquidity_entry(
        weighted({XCOW: "1963528800698237927834721", XGNO: "1152796145430714835825"}, "v0")
    )
    wanted = 9056454904357528
    raw = pool.quote_exact_out(XCOW, XGNO, wanted)
    assert raw == 15503270361045187239
    assert pool.quote_exact_in(XCOW, XGNO, raw) == wanted - 403
    assert pool.input_covering_output(XCOW, XGNO, wanted) > 15503270361045187242


def test_balancer_stable_exact_out_is_one_wei_short() -> None:
    """buy_order_rounding::balancer_stable's comment: get_amount_in(10) = 9.970226684231795303, which sells
    for 9.999999999999999999; one more wei buys the 10."""
    pool = parse_liquidity_entry(COMPOSABLE_STABLE)
    assert pool.quote_exact_out(AGEUR, EURE, 10 * 10**18) == 9970226684231795303
    assert pool.quote_exact_in(AGEUR, EURE, 9970226684231795303) == 10 * 10**18 - 1
    assert pool.quote_exact_in(AGEUR, EURE, 9970226684231795304) == 10 * 10**18


def test_composable_stable_leaves_its_bpt_out() -> None:
    pool = parse_liquidity_entry(COMPOSABLE_STABLE)
    assert isinstance(pool, StablePool)
    assert pool.tokens == (AGEUR, EURE)


# ---------------------------------------------------------------- the crate's mainnet-transaction unit tests
def _weighted_pool(
    balances: dict[str, int], weights: dict[str, int], scaling: dict[str, int], fee: int
) -> Liquidity:
    return WeightedProductPool("t", "0x" + "00" * 20, 0, PID, fee, balances, scaling, weights, "v0")


def test_weighted_mainnet_exact_in() -> None:
    """tx 0xa9f571c9…: 227937106828652254870 sdveCRV in, 488192591864344551330 CRV out (90/10 pool, 0.2%)."""
    crv, sdve = "0x" + "15" * 20, "0x" + "2a" * 20
    pool = _weighted_pool(
        {crv: 1_850_304_144_768_426_873_445_489, sdve: 95_671_347_892_391_047_965_654},
        {crv: 9 * 10**17, sdve: 10**17},
        {crv: 10**18, sdve: 10**18},
        2 * 10**15,
    )
    assert pool.quote_exact_in(sdve, crv, 227_937_106_828_652_254_870) == 488_192_591_864_344_551_330


def test_weighted_mainnet_exact_out() -> None:
    """tx 0xafc3dd6a…: 5 TUSD (6 decimals, scaling 1e12) bought for 1225715511430411 wei of WETH (0.1%)."""
    weth, tusd = "0x" + "15" * 20, "0x" + "2a" * 20
    pool = _weighted_pool(
        {weth: 60_000_000_000_000_000, tusd: 250_000_000},
        {weth: 5 * 10**17, tusd: 5 * 10**17},
        {weth: 10**18, tusd: 10**30},
        10**15,
    )
    assert pool.input_covering_output(weth, tusd, 5_000_000) == 1_225_715_511_430_411


def _stable_3pool(balances: tuple[int, int, int]) -> tuple[StablePool, str, str]:
    dai, usdc, tusd = ("0x" + f"{i:040x}" for i in (1, 2, 3))
    pool = StablePool(
        "t",
        "0x" + "00" * 20,
        0,
        PID,
        300_000_000_000_000,
        dict(zip((dai, usdc, tusd), balances, strict=True)),
        {dai: 10**18, usdc: 10**30, tusd: 10**30},
        570_000,
    )
    return pool, dai, usdc


def test_stable_mainnet_exact_in() -> None:
    """tx 0x75be93ff…: 1886.98 DAI in, 1887.770905 USDC out (DAI/USDC/TUSD, A = 570, 0.03%)."""
    pool, dai, usdc = _stable_3pool(
        (40_927_687_702_846_622_465_144_342, 59_448_574_675_062, 55_199_308_926_456)
    )
    assert pool.quote_exact_in(dai, usdc, 1_886_982_823_746_269_817_650) == 1_887_770_905


def test_stable_mainnet_exact_out() -> None:
    """tx 0x38487122…: 900 DAI bought for 900.816325 USDC."""
    pool, dai, usdc = _stable_3pool(
        (34_869_494_603_218_073_631_628_580, 48_176_005_970_419, 44_564_350_355_030)
    )
    assert pool.quote_exact_out(usdc, dai, 900 * 10**18) == 900_816_325
    assert pool.input_covering_output(usdc, dai, 900 * 10**18) == 900_816_325


def test_kinds_parse_to_their_classes() -> None:
    assert isinstance(parse_liquidity_entry(WETH_COW_V2), ConstantProductPool)
    assert isinstance(parse_liquidity_entry(STABLE_3POOL), StablePool)
    assert parse_liquidity_entry(STABLE_3POOL).gas_estimate == 183520
