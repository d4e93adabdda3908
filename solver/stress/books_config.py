"""The books scenarios' settings: one frozen dataclass per TOML table, each owned by the module that uses it
(`[market]`/`[shock]` by `market`, `[pools]` by `stress_pools`, `[lp]` by `lp_book`, `[solver]` by
`solver_book`), assembled here with the probes and the variants.

Why one config for four scenarios: the correlated crash, the stuck hedge, the liquidity withdrawal and the
gas spike are the same books on the same market with a different shock; each scenario file only sets its
shock and names the one key its variants change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solver.stress.config import parse_override
from solver.stress.lp_book import LpConfig
from solver.stress.market import MarketConfig, ShockConfig
from solver.stress.solver_book import SolverBookConfig
from solver.stress.stress_pools import PoolsConfig
from solver.stress.weekend_gap_config import RunConfig


@dataclass(frozen=True)
class ProbeConfig:
    """The `[probe]` table: figures measured at the end of each variant's path. `slippage_usd`: the size of
    the WETH->USDC order whose router slippage gauges the liquidity left; `jit_swaps` large swaps (USD size
    log-normal around `jit_swap_usd`, seeded) are offered to the JIT planner on a copy of the LP's pool at
    the variant's gas price, with `jit_inventory_usd` (half USDC, half WETH) to mint with."""

    slippage_usd: float = 1_000_000.0
    jit_swaps: int = 0
    jit_swap_usd: float = 2_000_000.0
    jit_size_sigma: float = 0.5
    jit_inventory_usd: float = 20_000_000.0

    def __post_init__(self) -> None:
        if self.slippage_usd <= 0 or self.jit_swaps < 0 or self.jit_swap_usd <= 0:
            raise ValueError("need slippage_usd > 0, jit_swaps >= 0 and jit_swap_usd > 0")
        if self.jit_size_sigma < 0 or self.jit_inventory_usd <= 0:
            raise ValueError("need jit_size_sigma >= 0 and jit_inventory_usd > 0")


@dataclass(frozen=True)
class Variants:
    """One dotted config key (e.g. "shock.gas_multiplier") and the values each variant sets it to; every
    variant of a seed runs on the same market path and order flow. No key: one variant, "base"."""

    key: str = ""
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        # `--set variants.values=1,10` gives words: read each as a TOML value where it is one (1 -> 1)
        words = tuple(parse_override(f"v={v}")[1] if isinstance(v, str) else v for v in self.values)
        object.__setattr__(self, "values", words)
        if bool(self.key) != bool(self.values):
            raise ValueError("give both key and values (or neither)")
        if self.key.split(".")[0] in ("run", "variants"):
            raise ValueError(f"variants cannot vary {self.key}")

    def labels(self) -> list[tuple[str, dict[str, Any]]]:
        """(label, overrides) per variant, e.g. ("gas_multiplier=10", {"shock.gas_multiplier": 10})."""
        if not self.key:
            return [("base", {})]
        name = self.key.rsplit(".", 1)[-1]
        return [(f"{name}={_show(v)}", {self.key: v}) for v in self.values]


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(frozen=True)
class BooksConfig:
    run: RunConfig = field(default_factory=RunConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    shock: ShockConfig = field(default_factory=ShockConfig)
    pools: PoolsConfig = field(default_factory=PoolsConfig)
    lp: LpConfig = field(default_factory=LpConfig)
    solver: SolverBookConfig = field(default_factory=SolverBookConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    variants: Variants = field(default_factory=Variants)
