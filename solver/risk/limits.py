"""Risk limits and the run's risk state: which fills may still happen, and whether the run has halted.

`RiskLimits` holds the user's limits (numeraire amounts are whole units of the numeraire, USDC by default;
raw amounts are the token's integer units):

- `max_inventory`: token (symbol or address) -> the most the book may hold, in raw units;
- `max_inventory_value`: token -> the most the book may hold, valued at fair value in the numeraire; the key
  `"*"` applies to every token not named (the numeraire itself is never limited by it);
- `max_fill_notional`: the largest single fill, in the numeraire;
- `max_loss`: the run halts when its cumulative PnL falls to `-max_loss` or below;
- `max_hedge_slippage_bps`: a hedge whose price is worse than fair value by more than this is refused (read by
  `solver.risk.hedging`).

`None` (or a missing key) means "no limit". `RiskState` is fed the run's PnL (`update_pnl`) and fills
(`record_fill`) and answers `allows_fill` with a reason code the decision stage can count skips by:
`risk_limit:halted`, `risk_limit:killed`, `risk_limit:max_notional`, `risk_limit:max_inventory`,
`risk_limit:max_inventory_value`. A max-loss halt is sticky: a run that lost its budget does not resume
quoting because the mark moved back (restart the run to reset it).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from solver.accounting.units import to_decimal

Number = int | float | Decimal

RISK_LIMIT = "risk_limit"
HALTED = f"{RISK_LIMIT}:halted"
KILLED = f"{RISK_LIMIT}:killed"
MAX_NOTIONAL = f"{RISK_LIMIT}:max_notional"
MAX_INVENTORY = f"{RISK_LIMIT}:max_inventory"
MAX_INVENTORY_VALUE = f"{RISK_LIMIT}:max_inventory_value"
ANY_TOKEN = "*"


class RiskConfigError(ValueError):
    """A bad risk setting; the message is one line that names the setting."""


@dataclass(frozen=True)
class RiskLimits:
    """Every risk limit of a run; defaults limit only the hedge slippage (see the module docstring)."""

    max_inventory: dict[str, int] = field(default_factory=dict)
    max_inventory_value: dict[str, float] = field(default_factory=dict)
    max_fill_notional: float | None = None
    max_loss: float | None = None
    max_hedge_slippage_bps: float = 50.0

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> RiskLimits:
        """Limits from a mapping (a TOML `[risk]` table or CLI overrides, dashes allowed in keys)."""
        return with_overrides(cls(), table)

    @classmethod
    def from_toml(cls, path: str | Path) -> RiskLimits:
        """Limits from a TOML file: a `[risk]` table, or top-level keys."""
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as e:
            raise RiskConfigError(f"cannot read risk config {path}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise RiskConfigError(f"risk config {path} is not valid TOML: {e}") from None
        table = data.get("risk", data)
        if not isinstance(table, dict):
            raise RiskConfigError(f"risk config {path}: [risk] must be a table")
        return cls.from_dict(table)


def load_limits(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> RiskLimits:
    """Defaults, then the TOML file (if any), then CLI overrides."""
    limits = RiskLimits.from_toml(path) if path is not None else RiskLimits()
    return with_overrides(limits, overrides or {})


def with_overrides(limits: RiskLimits, overrides: Mapping[str, Any]) -> RiskLimits:
    """A copy with `overrides` applied; None means "not given" (keep the current value)."""
    known = {f.name for f in fields(RiskLimits)}
    changes: dict[str, Any] = {}
    for raw_key, value in overrides.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise RiskConfigError(f"unknown risk setting {raw_key!r} (known: {', '.join(sorted(known))})")
        if value is not None:
            changes[key] = _coerce(key, value)
    return replace(limits, **changes)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise RiskConfigError(f"risk setting {name}: {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise RiskConfigError(f"risk setting {name}: {value!r} is not a number") from None
    return number


def _raw(name: str, value: Any) -> int:
    number = _number(name, value)
    if not math.isfinite(number) or not number.is_integer():
        raise RiskConfigError(f"risk setting {name}: {value!r} is not a whole number of raw units")
    return int(value) if isinstance(value, int) else int(Decimal(str(value)))


def _table(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # CLI form: "WETH=100e18,WBTC=5e8"
        try:
            value = dict(part.split("=", 1) for part in value.split(",") if part.strip())
        except ValueError:
            raise RiskConfigError(f"risk setting {name}: {value!r} is not TOKEN=AMOUNT,...") from None
    if not isinstance(value, Mapping):
        raise RiskConfigError(f"risk setting {name}: {value!r} is not a table of token -> amount")
    return {str(k).strip(): v for k, v in value.items()}


def _coerce(key: str, value: Any) -> Any:
    if key == "max_inventory":
        return {token: _raw(f"{key}.{token}", v) for token, v in _table(key, value).items()}
    if key == "max_inventory_value":
        return {token: _number(f"{key}.{token}", v) for token, v in _table(key, value).items()}
    return _number(key, value)


def _validate(c: RiskLimits) -> None:
    def positive(name: str, value: float | int | None) -> None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise RiskConfigError(f"risk setting {name} must be positive, got {value!r}")

    for token, raw in c.max_inventory.items():
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise RiskConfigError(f"risk setting max_inventory.{token} is a raw amount >= 0, got {raw!r}")
    for token, value in c.max_inventory_value.items():
        positive(f"max_inventory_value.{token}", value)
    positive("max_fill_notional", c.max_fill_notional)
    positive("max_loss", c.max_loss)
    slip = c.max_hedge_slippage_bps
    if not (math.isfinite(slip) and 0 <= slip < 10_000):
        raise RiskConfigError(f"risk setting max_hedge_slippage_bps is in [0, 10000), got {slip!r}")


class _Tripped(Protocol):
    @property
    def tripped(self) -> str | None: ...


class RiskState:
    """The run's risk state against `limits`.

    `symbols` maps token address -> symbol (e.g. `{t.address: t.symbol for t in universe.tokens.values()}`),
    so limits may name tokens by symbol; `decimals` maps token address -> decimals, needed for value limits;
    `kill` is anything with a `tripped` reason (a `KillSwitch`), checked by every `allows_fill`.
    """

    def __init__(
        self,
        limits: RiskLimits,
        *,
        symbols: Mapping[str, str] | None = None,
        decimals: Mapping[str, int] | None = None,
        numeraire: str | None = None,
        kill: _Tripped | None = None,
    ) -> None:
        self.limits = limits
        self.kill = kill
        self._symbols = {a.lower(): s.upper() for a, s in (symbols or {}).items()}
        self._decimals = {a.lower(): d for a, d in (decimals or {}).items()}
        self._numeraire = numeraire.lower() if numeraire else None
        self.pnl: Decimal = Decimal(0)
        self.worst_pnl: Decimal = Decimal(0)
        self.fills = 0
        self.notional = 0.0
        self.fair_values: dict[str, float] = {}  # by lower-case address, numeraire per whole token
        self._halted: str | None = None

    # -- feeding -----------------------------------------------------------------------------------
    def update_pnl(self, total: Number) -> str | None:
        """The run's cumulative PnL (numeraire, e.g. `PnlTracker.total`); returns `halted`."""
        self.pnl = to_decimal(total)
        self.worst_pnl = min(self.worst_pnl, self.pnl)
        limit = self.limits.max_loss
        if self._halted is None and limit is not None and self.pnl <= -Decimal(str(limit)):
            self._halted = f"max_loss: PnL {float(self.pnl):,.2f} breached the limit of -{limit:,.2f}"
        return self._halted

    def update_fair_values(self, fair_values: Mapping[str, Number]) -> None:
        """Fair values by token address (numeraire per whole token) for the inventory value limits."""
        self.fair_values = {a.lower(): float(v) for a, v in fair_values.items()}

    def record_fill(self, notional: Number) -> None:
        """Count a fill that was sent (its notional in the numeraire)."""
        self.fills += 1
        self.notional += float(notional)

    def halt(self, reason: str) -> None:
        """Halt new fills for `reason` (the first reason is kept)."""
        if self._halted is None:
            self._halted = reason

    # -- answers -----------------------------------------------------------------------------------
    @property
    def halted(self) -> str | None:
        """Why new fills have stopped (max loss breached, or `halt`), or None."""
        return self._halted

    def allows_fill(
        self, notional: Number, token_in: str, amount_in: int, balances: Mapping[str, int]
    ) -> tuple[bool, str | None]:
        """Whether a fill of `notional` (numeraire) that brings `amount_in` raw units of `token_in` into the
        book (whose current `balances` are by token address) is within the limits; else the reason code."""
        if self.kill is not None and self.kill.tripped is not None:
            return False, KILLED
        if self._halted is not None:
            return False, HALTED
        cap = self.limits.max_fill_notional
        if cap is not None and float(notional) > cap:
            return False, MAX_NOTIONAL
        key = token_in.lower()
        held = next((raw for a, raw in balances.items() if a.lower() == key), 0)
        after = held + amount_in
        raw_cap = self._limit_for(self.limits.max_inventory, key, default=False)
        if raw_cap is not None and after > raw_cap:
            return False, MAX_INVENTORY
        value_cap = self._limit_for(self.limits.max_inventory_value, key, default=key != self._numeraire)
        if value_cap is not None and amount_in > 0:
            price = self._price(key, notional, amount_in)
            if price is not None and after * price > value_cap:
                return False, MAX_INVENTORY_VALUE
        return True, None

    def _limit_for(self, table: Mapping[str, Any], address: str, *, default: bool) -> Any:
        symbol = self._symbols.get(address)
        for name, value in table.items():
            if name.lower() == address or (symbol is not None and name.upper() == symbol):
                return value
        return table.get(ANY_TOKEN) if default else None

    def _price(self, address: str, notional: Number, amount_in: int) -> float | None:
        """Numeraire per raw unit: fair value when known, else the price the fill itself implies."""
        decimals = self._decimals.get(address)
        if address in self.fair_values and decimals is not None:
            return self.fair_values[address] / 10**decimals
        return float(notional) / amount_in
