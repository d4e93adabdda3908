"""The weekend-gap scenario end to end on a configuration small enough to check by hand.

The same book as tests/solver/venues/test_weekend_gap.py, built by the scenario engine (cents; one lot = one
unit; IM 10%, MM 5%, penalty 1%; funding off; fund 60.00; no price moves before the close; no noise flow):
two traders with 145.00 each at leverage 6.9 want floor(145 * 6.9 / 100) = 10 lots; one goes long, one
short, against the venue's liquidity. One maker, one level of 100 lots at 10 bps (ask 100.10, bid 99.90),
gone for the weekend; the vault quotes 5 bps (ask 100.05, bid 99.95). The underlying closes Friday 16:00
New York at 100.00 and reopens Monday 09:30 at 80.00 (-20%) or 75.00 (-25%).

The long's cash after its entry is 14500 - 10 * ask: -85600 on the book, -85550 on the vault.
"""

from __future__ import annotations

from typing import Any

import pytest

from solver.stress import engine

HAND: dict[str, Any] = {
    "run.seeds": 1,
    "path.vol": 0.0,
    "path.jump_rate": 0.0,
    "venue.tick_size": 0.01,
    "venue.lot_size": 1.0,
    "venue.funding": False,
    "venue.fund": 60.0,
    "venue.impact_size": 10.0,
    "book.makers": 1,
    "book.half_spread_bps": 10.0,
    "book.levels": 1,
    "book.size": 100.0,
    "book.closed_size_mult": 0.0,
    "vault.spread_bps": 5.0,
    "vault.closed_spread_mult": 1.0,
    "traders.count": 2,
    "traders.collateral": 145.0,
    "traders.collateral_sigma": 0.0,
    "traders.leverage_min": 6.9,
    "traders.leverage_max": 6.9,
    "flow.size": 0.0,
    "solver.inventory_usd": 0.0,  # the venue alone; the solver's books have their own case below
    "variants.architectures": ["orderbook", "vault", "onchain"],
    "variants.mark_rules": ["oracle"],
    "variants.oracle_rules": ["freeze"],
}
FIGURES = ("liquidations", "fund_used", "fund_end", "exhausted", "bad_debt", "shortfall", "adl_notional")


def rows(**overrides: Any) -> dict[str, dict[str, Any]]:
    scenario = engine.load("weekend-gap", {**HAND, **overrides})
    result = engine.run(scenario)
    return {r["architecture"]: r for r in result.rows}


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[k] for k in FIGURES)


def test_a_20_percent_gap_is_paid_by_the_fund_under_each_architecture() -> None:
    by_arch = rows(**{"gap.size": -0.2})
    for row in by_arch.values():
        assert (row["close"], row["reopen"], row["gap"]) == (100.0, 80.0, -0.2)
        assert (row["traders"], row["rejected"], row["open_interest"]) == (2, 0, 10.0)
    # Book: the long (equity -5600 at 80.00) is liquidated into the requoted bid floor(8000 * 0.999) =
    # 79.92: -85600 + 79920 = -5680 is within the fund; the fund pays 56.80 and keeps 3.20. The maker made
    # 2 * 10 * 0.10 = 2.00 of spread and 10 * (80.00 - 79.92) = 0.80 on the liquidation.
    assert figures(by_arch["orderbook"]) == (1, 56.8, 3.2, False, 56.8, 0.0, 0.0)
    assert by_arch["orderbook"]["liquidity_pnl"] == 2.8
    # Vault: bid floor(8000 * 0.9995) = 79.96: -85550 + 79960 = -5590; the fund keeps 4.10. The vault made
    # 10 * 0.10 of spread and 10 * 0.04 on the liquidation.
    assert figures(by_arch["vault"]) == (1, 55.9, 4.1, False, 55.9, 0.0, 0.0)
    assert by_arch["vault"]["liquidity_pnl"] == 1.4
    # On chain the first block after the open still shows the weekend book (empty): the long is
    # deleveraged against the short at the 80.00 mark (-5600 is within the fund): 10 * 80.00 = 800.00.
    assert figures(by_arch["onchain"]) == (1, 56.0, 4.0, False, 56.0, 0.0, 800.0)
    assert by_arch["onchain"]["liquidity_pnl"] == 2.0


def test_a_25_percent_gap_exhausts_the_fund_and_deleverages_at_the_bankruptcy_price_given_the_fund() -> None:
    by_arch = rows(**{"gap.size": -0.25})
    # Book: closing at floor(7500 * 0.999) = 74.92 would leave -10680, beyond the 6000 fund: ADL at the
    # price leaving -6000, (85600 - 6000) / 10 = 79.60 (above the 75.00 mark): notional 796.00; the fund
    # pays its 60.00 and is exhausted, nothing beyond it.
    assert figures(by_arch["orderbook"]) == (1, 60.0, 0.0, True, 60.0, 0.0, 796.0)
    # Vault: bid 74.96 would leave -10590; ADL at (85550 - 6000) / 10 = 79.55.
    assert figures(by_arch["vault"]) == (1, 60.0, 0.0, True, 60.0, 0.0, 795.5)
    # On chain: no depth in the first block; the same ADL price as the book (same entry).
    assert figures(by_arch["onchain"]) == (1, 60.0, 0.0, True, 60.0, 0.0, 796.0)


def test_socialised_end_rule_charges_the_loss_beyond_the_fund_to_the_winner() -> None:
    # All depth is taken: 10 at 74.92 leaves -10680; the fund pays 6000, the short (the only winner)
    # 4680: shortfall 46.80, all socialised.
    row = rows(
        **{"gap.size": -0.25, "venue.end_rule": "socialised", "variants.architectures": ["orderbook"]}
    )["orderbook"]
    assert figures(row) == (1, 60.0, 0.0, True, 106.8, 46.8, 0.0)
    assert (row["socialised"], row["venue_paid"]) == (46.8, 0.0)


@pytest.mark.parametrize("oracle_rule", ["freeze", "halt"])
def test_freeze_and_halt_give_the_same_figures_when_nothing_trades_over_the_weekend(oracle_rule: str) -> None:
    row = rows(
        **{"gap.size": -0.2, "variants.oracle_rules": [oracle_rule], "variants.architectures": ["orderbook"]}
    )
    assert figures(row["orderbook"]) == (1, 56.8, 3.2, False, 56.8, 0.0, 0.0)


SOLVER = {"solver.inventory_usd": 1000.0, "solver.leverage": 3.0}
REOPEN_S = 66.5 * 3600  # Friday 15:00 to Monday 09:30, New York


def books(row: dict[str, Any], book: str) -> tuple[Any, ...]:
    return tuple(row[f"{book}_{k}"] for k in ("pnl", "first_breach", "first_breach_s"))


def test_the_solvers_hedge_offsets_its_inventory_through_a_20_percent_gap() -> None:
    # The solver holds 10 units (1000.00 at 100.00) and shorts 10 lots with 333.33 of collateral: into the
    # vault's bid 99.95. Its first mark (oracle 100.00) is 999.50 - 1000.00 = -0.50; at 80.00 the short is
    # worth 999.50 - 800.00 = 199.50: +200.00, exactly the inventory's -200.00. The liquidation line is
    # where 33333 + 99950 - 10 * M = 5% * 10 * M: M = 133283 / 10.5 = 126.94, 26.94% above 100.00.
    row = rows(**{"gap.size": -0.2, **SOLVER, "variants.architectures": ["vault"]})["vault"]
    assert books(row, "solver_inventory") == (-200.0, "", None)
    assert books(row, "perp_hedge") == (200.0, "", None)
    assert row["perp_hedge_liquidation_distance_min"] == 0.2694


def test_a_25_percent_gap_deleverages_the_solvers_profitable_hedge_and_leaves_it_unhedged() -> None:
    # The long's loss beyond the fund is deleveraged against the most profitable short: the solver's (10
    # lots sold at the book's bid 99.90), at the bankruptcy price given the fund, 79.60. Its hedge made
    # 10 * (99.90 - 79.60) = 203.00 (+1.00 from its first mark at 100.00) and is gone at the reopening,
    # while the inventory lost 250.00: the gap's loss is the solver's too, not only the fund's.
    row = rows(**{"gap.size": -0.25, **SOLVER, "variants.architectures": ["orderbook"]})["orderbook"]
    assert row["adl_notional"] == 796.0
    assert books(row, "perp_hedge") == (204.0, "adl", REOPEN_S)
    assert books(row, "solver_inventory") == (-250.0, "unhedged", REOPEN_S)
    assert row["venue_fund_first_breach"] == "fund_exhausted"
