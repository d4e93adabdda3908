"""Read pools' full on-chain state at one block, in a few JSON-RPC batches shared by all pools.

v3: slot0, liquidity, fee growth, protocol fees and the immutables, every word of the tick bitmap, every
initialised tick, every oracle observation and the token balances; v2: reserves, supply, kLast, price
accumulators and balances. v3 pools are read through our PoolLens contract (`amm.chain.lens`: a few
eth_calls per pool, run with a state override, never deployed) where the node applies state overrides;
otherwise, and always for v2, through the raw batch: the block, then every pool's scalars and bitmap words,
then every pool's ticks, observations and balances: ~1,000 calls in 3-4 requests and well under a second,
instead of seconds through web3. Every call is pinned to the same block, so the states (and the models built
from them) are consistent with each other even on a live chain.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils import to_checksum_address

from amm.chain import artifacts
from amm.chain import lens as pool_lens
from amm.chain.errors import ChainError, RpcError
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


_V2_CALLS = (
    "getReserves",
    "token0",
    "token1",
    "totalSupply",
    "kLast",
    "price0CumulativeLast",
    "price1CumulativeLast",
)


@dataclass(frozen=True)
class PoolStates:
    """The states of many pools at `block`, keyed by checksum address, and what reading them cost."""

    block: int
    timestamp: int
    v3: dict[str, V3PoolState]
    v2: dict[str, V2PairState]
    cost: ReadCost


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


def existing(node: Node, addresses: Sequence[str], block: int | str = "latest") -> list[str]:
    """The addresses that hold code at `block` (one batch), in the given order."""
    if not addresses:
        return []
    codes = node.rpc.batch([("eth_getCode", [a, block_tag(block)]) for a in addresses])
    return [
        to_checksum_address(a) for a, code in zip(addresses, codes, strict=True) if code not in ("0x", None)
    ]


def read_pool_states(
    node: Node,
    v3: Mapping[str, int | None] | Sequence[str] = (),
    v2: Sequence[str] = (),
    block: int | str = "latest",
    *,
    lens: bool | None = None,
) -> PoolStates:
    """Full states of v3 pools (address -> tick spacing, or None to read it) and v2 pairs at one block.

    v3 pools go through PoolLens (`amm.chain.lens`: a few eth_calls per pool with a state override) where the
    node allows it, else through the raw batch; both give equal states. `lens`: None tries the lens and falls
    back silently (AMM_STATE_LENS=0 skips it), False uses only the raw batch, True only the lens (raising
    `LensUnavailable` if it cannot). Known tick spacings save the batch a round trip. Raises ChainError if an
    address holds no pool.
    """
    started = time.perf_counter()
    requests_before, calls_before = node.rpc.http_requests, node.rpc.calls
    spacings = dict(v3) if isinstance(v3, Mapping) else dict.fromkeys(v3)
    spacings = {to_checksum_address(a): s for a, s in spacings.items()}
    pairs = [to_checksum_address(a) for a in v2]
    number, timestamp = _resolve_block(node, block)
    v3_states: dict[str, V3PoolState] | None = None
    if spacings and (lens or (lens is None and pool_lens.enabled())):
        try:
            v3_states = _read_v3_lens(node, spacings, number, timestamp)
        except pool_lens.LensUnavailable:
            if lens:
                raise
    if v3_states is None:
        v3_states, v2_states = _read_batch(node, spacings, pairs, number, timestamp)
    else:
        v2_states = _read_batch(node, {}, pairs, number, timestamp)[1] if pairs else {}
    cost = ReadCost(
        node.rpc.calls - calls_before, node.rpc.http_requests - requests_before, time.perf_counter() - started
    )
    return PoolStates(number, timestamp, v3_states, v2_states, cost)


def _read_v3_lens(
    node: Node, spacings: Mapping[str, int | None], number: int, timestamp: int
) -> dict[str, V3PoolState]:
    """The v3 states through PoolLens, built exactly as the raw batch builds them."""
    words = {address: word_range(spacing or 1) for address, spacing in spacings.items()}
    reads = pool_lens.read_v3(node, words, block_tag(number))
    return {
        address: _v3_state(
            address,
            number,
            timestamp,
            read.scalars,
            read.scalars["tickSpacing"],
            dict(sorted(read.ticks.items())),
            dict(sorted(read.bitmap.items())),
            [read.observations[i] for i in range(read.cardinality)],
            read.balances,
        )
        for address, read in reads.items()
    }


def _read_batch(
    node: Node, spacings: Mapping[str, int | None], pairs: Sequence[str], number: int, timestamp: int
) -> tuple[dict[str, V3PoolState], dict[str, V2PairState]]:
    """The raw batch: one eth_call per getter, bitmap word, tick, observation and balance."""
    tag = block_tag(number)
    pool_abi = artifacts.interface("UniswapV3Pool")
    pair_abi = artifacts.interface("UniswapV2Pair")

    # batch 1: every pool's code and scalars, plus the bitmap words of pools whose spacing is known
    calls: list[tuple[str, list[Any]]] = []
    for address in [*spacings, *pairs]:
        calls.append(("eth_getCode", [address, tag]))
    for address in spacings:
        calls += [_call(address, pool_abi.encode(name), tag) for name in _V3_SCALARS]
    for address in pairs:
        calls += [_call(address, pair_abi.encode(name), tag) for name in _V2_CALLS]
    known = {a: s for a, s in spacings.items() if s is not None}
    calls += _word_calls(pool_abi, known, tag)
    raw = node.rpc.batch_results(calls)
    codes, raw = raw[: len(spacings) + len(pairs)], raw[len(spacings) + len(pairs) :]
    for address, code in zip([*spacings, *pairs], codes, strict=True):
        if code in ("0x", None) or isinstance(code, RpcError):
            raise ChainError(_missing_contract(node, address, number, code))
    failed = next((r for r in raw if isinstance(r, RpcError)), None)
    scalars: dict[str, dict[str, Any]] = {}
    for address in spacings:
        chunk, raw = raw[: len(_V3_SCALARS)], raw[len(_V3_SCALARS) :]
        if any(isinstance(r, RpcError) or r in ("0x", None) for r in chunk):
            raise ChainError(f"no UniswapV3Pool at {address} at block {number}")
        scalars[address] = {n: pool_abi.decode(n, _bytes(r)) for n, r in zip(_V3_SCALARS, chunk, strict=True)}
    pair_values: dict[str, dict[str, Any]] = {}
    for address in pairs:
        chunk, raw = raw[: len(_V2_CALLS)], raw[len(_V2_CALLS) :]
        if any(isinstance(r, RpcError) or r in ("0x", None) for r in chunk):
            raise ChainError(f"no UniswapV2Pair at {address} at block {number}")
        pair_values[address] = {
            n: pair_abi.decode(n, _bytes(r)) for n, r in zip(_V2_CALLS, chunk, strict=True)
        }
    if failed is not None:
        raise failed
    words_raw = dict(zip(_word_keys(known), raw, strict=True))

    # batch 2 (only for pools of unknown spacing): their bitmap words
    unknown = {a: scalars[a]["tickSpacing"] for a, s in spacings.items() if s is None}
    if unknown:
        words_raw.update(
            zip(_word_keys(unknown), node.rpc.batch(_word_calls(pool_abi, unknown, tag)), strict=True)
        )
    spacings = {a: scalars[a]["tickSpacing"] for a in spacings}

    # batch 3: every initialised tick, observation and token balance
    bitmaps = {a: {} for a in spacings}  # type: dict[str, dict[int, int]]
    for (address, word), value in words_raw.items():
        bits = int(value, 16)
        if bits:
            bitmaps[address][word] = bits
    detail: list[tuple[str, list[Any]]] = []
    layout: list[tuple[str, list[int], int]] = []
    for address, spacing in spacings.items():
        initialized = [
            ((word << 8) + bit) * spacing
            for word, bits in sorted(bitmaps[address].items())
            for bit in range(256)
            if bits >> bit & 1
        ]
        cardinality = scalars[address]["slot0"][3]
        detail += [_call(address, pool_abi.encode("ticks", t), tag) for t in initialized]
        detail += [_call(address, pool_abi.encode("observations", i), tag) for i in range(cardinality)]
        detail += _balances_calls((scalars[address]["token0"], scalars[address]["token1"]), address, tag)
        layout.append((address, initialized, cardinality))
    for address in pairs:
        values = pair_values[address]
        detail += _balances_calls((values["token0"], values["token1"]), address, tag)
    raw_detail = node.rpc.batch(detail)

    v3_states: dict[str, V3PoolState] = {}
    for address, initialized, cardinality in layout:
        n_ticks = len(initialized)
        chunk, raw_detail = raw_detail[: n_ticks + cardinality + 2], raw_detail[n_ticks + cardinality + 2 :]
        ticks = {
            t: tuple(pool_abi.decode("ticks", _bytes(r))) for t, r in zip(initialized, chunk, strict=False)
        }
        observations = [tuple(pool_abi.decode("observations", _bytes(r))) for r in chunk[n_ticks:-2]]
        v3_states[address] = _v3_state(
            address,
            number,
            timestamp,
            scalars[address],
            spacings[address],
            ticks,
            bitmaps[address],
            observations,
            (int(chunk[-2], 16), int(chunk[-1], 16)),
        )
    v2_states: dict[str, V2PairState] = {}
    for address in pairs:
        (balance0, balance1), raw_detail = (int(r, 16) for r in raw_detail[:2]), raw_detail[2:]
        v2_states[address] = _v2_state(address, number, timestamp, pair_values[address], balance0, balance1)
    return v3_states, v2_states


def touched_since(node: Node, addresses: Sequence[str], from_block: int, to_block: int) -> set[str]:
    """Which of the addresses emitted any log in [from_block, to_block] (one eth_getLogs request).

    Every change to a pool's state that a model needs comes with a log from the pool itself (v3 Swap, Mint,
    Burn, Collect, Flash, SetFeeProtocol, ...; v2 Sync on every reserve change), so the others are unchanged.
    """
    if to_block < from_block or not addresses:
        return set()
    logs = node.rpc.call(
        "eth_getLogs", [{"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}]
    )
    return {to_checksum_address(log["address"]) for log in logs}


def _word_keys(spacings: Mapping[str, int]) -> list[tuple[str, int]]:
    return [(a, w) for a, s in spacings.items() for w in word_range(s)]


def _word_calls(abi: Any, spacings: Mapping[str, int], tag: str) -> list[tuple[str, list[Any]]]:
    return [_call(a, abi.encode("tickBitmap", w), tag) for a, w in _word_keys(spacings)]


def _v3_state(
    address: str,
    number: int,
    timestamp: int,
    scalars: dict[str, Any],
    spacing: int,
    ticks: dict[int, Any],
    bitmap: dict[int, int],
    observations: list[Any],
    balances: tuple[int, int],
) -> V3PoolState:
    slot0 = scalars["slot0"]
    return V3PoolState(
        address=address,
        block=number,
        token0=scalars["token0"],
        token1=scalars["token1"],
        fee=scalars["fee"],
        tick_spacing=spacing,
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
        protocol_fees=tuple(scalars["protocolFees"]),  # type: ignore[arg-type]
        ticks=ticks,
        bitmap=bitmap,
        observations=observations,
        balance0=balances[0],
        balance1=balances[1],
        timestamp=timestamp,
    )


def _v2_state(
    address: str, number: int, timestamp: int, values: dict[str, Any], balance0: int, balance1: int
) -> V2PairState:
    reserve0, reserve1, last = values["getReserves"]
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
    )


def read_v3_state(
    node: Node,
    address: str,
    block: int | str = "latest",
    *,
    tick_spacing: int | None = None,
    lens: bool | None = None,
) -> V3PoolState:
    """One v3 pool's full state at `block` (`read_pool_states`, `lens` as there)."""
    states = read_pool_states(node, {address: tick_spacing}, (), block, lens=lens)
    (state,) = states.v3.values()
    return replace(state, cost=states.cost)


def read_v2_state(node: Node, address: str, block: int | str = "latest") -> V2PairState:
    """One v2 pair's reserves, tokens, supply, kLast, price accumulators and balances at `block`."""
    states = read_pool_states(node, (), (address,), block)
    (state,) = states.v2.values()
    return replace(state, cost=states.cost)


def _bytes(raw: str) -> bytes:
    return bytes.fromhex(raw[2:])


def _missing_contract(node: Node, address: str, number: int, reply: object) -> str:
    """Why `address` has no code at block `number`: not a contract on this chain, or a node without state
    that old (the built-in chain and young forks keep only their latest state), naming the oldest block the
    node can read (from its own error, else by bisection over eth_getCode)."""
    old = (
        re.search(r"block height is (\d+) but requested was", str(reply))
        if isinstance(reply, RpcError)
        else None
    )
    if old is not None:
        return (
            f"this node has no state for block {number}: it holds state only from block {old.group(1)} on"
            " (the built-in chain keeps only its latest state); read at that block or later"
        )
    latest = node.block_number()
    if number >= latest or node.rpc.call("eth_getCode", [address, "latest"]) in ("0x", None):
        return f"no contract at {address} at block {number}: is this the right chain and pool address?"
    low, high = number, latest  # no code at `low`, code at `high`
    while high - low > 1:
        middle = (low + high) // 2
        (code,) = node.rpc.batch_results([("eth_getCode", [address, block_tag(middle)])])
        if code in ("0x", None) or isinstance(code, RpcError):
            low = middle
        else:
            high = middle
    return (
        f"block {number} is older than the state this node holds for {address}: the oldest block it can"
        f" read it at is {high} (the built-in chain keeps only its latest state; an archive node or a later"
        " --block reads it)"
    )
