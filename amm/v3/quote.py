"""SwapQuote: the outcome of a non-mutating swap simulation (what UniswapV3Pool.swap returns and leaves)."""

from typing import Any

from amm.v3.tick_math import get_tick_at_sqrt_ratio

_tuple_new = tuple.__new__
_tuple_getitem = tuple.__getitem__

_FIELDS = ("amount0", "amount1", "sqrt_price_x96", "tick", "liquidity", "ticks_crossed")


class SwapQuote(tuple):
    """Immutable NamedTuple-like result: (amount0, amount1, sqrt_price_x96, tick, liquidity, ticks_crossed).

    Amounts are signed from the pool's side, as `swap` returns them: positive = paid in, negative = paid out.
    sqrt_price_x96, tick and liquidity are the pool's slot0 price/tick and liquidity after the swap;
    ticks_crossed counts the initialised ticks crossed (each a Tick.cross in the contract).

    When the swap ends strictly inside a tick range the contract's tick is getTickAtSqrtRatio(final price);
    the quote stores None for it and computes it on read (attribute, index, unpacking, ==, repr all see the
    exact tick), which keeps that log off the quote hot path.
    """

    __slots__ = ()
    _fields = _FIELDS

    def __new__(
        cls,
        amount0: int,
        amount1: int,
        sqrt_price_x96: int,
        tick: int | None,
        liquidity: int,
        ticks_crossed: int,
    ) -> "SwapQuote":
        return _tuple_new(cls, (amount0, amount1, sqrt_price_x96, tick, liquidity, ticks_crossed))

    @property
    def amount0(self) -> int:
        """Token0 delta of the pool (positive: paid to the pool)."""
        return _tuple_getitem(self, 0)

    @property
    def amount1(self) -> int:
        """Token1 delta of the pool (positive: paid to the pool)."""
        return _tuple_getitem(self, 1)

    @property
    def sqrt_price_x96(self) -> int:
        """slot0.sqrtPriceX96 after the swap."""
        return _tuple_getitem(self, 2)

    @property
    def tick(self) -> int:
        """slot0.tick after the swap."""
        tick = _tuple_getitem(self, 3)
        return get_tick_at_sqrt_ratio(_tuple_getitem(self, 2)) if tick is None else tick

    @property
    def liquidity(self) -> int:
        """In-range liquidity after the swap."""
        return _tuple_getitem(self, 4)

    @property
    def ticks_crossed(self) -> int:
        """Initialised ticks crossed."""
        return _tuple_getitem(self, 5)

    def _resolved(self) -> tuple[int, int, int, int, int, int]:
        a0, a1, sp, tick, liquidity, crossed = tuple.__iter__(self)
        return (a0, a1, sp, get_tick_at_sqrt_ratio(sp) if tick is None else tick, liquidity, crossed)

    def _asdict(self) -> dict[str, int]:
        """The fields as a dict, like NamedTuple._asdict."""
        return dict(zip(_FIELDS, self._resolved(), strict=True))

    def __iter__(self) -> Any:
        return iter(self._resolved())

    def __getitem__(self, index: Any) -> Any:
        return self._resolved()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return self._resolved() == (other._resolved() if isinstance(other, SwapQuote) else other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self._resolved())

    def __repr__(self) -> str:
        return (
            "SwapQuote("
            + ", ".join(f"{k}={v!r}" for k, v in zip(_FIELDS, self._resolved(), strict=True))
            + ")"
        )

    def __reduce__(self) -> tuple[type, tuple[int, ...]]:
        return (SwapQuote, self._resolved())
