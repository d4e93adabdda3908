"""The books scenarios' market: USD prices of WETH and WBTC (USDC is the numeraire) step by step, with the
shocks a scenario names laid over them: a correlated crash, a hedge venue outage, a liquidity withdrawal and
a gas spike.

Why a base path plus a deterministic overlay: every variant of a seed must see the same market (common
random numbers), and a variant may change a shock's size. The random part (correlated GBM plus each token's
compound-Poisson jumps, drawn with `paths.JumpDiffusion`) depends only on the seed and `[market]`; the
shocks only move it by known amounts at known times, so a crash of -30% is exactly -30% on a quiet path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from solver.stress.paths import YEAR, JumpDiffusion

NUMERAIRE = "USDC"
SYMBOLS = ("WETH", "WBTC")
MARKET_STREAM = 0x6D6B74  # the market's numpy stream is default_rng((MARKET_STREAM, seed)): the books'
# own draws (flow, JIT swaps) use other streams of the same seed, so they are independent of the path


@dataclass(frozen=True)
class Prices:
    """Start prices, USD per whole token."""

    WETH: float = 3000.0
    WBTC: float = 90_000.0

    def __post_init__(self) -> None:
        if self.WETH <= 0 or self.WBTC <= 0:
            raise ValueError("prices must be > 0")

    def as_dict(self) -> dict[str, float]:
        return {NUMERAIRE: 1.0, "WETH": self.WETH, "WBTC": self.WBTC}


@dataclass(frozen=True)
class MarketConfig:
    """The `[market]` table: start prices, the horizon and step (seconds), each token's jump diffusion
    (annualised) and the correlation of their Brownian parts."""

    prices: Prices = field(default_factory=Prices)
    horizon: int = 6 * 3600
    step: int = 120
    eth: JumpDiffusion = field(default_factory=lambda: JumpDiffusion(0.6, jump_rate=20.0, jump_stdev=0.01))
    btc: JumpDiffusion = field(default_factory=lambda: JumpDiffusion(0.45, jump_rate=20.0, jump_stdev=0.01))
    correlation: float = 0.8

    def __post_init__(self) -> None:
        if self.step <= 0 or self.horizon <= 0 or self.horizon % self.step:
            raise ValueError("need step > 0 and a horizon that is a positive multiple of step")
        if not -1 <= self.correlation <= 1:
            raise ValueError("correlation must be in [-1, 1]")


@dataclass(frozen=True)
class ShockConfig:
    """The `[shock]` table; every shock is off by default. Times are seconds from the start.

    crash: ETH moves by `eth_drop` (a simple return, -0.3 = -30%) linearly in log price over `duration`
    seconds from `start`; BTC moves by `btc_beta` times ETH's log move, `btc_lag` seconds later.
    hedge outage: the hedge venue is closed over [hedge_closed_from, hedge_closed_from + hedge_closed_for).
    withdrawal: third-party LPs pull `withdraw_share` of their liquidity at `withdraw_at`.
    gas: `gas_gwei` throughout, times `gas_multiplier` from `gas_from` on."""

    eth_drop: float = 0.0
    start: int = 3600
    duration: int = 1800
    btc_beta: float = 0.8
    btc_lag: int = 300
    hedge_closed_from: int = 0
    hedge_closed_for: int = 0
    withdraw_share: float = 0.0
    withdraw_at: int = 0
    gas_gwei: float = 20.0
    gas_multiplier: float = 1.0
    gas_from: int = 0

    def __post_init__(self) -> None:
        if self.eth_drop <= -1 or self.btc_beta * math.log1p(self.eth_drop) < -700:
            raise ValueError("eth_drop must leave positive prices (> -1)")
        if min(self.start, self.duration, self.btc_lag, self.hedge_closed_from, self.hedge_closed_for) < 0:
            raise ValueError("shock times must be >= 0")
        if min(self.withdraw_at, self.gas_from) < 0 or not 0 <= self.withdraw_share <= 1:
            raise ValueError("need withdraw_at, gas_from >= 0 and 0 <= withdraw_share <= 1")
        if self.gas_gwei < 0 or self.gas_multiplier < 0:
            raise ValueError("gas_gwei and gas_multiplier must be >= 0")

    def crash_log(self, time_s: float, lag: float = 0.0, beta: float = 1.0) -> float:
        """The crash's log move by `time_s` (for a token following ETH with `beta`, `lag` seconds late)."""
        if self.eth_drop == 0:
            return 0.0
        t0 = self.start + lag
        done = 1.0 if self.duration == 0 else (time_s - t0) / self.duration
        return beta * math.log1p(self.eth_drop) * min(max(done, 0.0), 1.0)

    def hedge_open(self, time_s: float) -> bool:
        return not self.hedge_closed_from <= time_s < self.hedge_closed_from + self.hedge_closed_for

    def liquidity_share(self, time_s: float) -> float:
        """The share of third-party liquidity still in the pools at `time_s`."""
        return 1.0 - self.withdraw_share if time_s >= self.withdraw_at and self.withdraw_share else 1.0

    def gas(self, time_s: float) -> float:
        return self.gas_gwei * (self.gas_multiplier if time_s >= self.gas_from else 1.0)


@dataclass(frozen=True)
class MarketStep:
    """The market at one step: USD prices by symbol (USDC = 1), the gas price, whether the hedge venue is
    reachable, and the share of third-party pool liquidity still in."""

    index: int
    time_s: float
    prices: dict[str, float]
    gas_gwei: float
    hedge_open: bool
    liquidity_share: float

    @property
    def gas_price_wei(self) -> int:
        return round(self.gas_gwei * 10**9)


def base_log_paths(config: MarketConfig, seed: int) -> dict[str, np.ndarray]:
    """Log moves of WETH and WBTC from their start prices before any shock, one per step time (index 0:
    the start, 0).

    Draw order: the two Brownian normals, then ETH's jumps, then BTC's. The jumps come from
    `JumpDiffusion.log_returns` with the vol set to zero (its drift then keeps the jump compensator); the
    diffusion is added here so the two tokens' normals can be correlated."""
    rng = np.random.default_rng((MARKET_STREAM, seed))
    n = config.horizon // config.step
    seconds = np.full(n, float(config.step))
    dt = seconds / YEAR
    z = rng.standard_normal((2, n))
    rho = config.correlation
    normals = {"WETH": z[0], "WBTC": rho * z[0] + math.sqrt(max(0.0, 1 - rho * rho)) * z[1]}
    paths = {}
    for symbol, model in (("WETH", config.eth), ("WBTC", config.btc)):
        jumps, _ = replace(model, vol=0.0).log_returns(rng, seconds)
        diffusion = -(model.vol**2) / 2 * dt + model.vol * np.sqrt(dt) * normals[symbol]
        paths[symbol] = np.concatenate([[0.0], np.cumsum(jumps + diffusion)])
    return paths


def market_steps(config: MarketConfig, seed: int, shock: ShockConfig | None = None) -> list[MarketStep]:
    """Every step of one seed's market, shocks included; deterministic for (config, seed), and the same
    random path whatever the shock (only the overlay changes)."""
    shock = shock or ShockConfig()
    logs = base_log_paths(config, seed)
    start = config.prices.as_dict()
    steps = []
    for i in range(config.horizon // config.step + 1):
        t = float(i * config.step)
        eth = logs["WETH"][i] + shock.crash_log(t)
        btc = logs["WBTC"][i] + shock.crash_log(t, shock.btc_lag, shock.btc_beta)
        steps.append(
            MarketStep(
                i,
                t,
                {
                    NUMERAIRE: 1.0,
                    "WETH": start["WETH"] * math.exp(eth),
                    "WBTC": start["WBTC"] * math.exp(btc),
                },
                shock.gas(t),
                shock.hedge_open(t),
                shock.liquidity_share(t),
            )
        )
    return steps
