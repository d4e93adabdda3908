"""What the built-in, mainnet-shaped chain holds: tokens, pools, liquidity targets and the market history.

Prices and sizes are realistic round figures, not a copy of mainnet on any day. Everything random in the build
is drawn from `SEED`, so two builds of the same inputs hold the same positions and the same swaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from amm.chain import addresses as mainnet

SEED = 20261122


@dataclass(frozen=True)
class TokenSpec:
    symbol: str
    name: str
    decimals: int
    address: str
    usd: float  # price at the start of the history


TOKENS: dict[str, TokenSpec] = {
    t.symbol: t
    for t in (
        TokenSpec("WETH", "Wrapped Ether", 18, mainnet.WETH, 3000.0),
        TokenSpec("USDC", "USD Coin", 6, mainnet.USDC, 1.0),
        TokenSpec("USDT", "Tether USD", 6, mainnet.USDT, 1.0),
        TokenSpec("DAI", "Dai Stablecoin", 18, mainnet.DAI, 1.0),
        TokenSpec("WBTC", "Wrapped BTC", 8, mainnet.WBTC, 90000.0),
    )
}
STABLES = frozenset({"USDC", "USDT", "DAI"})


@dataclass(frozen=True)
class PoolSpec:
    """One pool of the built-in chain. `symbol0`/`symbol1` are in token0/token1 (address) order."""

    kind: str  # "v3" or "v2"
    symbol0: str
    symbol1: str
    fee: int  # hundredths of a basis point for v3 (500 = 0.05%); 3000 for v2's fixed 0.3%
    tvl_usd: float
    positions: int = 0  # v3: number of LP positions; v2: number of liquidity adds
    noise_usd: float = 20_000.0  # median size of an uninformed trade

    @property
    def name(self) -> str:
        return f"{self.symbol0}/{self.symbol1}-{self.fee if self.kind == 'v3' else 'v2'}"

    @property
    def token0(self) -> TokenSpec:
        return TOKENS[self.symbol0]

    @property
    def token1(self) -> TokenSpec:
        return TOKENS[self.symbol1]

    @property
    def tick_spacing(self) -> int:
        return mainnet.FEE_TICK_SPACING[self.fee] if self.kind == "v3" else 0

    @property
    def address(self) -> str:
        if self.kind == "v3":
            return mainnet.v3_pool_address(self.token0.address, self.token1.address, self.fee)
        return mainnet.v2_pair_address(self.token0.address, self.token1.address)

    @property
    def stable(self) -> bool:
        return self.symbol0 in STABLES and self.symbol1 in STABLES

    def raw_price(self, usd: dict[str, float]) -> float:
        """Price of one raw unit of token0 in raw units of token1 (what sqrtPriceX96 encodes)."""
        return usd[self.symbol0] / usd[self.symbol1] * 10 ** (self.token1.decimals - self.token0.decimals)

    def sqrt_price_x96(self, usd: dict[str, float]) -> int:
        return int(math.sqrt(self.raw_price(usd)) * 2**96)


POOLS: tuple[PoolSpec, ...] = (
    PoolSpec("v3", "USDC", "WETH", 500, 120e6, positions=200, noise_usd=50_000),
    PoolSpec("v3", "USDC", "WETH", 3000, 60e6, positions=120),
    PoolSpec("v3", "WETH", "USDT", 500, 40e6, positions=120, noise_usd=30_000),
    PoolSpec("v3", "WETH", "USDT", 3000, 30e6, positions=100),
    PoolSpec("v3", "WBTC", "WETH", 500, 30e6, positions=80),
    PoolSpec("v3", "WBTC", "WETH", 3000, 80e6, positions=120),
    PoolSpec("v3", "DAI", "USDC", 100, 50e6, positions=100, noise_usd=100_000),
    PoolSpec("v3", "USDC", "USDT", 100, 60e6, positions=100, noise_usd=100_000),
    PoolSpec("v3", "DAI", "WETH", 3000, 15e6, positions=60, noise_usd=10_000),
    PoolSpec("v3", "WBTC", "USDC", 3000, 20e6, positions=60, noise_usd=10_000),
    PoolSpec("v2", "USDC", "WETH", 3000, 40e6, positions=6),
    PoolSpec("v2", "DAI", "WETH", 3000, 15e6, positions=4, noise_usd=10_000),
    PoolSpec("v2", "WETH", "USDT", 3000, 25e6, positions=5),
    PoolSpec("v2", "WBTC", "WETH", 3000, 10e6, positions=4, noise_usd=10_000),
)


@dataclass(frozen=True)
class HistorySpec:
    """A week of market history: correlated GBM for ETH and BTC, mean-reverting stables.

    Each step is one block holding the arbitrage trades (to the edge of each pool's fee band, as in Milionis,
    Moallemi, Roughgarden 2023) and uninformed trades of lognormal size; now and then an LP re-centres.
    """

    genesis_timestamp: int = 1_790_000_000  # 2026-09-21T14:13:20Z
    start_delay: int = 3600  # deployment and initial liquidity happen in the hour before the history
    days: float = 7.0
    step_seconds: int = 900
    eth_vol: float = 0.60  # annualised
    btc_vol: float = 0.50
    eth_btc_corr: float = 0.75
    stable_vol_daily: float = 0.0004
    stable_reversion_per_day: float = 12.0
    noise_trade_probability: float = 0.35
    lp_churn_every_steps: int = 16

    @property
    def steps(self) -> int:
        return int(self.days * 86400 / self.step_seconds)


HISTORY = HistorySpec()


def pool_by_name(name: str) -> PoolSpec:
    """Look a pool up by name ('USDC/WETH-500', 'weth/usdc-500' and 'USDC/WETH-v2' all work)."""
    wanted = name.strip().upper()
    for pool in POOLS:
        if wanted in (pool.name.upper(), f"{pool.symbol1}/{pool.symbol0}-{pool.name.split('-')[1]}".upper()):
            return pool
    known = ", ".join(p.name for p in POOLS)
    raise KeyError(f"no pool named {name!r} on the built-in chain; known pools: {known}")
