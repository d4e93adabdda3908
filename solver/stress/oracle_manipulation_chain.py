"""The oracle-manipulation scenario's chain side: a thin v3 pool of a fresh token against USDC on anvil, and
an attacker who holds its TWAP `k` away from the price for one oracle window, all by real transactions.

Why real transactions: the question is what `observe()` reports after real swaps and what they cost the
attacker, so the pool, its oracle and the balances are the contracts', not a model's. The exact `amm.v3`
model of the pool (loaded from chain, then stepped with every swap) sizes each swap so that it stops exactly
at the target price, and is checked against the chain's slot0 after every block.

One attack, from the market's state (the pool's TWAP window full of the reference tick):

1. push: the attacker swaps the pool to the target tick `T` (a block at `t0 + s`);
2. hold: a block every `s` seconds for one window; in each, an arbitrageur (if enabled) swaps the pool back
   to the edge of its fee band around the reference price and the attacker pushes it to `T` again, so every
   block ends at `T` and the TWAP over the window reaches `T` exactly at its end;
3. unwind: the attacker swaps back to the reference price; then blocks are mined for one more window while
   the TWAP returns.

At every block the pool's `observe([window, 0])`, slot0 and the LP position's value (an eth_call of
`decreaseLiquidity` plus `collect` from its owner) are read in one batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.addresses import FEE_TICK_SPACING
from amm.chain.devnet.blocks import BlockBuilder
from amm.chain.devnet.liquidity import align_range, amounts_for_value, usable_ticks
from amm.chain.errors import ChainError, RpcError
from amm.chain.models import load_v3_pool
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, deal
from amm.v3.pool import Pool
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.stress.oracle_manipulation_config import OracleManipulationConfig

DEADLINE = 2**32 - 1
SWAP_GAS = 1_000_000
BIG = 2**200  # an exact input no swap here uses up: the price limit stops it
USDC_DECIMALS = 6
LOG_TICK = math.log(1.0001)


def _actor(name: str) -> str:
    """A fresh address of its own for each role (no key: impersonated on anvil)."""
    return to_checksum_address(keccak(f"oracle-manipulation:{name}".encode())[12:])


OPERATOR, LP, ATTACKER, ARBITRAGEUR = (_actor(n) for n in ("operator", "lp", "attacker", "arbitrageur"))
ACTORS = (OPERATOR, LP, ATTACKER, ARBITRAGEUR)


@dataclass(frozen=True)
class Market:
    """The thin pool as set up: its tokens (base = the fresh token), the LP position and the reference."""

    pool: str
    base: str
    usdc: str
    base_is_token0: bool
    fee: int
    tick_spacing: int
    sqrt_price_x96: int  # the reference price, as initialised
    tick: int
    token_id: int
    tick_lower: int
    tick_upper: int
    block: int  # the block ending the baseline window
    timestamp: int

    @property
    def tokens(self) -> tuple[str, str]:
        return (self.base, self.usdc) if self.base_is_token0 else (self.usdc, self.base)


@dataclass(frozen=True)
class BlockRead:
    """What one block ends with: its number and time, the TWAP's mean tick, slot0, and the LP position's
    amounts (position plus uncollected fees, raw token0/token1)."""

    number: int
    timestamp: int
    tick_cumulatives: tuple[int, int]
    twap_tick: int
    sqrt_price_x96: int
    tick: int
    lp_amounts: tuple[int, int]
    lp_fees: tuple[int, int]


@dataclass(frozen=True)
class Attack:
    """One attack's chain record: the blocks read (baseline first), the attacker's raw balances before and
    after (token0, token1, wei), its gas, and where the push, peak and unwind happened."""

    target_move: float
    target_tick: int
    blocks: tuple[BlockRead, ...]
    push_block: int
    peak_block: int
    unwind_block: int
    balances_before: tuple[int, int, int]
    balances_after: tuple[int, int, int]
    attacker_gas: int
    attacker_swaps: int
    arbitrage_swaps: int

    @property
    def peak(self) -> BlockRead:
        return next(b for b in self.blocks if b.number == self.peak_block)


def mean_tick(tick_cumulatives: Sequence[int], seconds: int) -> int:
    """OracleLibrary.consult's arithmetic mean tick: rounded toward negative infinity."""
    delta = tick_cumulatives[1] - tick_cumulatives[0]
    tick = -(-delta // seconds) if delta < 0 else delta // seconds  # Solidity's division truncates ...
    if delta < 0 and delta % seconds != 0:
        tick -= 1  # ... and the library then rounds a negative mean down
    return tick


def arbitrage_edge(sqrt_price_x96: int, fee: int, *, below: bool) -> int:
    """The edge of the pool's no-arbitrage band around the reference (price x (1 - fee) below it, price /
    (1 - fee) above): an arbitrageur trades a pushed pool back to there and no further, as the built-in
    chain's history does."""
    squared = sqrt_price_x96**2
    if below:
        return math.isqrt(squared * (1_000_000 - fee) // 1_000_000)
    return math.isqrt(squared * 1_000_000 // (1_000_000 - fee))


def reference_sqrt_price(price: float, decimals: int, base_is_token0: bool) -> int:
    """sqrtPriceX96 of `price` dollars per base token, exactly (integer square root of the raw ratio)."""
    usd = Fraction(repr(price))
    raw = usd * 10**USDC_DECIMALS / 10**decimals  # raw USDC per raw base
    if not base_is_token0:
        raw = 1 / raw
    return math.isqrt(raw.numerator * 2**192 // raw.denominator)


class OracleChain:
    """Sets the market up and runs attacks on one node (an anvil on the built-in chain)."""

    def __init__(self, node: Node, config: OracleManipulationConfig) -> None:
        self.node = node
        self.config = config
        self.window = config.oracle.window
        self.spacing_s = config.chain.block_spacing
        self.npm = node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
        self.router = node.contract("SwapRouter", mainnet.SWAP_ROUTER)
        self.factory = node.contract("UniswapV3Factory", mainnet.V3_FACTORY)

    # --- set up -----------------------------------------------------------------------------------------

    @contextmanager
    def market(self) -> Iterator[Market]:
        """Set the market up on the node and yield it; on exit the node is reverted to where it was, its
        automine back on and the actors no longer impersonated."""
        node = self.node
        snapshot = node.snapshot()
        try:
            for actor in ACTORS:
                try:
                    node.rpc.call("anvil_impersonateAccount", [actor])
                except RpcError:
                    raise ChainError(
                        f"{node.rpc.url} is not an anvil: the oracle-manipulation scenario impersonates its"
                        " actors and reverts its swaps (give chain.rpc_url an anvil, or leave it unset)"
                    ) from None
                node.set_balance(actor, 10**24)
            yield self._setup()
        finally:
            with suppress(ChainError):
                node.rpc.call("evm_setAutomine", [True])
            node.revert(snapshot)
            for actor in ACTORS:
                with suppress(ChainError):
                    node.rpc.call("anvil_stopImpersonatingAccount", [actor])

    def _setup(self) -> Market:
        node, p = self.node, self.config.pool
        for needed in (mainnet.USDC, mainnet.NONFUNGIBLE_POSITION_MANAGER, mainnet.SWAP_ROUTER):
            if not node.code(needed):
                raise ChainError(
                    f"no contract at {needed}: the oracle-manipulation scenario needs the built-in chain"
                    " (or a mainnet fork) behind chain.rpc_url"
                )
        code = artifacts.load("MintableERC20").creation_code("Oracle Target", "OMT", p.decimals, OPERATOR)
        base = node.deploy(OPERATOR, code, what="deploy the pool's test token")
        usdc = mainnet.USDC
        base_is_token0 = base.lower() < usdc.lower()
        spacing = FEE_TICK_SPACING[p.fee]
        sqrt_price = reference_sqrt_price(p.price, p.decimals, base_is_token0)
        token0, token1 = (base, usdc) if base_is_token0 else (usdc, base)
        base_c, usdc_c = node.contract("MintableERC20", base), node.contract("MintableERC20", usdc)
        for who in (LP, ATTACKER, ARBITRAGEUR):
            deal(node, usdc, who, 10**15)  # a billion USDC: funding never limits a swap here

        builder = BlockBuilder(node)  # automine off until close(); market() turns it on if this fails
        for who in (LP, ATTACKER, ARBITRAGEUR):
            builder.call(base_c, "mint", who, 10**9 * 10**p.decimals, sender=OPERATOR, gas=200_000)
            spender = self.npm if who == LP else self.router
            for token in (base_c, usdc_c):
                builder.call(token, "approve", spender.address, MAX_UINT256, sender=who, gas=100_000)
        init = (token0, token1, p.fee, sqrt_price)
        builder.call(self.npm, "createAndInitializePoolIfNecessary", *init, sender=OPERATOR, gas=6_000_000)
        builder.mine()
        pool_address = self.factory.call("getPool", token0, token1, p.fee)
        pool = node.contract("UniswapV3Pool", pool_address)
        slots = 2 * (self.window // self.spacing_s) + 8
        builder.call(pool, "increaseObservationCardinalityNext", slots, sender=OPERATOR, gas=6_000_000)
        tick = int(pool.call("slot0")[1])
        if p.range_width:
            half = math.log(1 + p.range_width) / LOG_TICK
            lower, upper = align_range(tick - half, tick + half, spacing)
        else:
            lower, upper = usable_ticks(spacing)
        raw_price = float(Fraction(sqrt_price**2, 2**192))
        usd_per_raw1 = (
            Fraction(1, 10**USDC_DECIMALS) if base_is_token0 else Fraction(repr(p.price)) / 10**p.decimals
        )
        value_raw1 = float(Fraction(repr(p.liquidity_usd)) / usd_per_raw1)
        amount0, amount1 = amounts_for_value(raw_price, lower, upper, value_raw1)
        mint = (token0, token1, p.fee, lower, upper, amount0, amount1, 0, 0, LP, DEADLINE)
        builder.call(self.npm, "mint", mint, sender=LP, gas=1_000_000)
        ((_, receipt),) = [r for r in builder.mine() if r[0].label == "mint"]
        (event,) = self.npm.events(receipt, "IncreaseLiquidity")
        token_id = int(event["tokenId"])
        # the baseline: one window at the reference tick, so the TWAP starts at the reference
        start = builder.timestamp + self.window
        node.rpc.call("evm_mine", [{"timestamp": start, "blocks": 1}])
        builder.close()
        return Market(
            pool=pool_address,
            base=base,
            usdc=usdc,
            base_is_token0=base_is_token0,
            fee=p.fee,
            tick_spacing=spacing,
            sqrt_price_x96=sqrt_price,
            tick=tick,
            token_id=token_id,
            tick_lower=lower,
            tick_upper=upper,
            block=node.block_number(),
            timestamp=start,
        )

    # --- one attack -------------------------------------------------------------------------------------

    def target_tick(self, market: Market, move: float) -> int:
        """The pool tick whose price is `move` away from the reference in the attack's direction."""
        factor = 1 - move if self.config.attack.direction == "down" else 1 + move
        base_ticks = round(math.log(factor) / LOG_TICK)
        return market.tick + (base_ticks if market.base_is_token0 else -base_ticks)

    def attack(self, market: Market, move: float) -> Attack:
        """Run one attack from the market's state (the caller snapshots and reverts around it)."""
        node, cfg = self.node, self.config
        pool_model = load_v3_pool(node, market.pool, tick_spacing=market.tick_spacing)
        if pool_model.sqrt_price_x96 != market.sqrt_price_x96:
            raise ChainError(f"pool {market.pool} is not at the reference price: is this the market's state?")
        target = self.target_tick(market, move)
        limit = get_sqrt_ratio_at_tick(target)
        before = self._balances(market, market.block)
        builder = BlockBuilder(node)  # automine off until close(); market() turns it on if this fails
        gas_used = swaps = arb_swaps = 0
        expected: dict[int, int] = {}  # timestamp -> the model's sqrt price at the block's end
        hold_blocks = self.window // self.spacing_s
        push_time = market.timestamp + self.spacing_s
        times = [push_time + j * self.spacing_s for j in range(2 * hold_blocks + 2)]
        peak_time, unwind_time = times[hold_blocks], times[hold_blocks + 1]
        reference = market.sqrt_price_x96
        edge = arbitrage_edge(reference, market.fee, below=limit < reference)
        arbitrage = cfg.attack.arbitrage and (limit < edge if limit < reference else limit > edge)
        for when in times:
            if push_time < when <= peak_time and arbitrage:
                self._queue_swap(builder, pool_model, market, ARBITRAGEUR, edge, when)
            if when <= peak_time:
                self._queue_swap(builder, pool_model, market, ATTACKER, limit, when)
            elif when == unwind_time:
                self._queue_swap(builder, pool_model, market, ATTACKER, reference, when)
            expected[when] = pool_model.sqrt_price_x96
            mined = builder.mine(when)
            if not mined:  # nothing queued: an empty block, the TWAP window sliding on
                node.rpc.call("evm_mine", [{"timestamp": when, "blocks": 1}])
                builder.timestamp = when
            for queued, receipt in mined:
                if queued.sender == ATTACKER:
                    gas_used += int(receipt["gasUsed"], 16)
                    swaps += 1
                else:
                    arb_swaps += 1
        builder.close()
        end = node.block_number()
        first = market.block
        reads = self._read_blocks(market, range(first, end + 1))
        for read in reads[1:]:
            if read.sqrt_price_x96 != expected[read.timestamp]:
                raise ChainError(
                    f"block {read.number}: the pool's price {read.sqrt_price_x96} is not the model's"
                    f" {expected[read.timestamp]}"
                )
        by_time = {r.timestamp: r.number for r in reads}
        return Attack(
            target_move=move,
            target_tick=target,
            blocks=tuple(reads),
            push_block=by_time[push_time],
            peak_block=by_time[peak_time],
            unwind_block=by_time[unwind_time],
            balances_before=before,
            balances_after=self._balances(market, end),
            attacker_gas=gas_used,
            attacker_swaps=swaps,
            arbitrage_swaps=arb_swaps,
        )

    def _queue_swap(
        self, builder: BlockBuilder, model: Pool, market: Market, who: str, limit: int, when: int
    ) -> None:
        """Queue `who`'s exact-input swap that takes the pool to `limit` exactly (sized on the model, which
        takes the swap too); nothing if the pool is already there."""
        if model.sqrt_price_x96 == limit:
            return
        zero_for_one = limit < model.sqrt_price_x96
        quote = model.quote(zero_for_one, BIG, limit)
        amount_in = quote.amount0 if zero_for_one else quote.amount1
        for _ in range(4):  # the fee's rounding can leave an exact input of that size one unit short
            if model.quote(zero_for_one, amount_in, limit).sqrt_price_x96 == limit:
                break
            amount_in += 1
        else:
            raise ChainError(f"no exact input takes pool {market.pool} to {limit}")
        model.swap(zero_for_one, amount_in, limit, timestamp=when)
        token_in, token_out = market.tokens if zero_for_one else market.tokens[::-1]
        params = (token_in, token_out, market.fee, who, DEADLINE, amount_in, 0, limit)
        builder.call(self.router, "exactInputSingle", params, sender=who, gas=SWAP_GAS)

    # --- reads ------------------------------------------------------------------------------------------

    def _balances(self, market: Market, block: int) -> tuple[int, int, int]:
        erc20 = self.node.contract("MintableERC20", market.base).interface.fn("balanceOf")
        tag = hex(block)
        calls: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": token, "data": "0x" + erc20.encode(ATTACKER).hex()}, tag])
            for token in market.tokens
        ]
        calls.append(("eth_getBalance", [ATTACKER, tag]))
        raw0, raw1, wei = self.node.rpc.batch(calls)
        return int(raw0, 16), int(raw1, 16), int(wei, 16)

    def _read_blocks(self, market: Market, numbers: range) -> list[BlockRead]:
        """observe([window, 0]), slot0 and the LP position's value at each block, in one batch."""
        pool = self.node.contract("UniswapV3Pool", market.pool)
        observe, slot0 = pool.interface.fn("observe"), pool.interface.fn("slot0")
        decrease, collect = self.npm.interface.fn("decreaseLiquidity"), self.npm.interface.fn("collect")
        liquidity = int(self.npm.call("positions", market.token_id, block=market.block)[7])
        per_block = [
            (pool.address, observe.encode([self.window, 0]), None),
            (pool.address, slot0.encode(), None),
            (self.npm.address, decrease.encode((market.token_id, liquidity, 0, 0, DEADLINE)), LP),
            (self.npm.address, collect.encode((market.token_id, LP, 2**128 - 1, 2**128 - 1)), LP),
        ]
        calls: list[tuple[str, list[Any]]] = []
        for n in numbers:
            calls.append(("eth_getBlockByNumber", [hex(n), False]))
            for to, data, sender in per_block:
                tx = {"to": to, "data": "0x" + data.hex(), **({"from": sender} if sender else {})}
                calls.append(("eth_call", [tx, hex(n)]))
        raw = self.node.rpc.batch(calls)
        reads = []
        for i, n in enumerate(numbers):
            block, obs, s0, dec, col = raw[5 * i : 5 * i + 5]
            cumulatives, _ = observe.decode(bytes.fromhex(obs[2:]))
            state = slot0.decode(bytes.fromhex(s0[2:]))
            amounts = decrease.decode(bytes.fromhex(dec[2:]))
            fees = collect.decode(bytes.fromhex(col[2:]))
            reads.append(
                BlockRead(
                    number=n,
                    timestamp=int(block["timestamp"], 16),
                    tick_cumulatives=(int(cumulatives[0]), int(cumulatives[1])),
                    twap_tick=mean_tick(cumulatives, self.window),
                    sqrt_price_x96=int(state[0]),
                    tick=int(state[1]),
                    lp_amounts=(int(amounts[0]), int(amounts[1])),
                    lp_fees=(int(fees[0]), int(fees[1])),
                )
            )
        return reads
