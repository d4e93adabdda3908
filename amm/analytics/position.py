"""Float (numpy) accounting of v3 range positions and v2 LP shares.

Conventions used throughout `amm.analytics`:

* ``price`` is token1 per token0 in human units (decimals applied); values are in token1 human units.
* A v3 range ``[pa, pb)`` with liquidity ``L`` holds, at price ``P`` (Uniswap v3 whitepaper, eq. 6.29-6.30)::

      x = L·(1/√P̂ − 1/√pb),  y = L·(√P̂ − √pa),  P̂ = clip(P, pa, pb)

  so below the range it is all token0, above it all token1. ``pa = 0, pb = inf`` is a full-range
  (constant-product) position with ``x·y = L²``.
* Liquidity here is in human units: ``L_human = L_raw / 10**((decimals0 + decimals1) / 2)``.

These are floats for analysis; amounts that go on chain come from `amm.analytics.exact`, which uses the
integer v3 libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Float = NDArray[np.float64] | float


def _f(a: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(a, dtype=np.float64)


def liquidity_scale(decimals0: int, decimals1: int) -> float:
    """Factor from raw (on-chain) liquidity to human-unit liquidity: ``L_human = L_raw * scale``."""
    return float(10.0 ** (-(decimals0 + decimals1) / 2.0))


def amounts(price: ArrayLike, liquidity: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> tuple[Float, Float]:
    """Token amounts ``(x, y)`` of a range position at ``price``; broadcasts over all arguments."""
    sa, sb = np.sqrt(_f(pa)), np.sqrt(_f(pb))
    s = np.clip(np.sqrt(_f(price)), sa, sb)
    liq = _f(liquidity)
    with np.errstate(divide="ignore"):
        x = liq * (1.0 / s - 1.0 / sb)
    y = liq * (s - sa)
    return x, y


def value(price: ArrayLike, liquidity: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> Float:
    """Mark-to-market value ``x·P + y`` in token1."""
    x, y = amounts(price, liquidity, pa, pb)
    return x * _f(price) + y


def holdings0(price: ArrayLike, liquidity: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> Float:
    """Token0 held, ``x*(P)``: the risky position a rebalancing strategy copies (MMRZ 2022, §2)."""
    return amounts(price, liquidity, pa, pb)[0]


def liquidity_for_value(capital: ArrayLike, price: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> Float:
    """Liquidity that a deposit worth ``capital`` (token1) buys at ``price`` in ``[pa, pb)``."""
    return _f(capital) / value(price, 1.0, pa, pb)


def liquidity_for_amounts(x: float, y: float, price: float, pa: float, pb: float) -> float:
    """Largest liquidity fundable by ``x`` token0 and ``y`` token1 (float mirror of LiquidityAmounts)."""
    s, sa, sb = np.sqrt(price), np.sqrt(pa), np.sqrt(pb)
    if s <= sa:
        return float(x / (1.0 / sa - 1.0 / sb))
    if s >= sb:
        return float(y / (sb - sa))
    lx = x / (1.0 / s - 1.0 / sb)
    ly = y / (s - sa)
    return float(min(lx, ly))


def capital_efficiency(price: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> Float:
    """Liquidity per unit capital relative to a full-range position of the same value at ``price``.

    This is the factor by which the range multiplies fee income per unit capital while in range
    (and LVR too: both scale with L).
    """
    p = _f(price)
    return 2.0 * np.sqrt(p) / value(p, 1.0, pa, pb)


def hodl_value(price: ArrayLike, x0: ArrayLike, y0: ArrayLike) -> Float:
    """Value of simply holding ``x0`` token0 and ``y0`` token1."""
    return _f(x0) * _f(price) + _f(y0)


def impermanent_loss(price: ArrayLike, entry_price: ArrayLike, pa: ArrayLike, pb: ArrayLike) -> Float:
    """IL against HODL of the deposit: ``V(P)/HODL(P) − 1`` (≤ 0, independent of L)."""
    x0, y0 = amounts(entry_price, 1.0, pa, pb)
    return value(price, 1.0, pa, pb) / hodl_value(price, x0, y0) - 1.0


def impermanent_loss_constant_product(price_ratio: ArrayLike) -> Float:
    """Constant-product IL for a price move by ``r = P/P0``: ``2√r/(1+r) − 1``."""
    r = _f(price_ratio)
    return 2.0 * np.sqrt(r) / (1.0 + r) - 1.0


@dataclass(frozen=True)
class RangePosition:
    """A (hypothetical or on-chain) v3 range position in human units."""

    pa: float
    pb: float
    liquidity: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.pa < self.pb):
            raise ValueError(f"need 0 <= pa < pb, got pa={self.pa}, pb={self.pb}")
        if self.liquidity < 0:
            raise ValueError("liquidity must be >= 0")

    @classmethod
    def from_capital(cls, capital: float, price: float, pa: float, pb: float) -> RangePosition:
        """The position a deposit of ``capital`` token1 (split as the range requires) mints at ``price``."""
        return cls(pa, pb, float(liquidity_for_value(capital, price, pa, pb)))

    @classmethod
    def from_amounts(cls, x: float, y: float, price: float, pa: float, pb: float) -> RangePosition:
        return cls(pa, pb, liquidity_for_amounts(x, y, price, pa, pb))

    @classmethod
    def from_raw(
        cls, tick_lower: int, tick_upper: int, liquidity_raw: int, decimals0: int, decimals1: int
    ) -> RangePosition:
        """From on-chain ticks and raw liquidity (e.g. a position read from chain)."""
        shift = 10.0 ** (decimals0 - decimals1)
        return cls(
            1.0001**tick_lower * shift,
            1.0001**tick_upper * shift,
            liquidity_raw * liquidity_scale(decimals0, decimals1),
        )

    def amounts(self, price: ArrayLike) -> tuple[Float, Float]:
        return amounts(price, self.liquidity, self.pa, self.pb)

    def value(self, price: ArrayLike) -> Float:
        return value(price, self.liquidity, self.pa, self.pb)

    def in_range(self, price: ArrayLike) -> NDArray[np.bool_]:
        p = _f(price)
        return (p >= self.pa) & (p < self.pb)

    def impermanent_loss(self, price: ArrayLike, entry_price: float) -> Float:
        return impermanent_loss(price, entry_price, self.pa, self.pb)

    def pnl_vs_hodl(self, price: ArrayLike, entry_price: float, fees_value: ArrayLike = 0.0) -> Float:
        """``V(P) + fees − HODL(P)`` for the deposit made at ``entry_price``."""
        x0, y0 = self.amounts(entry_price)
        return self.value(price) + _f(fees_value) - hodl_value(price, x0, y0)

    def capital_efficiency(self, price: float) -> float:
        return float(capital_efficiency(price, self.pa, self.pb))

    def to_dict(self) -> dict[str, float | None]:
        return {
            "pa": self.pa,
            "pb": self.pb if np.isfinite(self.pb) else None,
            "liquidity": self.liquidity,
        }


@dataclass(frozen=True)
class V2Share:
    """A v2 LP holding: ``shares`` of ``total_supply`` in a pool with reserves in human units."""

    shares: float
    total_supply: float
    reserve0: float
    reserve1: float

    @property
    def fraction(self) -> float:
        return self.shares / self.total_supply

    @property
    def price(self) -> float:
        """Current pool price (token1 per token0)."""
        return self.reserve1 / self.reserve0

    @property
    def liquidity(self) -> float:
        """The share's constant-product liquidity ``f·√(r0·r1)``: the v3 view of a full range."""
        return float(self.fraction * np.sqrt(self.reserve0 * self.reserve1))

    def as_range(self) -> RangePosition:
        """The full-range v3 position with the same payoff (fees aside)."""
        return RangePosition(0.0, float("inf"), self.liquidity)

    def amounts(self, price: ArrayLike | None = None) -> tuple[Float, Float]:
        """Tokens redeemable now (``price=None``) or after arbitrage moves the pool to ``price``."""
        if price is None:
            return self.fraction * self.reserve0, self.fraction * self.reserve1
        return self.as_range().amounts(price)

    def value(self, price: ArrayLike | None = None) -> Float:
        """Value in token1; ``2·L·√P`` after the pool moves to ``price``."""
        p = self.price if price is None else price
        return self.as_range().value(p)

    def impermanent_loss(self, price: ArrayLike) -> Float:
        """IL against holding the tokens redeemable today."""
        return impermanent_loss_constant_product(_f(price) / self.price)
