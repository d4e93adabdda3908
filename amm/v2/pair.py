"""Pair: an in-memory UniswapV2Pair (v2-core) with its reserves, LP token ledger, fee switch and reverts.

The contract reads its token balances after the caller has transferred tokens in; here the caller passes the
amounts it sent along with the call (mint: both deposits; swap: amounts out and the amounts sent in), and the
pair keeps `balance0`/`balance1` (what it holds, reserves included) itself. Every call computes first and
commits after, so a Revert leaves the pair unchanged.
"""

from collections.abc import Hashable
from math import isqrt

from amm.errors import Revert
from amm.v2.library import get_amount_in, get_amount_out
from amm.v2.safe_math import UINT256
from amm.v2.safe_math import add as _add
from amm.v2.safe_math import mul as _mul
from amm.v2.safe_math import sub as _sub

MINIMUM_LIQUIDITY = 10**3
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_UINT112_MAX = (1 << 112) - 1

_MASK256 = UINT256 - 1
_MASK32 = (1 << 32) - 1


def babylonian_sqrt(y: int) -> int:
    """Math.sqrt of v2-core (Babylonian); equals floor(sqrt(y)), which isqrt computes exactly."""
    return isqrt(y)


class Pair:
    """UniswapV2Pair in memory. `fee_to` not None is the factory's feeTo (the protocol fee switch is on)."""

    MINIMUM_LIQUIDITY = MINIMUM_LIQUIDITY

    def __init__(
        self,
        *,
        address: str | None = None,
        token0: str | None = None,
        token1: str | None = None,
        fee_to: Hashable | None = None,
    ) -> None:
        self.address = address
        self.token0 = token0
        self.token1 = token1
        self.fee_to = fee_to
        self.reserve0 = 0
        self.reserve1 = 0
        self.block_timestamp_last = 0
        self.price0_cumulative_last = 0
        self.price1_cumulative_last = 0
        self.k_last = 0
        self.total_supply = 0
        self.balance_of: dict[Hashable, int] = {}
        self.balance0 = 0  # token0 held by the pair (reserve0 plus anything not yet synced)
        self.balance1 = 0
        self.timestamp = 0

    @classmethod
    def from_reserves(
        cls,
        reserve0: int,
        reserve1: int,
        *,
        total_supply: int | None = None,
        k_last: int = 0,
        block_timestamp_last: int = 0,
        price0_cumulative_last: int = 0,
        price1_cumulative_last: int = 0,
        fee_to: Hashable | None = None,
        balance0: int | None = None,
        balance1: int | None = None,
        address: str | None = None,
        token0: str | None = None,
        token1: str | None = None,
        timestamp: int | None = None,
    ) -> "Pair":
        """A pair loaded from chain state (getReserves and friends); balances default to the reserves.

        Without total_supply the supply of a single first mint is assumed: sqrt(reserve0 * reserve1), with
        MINIMUM_LIQUIDITY held by the zero address.
        """
        if not (0 <= reserve0 <= _UINT112_MAX and 0 <= reserve1 <= _UINT112_MAX):
            raise ValueError("reserves are uint112")
        pair = cls(address=address, token0=token0, token1=token1, fee_to=fee_to)
        pair.reserve0, pair.reserve1 = reserve0, reserve1
        pair.balance0 = reserve0 if balance0 is None else balance0
        pair.balance1 = reserve1 if balance1 is None else balance1
        pair.k_last = k_last
        pair.block_timestamp_last = block_timestamp_last & _MASK32
        pair.price0_cumulative_last = price0_cumulative_last
        pair.price1_cumulative_last = price1_cumulative_last
        if total_supply is None:
            total_supply = isqrt(reserve0 * reserve1)
            if total_supply:
                pair.balance_of[ZERO_ADDRESS] = min(MINIMUM_LIQUIDITY, total_supply)
        pair.total_supply = total_supply
        pair.timestamp = block_timestamp_last if timestamp is None else timestamp
        return pair

    @property
    def fee_on(self) -> bool:
        """Whether the factory's feeTo is set (1/6 of the LP fees are minted to it as liquidity)."""
        return self.fee_to is not None

    def _self_key(self) -> Hashable:
        return self.address if self.address is not None else "<pair>"

    def get_reserves(self) -> tuple[int, int, int]:
        """UniswapV2Pair.getReserves: (reserve0, reserve1, blockTimestampLast)."""
        return self.reserve0, self.reserve1, self.block_timestamp_last

    # ------------------------------------------------------------------------------------------- quotes
    def get_amount_out(self, amount_in: int, zero_for_one: bool) -> int:
        """UniswapV2Library.getAmountOut on this pair's reserves (token0 in when zero_for_one)."""
        if zero_for_one:
            return get_amount_out(amount_in, self.reserve0, self.reserve1)
        return get_amount_out(amount_in, self.reserve1, self.reserve0)

    def get_amount_in(self, amount_out: int, zero_for_one: bool) -> int:
        """UniswapV2Library.getAmountIn on this pair's reserves (token1 out when zero_for_one)."""
        if zero_for_one:
            return get_amount_in(amount_out, self.reserve0, self.reserve1)
        return get_amount_in(amount_out, self.reserve1, self.reserve0)

    # ------------------------------------------------------------------------------------------ internals
    def _time(self, timestamp: int | None) -> int:
        return self.timestamp if timestamp is None else timestamp

    def _updated(
        self, balance0: int, balance1: int, reserve0: int, reserve1: int, now: int
    ) -> tuple[int, ...]:
        """UniswapV2Pair._update, returned as (reserve0, reserve1, tsLast, price0Cum, price1Cum)."""
        if balance0 > _UINT112_MAX or balance1 > _UINT112_MAX:
            raise Revert("UniswapV2: OVERFLOW")
        block_timestamp = now & _MASK32
        time_elapsed = (block_timestamp - self.block_timestamp_last) & _MASK32
        p0, p1 = self.price0_cumulative_last, self.price1_cumulative_last
        if time_elapsed > 0 and reserve0 != 0 and reserve1 != 0:
            # UQ112x112.encode(r1).uqdiv(r0) * timeElapsed; + overflow is desired
            p0 = (p0 + ((reserve1 << 112) // reserve0) * time_elapsed) & _MASK256
            p1 = (p1 + ((reserve0 << 112) // reserve1) * time_elapsed) & _MASK256
        return balance0, balance1, block_timestamp, p0, p1

    def _commit_update(self, update: tuple[int, ...]) -> None:
        (
            self.reserve0,
            self.reserve1,
            self.block_timestamp_last,
            self.price0_cumulative_last,
            self.price1_cumulative_last,
        ) = update

    def _mint_fee(self, reserve0: int, reserve1: int) -> tuple[bool, int]:
        """UniswapV2Pair._mintFee without side effects: (feeOn, liquidity to mint to feeTo)."""
        fee_on = self.fee_to is not None
        if fee_on and self.k_last != 0:
            root_k = babylonian_sqrt(_mul(reserve0, reserve1))
            root_k_last = babylonian_sqrt(self.k_last)
            if root_k > root_k_last:
                numerator = _mul(self.total_supply, _sub(root_k, root_k_last))
                denominator = _add(_mul(root_k, 5), root_k_last)
                return fee_on, numerator // denominator
        return fee_on, 0

    def _credit(self, ledger: dict[Hashable, int], to: Hashable, value: int) -> None:
        ledger[to] = _add(ledger.get(to, 0), value)

    # ---------------------------------------------------------------------------------------- mutations
    def _commit_supply(
        self,
        total_supply: int,
        balance0: int,
        balance1: int,
        update: tuple[int, ...],
        *,
        fee_on: bool,
        timestamp: int | None,
    ) -> None:
        """The common end of mint and burn: supply, balances, reserves, and kLast as _mintFee leaves it."""
        self.total_supply = total_supply
        self.balance0, self.balance1 = balance0, balance1
        self._commit_update(update)
        if fee_on:
            self.k_last = self.reserve0 * self.reserve1
        elif self.k_last != 0:
            self.k_last = 0
        if timestamp is not None:
            self.timestamp = timestamp

    def mint(self, to: Hashable, amount0: int, amount1: int, *, timestamp: int | None = None) -> int:
        """Transfer amount0/amount1 to the pair and call UniswapV2Pair.mint(to); returns the LP minted."""
        reserve0, reserve1 = self.reserve0, self.reserve1
        balance0, balance1 = self.balance0 + amount0, self.balance1 + amount1
        amount0 = _sub(balance0, reserve0)
        amount1 = _sub(balance1, reserve1)
        fee_on, fee_liquidity = self._mint_fee(reserve0, reserve1)
        ledger = dict(self.balance_of) if fee_liquidity or self.total_supply == 0 else self.balance_of
        total_supply = self.total_supply
        if fee_liquidity > 0:
            total_supply = _add(total_supply, fee_liquidity)
            self._credit(ledger, self.fee_to, fee_liquidity)
        if total_supply == 0:
            liquidity = _sub(babylonian_sqrt(_mul(amount0, amount1)), MINIMUM_LIQUIDITY)
            total_supply = _add(total_supply, MINIMUM_LIQUIDITY)  # permanently locked
            self._credit(ledger, ZERO_ADDRESS, MINIMUM_LIQUIDITY)
        else:
            if reserve0 == 0 or reserve1 == 0:
                raise Revert("")  # division by zero
            liquidity = min(_mul(amount0, total_supply) // reserve0, _mul(amount1, total_supply) // reserve1)
        if liquidity <= 0:
            raise Revert("UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED")
        total_supply = _add(total_supply, liquidity)
        new_balance = _add(ledger.get(to, 0), liquidity)
        update = self._updated(balance0, balance1, reserve0, reserve1, self._time(timestamp))
        # ---- commit
        if ledger is not self.balance_of:
            self.balance_of = ledger
        self.balance_of[to] = new_balance
        self._commit_supply(total_supply, balance0, balance1, update, fee_on=fee_on, timestamp=timestamp)
        return liquidity

    def burn(self, owner: Hashable, liquidity: int, *, timestamp: int | None = None) -> tuple[int, int]:
        """Transfer `liquidity` LP from owner to the pair and call UniswapV2Pair.burn.

        Returns (amount0, amount1) paid out. Like the contract it burns all LP the pair holds.
        """
        reserve0, reserve1 = self.reserve0, self.reserve1
        balance0, balance1 = self.balance0, self.balance1
        ledger = dict(self.balance_of)
        pair_key = self._self_key()
        ledger[owner] = _sub(ledger.get(owner, 0), liquidity)
        self._credit(ledger, pair_key, liquidity)
        held = ledger[pair_key]
        fee_on, fee_liquidity = self._mint_fee(reserve0, reserve1)
        total_supply = self.total_supply
        if fee_liquidity > 0:
            total_supply = _add(total_supply, fee_liquidity)
            self._credit(ledger, self.fee_to, fee_liquidity)
        if total_supply == 0:
            raise Revert("")  # division by zero
        amount0 = _mul(held, balance0) // total_supply
        amount1 = _mul(held, balance1) // total_supply
        if amount0 <= 0 or amount1 <= 0:
            raise Revert("UniswapV2: INSUFFICIENT_LIQUIDITY_BURNED")
        ledger[pair_key] = 0
        total_supply = _sub(total_supply, held)
        balance0 -= amount0
        balance1 -= amount1
        update = self._updated(balance0, balance1, reserve0, reserve1, self._time(timestamp))
        # ---- commit
        del ledger[pair_key]
        self.balance_of = ledger
        self._commit_supply(total_supply, balance0, balance1, update, fee_on=fee_on, timestamp=timestamp)
        return amount0, amount1

    def swap(
        self,
        amount0_out: int,
        amount1_out: int,
        amount0_in: int = 0,
        amount1_in: int = 0,
        *,
        to: Hashable | None = None,
        timestamp: int | None = None,
    ) -> tuple[int, int]:
        """UniswapV2Pair.swap after the caller sent amount0_in/amount1_in.

        Returns (amount0In, amount1In) as the contract computes them from balances (with any unsynced
        surplus).
        """
        if amount0_out <= 0 and amount1_out <= 0:
            raise Revert("UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT")
        reserve0, reserve1 = self.reserve0, self.reserve1
        if not (amount0_out < reserve0 and amount1_out < reserve1):
            raise Revert("UniswapV2: INSUFFICIENT_LIQUIDITY")
        if to is not None and to in (self.token0, self.token1):
            raise Revert("UniswapV2: INVALID_TO")
        balance0 = self.balance0 + amount0_in - amount0_out
        balance1 = self.balance1 + amount1_in - amount1_out
        in0 = balance0 - (reserve0 - amount0_out) if balance0 > reserve0 - amount0_out else 0
        in1 = balance1 - (reserve1 - amount1_out) if balance1 > reserve1 - amount1_out else 0
        if in0 <= 0 and in1 <= 0:
            raise Revert("UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        adjusted0 = _sub(_mul(balance0, 1000), _mul(in0, 3))
        adjusted1 = _sub(_mul(balance1, 1000), _mul(in1, 3))
        if _mul(adjusted0, adjusted1) < _mul(_mul(reserve0, reserve1), 1000**2):
            raise Revert("UniswapV2: K")
        update = self._updated(balance0, balance1, reserve0, reserve1, self._time(timestamp))
        self.balance0, self.balance1 = balance0, balance1
        self._commit_update(update)
        if timestamp is not None:
            self.timestamp = timestamp
        return in0, in1

    def swap_exact_in(self, amount_in: int, zero_for_one: bool, *, timestamp: int | None = None) -> int:
        """Send amount_in and take getAmountOut of it, as UniswapV2Router does for one hop; returns it."""
        amount_out = self.get_amount_out(amount_in, zero_for_one)
        if zero_for_one:
            self.swap(0, amount_out, amount_in, 0, timestamp=timestamp)
        else:
            self.swap(amount_out, 0, 0, amount_in, timestamp=timestamp)
        return amount_out

    def skim(self) -> tuple[int, int]:
        """UniswapV2Pair.skim: pay out balances above the reserves; returns the amounts."""
        extra0 = _sub(self.balance0, self.reserve0)
        extra1 = _sub(self.balance1, self.reserve1)
        self.balance0, self.balance1 = self.reserve0, self.reserve1
        return extra0, extra1

    def sync(self, *, timestamp: int | None = None) -> None:
        """UniswapV2Pair.sync: set the reserves to the balances."""
        update = self._updated(
            self.balance0, self.balance1, self.reserve0, self.reserve1, self._time(timestamp)
        )
        self._commit_update(update)
        if timestamp is not None:
            self.timestamp = timestamp

    def transfer(self, sender: Hashable, to: Hashable, value: int) -> None:
        """UniswapV2ERC20.transfer of LP tokens."""
        ledger = self.balance_of
        new_sender = _sub(ledger.get(sender, 0), value)
        if sender == to:
            return
        new_to = _add(ledger.get(to, 0), value)
        ledger[sender] = new_sender
        ledger[to] = new_to
