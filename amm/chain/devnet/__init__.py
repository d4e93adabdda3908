"""The built-in mainnet-shaped chain: spec, deployment, liquidity, history, state file."""
