"""Funding: f = clamp(time-averaged (P - O) / O, +-cap); each account pays q * M * f * elapsed / period every
interval; f > 0 means longs pay shorts. Payers pay the ceiling, receivers get the floor, the venue keeps
the dust. Prices in cents, one lot = one unit, so money units are cents."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from solver.venues import (
    ContractSpec,
    FundingConfig,
    MakerQuotes,
    OracleVault,
    OrderBook,
    PerpVenue,
    VenueConfig,
)

CENTS = ContractSpec(tick_size=Decimal("0.01"), lot_size=Decimal("1"))
FUNDING = FundingConfig(interval=3600, period=8 * 3600, cap=Fraction(1, 200))


def venue() -> PerpVenue:
    cfg = VenueConfig(spec=CENTS, funding=FUNDING, mark_rule="oracle")
    v = PerpVenue(OracleVault(spread_bps=0), oracle=10_000, config=cfg)
    v.open_account("long", deposit=100_000)
    v.open_account("short", deposit=100_000)
    return v


def test_longs_pay_shorts_when_the_perp_trades_rich_clamped_to_the_cap() -> None:
    # last trade 101.00 over an oracle of 100.00: premium +1%, clamped to the 0.5% cap, so f = +0.005.
    # the long owes q*M*f*dt/period = 3 * 10000 * 0.005 * 3600/28800 = 18.75 cents: it pays 19, the short
    # receives 18, the venue keeps 1.
    v = venue()
    v.match("long", "short", 3, 10_100)
    report = v.step(3600, oracle=10_000)
    assert report.funding_rate == Fraction(1, 200)
    assert v.accounts["long"].funding == -19
    assert v.accounts["short"].funding == 18
    assert v.venue_balance == 1
    assert v.accounts["long"].collateral == 100_000 - 19
    v.check_conservation()


def test_shorts_pay_longs_when_the_perp_trades_cheap_inside_the_band() -> None:
    # last 99.90 under the oracle: premium -0.001 (inside the cap). Long 8 owes 8*10000*(-0.001)/8 = -10:
    # it receives 10 cents and the short pays exactly 10; no dust.
    v = venue()
    v.match("long", "short", 8, 9_990)
    report = v.step(3600, oracle=10_000)
    assert report.funding_rate == Fraction(-1, 1000)
    assert v.accounts["long"].funding == 10
    assert v.accounts["short"].funding == -10
    assert v.venue_balance == 0
    v.check_conservation()


def test_rate_is_the_time_weighted_premium_and_paid_only_when_the_interval_is_up() -> None:
    # last 100.10. First half hour O = 100.00 (premium 0.001), second half O = 100.10 (premium 0): the
    # average is 0.0005. Nothing is paid after 30 minutes. At the hour the mark is 10010 and the long (4)
    # owes 4 * 10010 * 0.0005 / 8 = 2.5025 cents: pays 3, the short receives 2.
    v = venue()
    v.match("long", "short", 4, 10_010)
    first = v.step(1800, oracle=10_000)
    assert first.funding_rate is None
    assert v.accounts["long"].funding == 0
    second = v.step(1800, oracle=10_010)
    assert second.funding_rate == Fraction(1, 2000)
    assert v.accounts["long"].funding == -3
    assert v.accounts["short"].funding == 2
    assert v.venue_balance == 1
    v.check_conservation()


def test_no_funding_when_disabled_or_flat() -> None:
    v = venue()
    v.match("long", "short", 5, 10_000)
    assert v.step(3600, oracle=10_000).funding_rate == 0
    assert v.accounts["long"].funding == v.accounts["short"].funding == 0
    cfg = VenueConfig(spec=CENTS, funding=FundingConfig(enabled=False))
    off = PerpVenue(OracleVault(spread_bps=0), oracle=10_000, config=cfg)
    off.open_account("a", deposit=100_000)
    off.open_account("b", deposit=100_000)
    off.match("a", "b", 5, 10_500)
    assert off.step(8 * 3600, oracle=10_000).funding_rate is None
    assert off.accounts["a"].funding == 0


def test_impact_premium_ignores_a_stale_last_trade() -> None:
    # the book is 99.90/100.10 around a 100.00 oracle: impact mid 100.00, premium 0, so no funding even
    # though the last trade (a cross) was at 101.00; with premium="last" the same step pays +0.5%.
    for premium, rate in (("impact", 0), ("last", Fraction(1, 200))):
        funding = FundingConfig(cap=Fraction(1, 200), premium=premium)
        cfg = VenueConfig(spec=CENTS, funding=funding, impact_lots=10)
        book = OrderBook([MakerQuotes(half_spread_bps=10, levels=1, size=100)])
        v = PerpVenue(book, oracle=10_000, config=cfg)
        v.open_account("long", deposit=100_000)
        v.open_account("short", deposit=100_000)
        v.match("long", "short", 3, 10_100)
        assert v.step(3600, oracle=10_000).funding_rate == rate
        v.check_conservation()
