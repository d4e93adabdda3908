"""Exact Uniswap v3 models: one module per v3-core library, composed by `pool.Pool`."""

from amm.v3.pool import PartialFill, Pool, SwapQuote

__all__ = ["PartialFill", "Pool", "SwapQuote"]
