"""The weekend-gap scenario: a stock perp's traders hold positions over a weekend the underlying is shut;
it reopens X% away. Which architecture and mark rule lets the gap through to the insurance fund?

Why common random numbers: the question is the venue's design, not luck, so every variant (architecture x
mark rule x oracle rule) of one seed sees the *same* market path, gap and trader population; only the venue
differs. One path:

1. the venue opens `market.start` (an hour before Friday's close by default) with its insurance fund and its
   liquidity (makers' or the vault's capital);
2. the traders (seeded collateral, leverage and side) enter against the venue's liquidity, spread over the
   open steps before the close; the underlying moves by GBM plus jumps;
3. the venue steps through the weekend (`market.closed_step`, 2 h by default): the oracle follows its rule
   (freeze, proxy, halt) and the book its architecture (makers widen or leave while they cannot hedge);
4. the underlying reopens by the gap, and the venue runs `market.after_open` seconds more.

Each (seed, variant) gives one row: the fund's start, use, low and end, whether it was exhausted, the
shortfall beyond it, bad debt, deleveraged notional, liquidations and the liquidity's (makers' or vault's)
PnL, all in dollars. Money is the venue's exact integer units; conservation is checked at the end of every
path.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from solver.stress.paths import MarketPath, Schedule, market_path, schedule
from solver.stress.weekend_gap_config import (
    FLOW,
    ArchName,
    BookParams,
    FlowParams,
    MarketConfig,
    MarkName,
    OnchainParams,
    OracleName,
    RunConfig,
    TraderParams,
    Variants,
    VaultParams,
    VenueParams,
    WeekendGapConfig,
)
from solver.stress.weekend_gap_report import VARIANT_KEYS, WeekendBooks, summarise_venue
from solver.venues import (
    Architecture,
    FundingConfig,
    MakerQuotes,
    MarginConfig,
    OnchainBook,
    OracleVault,
    OrderBook,
    PerpVenue,
    TradeRejected,
    VenueConfig,
)

__all__ = [
    "FLOW",
    "BookParams",
    "Draw",
    "FlowParams",
    "MarketConfig",
    "OnchainParams",
    "RunConfig",
    "Trader",
    "TraderParams",
    "Variant",
    "Variants",
    "VaultParams",
    "VenueParams",
    "WeekendGap",
    "WeekendGapConfig",
]


@dataclass(frozen=True)
class Variant:
    architecture: ArchName
    mark_rule: MarkName
    oracle_rule: OracleName

    @property
    def label(self) -> str:
        return f"{self.architecture}/{self.mark_rule}/{self.oracle_rule}"


@dataclass(frozen=True)
class Trader:
    id: str
    long: bool
    collateral: Decimal  # dollars, to the cent
    leverage: float
    entry_step: int


def population(rng: np.random.Generator, t: TraderParams, entry_steps: int = 0) -> tuple[Trader, ...]:
    """`t.count` traders from `rng`: a share `long_share` long (shuffled), collateral lognormal (to the
    cent), leverage uniform; trader i enters at step i * entry_steps // count (0: all at the start)."""
    longs = round(t.count * t.long_share)
    sides = np.array([True] * longs + [False] * (t.count - longs))
    rng.shuffle(sides)
    collateral = t.collateral * np.exp(t.collateral_sigma * rng.standard_normal(t.count))
    leverage = rng.uniform(t.leverage_min, t.leverage_max, t.count)
    return tuple(
        Trader(
            f"t{i:03d}",
            bool(sides[i]),
            Decimal(f"{collateral[i]:.2f}"),
            float(leverage[i]),
            i * entry_steps // max(1, t.count),
        )
        for i in range(t.count)
    )


@dataclass(frozen=True)
class Draw:
    """Everything random about one seed: the market path and the population (shared by all variants)."""

    seed: int
    path: MarketPath
    traders: tuple[Trader, ...]
    flow: tuple[int, ...]  # the noise taker's side before each step: +1 buy, -1 sell


class WeekendGap:
    """The scenario engine: `draw(seed)` makes a seed's path and population, `simulate(variant, draw)` runs
    one venue over it (a generator of steps, for a notebook), `run_seed(seed)` gives every variant's row."""

    config_cls = WeekendGapConfig
    variant_keys = VARIANT_KEYS
    summarise = staticmethod(summarise_venue)

    def __init__(self, config: WeekendGapConfig) -> None:
        self.config = config
        m = config.market
        start = m.start_time()
        end = start + timedelta(days=7)
        block = config.onchain.block_time if "onchain" in config.variants.architectures else 1
        full = schedule(m.calendar_obj(), start, end, m.step, m.closed_step, min_step=block)
        reopen = next(
            (i for i in range(1, len(full.times)) if full.open[i] and not full.open[i - 1]),
            None,
        )
        if not full.open[0] or reopen is None:
            raise ValueError("market.start must be an open time followed by a close within a week")
        last = full.times[reopen] + timedelta(seconds=m.after_open)
        keep = [i for i, t in enumerate(full.times) if t <= last]
        self.schedule = Schedule(tuple(full.times[i] for i in keep), tuple(full.open[i] for i in keep))
        self.close_index = full.open.index(False)
        self.reopen_index = reopen
        self.spec = config.venue.spec()
        for variant in self.variants():  # a bad margin or book setting fails here, not mid-run
            self.venue_config(variant)
            self._architecture(variant.architecture)
        if self.spec.ticks(m.price) <= 0:
            raise ValueError("market.price must be at least one venue.tick_size")

    def variants(self) -> list[Variant]:
        v = self.config.variants
        return [Variant(a, m, o) for a in v.architectures for m in v.mark_rules for o in v.oracle_rules]

    # --- randomness ----------------------------------------------------------------------------------

    def draw(self, seed: int) -> Draw:
        """Independent streams for the path and the population, so changing the population (say, its
        size) leaves the path of a seed unchanged."""
        path_seq, people_seq, flow_seq = np.random.SeedSequence(seed).spawn(3)
        c = self.config
        path = market_path(
            np.random.default_rng(path_seq), self.schedule, c.market.price, c.path, c.gap, c.proxy
        )
        traders = population(np.random.default_rng(people_seq), c.traders, max(1, self.close_index - 1))
        flow = np.random.default_rng(flow_seq).choice([-1, 1], size=len(self.schedule.times))
        return Draw(seed, path, traders, tuple(int(x) for x in flow))

    # --- one venue -----------------------------------------------------------------------------------

    def venue_config(self, variant: Variant) -> VenueConfig:
        c, spec = self.config, self.spec
        v = c.venue
        return VenueConfig(
            spec=spec,
            margin=MarginConfig(v.initial_margin, v.maintenance_margin, v.penalty),
            funding=FundingConfig(enabled=v.funding, premium=v.funding_premium),
            mark_rule=variant.mark_rule,
            oracle_rule=variant.oracle_rule,
            end_rule=v.end_rule,
            taker_fee=Fraction(Decimal(repr(v.taker_fee))),
            ema_window=v.ema_window,
            impact_lots=max(1, spec.lots(v.impact_size)),
        )

    def venue(self, variant: Variant, draw: Draw) -> PerpVenue:
        """A fresh venue for `variant` at the path's start, funded, its liquidity capitalised."""
        c, spec = self.config, self.spec
        v = c.venue
        cfg = self.venue_config(variant)
        arch = self._architecture(variant.architecture)
        venue = PerpVenue(
            arch,
            oracle=spec.ticks(float(draw.path.underlying[0])),
            config=cfg,
            calendar=c.market.calendar_obj(),
            start=self.schedule.times[0],
        )
        capital = c.vault.capital if variant.architecture == "vault" else c.book.capital
        for account, _ in arch.liquidity_accounts():
            venue.deposit(account, spec.units(Decimal(repr(capital))))
        venue.fund_deposit(spec.units(Decimal(repr(v.fund))))
        if c.flow.size > 0:
            venue.open_account(FLOW, deposit=spec.units(Decimal(repr(c.flow.capital))))
        return venue

    def _architecture(self, name: ArchName) -> Architecture:
        c = self.config
        if name == "vault":
            return OracleVault(
                spread_bps=Fraction(Decimal(repr(c.vault.spread_bps))),
                closed_spread_mult=Fraction(Decimal(repr(c.vault.closed_spread_mult))),
            )
        b = c.book
        makers = [
            MakerQuotes(
                account=f"maker{k}",
                half_spread_bps=Fraction(Decimal(repr(b.half_spread_bps))),
                levels=b.levels,
                step_bps=Fraction(Decimal(repr(b.step_bps))),
                size=max(1, self.spec.lots(b.size)),
                closed_spread_mult=Fraction(Decimal(repr(b.closed_spread_mult))),
                closed_size_mult=Fraction(Decimal(repr(b.closed_size_mult))),
            )
            for k in range(b.makers)
        ]
        if name == "onchain":
            return OnchainBook(makers, block_time=c.onchain.block_time)
        return OrderBook(makers)

    def simulate(
        self, variant: Variant, draw: Draw, venue: PerpVenue | None = None
    ) -> Generator[tuple[int, PerpVenue], None, dict[str, Any]]:
        """Run one venue over the draw, yielding (step index, venue) after every step; returns the row of
        figures (as the generator's return value: use `run_variant` for just the row)."""
        venue = venue or self.venue(variant, draw)
        path, spec = draw.path, self.spec
        start_money = {a: venue.accounts[a].collateral for a, _ in venue.arch.liquidity_accounts()}
        fund_start = venue.fund
        books = WeekendBooks(self.config.solver.inventory_usd, self.config.solver.leverage)
        books.deposit(venue, float(path.underlying[0]))
        books.open_hedge(venue, float(path.underlying[0]))
        by_step: dict[int, list[Trader]] = {}
        for trader in draw.traders:
            by_step.setdefault(trader.entry_step, []).append(trader)
        rejected = entered = 0
        flow_lots = spec.lots(Decimal(repr(self.config.flow.size)))
        open_interest = 0
        for i in range(1, len(path.times)):
            for trader in by_step.get(i - 1, ()):
                notional = Fraction(trader.collateral) * Fraction(trader.leverage)
                lots = math.floor(
                    notional / (Fraction(float(path.underlying[i - 1])) * Fraction(spec.lot_size))
                )
                if lots <= 0:
                    continue
                venue.open_account(trader.id, deposit=spec.units(trader.collateral))
                try:
                    venue.trade(trader.id, lots if trader.long else -lots)
                    entered += 1
                except TradeRejected:
                    rejected += 1
            if flow_lots:
                with suppress(TradeRejected):  # no liquidity (makers away) or halted: the flow waits
                    venue.trade(FLOW, draw.flow[i - 1] * flow_lots)
            seconds = int((path.times[i] - path.times[i - 1]).total_seconds())
            venue.step(
                seconds,
                oracle=spec.ticks(float(path.underlying[i])),
                proxy=spec.ticks(float(path.proxy[i])),
            )
            if i == self.close_index:
                open_interest = venue.open_interest()
            books.mark(
                venue,
                (path.times[i] - path.times[0]).total_seconds(),
                float(path.underlying[i] if self.schedule.open[i] else path.proxy[i]),
                sum(venue.equity(a) for a in start_money),
                fund_start,
            )
            yield i, venue
        venue.check_conservation()
        late = sum(account != FLOW for _, account, _, _ in venue.rejections)  # on chain, at the next block
        entered -= late
        rejected += late
        row = self._row(variant, draw, venue, fund_start, start_money, entered, rejected, open_interest)
        return {**row, **books.columns()}

    def run_variant(
        self, variant: Variant, draw: Draw, trace: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        steps = self.simulate(variant, draw)
        while True:
            try:
                i, venue = next(steps)
            except StopIteration as done:
                return done.value
            if trace is not None:
                trace.append(
                    {
                        "time": venue.now.isoformat(),
                        "underlying": float(draw.path.underlying[i]),
                        "proxy": float(draw.path.proxy[i]),
                        "oracle": float(self.spec.price(venue.oracle)),
                        "mark": float(self.spec.price(venue.mark)),
                        "last": float(self.spec.price(venue.last)),
                        "fund": float(self.spec.dollars(venue.fund)),
                    }
                )

    def run_seed(
        self, seed: int, trace: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """Every variant's row for one seed (same draw for all), and each variant's step trace if asked."""
        draw = self.draw(seed)
        rows: list[dict[str, Any]] = []
        traces: dict[str, list[dict[str, Any]]] = {}
        for variant in self.variants():
            steps: list[dict[str, Any]] | None = [] if trace else None
            rows.append(self.run_variant(variant, draw, steps))
            if steps is not None:
                traces[variant.label] = steps
        return rows, traces

    def _row(
        self,
        variant: Variant,
        draw: Draw,
        venue: PerpVenue,
        fund_start: int,
        start_money: dict[str, int],
        entered: int,
        rejected: int,
        open_interest: int,
    ) -> dict[str, Any]:
        st, spec = venue.stats, self.spec
        outstanding = sum(liq.outstanding for liq in venue.liquidations)
        liquidity = sum(venue.equity(a) - m for a, m in start_money.items())

        def usd(units: int) -> float:
            return float(spec.dollars(units))

        return {
            "seed": draw.seed,
            "architecture": variant.architecture,
            "mark_rule": variant.mark_rule,
            "oracle_rule": variant.oracle_rule,
            "gap": round(draw.path.gaps[0], 6) if draw.path.gaps else 0.0,
            "close": float(spec.price(spec.ticks(float(draw.path.underlying[self.close_index])))),
            "reopen": float(spec.price(spec.ticks(float(draw.path.underlying[self.reopen_index])))),
            "traders": entered,
            "rejected": rejected,
            "open_interest": float(spec.lot_size * open_interest),
            "liquidations": st.liquidations,
            "fund_start": usd(fund_start),
            "fund_used": usd(st.fund_paid),
            "fund_low": usd(min(st.fund_low if st.fund_low is not None else venue.fund, fund_start)),
            "fund_end": usd(venue.fund),
            "exhausted": bool(st.fund_exhausted or venue.frozen or outstanding),
            "bad_debt": usd(st.bad_debt),
            "shortfall": usd(st.bad_debt - st.fund_paid),
            "adl_notional": usd(st.adl_notional),
            "socialised": usd(st.socialised),
            "venue_paid": usd(st.venue_paid),
            "outstanding": usd(outstanding),
            "frozen": venue.frozen,
            "penalties": usd(st.penalties),
            "liquidity_pnl": usd(liquidity),
        }
