"""Exact Uniswap v3 models: one module per v3-core library, composed by `pool.Pool`."""
