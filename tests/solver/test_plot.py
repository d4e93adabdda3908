"""`solver.plot.plot_run`: three stacked panels from the ledger's marks, written as a PNG."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from amm.chain import addresses as mainnet
from solver.plot import plot_run


class _Mark:
    def __init__(self, block: int, pnl: float, value: float, weth: float) -> None:
        self.block = block
        self.pnl_total = Decimal(str(pnl))
        self.inventory_value = Decimal(str(value))
        self.fair_values = {mainnet.WETH.lower(): Decimal(str(weth))}
        self.balances: dict[str, int] = {}


class _Ledger:
    def __init__(self, marks: list[_Mark]) -> None:
        self._marks = marks

    def marks(self) -> list[_Mark]:
        return self._marks


def test_plot_run_writes_a_png(tmp_path: Path) -> None:
    marks = [_Mark(100 + i, -5 + i * 1.5, 1_200_000 + 300 * i, 3_000 + (i % 3)) for i in range(30)]
    path = plot_run(_Ledger(marks), tmp_path / "deep" / "run.png")  # type: ignore[arg-type]
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_plot_run_with_no_marks_still_writes_a_png(tmp_path: Path) -> None:
    path = plot_run(_Ledger([]), tmp_path / "empty.png")  # type: ignore[arg-type]
    assert path.read_bytes().startswith(b"\x89PNG")
