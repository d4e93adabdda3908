"""`solver stress list|run|sweep`: parse, call `solver.stress`, render. No figure is computed here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amm.cli.common import JsonFlag, err, out, print_json
from solver.stress import engine
from solver.stress.config import ScenarioError, parse_override
from solver.stress.sweep import parse_grid, sweep

app = typer.Typer(
    help="Stress scenarios on every book (LP, solver inventory, perp hedge, venue fund): weekend gaps, "
    "oracle manipulation, stuck hedges, liquidity withdrawal, gas spikes, crashes; over seeds and grids.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="KEY=VALUE", help="Override a scenario key (dotted, repeatable): gap.size=-0.3."
    ),
]
SeedsOption = Annotated[
    int | None, typer.Option("--seeds", min=1, help="Number of seeds (paths); default: the scenario's.")
]
FirstSeed = Annotated[
    int | None, typer.Option("--first-seed", min=0, help="First seed (default: the scenario's).")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _overrides(sets: list[str] | None) -> dict[str, Any]:
    return dict(parse_override(s) for s in sets or [])


@contextmanager
def _progress(label: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr (only on a terminal, so scripts and pipes get clean output)."""
    if quiet or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report


@app.command("list")
def list_command(json: JsonFlag = False) -> None:
    """The scenarios you can run, with one line on each.

    Examples:

      solver stress list

      solver stress list --json | jq -r '.[].name'
    """
    scenarios = engine.runnable()
    if json:
        print_json(
            [{"name": n, "description": f.description, "engine": f.engine} for n, f in scenarios.items()]
        )
        return
    table = Table(title="stress scenarios", title_justify="left")
    table.add_column("scenario")
    table.add_column("what it stresses")
    for name, f in scenarios.items():
        table.add_row(name, f.description)
    out.print(table)


@app.command("run")
def run_command(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name (see `solver stress list`) or a .toml file.")
    ],
    sets: SetOption = None,
    seeds: SeedsOption = None,
    first_seed: FirstSeed = None,
    json: JsonFlag = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE.png", help="Loss distributions and one path's prices."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Write results.csv and summary.json here.")
    ] = None,
) -> None:
    """Run a scenario over seeds and report, per variant and book, PnL, worst drawdown, the first limit
    or buffer to break and when, and what the kill switch saved.

    Every variant of a seed sees the same path; only the named setting differs. weekend-gap also shows,
    per architecture and rule, how often the insurance fund was exhausted, fund used and the shortfall
    beyond it, bad debt and the notional auto-deleveraged. --json prints the same per variant.

    Examples:

      solver stress run weekend-gap

      solver stress run weekend-gap --set gap.size=-0.3 --seeds 100 --plot gap.png --out runs/gap30

      solver stress run weekend-gap --set variants.architectures=vault,onchain --set venue.end_rule=socialised

      solver stress run weekend-gap --set gap.distribution=student-t --json | jq '.variants[0].fund'

      solver stress run correlated-crash --plot crash.png   # LP, inventory, perp hedge, fund

      solver stress run stuck-hedge --set solver.widen_factor=5 --json | jq '.variants[].pnl'

      solver stress run my-scenario.toml --seeds 5
    """
    try:
        loaded = engine.load(scenario, _overrides(sets))
        seed_list = loaded.seeds(seeds, first_seed)
    except ScenarioError as e:
        raise _fail(str(e)) from None
    with _progress(f"{loaded.name}: seeds", json) as report:
        result = engine.run(loaded, seed_list, progress=report, trace=plot is not None)
    written = result.write(out_dir) if out_dir else []
    lead, venue = _lead(loaded), _per_variant(loaded)
    if plot:
        from solver.stress.plot import plot_books, plot_result  # noqa: PLC0415 (matplotlib when asked for)

        written.append(plot_result(result, plot) if venue else plot_books(result, plot, lead))
    if json:
        print_json({**result.to_json(), "files": [str(p) for p in written]})
        return
    if venue:
        _render(result)
        _books_table(
            f"{result.scenario}: the books, per variant (mean over {len(result.seeds)} seeds)",
            [
                {**{k: v[k] for k in lead}, "book": b, **e}
                for v in result.summary
                for b, e in v["books"].items()
            ],
            lead,
        )
    else:
        _books_table(
            f"{result.scenario}: the books, per variant ({len(result.seeds)} seeds from {result.seeds[0]})",
            result.summary,
            lead,
        )
    for p in written:
        out.print(f"[dim]wrote {p}[/dim]")


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _render(result: engine.Result) -> None:
    config = result.config
    gap = config.get("gap", {})
    gap_text = (
        f"fixed gap {gap['size']:+.1%}"
        if gap.get("distribution") == "fixed"
        else f"{gap.get('distribution')} gap (log mean {gap.get('mean')}, stdev {gap.get('stdev')})"
    )
    fund = result.summary[0]["fund"]["start"] if result.summary else 0
    table = Table(
        title=f"{result.scenario}: {gap_text}, insurance fund ${_money(fund)}, {len(result.seeds)} seeds "
        f"from {result.seeds[0] if result.seeds else '-'}",
        title_justify="left",
    )
    for column in (
        "architecture",
        "mark",
        "oracle",
        "fund exhausted",
        "fund used (mean / max)",
        "shortfall (mean / max)",
        "bad debt (mean / p95)",
        "ADL notional (mean)",
        "liqs",
        "liquidity PnL",
    ):
        table.add_column(column, justify="left" if column in ("architecture", "mark", "oracle") else "right")
    for v in result.summary:
        f = v["fund"]
        table.add_row(
            v["architecture"],
            v["mark_rule"],
            v["oracle_rule"],
            f"{f['exhaustion_rate']:.0%}",
            f"{_money(f['used']['mean'])} / {_money(f['used']['max'])}",
            f"{_money(f['shortfall']['mean'])} / {_money(f['shortfall']['max'])}",
            f"{_money(v['bad_debt']['mean'])} / {_money(v['bad_debt']['p95'])}",
            _money(v["adl_notional"]["mean"]),
            f"{v['liquidations_mean']:.1f}",
            _money(v["liquidity_pnl_mean"]),
        )
    out.print(table)
    out.print(
        "[dim]dollars per path; fund exhausted: share of seeds where the fund hit zero (or the venue froze); "
        "shortfall: bad debt beyond the fund; liquidity PnL: makers' or the vault's[/dim]"
    )


FIGURES_SHOWN = {
    "lp": ("il_usd", "fees_usd", "lvr_usd", "in_range_share", "third_party_in_range_share"),
    "solver_inventory": (
        "fills",
        "hedges",
        "hedges_failed",
        "hedge_usd",
        "inventory_loss_usd",
        "quote_half_spread_bp_mean",
        "stopped_s",
        "jit_paying",
        "router_slippage_bp",
        "mis_mark_usd",
    ),
    "perp_hedge": ("liquidation_distance_min", "funding_usd"),
    "venue_fund": ("liquidations", "bad_debt_usd"),
}
COMMON_FIGURES = ("twap_move", "cost_usd", "liquidated_notional_usd")


def _lead(scenario: engine.Scenario) -> tuple[str, ...]:
    """The columns that name a variant in a per-book table (the engine's variant keys, less the book)."""
    return tuple(k for k in scenario.engine.variant_keys if k != "book")


def _per_variant(scenario: engine.Scenario) -> bool:
    """Whether the engine summarises per variant with the books inside (weekend-gap's venue figures),
    rather than one entry per variant and book."""
    return "book" not in scenario.engine.variant_keys


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _figures(book: str, figures: dict[str, float]) -> str:
    names = [n for n in (*FIGURES_SHOWN.get(book, ()), *COMMON_FIGURES) if n in figures]
    return " ".join(f"{n}={_number(figures[n])}" for n in names)


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"


def _books_table(title: str, entries: list[dict[str, Any]], lead: tuple[str, ...]) -> None:
    """One row per (variant, book): PnL, worst drawdown, which limit breaks first and when, what the kill
    switch saved, and the book's own figures (means over the seeds)."""
    table = Table(title=title, title_justify="left")
    for column in (*lead, "book", "PnL mean / p5", "worst drawdown mean / max", "breaks first", "when"):
        table.add_column(column, justify="left" if column in (*lead, "book", "breaks first") else "right")
    table.add_column("kill switch saved", justify="right")
    table.add_column("figures (means)")
    for e in entries:
        breaks = f"{e['first_breach']} ({e['breach_rate']:.0%})" if e["first_breach"] else "-"
        saved = e["kill_switch_saved_mean"]
        table.add_row(
            *(str(e[k]) for k in lead),
            e["book"],
            f"{_money(e['pnl']['mean'])} / {_money(e['pnl']['p5'])}",
            f"{_money(e['worst_drawdown']['mean'])} / {_money(e['worst_drawdown']['max'])}",
            breaks,
            _duration(e["first_breach_s_median"]),
            "-" if saved is None else _money(saved),
            _figures(e["book"], e["figures"]),
        )
    out.print(table)
    out.print(
        "[dim]dollars; p5: the 5th percentile of PnL over seeds; breaks first: the limit or buffer that "
        "broke first most often (share of seeds); when: its median time from the start[/dim]"
    )


@app.command("sweep")
def sweep_command(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name (see `solver stress list`) or a .toml file.")
    ],
    grid: Annotated[
        list[str],
        typer.Option(
            "--grid", metavar="KEY=V1,V2,...", help="A grid axis (repeatable): every combination runs."
        ),
    ],
    sets: SetOption = None,
    seeds: SeedsOption = None,
    first_seed: FirstSeed = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes (default: all cores; 1: this process).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help="Write tasks, results.csv and summary.json; rerun to resume."
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="auto|local|ray://HOST:PORT",
            help="Run the tasks on Ray (pip install '.[cluster]'): same seeds, same table.",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", metavar="FILE.png", help="A heatmap of --metric over the first two grid axes."
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            help="The summary figure to plot (dotted): fund.exhaustion_rate (venue default), pnl.mean "
            "(books default), breach_rate, worst_drawdown.max, figures.il_usd, books.perp_hedge.pnl.mean.",
        ),
    ] = None,
    book: Annotated[
        str,
        typer.Option("--book", help="The book to plot for scenarios that report per book."),
    ] = "solver_inventory",
    json: JsonFlag = False,
) -> None:
    """Run a scenario over a grid of parameters and seeds on a local process pool, or on Ray.

    Each (cell, seed) is one task, deterministic for its seed: the table equals running each cell alone
    with `solver stress run ... --set KEY=VALUE`. With --out, finished tasks are kept in DIR/tasks and a
    rerun with the same DIR runs only the rest (an interrupted sweep resumes).

    Examples:

      solver stress sweep weekend-gap --grid gap.size=-0.1,-0.2,-0.3 --seeds 20

      solver stress sweep weekend-gap --grid venue.fund=2000,20000 --grid venue.end_rule=adl,socialised \\
        --out runs/fund

      solver stress sweep weekend-gap --grid book.closed_size_mult=0,0.2,1 --set traders.count=50 --json

      solver stress sweep weekend-gap --grid gap.size=-0.1,-0.3 --ray-address auto   # a running Ray cluster

      solver stress sweep weekend-gap --grid gap.size=-0.1,-0.2,-0.3 --grid venue.fund=2000,5000,20000 \\
        --plot fund.png --metric fund.exhaustion_rate

      solver stress sweep correlated-crash --grid shock.eth_drop=-0.1,-0.3 --grid lp.width=0.05,0.2 \\
        --plot lp.png --book lp --metric pnl.mean
    """
    try:
        axes = parse_grid(grid)
        base = _overrides(sets)
        loaded = engine.load(scenario, base)
        seed_list = loaded.seeds(seeds, first_seed)
        with _progress(f"{scenario}: tasks", json) as report:
            result = sweep(scenario, axes, base, seed_list, out_dir, workers, report, ray_address)
    except ScenarioError as e:
        raise _fail(str(e)) from None
    venue = _per_variant(loaded)
    written: list[Path] = []
    if plot:
        from solver.stress.plot import plot_heatmap  # noqa: PLC0415 (matplotlib only when asked for)

        entries = [e for e in result.summary if venue or e.get("book") == book]
        if not entries:
            raise _fail(f"--book {book}: this scenario reports no such book")
        chosen = metric or ("fund.exhaustion_rate" if venue else "pnl.mean")
        title = result.scenario if venue else f"{result.scenario}, {book}"
        written.append(plot_heatmap(entries, result.grid, plot, chosen, _lead(loaded), title))
    if json:
        print_json({**result.to_json(), "files": [str(p) for p in written]})
        return
    if not venue:
        _books_table(
            f"{result.scenario} sweep: {len(result.seeds)} seeds per cell "
            f"({result.ran} tasks run, {result.resumed} resumed)",
            result.summary,
            (*axes, *_lead(loaded)),
        )
        for p in written:
            out.print(f"[dim]wrote {p}[/dim]")
        return
    table = Table(
        title=f"{result.scenario} sweep: {len(result.summary)} rows over {len(result.seeds)} seeds "
        f"({result.ran} tasks run, {result.resumed} resumed)",
        title_justify="left",
    )
    for column in (
        *axes,
        "architecture",
        "mark",
        "oracle",
        "fund exhausted",
        "fund used (mean)",
        "shortfall (mean)",
        "bad debt (mean / p95)",
        "ADL notional (mean)",
    ):
        table.add_column(
            column, justify="right" if column not in ("architecture", "mark", "oracle") else "left"
        )
    for c in result.summary:
        f = c["fund"]
        table.add_row(
            *(str(c[k]) for k in axes),
            c["architecture"],
            c["mark_rule"],
            c["oracle_rule"],
            f"{f['exhaustion_rate']:.0%}",
            _money(f["used"]["mean"]),
            _money(f["shortfall"]["mean"]),
            f"{_money(c['bad_debt']['mean'])} / {_money(c['bad_debt']['p95'])}",
            _money(c["adl_notional"]["mean"]),
        )
    out.print(table)
    for p in written:
        out.print(f"[dim]wrote {p}[/dim]")
    if out_dir:
        out.print(
            f"[dim]wrote {out_dir / 'results.csv'}, {out_dir / 'summary.json'} and {out_dir / 'tasks'}/[/dim]"
        )
