"""`solver backtest --run-dir DIR`: replay a `solver run`'s recorded flow offline and compare with its ledger.

`solver run` records, next to its ledger and `orders.jsonl`, what `solver.backtest.backtest` needs to
reproduce it (`RunRecording`): `universe.pickle` (the pools before the first step), `backtest.json` (the
filler, its starting balances and policies, the run's pricing and decision limits) and `steps.jsonl` (per
step: the decision block, its timestamp and base fee, the gas price decided with, and the blocks mined
during the step with their timestamps and base fees). No chain is needed to replay it.
"""

from __future__ import annotations

import copy
import json as jsonlib
import pickle
from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from amm.cli.common import JsonFlag, err, out, print_json
from solver.accounting.inventory import TokenPolicy
from solver.decision import RiskLimits
from solver.pricing.config import PricingConfig

UNIVERSE = "universe.pickle"
START = "backtest.json"
STEPS = "steps.jsonl"
ORDERS = "orders.jsonl"
LEDGER = "solver.sqlite"
SHOWN_DIFFERENCES = 5
RECORDED = "recorded"  # --prices: the fair values the run recorded each step

__all__ = ["RunRecording", "backtest_command", "compare_run"]


class BacktestInputError(Exception):
    """A run directory that lacks (or has a broken) recording; the message is one line."""


# ------------------------------------------------------------------------------------------------ recording
class RunRecording:
    """What `solver run` writes for a backtest. `start(solver, ...)` before the first step, then
    `before_step(solver)` / `after_step(report)` around each `Solver.step`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._steps = None
        self._pending: dict[str, int] | None = None

    def start(self, solver, *, pricing: PricingConfig, limits: Any, slippage_bps: int) -> None:
        solver.universe.refresh(solver.node)  # as the first step will see the pools (it refreshes too)
        with (self.directory / UNIVERSE).open("wb") as f:
            pickle.dump(copy.deepcopy(solver.universe), f)
        solver.inventory.refresh()
        start = {
            "filler": solver.filler.address,
            "balances": {t: str(a) for t, a in solver.inventory.balances.items()},
            "policies": {t: asdict(p) for t, p in (solver.policies or {}).items()},
            "pricing": _jsonable(asdict(pricing)),
            "max_notional_per_fill": getattr(limits, "max_notional_per_fill", None),
            "max_inventory": {t: str(v) for t, v in getattr(limits, "max_inventory", {}).items()},
            "max_inventory_value": dict(getattr(limits, "max_inventory_value", {})),
            "slippage_bps": slippage_bps,
        }
        (self.directory / START).write_text(jsonlib.dumps(start, indent=1) + "\n", encoding="utf-8")
        self._steps = (self.directory / STEPS).open("a", encoding="utf-8")

    def before_step(self, solver) -> None:
        """Fix the step's gas price (read once, handed to the Solver, recorded) and note the pending block."""
        node = solver.node
        pending = node.block("pending")
        gas = int(node.rpc.call("eth_gasPrice"), 16)
        solver.gas_price_wei = gas
        self._pending = {
            "block": int(pending["number"], 16),
            "timestamp": int(pending["timestamp"], 16),
            "base_fee": int(pending.get("baseFeePerGas") or "0x0", 16),
            "gas_price_wei": gas,
        }

    def after_step(self, solver, report) -> None:
        if self._steps is None:
            return
        node = solver.node
        line: dict[str, Any] = {
            "block": report.block,
            "timestamp": report.timestamp,
            "base_fee": 0,
            "gas_price_wei": solver.gas_price_wei,
        }
        if self._pending is not None and self._pending["block"] == report.block:
            line["base_fee"] = self._pending["base_fee"]
        line["fill_blocks"] = [_number(f.fill.receipt["blockNumber"]) for f in report.fills]
        line["fair_values"] = solver.pricing.fair_value.prices()  # the price path the step decided with
        mined = []
        for number in range(report.block, node.block_number() + 1):
            block = node.block(number)
            mined.append(
                {
                    "block": number,
                    "timestamp": int(block["timestamp"], 16),
                    "base_fee": int(block.get("baseFeePerGas") or "0x0", 16),
                }
            )
        line["mined"] = mined
        self._steps.write(jsonlib.dumps(line) + "\n")
        self._steps.flush()
        self._pending = None

    def close(self) -> None:
        if self._steps is not None:
            self._steps.close()
            self._steps = None


def _number(value: int | str) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------------------- loading
def load_inputs(directory: Path) -> dict[str, Any]:
    """The keyword arguments of `backtest(...)` for a recorded run, and its orders."""
    from solver.flow.jsonl import read_orders  # noqa: PLC0415

    if not directory.is_dir():
        raise BacktestInputError(f"no run directory {directory}")
    for name in (ORDERS, LEDGER, UNIVERSE, START, STEPS):
        if not (directory / name).is_file():
            raise BacktestInputError(
                f"{directory} has no {name}: not a complete `solver run` directory (recorded by this version)"
            )
    try:
        with (directory / UNIVERSE).open("rb") as f:
            universe = pickle.load(f)  # our own run directory's recording
        start = jsonlib.loads((directory / START).read_text(encoding="utf-8"))
        steps = [
            jsonlib.loads(line)
            for line in (directory / STEPS).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        orders, bad = read_orders(directory / ORDERS)
        names = {f.name for f in fields(PricingConfig)}
        pricing = {k: v for k, v in start["pricing"].items() if k in names}
        pricing["hubs"] = tuple(pricing.get("hubs", ()))
        pricing_config = PricingConfig(**pricing)
        policies = {t: TokenPolicy(**p) for t, p in start["policies"].items()}
        balances = {t: int(a) for t, a in start["balances"].items()}
    except (OSError, ValueError, KeyError, TypeError, pickle.UnpicklingError, EOFError) as e:
        raise BacktestInputError(f"{directory}: unreadable recording ({type(e).__name__}: {e})") from None
    if not steps:
        raise BacktestInputError(f"{directory}/{STEPS} is empty: the run took no step")
    block_times: dict[int, int] = {}
    price_path: dict[float, dict[str, float]] = {}
    gas: dict[int, int] = {}
    base_fees: dict[int, int] = {}
    mined_times: dict[int, int] = {}
    for step in steps:
        block = int(step["block"])
        block_times[block] = int(step["timestamp"])
        if step.get("fair_values"):
            price_path[float(step["timestamp"])] = {str(k): float(v) for k, v in step["fair_values"].items()}
        gas[block] = int(step["gas_price_wei"] or 0)
        base_fees.setdefault(block, int(step.get("base_fee") or 0))
        for mined in step.get("mined", ()):
            mined_times[int(mined["block"])] = int(mined["timestamp"])
            base_fees[int(mined["block"])] = int(mined["base_fee"])
    return {
        "orders": orders,
        "bad_lines": len(bad),
        "price_path": price_path,
        "kwargs": {
            "universe": universe,
            "balances": balances,
            "policies": policies,
            "block_times": block_times,
            "gas_price_wei": gas,
            "base_fees": base_fees,
            "filler": start["filler"],
            "mined_times": mined_times,
            "pricing_config": pricing_config,
            "limits": RiskLimits(
                max_notional_per_fill=start.get("max_notional_per_fill"),
                max_inventory={t: int(v) for t, v in start.get("max_inventory", {}).items()},
                max_inventory_value={t: float(v) for t, v in start.get("max_inventory_value", {}).items()},
            ),
            "slippage_bps": int(start.get("slippage_bps", 50)),
        },
    }


def live_outcomes(ledger) -> dict[str, tuple[str, str | None]]:
    """Per order hash: ("filled", mode) or (status, reason) as the live ledger ends."""
    from solver.accounting.records import Status  # noqa: PLC0415

    modes = {f.tx_hash: f.mode for f in ledger.fills()}
    outcomes: dict[str, tuple[str, str | None]] = {}
    for row in ledger.orders():
        if row.status == Status.FILLED:
            outcomes[row.hash] = ("filled", modes.get(row.tx_hash))
        else:
            outcomes[row.hash] = (str(row.status), row.reason)
    return outcomes


def compare_run(directory: Path, prices: str | Path | None = None) -> dict[str, Any]:
    """Backtest a recorded run and compare every order's outcome with the ledger's.

    `prices` is the price path: None for the run's own fair value source (its pools, or its CSV file; a run
    priced from an HTTP stream, which cannot be read again, replays the prices it recorded), "recorded" for
    the prices the run recorded at each step, or a CSV file (`timestamp,token,price` rows) to ask what the
    same flow would have done on another path."""
    from solver.accounting.ledger import Ledger  # noqa: PLC0415
    from solver.backtest import backtest  # noqa: PLC0415
    from solver.pricing.fair_value import PriceError  # noqa: PLC0415

    inputs = load_inputs(directory)
    kwargs = dict(inputs["kwargs"])
    source = kwargs["pricing_config"].fair_value_source
    if prices is None and source.startswith(("http://", "https://")):
        prices = RECORDED
    if prices == RECORDED:
        if not inputs["price_path"]:
            raise BacktestInputError(
                f"{directory}/{STEPS} holds no recorded prices (a run of an older version)"
            )
        kwargs["price_path"] = inputs["price_path"]
        used = RECORDED
    elif prices is not None:
        kwargs["pricing_config"] = replace(kwargs["pricing_config"], fair_value_source=str(prices))
        used = str(prices)
    else:
        used = source
    try:
        result = backtest(inputs["orders"], **kwargs)
    except PriceError as e:
        raise BacktestInputError(str(e)) from None
    ledger = Ledger.open(directory)
    try:
        live = live_outcomes(ledger)
    finally:
        ledger.close()
    report = _agreement(live, result, inputs["bad_lines"])
    report["prices"] = used
    return report


def _agreement(live: Mapping[str, tuple[str, str | None]], result, bad_lines: int) -> dict[str, Any]:
    agree = 0
    differences: list[dict[str, Any]] = []
    for h, outcome in result.outcomes.items():
        if h not in live:
            differences.append({"order": h, "live": None, "backtest": _outcome(outcome)})
            continue
        status, detail = live[h]
        same = (
            outcome.mode == detail
            if status == "filled"
            else (not outcome.filled and outcome.reason == detail)
        )
        if same:
            agree += 1
        else:
            differences.append(
                {"order": h, "live": {"status": status, "detail": detail}, "backtest": _outcome(outcome)}
            )
    # orders only the ledger knows (malformed ones are recorded under a key of their bytes, not compared)
    only_live = [h for h, (_, reason) in live.items() if h not in result.outcomes and not _malformed(reason)]
    for h in only_live:
        status, detail = live[h]
        differences.append({"order": h, "live": {"status": status, "detail": detail}, "backtest": None})
    return {
        "agreement": {
            "agree": agree,
            "orders": len(result.outcomes) + len(only_live),
            "exact": not differences,
            "differences": differences,
        },
        "summary": result.summary(),
        "bad_lines": bad_lines,
    }


def _malformed(reason: str | None) -> bool:
    return bool(reason) and reason.startswith("rejected:malformed")


def _outcome(outcome) -> dict[str, Any]:
    return {
        "action": outcome.action,
        "mode": outcome.mode,
        "reason": outcome.reason,
        "block": outcome.block,
        "detail": outcome.detail,
    }


# ------------------------------------------------------------------------------------------------- command
def backtest_command(
    run_dir: Annotated[
        Path, typer.Option("--run-dir", help="A `solver run` directory (its ledger, orders and recording).")
    ],
    prices: Annotated[
        str | None,
        typer.Option(
            "--prices",
            metavar="recorded|FILE.csv",
            help="The price path: the run's own source by default; `recorded` for the fair values the run "
            "recorded each step; or a CSV of timestamp,token,price rows (a what-if on another path).",
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Replay a run's recorded flow through the same pricing and decision code, without a chain, and compare
    each order's outcome (filled with its mode, or skipped with its reason) with the run's ledger.

    Examples:

      solver run --blocks 20 --seed 3 --run-dir runs/a && solver backtest --run-dir runs/a

      solver backtest --run-dir runs/a --json | jq .agreement

      solver backtest --run-dir runs/a --prices crash.csv   # the same flow on another price path
    """
    try:
        report = compare_run(run_dir, prices)
    except BacktestInputError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    report["run_dir"] = str(run_dir)
    if json:
        print_json(jsonlib.loads(jsonlib.dumps(report, default=str)))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    agreement, summary = report["agreement"], report["summary"]
    out.print(f"prices: {report['prices']}", markup=False)
    out.print(
        f"agreement {agreement['agree']} of {agreement['orders']} orders"
        + (" (exact)" if agreement["exact"] else ""),
        markup=False,
    )
    for d in agreement["differences"][:SHOWN_DIFFERENCES]:
        live, bt = d["live"], d["backtest"]
        live_s = f"{live['status']} {live['detail'] or ''}".strip() if live else "not in the ledger"
        bt_s = (
            (f"filled {bt['mode']}" if bt["mode"] else f"{bt['action']} {bt['reason'] or 'open'}")
            if bt
            else "not in the backtest"
        )
        out.print(f"  {d['order'][:10]}  live: {live_s}  backtest: {bt_s}", markup=False)
    if len(agreement["differences"]) > SHOWN_DIFFERENCES:
        out.print(f"  ... {len(agreement['differences']) - SHOWN_DIFFERENCES} more (--json for all)")
    modes = ", ".join(f"{m} {n}" for m, n in sorted(summary["fills_by_mode"].items()))
    skips = ", ".join(f"{r} {n}" for r, n in sorted(summary["skipped"].items()))
    out.print(
        f"backtest: {summary['orders_seen']} orders over {summary['blocks']} blocks, "
        + f"filled {summary['filled']}"
        + (f" ({modes})" if modes else "")
        + (f", skipped {skips}" if skips else "")
        + f", never decided {summary['never_decided']}, not sent {summary['not_sent']}",
        markup=False,
    )
    pnl = ", ".join(f"{k} {float(v):,.2f}" for k, v in summary["pnl"].items())
    out.print(f"PnL estimate: {pnl}", markup=False)
