"""A-S / GLFT quotes and order edges: hand-computed values, the skew's direction, spreads, gas, edges."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from solver.pricing import (
    EwmaVolatility,
    FairValueFromStream,
    OrderTerms,
    Pricing,
    PricingConfig,
    Quoter,
    avellaneda_stoikov_spread,
    glft_constants,
    glft_half_spread,
    glft_skew,
    reservation_price,
)
from solver.routing.universe import Token, Universe

USDC = Token("0x" + "01" * 20, "USDC", 6)
WETH = Token("0x" + "02" * 20, "WETH", 18)
WBTC = Token("0x" + "03" * 20, "WBTC", 8)
ETH = 10**18
GWEI = 10**9
CONFIG = PricingConfig(gamma=0.1, k=2000.0, A=2500.0, horizon_seconds=86_400.0, unit_size=10_000.0)


def _quoter(config: PricingConfig = CONFIG, weth_vol: float = 0.5) -> Quoter:
    fair_value = FairValueFromStream.open(
        lambda: {"WETH": 3000.0, "WBTC": 90_000.0}, tokens=[USDC, WETH, WBTC]
    )
    fair_value.update(None, 1, 0.0)
    # No returns seen yet: each sigma is its floor, so the test fixes it exactly.
    volatility = EwmaVolatility(floor=weth_vol, floors={"WBTC": 0.4})
    return Quoter(config, fair_value, volatility)


def test_formulas_equal_hand_computed_values() -> None:
    c1, c2 = glft_constants(0.1, 2000.0, 2500.0)
    assert c1 == pytest.approx(math.log(1.00005) / 0.1, rel=1e-12)
    assert c1 == pytest.approx(4.999875004177061e-4, rel=1e-12)
    assert c2 == pytest.approx(1.6487418795030793e-4, rel=1e-12)  # sqrt(1e-8 · 1.00005^20001)
    assert glft_half_spread(0.1, 2000.0, 2500.0, 0.5) == pytest.approx(5.412060474052831e-4, rel=1e-12)
    assert glft_skew(0.1, 2000.0, 2500.0, 0.5, 3) == pytest.approx(2.473112819254619e-4, rel=1e-12)
    assert reservation_price(100.0, 2.0, 0.5, 0.2, 0.25) == pytest.approx(100 - 2 * 0.5 * 0.04 * 0.25)
    assert avellaneda_stoikov_spread(0.1, 0.5, 1 / 365.25, 2000.0) == pytest.approx(1.0684212705137147e-3)


def test_quote_for_one_parameter_set() -> None:
    """+10 WETH over target at $3,000 is 3 lots of $10k: the A-S skew is 3·0.1·0.5²/365.25."""
    quote = _quoter().quote("WETH", deviations={"WETH": 10 * ETH})
    skew = 3 * 0.1 * 0.25 / 365.25
    assert quote.legs[0].lots == pytest.approx(3.0)
    assert quote.reservation == pytest.approx(3000 * (1 - skew), rel=1e-12)
    assert quote.reservation == pytest.approx(2999.383983572895, rel=1e-12)
    # the same number from the textbook's absolute units: q = 10 tokens, γ = 0.1 / $10k, σ = 0.5 · $3,000
    assert quote.reservation == pytest.approx(
        reservation_price(3000, 10, 0.1 / 10_000, 0.5 * 3000, 1 / 365.25)
    )
    half = 5.412060474052831e-4
    assert quote.bid == pytest.approx(2999.383983572895 * (1 - half), rel=1e-12)
    assert quote.ask == pytest.approx(2999.383983572895 * (1 + half), rel=1e-12)
    assert quote.base == "WETH" and quote.quote == "USDC" and quote.fair == 3000.0


def test_glft_skew_model() -> None:
    quote = _quoter(replace(CONFIG, skew_model="glft")).quote("WETH", deviations={"WETH": 10 * ETH})
    assert quote.reservation == pytest.approx(3000 * (1 - 2.473112819254619e-4), rel=1e-12)


@pytest.mark.parametrize("model", ["avellaneda_stoikov", "glft"])
def test_long_inventory_lowers_both_prices(model: str) -> None:
    quoter = _quoter(replace(CONFIG, skew_model=model))
    short, flat, long = (quoter.quote("WETH", deviations={"WETH": n * ETH}) for n in (-20, 0, 20))
    assert short.reservation > flat.reservation == 3000.0 > long.reservation
    assert short.bid > flat.bid > long.bid  # long: buy cheaper
    assert short.ask > flat.ask > long.ask  # long: sell cheaper
    assert long.spread_bps == pytest.approx(flat.spread_bps, rel=0.01)  # the skew moves, the spread stays


def test_spread_widens_with_sigma_and_gamma() -> None:
    calm, wild = _quoter(weth_vol=0.3).quote("WETH"), _quoter(weth_vol=0.9).quote("WETH")
    assert wild.ask - wild.bid > calm.ask - calm.bid
    timid = _quoter(replace(CONFIG, gamma=5.0)).quote("WETH")
    assert timid.ask - timid.bid > _quoter().quote("WETH").ask - _quoter().quote("WETH").bid


def test_pair_quote_and_amount_at_bid() -> None:
    quoter = _quoter()
    pair = quoter.quote("WBTC", "WETH")
    assert pair.fair == pytest.approx(30.0)
    assert pair.sigma == pytest.approx(math.hypot(0.4, 0.5))
    assert pair.bid < 30.0 < pair.ask
    order = OrderTerms("WBTC", 2 * 10**8, "WETH", 59 * ETH)
    paid = quoter.amount_at_bid(order)
    assert isinstance(paid, int) and paid == math.floor(2 * pair.bid * 1e18)


def test_gas_in_numeraire() -> None:
    quoter = _quoter()
    # 150k gas at 20 gwei = 0.003 ETH = $9 at $3,000
    assert quoter.gas_cost(20 * GWEI) == pytest.approx(9.0)
    assert quoter.quote("WETH", gas_price_wei=20 * GWEI).gas == pytest.approx(9.0)


def test_order_edge_signs_and_parts() -> None:
    quoter = _quoter()
    generous = OrderTerms("WETH", ETH, "USDC", 2_980 * 10**6)  # swapper sells 1 WETH for >= 2,980 USDC
    edge = quoter.edge(generous, gas_price_wei=20 * GWEI)
    penalty = 0.1 * 0.25 / 365.25 * 10_000 * 0.3**2 / 2  # 0.3 lots added, from flat
    assert edge.value_received == pytest.approx(3000.0)
    assert edge.value_paid == pytest.approx(2980.0)
    assert edge.inventory_penalty == pytest.approx(penalty, rel=1e-12)
    assert edge.gas == pytest.approx(9.0)
    assert edge.edge == pytest.approx(20 - penalty - 9.0, rel=1e-12)
    assert edge.worth_filling and edge.edge_bps > 0

    unfavourable = quoter.edge(OrderTerms("WETH", ETH, "USDC", 3_005 * 10**6), gas_price_wei=20 * GWEI)
    assert unfavourable.edge < 0 and not unfavourable.worth_filling

    # A good price eaten by gas: +$5 at fair value, $9 of gas.
    assert not quoter.edge(
        OrderTerms("WETH", ETH, "USDC", 2_995 * 10**6), gas_price_wei=20 * GWEI
    ).worth_filling
    assert quoter.edge(OrderTerms("WETH", ETH, "USDC", 2_995 * 10**6), gas_price_wei=0).worth_filling


def test_edge_counts_inventory_risk_both_ways() -> None:
    """Buying WETH while already long costs risk; while short it removes risk (a negative penalty)."""
    quoter = _quoter()
    order = OrderTerms("WETH", ETH, "USDC", 2_999 * 10**6)
    long = quoter.edge(order, deviations={"WETH": 20 * ETH})
    short = quoter.edge(order, deviations={WETH.address: -20 * ETH})  # keyed by address works too
    assert long.inventory_penalty > 0 > short.inventory_penalty
    assert short.edge > long.edge


def test_min_edge_bps() -> None:
    strict = _quoter(replace(CONFIG, min_edge_bps=50.0))
    edge = strict.edge(OrderTerms("WETH", ETH, "USDC", 2_990 * 10**6))  # ~33 bp at fair value
    assert edge.edge > 0 and not edge.worth_filling
    assert edge.min_edge == pytest.approx(15.0)


def test_bad_amounts_refused() -> None:
    with pytest.raises(ValueError, match="raw token units"):
        OrderTerms("WETH", 1.5, "USDC", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="raw units"):
        _quoter().quote("WETH", deviations={"WETH": 1.5})  # type: ignore[dict-item]


def test_pricing_on_the_built_in_chain(universe: Universe) -> None:
    """Default config, pools fair value, a few blocks of updates: quotes straddle fair value by a few bp."""
    pricing = Pricing.from_config()
    for n in range(3):
        pricing.update(universe, universe.block, 1_700_000_000 + 12.0 * n)
    quote = pricing.quote("WETH", gas_price_wei=10 * GWEI)
    assert quote.bid < pricing.fair_value.price("WETH") < quote.ask
    assert 1 < quote.spread_bps < 50
    assert pricing.sigma("WETH") == pytest.approx(0.2)  # an unmoved pool: the floor
    assert pricing.sigma("USDC") == 0.0
    wbtc = pricing.quote("WBTC", "WETH", deviations={"WBTC": 10**8})
    assert wbtc.reservation < wbtc.fair


def test_pricing_from_a_csv_config(tmp_path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("0,WETH,3000\n60,WETH,3003\n")
    pricing = Pricing.from_config(PricingConfig(fair_value_source=str(path)), tokens=[USDC, WETH])
    pricing.update(None, 1, 0.0)
    pricing.update(None, 2, 60.0)
    assert pricing.fair_value.price("WETH") == 3003.0
    assert pricing.volatility.returns_seen("WETH") == 1
    assert pricing.sigma("WETH") > 0.2  # a 0.1% move in a minute is far above the floor
