"""Position: per-(owner, tickLower, tickUpper) liquidity and fee accounting (Position.Info)."""

from dataclasses import dataclass

from amm.errors import Revert
from amm.v3.constants import Q128, UINT128_MOD, UINT256_MOD
from amm.v3.liquidity_math import add_delta

_MASK128 = UINT128_MOD - 1
_MASK256 = UINT256_MOD - 1


@dataclass(slots=True)
class PositionInfo:
    """Position.Info: the fields of the `positions(bytes32)` getter, in order."""

    liquidity: int = 0
    fee_growth_inside0_last_x128: int = 0
    fee_growth_inside1_last_x128: int = 0
    tokens_owed0: int = 0
    tokens_owed1: int = 0

    def copy(self) -> "PositionInfo":
        """A detached copy."""
        return PositionInfo(
            self.liquidity,
            self.fee_growth_inside0_last_x128,
            self.fee_growth_inside1_last_x128,
            self.tokens_owed0,
            self.tokens_owed1,
        )


def updated(
    info: PositionInfo | None,
    liquidity_delta: int,
    fee_growth_inside0_x128: int,
    fee_growth_inside1_x128: int,
) -> PositionInfo:
    """Position.update without side effects: returns the new Info (reverts 'NP' on a poke of 0 liquidity)."""
    new = info.copy() if info is not None else PositionInfo()
    if liquidity_delta == 0:
        if new.liquidity <= 0:
            raise Revert("NP")  # disallow pokes for 0 liquidity positions
        liquidity_next = new.liquidity
    else:
        liquidity_next = add_delta(new.liquidity, liquidity_delta)

    # FullMath.mulDiv cannot overflow here (< 2**256 * 2**128 / 2**128); uint128(...) truncates
    tokens_owed0 = (
        ((fee_growth_inside0_x128 - new.fee_growth_inside0_last_x128) & _MASK256) * new.liquidity // Q128
    )
    tokens_owed1 = (
        ((fee_growth_inside1_x128 - new.fee_growth_inside1_last_x128) & _MASK256) * new.liquidity // Q128
    )
    tokens_owed0 &= _MASK128
    tokens_owed1 &= _MASK128

    if liquidity_delta != 0:
        new.liquidity = liquidity_next
    new.fee_growth_inside0_last_x128 = fee_growth_inside0_x128
    new.fee_growth_inside1_last_x128 = fee_growth_inside1_x128
    if tokens_owed0 > 0 or tokens_owed1 > 0:
        # overflow is acceptable, have to withdraw before you hit type(uint128).max fees
        new.tokens_owed0 = (new.tokens_owed0 + tokens_owed0) & _MASK128
        new.tokens_owed1 = (new.tokens_owed1 + tokens_owed1) & _MASK128
    return new


def update(
    info: PositionInfo, liquidity_delta: int, fee_growth_inside0_x128: int, fee_growth_inside1_x128: int
) -> None:
    """Position.update: credit accumulated fees and apply a liquidity change in place."""
    new = updated(info, liquidity_delta, fee_growth_inside0_x128, fee_growth_inside1_x128)
    info.liquidity = new.liquidity
    info.fee_growth_inside0_last_x128 = new.fee_growth_inside0_last_x128
    info.fee_growth_inside1_last_x128 = new.fee_growth_inside1_last_x128
    info.tokens_owed0 = new.tokens_owed0
    info.tokens_owed1 = new.tokens_owed1
