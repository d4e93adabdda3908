"""The perpetual-futures venue: one steppable loop of oracle, mark, funding, margin and liquidation.

`PerpVenue.step(dt, oracle)` advances the clock by `dt` seconds and runs, in order: the oracle rule (is the
underlying open? if not: freeze, follow the proxy, or halt), the architecture's requote, queued orders (on
a chain), the mark, funding, and liquidations. Trades come in through `trade` (against the architecture's
liquidity) or `match` (a negotiated cross between two accounts, e.g. to set up a scenario).

Money is integer units (see `units`): every change of a balance is a transfer between two of the venue's
balances (an account's collateral, the insurance fund, the venue's own balance), or a fill that moves
`lots * price` between two accounts whose positions net to zero. So `total_money()`, the sum over accounts'
equity at the mark plus the fund plus the venue, equals `net_deposits` exactly after every call;
`check_conservation()` says so or raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Literal

from solver.venues.accounts import (
    Account,
    MarginConfig,
    Role,
    initial_margin,
    is_liquidatable,
    maintenance_margin,
)
from solver.venues.architectures import Architecture, Level, Side
from solver.venues.calendar import AlwaysOpen, MarketCalendar
from solver.venues.liquidation import liquidate
from solver.venues.pricing import FundingConfig, FundingState, MarkRule, MarkState, OracleRule, mark_price
from solver.venues.records import FUND, VENUE, EndRule, Fill, FillKind, Liquidation, VenueStats
from solver.venues.units import ContractSpec, as_fraction, sign

DEFAULT_START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # a Monday, 10:00 New York: both calendars open


class TradeRejected(Exception):
    """A trade or withdrawal the venue refuses; `reason` is one of halted, frozen, margin, liquidity,
    account, quantity."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class VenueConfig:
    """Everything that makes one venue differ from another except its liquidity and calendar; the rule
    fields also take their string values ("median", "proxy", "socialised") so a TOML file can set them."""

    spec: ContractSpec = field(default_factory=ContractSpec)
    margin: MarginConfig = field(default_factory=MarginConfig)
    funding: FundingConfig = field(default_factory=FundingConfig)
    mark_rule: MarkRule = MarkRule.ORACLE
    oracle_rule: OracleRule = OracleRule.FREEZE
    end_rule: EndRule = EndRule.ADL
    taker_fee: Fraction = Fraction(0)  # of notional, paid to the venue
    ema_window: int = 300  # seconds, the median mark's basis EMA
    impact_lots: int = 1_000  # the impact mark's size

    def __post_init__(self) -> None:
        object.__setattr__(self, "taker_fee", as_fraction(self.taker_fee))
        object.__setattr__(self, "mark_rule", MarkRule(self.mark_rule))
        object.__setattr__(self, "oracle_rule", OracleRule(self.oracle_rule))
        object.__setattr__(self, "end_rule", EndRule(self.end_rule))


@dataclass(frozen=True)
class TradeResult:
    status: Literal["filled", "queued"]
    qty: int = 0
    avg_price: Fraction | None = None
    fee: int = 0


@dataclass(frozen=True)
class StepReport:
    time: datetime
    underlying_open: bool
    halted: bool
    frozen: bool
    oracle: int
    mark: int
    last: int
    funding_rate: Fraction | None  # the rate paid this step, if a payment fell due
    liquidations: tuple[Liquidation, ...]


class PerpVenue:
    """A perp on one underlying. Prices are integer ticks, quantities integer lots, money integer units
    (`config.spec` converts). Deterministic: the same calls give the same state, no randomness inside."""

    def __init__(
        self,
        architecture: Architecture,
        oracle: int,
        *,
        config: VenueConfig | None = None,
        calendar: MarketCalendar | None = None,
        start: datetime = DEFAULT_START,
    ) -> None:
        if oracle <= 0:
            raise ValueError("oracle price must be > 0 ticks")
        self.config = config or VenueConfig()
        self.arch = architecture
        self.calendar = calendar or AlwaysOpen()
        self.now = start
        self.accounts: dict[str, Account] = {}
        self.fund = 0
        self.venue_balance = 0
        self.net_deposits = 0
        self.underlying_open = self.calendar.is_open(start)
        self.oracle = self.last = self.mark = oracle
        self._open_oracle = oracle  # the oracle at the last open step: what FREEZE and HALT hold
        self.halted = self.config.oracle_rule == OracleRule.HALT and not self.underlying_open
        self.frozen = False
        self.funding_state = FundingState()
        self.mark_state = MarkState(window=self.config.ema_window)
        self.fills: list[Fill] = []
        self.liquidations: list[Liquidation] = []
        self.rejections: list[tuple[datetime, str, int, str]] = []
        self.stats = VenueStats()
        self._queue: list[tuple[str, int, int | None]] = []
        for account, role in self.arch.liquidity_accounts():
            self.open_account(account, role=role)
        self.arch.refresh(self.oracle, self.underlying_open)

    # --- money in and out -------------------------------------------------------------------------------

    def open_account(self, account_id: str, deposit: int = 0, role: Role = "trader") -> Account:
        if account_id in self.accounts or account_id in (FUND, VENUE):
            raise ValueError(f"account {account_id!r} exists")
        self.accounts[account_id] = Account(account_id, role=role)
        if deposit:
            self.deposit(account_id, deposit)
        return self.accounts[account_id]

    def deposit(self, account_id: str, units: int) -> None:
        if units < 0:
            raise ValueError("deposit must be >= 0")
        self._account(account_id).collateral += units
        self.net_deposits += units

    def withdraw(self, account_id: str, units: int) -> None:
        """Withdraw collateral (at most all of it), leaving at least initial margin at the mark."""
        a = self._account(account_id)
        if units < 0 or units > a.collateral:
            raise TradeRejected("quantity", "withdrawal must be between 0 and the collateral")
        if a.qty and a.equity(self.mark) - units < initial_margin(a, self.mark, self.config.margin):
            raise TradeRejected("margin", "withdrawal would leave less than initial margin")
        a.collateral -= units
        self.net_deposits -= units

    def fund_deposit(self, units: int) -> None:
        """Seed or top up the insurance fund (an explicit deposit)."""
        if units < 0:
            raise ValueError("deposit must be >= 0")
        self.fund += units
        self.net_deposits += units

    def total_money(self) -> int:
        """Sum of every account's equity at the mark, the insurance fund and the venue's balance."""
        return sum(a.equity(self.mark) for a in self.accounts.values()) + self.fund + self.venue_balance

    def check_conservation(self) -> None:
        """Raise AssertionError unless money is conserved and open interest nets to zero."""
        net_qty = sum(a.qty for a in self.accounts.values())
        if net_qty != 0:
            raise AssertionError(f"positions do not net to zero: {net_qty}")
        total = self.total_money()
        if total != self.net_deposits:
            raise AssertionError(f"total money {total} != net deposits {self.net_deposits}")

    def _account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise TradeRejected("account", f"no account {account_id!r}") from None

    def _move(self, units: int, src: str, dst: str) -> None:
        """Move `units` from one balance to another: the only way money changes hands besides fills."""
        for name, delta in ((src, -units), (dst, units)):
            if name == FUND:
                self.fund += delta
            elif name == VENUE:
                self.venue_balance += delta
            else:
                self.accounts[name].collateral += delta

    def _fill(self, taker: str, maker: str, qty: int, price: int, kind: FillKind) -> None:
        self.accounts[taker].apply_fill(qty, price)
        self.accounts[maker].apply_fill(-qty, price)
        self.last = price
        self.fills.append(Fill(self.now, taker, maker, qty, price, kind))

    def open_interest(self) -> int:
        """Lots held long (equal to lots held short)."""
        return sum(a.qty for a in self.accounts.values() if a.qty > 0)

    def summary(self) -> dict[str, object]:
        """Plain figures for a report or a JSON line: prices in dollars, money in dollars, as Decimals."""
        spec, st = self.config.spec, self.stats
        return {
            "time": self.now.isoformat(),
            "underlying_open": self.underlying_open,
            "halted": self.halted,
            "frozen": self.frozen,
            "oracle": spec.price(self.oracle),
            "mark": spec.price(self.mark),
            "last": spec.price(self.last),
            "open_interest": spec.lot_size * self.open_interest(),
            "fund": spec.dollars(self.fund),
            "venue_balance": spec.dollars(self.venue_balance),
            "liquidations": st.liquidations,
            "bad_debt": spec.dollars(st.bad_debt),
            "fund_paid": spec.dollars(st.fund_paid),
            "fund_exhausted": st.fund_exhausted,
            "adl_notional": spec.dollars(st.adl_notional),
            "socialised": spec.dollars(st.socialised),
            "venue_paid": spec.dollars(st.venue_paid),
            "outstanding": spec.dollars(sum(liq.outstanding for liq in self.liquidations)),
        }

    # --- margin views -----------------------------------------------------------------------------------

    def equity(self, account_id: str) -> int:
        return self._account(account_id).equity(self.mark)

    def maintenance_margin(self, account_id: str) -> Fraction:
        return maintenance_margin(self._account(account_id), self.mark, self.config.margin)

    def initial_margin(self, account_id: str) -> Fraction:
        return initial_margin(self._account(account_id), self.mark, self.config.margin)

    def is_liquidatable(self, account_id: str) -> bool:
        return is_liquidatable(self._account(account_id), self.mark, self.config.margin)

    def liquidation_distance(self, account_id: str) -> Fraction | None:
        """How far the mark can move against the account before it is liquidatable, as a fraction of the
        mark (positive: still safe); None without a position. Equity and maintenance margin are both
        linear in the mark, so the line is exact: collateral + qty*M - cost = maintenance*|qty|*M."""
        account = self._account(account_id)
        if account.qty == 0 or self.mark <= 0:
            return None
        q = account.qty
        line = Fraction(account.cost - account.collateral) / (q - self.config.margin.maintenance * abs(q))
        move = (line - self.mark) / self.mark
        return move if q < 0 else -move

    def _margin_ok(self, before: Account, after: Account) -> bool:
        """Reducing a position is always allowed; otherwise equity must cover initial margin (mark)."""
        reducing = after.qty == 0 or (
            sign(after.qty) == sign(before.qty) and abs(after.qty) <= abs(before.qty)
        )
        return reducing or after.equity(self.mark) >= initial_margin(after, self.mark, self.config.margin)

    # --- trading ----------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.frozen:
            raise TradeRejected("frozen", "the venue froze after a loss beyond its insurance fund")
        if self.halted:
            raise TradeRejected("halted", "the underlying is closed and the oracle rule is halt")

    def trade(self, account_id: str, qty: int, limit: int | None = None) -> TradeResult:
        """Take `qty` lots (negative: sell) from the architecture's liquidity, no worse than `limit` ticks.

        Fills what the depth allows (partial fills are kept) and rejects the whole order if the account's
        margin would not cover it. On a chain the order is queued and executes at the next step (block).
        """
        self._account(account_id)
        if qty == 0:
            raise TradeRejected("quantity", "zero quantity")
        self._check_open()
        if self.arch.block_time:
            self._queue.append((account_id, qty, limit))
            return TradeResult("queued")
        return self._execute(account_id, qty, limit)

    def _execute(self, account_id: str, qty: int, limit: int | None) -> TradeResult:
        side: Side = "buy" if qty > 0 else "sell"
        plan: list[tuple[Level, int]] = []
        left = abs(qty)
        for level in self.arch.levels(side):
            if left == 0:
                break
            if level.account == account_id or level.qty == 0:
                continue
            if limit is not None and (level.price > limit if side == "buy" else level.price < limit):
                break
            n = left if level.qty is None else min(left, level.qty)
            plan.append((level, n))
            left -= n
        if not plan:
            raise TradeRejected("liquidity", "no liquidity within the limit")
        s = sign(qty)
        notional = sum(n * level.price for level, n in plan)
        fee = math.ceil(notional * self.config.taker_fee)
        before = self.accounts[account_id]
        after = replace(before)
        for level, n in plan:
            after.apply_fill(s * n, level.price)
        after.collateral -= fee
        if not self._margin_ok(before, after):
            raise TradeRejected("margin", "equity would not cover initial margin")
        for level, n in plan:
            self._fill(account_id, level.account, s * n, level.price, "trade")
            if level.qty is not None:
                level.qty -= n
        if fee:
            self._move(fee, account_id, VENUE)
            self.accounts[account_id].fees += fee
        filled = abs(qty) - left
        return TradeResult("filled", s * filled, Fraction(notional, filled), fee)

    def match(self, buyer: str, seller: str, qty: int, price: int) -> None:
        """Cross `qty` lots between two accounts at `price` ticks (no fee); both must stay within margin."""
        self._check_open()
        if qty <= 0 or price <= 0:
            raise TradeRejected("quantity", "quantity and price must be > 0")
        if buyer == seller:
            raise TradeRejected("account", "an account cannot trade with itself")
        for account_id, dq in ((buyer, qty), (seller, -qty)):
            before = self._account(account_id)
            after = replace(before)
            after.apply_fill(dq, price)
            if before.role == "trader" and not self._margin_ok(before, after):
                raise TradeRejected("margin", f"{account_id} would not cover initial margin")
        self._fill(buyer, seller, qty, price, "match")

    # --- the loop ---------------------------------------------------------------------------------------

    def step(self, dt: int | timedelta, oracle: int, proxy: int | None = None) -> StepReport:
        """Advance `dt` seconds; `oracle` is the underlying's price now (ticks; ignored while it is closed,
        except to hold it for the reopening), `proxy` the thin market's price for the PROXY oracle rule."""
        seconds = int(dt.total_seconds()) if isinstance(dt, timedelta) else int(dt)
        if seconds <= 0 or oracle <= 0:
            raise ValueError("dt and oracle must be > 0")
        if self.arch.block_time and seconds < self.arch.block_time:
            raise ValueError(f"an on-chain venue steps at least one block ({self.arch.block_time} s)")
        self.now += timedelta(seconds=seconds)
        self.underlying_open = self.calendar.is_open(self.now)
        rule = self.config.oracle_rule
        if self.underlying_open:
            self.oracle = self._open_oracle = oracle
        elif rule == OracleRule.PROXY and proxy is not None:
            self.oracle = proxy
        elif rule != OracleRule.PROXY:
            self.oracle = self._open_oracle
        self.halted = rule == OracleRule.HALT and not self.underlying_open
        self.arch.refresh(self.oracle, self.underlying_open)
        self._run_queue()
        impact = self.arch.impact(self.config.impact_lots)
        if not self.halted:
            self.mark_state.update(self.last, self.oracle, seconds)
            self.mark = mark_price(
                self.config.mark_rule, self.oracle, self.last, self.mark_state.ema_basis, impact
            )
        rate = None
        if self.config.funding.enabled and not (self.halted or self.frozen):
            price, (bid, ask) = Fraction(self.last), impact
            if self.config.funding.premium == "impact" and bid is not None and ask is not None:
                price = (bid + ask) / 2
            self.funding_state.accrue(price, self.oracle, seconds)
            if self.funding_state.elapsed >= self.config.funding.interval:
                rate = self._pay_funding()
        done: list[Liquidation] = []
        if not (self.halted or self.frozen):
            done = self._liquidate_all()
        return StepReport(
            self.now,
            self.underlying_open,
            self.halted,
            self.frozen,
            self.oracle,
            self.mark,
            self.last,
            rate,
            tuple(done),
        )

    def _run_queue(self) -> None:
        queue, self._queue = self._queue, []
        for account_id, qty, limit in queue:
            try:
                self._check_open()
                self._execute(account_id, qty, limit)
            except TradeRejected as e:
                self.rejections.append((self.now, account_id, qty, e.reason))

    def _pay_funding(self) -> Fraction:
        """Each account pays q * M * f * elapsed / period: payers pay the ceiling, receivers get the floor,
        and the venue keeps the rounding dust (so it never pays out more than it took in)."""
        state, cfg = self.funding_state, self.config.funding
        rate = state.rate(cfg.cap)
        factor = rate * Fraction(state.elapsed, cfg.period)
        for a in sorted(self.accounts.values(), key=lambda a: a.id):
            owed = a.qty * self.mark * factor
            if owed > 0:
                units = math.ceil(owed)
                self._move(units, a.id, VENUE)
                a.funding -= units
            elif owed < 0:
                units = math.floor(-owed)
                self._move(units, VENUE, a.id)
                a.funding += units
        state.last_rate = rate
        state.reset()
        return rate

    def _liquidate_all(self) -> list[Liquidation]:
        done: list[Liquidation] = []
        while not self.frozen:
            due = [
                a
                for a in sorted(self.accounts.values(), key=lambda a: a.id)
                if is_liquidatable(a, self.mark, self.config.margin)
            ]
            if not due:
                break
            event = liquidate(self, due[0])
            done.append(event)
            self.liquidations.append(event)
        return done
