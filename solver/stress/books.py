"""One book's report in a stress run: PnL, worst drawdown, which limit or buffer broke first and when, and
what the kill switch saved. Every scenario reports its books (LP positions, solver inventory, perp hedge,
venue fund) in these same fields, so a table or a sweep can put them side by side.

Why a tracker and not a formula at the end: the worst drawdown and the first breach are properties of the
path, not of its end; a book marks its value at every step and names a breach when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOOKS = ("lp", "solver_inventory", "perp_hedge", "venue_fund")


@dataclass
class BookTracker:
    """Marks of one book's value (numeraire, usually USD) over a path, and the breaches seen.

    `mark(t, value)` at every step (the first mark is the start value unless `start` is given);
    `breach(name, t)` whenever a limit or buffer breaks (the first of each name is kept, in order)."""

    book: str
    start: float | None = None
    pnl: float = 0.0
    peak: float = 0.0
    worst_drawdown: float = 0.0
    breaches: dict[str, float] = field(default_factory=dict)
    marks: int = 0

    def mark(self, time_s: float, value: float) -> float:
        """Record the book's value at `time_s` (seconds from the start); returns the PnL so far."""
        if self.start is None:
            self.start = value
        self.pnl = value - self.start
        self.peak = max(self.peak, self.pnl)
        self.worst_drawdown = max(self.worst_drawdown, self.peak - self.pnl)
        self.marks += 1
        return self.pnl

    def breach(self, name: str, time_s: float) -> None:
        """A limit or buffer broke at `time_s`; only its first time is kept."""
        self.breaches.setdefault(name, time_s)

    @property
    def first_breach(self) -> tuple[str, float] | None:
        if not self.breaches:
            return None
        name = min(self.breaches, key=lambda n: self.breaches[n])
        return name, self.breaches[name]

    def row(self, kill_switch_saved: float | None = None, **extra: Any) -> dict[str, Any]:
        """The book's report as a flat row: `book`, `pnl`, `worst_drawdown`, `first_breach` ('' if none),
        `first_breach_s` (seconds from the start, or None), `breaches` ('a;b' in time order),
        `kill_switch_saved` (PnL with the kill switch minus PnL without it, when the scenario ran both),
        and any scenario-specific figures."""
        first = self.first_breach
        return {
            "book": self.book,
            "pnl": round(self.pnl, 2),
            "worst_drawdown": round(self.worst_drawdown, 2),
            "first_breach": first[0] if first else "",
            "first_breach_s": first[1] if first else None,
            "breaches": ";".join(sorted(self.breaches, key=lambda n: self.breaches[n])),
            "kill_switch_saved": None if kill_switch_saved is None else round(kill_switch_saved, 2),
            **extra,
        }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered))))]


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


REPORT_FIELDS = (
    "book",
    "pnl",
    "worst_drawdown",
    "first_breach",
    "first_breach_s",
    "breaches",
    "kill_switch_saved",
)


def summarise_books(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per group of `keys` (in first-seen order; `keys` should include "book"): PnL (mean, 5th percentile,
    min, max), worst drawdown (mean, max), how often some limit broke and which broke first most often
    (with the median time it broke), what the kill switch saved on average, and the mean of every other
    numeric column (a scenario's own figures)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    summary = []
    for key, group in groups.items():
        pnl = [float(r["pnl"]) for r in group]
        drawdown = [float(r["worst_drawdown"]) for r in group]
        firsts = [r["first_breach"] for r in group if r.get("first_breach")]
        top = max(set(firsts), key=lambda n: (firsts.count(n), n)) if firsts else ""
        times = sorted(float(r["first_breach_s"]) for r in group if top and r.get("first_breach") == top)
        saved = [float(r["kill_switch_saved"]) for r in group if r.get("kill_switch_saved") is not None]
        extras: dict[str, float] = {}
        for name in dict.fromkeys(k for r in group for k in r):
            if name in keys or name in REPORT_FIELDS or name in ("seed", "cell"):
                continue
            values = [float(r[name]) for r in group if _numeric(r.get(name)) or isinstance(r.get(name), bool)]
            if values:
                extras[name] = round(sum(values) / len(values), 4)
        summary.append(
            {
                **dict(zip(keys, key, strict=True)),
                "runs": len(group),
                "pnl": {
                    "mean": round(sum(pnl) / len(pnl), 2),
                    "p5": round(_quantile(pnl, 0.05), 2),
                    "min": round(min(pnl), 2),
                    "max": round(max(pnl), 2),
                },
                "worst_drawdown": {
                    "mean": round(sum(drawdown) / len(drawdown), 2),
                    "max": round(max(drawdown), 2),
                },
                "breach_rate": round(len(firsts) / len(group), 4),
                "first_breach": top,
                "first_breach_s_median": times[len(times) // 2] if times else None,
                "kill_switch_saved_mean": round(sum(saved) / len(saved), 2) if saved else None,
                "figures": extras,
            }
        )
    return summary
