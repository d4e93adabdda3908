"""Exact models of Uniswap v2/v3 pools, LP analytics, and the chain layer they are proven against."""

__version__ = "0.1.0"
