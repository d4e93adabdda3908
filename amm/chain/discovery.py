"""Pool discovery from the factories' own logs: every v3 pool and v2 pair a token trades in, not only the
built-in list.

`pools_of(node, token)` reads UniswapV3Factory's `PoolCreated` and UniswapV2Factory's `PairCreated` events
with the token as token0 and as token1 (indexed topics, so four filtered `eth_getLogs` queries, batched and
cached by `amm.chain.logs`), and returns each pool with its tokens, fee and tick spacing as the event states
them. `pools_between(node, a, b)` narrows to one pair. Factories default to mainnet's (the built-in chain
and a mainnet fork share them).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain.logs import fetch_logs
from amm.chain.node import Node

POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()
PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()
V2_FEE = 3000  # a v2 pair's 0.3%, in the v3 fee unit (hundredths of a bip)


@dataclass(frozen=True)
class DiscoveredPool:
    """A pool as its factory announced it."""

    kind: str  # "v3" or "v2"
    address: str
    token0: str
    token1: str
    fee: int  # hundredths of a bip (v2: 3000)
    tick_spacing: int | None  # v3 only
    block: int  # where it was created


def pools_of(
    node: Node,
    token: str,
    *,
    from_block: int = 0,
    to_block: int | None = None,
    v3_factory: str = mainnet.V3_FACTORY,
    v2_factory: str = mainnet.V2_FACTORY,
) -> list[DiscoveredPool]:
    """Every pool and pair with `token` on either side created in [from_block, to_block], oldest first."""
    last = node.block_number() if to_block is None else to_block
    word = "0x" + to_checksum_address(token)[2:].lower().rjust(64, "0")
    found: dict[str, DiscoveredPool] = {}
    for factory, topic, decode in (
        (v3_factory, POOL_CREATED, _v3),
        (v2_factory, PAIR_CREATED, _v2),
    ):
        for topics in ([topic, word], [topic, None, word]):  # token as token0, then as token1
            for log in fetch_logs(node, factory, from_block, last, topics=topics):
                pool = decode(log)
                found.setdefault(pool.address.lower(), pool)
    return sorted(found.values(), key=lambda p: (p.block, p.address))


def pools_between(node: Node, token_a: str, token_b: str, **kwargs) -> list[DiscoveredPool]:
    """The pools of one pair (either order)."""
    b = token_b.lower()
    return [p for p in pools_of(node, token_a, **kwargs) if b in (p.token0.lower(), p.token1.lower())]


def _address(topic_or_word: str) -> str:
    return to_checksum_address("0x" + topic_or_word[-40:])


def _v3(log: dict) -> DiscoveredPool:
    data = bytes.fromhex(log["data"][2:])
    spacing = int.from_bytes(data[:32], "big", signed=True)
    return DiscoveredPool(
        "v3",
        to_checksum_address(data[44:64]),
        _address(log["topics"][1]),
        _address(log["topics"][2]),
        int(log["topics"][3], 16),
        spacing,
        int(log["blockNumber"], 16),
    )


def _v2(log: dict) -> DiscoveredPool:
    data = bytes.fromhex(log["data"][2:])
    return DiscoveredPool(
        "v2",
        to_checksum_address(data[12:32]),
        _address(log["topics"][1]),
        _address(log["topics"][2]),
        V2_FEE,
        None,
        int(log["blockNumber"], 16),
    )
