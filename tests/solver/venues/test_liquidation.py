"""The insurance fund, auto-deleveraging, socialised loss and the freeze, on hand-computed gaps.

Common setup (cents; one lot = one unit; IM 10%, MM 5%, penalty 1%; oracle mark): trader `a` is long 10
at 100.00 with 145.00 collateral, so its cash (collateral - cost) is 14500 - 100000 = -85500 and its equity
at a price p is 10 p - 85500. The oracle gaps from 100.00 to 80.00: equity at the mark -5500, bad debt.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from solver.venues import (
    ContractSpec,
    EndRule,
    FundingConfig,
    MakerQuotes,
    OrderBook,
    PerpVenue,
    TradeRejected,
    VenueConfig,
)

CENTS = ContractSpec(tick_size=Decimal("0.01"), lot_size=Decimal("1"))


def setup(fund: int, makers: list[MakerQuotes], end_rule: EndRule = EndRule.ADL) -> PerpVenue:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), end_rule=end_rule)
    v = PerpVenue(OrderBook(makers), oracle=10_000, config=cfg)
    for m in makers:
        v.deposit(m.account, 10_000_000)
    v.fund_deposit(fund)
    v.open_account("a", deposit=14_500)
    v.open_account("b", deposit=1_000_000)
    v.match("a", "b", 10, 10_000)
    return v


def bid_at_oracle(size: int = 100) -> MakerQuotes:
    """One bid and one ask of `size` exactly at the oracle."""
    return MakerQuotes(half_spread_bps=0, levels=1, size=size)


def test_fund_pays_the_bad_debt_and_no_one_is_deleveraged_while_it_can() -> None:
    # fund 100.00; the bid is 80.00: equity there -5500 >= -10000, so all 10 lots sell to the maker;
    # the fund pays the 5500 shortfall and keeps 4500.
    v = setup(10_000, [bid_at_oracle()])
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.market_lots, liq.adl_lots, liq.shortfall, liq.fund_paid, liq.penalty) == (
        10,
        0,
        5_500,
        5_500,
        0,
    )
    assert v.fund == 4_500
    assert v.accounts["maker"].qty == 10 and v.accounts["b"].qty == -10
    assert v.accounts["a"].collateral == 0 and v.accounts["a"].qty == 0
    assert v.stats.adl_lots == 0 and v.stats.fund_exhausted == 0
    v.check_conservation()


def test_adl_starts_only_when_the_fund_cannot_pay_and_then_the_fund_is_empty() -> None:
    # fund 30.00 < 55.00 the market close would cost: no market fill. ADL at the bankruptcy price given
    # the fund: 10 p - 85500 = -3000 -> p = 82.50 (above the 80.00 mark, so used). b, the only short,
    # buys back 10 at 82.50 instead of 80.00; a ends at -3000, which the fund pays: the fund is 0.
    v = setup(3_000, [bid_at_oracle()])
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.market_lots, liq.adl_lots, liq.adl_price, liq.adl_notional) == (0, 10, 8_250, 82_500)
    assert liq.adl_counterparties == [("b", 10)]
    assert (liq.shortfall, liq.fund_paid, liq.venue_paid) == (3_000, 3_000, 0)
    assert v.fund == 0 and v.stats.fund_exhausted == 1
    b = v.accounts["b"]
    assert b.qty == 0 and b.deleveraged == 10 and b.realised == 10 * (10_000 - 8_250)
    v.check_conservation()


def test_adl_rounding_is_paid_by_the_venue_and_the_fund_still_ends_empty() -> None:
    # fund 30.01: p = (85500 - 3001) / 10 = 8249.9 -> 82.49 (a's side of the rounding). a ends at
    # 82490 - 85500 = -3010: the fund pays its 3001, the venue the 9-cent rounding.
    v = setup(3_001, [bid_at_oracle()])
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.adl_price, liq.fund_paid, liq.venue_paid) == (8_249, 3_001, 9)
    assert v.fund == 0 and v.venue_balance == -9
    v.check_conservation()


def test_adl_ranks_opposite_positions_by_unrealised_pnl() -> None:
    # a long 10: 6 from b at 100.00 and 4 from d at 95.00; cash 14500 - 98000 = -83500. No book. Fund
    # 10.00: p = (83500 - 1000) / 10 = 82.50 > mark 80.00. At the mark b's PnL is 6 * 20.00 = 120.00,
    # d's 4 * 15.00 = 60.00: b is deleveraged first (6), then d (4).
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False))
    v = PerpVenue(OrderBook([]), oracle=10_000, config=cfg)
    v.fund_deposit(1_000)
    v.open_account("a", deposit=14_500)
    v.open_account("b", deposit=1_000_000)
    v.open_account("d", deposit=1_000_000)
    v.match("a", "b", 6, 10_000)
    v.match("a", "d", 4, 9_500)
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert liq.adl_counterparties == [("b", 6), ("d", 4)]
    assert liq.adl_price == 8_250 and v.fund == 0
    v.check_conservation()


def test_no_depth_left_closes_at_the_mark_when_the_fund_can_pay() -> None:
    # same two shorts, no book, fund 1000.00: closing at the 80.00 mark costs 3500 (10 * 8000 - 83500),
    # within the fund, so the deleveraged shorts get the mark and the fund pays 3500.
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False))
    v = PerpVenue(OrderBook([]), oracle=10_000, config=cfg)
    v.fund_deposit(100_000)
    v.open_account("a", deposit=14_500)
    v.open_account("b", deposit=1_000_000)
    v.match("a", "b", 10, 9_800)  # cash 14500 - 98000 = -83500
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.adl_price, liq.adl_lots, liq.fund_paid) == (8_000, 10, 3_500)
    assert v.fund == 96_500
    v.check_conservation()


def test_market_fills_while_the_fund_covers_then_deleverages_the_rest() -> None:
    # oracle 81.00; bids: 4 at 81.00 (maker m1), 100 at 72.90 (m2: 1000 bps). Fund 50.00.
    # at 81.00: equity if all closed there 81000 - 85500 = -4500 >= -5000: sell 4 (cash -85500 + 32400
    # = -53100). At 72.90: -53100 + 6 * 7290 = -9360 < -5000: stop. The rest (6) is deleveraged; the
    # fund-bankruptcy price (53100 - 5000) / 6 = 80.17 is below the 81.00 mark, so b gets the mark: a ends
    # at -53100 + 48600 = -4500, paid by the fund (50.00 -> 5.00).
    makers = [
        MakerQuotes(account="m1", half_spread_bps=0, levels=1, size=4),
        MakerQuotes(account="m2", half_spread_bps=1000, levels=1, size=100),
    ]
    v = setup(5_000, makers)
    (liq,) = v.step(60, oracle=8_100).liquidations
    assert (liq.market_lots, liq.adl_lots, liq.adl_price, liq.fund_paid) == (4, 6, 8_100, 4_500)
    assert v.accounts["m1"].qty == 4 and v.accounts["m2"].qty == 0 and v.accounts["b"].qty == -4
    assert v.fund == 500
    v.check_conservation()


def test_socialised_loss_is_shared_by_winners_pro_rata() -> None:
    # fund 30.00, bid at 80.00: under SOCIALISED a sells all 10 at 80.00 (-5500). The fund pays 3000; the
    # other 2500 is charged to winners at the mark: b (short 10 at 100: +20000) and d (short 5 at 100:
    # +10000): 2500 * 2/3 = 1666.67 and 833.33 -> 1666 + 833, the spare cent to the larger remainder (b).
    v = setup(3_000, [bid_at_oracle()], EndRule.SOCIALISED)
    v.open_account("d", deposit=1_000_000)
    v.open_account("e", deposit=1_000_000)
    v.match("e", "d", 5, 10_000)
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.market_lots, liq.adl_lots, liq.shortfall, liq.fund_paid, liq.socialised) == (
        10,
        0,
        5_500,
        3_000,
        2_500,
    )
    assert v.accounts["b"].haircut == 1_667 and v.accounts["d"].haircut == 833
    assert v.fund == 0 and liq.venue_paid == 0
    v.check_conservation()


def test_socialised_loss_beyond_all_winners_falls_on_the_venue() -> None:
    # a's 5500 hole with an empty fund, and the only winner, c (short 10 at 80.10), holds just 10 * 10 =
    # 100 of PnL at the 80.00 mark: c pays its 100, the venue the other 5400.
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), end_rule="socialised")
    v = PerpVenue(OrderBook([bid_at_oracle()]), oracle=10_000, config=cfg)
    v.deposit("maker", 10_000_000)
    v.open_account("a", deposit=14_500)
    v.open_account("b", deposit=1_000_000)
    v.match("a", "b", 10, 10_000)
    v.open_account("c", deposit=1_000_000)
    v.match("b", "c", 10, 8_010)  # b flat (realised +19900); c short 10 at 80.10: +100 at 80.00
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert (liq.shortfall, liq.fund_paid, liq.socialised, liq.venue_paid) == (5_500, 0, 100, 5_400)
    assert v.venue_balance == -5_400 and v.accounts["c"].haircut == 100
    v.check_conservation()


def test_freeze_stops_the_venue_and_leaves_the_debt_open() -> None:
    # fund 30.00 cannot pay the 55.00 a market close costs: the venue freezes before any fill; a keeps its
    # position and its -5500 equity (outstanding bad debt); the fund is untouched; no more trading,
    # funding or liquidation.
    v = setup(3_000, [bid_at_oracle()], EndRule.FREEZE)
    report = v.step(60, oracle=8_000)
    (liq,) = report.liquidations
    assert liq.froze and report.frozen and v.frozen
    assert (liq.market_lots, liq.outstanding, liq.fund_paid) == (0, 5_500, 0)
    assert v.accounts["a"].qty == 10 and v.equity("a") == -5_500 and v.fund == 3_000
    with pytest.raises(TradeRejected) as e:
        v.trade("b", 1)
    assert e.value.reason == "frozen"
    later = v.step(3600, oracle=7_000)
    assert later.liquidations == () and later.funding_rate is None
    v.check_conservation()


def test_freeze_rule_does_not_freeze_when_the_fund_covers() -> None:
    v = setup(10_000, [bid_at_oracle()], EndRule.FREEZE)
    (liq,) = v.step(60, oracle=8_000).liquidations
    assert not liq.froze and not v.frozen and v.fund == 4_500
