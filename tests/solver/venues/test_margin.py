"""Accounts and margin: PnL at the mark, initial margin on opening, liquidation exactly at the maintenance
line (equity <= maintenance margin, measured at the mark), and the penalty to the fund.

Prices in cents, one lot = one unit: money units are cents. IM 10%, MM 5%, penalty 1%.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from solver.venues import (
    Account,
    ContractSpec,
    FundingConfig,
    OracleVault,
    PerpVenue,
    TradeRejected,
    VenueConfig,
)

CENTS = ContractSpec(tick_size=Decimal("0.01"), lot_size=Decimal("1"))


def venue(mark_rule: str = "oracle") -> PerpVenue:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), mark_rule=mark_rule)
    v = PerpVenue(OracleVault(spread_bps=0), oracle=10_000, config=cfg)
    v.deposit("vault", 10_000_000)
    return v


def test_fill_accounting_average_cost_and_realised_pnl() -> None:
    a = Account("a")
    a.apply_fill(10, 100)
    a.apply_fill(10, 110)  # long 20, cost 2100
    assert (a.qty, a.cost) == (20, 2100)
    assert a.apply_fill(-5, 120) == 5 * 120 - 525  # average cost 105
    assert (a.qty, a.cost, a.collateral) == (15, 1575, 75)
    a.apply_fill(-25, 100)  # close 15 at 100 (-75), open short 10 at 100
    assert (a.qty, a.cost, a.collateral, a.realised) == (-10, -1000, 0, 0)
    assert a.upnl(90) == 100 and a.equity(90) == 100


def test_long_is_liquidated_at_the_maintenance_line_on_the_mark_and_not_one_tick_above() -> None:
    # long 10 at 100.00 with 145.00: equity(M) = 14500 + 10 (M - 10000), MM = 10 M / 20.
    # equity == MM <=> 9.5 M = 85500 <=> M = 9000. At 9001: equity 4510 > MM 4500.5: safe.
    v = venue()
    v.open_account("a", deposit=14_500)
    v.trade("a", 10)
    assert v.step(60, oracle=9_001).liquidations == ()
    assert v.equity("a") == 4_510 and v.maintenance_margin("a") == Fraction(9001, 2)
    assert not v.is_liquidatable("a")
    (liq,) = v.step(60, oracle=9_000).liquidations
    # at the line: equity 4500 == MM 4500. Closed against the vault at 90.00: equity 4500, the penalty
    # ceil(1% * 10 * 9000) = 900 goes to the fund, 3600 stays with the trader.
    assert (liq.account, liq.qty, liq.mark, liq.equity, liq.market_lots) == ("a", 10, 9_000, 4_500, 10)
    assert (liq.penalty, liq.shortfall, liq.adl_lots) == (900, 0, 0)
    assert v.fund == 900
    assert v.accounts["a"].qty == 0 and v.accounts["a"].collateral == 3_600
    v.check_conservation()


def test_short_is_liquidated_at_the_maintenance_line() -> None:
    # short 10 at 100.00 with 155.00: equity = 15500 + 10 (10000 - M) = MM = M / 2 <=> 10.5 M = 115500
    # <=> M = 11000. At 109.99 equity 5510 > MM 5499.5.
    v = venue()
    v.open_account("s", deposit=15_500)
    v.trade("s", -10)
    assert v.step(60, oracle=10_999).liquidations == ()
    (liq,) = v.step(60, oracle=11_000).liquidations
    assert liq.equity == 5_500 and v.maintenance_margin("s") == 0
    assert liq.penalty == 1_100 and v.fund == 1_100 and v.accounts["s"].collateral == 4_400
    v.check_conservation()


def test_liquidation_distance_is_the_move_to_the_maintenance_line() -> None:
    # The long above liquidates at 90.00 and the short at 110.00 (from 100.00): 10% each way, exactly;
    # one tick from the line it is one tick's worth, and at the line nothing is left.
    v = venue()
    v.open_account("a", deposit=14_500)
    v.trade("a", 10)
    v.open_account("s", deposit=15_500)
    v.trade("s", -10)
    assert v.liquidation_distance("a") == v.liquidation_distance("s") == Fraction(1, 10)
    v.step(60, oracle=9_001)
    assert v.liquidation_distance("a") == Fraction(1, 9_001) and not v.is_liquidatable("a")
    v.open_account("idle", deposit=100)
    assert v.liquidation_distance("idle") is None


def test_pnl_is_marked_at_the_mark_not_at_the_last_trade() -> None:
    # a cross at 50.00 between two others makes the last trade 5000; with the oracle mark (100.00) the
    # long at the line (145.00 on 10 at 100) is untouched: its equity is still 14500.
    v = venue()
    v.open_account("a", deposit=14_500)
    v.trade("a", 10)
    v.open_account("x", deposit=1_000_000)
    v.open_account("y", deposit=1_000_000)
    v.match("x", "y", 1, 5_000)
    assert v.last == 5_000
    assert v.step(60, oracle=10_000).liquidations == ()
    assert v.mark == 10_000 and v.equity("a") == 14_500


def test_initial_margin_gates_opening_but_not_reducing() -> None:
    v = venue()
    v.open_account("a", deposit=10_000)  # 100.00: at most 10 lots at 100.00 with IM 10%
    with pytest.raises(TradeRejected) as e:
        v.trade("a", 11)
    assert e.value.reason == "margin"
    v.trade("a", 10)
    v.step(60, oracle=9_800)  # equity 8000 < IM 9800, above MM 4900
    with pytest.raises(TradeRejected):
        v.trade("a", 1)
    with pytest.raises(TradeRejected):
        v.withdraw("a", 1)
    v.trade("a", -4)  # reducing is always allowed
    assert v.accounts["a"].qty == 6
    v.check_conservation()


def test_withdraw_leaves_initial_margin() -> None:
    v = venue()
    v.open_account("a", deposit=20_000)
    v.trade("a", 10)  # IM 10000 at 100.00
    v.withdraw("a", 10_000)
    with pytest.raises(TradeRejected):
        v.withdraw("a", 1)
    assert v.net_deposits == v.total_money()
