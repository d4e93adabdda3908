"""Keep a loaded pool current by applying its logs instead of reading its state again.

A pool read at block B (`amm.chain.models`) plus every log of that pool after B gives the pool at a later
block. What each event carries decides what stays exact:

v3 (`V3Sync`):
- Always exact (everything a quote depends on): slot0's price and tick, the active liquidity, every tick's
  liquidityGross/liquidityNet/initialized and the tick bitmap. Swap events carry the price, tick and
  liquidity after the swap; Mint and Burn carry the range and liquidity, which the model applies with the
  contract's own tick updates. Mint/Burn amounts are recomputed and must equal the event's, or SyncDrift.
  The oracle (observations, index, cardinality) and the fee protocol are exact too: every write depends
  only on the tick and liquidity before a swap or an in-range mint/burn and the block time.
- Exact while `fees_exact` stays True: fee growth (global and each tick's outside values), protocol fees
  and the other tick accumulators. A Swap event does not say whether the swap was exact input or output,
  nor its price limit; the model replays it when one of those readings reproduces the event's amounts and
  price exactly (then every step's fee is the contract's). Swaps through the routers always do. If none does
  (e.g. a swap that ended on a price limit with an exact output), the price, tick and liquidity are taken
  from the event, the oracle is written, and fee growth goes stale: `fees_exact` turns False.
- Positions: only those minted after B are known; a Burn of liquidity minted before B is applied to the ticks
  through a stand-in position (listed in `unknown_positions`, whose fees and tokens owed are not meaningful).
- balance0/balance1 follow the events (what the pool was paid and paid out), not direct token transfers.

v2 (`V2Sync`): every state change ends in a Sync event, so reserves, blockTimestampLast and both price
accumulators stay exact; Transfer events from/to the zero address keep totalSupply exact. kLast is kept only
when `fee_on` is given (whether the factory's feeTo is set is not in the pair's logs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from amm.chain import artifacts
from amm.chain.logs import DecodedLog, decode_logs, fetch_logs
from amm.chain.models import load_v2_pair, load_v3_pool
from amm.chain.node import Node
from amm.errors import Revert
from amm.v2.pair import Pair
from amm.v3 import oracle
from amm.v3.pool import Pool
from amm.v3.position import PositionInfo
from amm.v3.tick import get_fee_growth_inside
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

_MAX_INT256 = 2**255 - 1
_MASK32 = 2**32 - 1
_MASK256 = 2**256 - 1


class SyncDrift(Exception):
    """A log does not fit the model's state: the model and the chain have diverged (or a log is missing)."""


@dataclass
class V3Sync:
    """A v3 Pool and the block its state is as of; `apply`/`catch_up` move it forward with the pool's logs."""

    pool: Pool
    block: int  # every log up to and including this block is in `pool`
    fees_exact: bool = True
    unknown_positions: set[tuple[str, int, int]] = field(default_factory=set)
    events: Counter[str] = field(default_factory=Counter)  # logs applied, by event name
    last: tuple[int, int] = (-1, -1)  # (block, log index) of the last log applied

    @property
    def applied(self) -> int:
        return sum(self.events.values())

    @classmethod
    def load(cls, node: Node, address: str, block: int | str = "latest") -> V3Sync:
        pool = load_v3_pool(node, address, block)
        number = int(node.block(block)["number"], 16)
        return cls(pool, number)

    @classmethod
    def before_creation(cls, node: Node, address: str) -> V3Sync:
        """The pool as it was before it existed (empty, uninitialised): `catch_up` then replays its whole
        history from its logs, so every field stays exact. For nodes without historical state (a chain
        loaded from a state file keeps only its latest state)."""
        pool_iface = artifacts.interface("UniswapV3Pool")
        names = ("fee", "tickSpacing", "maxLiquidityPerTick", "token0", "token1")
        raw = node.rpc.batch(
            [
                ("eth_call", [{"to": address, "data": "0x" + pool_iface.encode(n).hex()}, "latest"])
                for n in names
            ]
        )
        fee, spacing, max_liquidity, token0, token1 = (
            pool_iface.decode(n, bytes.fromhex(r[2:])) for n, r in zip(names, raw, strict=True)
        )
        pool = Pool(
            fee,
            spacing,
            max_liquidity_per_tick=max_liquidity,
            address=to_checksum_address(address),
            token0=to_checksum_address(token0),
            token1=to_checksum_address(token1),
        )
        return cls(pool, -1)

    def catch_up(self, node: Node, to_block: int | str = "latest", *, use_cache: bool = True) -> int:
        """Fetch and apply every log of the pool after `block` up to `to_block`; returns how many."""
        target = int(node.block(to_block)["number"], 16)
        assert self.pool.address is not None
        raw = fetch_logs(node, self.pool.address, self.block + 1, target, use_cache=use_cache)
        logs = decode_logs(node, artifacts.interface("UniswapV3Pool"), raw)
        self.apply_all(logs)
        self.block = max(self.block, target)
        return len(logs)

    def apply_all(self, logs: Iterable[DecodedLog]) -> None:
        for log in sorted(logs, key=DecodedLog.sort_key):
            self.apply(log)

    def apply(self, log: DecodedLog) -> None:
        """Apply one decoded log of this pool; logs already in the state (at or before `block`, or at or
        before the last one applied) are skipped, so overlapping fetches are harmless."""
        if log.block_number <= self.block or log.sort_key() <= self.last:
            return
        handler = getattr(self, f"_on_{log.event}", None)
        if handler is None:
            return
        if log.timestamp is None:
            raise ValueError("v3 logs need block timestamps (decode_logs(..., with_timestamps=True))")
        handler(log.args, log.timestamp)
        self.events[log.event] += 1
        self.last = log.sort_key()

    # ------------------------------------------------------------------------------------------ events
    def _on_Initialize(self, args: dict[str, Any], ts: int) -> None:
        if self.pool.sqrt_price_x96 == 0:
            self.pool.initialize(args["sqrtPriceX96"], timestamp=ts)

    def _on_Mint(self, args: dict[str, Any], ts: int) -> None:
        owner = to_checksum_address(args["owner"])
        paid = self.pool.mint(owner, args["tickLower"], args["tickUpper"], args["amount"], timestamp=ts)
        _expect(paid, (args["amount0"], args["amount1"]), "Mint", args)

    def _on_Burn(self, args: dict[str, Any], ts: int) -> None:
        pool = self.pool
        key = (to_checksum_address(args["owner"]), args["tickLower"], args["tickUpper"])
        position = pool.positions.get(key)
        held = position.liquidity if position is not None else 0
        if args["amount"] == 0 and (held == 0 or key in self.unknown_positions):
            return  # a poke of a position we cannot account for: only its tokens owed change
        if held < args["amount"]:  # liquidity minted before the load block: stand in for it
            inside = get_fee_growth_inside(
                pool.ticks,
                key[1],
                key[2],
                pool.tick,
                pool.fee_growth_global0_x128,
                pool.fee_growth_global1_x128,
            )
            pool.positions[key] = PositionInfo(args["amount"], *inside)
            self.unknown_positions.add(key)
        paid = pool.burn(*key, args["amount"], timestamp=ts)
        _expect(paid, (args["amount0"], args["amount1"]), "Burn", args)

    def _on_Collect(self, args: dict[str, Any], ts: int) -> None:
        key = (to_checksum_address(args["owner"]), args["tickLower"], args["tickUpper"])
        amounts = (args["amount0"], args["amount1"])
        position = self.pool.positions.get(key)
        if position is not None and self.fees_exact and key not in self.unknown_positions:
            _expect(self.pool.collect(*key, *amounts), amounts, "Collect", args)
            return
        if position is not None:  # tokens owed are not known exactly: take what the log says was paid
            position.tokens_owed0 = max(0, position.tokens_owed0 - amounts[0])
            position.tokens_owed1 = max(0, position.tokens_owed1 - amounts[1])
        self.pool.balance0 -= amounts[0]
        self.pool.balance1 -= amounts[1]

    def _on_Swap(self, args: dict[str, Any], ts: int) -> None:
        pool = self.pool
        event = (args["amount0"], args["amount1"], args["sqrtPriceX96"], args["tick"], args["liquidity"])
        for zero_for_one, amount, limit in _swap_readings(pool, args):
            try:
                quote = pool.quote(zero_for_one, amount, limit)
            except Revert:
                continue
            if tuple(quote[:5]) == event:
                pool.swap(zero_for_one, amount, limit, timestamp=ts)
                return
        # no reading reproduces the event: take the end state from it, write the oracle, fees go stale
        if args["tick"] != pool.tick:
            pool.observation_index, pool.observation_cardinality = oracle.write(
                pool.observations,
                pool.observation_index,
                ts & _MASK32,
                pool.tick,
                pool.liquidity,
                pool.observation_cardinality,
                pool.observation_cardinality_next,
            )
        pool.sqrt_price_x96, pool.tick, pool.liquidity = args["sqrtPriceX96"], args["tick"], args["liquidity"]
        pool.balance0 += args["amount0"]
        pool.balance1 += args["amount1"]
        pool.timestamp = ts
        self.fees_exact = False

    def _on_Flash(self, args: dict[str, Any], ts: int) -> None:
        self.pool.flash(args["amount0"], args["amount1"], args["paid0"], args["paid1"])

    def _on_SetFeeProtocol(self, args: dict[str, Any], ts: int) -> None:
        self.pool.set_fee_protocol(args["feeProtocol0New"], args["feeProtocol1New"])

    def _on_CollectProtocol(self, args: dict[str, Any], ts: int) -> None:
        amounts = (args["amount0"], args["amount1"])
        if self.fees_exact:
            _expect(self.pool.collect_protocol(*amounts), amounts, "CollectProtocol", args)
        else:
            fees0, fees1 = self.pool.protocol_fees
            self.pool.protocol_fees = (max(0, fees0 - amounts[0]), max(0, fees1 - amounts[1]))
            self.pool.balance0 -= amounts[0]
            self.pool.balance1 -= amounts[1]

    def _on_IncreaseObservationCardinalityNext(self, args: dict[str, Any], ts: int) -> None:
        self.pool.increase_observation_cardinality_next(args["observationCardinalityNextNew"])


def _swap_readings(pool: Pool, args: dict[str, Any]) -> list[tuple[bool, int, int]]:
    """(zero_for_one, amount_specified, limit) that may have produced a Swap event: exact input or output of
    the event's amounts, with the event's price as the limit or with no limit."""
    amount0, amount1, price = args["amount0"], args["amount1"], args["sqrtPriceX96"]
    zero_for_one = amount0 > 0 or (amount0 == 0 and amount1 <= 0 and price < pool.sqrt_price_x96)
    amount_in, amount_out = (amount0, -amount1) if zero_for_one else (amount1, -amount0)
    default = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    moved = price < pool.sqrt_price_x96 if zero_for_one else price > pool.sqrt_price_x96
    limits = [default, price] if moved else [default]
    readings = []
    for limit in limits:
        if amount_in > 0:
            readings.append((zero_for_one, amount_in, limit))
        if amount_out > 0:
            readings.append((zero_for_one, -amount_out, limit))
        if limit != default:
            readings.append((zero_for_one, _MAX_INT256, limit))  # "everything up to the limit"
    return readings


def _expect(got: tuple[int, int], want: tuple[int, int], what: str, args: dict[str, Any]) -> None:
    if tuple(got) != tuple(want):
        raise SyncDrift(f"{what} {args}: the model computes {tuple(got)}, the log says {tuple(want)}")


@dataclass
class V2Sync:
    """A v2 Pair kept current from its Sync (reserves, accumulators) and Transfer (supply) events."""

    pair: Pair
    block: int  # every log up to and including this block is in `pair`
    fee_on: bool | None = None  # whether the factory's feeTo is set; None leaves kLast alone
    events: Counter[str] = field(default_factory=Counter)  # logs applied, by event name
    last: tuple[int, int] = (-1, -1)  # (block, log index) of the last log applied

    @property
    def applied(self) -> int:
        return sum(self.events.values())

    @classmethod
    def load(
        cls, node: Node, address: str, block: int | str = "latest", *, fee_on: bool | None = None
    ) -> V2Sync:
        pair = load_v2_pair(node, address, block)
        return cls(pair, int(node.block(block)["number"], 16), fee_on)

    @classmethod
    def before_creation(cls, node: Node, address: str, *, fee_on: bool | None = None) -> V2Sync:
        """The pair before it existed (no reserves, no supply); `catch_up` replays its whole history."""
        pair_iface = artifacts.interface("UniswapV2Pair")
        token0, token1 = (
            to_checksum_address(pair_iface.decode(n, node.call(address, pair_iface.encode(n))))
            for n in ("token0", "token1")
        )
        return cls(Pair(address=to_checksum_address(address), token0=token0, token1=token1), -1, fee_on)

    def catch_up(self, node: Node, to_block: int | str = "latest", *, use_cache: bool = True) -> int:
        target = int(node.block(to_block)["number"], 16)
        assert self.pair.address is not None
        raw = fetch_logs(node, self.pair.address, self.block + 1, target, use_cache=use_cache)
        logs = decode_logs(node, artifacts.interface("UniswapV2Pair"), raw)
        for log in sorted(logs, key=DecodedLog.sort_key):
            self.apply(log)
        self.block = max(self.block, target)
        return len(logs)

    def apply(self, log: DecodedLog) -> None:
        """Apply one decoded log of this pair (already applied ones are skipped, as for V3Sync)."""
        if log.block_number <= self.block or log.sort_key() <= self.last:
            return
        pair = self.pair
        args = log.args
        if log.event == "Sync":
            if log.timestamp is None:
                raise ValueError(
                    "v2 Sync logs need block timestamps (decode_logs(..., with_timestamps=True))"
                )
            now = log.timestamp & _MASK32
            elapsed = (now - pair.block_timestamp_last) & _MASK32
            if elapsed and pair.reserve0 and pair.reserve1:  # UniswapV2Pair._update, before the new reserves
                pair.price0_cumulative_last = (
                    pair.price0_cumulative_last + ((pair.reserve1 << 112) // pair.reserve0) * elapsed
                ) & _MASK256
                pair.price1_cumulative_last = (
                    pair.price1_cumulative_last + ((pair.reserve0 << 112) // pair.reserve1) * elapsed
                ) & _MASK256
            pair.reserve0, pair.reserve1 = args["reserve0"], args["reserve1"]
            pair.balance0, pair.balance1 = pair.reserve0, pair.reserve1
            pair.block_timestamp_last = now
            pair.timestamp = log.timestamp
        elif log.event == "Transfer":
            if int(args["from"], 16) == 0:  # _mint (also MINIMUM_LIQUIDITY, minted *to* address(0))
                pair.total_supply += args["value"]
            elif int(args["to"], 16) == 0:  # _burn
                pair.total_supply -= args["value"]
        elif log.event in ("Mint", "Burn") and self.fee_on is not None:
            pair.k_last = pair.reserve0 * pair.reserve1 if self.fee_on else 0  # its Sync came just before
        else:
            return
        self.events[log.event] += 1
        self.last = log.sort_key()
