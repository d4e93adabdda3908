"""Every pricing parameter in one dataclass, loadable from TOML and overridable from CLI flags.

Units, chosen so that no parameter depends on a token's price level or decimals (one set works for WETH at
$3,000 and for WBTC at $90,000):

- prices are in the numeraire (USDC by default) per whole token; spreads and skews are relative to fair
  value;
- inventory is counted in lots: q = (held - target, valued at fair value in the numeraire) / `unit_size`;
- `gamma` is the risk aversion per lot (a CARA coefficient per numeraire times `unit_size`), dimensionless;
- `k` is the decay of fill intensity per unit of relative distance from fair value (2000: e-fold per 5 bp);
- `A` is the fill intensity, in lots per year, of a quote at fair value;
- volatility is of log returns, per sqrt-year; times (`horizon_seconds`, `half_life_seconds`) are seconds.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

SkewModel = Literal["avellaneda_stoikov", "glft"]
SKEW_MODELS: tuple[str, ...] = ("avellaneda_stoikov", "glft")


class PricingConfigError(ValueError):
    """A bad pricing setting; the message is one line that names the setting."""


def _default_vol_floors() -> dict[str, float]:
    # Stablecoins barely move against the numeraire: the global 20% floor would price them like ETH.
    return {"USDT": 0.02, "DAI": 0.02}


@dataclass(frozen=True)
class PricingConfig:
    """Fair value, volatility and quoting parameters; defaults work on the built-in chain."""

    numeraire: str = "USDC"
    hubs: tuple[str, ...] = ("WETH",)  # tokens without a pool to the numeraire are priced through these
    gas_token: str = "WETH"  # gas is paid in ETH, valued at this token's fair value
    fair_value_source: str = "pools"  # "pools", a CSV path, or an http(s) URL returning {symbol: price}
    stream_timeout_seconds: float = 2.0
    min_depth_share: float = 0.01  # pools (and paths) shallower than this share of the deepest are ignored
    gamma: float = 0.1
    k: float = 2000.0
    A: float = 2500.0
    horizon_seconds: float = 86_400.0  # T - t of Avellaneda-Stoikov: a rolling horizon for a perpetual maker
    unit_size: float = 10_000.0  # numeraire per lot
    skew_model: SkewModel = "avellaneda_stoikov"
    vol_floor: float = 0.20
    vol_floors: dict[str, float] = field(default_factory=_default_vol_floors)  # per-token floors by symbol
    half_life_seconds: float = 3_600.0
    min_edge_bps: float = 1.0
    gas_units_per_fill: int = 150_000

    def __post_init__(self) -> None:
        _validate(self)

    def floor_for(self, symbol: str) -> float:
        """The volatility floor of a token: 0 for the numeraire (it cannot move against itself)."""
        if symbol.upper() == self.numeraire.upper():
            return 0.0
        upper = {s.upper(): v for s, v in self.vol_floors.items()}
        return upper.get(symbol.upper(), self.vol_floor)

    # ------------------------------------------------------------------------------------------ TOML
    @classmethod
    def from_toml(cls, path: str | Path) -> PricingConfig:
        """Settings from a TOML file: top-level keys, or a `[pricing]` table (a file shared with other
        stages)."""
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as e:
            raise PricingConfigError(f"cannot read pricing config {path}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise PricingConfigError(f"pricing config {path} is not valid TOML: {e}") from None
        table = data.get("pricing", data)
        if not isinstance(table, dict):
            raise PricingConfigError(f"pricing config {path}: [pricing] must be a table")
        return with_overrides(cls(), table)

    def to_toml(self) -> str:
        """A `[pricing]` table that `from_toml` reads back to an equal config."""
        lines = ["[pricing]"]
        floors = {}
        for name, value in asdict(self).items():
            if name == "vol_floors":
                floors = value
                continue
            lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
        lines.append("[pricing.vol_floors]")
        lines.extend(f"{_toml_key(symbol)} = {_toml_value(v)}" for symbol, v in floors.items())
        return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> PricingConfig:
    """Defaults, then the TOML file (if any), then CLI overrides: the order a user expects."""
    config = PricingConfig.from_toml(path) if path is not None else PricingConfig()
    return with_overrides(config, overrides or {})


def with_overrides(config: PricingConfig, overrides: dict[str, Any]) -> PricingConfig:
    """A copy with `overrides` applied. Keys may use dashes (CLI style); None means "not given" (typer's
    default for an unset flag). Strings are converted to the field's type, so raw CLI text works too."""
    known = {f.name: f for f in fields(PricingConfig)}
    changes: dict[str, Any] = {}
    for raw_key, value in overrides.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise PricingConfigError(
                f"unknown pricing setting {raw_key!r} (known: {', '.join(sorted(known))})"
            )
        if value is None:
            continue
        changes[key] = _coerce(key, value, getattr(config, key))
    return replace(config, **changes)


def _coerce(name: str, value: Any, current: Any) -> Any:
    """`value` as the type of the field's current value, or a one-line error."""
    try:
        if isinstance(current, bool):
            raise TypeError
        if isinstance(current, int) and not isinstance(current, bool):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            return int(value)
        if isinstance(current, float):
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if isinstance(current, str):
            if not isinstance(value, str):
                raise TypeError
            return value
        if isinstance(current, tuple):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
                raise TypeError
            return tuple(v.strip() for v in items if v.strip())
        if isinstance(current, dict):
            if isinstance(value, str):  # CLI form: "DAI=0.02,USDT=0.02"
                value = dict(part.split("=", 1) for part in value.split(",") if part.strip())
            if not isinstance(value, dict):
                raise TypeError
            return {str(s).strip(): float(v) for s, v in value.items()}
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise PricingConfigError(f"pricing setting {name}: {value!r} is not a valid {type(current).__name__}")


def _validate(c: PricingConfig) -> None:
    def require(ok: bool, message: str) -> None:
        if not ok:
            raise PricingConfigError(message)

    def positive(name: str) -> None:
        value = getattr(c, name)
        require(math.isfinite(value) and value > 0, f"pricing setting {name} must be positive, got {value!r}")

    for name in ("gamma", "k", "A", "horizon_seconds", "unit_size", "half_life_seconds"):
        positive(name)
    positive("stream_timeout_seconds")
    require(
        math.isfinite(c.vol_floor) and 0 <= c.vol_floor < 10,
        f"pricing setting vol_floor is an annual volatility in [0, 10), got {c.vol_floor!r}",
    )
    for symbol, floor in c.vol_floors.items():
        require(
            math.isfinite(floor) and 0 <= floor < 10,
            f"pricing setting vol_floors.{symbol} is an annual volatility in [0, 10), got {floor!r}",
        )
    require(
        math.isfinite(c.min_edge_bps) and c.min_edge_bps >= 0,
        f"pricing setting min_edge_bps must be >= 0, got {c.min_edge_bps!r}",
    )
    require(
        0 <= c.min_depth_share < 1, f"pricing setting min_depth_share is in [0, 1), got {c.min_depth_share!r}"
    )
    require(
        c.gas_units_per_fill >= 0,
        f"pricing setting gas_units_per_fill must be >= 0, got {c.gas_units_per_fill}",
    )
    require(
        c.skew_model in SKEW_MODELS,
        f"pricing setting skew_model is one of {', '.join(SKEW_MODELS)}, got {c.skew_model!r}",
    )
    require(bool(c.numeraire.strip()), "pricing setting numeraire must name a token")
    require(
        c.fair_value_source == "pools" or bool(c.fair_value_source.strip()),
        "pricing setting fair_value_source is 'pools', a CSV path or an http(s) URL",
    )
