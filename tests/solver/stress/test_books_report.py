"""A book's report: PnL from the first mark, worst drawdown from the running peak, the first breach kept, and
the summary over seeds."""

from __future__ import annotations

from solver.stress.books import BookTracker, summarise_books


def test_drawdown_is_measured_from_the_running_peak_and_the_first_breach_is_kept() -> None:
    book = BookTracker("lp")
    for t, value in enumerate([100.0, 130.0, 90.0, 120.0, 80.0, 95.0]):
        book.mark(t * 60.0, value)
    book.breach("out_of_range", 240.0)
    book.breach("max_loss", 120.0)
    book.breach("out_of_range", 300.0)  # not the first time: ignored
    row = book.row(kill_switch_saved=12.345, fills=3)
    # peak PnL +30 at t=60; the deepest fall from it is to -20 at t=240: 50
    assert (row["pnl"], row["worst_drawdown"]) == (-5.0, 50.0)
    assert (row["first_breach"], row["first_breach_s"], row["breaches"]) == (
        "max_loss",
        120.0,
        "max_loss;out_of_range",
    )
    assert (row["kill_switch_saved"], row["fills"]) == (12.35, 3)


def test_summary_groups_by_variant_and_book_and_averages_the_books_own_figures() -> None:
    rows = []
    for seed, (pnl, breach) in enumerate(
        [(-10.0, "max_loss"), (20.0, ""), (-40.0, "max_loss"), (5.0, "hedge_stuck")]
    ):
        book = BookTracker("solver_inventory")
        book.mark(0.0, 1000.0)
        book.mark(60.0, 1000.0 + pnl)
        if breach:
            book.breach(breach, 60.0 * (seed + 1))
        rows.append({"seed": seed, "variant": "x", **book.row(kill_switch_saved=float(seed), fills=seed * 2)})
    (entry,) = summarise_books(rows, ("variant", "book"))
    assert entry["runs"] == 4 and entry["pnl"]["mean"] == -6.25 and entry["pnl"]["min"] == -40.0
    assert (entry["breach_rate"], entry["first_breach"]) == (0.75, "max_loss")
    assert entry["first_breach_s_median"] == 180.0  # max_loss at 60 s and 180 s: the upper median
    assert entry["kill_switch_saved_mean"] == 1.5 and entry["figures"] == {"fills": 3.0}
