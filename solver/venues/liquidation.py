"""The liquidation engine: close a trader at or below maintenance margin, then settle what is left.

1. Close in the market: walk the architecture's liquidity on the closing side, best price first. Under ADL
   and FREEZE the engine only takes a level while the fund could still cover the loss if everything left
   closed at that level's price (`equity(at level) >= -fund`); under SOCIALISED it takes all the depth.
2. If lots remain (depth exhausted, or the next level would need more than the fund):
   - FREEZE: the venue freezes with the rest of the position and its debt left open;
   - otherwise auto-deleveraging: the rest is closed against the opposite positions with the largest
     unrealised PnL at the mark (ties by account id). The price is the mark if the fund can pay the loss of
     closing there; otherwise the **bankruptcy price given the fund**, at which the fund pays its whole
     balance and the deleveraged positions bear the rest (rounded so the account's equity lands at or just
     below -fund; the venue pays that rounding, under one tick per lot). So a deleveraged trader never gets
     a better price than the mark, and the fund never subsidises them.
3. Settle: equity left after the close pays the penalty (up to what is left) to the fund; a negative equity
   is bad debt (`shortfall`), paid by the fund first, then, under SOCIALISED, by winners pro rata to their
   unrealised PnL (largest remainder, each at most its PnL), and any last remainder by the venue.

ADL therefore never starts while the fund could pay for closing in the market; when the market gapped
through the bankruptcy price it starts with the fund spent to zero.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

from solver.venues.accounts import Account
from solver.venues.architectures import Side
from solver.venues.records import FUND, VENUE, EndRule, Liquidation
from solver.venues.units import sign

if TYPE_CHECKING:
    from solver.venues.perp import PerpVenue


def liquidate(venue: PerpVenue, account: Account) -> Liquidation:
    cfg, mark, stats = venue.config, venue.mark, venue.stats
    q0 = account.qty
    s = sign(q0)
    event = Liquidation(venue.now, account.id, q0, mark, account.equity(mark))
    penalty_due = math.ceil(abs(q0) * mark * cfg.margin.penalty)
    budgeted = cfg.end_rule != EndRule.SOCIALISED
    side: Side = "sell" if s > 0 else "buy"
    for level in venue.arch.levels(side):
        if account.qty == 0:
            break
        if level.account == account.id or level.qty == 0:
            continue
        if budgeted and account.equity(level.price) < -venue.fund:
            break
        n = abs(account.qty) if level.qty is None else min(abs(account.qty), level.qty)
        venue._fill(account.id, level.account, -s * n, level.price, "liquidation")
        if level.qty is not None:
            level.qty -= n
        event.market_lots += n
    stats.liquidations += 1
    if account.qty and cfg.end_rule == EndRule.FREEZE:
        venue.frozen = True
        stats.frozen_at = venue.now
        event.froze = True
        event.outstanding = max(0, -account.equity(mark))
        event.shortfall = event.outstanding
        stats.bad_debt += event.shortfall
        event.fund_after = venue.fund
        return event
    if account.qty:
        _deleverage(venue, account, event)
    equity = account.equity(mark)  # the position is closed: equity is collateral
    if equity >= 0:
        event.penalty = min(penalty_due, equity)
        venue._move(event.penalty, account.id, FUND)
        stats.penalties += event.penalty
    else:
        event.shortfall = -equity
        event.fund_paid = min(venue.fund, event.shortfall)
        venue._move(event.fund_paid, FUND, account.id)
        rest = event.shortfall - event.fund_paid
        if rest and cfg.end_rule == EndRule.SOCIALISED:
            event.socialised = _socialise(venue, account, rest)
        event.venue_paid = rest - event.socialised
        venue._move(event.venue_paid, VENUE, account.id)
        stats.bad_debt += event.shortfall
        stats.fund_paid += event.fund_paid
        stats.socialised += event.socialised
        stats.venue_paid += event.venue_paid
        if venue.fund == 0:
            stats.fund_exhausted += 1
    stats.fund_low = venue.fund if stats.fund_low is None else min(stats.fund_low, venue.fund)
    event.fund_after = venue.fund
    return event


def adl_price(account: Account, fund: int, mark: int) -> int:
    """The mark, or if closing the rest of `account` there costs more than `fund`, the price that leaves its
    equity at (or just below, by rounding) -fund."""
    exact = Fraction(-fund - (account.collateral - account.cost), account.qty)
    if account.qty > 0:
        return max(1, mark, math.floor(exact))
    return max(1, min(mark, math.ceil(exact)))


def _deleverage(venue: PerpVenue, account: Account, event: Liquidation) -> None:
    mark, s = venue.mark, sign(account.qty)
    price = adl_price(account, venue.fund, mark)
    ranked = sorted(
        (a for a in venue.accounts.values() if a.id != account.id and sign(a.qty) == -s),
        key=lambda a: (-a.upnl(mark), a.id),
    )
    for other in ranked:
        if account.qty == 0:
            break
        n = min(abs(account.qty), abs(other.qty))
        venue._fill(account.id, other.id, -s * n, price, "adl")
        other.deleveraged += n
        event.adl_counterparties.append((other.id, n))
        event.adl_lots += n
    event.adl_price = price
    event.adl_notional = event.adl_lots * price
    venue.stats.adl_lots += event.adl_lots
    venue.stats.adl_notional += event.adl_notional


def _socialise(venue: PerpVenue, account: Account, loss: int) -> int:
    """Charge `loss` to accounts with unrealised profit, pro rata, each at most its profit; return charged."""
    mark = venue.mark
    winners = sorted(
        ((a, a.upnl(mark)) for a in venue.accounts.values() if a.id != account.id and a.upnl(mark) > 0),
        key=lambda t: t[0].id,
    )
    total = sum(u for _, u in winners)
    if total == 0:
        return 0
    take = min(loss, total)
    shares = [(a, take * u // total, Fraction(take * u, total) - take * u // total) for a, u in winners]
    short = take - sum(n for _, n, _ in shares)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][2], shares[i][0].id))
    bonus = set(by_remainder[:short])
    for i, (a, n, _) in enumerate(shares):
        n += i in bonus
        a.collateral -= n
        a.haircut += n
    account.collateral += take
    return take
