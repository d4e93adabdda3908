"""Fair value of each token in a numeraire: from the pools' own state, or from an external price stream.

From pools: a token's price comes from the deepest path to the numeraire: its direct pools, or its pools to a
hub (WETH by default) times the hub's price. A path's depth is that of its thinnest side (numeraire on the
books near the price). On a path, the pools' mids (exact pool state: sqrtPriceX96 for v3, reserves for v2,
before fees, via `solver.routing.prices`) are averaged in log space weighted by depth, so that pricing A in B
and B in A agree; pools thinner than `min_depth_share` of the deepest are ignored (a dust pool's price is
stale). Only the deepest path counts, not a blend: a second path adds a second fee band of noise.

From a stream: a CSV file (timestamp, token, price: the latest row at or before the block's timestamp wins),
a callable, or an http(s) URL returning JSON {symbol: price}.

Both answer `price(token)` (numeraire per whole token) and `prices()` ({symbol: price}), refreshed by
`update(source, block, timestamp)` once per block.
"""

from __future__ import annotations

import bisect
import csv
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from solver.routing.errors import UnknownToken
from solver.routing.prices import depth, mid_rate
from solver.routing.universe import PoolRef, Token, Universe


class PriceError(ValueError):
    """No usable price: an unknown token, or a stream that sent bad data (the message is one line)."""


@dataclass(frozen=True)
class PathPrice:
    """One way of pricing a token: its pools' liquidity-weighted mid and its bottleneck depth (numeraire)."""

    via: str | None  # the hub's symbol, or None for pools straight to the numeraire
    price: float  # numeraire per whole token
    depth: float  # numeraire on the books near the price, on the path's thinnest side


class FairValue(ABC):
    """Prices in a numeraire, per whole token, refreshed each block."""

    def __init__(self, numeraire: str = "USDC", tokens: Iterable[Token] = ()) -> None:
        self.numeraire = numeraire
        self.block: int | None = None
        self.timestamp: float | None = None
        self._prices: dict[str, float] = {}  # by symbol as the source spells it
        self._tokens: dict[str, Token] = {}  # by symbol
        self._aliases: dict[str, str] = {}  # lower-case symbol or address -> symbol
        self._learn(tokens)

    @abstractmethod
    def update(self, source: Any, block: int | None, timestamp: float) -> dict[str, float]:
        """Refresh the prices for a new block; returns `prices()`."""

    def symbol(self, token: str | Token) -> str:
        """The symbol under which a token is priced, from a Token, a symbol or an address."""
        name = token.symbol if isinstance(token, Token) else token
        key = name.strip().lower()
        if key in self._aliases:
            return self._aliases[key]
        known = ", ".join(sorted(self._prices)) or "nothing yet"
        raise PriceError(f"no fair value for {name!r}: priced are {known}")

    def price(self, token: str | Token) -> float:
        """Numeraire per whole token."""
        symbol = self.symbol(token)
        if symbol not in self._prices:
            known = ", ".join(sorted(self._prices)) or "nothing yet"
            raise PriceError(f"no fair value for {symbol!r}: priced are {known}")
        return self._prices[symbol]

    def prices(self) -> dict[str, float]:
        return dict(self._prices)

    def token(self, token: str | Token) -> Token:
        """The token's metadata (decimals), when this fair value knows it."""
        symbol = self.symbol(token)
        if symbol not in self._tokens:
            raise PriceError(f"decimals of {symbol!r} are unknown here: give the stream its tokens")
        return self._tokens[symbol]

    def value(self, token: str | Token, raw_amount: int) -> float:
        """Numeraire value of a raw token amount at fair value."""
        return raw_amount / 10 ** self.token(token).decimals * self.price(token)

    def _learn(self, tokens: Iterable[Token]) -> None:
        for t in tokens:
            self._tokens[t.symbol] = t
            self._aliases[t.symbol.lower()] = t.symbol
            self._aliases[t.address.lower()] = t.symbol

    def _set(self, prices: Mapping[str, float], block: int | None, timestamp: float) -> dict[str, float]:
        self._prices = dict(prices)
        for symbol in self._prices:
            self._aliases.setdefault(symbol.lower(), symbol)
        self.block, self.timestamp = block, timestamp
        return self.prices()


class FairValueFromPools(FairValue):
    """Liquidity-weighted mids of the deepest pools, through hubs where there is no direct pool."""

    def __init__(
        self,
        numeraire: str = "USDC",
        hubs: Iterable[str] = ("WETH",),
        *,
        min_depth_share: float = 0.01,
        tokens: Iterable[Token] = (),
    ) -> None:
        super().__init__(numeraire, tokens)
        self.hubs = tuple(hubs)
        self.min_depth_share = min_depth_share
        self.paths: dict[str, list[PathPrice]] = {}  # by symbol: how each price was made (for display)

    def update(
        self, source: Universe | Iterable[PoolRef], block: int | None = None, timestamp: float = 0.0
    ) -> dict[str, float]:
        """Price every token reachable from the numeraire in one or two pools. `source` is a Universe, or
        pools whose tokens were given to the constructor."""
        universe = source if isinstance(source, Universe) else self._universe(source)
        self._learn(universe.tokens.values())
        numeraire = universe.token(self.numeraire)
        prices: dict[str, float] = {numeraire.symbol: 1.0}
        paths: dict[str, list[PathPrice]] = {}
        direct: dict[str, PathPrice] = {}
        for token in universe.tokens.values():
            if token.address.lower() != numeraire.address.lower():
                path = self._pools_price(universe, token, numeraire, 1.0, None)
                if path is not None:
                    direct[token.symbol] = path
        hubs = [hub for hub in map(universe.tokens.get, self._hub_addresses(universe)) if hub is not None]
        for token in universe.tokens.values():
            if token.address.lower() == numeraire.address.lower():
                continue
            candidates = [direct[token.symbol]] if token.symbol in direct else []
            for hub in hubs:
                if hub.address.lower() == token.address.lower() or hub.symbol not in direct:
                    continue
                leg = self._pools_price(universe, token, hub, direct[hub.symbol].price, hub.symbol)
                if leg is not None:  # as deep as the thinner of its two legs
                    candidates.append(
                        PathPrice(hub.symbol, leg.price, min(leg.depth, direct[hub.symbol].depth))
                    )
            if candidates:
                deepest = max(candidates, key=lambda p: p.depth)
                prices[token.symbol] = deepest.price
                paths[token.symbol] = sorted(candidates, key=lambda p: -p.depth)
        self.paths = paths
        return self._set(prices, block if block is not None else universe.block, timestamp)

    def _pools_price(
        self, universe: Universe, token: Token, quote: Token, quote_price: float, via: str | None
    ) -> PathPrice | None:
        """`token` priced in the numeraire over its pools with `quote` (worth `quote_price` each)."""
        legs: list[PathPrice] = []
        for pool in universe.pools_between(token.address, quote.address):
            if not pool.has_liquidity:
                continue
            rate = mid_rate(pool, token.address)  # raw quote per raw token
            if not (rate > 0 and math.isfinite(rate)):
                continue
            whole = rate * 10 ** (token.decimals - quote.decimals) * quote_price
            book = depth(pool, quote.address) / 10**quote.decimals * quote_price
            legs.append(PathPrice(via, whole, book))
        chosen = _deep_enough(legs, self.min_depth_share)
        if not chosen:
            return None
        return PathPrice(via, _log_weighted_mean(chosen), sum(p.depth for p in chosen))

    def _hub_addresses(self, universe: Universe) -> list[str]:
        found = []
        for name in self.hubs:
            try:
                found.append(universe.token(name).address.lower())
            except UnknownToken:
                continue  # a hub this universe does not trade: price without it
        return found

    def _universe(self, pools: Iterable[PoolRef] | None) -> Universe:
        if pools is None:
            raise PriceError("fair value from pools needs the pools: pass a Universe to update()")
        if not self._tokens:
            raise PriceError("pricing bare pools needs their tokens: pass tokens= or give a Universe")
        return Universe({t.address.lower(): t for t in self._tokens.values()}, list(pools))


def _deep_enough(paths: list[PathPrice], share: float) -> list[PathPrice]:
    deepest = max((p.depth for p in paths), default=0.0)
    if deepest <= 0 or not math.isfinite(deepest):
        return []
    return [p for p in paths if p.depth >= share * deepest]


def _log_weighted_mean(paths: list[PathPrice]) -> float:
    total = sum(p.depth for p in paths)
    return math.exp(sum(p.depth * math.log(p.price) for p in paths) / total)


# ------------------------------------------------------------------------------------------------ streams
PriceSource = Callable[[], Mapping[str, Any]]
PricesAt = Callable[[float], Mapping[str, Any]]  # a block's timestamp -> {symbol: price}


class FairValueFromStream(FairValue):
    """Prices from outside the pools: a CSV file, a callable or an HTTP URL (see `open`)."""

    def __init__(
        self, prices_at: PricesAt, numeraire: str = "USDC", tokens: Iterable[Token] = (), name: str = "stream"
    ) -> None:
        super().__init__(numeraire, tokens)
        self._prices_at = prices_at
        self.name = name
        self._client: httpx.Client | None = None

    @classmethod
    def open(
        cls,
        spec: str | Path | PriceSource,
        numeraire: str = "USDC",
        tokens: Iterable[Token] = (),
        timeout: float = 2.0,
    ) -> FairValueFromStream:
        """A stream from an http(s) URL, a callable, or a CSV path."""
        if callable(spec):
            return cls(lambda _timestamp: spec(), numeraire, tokens, getattr(spec, "__name__", "callable"))
        text = str(spec)
        if text.startswith(("http://", "https://")):
            return cls.from_url(text, numeraire, tokens, timeout=timeout)
        return cls.from_csv(text, numeraire, tokens)

    @classmethod
    def from_url(
        cls,
        url: str,
        numeraire: str = "USDC",
        tokens: Iterable[Token] = (),
        *,
        timeout: float = 2.0,
        transport: httpx.BaseTransport | None = None,
    ) -> FairValueFromStream:
        """GET `url` each update; it must answer a JSON object {symbol: price in the numeraire}."""
        client = httpx.Client(timeout=timeout, transport=transport)

        def fetch() -> Mapping[str, Any]:
            try:
                response = client.get(url)
                response.raise_for_status()
                return response.json()
            except httpx.HTTPStatusError as e:
                raise PriceError(f"price stream {url}: HTTP {e.response.status_code}") from None
            except httpx.HTTPError as e:
                raise PriceError(f"price stream {url}: {type(e).__name__}: {e}") from None
            except ValueError:
                raise PriceError(f"price stream {url}: the answer is not JSON") from None

        stream = cls(lambda _timestamp: fetch(), numeraire, tokens, url)
        stream._client = client
        return stream

    @classmethod
    def from_csv(
        cls, path: str | Path, numeraire: str = "USDC", tokens: Iterable[Token] = ()
    ) -> FairValueFromStream:
        """Rows `timestamp,token,price` (a header row is optional); at each update every token takes its
        latest price at or before the update's timestamp."""
        series = _read_csv(Path(path))
        stamps = {symbol: [ts for ts, _ in rows] for symbol, rows in series.items()}

        def at(timestamp: float) -> Mapping[str, Any]:
            latest: dict[str, float] = {}
            for symbol, rows in series.items():
                index = bisect.bisect_right(stamps[symbol], timestamp)  # rows at or before `timestamp`
                if index:
                    latest[symbol] = rows[index - 1][1]
            if not latest:
                raise PriceError(f"price stream {path}: no price at or before timestamp {timestamp:g}")
            return latest

        return cls(at, numeraire, tokens, str(path))

    def update(
        self, source: Any = None, block: int | None = None, timestamp: float = 0.0
    ) -> dict[str, float]:
        """Read the stream for this block (`source` is ignored: the stream is its own source)."""
        raw = self._prices_at(timestamp)
        if not isinstance(raw, Mapping):
            raise PriceError(
                f"price stream {self.name}: expected an object {{symbol: price}}, got {raw!r:.60}"
            )
        prices = {str(symbol): _positive_price(self.name, symbol, value) for symbol, value in raw.items()}
        if not any(s.lower() == self.numeraire.lower() for s in prices):
            prices[self.numeraire] = 1.0
        return self._set(prices, block, timestamp)


def _positive_price(name: str, symbol: Any, value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        price = float(value)
    except (TypeError, ValueError):
        raise PriceError(f"price stream {name}: price of {symbol} is not a number: {value!r:.40}") from None
    if not (math.isfinite(price) and price > 0):
        raise PriceError(f"price stream {name}: price of {symbol} must be positive and finite, got {value!r}")
    return price


def _read_csv(path: Path) -> dict[str, list[tuple[float, float]]]:
    try:
        text = path.read_text()
    except OSError as e:
        raise PriceError(f"price stream {path}: cannot read it: {e.strerror or e}") from None
    series: dict[str, list[tuple[float, float]]] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) != 3:
            raise PriceError(f"price stream {path}:{number}: expected timestamp,token,price, got {row!r}")
        stamp, symbol, value = (cell.strip() for cell in row)
        if number == 1 and stamp.lower() == "timestamp":
            continue
        try:
            ts = float(stamp)
        except ValueError:
            raise PriceError(f"price stream {path}:{number}: timestamp {stamp!r} is not a number") from None
        series.setdefault(symbol, []).append((ts, _positive_price(f"{path}:{number}", symbol, value)))
    if not series:
        raise PriceError(f"price stream {path}: no rows")
    for rows in series.values():
        rows.sort(key=lambda row: row[0])  # stable: of two rows at one time, the later in the file wins
    return series
