"""`v3_dutch`: V3DutchOrder, cosigned, filled through V3DutchOrderReactor.

Amounts follow block-based piecewise-linear curves (up to 16 points of relative blocks and relative amounts
from the cosigner's decayStartBlock), move with the base fee (adjustmentPerGweiBaseFee from startingBaseFee),
and are bounded (an input by maxAmount, an output by minAmount). Exact-in orders decay outputs, exact-out
orders decay the input. The cosignature covers the chain id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Self

from eth_utils import keccak

from solver.intents.uniswapx import decay, eip712
from solver.intents.uniswapx.math import MAX_UINT256, bounded_add, bounded_sub, signed_delta
from solver.intents.uniswapx.order import ORDER_INFO_ABI, CosignedOrder, checksum, info_from_abi, summed
from solver.intents.uniswapx.types import ZERO_ADDRESS, InputToken, OutputToken

NON_LINEAR_DECAY_TYPE = "NonlinearDutchDecay(uint256 relativeBlocks,int256[] relativeAmounts)"
V3_DUTCH_ORDER_TYPE = (
    "V3DutchOrder(OrderInfo info,address cosigner,uint256 startingBaseFee,V3DutchInput baseInput,"
    "V3DutchOutput[] baseOutputs)"
)
V3_DUTCH_INPUT_TYPE = (
    "V3DutchInput(address token,uint256 startAmount,NonlinearDutchDecay curve,uint256 maxAmount,"
    "uint256 adjustmentPerGweiBaseFee)"
)
V3_DUTCH_OUTPUT_TYPE = (
    "V3DutchOutput(address token,uint256 startAmount,NonlinearDutchDecay curve,address recipient,"
    "uint256 minAmount,uint256 adjustmentPerGweiBaseFee)"
)
NON_LINEAR_DECAY_TYPE_HASH = keccak(text=NON_LINEAR_DECAY_TYPE)
V3_DUTCH_INPUT_TYPE_HASH = keccak(text=V3_DUTCH_INPUT_TYPE + NON_LINEAR_DECAY_TYPE)
V3_DUTCH_OUTPUT_TYPE_HASH = keccak(text=V3_DUTCH_OUTPUT_TYPE + NON_LINEAR_DECAY_TYPE)
ORDER_TYPE_HASH = keccak(
    text=V3_DUTCH_ORDER_TYPE
    + NON_LINEAR_DECAY_TYPE
    + eip712.ORDER_INFO_TYPE
    + V3_DUTCH_INPUT_TYPE
    + V3_DUTCH_OUTPUT_TYPE
)
CURVE_ABI = "(uint256,int256[])"
INPUT_ABI = f"(address,uint256,{CURVE_ABI},uint256,uint256)"
OUTPUT_ABI = f"(address,uint256,{CURVE_ABI},address,uint256,uint256)"
COSIGNER_DATA_ABI = "(uint256,address,uint256,uint256,uint256[])"


@dataclasses.dataclass(frozen=True)
class NonlinearDutchDecay:
    """A decay curve: relative blocks packed as 16-bit lanes of one word, and the amount subtracted at each
    (positive: the amount falls; negative: it rises)."""

    relative_blocks: int = 0
    relative_amounts: tuple[int, ...] = ()

    @classmethod
    def from_points(cls, blocks: Sequence[int], amounts: Sequence[int]) -> NonlinearDutchDecay:
        """A curve through (block offset, relative amount) points; offsets are uint16, at most 16 points."""
        if len(blocks) != len(amounts) or len(blocks) > decay.MAX_CURVE_POINTS:
            raise ValueError("a curve has as many blocks as amounts, at most 16")
        if any(not 0 <= b <= 0xFFFF for b in blocks):
            raise ValueError("relative blocks are uint16 (0..65535)")
        packed = sum(b << (16 * i) for i, b in enumerate(blocks))
        return cls(packed, tuple(amounts))

    @property
    def blocks(self) -> list[int]:
        return [decay.curve_point(self.relative_blocks, i) for i in range(len(self.relative_amounts))]

    def as_tuple(self) -> tuple:
        return (self.relative_blocks, list(self.relative_amounts))

    def hash(self) -> bytes:
        packed = keccak(b"".join(eip712.word(a) for a in self.relative_amounts))
        return eip712.struct_hash(NON_LINEAR_DECAY_TYPE_HASH, self.relative_blocks, packed)

    def message(self) -> dict[str, Any]:
        return {"relativeBlocks": self.relative_blocks, "relativeAmounts": list(self.relative_amounts)}


@dataclasses.dataclass(frozen=True)
class V3DutchInput:
    token: str
    start_amount: int
    curve: NonlinearDutchDecay
    max_amount: int
    adjustment_per_gwei_base_fee: int = 0

    def as_tuple(self) -> tuple:
        return (
            self.token,
            self.start_amount,
            self.curve.as_tuple(),
            self.max_amount,
            self.adjustment_per_gwei_base_fee,
        )


@dataclasses.dataclass(frozen=True)
class V3DutchOutput:
    token: str
    start_amount: int
    curve: NonlinearDutchDecay
    recipient: str
    min_amount: int
    adjustment_per_gwei_base_fee: int = 0

    def as_tuple(self) -> tuple:
        return (
            self.token,
            self.start_amount,
            self.curve.as_tuple(),
            self.recipient,
            self.min_amount,
            self.adjustment_per_gwei_base_fee,
        )


@dataclasses.dataclass(frozen=True)
class V3CosignerData:
    """The cosigner's block where decay starts (and exclusivity ends), exclusivity, improved amounts."""

    decay_start_block: int
    exclusive_filler: str = ZERO_ADDRESS
    exclusivity_override_bps: int = 0
    input_amount: int = 0
    output_amounts: tuple[int, ...] = ()

    def as_tuple(self) -> tuple:
        return (
            self.decay_start_block,
            self.exclusive_filler,
            self.exclusivity_override_bps,
            self.input_amount,
            list(self.output_amounts),
        )


def _curve(value: tuple) -> NonlinearDutchDecay:
    blocks, amounts = value
    return NonlinearDutchDecay(blocks, tuple(amounts))


@dataclasses.dataclass(frozen=True, kw_only=True)
class V3DutchOrder(CosignedOrder):
    KIND = "v3_dutch"
    ABI_TYPE = f"({ORDER_INFO_ABI},address,uint256,{INPUT_ABI},{OUTPUT_ABI}[],{COSIGNER_DATA_ABI},bytes)"
    WITNESS_NAME = "V3DutchOrder"
    WITNESS_TYPE = (
        "V3DutchOrder witness)"
        + NON_LINEAR_DECAY_TYPE
        + eip712.ORDER_INFO_TYPE
        + eip712.TOKEN_PERMISSIONS_TYPE
        + V3_DUTCH_INPUT_TYPE
        + V3_DUTCH_ORDER_TYPE
        + V3_DUTCH_OUTPUT_TYPE
    )

    starting_base_fee: int
    base_input: V3DutchInput
    base_outputs: tuple[V3DutchOutput, ...]
    cosigner_data: V3CosignerData

    @property
    def exact_output(self) -> bool:
        """An exact-out order decays (raises) its input; an exact-in order decays (lowers) its outputs."""
        return bool(self.base_input.curve.relative_amounts)

    def abi_value(self) -> tuple:
        return (
            self.info.as_tuple(),
            self.cosigner,
            self.starting_base_fee,
            self.base_input.as_tuple(),
            [o.as_tuple() for o in self.base_outputs],
            self.cosigner_data.as_tuple(),
            self.cosignature,
        )

    @classmethod
    def from_abi(cls, value: tuple, *, chain_id: int, permit2: str) -> Self:
        info, cosigner, base_fee, input_, outputs, data, cosignature = value
        token, start, curve, max_amount, adjustment = input_
        decay_start, filler, bps, input_amount, output_amounts = data
        return cls(
            info=info_from_abi(info),
            chain_id=chain_id,
            permit2=permit2,
            cosigner=checksum(cosigner),
            starting_base_fee=base_fee,
            base_input=V3DutchInput(checksum(token), start, _curve(curve), max_amount, adjustment),
            base_outputs=tuple(
                V3DutchOutput(checksum(t), s, _curve(c), checksum(r), m, a) for t, s, c, r, m, a in outputs
            ),
            cosigner_data=V3CosignerData(
                decay_start, checksum(filler), bps, input_amount, tuple(output_amounts)
            ),
            cosignature=cosignature,
        )

    def _input_hash(self) -> bytes:
        i = self.base_input
        return eip712.struct_hash(
            V3_DUTCH_INPUT_TYPE_HASH,
            i.token,
            i.start_amount,
            i.curve.hash(),
            i.max_amount,
            i.adjustment_per_gwei_base_fee,
        )

    def _outputs_hash(self) -> bytes:
        return eip712.hash_list(
            [
                eip712.struct_hash(
                    V3_DUTCH_OUTPUT_TYPE_HASH,
                    o.token,
                    o.start_amount,
                    o.curve.hash(),
                    o.recipient,
                    o.min_amount,
                    o.adjustment_per_gwei_base_fee,
                )
                for o in self.base_outputs
            ]
        )

    def struct_hash(self) -> bytes:
        return eip712.struct_hash(
            ORDER_TYPE_HASH,
            eip712.order_info_hash(self.info),
            self.cosigner,
            self.starting_base_fee,
            self._input_hash(),
            self._outputs_hash(),
        )

    def cosigner_digest(self) -> bytes:
        """keccak(orderHash ++ chainId ++ abi.encode(cosignerData)), the struct's words packed directly."""
        d = self.cosigner_data
        head = (
            0x20,
            d.decay_start_block,
            d.exclusive_filler,
            d.exclusivity_override_bps,
            d.input_amount,
            5 * 32,
        )
        data = b"".join(eip712.word(v) for v in head) + eip712.uint_array(d.output_amounts)
        return keccak(self.hash_bytes + eip712.word(self.chain_id) + data)

    @property
    def permit_token(self) -> str:
        return self.base_input.token

    @property
    def permit_amount(self) -> int:
        return self.base_input.max_amount

    @property
    def min_outputs(self) -> dict[str, int]:
        return summed((o.token, o.min_amount) for o in self.base_outputs)

    def witness_typed_data(self) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
        types = {
            "V3DutchOrder": eip712.fields(V3_DUTCH_ORDER_TYPE),
            "V3DutchInput": eip712.fields(V3_DUTCH_INPUT_TYPE),
            "V3DutchOutput": eip712.fields(V3_DUTCH_OUTPUT_TYPE),
            "NonlinearDutchDecay": eip712.fields(NON_LINEAR_DECAY_TYPE),
            "OrderInfo": eip712.ORDER_INFO_FIELDS,
        }
        i = self.base_input
        message = {
            "info": eip712.order_info_message(self.info),
            "cosigner": self.cosigner,
            "startingBaseFee": self.starting_base_fee,
            "baseInput": {
                "token": i.token,
                "startAmount": i.start_amount,
                "curve": i.curve.message(),
                "maxAmount": i.max_amount,
                "adjustmentPerGweiBaseFee": i.adjustment_per_gwei_base_fee,
            },
            "baseOutputs": [
                {
                    "token": o.token,
                    "startAmount": o.start_amount,
                    "curve": o.curve.message(),
                    "recipient": o.recipient,
                    "minAmount": o.min_amount,
                    "adjustmentPerGweiBaseFee": o.adjustment_per_gwei_base_fee,
                }
                for o in self.base_outputs
            ],
        }
        return types, message

    def resolve(
        self,
        *,
        timestamp: int,
        block_number: int | None = None,
        base_fee: int | None = None,
        priority_fee: int | None = None,
        filler: str | None = None,
    ):
        """V3DutchOrderReactor._resolve in block `block_number` with base fee `base_fee` (needed only when an
        amount adjusts with gas) at time `timestamp`."""
        if block_number is None:
            raise ValueError("a v3_dutch order resolves at a block: pass block_number")
        self._check_deadline(timestamp, "DeadlineReached")
        self.verify_cosignature()
        data = self.cosigner_data
        input_start, output_starts = decay.cosigner_amounts(
            self.base_input.start_amount,
            [o.start_amount for o in self.base_outputs],
            data.input_amount,
            data.output_amounts,
        )

        adjusts = self.base_input.adjustment_per_gwei_base_fee or any(
            o.adjustment_per_gwei_base_fee for o in self.base_outputs
        )
        if adjusts:
            if base_fee is None:
                raise ValueError("this order's amounts move with the base fee: pass base_fee")
            fee_delta = signed_delta(base_fee, self.starting_base_fee)
            if self.base_input.adjustment_per_gwei_base_fee:
                delta = decay.gas_delta(self.base_input.adjustment_per_gwei_base_fee, fee_delta)
                input_start = bounded_add(input_start, delta, 0, self.base_input.max_amount)
            for n, output in enumerate(self.base_outputs):
                if output.adjustment_per_gwei_base_fee:
                    delta = decay.gas_delta(output.adjustment_per_gwei_base_fee, fee_delta)
                    output_starts[n] = bounded_sub(output_starts[n], delta, output.min_amount, MAX_UINT256)

        curve = self.base_input.curve
        amount_in = decay.curve_decay(
            relative_blocks=curve.relative_blocks,
            relative_amounts=curve.relative_amounts,
            start_amount=input_start,
            decay_start_block=data.decay_start_block,
            block_number=block_number,
            low=0,
            high=self.base_input.max_amount,
            output=False,
        )
        outputs = [
            OutputToken(
                o.token,
                decay.curve_decay(
                    relative_blocks=o.curve.relative_blocks,
                    relative_amounts=o.curve.relative_amounts,
                    start_amount=start,
                    decay_start_block=data.decay_start_block,
                    block_number=block_number,
                    low=o.min_amount,
                    high=MAX_UINT256,
                    output=True,
                ),
                o.recipient,
            )
            for o, start in zip(self.base_outputs, output_starts, strict=True)
        ]
        outputs = decay.apply_exclusivity(
            outputs,
            exclusive_filler=data.exclusive_filler,
            exclusivity_end=data.decay_start_block,
            override_bps=data.exclusivity_override_bps,
            position=block_number,
            filler=filler,
        )
        return self.resolved(
            InputToken(self.base_input.token, amount_in, self.base_input.max_amount), outputs
        )
