"""`v2_dutch`: V2DutchOrder, cosigned, filled through V2DutchOrderReactor.

The swapper signs base amounts; a cosigner then fixes the decay window, the exclusive filler and may improve
the amounts (never worsen them). The cosignature is raw ECDSA over
keccak(orderHash ++ abi.encode(cosignerData)) — no chain id, unlike V3 and Priority.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

from eth_utils import keccak

from solver.intents.uniswapx import decay, eip712
from solver.intents.uniswapx.dutch import (
    DUTCH_INPUT_ABI,
    DUTCH_OUTPUT_ABI,
    input_from_abi,
    outputs_from_abi,
    outputs_hash,
    outputs_message,
)
from solver.intents.uniswapx.errors import OrderReverts
from solver.intents.uniswapx.order import ORDER_INFO_ABI, CosignedOrder, checksum, info_from_abi, summed
from solver.intents.uniswapx.types import ZERO_ADDRESS, DutchInput, DutchOutput, InputToken, OutputToken

V2_DUTCH_ORDER_TYPE = (
    "V2DutchOrder(OrderInfo info,address cosigner,address baseInputToken,uint256 baseInputStartAmount,"
    "uint256 baseInputEndAmount,DutchOutput[] baseOutputs)"
)
ORDER_TYPE_HASH = keccak(text=V2_DUTCH_ORDER_TYPE + eip712.DUTCH_OUTPUT_TYPE + eip712.ORDER_INFO_TYPE)
COSIGNER_DATA_ABI = "(uint256,uint256,address,uint256,uint256,uint256[])"


@dataclasses.dataclass(frozen=True)
class V2CosignerData:
    """What the cosigner decides: the decay window, exclusivity, and improved amounts (0 = keep the base)."""

    decay_start_time: int
    decay_end_time: int
    exclusive_filler: str = ZERO_ADDRESS
    exclusivity_override_bps: int = 0
    input_amount: int = 0
    output_amounts: tuple[int, ...] = ()

    def as_tuple(self) -> tuple:
        return (
            self.decay_start_time,
            self.decay_end_time,
            self.exclusive_filler,
            self.exclusivity_override_bps,
            self.input_amount,
            list(self.output_amounts),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class V2DutchOrder(CosignedOrder):
    KIND = "v2_dutch"
    ABI_TYPE = f"({ORDER_INFO_ABI},address,{DUTCH_INPUT_ABI},{DUTCH_OUTPUT_ABI}[],{COSIGNER_DATA_ABI},bytes)"
    WITNESS_NAME = "V2DutchOrder"
    WITNESS_TYPE = (
        "V2DutchOrder witness)"
        + eip712.DUTCH_OUTPUT_TYPE
        + eip712.ORDER_INFO_TYPE
        + eip712.TOKEN_PERMISSIONS_TYPE
        + V2_DUTCH_ORDER_TYPE
    )

    base_input: DutchInput
    base_outputs: tuple[DutchOutput, ...]
    cosigner_data: V2CosignerData

    def abi_value(self) -> tuple:
        return (
            self.info.as_tuple(),
            self.cosigner,
            self.base_input.as_tuple(),
            [o.as_tuple() for o in self.base_outputs],
            self.cosigner_data.as_tuple(),
            self.cosignature,
        )

    @classmethod
    def from_abi(cls, value: tuple, *, chain_id: int, permit2: str) -> Self:
        info, cosigner, input_, outputs, data, cosignature = value
        start, end, filler, bps, input_amount, output_amounts = data
        return cls(
            info=info_from_abi(info),
            chain_id=chain_id,
            permit2=permit2,
            cosigner=checksum(cosigner),
            base_input=input_from_abi(input_),
            base_outputs=outputs_from_abi(outputs),
            cosigner_data=V2CosignerData(
                start, end, checksum(filler), bps, input_amount, tuple(output_amounts)
            ),
            cosignature=cosignature,
        )

    def struct_hash(self) -> bytes:
        return eip712.struct_hash(
            ORDER_TYPE_HASH,
            eip712.order_info_hash(self.info),
            self.cosigner,
            self.base_input.token,
            self.base_input.start_amount,
            self.base_input.end_amount,
            outputs_hash(self.base_outputs),
        )

    def cosigner_digest(self) -> bytes:
        """keccak(orderHash ++ abi.encode(cosignerData)), the struct's words packed directly."""
        d = self.cosigner_data
        head = (0x20, d.decay_start_time, d.decay_end_time, d.exclusive_filler, d.exclusivity_override_bps)
        data = b"".join(eip712.word(v) for v in (*head, d.input_amount, 6 * 32))
        return keccak(self.hash_bytes + data + eip712.uint_array(d.output_amounts))

    @property
    def permit_token(self) -> str:
        return self.base_input.token

    @property
    def permit_amount(self) -> int:
        return self.base_input.end_amount

    @property
    def min_outputs(self) -> dict[str, int]:
        return summed((o.token, o.end_amount) for o in self.base_outputs)

    def witness_typed_data(self) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
        types = {
            "V2DutchOrder": eip712.fields(V2_DUTCH_ORDER_TYPE),
            "OrderInfo": eip712.ORDER_INFO_FIELDS,
            "DutchOutput": eip712.DUTCH_OUTPUT_FIELDS,
        }
        message = {
            "info": eip712.order_info_message(self.info),
            "cosigner": self.cosigner,
            "baseInputToken": self.base_input.token,
            "baseInputStartAmount": self.base_input.start_amount,
            "baseInputEndAmount": self.base_input.end_amount,
            "baseOutputs": outputs_message(self.base_outputs),
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
        """V2DutchOrderReactor._resolve at block time `timestamp` (other arguments are not used)."""
        data = self.cosigner_data
        if self.info.deadline < data.decay_end_time:
            raise OrderReverts("the deadline is before the decay ends", error="DeadlineBeforeEndTime")
        self.verify_cosignature()
        input_start, output_starts = decay.cosigner_amounts(
            self.base_input.start_amount,
            [o.start_amount for o in self.base_outputs],
            data.input_amount,
            data.output_amounts,
        )
        window = (data.decay_start_time, data.decay_end_time, timestamp)
        amount_in = decay.decay_input(input_start, self.base_input.end_amount, *window)
        outputs = [
            OutputToken(o.token, decay.decay_output(start, o.end_amount, *window), o.recipient)
            for o, start in zip(self.base_outputs, output_starts, strict=True)
        ]
        outputs = decay.apply_exclusivity(
            outputs,
            exclusive_filler=data.exclusive_filler,
            exclusivity_end=data.decay_start_time,
            override_bps=data.exclusivity_override_bps,
            position=timestamp,
            filler=filler,
        )
        self._check_deadline(timestamp)
        return self.resolved(
            InputToken(self.base_input.token, amount_in, self.base_input.end_amount), outputs
        )
