"""Settling orders on chain: contracts that fill intents (UniswapX) and their Python wrappers."""
