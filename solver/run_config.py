"""Every setting of `solver run` in one `RunConfig`, read from one TOML file and overridden by CLI flags.

The file has four tables, each optional; a missing table or key keeps the default, and the defaults are what
`solver run` does without a file on the built-in chain:

```toml
[pricing]          # solver.pricing.config.PricingConfig: gamma, k, A, min_edge_bps, vol_floor, ...
gamma = 0.1
min_edge_bps = 1.0

[risk]             # solver.risk.limits.RiskLimits, numeraire amounts in whole units (USDC)
max_fill_notional = 50000   # alias: max_notional
max_loss = 1000
max_hedge_slippage_bps = 50

[hedging]          # solver.risk.hedging.HedgeRule, plus kind = "off" (the default: no hedging)
kind = "threshold"          # threshold | continuous | off
to = "target"               # threshold: back to "target" or to "band_edge"
fraction = 0.25             # continuous: share of the deviation hedged per block
min_value = 0.0

[inventory]        # what the filler holds: target per token (whole tokens) and the band around it
band_share = 0.5            # band = band_share * target; hard limit = 3 * target
[inventory.funding]         # replaces the default funding: the tokens listed are the tokens held
WETH = 100
USDC = 300000
```

Precedence: defaults, then the file, then the flags (`overrides`, `None` meaning "flag not given"). Every bad
file or value raises `RunConfigError`, whose message is one line naming the setting.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from solver.decision import RiskLimits as DecisionLimits
from solver.pricing.config import PricingConfig, PricingConfigError
from solver.pricing.config import with_overrides as pricing_with_overrides
from solver.risk.hedging import RULES, HedgeRule
from solver.risk.limits import RiskConfigError, RiskLimits
from solver.risk.limits import with_overrides as risk_with_overrides

DEFAULT_FUNDING = {"WETH": 100.0, "USDC": 300_000.0, "USDT": 300_000.0, "DAI": 300_000.0, "WBTC": 5.0}
KNOWN_SYMBOLS = ("WETH", "USDC", "USDT", "DAI", "WBTC")  # the tokens `Universe.discover` loads by default
HEDGE_KINDS = (*RULES, "off")
TABLES = ("pricing", "risk", "hedging", "inventory")
RISK_ALIASES = {"max_notional": "max_fill_notional"}


class RunConfigError(ValueError):
    """A bad run setting or file; the message is one line that names the setting."""


@dataclass(frozen=True)
class InventoryConfig:
    """The filler's funding (whole tokens by symbol: each is also its target) and band share."""

    funding: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FUNDING))
    band_share: float = 0.5

    def __post_init__(self) -> None:
        if not self.funding:
            raise RunConfigError("inventory setting funding must name at least one token")
        for symbol, amount in self.funding.items():
            if symbol not in KNOWN_SYMBOLS:
                raise RunConfigError(
                    f"inventory setting funding.{symbol}: unknown token (known: {', '.join(KNOWN_SYMBOLS)})"
                )
            if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
                raise RunConfigError(f"inventory setting funding.{symbol}: {amount!r} is not a number")
            if amount < 0:  # 0: hold none of it (a router-only filler)
                raise RunConfigError(f"inventory setting funding.{symbol} must be >= 0, got {amount!r}")
        share = self.band_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 2:
            # the hard limit is 3x target, so the band may reach at most 2x target
            raise RunConfigError(f"inventory setting band_share is in [0, 2], got {share!r}")


@dataclass(frozen=True)
class RunConfig:
    """Pricing, risk limits, hedging rule (None: no hedging) and inventory of one `solver run`."""

    pricing: PricingConfig = field(default_factory=PricingConfig)
    risk: RiskLimits = field(default_factory=RiskLimits)
    hedging: HedgeRule | None = None
    inventory: InventoryConfig = field(default_factory=InventoryConfig)

    def decision_limits(self) -> DecisionLimits:
        """The limits the decision stage enforces per order: notional per fill and max inventory."""
        return DecisionLimits(
            max_notional_per_fill=self.risk.max_fill_notional,
            max_inventory=dict(self.risk.max_inventory),
            max_inventory_value=dict(self.risk.max_inventory_value),
        )

    def to_dict(self) -> dict[str, Any]:
        """The effective config, JSON-ready, tables as in the file (`hedging.kind` is "off" for none)."""
        pricing = asdict(self.pricing)
        pricing["hubs"] = list(pricing["hubs"])
        hedging = asdict(self.hedging) if self.hedging is not None else {"kind": "off"}
        return {
            "pricing": pricing,
            "risk": asdict(self.risk),
            "hedging": hedging,
            "inventory": asdict(self.inventory),
        }


def load_run_config(
    path: str | Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> RunConfig:
    """Defaults, then the TOML file at `path` (if any), then `overrides` ({table: {setting: value}}, dashes
    allowed in keys, None values ignored)."""
    tables = _read(path) if path is not None else {}
    for name in overrides or {}:
        if name not in TABLES:
            raise RunConfigError(f"unknown config table [{name}] (known: {', '.join(TABLES)})")
    flags = {name: dict((overrides or {}).get(name) or {}) for name in TABLES}
    try:
        pricing = pricing_with_overrides(PricingConfig(), tables.get("pricing", {}))
        pricing = pricing_with_overrides(pricing, flags["pricing"])
        risk = risk_with_overrides(RiskLimits(), _risk_table(tables.get("risk", {})))
        risk = risk_with_overrides(risk, _risk_table(flags["risk"]))
        hedging = _hedging({**tables.get("hedging", {}), **_given(flags["hedging"])})
    except (PricingConfigError, RiskConfigError) as e:
        raise RunConfigError(str(e)) from None
    inventory = _inventory({**tables.get("inventory", {}), **_given(flags["inventory"])})
    return RunConfig(pricing, risk, hedging, inventory)


def _read(path: str | Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as e:
        raise RunConfigError(f"cannot read config {path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise RunConfigError(f"config {path} is not valid TOML: {e}") from None
    for name, table in data.items():
        if name not in TABLES:
            raise RunConfigError(f"config {path}: unknown table [{name}] (known: {', '.join(TABLES)})")
        if not isinstance(table, dict):
            raise RunConfigError(f"config {path}: [{name}] must be a table")
    return data


def _given(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k.replace("-", "_"): v for k, v in table.items() if v is not None}


def _risk_table(table: Mapping[str, Any]) -> dict[str, Any]:
    """The [risk] table with aliases resolved (`max_notional` is `max_fill_notional`)."""
    resolved: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        key = RISK_ALIASES.get(key, key)
        if key in resolved and value is not None and resolved[key] is not None:
            raise RunConfigError(f"risk setting {key} is given twice (once as {raw_key})")
        if value is not None or key not in resolved:
            resolved[key] = value
    return resolved


def _hedging(table: Mapping[str, Any]) -> HedgeRule | None:
    table = _given(table)
    kind = table.pop("kind", "off")
    if kind not in HEDGE_KINDS:
        raise RunConfigError(f"hedge setting kind is one of {', '.join(HEDGE_KINDS)}, got {kind!r}")
    rule = HedgeRule.from_dict({**table, "kind": "threshold" if kind == "off" else kind})  # validates
    return None if kind == "off" else rule


def _inventory(table: Mapping[str, Any]) -> InventoryConfig:
    table = _given(table)
    unknown = set(table) - {"funding", "band_share"}
    if unknown:
        raise RunConfigError(f"unknown inventory setting {sorted(unknown)[0]!r} (known: band_share, funding)")
    funding = table.get("funding", DEFAULT_FUNDING)
    if isinstance(funding, str):  # CLI form: "WETH=100,USDC=300000"
        try:
            funding = dict(part.split("=", 1) for part in funding.split(",") if part.strip())
            funding = {k.strip(): float(v) for k, v in funding.items()}
        except ValueError:
            raise RunConfigError(
                f"inventory setting funding: {table['funding']!r} is not TOKEN=AMOUNT,..."
            ) from None
    if not isinstance(funding, Mapping):
        raise RunConfigError(f"inventory setting funding: {funding!r} is not a table of token -> amount")
    funding = {str(symbol).strip().upper(): amount for symbol, amount in funding.items()}
    return InventoryConfig(dict(funding), table.get("band_share", 0.5))
