"""The pools the books trade on, as exact models: a small mainnet-shaped universe (WETH/USDC at 0.05% and
0.3% and a v2 pair, WBTC/USDC and WBTC/WETH at 0.3%), the arbitrageur who keeps them on the market,
third-party LPs who leave, and the router's slippage as a liquidity gauge.

Why exact models and an explicit arbitrageur: what an LP loses in a crash is what arbitrageurs take from its
pool (LVR), and what a solver pays is the price the pools are left at; both come from the contracts'
arithmetic (`amm.v3.pool.Pool.swap` to a price limit, `amm.v2.pair.Pair`), not from a formula. Tokens carry
their mainnet addresses so the router and the JIT planner recognise WETH and price gas by themselves.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from amm.chain import addresses as mainnet
from amm.v2.pair import ZERO_ADDRESS, Pair
from amm.v3.constants import MAX_UINT128
from amm.v3.pool import Pool
from amm.v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from solver.routing.router import Router
from solver.routing.synthetic import v2_pair, v3_pool
from solver.routing.universe import PoolRef, Token, Universe

TOKENS = (
    Token(mainnet.USDC, "USDC", 6),
    Token(mainnet.WETH, "WETH", 18),
    Token(mainnet.WBTC, "WBTC", 8),
)
ARB_GAS_UNITS = 130_000  # one arbitrage swap through a contract, about what a single v3/v2 hop costs
_HUGE = 2**200  # an exact-input amount no pool can absorb: the price limit stops the swap


@dataclass(frozen=True)
class PoolsConfig:
    """The `[pools]` table: each pool's TVL in USD (0 leaves it out), random third-party positions per v3
    pool, and the seed of their placement (the same universe for every path)."""

    weth_usdc_500: float = 30e6
    weth_usdc_3000: float = 10e6
    weth_usdc_v2: float = 5e6
    wbtc_usdc_3000: float = 10e6
    wbtc_weth_3000: float = 5e6
    positions: int = 8
    seed: int = 7

    def __post_init__(self) -> None:
        tvls = (self.weth_usdc_500, self.weth_usdc_3000, self.weth_usdc_v2, self.wbtc_usdc_3000)
        if min(*tvls, self.wbtc_weth_3000) < 0 or self.positions < 1:
            raise ValueError("TVLs must be >= 0 and positions >= 1")


def build_universe(config: PoolsConfig, prices: Mapping[str, float]) -> Universe:
    """The pools at `prices` (USD by symbol), each inside its fee band around them; third-party positions
    are owned by "lp0", "lp1", ... (a full-range one first, as most pools have), a v2 pair's LP tokens
    (but the locked minimum) by "lp0"."""
    rng = random.Random(config.seed)
    by_symbol = {t.symbol: t for t in TOKENS}
    models: list[Pool | Pair] = []
    specs = (
        ("WETH", "USDC", 500, config.weth_usdc_500),
        ("WETH", "USDC", 3000, config.weth_usdc_3000),
        ("WETH", "USDC", 0, config.weth_usdc_v2),
        ("WBTC", "USDC", 3000, config.wbtc_usdc_3000),
        ("WBTC", "WETH", 3000, config.wbtc_weth_3000),
    )
    for a, b, fee, tvl in specs:
        if tvl <= 0:
            continue
        t0, t1 = sorted((by_symbol[a], by_symbol[b]), key=lambda t: int(t.address, 16))
        p0, p1 = prices[t0.symbol], prices[t1.symbol]
        if fee:
            address = mainnet.v3_pool_address(t0.address, t1.address, fee)
            models.append(v3_pool(rng, t0, t1, p0, p1, fee, tvl, config.positions, address))
        else:
            address = mainnet.v2_pair_address(t0.address, t1.address)
            pair = v2_pair(rng, t0, t1, p0, p1, tvl, address)
            pair.balance_of["lp0"] = pair.total_supply - sum(pair.balance_of.values())  # who minted it
            models.append(pair)
    return Universe.from_models(models, TOKENS)


def v3_pool_ref(universe: Universe, a: str, b: str, fee: int) -> PoolRef:
    """The v3 pool between two symbols at one fee tier."""
    ta, tb = universe.token(a), universe.token(b)
    for ref in universe.pools_between(ta.address, tb.address):
        if ref.kind == "v3" and ref.fee == fee:
            return ref
    raise KeyError(f"no v3 {a}/{b} pool at fee {fee} in this universe")


def raw_price(universe: Universe, ref: PoolRef, prices: Mapping[str, float]) -> float:
    """The market price as the pool quotes it: raw token1 per raw token0."""
    t0, t1 = universe.tokens[ref.token0.lower()], universe.tokens[ref.token1.lower()]
    return prices[t0.symbol] / prices[t1.symbol] * 10 ** (t1.decimals - t0.decimals)


def usd(universe: Universe, token: str, raw: int, prices: Mapping[str, float]) -> float:
    """A raw amount of `token` (address) in USD at `prices`."""
    t = universe.tokens[token.lower()]
    return raw / 10**t.decimals * prices[t.symbol]


@dataclass(frozen=True)
class PoolArb:
    """One arbitrage swap: the arbitrageur paid `amount_in` of `token_in` and got `amount_out`."""

    pool: str
    name: str
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    fees_usd: float  # the pool fee on the input, paid to the pool's LPs (float: reporting)
    profit_usd: float  # at market prices, before gas: what the pool's LPs lost to it (their LVR)
    gas_usd: float


@dataclass
class ArbResult:
    """The arbitrage of one step, per pool address (pools already on the market are absent)."""

    time_s: float
    trades: dict[str, PoolArb] = field(default_factory=dict)

    @property
    def profit_usd(self) -> float:
        return sum(t.profit_usd for t in self.trades.values())

    @property
    def fees_usd(self) -> float:
        return sum(t.fees_usd for t in self.trades.values())


def arbitrage(
    universe: Universe, prices: Mapping[str, float], time_s: float, *, gas_usd: float = 0.0
) -> ArbResult:
    """Move every pool to the market with one exact swap each, up to the edge of its fee band (beyond it
    the fee makes the next unit unprofitable); a trade whose profit at market prices would not beat
    `gas_usd` (its gas) is not made, so the arbitrageur never loses. Changed models stay consistent with the
    universe (curves dropped, version bumped) as `solver.backtest` keeps them."""
    result = ArbResult(time_s)
    stamp = int(time_s)
    for ref in universe.pools:
        target = raw_price(universe, ref, prices)
        if isinstance(ref.model, Pool):
            trade = _v3_trade(universe, ref, ref.model, target, prices)
        else:
            trade = _v2_trade(universe, ref, ref.model, target, prices)
        if trade is None:
            continue
        zero_for_one, amount_in, amount_out, profit = trade
        if profit <= gas_usd:
            continue
        model = ref.model
        if isinstance(model, Pool):
            limit = _v3_limit(model, target, zero_for_one)
            a0, a1 = model.swap(zero_for_one, _HUGE, limit, timestamp=max(stamp, model.timestamp))
            done = (a0, -a1) if zero_for_one else (a1, -a0)
            assert done == (amount_in, amount_out), "the swap differs from its quote"
        else:
            got = model.swap_exact_in(amount_in, zero_for_one, timestamp=max(stamp, model.timestamp))
            assert got == amount_out
        universe.replace_model(ref.address, model)
        token_in, token_out = (ref.token0, ref.token1) if zero_for_one else (ref.token1, ref.token0)
        fee = ref.fee / 1e6
        result.trades[ref.address] = PoolArb(
            ref.address,
            ref.name,
            token_in,
            token_out,
            amount_in,
            amount_out,
            usd(universe, token_in, amount_in, prices) * fee,
            profit,
            gas_usd,
        )
    return result


def _v3_limit(pool: Pool, target: float, zero_for_one: bool) -> int:
    """The sqrt price (Q96) at the edge of the fee band around `target` on the arbitrageur's side."""
    keep = 1 - pool.fee / 1e6
    edge = target / keep if zero_for_one else target * keep
    limit = int(math.sqrt(edge) * 2**96)
    return min(max(limit, MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)


def _v3_trade(
    universe: Universe, ref: PoolRef, pool: Pool, target: float, prices: Mapping[str, float]
) -> tuple[bool, int, int, float] | None:
    """(zero_for_one, amount in, amount out, profit USD) of the swap to the fee band's edge, quoted exactly;
    None when the pool is inside the band."""
    for zero_for_one in (True, False):
        limit = _v3_limit(pool, target, zero_for_one)
        if limit >= pool.sqrt_price_x96 if zero_for_one else limit <= pool.sqrt_price_x96:
            continue  # the price is already on this side of the band's edge
        q = pool.quote(zero_for_one, _HUGE, limit)
        amount_in, amount_out = (q.amount0, -q.amount1) if zero_for_one else (q.amount1, -q.amount0)
        if amount_in <= 0 or amount_out <= 0:
            return None
        token_in, token_out = (ref.token0, ref.token1) if zero_for_one else (ref.token1, ref.token0)
        profit = usd(universe, token_out, amount_out, prices) - usd(universe, token_in, amount_in, prices)
        return zero_for_one, amount_in, amount_out, profit
    return None


def _v2_trade(
    universe: Universe, ref: PoolRef, pair: Pair, target: float, prices: Mapping[str, float]
) -> tuple[bool, int, int, float] | None:
    """The v2 pair's profit-maximising input (the marginal output after the 0.3% fee equals the market
    price), computed in floats, then quoted exactly with `getAmountOut`."""
    r0, r1 = pair.reserve0, pair.reserve1
    if r0 <= 0 or r1 <= 0:
        return None
    gamma = 0.997
    if r1 / r0 * gamma > target:  # token0 buys more token1 in the pair than on the market: sell token0
        zero_for_one = True
        x = (math.sqrt(gamma * r0 * r1 / target) - r0) / gamma
    elif r1 / r0 < target * gamma:
        zero_for_one = False
        x = (math.sqrt(gamma * r0 * r1 * target) - r1) / gamma
    else:
        return None
    amount_in = int(x)
    if amount_in <= 0:
        return None
    amount_out = pair.get_amount_out(amount_in, zero_for_one)
    if amount_out <= 0:
        return None
    token_in, token_out = (ref.token0, ref.token1) if zero_for_one else (ref.token1, ref.token0)
    profit = usd(universe, token_out, amount_out, prices) - usd(universe, token_in, amount_in, prices)
    return zero_for_one, amount_in, amount_out, profit


def withdraw(universe: Universe, share: float, keep_owner: Hashable, time_s: float = 0.0) -> dict[str, int]:
    """Third-party LPs burn `share` of each v3 position's liquidity (rounded down, exact `Pool.burn` and
    `collect`) and of each v2 holder's LP tokens; `keep_owner`'s positions and the v2 pair's locked minimum
    stay. Returns the liquidity (v3) or LP tokens (v2) burnt per pool address."""
    fraction = Fraction(share)
    stamp = int(time_s)
    burnt: dict[str, int] = {}
    if fraction <= 0:
        return burnt
    for ref in universe.pools:
        model, total = ref.model, 0
        if isinstance(model, Pool):
            for owner, lower, upper in list(model.positions):
                info = model.positions[(owner, lower, upper)]
                amount = int(info.liquidity * fraction)
                if owner == keep_owner or amount <= 0:
                    continue
                model.burn(owner, lower, upper, amount, timestamp=max(stamp, model.timestamp))
                model.collect(owner, lower, upper, MAX_UINT128, MAX_UINT128)
                total += amount
        else:
            for holder, balance in list(model.balance_of.items()):
                amount = int(balance * fraction)
                if holder in (keep_owner, ZERO_ADDRESS) or amount <= 0:
                    continue
                model.burn(holder, amount, timestamp=max(stamp, model.timestamp))
                total += amount
        if total:
            universe.replace_model(ref.address, model)
            burnt[ref.address] = total
    return burnt


def reference_slippage(
    universe: Universe,
    router: Router,
    size_usd: float,
    prices: Mapping[str, float],
    gas_price_wei: int = 0,
) -> float:
    """The router's price for selling `size_usd` of WETH for USDC against the market price, in bp (positive:
    worse than the market); a gauge of how much liquidity is left. Gas is not in the price."""
    weth, usdc = universe.token("WETH"), universe.token("USDC")
    amount = int(size_usd / prices["WETH"] * 10**weth.decimals)
    route = router.route("WETH", "USDC", amount, gas_price_wei=gas_price_wei, eth_price=prices["WETH"])
    executed = (route.amount_out / 10**usdc.decimals) / (route.amount_in / 10**weth.decimals)
    market = prices["WETH"] / prices["USDC"]
    return (1 - executed / market) * 10_000


def positions_in_range(universe: Universe, keep_owner: Hashable) -> tuple[int, int]:
    """Third-party v3 positions with liquidity (every pool), and how many of them the current price is
    inside (tick_lower <= tick < tick_upper, where a position earns fees): after a crash or a withdrawal,
    how much of the market's liquidity is still working."""
    live = working = 0
    for ref in universe.pools:
        model = ref.model
        if not isinstance(model, Pool):
            continue
        for (owner, lower, upper), info in model.positions.items():
            if owner == keep_owner or info.liquidity == 0:
                continue
            live += 1
            working += lower <= model.tick < upper
    return working, live
