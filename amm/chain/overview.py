"""A one-batch overview of pools: pair, fee, price, active liquidity, balances and TVL.

Token symbols and decimals are read from the chain, not from our spec, so the same code describes the
built-in chain and a mainnet fork. USD values anchor USDC, USDT and DAI at $1 and price every other token
through the deepest pool that connects it to an already priced one; they are estimates and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.spec import PoolSpec
from amm.chain.node import Node

USD_ANCHORS = {mainnet.USDC.lower(), mainnet.USDT.lower(), mainnet.DAI.lower()}


@dataclass(frozen=True)
class TokenInfo:
    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class PoolOverview:
    name: str
    kind: str  # "v3" or "v2"
    address: str
    token0: TokenInfo
    token1: TokenInfo
    fee: int  # v3: hundredths of a bip; v2: 3000
    sqrt_price_x96: int  # v2: derived from reserves, for comparison only
    tick: int | None
    liquidity: int  # v3: active liquidity; v2: sqrt(reserve0 * reserve1)
    balance0: int  # tokens the pool holds (v2: reserves)
    balance1: int
    usd0: float | None = None  # USD per whole token, if it could be priced
    usd1: float | None = None

    @property
    def price(self) -> float:
        """token1 per token0, in whole tokens."""
        raw = (self.sqrt_price_x96 / 2**96) ** 2
        return raw * 10 ** (self.token0.decimals - self.token1.decimals)

    @property
    def tvl_usd(self) -> float | None:
        if self.usd0 is None or self.usd1 is None:
            return None
        amount0 = self.balance0 / 10**self.token0.decimals
        amount1 = self.balance1 / 10**self.token1.decimals
        return amount0 * self.usd0 + amount1 * self.usd1

    def price_text(self) -> str:
        """The price the readable way round: '3,001.2 USDC/WETH' (USDC per WETH), not '0.000333 WETH/USDC'."""
        price, quote, base = self.quote_per_base()
        return f"{price:,.6g} {quote}/{base}"

    def quote_per_base(self) -> tuple[float, str, str]:
        """(price, quote symbol, base symbol), the readable way round, as every table and JSON shows it."""
        price = self.price
        if price >= 1:
            return price, self.token1.symbol, self.token0.symbol
        return 1 / price, self.token0.symbol, self.token1.symbol

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: on-chain integers as decimal strings (exact), the rest as numbers; the price quote per
        base, as the table shows it, with its unit."""
        price, quote, base = self.quote_per_base()
        return {
            "name": self.name,
            "kind": self.kind,
            "address": self.address,
            "token0": asdict(self.token0),
            "token1": asdict(self.token1),
            "fee": self.fee,
            "sqrt_price_x96": str(self.sqrt_price_x96),
            "tick": self.tick,
            "liquidity": str(self.liquidity),
            "balance0": str(self.balance0),
            "balance1": str(self.balance1),
            "price": price,
            "price_unit": f"{quote}/{base}",
            "tvl_usd": self.tvl_usd,
        }


def _word(raw: str, index: int, signed: bool = False) -> int:
    data = bytes.fromhex(raw[2:])
    return int.from_bytes(data[32 * index : 32 * index + 32], "big", signed=signed)


def read_tokens(node: Node, addresses: Sequence[str]) -> dict[str, TokenInfo]:
    erc20 = artifacts.interface("MintableERC20")
    unique = list(dict.fromkeys(a.lower() for a in addresses))
    calls = [
        ("eth_call", [{"to": a, "data": "0x" + erc20.encode(fn).hex()}, "latest"])
        for a in unique
        for fn in ("symbol", "decimals")
    ]
    raw = node.rpc.batch(calls)
    out = {}
    for i, address in enumerate(unique):
        symbol = erc20.decode("symbol", bytes.fromhex(raw[2 * i][2:]))
        out[address] = TokenInfo(address, str(symbol), _word(raw[2 * i + 1], 0))
    return out


def read_overview(node: Node, pools: Sequence[PoolSpec]) -> tuple[list[PoolOverview], list[str]]:
    """Overviews of the pools that exist on this chain, and the names of those that do not."""
    codes = node.rpc.batch([("eth_getCode", [p.address, "latest"]) for p in pools])
    present = [p for p, code in zip(pools, codes, strict=True) if code not in ("0x", "0x0", None)]
    missing = [p.name for p in pools if p not in present]
    v3 = artifacts.interface("UniswapV3Pool")
    v2 = artifacts.interface("UniswapV2Pair")
    erc20 = artifacts.interface("MintableERC20")
    calls: list[tuple[str, list[Any]]] = []
    for p in present:
        owner = p.address
        if p.kind == "v3":
            for fn in ("slot0", "liquidity", "token0", "token1"):
                calls.append(("eth_call", [{"to": owner, "data": "0x" + v3.encode(fn).hex()}, "latest"]))
            for token in (p.token0.address, p.token1.address):
                data = "0x" + erc20.encode("balanceOf", owner).hex()
                calls.append(("eth_call", [{"to": token, "data": data}, "latest"]))
        else:
            for fn in ("getReserves", "token0", "token1"):
                calls.append(("eth_call", [{"to": owner, "data": "0x" + v2.encode(fn).hex()}, "latest"]))
    raw = node.rpc.batch(calls)
    tokens = read_tokens(node, [t for p in present for t in (p.token0.address, p.token1.address)])
    out, i = [], 0
    for p in present:
        t0, t1 = tokens[p.token0.address.lower()], tokens[p.token1.address.lower()]
        if p.kind == "v3":
            sqrt_price, tick = _word(raw[i], 0), _word(raw[i], 1, signed=True)
            liquidity, b0, b1 = _word(raw[i + 1], 0), _word(raw[i + 4], 0), _word(raw[i + 5], 0)
            i += 6
        else:
            b0, b1 = _word(raw[i], 0), _word(raw[i], 1)
            liquidity = int((b0 * b1) ** 0.5) if b0 and b1 else 0
            sqrt_price = int((b1 / b0) ** 0.5 * 2**96) if b0 else 0
            tick = None
            i += 3
        out.append(
            PoolOverview(p.name, p.kind, p.address, t0, t1, p.fee, sqrt_price, tick, liquidity, b0, b1)
        )
    return with_usd_prices(out), missing


def with_usd_prices(pools: list[PoolOverview]) -> list[PoolOverview]:
    """Attach USD prices: stables at $1, others through the deepest pool to an already priced token."""
    usd: dict[str, float] = {a: 1.0 for a in USD_ANCHORS}
    for _ in range(3):  # a few passes reach tokens two hops from a stable
        best: dict[str, tuple[float, float]] = {}  # token -> (depth in USD, price)
        for p in pools:
            a0, a1 = p.token0.address.lower(), p.token1.address.lower()
            for known, unknown, value in ((a1, a0, p.price), (a0, a1, 1 / p.price if p.price else 0.0)):
                if known in usd and unknown not in usd and value:
                    decimals = p.token1.decimals if known == a1 else p.token0.decimals
                    held = p.balance1 if known == a1 else p.balance0
                    depth = held / 10**decimals * usd[known]
                    if depth > best.get(unknown, (-1.0, 0.0))[0]:
                        best[unknown] = (depth, value * usd[known])
        if not best:
            break
        usd.update({token: price for token, (_, price) in best.items()})
    return [
        replace(p, usd0=usd.get(p.token0.address.lower()), usd1=usd.get(p.token1.address.lower()))
        for p in pools
    ]
