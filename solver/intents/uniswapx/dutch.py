"""`dutch`: ExclusiveDutchOrder (the SDK's DutchOrder), filled through ExclusiveDutchOrderReactor.

Input and outputs decay linearly in time between decayStartTime and decayEndTime (only one side may decay);
until decayStartTime only the exclusive filler may fill at the signed amounts, anyone else pays outputs
scaled up by exclusivityOverrideBps (or cannot fill when it is 0).

The reactor is UniswapX v1.1 (2023; mainnet's and the SDK's bytecode), older than the V2/V3 libraries: it
checks the window's order itself (OrderEndTimeBeforeStartTime), accepts an empty window, rounds rising
amounts and the exclusivity override down, and refuses expired orders itself (DeadlinePassed).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

from solver.intents.uniswapx import decay, eip712
from solver.intents.uniswapx.errors import OrderReverts
from solver.intents.uniswapx.order import ORDER_INFO_ABI, Order, checksum, info_from_abi, summed
from solver.intents.uniswapx.types import ZERO_ADDRESS, DutchInput, DutchOutput, InputToken, OutputToken

EXCLUSIVE_DUTCH_ORDER_TYPE = (
    "ExclusiveDutchOrder(OrderInfo info,uint256 decayStartTime,uint256 decayEndTime,address exclusiveFiller,"
    "uint256 exclusivityOverrideBps,address inputToken,uint256 inputStartAmount,uint256 inputEndAmount,"
    "DutchOutput[] outputs)"
)
ORDER_TYPE_HASH = eip712.keccak(
    text=EXCLUSIVE_DUTCH_ORDER_TYPE + eip712.DUTCH_OUTPUT_TYPE + eip712.ORDER_INFO_TYPE
)
DUTCH_INPUT_ABI = "(address,uint256,uint256)"
DUTCH_OUTPUT_ABI = "(address,uint256,uint256,address)"


def outputs_from_abi(values: list[tuple]) -> tuple[DutchOutput, ...]:
    return tuple(DutchOutput(checksum(t), start, end, checksum(r)) for t, start, end, r in values)


def input_from_abi(value: tuple) -> DutchInput:
    token, start, end = value
    return DutchInput(checksum(token), start, end)


def outputs_hash(outputs: tuple[DutchOutput, ...]) -> bytes:
    return eip712.hash_list(
        [eip712.dutch_output_hash(o.token, o.start_amount, o.end_amount, o.recipient) for o in outputs]
    )


def outputs_message(outputs: tuple[DutchOutput, ...]) -> list[dict[str, Any]]:
    return [
        {"token": o.token, "startAmount": o.start_amount, "endAmount": o.end_amount, "recipient": o.recipient}
        for o in outputs
    ]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExclusiveDutchOrder(Order):
    KIND = "dutch"
    ABI_TYPE = f"({ORDER_INFO_ABI},uint256,uint256,address,uint256,{DUTCH_INPUT_ABI},{DUTCH_OUTPUT_ABI}[])"
    WITNESS_NAME = "ExclusiveDutchOrder"
    WITNESS_TYPE = (
        "ExclusiveDutchOrder witness)"
        + eip712.DUTCH_OUTPUT_TYPE
        + EXCLUSIVE_DUTCH_ORDER_TYPE
        + eip712.ORDER_INFO_TYPE
        + eip712.TOKEN_PERMISSIONS_TYPE
    )

    decay_start_time: int
    decay_end_time: int
    exclusive_filler: str = ZERO_ADDRESS
    exclusivity_override_bps: int = 0
    input: DutchInput
    outputs: tuple[DutchOutput, ...]

    def abi_value(self) -> tuple:
        return (
            self.info.as_tuple(),
            self.decay_start_time,
            self.decay_end_time,
            self.exclusive_filler,
            self.exclusivity_override_bps,
            self.input.as_tuple(),
            [o.as_tuple() for o in self.outputs],
        )

    @classmethod
    def from_abi(cls, value: tuple, *, chain_id: int, permit2: str) -> Self:
        info, start, end, filler, bps, input_, outputs = value
        return cls(
            info=info_from_abi(info),
            chain_id=chain_id,
            permit2=permit2,
            decay_start_time=start,
            decay_end_time=end,
            exclusive_filler=checksum(filler),
            exclusivity_override_bps=bps,
            input=input_from_abi(input_),
            outputs=outputs_from_abi(outputs),
        )

    def struct_hash(self) -> bytes:
        return eip712.struct_hash(
            ORDER_TYPE_HASH,
            eip712.order_info_hash(self.info),
            self.decay_start_time,
            self.decay_end_time,
            self.exclusive_filler,
            self.exclusivity_override_bps,
            self.input.token,
            self.input.start_amount,
            self.input.end_amount,
            outputs_hash(self.outputs),
        )

    @property
    def permit_token(self) -> str:
        return self.input.token

    @property
    def permit_amount(self) -> int:
        return self.input.end_amount

    @property
    def min_outputs(self) -> dict[str, int]:
        return summed((o.token, o.end_amount) for o in self.outputs)

    def witness_typed_data(self) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
        types = {
            "ExclusiveDutchOrder": eip712.fields(EXCLUSIVE_DUTCH_ORDER_TYPE),
            "OrderInfo": eip712.ORDER_INFO_FIELDS,
            "DutchOutput": eip712.DUTCH_OUTPUT_FIELDS,
        }
        message = {
            "info": eip712.order_info_message(self.info),
            "decayStartTime": self.decay_start_time,
            "decayEndTime": self.decay_end_time,
            "exclusiveFiller": self.exclusive_filler,
            "exclusivityOverrideBps": self.exclusivity_override_bps,
            "inputToken": self.input.token,
            "inputStartAmount": self.input.start_amount,
            "inputEndAmount": self.input.end_amount,
            "outputs": outputs_message(self.outputs),
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
        """ExclusiveDutchOrderReactor._resolve at block time `timestamp` (other arguments are not used)."""
        if self.info.deadline < self.decay_end_time:
            raise OrderReverts("the deadline is before the decay ends", error="DeadlineBeforeEndTime")
        if self.decay_end_time < self.decay_start_time:
            raise OrderReverts("the decay ends before it starts", error="OrderEndTimeBeforeStartTime")
        if self.input.start_amount != self.input.end_amount and any(
            o.start_amount != o.end_amount for o in self.outputs
        ):
            raise OrderReverts("both the input and an output decay", error="InputAndOutputDecay")
        window = (self.decay_start_time, self.decay_end_time, timestamp)
        amount_in = decay.decay_input(self.input.start_amount, self.input.end_amount, *window, v1=True)
        outputs = [
            OutputToken(
                o.token, decay.decay_output(o.start_amount, o.end_amount, *window, v1=True), o.recipient
            )
            for o in self.outputs
        ]
        outputs = decay.apply_exclusivity(
            outputs,
            exclusive_filler=self.exclusive_filler,
            exclusivity_end=self.decay_start_time,
            override_bps=self.exclusivity_override_bps,
            position=timestamp,
            filler=filler,
            round_up=False,
        )
        self._check_deadline(timestamp, "DeadlinePassed")
        return self.resolved(InputToken(self.input.token, amount_in, self.input.end_amount), outputs)
