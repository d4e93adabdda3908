"""How the reactors move amounts over time, blocks, gas and priority fees — integer for integer.

Linear Dutch decay (DutchDecayLib), block-based piecewise-linear curves (NonlinearDutchDecayLib, V3), the
exclusivity override (ExclusivityLib) and priority-fee scaling (PriorityFeeLib). Each raises `OrderReverts`
with the reactor's error name where the reactor reverts.
"""

from __future__ import annotations

from collections.abc import Sequence

from solver.intents.uniswapx.errors import OrderReverts
from solver.intents.uniswapx.math import MAX_UINT256, bound, bounded_sub, mul_div_down, mul_div_up
from solver.intents.uniswapx.types import ZERO_ADDRESS, OutputToken

BPS = 10_000
MPS = 10_000_000
MAX_CURVE_POINTS = 16


# -- linear decay in time (ExclusiveDutch, V2) ---------------------------------------------------
def linear_decay(
    start_amount: int, end_amount: int, decay_start: int, decay_end: int, now: int, *, v1: bool = False
) -> int:
    """DutchDecayLib.decay: start before the window, end after it, linear inside.

    Two deployed generations differ: V2DutchOrderReactor's (2024) returns constant amounts early and rounds a
    rising amount up; `v1`, the July 2023 library ExclusiveDutchOrderReactor runs (mainnet's and the SDK's
    bytecode), accepts an empty window (the end amount from its time on) and rounds both ways down."""
    if start_amount == end_amount and not v1:
        return start_amount
    if decay_end < decay_start or (decay_end == decay_start and not v1):
        raise OrderReverts("the decay ends before it starts", error="EndTimeBeforeStartTime")
    if decay_end <= now:
        return end_amount
    if decay_start >= now:
        return start_amount
    elapsed, duration = now - decay_start, decay_end - decay_start
    if end_amount < start_amount:
        return start_amount - mul_div_down(start_amount - end_amount, elapsed, duration)
    rising = mul_div_down if v1 else mul_div_up
    return start_amount + rising(end_amount - start_amount, elapsed, duration)


def decay_input(
    start_amount: int, end_amount: int, decay_start: int, decay_end: int, now: int, *, v1: bool = False
) -> int:
    if start_amount > end_amount:
        raise OrderReverts("the input's start amount exceeds its end amount", error="IncorrectAmounts")
    return linear_decay(start_amount, end_amount, decay_start, decay_end, now, v1=v1)


def decay_output(
    start_amount: int, end_amount: int, decay_start: int, decay_end: int, now: int, *, v1: bool = False
) -> int:
    if start_amount < end_amount:
        raise OrderReverts("an output's start amount is below its end amount", error="IncorrectAmounts")
    return linear_decay(start_amount, end_amount, decay_start, decay_end, now, v1=v1)


# -- cosigner overrides (V2, V3) ------------------------------------------------------------------------
def cosigner_amounts(
    input_start: int, output_starts: Sequence[int], input_amount: int, output_amounts: Sequence[int]
) -> tuple[int, list[int]]:
    """_updateWithCosignerAmounts: the cosigner may lower the input's and raise the outputs' start amounts
    (0 keeps the swapper's), never the other way; it must give one amount per output."""
    if input_amount != 0:
        if input_amount > input_start:
            raise OrderReverts("the cosigner raised the input", error="InvalidCosignerInput")
        input_start = input_amount
    if len(output_amounts) != len(output_starts):
        raise OrderReverts("cosigner output amounts do not match the outputs", error="InvalidCosignerOutput")
    starts = []
    for start, amount in zip(output_starts, output_amounts, strict=True):
        if amount != 0 and amount < start:
            raise OrderReverts("the cosigner lowered an output", error="InvalidCosignerOutput")
        starts.append(amount or start)
    return input_start, starts


# -- exclusivity ---------------------------------------------------------------------------------
def has_filling_rights(
    exclusive_filler: str, exclusivity_end: int, position: int, filler: str | None
) -> bool:
    """ExclusivityLib.hasFillingRights: no exclusive filler, past the window, or the exclusive filler."""
    return (
        exclusive_filler == ZERO_ADDRESS
        or position > exclusivity_end
        or (filler is not None and filler.lower() == exclusive_filler.lower())
    )


def apply_exclusivity(
    outputs: list[OutputToken],
    *,
    exclusive_filler: str,
    exclusivity_end: int,
    override_bps: int,
    position: int,
    filler: str | None,
    round_up: bool = True,
) -> list[OutputToken]:
    """ExclusivityLib._handleExclusiveOverride: another filler inside the window pays outputs scaled up by
    override_bps, or cannot fill at all when the order is strictly exclusive (override 0). The 2023
    ExclusivityOverrideLib (ExclusiveDutchOrderReactor) rounds the scaled outputs down, later ones up."""
    if has_filling_rights(exclusive_filler, exclusivity_end, position, filler):
        return outputs
    if override_bps == 0:
        raise OrderReverts(
            f"only {exclusive_filler} may fill until {exclusivity_end}",
            code="not_exclusive_filler",
            error="NoExclusiveOverride",
        )
    scale = mul_div_up if round_up else mul_div_down
    return [OutputToken(o.token, scale(o.amount, BPS + override_bps, BPS), o.recipient) for o in outputs]


# -- block-based curves (V3) ----------------------------------------------------------------------
def curve_point(relative_blocks: int, index: int) -> int:
    """Uint16Array.getElement: the index-th 16-bit lane of the packed relativeBlocks word."""
    return (relative_blocks >> (16 * index)) & 0xFFFF


def _locate(
    relative_blocks: int, relative_amounts: Sequence[int], block_delta: int
) -> tuple[int, int, int, int]:
    """NonlinearDutchDecayLib.locateCurvePosition."""
    first = curve_point(relative_blocks, 0)
    if first >= block_delta:
        return 0, first, 0, relative_amounts[0]
    last = len(relative_amounts) - 1
    for i in range(1, last + 1):
        point = curve_point(relative_blocks, i)
        if point >= block_delta:
            return curve_point(relative_blocks, i - 1), point, relative_amounts[i - 1], relative_amounts[i]
    end = curve_point(relative_blocks, last)
    return end, end, relative_amounts[last], relative_amounts[last]


def _v3_linear(
    start: int, end: int, current: int, start_amount: int, end_amount: int, *, output: bool
) -> int:
    """v3LinearInputDecay / v3LinearOutputDecay: relative amounts interpolated, rounded for the swapper."""
    if current >= end:
        return end_amount
    elapsed, duration = current - start, end - start
    if end_amount < start_amount:
        rounding = mul_div_up if output else mul_div_down
        return start_amount - rounding(start_amount - end_amount, elapsed, duration)
    rounding = mul_div_down if output else mul_div_up
    return start_amount + rounding(end_amount - start_amount, elapsed, duration)


def curve_decay(
    *,
    relative_blocks: int,
    relative_amounts: Sequence[int],
    start_amount: int,
    decay_start_block: int,
    block_number: int,
    low: int,
    high: int,
    output: bool,
) -> int:
    """NonlinearDutchDecayLib.decay: the amount at `block_number`, bounded to [low, high]."""
    if len(relative_amounts) > MAX_CURVE_POINTS:
        raise OrderReverts("a decay curve has more than 16 points", error="InvalidDecayCurve")
    if decay_start_block >= block_number or not relative_amounts:
        return bound(start_amount, low, high)
    block_delta = min(block_number - decay_start_block, 0xFFFF)
    start, end, rel_start, rel_end = _locate(relative_blocks, relative_amounts, block_delta)
    curve_delta = _v3_linear(start, end, block_delta, rel_start, rel_end, output=output)
    return bounded_sub(start_amount, curve_delta, low, high)


def gas_delta(adjustment_per_gwei: int, base_fee_delta: int) -> int:
    """V3DutchOrderReactor._computeDelta: the adjustment for a base-fee move, rounded for the swapper."""
    if base_fee_delta >= 0:
        return mul_div_down(adjustment_per_gwei, base_fee_delta, 10**9)
    return -mul_div_up(adjustment_per_gwei, -base_fee_delta, 10**9)


# -- priority-fee scaling ------------------------------------------------------------------------
def scale_priority_input(amount: int, mps_per_priority_fee_wei: int, priority_fee: int) -> int:
    """PriorityFeeLib.scale (input): the swapper pays less as the filler bids more priority fee."""
    scaling = priority_fee * mps_per_priority_fee_wei
    if scaling > MAX_UINT256:
        raise OrderReverts("priority fee scaling overflows", error="Panic")
    if scaling >= MPS:
        return 0
    return amount if scaling == 0 else mul_div_down(amount, MPS - scaling, MPS)


def scale_priority_output(amount: int, mps_per_priority_fee_wei: int, priority_fee: int) -> int:
    """PriorityFeeLib.scale (output): the swapper receives more as the filler bids more priority fee."""
    if mps_per_priority_fee_wei == 0:
        return amount
    scaling = priority_fee * mps_per_priority_fee_wei
    if scaling > MAX_UINT256 or MPS + scaling > MAX_UINT256:
        raise OrderReverts("priority fee scaling overflows", error="Panic")
    return mul_div_up(amount, MPS + scaling, MPS)
