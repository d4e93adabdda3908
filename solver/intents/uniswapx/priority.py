"""`priority`: PriorityOrder, filled through PriorityOrderReactor (on Base; not deployed on mainnet).

No time decay: fillers compete on the priority fee they pay. Above baselinePriorityFeeWei, every wei of
priority fee scales the outputs up (or the input down) by mpsPerPriorityFeeWei milli-bps. The order opens at
auctionStartBlock; a cosigner may open it earlier (auctionTargetBlock), signing over the chain id.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

from eth_utils import keccak

from solver.intents.uniswapx import decay, eip712
from solver.intents.uniswapx.errors import OrderReverts
from solver.intents.uniswapx.order import ORDER_INFO_ABI, CosignedOrder, checksum, info_from_abi, summed
from solver.intents.uniswapx.types import ZERO_ADDRESS, InputToken, OutputToken

PRIORITY_INPUT_TYPE = "PriorityInput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei)"
PRIORITY_OUTPUT_TYPE = (
    "PriorityOutput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei,address recipient)"
)
PRIORITY_ORDER_TYPE = (
    "PriorityOrder(OrderInfo info,address cosigner,uint256 auctionStartBlock,uint256 baselinePriorityFeeWei,"
    "PriorityInput input,PriorityOutput[] outputs)"
)
PRIORITY_INPUT_TYPE_HASH = keccak(text=PRIORITY_INPUT_TYPE)
PRIORITY_OUTPUT_TYPE_HASH = keccak(text=PRIORITY_OUTPUT_TYPE)
ORDER_TYPE_HASH = keccak(
    text=PRIORITY_ORDER_TYPE + eip712.ORDER_INFO_TYPE + PRIORITY_INPUT_TYPE + PRIORITY_OUTPUT_TYPE
)


@dataclasses.dataclass(frozen=True)
class PriorityInput:
    token: str
    amount: int
    mps_per_priority_fee_wei: int = 0

    def as_tuple(self) -> tuple:
        return (self.token, self.amount, self.mps_per_priority_fee_wei)


@dataclasses.dataclass(frozen=True)
class PriorityOutput:
    token: str
    amount: int
    mps_per_priority_fee_wei: int
    recipient: str

    def as_tuple(self) -> tuple:
        return (self.token, self.amount, self.mps_per_priority_fee_wei, self.recipient)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PriorityOrder(CosignedOrder):
    KIND = "priority"
    ABI_TYPE = (
        f"({ORDER_INFO_ABI},address,uint256,uint256,(address,uint256,uint256),"
        "(address,uint256,uint256,address)[],(uint256),bytes)"
    )
    WITNESS_NAME = "PriorityOrder"
    WITNESS_TYPE = (
        "PriorityOrder witness)"
        + eip712.ORDER_INFO_TYPE
        + PRIORITY_INPUT_TYPE
        + PRIORITY_ORDER_TYPE
        + PRIORITY_OUTPUT_TYPE
        + eip712.TOKEN_PERMISSIONS_TYPE
    )

    cosigner: str = ZERO_ADDRESS
    auction_start_block: int
    baseline_priority_fee_wei: int = 0
    input: PriorityInput
    outputs: tuple[PriorityOutput, ...]
    auction_target_block: int = 0  # PriorityCosignerData.auctionTargetBlock

    def abi_value(self) -> tuple:
        return (
            self.info.as_tuple(),
            self.cosigner,
            self.auction_start_block,
            self.baseline_priority_fee_wei,
            self.input.as_tuple(),
            [o.as_tuple() for o in self.outputs],
            (self.auction_target_block,),
            self.cosignature,
        )

    @classmethod
    def from_abi(cls, value: tuple, *, chain_id: int, permit2: str) -> Self:
        info, cosigner, start, baseline, input_, outputs, (target,), cosignature = value
        token, amount, mps = input_
        return cls(
            info=info_from_abi(info),
            chain_id=chain_id,
            permit2=permit2,
            cosigner=checksum(cosigner),
            auction_start_block=start,
            baseline_priority_fee_wei=baseline,
            input=PriorityInput(checksum(token), amount, mps),
            outputs=tuple(PriorityOutput(checksum(t), a, m, checksum(r)) for t, a, m, r in outputs),
            auction_target_block=target,
            cosignature=cosignature,
        )

    def struct_hash(self) -> bytes:
        i = self.input
        input_hash = eip712.struct_hash(
            PRIORITY_INPUT_TYPE_HASH, i.token, i.amount, i.mps_per_priority_fee_wei
        )
        outputs_hash = eip712.hash_list(
            [
                eip712.struct_hash(
                    PRIORITY_OUTPUT_TYPE_HASH, o.token, o.amount, o.mps_per_priority_fee_wei, o.recipient
                )
                for o in self.outputs
            ]
        )
        return eip712.struct_hash(
            ORDER_TYPE_HASH,
            eip712.order_info_hash(self.info),
            self.cosigner,
            self.auction_start_block,
            self.baseline_priority_fee_wei,
            input_hash,
            outputs_hash,
        )

    def cosigner_digest(self) -> bytes:
        target = eip712.word(self.auction_target_block)  # abi.encode of a static one-word struct
        return keccak(self.hash_bytes + eip712.word(self.chain_id) + target)

    @property
    def permit_token(self) -> str:
        return self.input.token

    @property
    def permit_amount(self) -> int:
        return self.input.amount

    @property
    def min_outputs(self) -> dict[str, int]:
        return summed((o.token, o.amount) for o in self.outputs)

    def witness_typed_data(self) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
        types = {
            "PriorityOrder": eip712.fields(PRIORITY_ORDER_TYPE),
            "PriorityInput": eip712.fields(PRIORITY_INPUT_TYPE),
            "PriorityOutput": eip712.fields(PRIORITY_OUTPUT_TYPE),
            "OrderInfo": eip712.ORDER_INFO_FIELDS,
        }
        message = {
            "info": eip712.order_info_message(self.info),
            "cosigner": self.cosigner,
            "auctionStartBlock": self.auction_start_block,
            "baselinePriorityFeeWei": self.baseline_priority_fee_wei,
            "input": {
                "token": self.input.token,
                "amount": self.input.amount,
                "mpsPerPriorityFeeWei": self.input.mps_per_priority_fee_wei,
            },
            "outputs": [
                {
                    "token": o.token,
                    "amount": o.amount,
                    "mpsPerPriorityFeeWei": o.mps_per_priority_fee_wei,
                    "recipient": o.recipient,
                }
                for o in self.outputs
            ],
        }
        return types, message

    def cosignature_applies(self, block_number: int | None) -> bool:
        """Whether the reactor reads the cosignature in this block (None: in some block before the start)."""
        return (
            self.cosigner != ZERO_ADDRESS
            and (block_number is None or block_number < self.auction_start_block)
            and self.auction_target_block < self.auction_start_block
        )

    def opening_block(self) -> int:
        """The first block the reactor lets this order fill in, if the cosignature holds."""
        return self.auction_target_block if self.cosignature_applies(None) else self.auction_start_block

    def resolve(
        self,
        *,
        timestamp: int,
        block_number: int | None = None,
        base_fee: int | None = None,
        priority_fee: int | None = None,
        filler: str | None = None,
    ):
        """PriorityOrderReactor._resolve in block `block_number`, for a fill transaction paying `priority_fee`
        wei per gas above the base fee (its gas price minus the block's base fee). The reactor's Permit2 nonce
        check needs the chain: `check` does it."""
        if block_number is None or priority_fee is None:
            raise ValueError("a priority order resolves at a block and a priority fee: pass both")
        self._check_deadline(timestamp, "InvalidDeadline")
        start = self.auction_start_block
        if self.cosignature_applies(block_number):
            self.verify_cosignature()
            start = self.auction_target_block
        if block_number < start:
            raise OrderReverts(
                f"the auction opens at block {start} (this is block {block_number})",
                code="decay_not_started",
                error="OrderNotFillable",
            )
        if self.input.mps_per_priority_fee_wei > 0 and any(
            o.mps_per_priority_fee_wei > 0 for o in self.outputs
        ):
            raise OrderReverts(
                "both the input and an output scale with priority fee", error="InputOutputScaling"
            )
        if priority_fee < 0:
            raise OrderReverts("the gas price is below the base fee", error="InvalidGasPrice")
        fee = max(priority_fee - self.baseline_priority_fee_wei, 0)
        amount_in = decay.scale_priority_input(self.input.amount, self.input.mps_per_priority_fee_wei, fee)
        outputs = [
            OutputToken(
                o.token, decay.scale_priority_output(o.amount, o.mps_per_priority_fee_wei, fee), o.recipient
            )
            for o in self.outputs
        ]
        return self.resolved(InputToken(self.input.token, amount_in, self.input.amount), outputs)
