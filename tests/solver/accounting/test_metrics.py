"""Sharpe and max drawdown on series worked out by hand (and with the stdlib, not the numpy the code uses),
and the summary `solver run --json` prints, read from a ledger."""

from __future__ import annotations

import json
import math
import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from solver.accounting.ledger import FillRecord, Ledger
from solver.accounting.metrics import max_drawdown, sharpe_ratio, summary
from solver.accounting.pnl import PnlTracker

BLOCKS_PER_YEAR_12S = 365 * 24 * 3600 / 12  # 2,628,000


def test_sharpe_of_a_known_series() -> None:
    path = [0, 1, 3, 2, 5]  # increments 1, 2, -1, 3: mean 1.25, sample sd sqrt(8.75 / 3)
    per_block = 1.25 / math.sqrt(8.75 / 3)
    assert per_block == pytest.approx(statistics.mean([1, 2, -1, 3]) / statistics.stdev([1, 2, -1, 3]))
    assert sharpe_ratio(path) == pytest.approx(per_block * math.sqrt(BLOCKS_PER_YEAR_12S))
    assert sharpe_ratio(path, block_time_seconds=2.0) == pytest.approx(per_block * math.sqrt(365 * 24 * 1800))
    assert sharpe_ratio([Decimal("0"), Decimal("0.25"), Decimal("-0.25")]) < 0  # losing


def test_sharpe_is_none_where_undefined() -> None:
    assert sharpe_ratio([0, 1]) is None  # one increment
    assert sharpe_ratio([0, 1, 2, 3]) is None  # no variation
    assert sharpe_ratio([]) is None


def test_max_drawdown_of_a_known_series() -> None:
    path = [0, 10, 4, 12, 3, 8]  # falls: 10 -> 4 (6), 12 -> 3 (9)
    assert max_drawdown(path) == {"absolute": 9, "relative": pytest.approx(9 / 12)}
    # on 100 of capital: 6 / 110 against 9 / 112
    assert max_drawdown(path, capital=100) == {"absolute": 9, "relative": pytest.approx(9 / 112)}
    assert max_drawdown([0, -1, -3]) == {"absolute": 3, "relative": None}  # no positive peak without capital
    assert max_drawdown([0, -1, -3], capital=10) == {"absolute": 3, "relative": pytest.approx(0.3)}
    assert max_drawdown([0, 1, 2]) == {"absolute": 0, "relative": 0.0}
    big = Decimal(2**200) + Decimal("0.000001")
    assert max_drawdown([big, Decimal(0)])["absolute"] == big  # exact, no float on the way


def test_summary_reads_the_run_from_its_ledger(tmp_path: Path) -> None:
    weth, usdc = "WETH", "USDC"
    ledger = Ledger.open(tmp_path)
    hashes = ["0x" + f"{n:064x}" for n in range(5)]
    for n, key in enumerate(hashes):
        ledger.record_order(
            key, kind="k", encoded=b"\x01", signature=b"\x02", swapper="s", received_block=n, received_time=n
        )
    ledger.mark_skipped(hashes[3], "no_edge")
    ledger.mark_skipped(hashes[4], "risk_limit")
    fills = [
        FillRecord(
            "0x" + "01" * 32,
            101,
            "0x" + "a1" * 32,
            100_000,
            2 * 10**9,
            "inventory",
            {weth: 10**18, usdc: -2990 * 10**6},
        ),
        FillRecord("0x" + "02" * 32, 102, "0x" + "a2" * 32, 0, 0, "route", {}),
        FillRecord("0x" + "03" * 32, 102, "0x" + "a3" * 32, 0, 0, "inventory", {}),
    ]
    for key, fill in zip(hashes, fills, strict=False):
        ledger.mark_sending(key, "fp")
        ledger.mark_filled(key, fill)

    tracker = PnlTracker({weth: 18, usdc: 6}, gas_token=weth, ledger=ledger)
    tracker.step(100, {usdc: 10_000 * 10**6, weth: 0}, {usdc: 1, weth: 3000})
    tracker.step(101, {usdc: 7010 * 10**6, weth: 10**18}, {usdc: 1, weth: 3000}, fills=fills[:1])
    tracker.step(102, {usdc: 7010 * 10**6, weth: 10**18}, {usdc: 1, weth: 2990})
    tracker.step(103, {usdc: 7010 * 10**6, weth: 10**18}, {usdc: 1, weth: 3010})

    report = summary(ledger)
    json.dumps(report)  # JSON-ready as it is
    assert report["orders_seen"] == 5 and report["filled"] == 3
    assert report["skipped"] == {"no_edge": 1, "risk_limit": 1}
    assert report["internalized_share"] == pytest.approx(2 / 3)
    assert report["fills_by_mode"] == {"inventory": 2, "route": 1}
    # path 0, 0, 9.4, -0.6, 19.4: spread 10, mtm -10 + 20, gas -0.6
    assert report["pnl"] == {
        "numeraire": "USDC",
        "total": "19.4",
        "attribution": {
            "spread": "10",
            "inventory_mtm": "10",
            "hedge": "0",
            "gas": "-0.6",
            "unexplained": "0",
        },
    }
    assert report["capital"] == "10000"
    assert report["max_drawdown"] == {"absolute": "10", "relative": pytest.approx(10 / 10_009.4)}
    increments = [0, 9.4, -10, 20]
    expected = statistics.mean(increments) / statistics.stdev(increments) * math.sqrt(BLOCKS_PER_YEAR_12S)
    assert report["sharpe"] == pytest.approx(expected)


def test_summary_of_an_empty_run(tmp_path: Path) -> None:
    report = summary(Ledger.open(tmp_path))
    assert report["orders_seen"] == 0 and report["internalized_share"] is None and report["sharpe"] is None
    assert report["pnl"]["total"] == "0" and report["max_drawdown"] == {"absolute": "0", "relative": None}
