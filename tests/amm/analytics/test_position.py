"""Float position accounting: amounts, value, IL, capital efficiency, v2 shares."""

import math

import numpy as np
import pytest

from amm.analytics.position import (
    RangePosition,
    V2Share,
    amounts,
    capital_efficiency,
    impermanent_loss,
    impermanent_loss_constant_product,
    liquidity_for_amounts,
    liquidity_for_value,
    liquidity_scale,
    value,
)

RATIOS = np.array([0.05, 0.3, 0.8, 0.99, 1.0, 1.01, 1.5, 4.0, 25.0])


def test_full_range_il_matches_constant_product_formula() -> None:
    p0 = 2000.0
    il = impermanent_loss(p0 * RATIOS, p0, 0.0, math.inf)
    expected = 2.0 * np.sqrt(RATIOS) / (1.0 + RATIOS) - 1.0
    np.testing.assert_allclose(il, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(impermanent_loss_constant_product(RATIOS), expected, rtol=1e-15)


def test_full_range_holdings_are_constant_product() -> None:
    liq, p = 1234.5, np.array([0.5, 3.0, 2000.0])
    x, y = amounts(p, liq, 0.0, math.inf)
    np.testing.assert_allclose(x * y, liq**2, rtol=1e-12)
    np.testing.assert_allclose(y / x, p, rtol=1e-12)
    np.testing.assert_allclose(value(p, liq, 0.0, math.inf), 2 * liq * np.sqrt(p), rtol=1e-12)


def test_narrow_range_il_is_deeper_and_matches_in_range_closed_form() -> None:
    # In range, V = L(2√P − P/√pb − √pa) and HODL = x0·P + y0: compare with an independent evaluation.
    p0, pa, pb = 100.0, 80.0, 125.0
    p = np.array([85.0, 95.0, 110.0, 120.0])
    v = 2 * np.sqrt(p) - p / math.sqrt(pb) - math.sqrt(pa)
    x0, y0 = 1 / math.sqrt(p0) - 1 / math.sqrt(pb), math.sqrt(p0) - math.sqrt(pa)
    np.testing.assert_allclose(impermanent_loss(p, p0, pa, pb), v / (x0 * p + y0) - 1, rtol=1e-12)
    assert np.all(impermanent_loss(p, p0, pa, pb) < impermanent_loss(p, p0, 0.0, math.inf))


@pytest.mark.parametrize("edge", [80.0, 125.0])
def test_value_and_amounts_continuous_at_range_edges(edge: float) -> None:
    pa, pb, liq = 80.0, 125.0, 7.0
    eps = edge * 1e-9
    lo, at, hi = value(np.array([edge - eps, edge, edge + eps]), liq, pa, pb)
    assert abs(lo - at) < 1e-6 * at and abs(hi - at) < 1e-6 * at
    x_lo, y_lo = amounts(edge - eps, liq, pa, pb)
    x_hi, y_hi = amounts(edge + eps, liq, pa, pb)
    assert abs(x_lo - x_hi) < 1e-8 and abs(y_lo - y_hi) < 1e-6


def test_out_of_range_holdings_are_single_sided() -> None:
    pa, pb, liq = 80.0, 125.0, 7.0
    x, y = amounts(50.0, liq, pa, pb)
    assert y == 0.0 and x == pytest.approx(liq * (1 / math.sqrt(pa) - 1 / math.sqrt(pb)))
    x, y = amounts(500.0, liq, pa, pb)
    assert x == 0.0 and y == pytest.approx(liq * (math.sqrt(pb) - math.sqrt(pa)))


def test_liquidity_for_value_and_amounts_round_trip() -> None:
    p, pa, pb = 100.0, 80.0, 125.0
    liq = liquidity_for_value(10_000.0, p, pa, pb)
    assert value(p, liq, pa, pb) == pytest.approx(10_000.0, rel=1e-12)
    x, y = amounts(p, liq, pa, pb)
    assert liquidity_for_amounts(x, y, p, pa, pb) == pytest.approx(liq, rel=1e-12)
    # surplus token1 does not add liquidity: the scarcer side binds
    assert liquidity_for_amounts(x, 2 * y, p, pa, pb) == pytest.approx(liq, rel=1e-12)


def test_capital_efficiency_of_symmetric_range() -> None:
    # [P/k, P·k) holds value 2L√P(1 − k^(−1/2)), so its efficiency against full range is 1/(1 − k^(−1/2)).
    p = 2000.0
    for k in (1.01, 1.1, 2.0, 10.0):
        assert capital_efficiency(p, p / k, p * k) == pytest.approx(1 / (1 - k**-0.5), rel=1e-12)
    assert capital_efficiency(p, 0.0, math.inf) == pytest.approx(1.0)


def test_range_position_from_raw_uses_decimals() -> None:
    # USDC (6) / WETH (18): tick 200000 ≈ 1/4852 WETH per USDC
    pos = RangePosition.from_raw(199_980, 200_040, 10**18, 6, 18)
    assert pos.pa == pytest.approx(1.0001**199_980 * 1e-12)
    assert pos.liquidity == pytest.approx(1e18 * liquidity_scale(6, 18))
    # the float amount of token1 (human WETH) equals the raw amount / 1e18
    s, sa = math.sqrt(pos.pb), math.sqrt(pos.pa)
    y_human = pos.liquidity * (s - sa)
    y_raw = 1e18 * (math.sqrt(1.0001**200_040) - math.sqrt(1.0001**199_980))
    assert y_human == pytest.approx(y_raw / 1e18, rel=1e-9)


def test_range_position_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="pa < pb"):
        RangePosition(2.0, 1.0, 1.0)


def test_pnl_vs_hodl_adds_fees_to_il() -> None:
    pos = RangePosition.from_capital(1000.0, 100.0, 80.0, 125.0)
    x0, y0 = pos.amounts(100.0)
    il_value = pos.value(110.0) - (x0 * 110.0 + y0)
    assert pos.pnl_vs_hodl(110.0, 100.0, fees_value=3.0) == pytest.approx(il_value + 3.0)


def test_v2_share_value_and_il() -> None:
    share = V2Share(shares=10.0, total_supply=100.0, reserve0=1000.0, reserve1=2_000_000.0)
    assert share.price == 2000.0
    assert share.value() == pytest.approx(0.1 * (1000.0 * 2000.0 + 2_000_000.0))
    x, y = share.amounts()
    assert (x, y) == (100.0, 200_000.0)
    # after arbitrage to 4× the price, the share holds 2L√P and loses 2·2/5 − 1 = −20% against holding
    assert share.impermanent_loss(8000.0) == pytest.approx(-0.2)
    v_hodl = x * 8000.0 + y
    assert share.value(8000.0) / v_hodl - 1 == pytest.approx(-0.2)
