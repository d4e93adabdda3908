"""A week of seeded market history, traded through the real routers, one block a step.

Reference prices follow correlated GBMs (ETH, BTC) and mean-reverting stables. In each block an
arbitrageur moves every pool whose price left its no-trade band back to the band's edge (the model of
Milionis, Moallemi, Roughgarden 2023), uninformed traders swap random lognormal sizes, and now and then an
LP re-centres a position. The result is real Swap/Mint/Burn logs, fee growth and oracle data for the
analytics to read.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from amm.chain.devnet.blocks import BlockBuilder
from amm.chain.devnet.deploy import CoreContracts
from amm.chain.devnet.liquidity import STABLE, VOLATILE, amounts_for_value, gauss, plan_range, price_tick
from amm.chain.devnet.spec import POOLS, STABLES, TOKENS, HistorySpec, PoolSpec
from amm.chain.node import Node

DEADLINE = 2**32 - 1
BIG_AMOUNT = 10**30  # exact-input arbitrage stops at its price limit long before this
SWAP_GAS = 1_500_000
MINT_GAS = 1_000_000
SECONDS_PER_YEAR = 365 * 86400


def reference_prices(spec: HistorySpec, seed: int) -> Iterator[dict[str, float]]:
    """USD prices per step: correlated GBM for ETH and BTC, Ornstein-Uhlenbeck deviations for stables."""
    rng = random.Random(f"{seed}:market")
    dt_years = spec.step_seconds / SECONDS_PER_YEAR
    dt_days = spec.step_seconds / 86400
    log_eth, log_btc = math.log(TOKENS["WETH"].usd), math.log(TOKENS["WBTC"].usd)
    stable_dev = dict.fromkeys(sorted(STABLES), 0.0)  # sorted: a set's order changes with PYTHONHASHSEED
    rho = spec.eth_btc_corr
    for _ in range(spec.steps):
        z1, z2 = gauss(rng), gauss(rng)
        log_eth += -0.5 * spec.eth_vol**2 * dt_years + spec.eth_vol * math.sqrt(dt_years) * z1
        z_btc = rho * z1 + math.sqrt(1 - rho**2) * z2
        log_btc += -0.5 * spec.btc_vol**2 * dt_years + spec.btc_vol * math.sqrt(dt_years) * z_btc
        for symbol in stable_dev:
            keep = math.exp(-spec.stable_reversion_per_day * dt_days)
            shock = spec.stable_vol_daily * math.sqrt(dt_days) * gauss(rng)
            stable_dev[symbol] = stable_dev[symbol] * keep + shock
        prices = {s: math.exp(d) for s, d in stable_dev.items()}
        prices["WETH"], prices["WBTC"] = math.exp(log_eth), math.exp(log_btc)
        yield prices


@dataclass
class LivePosition:
    token_id: int
    owner: str
    liquidity: int


@dataclass
class History:
    """Drives the trades; `positions` tracks NFT ids so LPs can later burn what they minted."""

    node: Node
    core: CoreContracts
    trader: str
    lps: list[str]
    spec: HistorySpec
    seed: int
    positions: dict[str, list[LivePosition]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}:trades")
        self.swap_router = self.node.contract("SwapRouter", self.core.swap_router)
        self.v2_router = self.node.contract("UniswapV2Router02", self.core.v2_router02)
        self.npm = self.node.contract("NonfungiblePositionManager", self.core.position_manager)
        self._slot0 = self.node.contract("UniswapV3Pool", POOLS[0].address).interface.fn("slot0")
        self._reserves = self.node.contract("UniswapV2Pair", POOLS[-1].address).interface.fn("getReserves")
        self._reserves_seen: dict[str, tuple[float, float]] = {}

    def run(
        self, builder: BlockBuilder, start: int, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Trade every step; returns the timestamp of the last block."""
        timestamp = start
        for step, usd in enumerate(reference_prices(self.spec, self.seed)):
            timestamp = start + step * self.spec.step_seconds
            current = self._pool_prices()
            for pool in POOLS:
                self._arbitrage(builder, pool, current[pool.name], pool.raw_price(usd))
                if self.rng.random() < self.spec.noise_trade_probability:
                    self._noise_trade(builder, pool, usd)
            if step % self.spec.lp_churn_every_steps == self.spec.lp_churn_every_steps - 1:
                self._churn(builder, current)
            self.record(builder.mine(timestamp))
            if progress is not None:
                progress(step + 1, self.spec.steps)
        return timestamp

    def record(self, mined: list) -> None:
        """Remember newly minted NFTs from IncreaseLiquidity events of position-manager mints."""
        for queued, receipt in mined:
            if queued.label.startswith("mint "):
                pool_name = queued.label.removeprefix("mint ")
                for event in self.npm.events(receipt, "IncreaseLiquidity"):
                    owner = queued.sender
                    live = LivePosition(event["tokenId"], owner, event["liquidity"])
                    self.positions.setdefault(pool_name, []).append(live)

    # market reads -------------------------------------------------------------------------------------------
    def _pool_prices(self) -> dict[str, float]:
        calls = []
        for pool in POOLS:
            fn = self._slot0 if pool.kind == "v3" else self._reserves
            calls.append(("eth_call", [{"to": pool.address, "data": "0x" + fn.encode().hex()}, "latest"]))
        prices = {}
        for pool, raw in zip(POOLS, self.node.rpc.batch(calls), strict=True):
            words = bytes.fromhex(raw[2:])
            if pool.kind == "v3":
                prices[pool.name] = (int.from_bytes(words[:32], "big") / 2**96) ** 2
            else:
                reserve0, reserve1 = int.from_bytes(words[:32], "big"), int.from_bytes(words[32:64], "big")
                self._reserves_seen[pool.name] = (float(reserve0), float(reserve1))
                prices[pool.name] = reserve1 / reserve0
        return prices

    # trades -------------------------------------------------------------------------------------------------
    def _arbitrage(self, builder: BlockBuilder, pool: PoolSpec, price: float, target: float) -> None:
        gamma = pool.fee / 1e6
        if price < target * (1 - gamma):  # pool too cheap: buy token0 with token1 up to the band's edge
            edge, zero_for_one = target * (1 - gamma), False
        elif price > target / (1 - gamma):
            edge, zero_for_one = target / (1 - gamma), True
        else:
            return
        if pool.kind == "v3":
            limit = int(math.sqrt(edge) * 2**96)
            self._v3_swap(builder, pool, zero_for_one, BIG_AMOUNT, limit=limit, why="arbitrage")
        else:
            amount_in = _v2_amount_to_price(self._reserves_seen[pool.name], price, edge, zero_for_one)
            if amount_in > 0:
                self._v2_swap(builder, pool, zero_for_one, amount_in, "arbitrage")

    def _noise_trade(self, builder: BlockBuilder, pool: PoolSpec, usd: dict[str, float]) -> None:
        zero_for_one = self.rng.random() < 0.5
        token_in = pool.token0 if zero_for_one else pool.token1
        size_usd = pool.noise_usd * math.exp(1.0 * gauss(self.rng))
        amount_in = int(size_usd / usd[token_in.symbol] * 10**token_in.decimals)
        if pool.kind == "v3":
            self._v3_swap(builder, pool, zero_for_one, amount_in, limit=0, why="noise")
        else:
            self._v2_swap(builder, pool, zero_for_one, amount_in, "noise")

    def _v3_swap(
        self,
        builder: BlockBuilder,
        pool: PoolSpec,
        zero_for_one: bool,
        amount_in: int,
        *,
        limit: int,
        why: str,
    ) -> None:
        token_in, token_out = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
        params = (token_in.address, token_out.address, pool.fee, self.trader, DEADLINE, amount_in, 0, limit)
        builder.call(
            self.swap_router,
            "exactInputSingle",
            params,
            sender=self.trader,
            gas=SWAP_GAS,
            label=f"{why} {pool.name}",
        )

    def _v2_swap(
        self, builder: BlockBuilder, pool: PoolSpec, zero_for_one: bool, amount_in: int, why: str
    ) -> None:
        path = [pool.token0.address, pool.token1.address]
        if not zero_for_one:
            path.reverse()
        builder.call(
            self.v2_router,
            "swapExactTokensForTokens",
            amount_in,
            0,
            path,
            self.trader,
            DEADLINE,
            sender=self.trader,
            gas=SWAP_GAS,
            label=f"{why} {pool.name}",
        )

    # LPs ----------------------------------------------------------------------------------------------------
    def _churn(self, builder: BlockBuilder, prices: dict[str, float]) -> None:
        """Some LPs burn a position; others open one around the current price."""
        for pool in POOLS:
            if pool.kind != "v3":
                continue
            live = self.positions.get(pool.name, [])
            if live and self.rng.random() < 0.35:
                position = live.pop(self.rng.randrange(len(live)))
                self._burn(builder, pool, position)
            if self.rng.random() < 0.5:
                self.mint(builder, pool, prices[pool.name], value_usd=pool.tvl_usd / pool.positions)

    def mint(self, builder: BlockBuilder, pool: PoolSpec, raw_price: float, value_usd: float) -> None:
        mix = STABLE if pool.stable else VOLATILE
        lower, upper, _ = plan_range(self.rng, mix, price_tick(raw_price), pool.tick_spacing)
        usd_per_raw1 = TOKENS[pool.symbol1].usd / 10**pool.token1.decimals
        # the block's arbitrage may move the price before this mint lands: desire enough of both tokens for
        # any price within a few percent, as a real LP would (the position manager takes what the price needs)
        amounts = [
            amounts_for_value(raw_price * shift, lower, upper, value_usd / usd_per_raw1)
            for shift in (0.97, 1, 1.03)
        ]
        amount0, amount1 = max(a[0] for a in amounts), max(a[1] for a in amounts)
        owner = self.lps[self.rng.randrange(len(self.lps))]
        self.mint_exact(builder, pool, owner, ticks=(lower, upper), amounts=(amount0, amount1))

    def mint_exact(
        self,
        builder: BlockBuilder,
        pool: PoolSpec,
        owner: str,
        *,
        ticks: tuple[int, int],
        amounts: tuple[int, int],
    ) -> None:
        tokens = (pool.token0.address, pool.token1.address)
        params = (*tokens, pool.fee, *ticks, *amounts, 0, 0, owner, DEADLINE)
        builder.call(self.npm, "mint", params, sender=owner, gas=MINT_GAS, label=f"mint {pool.name}")

    def _burn(self, builder: BlockBuilder, pool: PoolSpec, position: LivePosition) -> None:
        decrease = (position.token_id, position.liquidity, 0, 0, DEADLINE)
        builder.call(self.npm, "decreaseLiquidity", decrease, sender=position.owner, gas=400_000)
        collect = (position.token_id, position.owner, 2**128 - 1, 2**128 - 1)
        builder.call(self.npm, "collect", collect, sender=position.owner, gas=300_000)


def _v2_amount_to_price(
    reserves: tuple[float, float], price: float, target: float, zero_for_one: bool
) -> int:
    """Input that moves a constant-product pair (0.3% fee) from `price` to `target` (token1 per token0).

    Solves (r_in + a)(r_in + 0.997a) = r_in^2 * ratio for the input a, where ratio is the factor by which
    the input-side reserve share must grow.
    """
    reserve0, reserve1 = reserves
    if zero_for_one:  # selling token0 pushes the price down
        r_in, ratio = reserve0, price / target
    else:
        r_in, ratio = reserve1, target / price
    if ratio <= 1:
        return 0
    a, b, c = 0.997, 1.997 * r_in, r_in * r_in * (1 - ratio)
    return int((-b + math.sqrt(b * b - 4 * a * c)) / (2 * a))
