"""A pool as an LP sees it: the exact model, its tokens, and prices in the readable orientation.

Pools order tokens by address, so USDC/WETH prices WETH in USDC units of 0.0003. LPs think in "USDC per
WETH". A v3 position is symmetric under inverting the price (x ↔ y, √P ↔ 1/√P, [pa, pb] ↔ [1/pb, 1/pa]),
so the analytics run unchanged in the display orientation: `base` priced in `quote`. A pool tick t is the
display tick -t when the orientation is inverted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from amm.analytics.grid import snap_range
from amm.analytics.liquidity import LiquidityProfile
from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import pool_by_name
from amm.chain.errors import ChainError
from amm.chain.models import v3_pool_from_state
from amm.chain.node import Node
from amm.chain.overview import TokenInfo, read_tokens
from amm.chain.state import ReadCost, read_v3_state
from amm.v3.pool import Pool

STABLECOINS = frozenset(a.lower() for a in (mainnet.USDC, mainnet.USDT, mainnet.DAI))


@dataclass(frozen=True)
class PoolContext:
    name: str
    address: str
    block: int
    timestamp: int
    token0: TokenInfo
    token1: TokenInfo
    pool: Pool
    inverted: bool  # True: display price is token0 per token1
    load_cost: ReadCost

    @property
    def fee(self) -> float:
        """The swap fee as a fraction (500 -> 0.0005)."""
        return self.pool.fee / 1e6

    @property
    def base(self) -> TokenInfo:
        return self.token1 if self.inverted else self.token0

    @property
    def quote(self) -> TokenInfo:
        return self.token0 if self.inverted else self.token1

    @property
    def pair(self) -> str:
        return f"{self.base.symbol}/{self.quote.symbol}"

    def display_tick(self, tick: int) -> int:
        return -tick if self.inverted else tick

    def price_at_tick(self, tick: int) -> float:
        """Display price (quote per base, whole tokens) at a pool tick."""
        t = self.display_tick(tick)
        return 1.0001**t * 10.0 ** (self.base.decimals - self.quote.decimals)

    @property
    def price(self) -> float:
        """Display price now, from sqrtPriceX96 (exact to float precision, not rounded to a tick)."""
        return float(self.display_prices([self.pool.sqrt_price_x96])[0])

    def display_prices(self, sqrt_prices_x96: Sequence[int]) -> NDArray[np.float64]:
        """Display prices (quote per base, whole tokens) of sqrtPriceX96 values, e.g. from Swap events."""
        raw = np.array([(s / 2**96) ** 2 for s in sqrt_prices_x96], dtype=np.float64)
        human = raw * 10.0 ** (self.token0.decimals - self.token1.decimals)
        return 1 / human if self.inverted else human

    def pool_tick_of_price(self, price: float) -> float:
        """Real-valued pool tick of a display price."""
        display = math.log(price * 10.0 ** (self.quote.decimals - self.base.decimals)) / math.log(1.0001)
        return -display if self.inverted else display

    def snap(self, lower: float, upper: float) -> tuple[float, float]:
        """Widen a display range outward to ticks the pool accepts (multiples of its spacing)."""
        return snap_range(lower, upper, self.pool.tick_spacing, self.base.decimals, self.quote.decimals)

    def ticks_of_range(self, lower: float, upper: float) -> tuple[int, int]:
        """(tick_lower, tick_upper) of the pool for a display range (after snapping)."""
        lo, hi = self.snap(lower, upper)
        a, b = round(self.pool_tick_of_price(lo)), round(self.pool_tick_of_price(hi))
        return min(a, b), max(a, b)

    def profile(self) -> LiquidityProfile:
        """Active liquidity of the pool's LPs by display price (human units)."""
        nets = {
            self.display_tick(t): -info.liquidity_net if self.inverted else info.liquidity_net
            for t, info in self.pool.ticks.items()
            if info.liquidity_gross
        }
        return LiquidityProfile.from_ticks(nets, self.base.decimals, self.quote.decimals)

    def active_liquidity_human(self) -> float:
        return self.pool.liquidity * 10.0 ** (-(self.token0.decimals + self.token1.decimals) / 2)

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "address": self.address,
            "block": self.block,
            "pair": self.pair,
            "base": self.base.symbol,
            "quote": self.quote.symbol,
            "fee": self.fee,
            "tick_spacing": self.pool.tick_spacing,
            "price": self.price,
            "tick": self.pool.tick,
            "sqrt_price_x96": str(self.pool.sqrt_price_x96),
            "liquidity": str(self.pool.liquidity),
            "initialized_ticks": len(self.pool.ticks),
            "load": {
                "calls": self.load_cost.calls,
                "requests": self.load_cost.requests,
                "seconds": round(self.load_cost.seconds, 3),
            },
        }


def resolve_pool(name_or_address: str) -> tuple[str, str]:
    """(address, name) for a known pool name ('USDC/WETH-500') or a 0x address."""
    text = name_or_address.strip()
    if text.startswith("0x") and len(text) == 42:
        try:
            int(text, 16)
        except ValueError:
            raise ChainError(f"not a pool address: {text!r}") from None
        return text, text
    try:
        spec = pool_by_name(text)
    except KeyError as err:
        raise ChainError(str(err.args[0])) from None
    if spec.kind != "v3":
        raise ChainError(f"{spec.name} is a v2 pair; range analysis needs a v3 pool")
    return spec.address, spec.name


def orientation_inverted(token0: TokenInfo, token1: TokenInfo, orientation: str = "auto") -> bool:
    """Quote in a stablecoin when exactly one side is one; else keep the pool's own order."""
    if orientation == "token0":  # token0 is the base
        return False
    if orientation == "token1":
        return True
    if orientation != "auto":
        raise ChainError(f"orientation must be auto, token0 or token1, not {orientation!r}")
    stable0, stable1 = token0.address.lower() in STABLECOINS, token1.address.lower() in STABLECOINS
    return stable0 and not stable1


def load_pool_context(
    node: Node, pool: str, block: int | str = "latest", *, orientation: str = "auto"
) -> PoolContext:
    """Load the pool's exact model at `block` (batched reads) with token metadata and display orientation."""
    address, name = resolve_pool(pool)
    state = read_v3_state(node, address, block)
    tokens = read_tokens(node, [state.token0, state.token1])
    token0, token1 = tokens[state.token0.lower()], tokens[state.token1.lower()]
    if name == address:
        name = f"{token0.symbol}/{token1.symbol}-{state.fee}"
    return PoolContext(
        name=name,
        address=address,
        block=state.block,
        timestamp=state.timestamp,
        token0=token0,
        token1=token1,
        pool=v3_pool_from_state(state),
        inverted=orientation_inverted(token0, token1, orientation),
        load_cost=state.cost,
    )
