"""Every dollar accounted: under random trades, crosses, price paths with gaps, market hours, funding,
liquidations, ADL, socialised losses and freezes, the sum of equities at the mark + fund + venue equals the
net deposits after every single call, positions net to zero, and the end rules keep their promises."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from solver.venues import (
    AlwaysOpen,
    ContractSpec,
    FundingConfig,
    MakerQuotes,
    MarginConfig,
    OnchainBook,
    OracleVault,
    OrderBook,
    PerpVenue,
    TradeRejected,
    USEquityCalendar,
    VenueConfig,
)
from solver.venues.accounts import is_liquidatable

CENTS = ContractSpec(tick_size=Decimal("0.01"), lot_size=Decimal("1"))
TRADERS = ["t0", "t1", "t2", "t3", "t4"]
MAKERS = [
    MakerQuotes(account="m0", half_spread_bps=5, levels=3, step_bps=15, size=40, closed_spread_mult=4),
    MakerQuotes(account="m1", half_spread_bps=20, levels=2, step_bps=50, size=25, closed_size_mult=0),
]

trader = st.integers(0, len(TRADERS) - 1)
dts = st.sampled_from([12, 60, 900, 3600, 4 * 3600, 17 * 3600, 66 * 3600])
proxy_move = st.none() | st.integers(-2000, 2000)
# trade sizes are a percentage of what initial margin allows, so high leverage is common
trade = st.tuples(
    st.just("trade"),
    trader,
    st.sampled_from([-100, -95, -80, -50, -10, 10, 50, 80, 95, 100]),
    st.none() | st.integers(-300, 300),
)
match = st.tuples(st.just("match"), trader, trader, st.integers(1, 200), st.integers(-800, 800))
drift = st.tuples(st.just("step"), dts, st.integers(-300, 300), proxy_move)
gap = st.tuples(
    st.just("step"), dts, st.sampled_from([-4000, -2500, -1200, -700, 700, 1200, 2500, 4000]), proxy_move
)
op = st.one_of(
    trade,
    trade,
    match,
    drift,
    gap,
    st.tuples(st.just("deposit"), trader, st.integers(0, 50_000)),
    st.tuples(st.just("withdraw"), trader, st.integers(0, 50_000)),
)


@st.composite
def venues(draw: st.DrawFn) -> PerpVenue:
    kind = draw(st.sampled_from(["book", "vault", "onchain"]))
    arch = {
        "book": lambda: OrderBook(MAKERS),
        "vault": lambda: OracleVault(spread_bps=draw(st.integers(0, 30)), closed_spread_mult=3),
        "onchain": lambda: OnchainBook(MAKERS, block_time=12),
    }[kind]()
    cfg = VenueConfig(
        spec=CENTS,
        margin=MarginConfig(
            initial=Fraction(1, 10),
            maintenance=Fraction(1, 20),
            penalty=Fraction(draw(st.integers(0, 3)), 100),
        ),
        funding=FundingConfig(
            interval=3600,
            period=8 * 3600,
            cap=Fraction(draw(st.integers(0, 20)), 1000),
            premium=draw(st.sampled_from(["last", "impact"])),
        ),
        mark_rule=draw(st.sampled_from(["oracle", "median", "impact"])),
        oracle_rule=draw(st.sampled_from(["freeze", "proxy", "halt"])),
        end_rule=draw(st.sampled_from(["adl", "socialised", "freeze"])),
        taker_fee=Fraction(draw(st.integers(0, 10)), 10_000),
        impact_lots=draw(st.integers(1, 80)),
    )
    calendar = draw(st.sampled_from([AlwaysOpen(), USEquityCalendar()]))
    start = datetime(2026, 1, 9, draw(st.integers(14, 23)), 0, tzinfo=UTC)  # around Friday's close
    v = PerpVenue(arch, oracle=10_000, config=cfg, calendar=calendar, start=start)
    for account, _ in arch.liquidity_accounts():
        v.deposit(account, draw(st.integers(0, 2_000_000)))
    v.fund_deposit(draw(st.integers(0, 30_000)))
    for t in TRADERS:
        v.open_account(t, deposit=draw(st.integers(20_000, 400_000)))
    return v


def check(v: PerpVenue) -> None:
    v.check_conservation()
    assert v.fund >= 0
    assert v.venue_balance >= -sum(liq.venue_paid for liq in v.liquidations)


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(v=venues(), ops=st.lists(op, min_size=5, max_size=50))
def test_money_is_conserved_after_every_call(v: PerpVenue, ops: list[tuple]) -> None:
    oracle = 10_000
    check(v)
    for o in ops:
        try:
            if o[0] == "trade":
                _, i, pct, limit = o
                room = max(1, v.equity(TRADERS[i]) * 10 // v.mark) * abs(pct) // 100
                v.trade(
                    TRADERS[i],
                    max(1, room) * (1 if pct > 0 else -1),
                    None if limit is None else v.oracle + limit,
                )
            elif o[0] == "match":
                _, i, j, qty, offset = o
                v.match(TRADERS[i], TRADERS[j], qty, max(1, v.oracle + offset))
            elif o[0] == "step":
                _, dt, move, proxy = o
                oracle = max(1, oracle * (10_000 + move) // 10_000)
                report = v.step(
                    dt, oracle, None if proxy is None else max(1, oracle * (10_000 + proxy) // 10_000)
                )
                if not (report.halted or report.frozen):
                    assert not any(is_liquidatable(a, v.mark, v.config.margin) for a in v.accounts.values())
                for liq in report.liquidations:
                    event(f"liquidation ({v.config.end_rule}, {v.arch.name})")
                    for name in ("adl_lots", "socialised", "venue_paid", "froze", "fund_paid", "penalty"):
                        if getattr(liq, name):
                            event(f"liquidation with {name}")
                    # ADL only when the fund cannot pay (then it is spent) or at the mark; the venue and the
                    # winners pay only what the fund could not.
                    if liq.adl_lots and liq.adl_price != liq.mark:
                        assert liq.fund_after == 0
                    if liq.socialised or liq.venue_paid:
                        assert liq.fund_after == 0
                    assert liq.shortfall == liq.fund_paid + liq.socialised + liq.venue_paid + liq.outstanding
                    if not liq.froze:  # closed, and its debt paid by someone: the trader ends at >= 0
                        assert v.accounts[liq.account].qty == 0 and v.equity(liq.account) >= 0
            elif o[0] == "deposit":
                v.deposit(TRADERS[o[1]], o[2])
            else:
                v.withdraw(TRADERS[o[1]], o[2])
        except TradeRejected:
            pass
        check(v)
