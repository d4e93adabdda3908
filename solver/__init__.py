"""Routing and (later) intent solving on top of the exact `amm` models."""
