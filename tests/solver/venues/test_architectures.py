"""Market hours, the three architectures' liquidity, the oracle rules while closed and the mark rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from solver.venues import (
    AlwaysOpen,
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
FRIDAY_1500_NY = datetime(2026, 1, 9, 20, 0, tzinfo=UTC)  # winter: New York is UTC-5


def test_us_equity_calendar_hours_weekends_dst_and_holidays() -> None:
    cal = USEquityCalendar(holidays=frozenset({date(2026, 1, 19)}))
    assert cal.is_open(datetime(2026, 1, 9, 14, 30, tzinfo=UTC))  # Fri 09:30 NY
    assert not cal.is_open(datetime(2026, 1, 9, 14, 29, tzinfo=UTC))
    assert cal.is_open(datetime(2026, 1, 9, 20, 59, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 1, 9, 21, 0, tzinfo=UTC))  # 16:00 NY: closed
    assert not cal.is_open(datetime(2026, 1, 10, 17, 0, tzinfo=UTC))  # Saturday
    assert not cal.is_open(datetime(2026, 1, 19, 17, 0, tzinfo=UTC))  # the holiday (a Monday)
    assert cal.is_open(datetime(2026, 7, 6, 13, 30, tzinfo=UTC))  # summer: 09:30 NY is 13:30 UTC
    assert not cal.is_open(datetime(2026, 1, 9, 13, 30, tzinfo=UTC))  # winter: 08:30 NY
    assert AlwaysOpen().is_open(datetime(2026, 1, 10, 3, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        cal.is_open(datetime(2026, 1, 9, 15, 0))


def test_order_book_ladder_and_makers_widening_or_leaving_while_closed() -> None:
    book = OrderBook(
        [
            MakerQuotes(account="w", half_spread_bps=10, levels=2, step_bps=20, size=5, closed_spread_mult=3),
            MakerQuotes(account="l", half_spread_bps=20, levels=1, size=7, closed_size_mult=0),
        ]
    )
    book.refresh(10_000, underlying_open=True)
    # w: 10 and 30 bps; l: 20 bps. Bids floor, asks ceil.
    assert [(lv.account, lv.price, lv.qty) for lv in book.levels("sell")] == [
        ("w", 9990, 5),
        ("l", 9980, 7),
        ("w", 9970, 5),
    ]
    assert [(lv.account, lv.price) for lv in book.levels("buy")] == [("w", 10010), ("l", 10020), ("w", 10030)]
    assert book.impact(10) == (Fraction(9990 * 5 + 9980 * 5, 10), Fraction(10010 * 5 + 10020 * 5, 10))
    assert book.impact(100) == (None, None)
    book.refresh(10_000, underlying_open=False)  # w widens x3 (30, 90 bps), l leaves
    assert [(lv.account, lv.price) for lv in book.levels("sell")] == [("w", 9970), ("w", 9910)]


def test_vault_is_every_traders_counterparty_at_the_oracle_plus_spread() -> None:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False))
    v = PerpVenue(OracleVault(spread_bps=10, closed_spread_mult=2), oracle=10_000, config=cfg)
    v.open_account("a", deposit=1_000_000)
    v.open_account("b", deposit=1_000_000)
    assert v.trade("a", 500).avg_price == 10_010
    assert v.trade("b", -300).avg_price == 9_990
    assert v.accounts["vault"].qty == -200
    v.check_conservation()


def test_trading_walks_the_book_respects_limits_and_takes_fees() -> None:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), taker_fee=Fraction(1, 1000))
    v = PerpVenue(
        OrderBook([MakerQuotes(half_spread_bps=10, levels=3, step_bps=10, size=5)]), oracle=10_000, config=cfg
    )
    v.open_account("a", deposit=1_000_000)
    r = v.trade("a", 12, limit=10_020)  # 5 at 100.10, 5 at 100.20; 100.30 is beyond the limit
    assert (r.qty, r.avg_price) == (10, Fraction(10_015))
    assert r.fee == 101  # ceil(0.1% * 100150)
    assert v.venue_balance == 101 and v.last == 10_020
    with pytest.raises(TradeRejected) as e:
        v.trade("a", 1, limit=10_000)
    assert e.value.reason == "liquidity"
    v.check_conservation()


def test_onchain_book_queues_orders_to_the_next_block_against_quotes_one_block_stale() -> None:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False))
    v = PerpVenue(
        OnchainBook([MakerQuotes(half_spread_bps=10, levels=1, size=50)], block_time=12),
        oracle=10_000,
        config=cfg,
    )
    v.deposit("maker", 10_000_000)
    v.open_account("a", deposit=1_000_000)
    assert v.trade("a", 5).status == "queued" and v.accounts["a"].qty == 0
    v.step(12, oracle=10_500)  # this block's book was quoted around the previous oracle, 100.00
    assert v.accounts["a"].qty == 5 and v.last == 10_010
    v.trade("a", 5)
    v.step(12, oracle=10_500)  # now the quotes are around 105.00
    assert v.last == 10_511  # ceil(10500 * 1.001)
    with pytest.raises(ValueError):
        v.step(5, oracle=10_500)
    v.check_conservation()


def closed_venue(rule: str, mark_rule: str = "oracle") -> PerpVenue:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), oracle_rule=rule, mark_rule=mark_rule)
    v = PerpVenue(
        OracleVault(spread_bps=0),
        oracle=10_000,
        config=cfg,
        calendar=USEquityCalendar(),
        start=FRIDAY_1500_NY,
    )
    v.open_account("a", deposit=1_000_000)
    return v


def test_oracle_rules_while_the_underlying_is_closed() -> None:
    freeze = closed_venue("freeze")
    freeze.step(3600, oracle=9_000, proxy=9_500)  # 16:00 NY: closed; the oracle holds the last open price
    assert (freeze.oracle, freeze.halted) == (10_000, False)
    freeze.trade("a", 1)  # trading goes on at the frozen price
    assert freeze.last == 10_000

    proxy = closed_venue("proxy")
    proxy.step(3600, oracle=9_000, proxy=9_500)
    assert proxy.oracle == proxy.mark == 9_500
    proxy.step(3600, oracle=9_000)  # no proxy print: hold
    assert proxy.oracle == 9_500

    halt = closed_venue("halt")
    report = halt.step(3600, oracle=9_000, proxy=9_500)
    assert report.halted and halt.oracle == 10_000
    with pytest.raises(TradeRejected) as e:
        halt.trade("a", 1)
    assert e.value.reason == "halted"
    reopen = halt.step(235_800, oracle=9_000)  # Monday 09:30 NY
    assert reopen.underlying_open and not reopen.halted and halt.oracle == halt.mark == 9_000


def test_median_mark_of_oracle_last_and_oracle_plus_basis_ema() -> None:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), mark_rule="median", ema_window=300)
    v = PerpVenue(OracleVault(spread_bps=0), oracle=10_000, config=cfg)
    v.open_account("a", deposit=1_000_000)
    v.open_account("b", deposit=1_000_000)
    v.match("a", "b", 1, 10_300)  # basis +300
    v.step(60, oracle=10_000)  # ema = 0 + 60/300 * 300 = 60: median(10000, 10300, 10060) = 10060
    assert v.mark_state.ema_basis == 60 and v.mark == 10_060
    v.step(60, oracle=10_000)  # ema = 60 + 0.2 * 240 = 108
    assert v.mark == 10_108
    v.step(600, oracle=10_000)  # a window or more: ema = basis = 300 -> median(10000, 10300, 10300)
    assert v.mark == 10_300


def test_impact_mark_clamps_the_oracle_into_the_impact_bid_ask() -> None:
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False), mark_rule="impact", impact_lots=10)
    book = OrderBook([MakerQuotes(half_spread_bps=10, levels=1, size=100)])
    v = PerpVenue(book, oracle=10_000, config=cfg)
    v.step(60, oracle=10_000)
    assert v.mark == 10_000  # inside [99.90, 100.10]
    # a maker that quotes around a stale reference: book at 100.00 while the oracle says 105.00
    onchain = PerpVenue(
        OnchainBook([MakerQuotes(half_spread_bps=10, levels=1, size=100)]), oracle=10_000, config=cfg
    )
    onchain.step(12, oracle=10_500)
    assert onchain.mark == 10_010  # the oracle clamped to the impact ask
    empty = PerpVenue(OrderBook([]), oracle=10_000, config=cfg)
    empty.step(60, oracle=10_200)
    assert empty.mark == 10_200  # no depth: the oracle
