"""Read a pool's full on-chain state at one block, in a few JSON-RPC batches.

v3: slot0, liquidity, fee growth, protocol fees and the immutables, then every word of the tick bitmap, then
every initialised tick and every oracle observation: three batches after resolving the block, ~1,000 calls
in well under a second, instead of seconds through web3. Every call is pinned to the same block, so the
state is consistent even on a live chain. v2: reserves and tokens in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amm.chain import artifacts
from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.rpc import block_tag

MIN_TICK, MAX_TICK = -887272, 887272

_V3_SCALARS = (
    "slot0",
    "liquidity",
    "feeGrowthGlobal0X128",
    "feeGrowthGlobal1X128",
    "protocolFees",
    "fee",
    "tickSpacing",
    "maxLiquidityPerTick",
    "token0",
    "token1",
)


@dataclass(frozen=True)
class ReadCost:
    """What a read cost: JSON-RPC calls and HTTP requests (a batch is one request)."""

    calls: int
    requests: int
    seconds: float = 0.0


@dataclass(frozen=True)
class V3PoolState:
    """Everything a UniswapV3Pool holds that a model needs, at `block` (raw contract values)."""

    address: str
    block: int
    token0: str
    token1: str
    fee: int
    tick_spacing: int
    max_liquidity_per_tick: int
    sqrt_price_x96: int
    tick: int
    observation_index: int
    observation_cardinality: int
    observation_cardinality_next: int
    fee_protocol: int
    unlocked: bool
    liquidity: int
    fee_growth_global0_x128: int
    fee_growth_global1_x128: int
    protocol_fees: tuple[int, int]
    # tick -> (liquidityGross, liquidityNet, feeGrowthOutside0X128, feeGrowthOutside1X128,
    #          tickCumulativeOutside, secondsPerLiquidityOutsideX128, secondsOutside, initialized)
    ticks: dict[int, tuple[int, int, int, int, int, int, int, bool]]
    bitmap: dict[int, int]
    # (blockTimestamp, tickCumulative, secondsPerLiquidityCumulativeX128, initialized), index 0..cardinality-1
    observations: list[tuple[int, int, int, bool]]
    balance0: int  # tokens the pool holds (ERC-20 balanceOf the pool)
    balance1: int
    timestamp: int  # of `block`
    cost: ReadCost = field(default=ReadCost(0, 0))


@dataclass(frozen=True)
class V2PairState:
    address: str
    block: int
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    block_timestamp_last: int
    total_supply: int
    k_last: int
    price0_cumulative_last: int
    price1_cumulative_last: int
    balance0: int
    balance1: int
    timestamp: int
    cost: ReadCost = field(default=ReadCost(0, 0))


def word_range(tick_spacing: int) -> range:
    """Bitmap word positions that can hold initialised ticks for this spacing."""
    lowest = (MIN_TICK // tick_spacing) >> 8
    highest = (MAX_TICK // tick_spacing) >> 8
    return range(lowest, highest + 1)


def _call(to: str, data: bytes, tag: str) -> tuple[str, list[Any]]:
    return ("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])


def _resolve_block(node: Node, block: int | str) -> tuple[int, int]:
    """(number, timestamp) of the block."""
    header = node.block(block)
    if header is None:
        raise ChainError(f"block {block!r} not found")
    return int(header["number"], 16), int(header["timestamp"], 16)


def _balances_calls(tokens: tuple[str, str], owner: str, tag: str) -> list[tuple[str, list[Any]]]:
    erc20 = artifacts.interface("MintableERC20")
    return [_call(token, erc20.encode("balanceOf", owner), tag) for token in tokens]


def read_v3_state(
    node: Node, address: str, block: int | str = "latest", *, tick_spacing: int | None = None
) -> V3PoolState:
    """The pool's full state at `block`. Passing `tick_spacing` saves one round trip."""
    import time  # noqa: PLC0415 - only to report the cost

    started = time.perf_counter()
    requests_before, calls_before = node.rpc.http_requests, node.rpc.calls
    number, timestamp = _resolve_block(node, block)
    tag = block_tag(number)
    pool = artifacts.interface("UniswapV3Pool")
    code = node.rpc.call("eth_getCode", [address, tag])
    if code in ("0x", None):
        raise ChainError(f"no contract at {address} at block {number}: is this the right chain and pool?")
    scalars_batch = [_call(address, pool.encode(name), tag) for name in _V3_SCALARS]
    if tick_spacing is None:
        raw = node.rpc.batch(scalars_batch)
        tick_spacing = pool.decode("tickSpacing", _bytes(raw[6]))
        words_batch: list[tuple[str, list[Any]]] = []
    else:
        raw = []
        words_batch = scalars_batch
    words = list(word_range(tick_spacing))
    words_batch += [_call(address, pool.encode("tickBitmap", w), tag) for w in words]
    raw += node.rpc.batch(words_batch)
    scalars = {name: pool.decode(name, _bytes(r)) for name, r in zip(_V3_SCALARS, raw, strict=False)}
    bitmap = {}
    for word, value in zip(words, raw[len(_V3_SCALARS) :], strict=True):
        bits = int(value, 16)
        if bits:
            bitmap[word] = bits
    initialized = [
        ((word << 8) + bit) * tick_spacing
        for word, bits in sorted(bitmap.items())
        for bit in range(256)
        if bits >> bit & 1
    ]
    slot0 = scalars["slot0"]
    cardinality = slot0[3]
    detail = [_call(address, pool.encode("ticks", t), tag) for t in initialized]
    detail += [_call(address, pool.encode("observations", i), tag) for i in range(cardinality)]
    detail += _balances_calls((scalars["token0"], scalars["token1"]), address, tag)
    raw_detail = node.rpc.batch(detail)
    balance0, balance1 = (int(r, 16) for r in raw_detail[-2:])
    raw_detail = raw_detail[:-2]
    ticks = {t: tuple(pool.decode("ticks", _bytes(r))) for t, r in zip(initialized, raw_detail, strict=False)}
    observations = [tuple(pool.decode("observations", _bytes(r))) for r in raw_detail[len(initialized) :]]
    cost = ReadCost(
        node.rpc.calls - calls_before, node.rpc.http_requests - requests_before, time.perf_counter() - started
    )
    return V3PoolState(
        address=address,
        block=number,
        token0=scalars["token0"],
        token1=scalars["token1"],
        fee=scalars["fee"],
        tick_spacing=tick_spacing,
        max_liquidity_per_tick=scalars["maxLiquidityPerTick"],
        sqrt_price_x96=slot0[0],
        tick=slot0[1],
        observation_index=slot0[2],
        observation_cardinality=slot0[3],
        observation_cardinality_next=slot0[4],
        fee_protocol=slot0[5],
        unlocked=slot0[6],
        liquidity=scalars["liquidity"],
        fee_growth_global0_x128=scalars["feeGrowthGlobal0X128"],
        fee_growth_global1_x128=scalars["feeGrowthGlobal1X128"],
        protocol_fees=tuple(scalars["protocolFees"]),
        ticks=ticks,  # type: ignore[arg-type]
        bitmap=bitmap,
        observations=observations,  # type: ignore[arg-type]
        balance0=balance0,
        balance1=balance1,
        timestamp=timestamp,
        cost=cost,
    )


def read_v2_state(node: Node, address: str, block: int | str = "latest") -> V2PairState:
    """Reserves, tokens, supply, kLast, price accumulators and balances of a v2 pair at `block`."""
    requests_before, calls_before = node.rpc.http_requests, node.rpc.calls
    number, timestamp = _resolve_block(node, block)
    tag = block_tag(number)
    pair = artifacts.interface("UniswapV2Pair")
    names = (
        "getReserves",
        "token0",
        "token1",
        "totalSupply",
        "kLast",
        "price0CumulativeLast",
        "price1CumulativeLast",
    )
    raw = node.rpc.batch_results([_call(address, pair.encode(n), tag) for n in names])
    if any(isinstance(r, Exception) or r in ("0x", None) for r in raw):
        raise ChainError(f"no UniswapV2Pair at {address} at block {number}")
    values = {n: pair.decode(n, _bytes(r)) for n, r in zip(names, raw, strict=True)}
    tokens = (values["token0"], values["token1"])
    balance0, balance1 = (int(r, 16) for r in node.rpc.batch(_balances_calls(tokens, address, tag)))
    reserve0, reserve1, last = values["getReserves"]
    cost = ReadCost(node.rpc.calls - calls_before, node.rpc.http_requests - requests_before)
    return V2PairState(
        address=address,
        block=number,
        token0=values["token0"],
        token1=values["token1"],
        reserve0=reserve0,
        reserve1=reserve1,
        block_timestamp_last=last,
        total_supply=values["totalSupply"],
        k_last=values["kLast"],
        price0_cumulative_last=values["price0CumulativeLast"],
        price1_cumulative_last=values["price1CumulativeLast"],
        balance0=balance0,
        balance1=balance1,
        timestamp=timestamp,
        cost=cost,
    )


def _bytes(raw: str) -> bytes:
    return bytes.fromhex(raw[2:])
