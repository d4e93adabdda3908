"""Where a perp's liquidity comes from: three venue architectures behind one small interface.

- `OrderBook`: a central limit order book whose depth is a parameterised ladder per market maker. Makers
  quote around the oracle; while their hedge market (the underlying) is closed they widen by
  `closed_spread_mult` and show `closed_size_mult` of their size (0: they leave the book).
- `OracleVault`: a pool/vault is every trader's counterparty at the oracle price plus or minus a spread,
  with unlimited depth (GMX-style); its LPs carry the traders' PnL.
- `OnchainBook`: an order book on a chain: everything is a transaction, so trader orders wait for the next
  block (`block_time`) and makers' requotes land one block late: the first block after a jump still shows
  quotes made around the previous oracle.

The venue asks an architecture for `levels(side)` (best first, mutable: fills consume `qty`) and
`impact(lots)` (the impact bid/ask for the mark rule), and calls `refresh(reference, underlying_open)` once
per step. An architecture names the accounts it trades from (`liquidity_accounts`); the venue opens them.
An instance holds its book's state, so it belongs to one venue: build a new one per venue or path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from solver.venues.accounts import Role
from solver.venues.units import as_fraction

Side = Literal["buy", "sell"]  # the taker's side: "buy" lifts asks, "sell" hits bids
BPS = 10_000


@dataclass
class Level:
    """Resting liquidity: `qty` lots (None: unlimited) at `price` ticks from `account`."""

    account: str
    price: int
    qty: int | None


def _bid(reference: int, bps: Fraction) -> int:
    return max(1, math.floor(reference * (1 - bps / BPS)))


def _ask(reference: int, bps: Fraction) -> int:
    return math.ceil(reference * (1 + bps / BPS))


def walk(levels: list[Level], lots: int) -> Fraction | None:
    """Average price of taking `lots` from `levels`, or None if the depth is short."""
    left, paid = lots, 0
    for level in levels:
        n = left if level.qty is None else min(left, level.qty)
        paid += n * level.price
        left -= n
        if left == 0:
            return Fraction(paid, lots)
    return None


class Architecture:
    """Base: no liquidity. Subclasses fill `_bids`/`_asks` in `refresh`."""

    name = "none"
    block_time = 0  # seconds; > 0 means orders wait for the next block

    def __init__(self) -> None:
        self._bids: list[Level] = []
        self._asks: list[Level] = []

    def liquidity_accounts(self) -> list[tuple[str, Role]]:
        return []

    def refresh(self, reference: int, underlying_open: bool) -> None:
        raise NotImplementedError

    def levels(self, side: Side) -> list[Level]:
        return self._asks if side == "buy" else self._bids

    def impact(self, lots: int) -> tuple[Fraction | None, Fraction | None]:
        return walk(self._bids, lots), walk(self._asks, lots)


@dataclass(frozen=True)
class MakerQuotes:
    """One market maker's ladder: `levels` bids and asks of `size` lots, the first `half_spread_bps` from the
    reference, then every `step_bps`. While the hedge market is closed the distances are multiplied by
    `closed_spread_mult` and sizes by `closed_size_mult` (rounded down; 0 = the maker leaves)."""

    account: str = "maker"
    half_spread_bps: Fraction = Fraction(10)
    levels: int = 5
    step_bps: Fraction = Fraction(10)
    size: int = 10_000
    closed_spread_mult: Fraction = Fraction(1)
    closed_size_mult: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        for name in ("half_spread_bps", "step_bps", "closed_spread_mult", "closed_size_mult"):
            object.__setattr__(self, name, as_fraction(getattr(self, name)))


class OrderBook(Architecture):
    name = "orderbook"

    def __init__(self, makers: tuple[MakerQuotes, ...] | list[MakerQuotes] = (MakerQuotes(),)) -> None:
        super().__init__()
        self.makers = tuple(makers)

    def liquidity_accounts(self) -> list[tuple[str, Role]]:
        return [(m.account, "maker") for m in self.makers]

    def _quote(self, reference: int, underlying_open: bool) -> None:
        bids: list[tuple[int, int, Level]] = []
        asks: list[tuple[int, int, Level]] = []
        for order, m in enumerate(self.makers):
            mult = Fraction(1) if underlying_open else m.closed_spread_mult
            size = m.size if underlying_open else math.floor(m.size * m.closed_size_mult)
            if size <= 0:
                continue
            for k in range(m.levels):
                bps = (m.half_spread_bps + k * m.step_bps) * mult
                bid, ask = _bid(reference, bps), _ask(reference, bps)
                bids.append((-bid, order, Level(m.account, bid, size)))
                asks.append((ask, order, Level(m.account, ask, size)))
        self._bids = [lv for *_, lv in sorted(bids, key=lambda t: t[:2])]
        self._asks = [lv for *_, lv in sorted(asks, key=lambda t: t[:2])]

    def refresh(self, reference: int, underlying_open: bool) -> None:
        self._quote(reference, underlying_open)


class OnchainBook(OrderBook):
    """An order book on a chain with `block_time`-second blocks: each venue step is a block; trader orders
    execute at the next block, and the book a block sees was quoted around the previous block's oracle."""

    name = "onchain"

    def __init__(
        self, makers: tuple[MakerQuotes, ...] | list[MakerQuotes] = (MakerQuotes(),), block_time: int = 12
    ):
        super().__init__(makers)
        if block_time <= 0:
            raise ValueError("block_time must be > 0")
        self.block_time = block_time
        self._previous: tuple[int, bool] | None = None

    def refresh(self, reference: int, underlying_open: bool) -> None:
        stale = self._previous or (reference, underlying_open)
        self._quote(*stale)
        self._previous = (reference, underlying_open)


@dataclass
class OracleVault(Architecture):
    """A vault quoting the oracle plus/minus `spread_bps` (times `closed_spread_mult` while closed), any size.

    Its collateral is its LPs' capital; it is never liquidated and takes every trade.
    """

    account: str = "vault"
    spread_bps: Fraction = Fraction(5)
    closed_spread_mult: Fraction = Fraction(1)
    name: str = field(default="vault", init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.spread_bps = as_fraction(self.spread_bps)
        self.closed_spread_mult = as_fraction(self.closed_spread_mult)

    def liquidity_accounts(self) -> list[tuple[str, Role]]:
        return [(self.account, "vault")]

    def refresh(self, reference: int, underlying_open: bool) -> None:
        bps = self.spread_bps * (1 if underlying_open else self.closed_spread_mult)
        self._bids = [Level(self.account, _bid(reference, bps), None)]
        self._asks = [Level(self.account, _ask(reference, bps), None)]
