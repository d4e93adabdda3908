"""What a weekend-gap run reports: the venue's figures per variant (fund, bad debt, ADL) and the books the
gap hits (the venue's liquidity as the LP book, the solver's inventory and its perp hedge, the fund).

Why the solver is on the venue: a market maker that holds a tokenised stock over a weekend hedges it with a
short perp; the gap then tests whether the hedge survives (liquidation while the mark lags, or deleveraged
exactly when it is in profit, which leaves the inventory unhedged) on each architecture and mark rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solver.stress.books import BOOKS, REPORT_FIELDS, BookTracker, summarise_books
from solver.venues import PerpVenue, TradeRejected

SOLVER = "solver"  # the solver's perp account
VARIANT_KEYS = ("architecture", "mark_rule", "oracle_rule")


class WeekendBooks:
    """The four books over one venue path: marked after every venue step (`mark`), opened with the solver's
    hedge (`open_hedge`) before the first step."""

    def __init__(self, inventory_usd: float, leverage: float) -> None:
        self.inventory_usd = inventory_usd
        self.leverage = leverage
        self.trackers = {name: BookTracker(name) for name in BOOKS}
        self.hedge_lots = 0
        self.inventory_qty = 0.0  # units of the underlying held
        self.distance_min: float | None = None
        self.rejected = ""

    def deposit(self, venue: PerpVenue, price: float) -> None:
        """Open the solver's account with the hedge's collateral (a no-op without a solver)."""
        if self.inventory_usd > 0:
            venue.open_account(
                SOLVER, deposit=venue.config.spec.units(round(self.inventory_usd / self.leverage, 2))
            )

    def open_hedge(self, venue: PerpVenue, price: float) -> None:
        """Short as many lots as the inventory holds units, at the venue's liquidity."""
        if self.inventory_usd <= 0:
            return
        lots = venue.config.spec.lots(self.inventory_usd / price)
        try:
            venue.trade(SOLVER, -lots)
        except TradeRejected as e:
            self.rejected = e.reason
            return
        self.hedge_lots = lots
        self.inventory_qty = float(lots * venue.config.spec.lot_size)

    def mark(self, venue: PerpVenue, time_s: float, spot: float, liquidity: int, fund_start: int) -> None:
        """Mark every book after a venue step: `spot` is where the inventory can be valued (the underlying
        while it trades, the proxy while it is shut), `liquidity` the makers' or vault's equity."""
        dollars = venue.config.spec.dollars
        t = self.trackers
        t["lp"].mark(time_s, float(dollars(liquidity)))
        t["venue_fund"].mark(time_s, float(dollars(venue.fund)))
        if venue.fund <= 0 < fund_start or venue.stats.fund_exhausted:
            t["venue_fund"].breach("fund_exhausted", time_s)
        if self.inventory_usd <= 0:
            return
        t["solver_inventory"].mark(time_s, self.inventory_qty * spot)
        account = venue.accounts[SOLVER]
        t["perp_hedge"].mark(time_s, float(dollars(account.equity(venue.mark))))
        if any(liq.account == SOLVER for liq in venue.liquidations):
            t["perp_hedge"].breach("perp_liquidation", time_s)
        if account.deleveraged:
            t["perp_hedge"].breach("adl", time_s)
        if self.hedge_lots and account.qty != -self.hedge_lots:
            t["solver_inventory"].breach("unhedged", time_s)
        exact = venue.liquidation_distance(SOLVER)
        if exact is not None:
            distance = float(exact)
            self.distance_min = distance if self.distance_min is None else min(self.distance_min, distance)
            if distance <= 0:
                t["perp_hedge"].breach("margin_call", time_s)

    def columns(self) -> dict[str, Any]:
        """The books as `<book>_<field>` columns of the variant's row (the CSV stays one row per variant)."""
        out: dict[str, Any] = {}
        books = BOOKS if self.inventory_usd > 0 else ("lp", "venue_fund")
        for name in books:
            row = self.trackers[name].row()
            for key in REPORT_FIELDS[1:]:
                out[f"{name}_{key}"] = row[key]
        if self.inventory_usd > 0:
            out["perp_hedge_liquidation_distance_min"] = (
                None if self.distance_min is None else round(self.distance_min, 4)
            )
            out["perp_hedge_rejected"] = self.rejected
        return out


def book_rows(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Variant rows with `<book>_<field>` columns, as one row per book (for `summarise_books`)."""
    out = []
    for row in rows:
        for name in BOOKS:
            if f"{name}_pnl" not in row:
                continue
            book = {"book": name, **{k: row[k] for k in keys}}
            book.update({f: row[f"{name}_{f}"] for f in REPORT_FIELDS[1:]})
            if name == "perp_hedge":
                book["liquidation_distance_min"] = row.get("perp_hedge_liquidation_distance_min")
            out.append(book)
    return out


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        return {"mean": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "mean": round(float(a.mean()), 2),
        "p95": round(float(np.percentile(a, 95, method="higher")), 2),
        "max": round(float(a.max()), 2),
    }


def summarise_venue(rows: list[dict[str, Any]], keys: tuple[str, ...] = VARIANT_KEYS) -> list[dict[str, Any]]:
    """Per variant (in first-seen order): how often the fund was exhausted and by how much, bad debt,
    deleveraged notional, liquidations and the liquidity's PnL over the runs; and under `books`, each
    book's report (`solver.stress.books.summarise_books`)."""
    books: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in summarise_books(book_rows(rows, keys), (*keys, "book")):
        books.setdefault(tuple(entry[k] for k in keys), {})[entry["book"]] = {
            k: v for k, v in entry.items() if k not in keys and k != "book"
        }
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    summary = []
    for key, group in groups.items():
        n = len(group)

        def col(name: str, group: list[dict[str, Any]] = group) -> list[float]:
            return [float(r[name]) for r in group]

        summary.append(
            {
                **dict(zip(keys, key, strict=True)),
                "runs": n,
                "fund": {
                    "start": group[0]["fund_start"],
                    "exhaustion_rate": round(sum(bool(r["exhausted"]) for r in group) / n, 4),
                    "used": _stats(col("fund_used")),
                    "shortfall": _stats(col("shortfall")),
                    "end": _stats(col("fund_end")),
                },
                "bad_debt": {
                    **_stats(col("bad_debt")),
                    "rate": round(sum(r["bad_debt"] > 0 for r in group) / n, 4),
                },
                "adl_notional": {
                    **_stats(col("adl_notional")),
                    "rate": round(sum(r["adl_notional"] > 0 for r in group) / n, 4),
                },
                "frozen_rate": round(sum(bool(r["frozen"]) for r in group) / n, 4),
                "liquidations_mean": round(float(np.mean(col("liquidations"))), 2),
                "liquidity_pnl_mean": round(float(np.mean(col("liquidity_pnl"))), 2),
                "gap_mean": round(float(np.mean(col("gap"))), 6),
                "books": books.get(key, {}),
            }
        )
    return summary
