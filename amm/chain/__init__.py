"""The only layer that talks to a node: JSON-RPC, anvil, artifacts, the built-in chain, pool state."""
