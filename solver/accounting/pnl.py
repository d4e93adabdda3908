"""PnL attribution, block by block, in a numeraire (USDC by default), exact.

Fed once per block with the inventory's balances (the chain's truth), fair values and that block's fills and
hedges, `PnlTracker` splits the block's PnL into:

- `spread`: what each fill earned at fair value at fill time, Σ flow × fair (buying 1 WETH for 2990 USDC when
  WETH is worth 3000 earns +10);
- `inventory_mtm`: the inventory held since the previous block revalued, Σ previous balance × Δ fair;
- `hedge`: what hedges cost against fair value, Σ flow × fair (usually negative);
- `gas`: what the sending account paid for every fill and hedge, gas used × gas price, priced as the gas token
  (WETH) at fair value;
  (a reorged transaction's gas is refunded as it was booked, so its gas lines cancel);
- `unexplained`: the rest of the balance change, zero when the balances move only by the recorded fills and
  hedges; a deposit, a missed fill or an accounting bug shows here instead of hiding in another line.

Total PnL of a block = change of the inventory's value at fair value + gas (gas is paid by the account that
sends, not from the inventory), so the five lines sum to the total exactly: every figure is a Decimal under
`units.EXACT`, which raises rather than rounds. The first block stepped sets the starting inventory (the
capital); fills in that block are still attributed (the balances before them are reconstructed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Protocol

from solver.accounting.ledger import Dropped, Ledger, Mark
from solver.accounting.units import EXACT, Number, to_decimal, whole_tokens

WEI_DECIMALS = 18
KINDS = ("spread", "inventory_mtm", "hedge", "gas", "unexplained")


class Trade(Protocol):
    """A fill or hedge as PnL sees it (`FillRecord` and `HedgeRecord` are): the inventory's raw signed change
    per token, the gas its transaction cost, and its hash for the PnL line."""

    @property
    def flows(self) -> Mapping[str, int]: ...

    @property
    def gas_cost_wei(self) -> int: ...

    @property
    def tx_hash(self) -> str | None: ...


@dataclass(frozen=True)
class BlockPnl:
    """One block's PnL by kind (numeraire), its total, and the run's path so far."""

    block: int
    spread: Decimal
    inventory_mtm: Decimal
    hedge: Decimal
    gas: Decimal
    unexplained: Decimal
    total: Decimal
    inventory_value: Decimal
    cumulative: Decimal

    @property
    def attribution(self) -> dict[str, Decimal]:
        return {kind: getattr(self, kind) for kind in KINDS}


@dataclass
class PnlTracker:
    """Steps block by block and keeps the PnL path; with a `ledger`, writes each block's lines and mark to it.

    `decimals` is token -> decimals for every token held or traded; `gas_token` is the token whose fair value
    prices native ETH (WETH's address)."""

    decimals: Mapping[str, int]
    gas_token: str
    ledger: Ledger | None = None
    numeraire: str = "USDC"
    blocks: list[BlockPnl] = field(default_factory=list)
    _balances: dict[str, int] | None = None
    _fair: dict[str, Decimal] = field(default_factory=dict)
    _cumulative: Decimal = Decimal(0)
    _gas_booked: dict[str, Decimal] = field(default_factory=dict)  # tx hash -> gas booked (numeraire, > 0)

    @classmethod
    def resume(
        cls, ledger: Ledger, decimals: Mapping[str, int], gas_token: str, numeraire: str = "USDC"
    ) -> PnlTracker:
        """A tracker that continues a run from its ledger's last mark (after a restart)."""
        tracker = cls(decimals, gas_token, ledger, numeraire)
        marks = ledger.marks()
        if marks:
            last = marks[-1]
            tracker._balances = dict(last.balances)
            tracker._fair = dict(last.fair_values)
            tracker._cumulative = last.pnl_total
        return tracker

    @property
    def total(self) -> Decimal:
        return self._cumulative

    @property
    def attribution(self) -> dict[str, Decimal]:
        """The run's PnL by kind over the blocks this tracker stepped."""
        with localcontext(EXACT):
            return {kind: sum((getattr(b, kind) for b in self.blocks), Decimal(0)) for kind in KINDS}

    @property
    def path(self) -> list[Decimal]:
        """Cumulative PnL from 0 before the first block stepped: the series Sharpe and drawdown read."""
        return [Decimal(0), *(b.cumulative for b in self.blocks)]

    def value(self, balances: Mapping[str, int], fair_values: Mapping[str, Decimal]) -> Decimal:
        """The inventory at fair value, in numeraire."""
        with localcontext(EXACT):
            return sum(
                (
                    self._whole(token, raw) * self._price(fair_values, token)
                    for token, raw in balances.items()
                ),
                Decimal(0),
            )

    def step(
        self,
        block: int,
        balances: Mapping[str, int],
        fair_values: Mapping[str, Number],
        fills: Iterable[Trade] = (),
        hedges: Iterable[Trade] = (),
        dropped: Dropped | None = None,
    ) -> BlockPnl:
        """Attribute the PnL from the previous block to `block`. `balances` are after this block's trades;
        `dropped` is what a reorg removed since the last step (`Ledger.mark_dropped`): its spread or hedge
        line and its gas are booked back at this block's fair value, so the chain's balances and the
        attribution keep agreeing."""
        fair = {token: to_decimal(price) for token, price in fair_values.items()}
        fills, hedges = list(fills), list(hedges)
        gone = dropped or Dropped((), (), ())
        lines: list[tuple[str, Decimal, str | None]] = []
        with localcontext(EXACT):
            previous = self._balances
            previous_fair = self._fair
            if previous is None:  # first block: the inventory before this block's trades, at today's prices
                previous = dict(balances)
                for trade in (*fills, *hedges):
                    for token, amount in trade.flows.items():
                        previous[token] = previous.get(token, 0) - amount
                previous_fair = fair

            spread = hedge = gas = Decimal(0)
            booked = (
                ("spread", fills, 1),
                ("hedge", hedges, 1),
                ("spread", gone.fills, -1),
                ("hedge", gone.hedges, -1),
            )
            for kind, trades, sign in booked:
                for trade in trades:
                    earned = sign * self._at_fair(trade.flows, fair)
                    cost = self._gas(trade.gas_cost_wei, fair) if sign > 0 else -self._booked(trade, fair)
                    if sign > 0 and trade.tx_hash:
                        self._gas_booked[trade.tx_hash] = cost
                    lines += [(kind, earned, trade.tx_hash), ("gas", -cost, trade.tx_hash)]
                    if kind == "hedge":
                        hedge += earned
                    else:
                        spread += earned
                    gas -= cost

            mtm = sum(
                (
                    self._whole(token, raw) * (self._price(fair, token) - self._price(previous_fair, token))
                    for token, raw in previous.items()
                    if raw
                ),
                Decimal(0),
            )
            before = self.value(previous, previous_fair)
            after = self.value(balances, fair)
            total = after - before + gas
            unexplained = total - (spread + mtm + hedge + gas)
            lines.append(("inventory_mtm", mtm, None))
            if unexplained:
                lines.append(("unexplained", unexplained, None))
            self._cumulative += total

        result = BlockPnl(block, spread, mtm, hedge, gas, unexplained, total, after, self._cumulative)
        self.blocks.append(result)
        self._balances, self._fair = dict(balances), fair
        if self.ledger is not None:
            self.ledger.record_pnl(block, lines, Mark(block, dict(balances), fair, after, self._cumulative))
        return result

    # -- pricing ----------------------------------------------------------------------------------
    def _whole(self, token: str, raw: int) -> Decimal:
        if token not in self.decimals:
            raise KeyError(f"no decimals for token {token}: give PnlTracker every token it may hold")
        return whole_tokens(raw, self.decimals[token])

    @staticmethod
    def _price(fair: Mapping[str, Decimal], token: str) -> Decimal:
        if token not in fair:
            raise KeyError(f"no fair value for token {token} in this block")
        return fair[token]

    def _at_fair(self, flows: Mapping[str, int], fair: Mapping[str, Decimal]) -> Decimal:
        return sum(
            (self._whole(t, raw) * self._price(fair, t) for t, raw in flows.items() if raw), Decimal(0)
        )

    def _booked(self, trade: Trade, fair: Mapping[str, Decimal]) -> Decimal:
        """The gas booked when a now-reorged trade was first stepped (from memory, else from the ledger; at
        today's price if neither knows it)."""
        if trade.tx_hash in self._gas_booked:
            return self._gas_booked[trade.tx_hash]
        if self.ledger is not None and trade.tx_hash:
            booked = -self.ledger.pnl_attribution(tx_hash=trade.tx_hash)["gas"]
            if booked:
                return booked
        return self._gas(trade.gas_cost_wei, fair)

    def _gas(self, wei: int, fair: Mapping[str, Decimal]) -> Decimal:
        if not wei:
            return Decimal(0)
        return whole_tokens(wei, WEI_DECIMALS) * self._price(fair, self.gas_token)
