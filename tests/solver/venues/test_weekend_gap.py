"""A weekend gap, computed by hand, under each architecture (and some oracle/mark rules).

The same book every time (cents; one lot = one unit; IM 10%, MM 5%, penalty 1%; funding off; fund 60.00):
- `a` long 10 at 100.00 with 145.00: cash 14500 - 100000 = -85500; equity at p is 10 p - 85500;
  maintenance is p / 2, so its line is 90.00 and it is bankrupt below 85.50;
- `c` long 10 at 100.00 with 300.00: equity at 80.00 is 10000 > maintenance 4000: it survives;
- `b` short 20 at 100.00 with 10,000.00: the opposite side.
The underlying (a US stock) closes Friday 16:00 New York at 100.00 and reopens Monday 09:30 at 80.00 (-20%).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from solver.venues import (
    Architecture,
    ContractSpec,
    FundingConfig,
    MakerQuotes,
    OnchainBook,
    OracleVault,
    OrderBook,
    PerpVenue,
    TradeRejected,
    USEquityCalendar,
    VenueConfig,
)

CENTS = ContractSpec(tick_size=Decimal("0.01"), lot_size=Decimal("1"))
FRIDAY_1500_NY = datetime(2026, 1, 9, 20, 0, tzinfo=UTC)
WEEKEND = 235_800  # Friday 16:00 to Monday 09:30 New York, in seconds (65.5 h)


def friday(arch: Architecture, oracle_rule: str = "freeze", mark_rule: str = "oracle") -> PerpVenue:
    """Positions on Friday afternoon, then the close: returns the venue at Friday 16:00 New York."""
    cfg = VenueConfig(
        spec=CENTS,
        funding=FundingConfig(enabled=False),
        oracle_rule=oracle_rule,
        mark_rule=mark_rule,
        impact_lots=10,
    )
    v = PerpVenue(arch, oracle=10_000, config=cfg, calendar=USEquityCalendar(), start=FRIDAY_1500_NY)
    for account, _ in arch.liquidity_accounts():
        v.deposit(account, 10_000_000)
    v.fund_deposit(6_000)
    v.open_account("a", deposit=14_500)
    v.open_account("c", deposit=30_000)
    v.open_account("b", deposit=1_000_000)
    v.match("a", "b", 10, 10_000)
    v.match("c", "b", 10, 10_000)
    close = v.step(3600, oracle=10_000)
    assert not close.underlying_open and close.liquidations == ()
    return v


def book_makers(**closed: object) -> list[MakerQuotes]:
    return [MakerQuotes(half_spread_bps=10, levels=1, size=100, **closed)]  # type: ignore[arg-type]


@pytest.mark.parametrize("oracle_rule", ["freeze", "halt"])
def test_order_book_makers_leave_for_the_weekend_and_requote_at_the_open(oracle_rule: str) -> None:
    # Weekend: the makers leave (their hedge market is shut); the oracle holds 100.00 (freeze) or the venue
    # halts: either way nothing is liquidated before Monday. Monday 09:30: O = M = 80.00; the makers are
    # back at 10 bps: bid floor(8000 * 0.999) = 79.92 for 100.
    # a: equity -5500 <= 4000 -> liquidated. Closing all 10 at 79.92 leaves 79920 - 85500 = -5580, within
    # the 6000 fund: the maker buys all 10; the fund pays 5580 and keeps 420. c (10000 > 4000) survives.
    # No ADL. Bad debt 55.80.
    v = friday(OrderBook(book_makers(closed_size_mult=0)), oracle_rule=oracle_rule)
    assert v.arch.levels("sell") == []
    if oracle_rule == "halt":
        with pytest.raises(TradeRejected):
            v.trade("c", -1)
    monday = v.step(WEEKEND, oracle=8_000)
    assert monday.underlying_open and (monday.oracle, monday.mark) == (8_000, 8_000)
    (liq,) = monday.liquidations
    assert (liq.account, liq.market_lots, liq.adl_lots) == ("a", 10, 0)
    assert (liq.shortfall, liq.fund_paid) == (5_580, 5_580)
    assert v.fund == 420 and v.stats.bad_debt == 5_580 and v.stats.adl_notional == 0
    assert v.accounts["maker"].qty == 10 and v.accounts["c"].qty == 10 and v.accounts["b"].qty == -20
    v.check_conservation()


def test_oracle_vault_takes_the_liquidation_at_the_oracle_less_its_spread() -> None:
    # The vault quotes 5 bps around the oracle, any size: at 80.00 its bid is floor(8000 * 0.9995) = 79.96.
    # a: 79960 - 85500 = -5540 within the fund: the vault buys 10, the fund pays 5540 and keeps 460.
    v = friday(OracleVault(spread_bps=5))
    (liq,) = v.step(WEEKEND, oracle=8_000).liquidations
    assert (liq.account, liq.market_lots, liq.adl_lots, liq.fund_paid) == ("a", 10, 0, 5_540)
    assert v.fund == 460 and v.stats.bad_debt == 5_540
    assert v.accounts["vault"].qty == 10
    v.check_conservation()


def test_oracle_vault_following_a_thin_proxy_liquidates_on_the_weekend_without_bad_debt() -> None:
    # PROXY rule: on Sunday the proxy prints 90.00, so O = M = 90.00 on the weekend: a sits exactly at its
    # line (equity 4500 == maintenance 4500) and is liquidated into the vault's bid floor(9000 * 0.9995) =
    # 89.95: equity 89950 - 85500 = 4450, penalty ceil(1% * 10 * 9000) = 900 to the fund (6900); a keeps
    # 3550. Monday's 80.00 finds only c, which survives: no bad debt, no ADL.
    v = friday(OracleVault(spread_bps=5), oracle_rule="proxy")
    (liq,) = v.step(WEEKEND - 3600, oracle=10_000, proxy=9_000).liquidations
    assert (liq.equity, liq.penalty, liq.shortfall) == (4_500, 900, 0)
    assert v.fund == 6_900 and v.accounts["a"].collateral == 3_550
    assert v.step(3600, oracle=8_000).liquidations == ()
    assert v.stats.bad_debt == 0 and v.stats.adl_lots == 0
    v.check_conservation()


def test_onchain_book_empty_in_the_first_block_deleverages_at_the_mark() -> None:
    # On chain the makers' requotes land a block late: the first block after the open still shows their
    # weekend book, which is empty (they left). a is liquidated with no depth: the rest is deleveraged.
    # Closing at the 80.00 mark costs 80000 - 85500 = -5500, within the fund, so b (the only short) takes
    # 10 at 80.00; the fund pays 5500 (keeps 500). Deleveraged notional 10 * 80.00 = 800.00.
    v = friday(OnchainBook(book_makers(closed_size_mult=0), block_time=12))
    (liq,) = v.step(WEEKEND, oracle=8_000).liquidations
    assert (liq.market_lots, liq.adl_lots, liq.adl_price, liq.adl_counterparties) == (
        0,
        10,
        8_000,
        [("b", 10)],
    )
    assert (liq.fund_paid, liq.adl_notional) == (5_500, 80_000)
    assert v.fund == 500 and v.stats.adl_notional == 80_000
    assert v.accounts["b"].qty == -10 and v.accounts["b"].deleveraged == 10
    assert v.step(12, oracle=8_000).liquidations == ()  # the requoted book is back; c is fine
    assert v.arch.levels("sell")[0].price == 7_992
    v.check_conservation()


def test_onchain_book_stale_widened_quotes_are_picked_off_by_the_liquidation() -> None:
    # The makers stay over the weekend at 5x width (50 bps around 100.00: bid 99.50). In the first block
    # after the open that stale bid is still there: a is liquidated (mark 80.00) into it: equity
    # 99500 - 85500 = 14000, penalty ceil(1% * 10 * 8000) = 800 (fund 6800), a keeps 13200. The maker
    # bought 10 at 99.50 marked at 80.00: -19500. No bad debt.
    v = friday(OnchainBook(book_makers(closed_spread_mult=5), block_time=12))
    (liq,) = v.step(WEEKEND, oracle=8_000).liquidations
    assert (liq.market_lots, liq.penalty, liq.shortfall) == (10, 800, 0)
    assert v.fills[-1].price == 9_950 and v.fund == 6_800 and v.accounts["a"].collateral == 13_200
    assert v.accounts["maker"].upnl(v.mark) == -19_500
    v.check_conservation()


def test_onchain_book_impact_mark_waits_for_the_requote() -> None:
    # Same stale 50 bps book, impact mark (10 lots): the impact bid/ask are 99.50/100.50, so the mark is
    # the oracle clamped into them: 99.50, and a (equity 14000) is not liquidated in the first block. One
    # block later the book is around 80.00 (bid 79.92, ask 80.08): mark 80.00, a is liquidated into 79.92:
    # -5580, the fund pays it (420 left).
    v = friday(OnchainBook(book_makers(closed_spread_mult=5), block_time=12), mark_rule="impact")
    first = v.step(WEEKEND, oracle=8_000)
    assert first.mark == 9_950 and first.liquidations == ()
    second = v.step(12, oracle=8_000)
    (liq,) = second.liquidations
    assert second.mark == 8_000 and liq.fund_paid == 5_580 and v.fund == 420
    v.check_conservation()
