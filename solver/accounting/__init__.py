"""Accounting: the run's ledger (SQLite), PnL attribution and the metrics of its PnL path.

`Ledger` keeps every order's status on disk before anything is sent, so a restart resumes without a double
fill; `PnlTracker` splits each block's PnL into spread, inventory mark-to-market, hedging and gas; `summary`
turns a ledger into the figures `solver run --json` prints.
"""

from solver.accounting.inventory import Inventory, TokenPolicy
from solver.accounting.ledger import Ledger
from solver.accounting.metrics import max_drawdown, sharpe_ratio, summary
from solver.accounting.pnl import BlockPnl, PnlTracker
from solver.accounting.records import (
    Dropped,
    FillRecord,
    HedgeRecord,
    IllegalTransition,
    LedgerError,
    Mark,
    OrderRow,
    Status,
)

__all__ = [
    "BlockPnl",
    "Dropped",
    "FillRecord",
    "HedgeRecord",
    "IllegalTransition",
    "Inventory",
    "Ledger",
    "LedgerError",
    "Mark",
    "OrderRow",
    "PnlTracker",
    "Status",
    "TokenPolicy",
    "max_drawdown",
    "sharpe_ratio",
    "summary",
]
