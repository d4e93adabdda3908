"""Exact Uniswap v2 models: UniswapV2Library math and the UniswapV2Pair state machine."""

from amm.v2.pair import Pair

__all__ = ["Pair"]
