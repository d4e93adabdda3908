"""PnL attribution on hand-built blocks whose figures are worked out here by hand: spread, inventory
mark-to-market, hedging and gas sum to the change of the book's value exactly, on disk as in memory."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from solver.accounting.ledger import FillRecord, HedgeRecord, Ledger
from solver.accounting.pnl import PnlTracker

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
DECIMALS = {WETH: 18, USDC: 6}
ETHER, DOLLAR, GWEI = 10**18, 10**6, 10**9


def buy_one_weth_for_2990() -> FillRecord:
    """The filler receives 1 WETH and pays 2990 USDC; 100k gas at 2 gwei = 0.0002 ETH."""
    return FillRecord(
        "0x" + "11" * 32,
        101,
        "0x" + "b1" * 32,
        100_000,
        2 * GWEI,
        "inventory",
        {WETH: ETHER, USDC: -2990 * DOLLAR},
    )


def sell_half_weth_for_1500() -> HedgeRecord:
    """Back toward target: 0.5 WETH sold for 1500 USDC; 50k gas at 2 gwei = 0.0001 ETH."""
    return HedgeRecord(
        103, {WETH: -ETHER // 2, USDC: 1500 * DOLLAR}, "0x" + "33" * 32, "0x" + "b3" * 32, 50_000, 2 * GWEI
    )


def test_hand_built_run_attributes_every_cent(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path)
    tracker = PnlTracker(DECIMALS, gas_token=WETH, ledger=ledger)

    # block 100: 10,000 USDC, nothing happens
    start = tracker.step(100, {USDC: 10_000 * DOLLAR, WETH: 0}, {USDC: 1, WETH: 3000})
    assert start.total == 0 and start.inventory_value == 10_000

    # block 101: buy 1 WETH at 2990 when fair is 3000 -> spread +10; gas 0.0002 ETH x 3000 = 0.6
    fill = buy_one_weth_for_2990()
    ledger.record_order(
        "0x" + "aa" * 32,
        kind="k",
        encoded=b"",
        signature=b"",
        swapper="s",
        received_block=101,
        received_time=0,
    )
    ledger.mark_sending("0x" + "aa" * 32, "fp")
    ledger.mark_filled("0x" + "aa" * 32, fill)
    b101 = tracker.step(101, {USDC: 7010 * DOLLAR, WETH: ETHER}, {USDC: 1, WETH: 3000}, fills=[fill])
    assert (b101.spread, b101.inventory_mtm, b101.gas, b101.total) == (10, 0, Decimal("-0.6"), Decimal("9.4"))

    # block 102: WETH 3000 -> 3010 on the 1 WETH held -> inventory mtm +10
    b102 = tracker.step(102, {USDC: 7010 * DOLLAR, WETH: ETHER}, {USDC: 1, WETH: "3010"})
    assert (b102.spread, b102.inventory_mtm, b102.total) == (0, 10, 10)

    # block 103: hedge 0.5 WETH for 1500 when fair is 3010 -> 1500 - 1505 = -5; gas 0.0001 x 3010 = 0.301
    b103 = tracker.step(
        103,
        {USDC: 8510 * DOLLAR, WETH: ETHER // 2},
        {USDC: 1, WETH: 3010},
        hedges=[sell_half_weth_for_1500()],
    )
    assert (b103.hedge, b103.gas, b103.total) == (-5, Decimal("-0.301"), Decimal("-5.301"))

    expected = {
        "spread": Decimal(10),
        "inventory_mtm": Decimal(10),
        "hedge": Decimal(-5),
        "gas": Decimal("-0.901"),
        "unexplained": Decimal(0),
    }
    assert tracker.attribution == expected
    # the book went 10,000 -> 8,510 + 0.5 x 3,010 = 10,015 (+15), and the sender paid 0.901 in gas
    assert tracker.total == Decimal("14.099") == sum(expected.values())
    assert tracker.path == [0, 0, Decimal("9.4"), Decimal("19.4"), Decimal("14.099")]
    assert ledger.pnl_attribution() == expected  # the same figures, read back from disk
    assert [m.pnl_total for m in ledger.marks()] == tracker.path[1:]

    resumed = PnlTracker.resume(Ledger.open(tmp_path), DECIMALS, gas_token=WETH)  # after a restart
    b104 = resumed.step(104, {USDC: 8510 * DOLLAR, WETH: ETHER // 2}, {USDC: 1, WETH: 3000})
    assert b104.inventory_mtm == -5 and resumed.total == Decimal("9.099")


def test_first_block_with_a_fill_is_attributed() -> None:
    """Stepping starts mid-run: the balances before the block's fills are reconstructed from them."""
    tracker = PnlTracker(DECIMALS, gas_token=WETH)
    first = tracker.step(
        101, {USDC: 7010 * DOLLAR, WETH: ETHER}, {USDC: 1, WETH: 3000}, fills=[buy_one_weth_for_2990()]
    )
    assert (first.spread, first.gas, first.unexplained, first.total) == (
        10,
        Decimal("-0.6"),
        0,
        Decimal("9.4"),
    )


def test_balance_changes_nobody_recorded_show_as_unexplained() -> None:
    tracker = PnlTracker(DECIMALS, gas_token=WETH)
    tracker.step(1, {USDC: 100 * DOLLAR}, {USDC: 1, WETH: 3000})
    deposit = tracker.step(2, {USDC: 100 * DOLLAR, WETH: ETHER // 10}, {USDC: 1, WETH: 3000})
    assert deposit.unexplained == 300 == deposit.total and deposit.spread == 0


def test_a_reorged_fill_is_booked_back(tmp_path: Path) -> None:
    """The fill of block 101 is reorged out; block 102's balances no longer hold it. Its spread comes back
    at today's fair value (1 x 3010 - 2990 = 20), its gas is refunded as booked, nothing is unexplained."""
    ledger = Ledger.open(tmp_path)
    tracker = PnlTracker(DECIMALS, gas_token=WETH, ledger=ledger)
    fill = buy_one_weth_for_2990()
    key = "0x" + "aa" * 32
    ledger.record_order(
        key, kind="k", encoded=b"", signature=b"", swapper="s", received_block=1, received_time=0
    )
    ledger.mark_sending(key, "fp")
    ledger.mark_filled(key, fill)
    tracker.step(100, {USDC: 10_000 * DOLLAR, WETH: 0}, {USDC: 1, WETH: 3000})
    tracker.step(101, {USDC: 7010 * DOLLAR, WETH: ETHER}, {USDC: 1, WETH: 3000}, fills=[fill])

    tracker = PnlTracker.resume(ledger, DECIMALS, gas_token=WETH)  # a restart: the gas booked is read back
    gone = ledger.mark_dropped(fill.tx_hash)
    b102 = tracker.step(102, {USDC: 10_000 * DOLLAR, WETH: 0}, {USDC: 1, WETH: 3010}, dropped=gone)
    # the WETH held through the move still earned its +10 before the reorg took it back
    assert (b102.spread, b102.inventory_mtm, b102.gas, b102.unexplained) == (-20, 10, Decimal("0.6"), 0)
    assert b102.total == Decimal("-9.4") and tracker.total == 0
    assert ledger.pnl_attribution()["unexplained"] == 0 == ledger.pnl_attribution()["gas"]


def test_huge_amounts_and_long_prices_stay_exact() -> None:
    tracker = PnlTracker(DECIMALS, gas_token=WETH)
    price = Decimal("3000.123456789012345678901234567")
    tracker.step(1, {WETH: 0, USDC: 0}, {USDC: 1, WETH: price})
    flows = {WETH: 2**200, USDC: -(2**201)}
    fill = FillRecord("0x01", 2, "0x02", 0, 0, "route", flows)
    block = tracker.step(2, flows, {USDC: 1, WETH: price}, fills=[fill])
    exact = Fraction(2**200, 10**18) * Fraction(price) - Fraction(2**201, 10**6)
    assert Fraction(block.spread) == exact == Fraction(block.total)
    assert block.unexplained == 0


def test_missing_prices_or_decimals_are_named() -> None:
    tracker = PnlTracker({USDC: 6}, gas_token=WETH)
    with pytest.raises(KeyError, match="no decimals"):
        tracker.step(1, {WETH: 1}, {WETH: 1})
    with pytest.raises(KeyError, match="no fair value"):
        tracker.step(1, {USDC: 1}, {WETH: 1})
