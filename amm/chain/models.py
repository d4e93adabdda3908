"""Turn on-chain pool state into exact models: a `amm.v3.Pool` or an `amm.v2.Pair` at a block.

The models then quote, swap, mint and burn in memory exactly as the contracts would from that state.
"""

from __future__ import annotations

from eth_utils import to_checksum_address

from amm.chain.node import Node
from amm.chain.state import V2PairState, V3PoolState, read_v2_state, read_v3_state
from amm.v2.pair import Pair
from amm.v3.oracle import Observation
from amm.v3.pool import Pool
from amm.v3.tick import TickInfo


def v3_pool_from_state(state: V3PoolState) -> Pool:
    """An exact in-memory copy of the pool (every tick, the bitmap, the oracle; positions are not enumerable
    on chain and start empty)."""
    return Pool.from_state(
        state.fee,
        state.tick_spacing,
        sqrt_price_x96=state.sqrt_price_x96,
        tick=state.tick,
        liquidity=state.liquidity,
        fee_growth_global0_x128=state.fee_growth_global0_x128,
        fee_growth_global1_x128=state.fee_growth_global1_x128,
        protocol_fees=state.protocol_fees,
        fee_protocol=state.fee_protocol,
        observation_index=state.observation_index,
        observation_cardinality=state.observation_cardinality,
        observation_cardinality_next=state.observation_cardinality_next,
        ticks={tick: TickInfo(*fields) for tick, fields in state.ticks.items()},
        tick_bitmap=dict(state.bitmap),
        observations=[Observation(*o) for o in state.observations],
        max_liquidity_per_tick=state.max_liquidity_per_tick,
        address=to_checksum_address(state.address),
        token0=to_checksum_address(state.token0),
        token1=to_checksum_address(state.token1),
        balance0=state.balance0,
        balance1=state.balance1,
        timestamp=state.timestamp,
        unlocked=state.unlocked,
    )


def v2_pair_from_state(state: V2PairState) -> Pair:
    return Pair.from_reserves(
        state.reserve0,
        state.reserve1,
        total_supply=state.total_supply,
        k_last=state.k_last,
        block_timestamp_last=state.block_timestamp_last,
        price0_cumulative_last=state.price0_cumulative_last,
        price1_cumulative_last=state.price1_cumulative_last,
        balance0=state.balance0,
        balance1=state.balance1,
        address=to_checksum_address(state.address),
        token0=to_checksum_address(state.token0),
        token1=to_checksum_address(state.token1),
        timestamp=state.timestamp,
    )


def load_v3_pool(
    node: Node, address: str, block: int | str = "latest", *, tick_spacing: int | None = None
) -> Pool:
    """Read a v3 pool at `block` (a few batched requests) and build its exact model."""
    return v3_pool_from_state(read_v3_state(node, address, block, tick_spacing=tick_spacing))


def load_v2_pair(node: Node, address: str, block: int | str = "latest") -> Pair:
    return v2_pair_from_state(read_v2_state(node, address, block))
