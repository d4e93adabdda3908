"""Orders of every UniswapX kind for the tests, and their translation into the SDK oracle's request shape.

`make_order(kind, ...)` builds a realistic order (USDC in, WETH out by default) with the knobs the tests turn:
decay window, exclusivity, cosigner overrides, curves, gas adjustment, priority scaling. `sdk_request(order)`
writes the same order in the field names the official SDK's constructors take (sdk_oracle.mjs).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account

from amm.chain import addresses as mainnet
from solver.intents.uniswapx import (
    ZERO_ADDRESS,
    DutchInput,
    DutchOutput,
    ExclusiveDutchOrder,
    NonlinearDutchDecay,
    Order,
    OrderInfo,
    PriorityInput,
    PriorityOrder,
    PriorityOutput,
    V2CosignerData,
    V2DutchOrder,
    V3CosignerData,
    V3DutchInput,
    V3DutchOrder,
    V3DutchOutput,
    reactor_for,
)

# anvil's dev accounts 6 and 7 (free on the built-in chain: funded, no approvals), and a cosigner key
SWAPPER_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"
OTHER_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
COSIGNER_KEY = "0x" + "c0" * 32
SWAPPER = Account.from_key(SWAPPER_KEY).address
OTHER = Account.from_key(OTHER_KEY).address
COSIGNER = Account.from_key(COSIGNER_KEY).address
CHAIN_ID = 31337
KINDS = ("dutch", "v2_dutch", "v3_dutch", "priority")


def make_order(
    kind: str,
    *,
    now: int,
    block: int,
    swapper: str = SWAPPER,
    nonce: int = 1,
    token_in: str = mainnet.USDC,
    token_out: str = mainnet.WETH,
    amount_in: int = 3_000 * 10**6,
    amount_out: int = 10**18,
    decay_bps: int = 100,
    deadline: int | None = None,
    recipient: str | None = None,
    exclusive_filler: str = ZERO_ADDRESS,
    override_bps: int = 0,
    exclusive_until: int | None = None,
    exact_out: bool = False,
    extra_output: bool = False,
    chain_id: int = CHAIN_ID,
    cosign: bool = True,
    cosigner_key: str = COSIGNER_KEY,
) -> Order:
    """An order selling `amount_in` of token_in for about `amount_out` of token_out, decaying by `decay_bps`
    over the next 120 s (or 10 blocks), exclusive to `exclusive_filler` until `exclusive_until` (time or
    block, by kind; default: the decay start, i.e. `now`/`block`). Cosigned kinds come cosigned."""
    recipient = recipient or swapper
    deadline = deadline if deadline is not None else now + 3_600
    info = OrderInfo(reactor_for(kind, chain_id) or ZERO_ADDRESS, swapper, nonce, deadline)
    low_out = amount_out * (10_000 - decay_bps) // 10_000
    high_in = amount_in * (10_000 + decay_bps) // 10_000
    outputs_dutch = [DutchOutput(token_out, amount_out, low_out, recipient)]
    if extra_output:  # an interface fee to a third party, as the UniswapX API adds
        outputs_dutch.append(DutchOutput(token_out, amount_out // 400, low_out // 400, OTHER))
    if kind == "dutch":
        if exact_out:
            input_ = DutchInput(token_in, amount_in, high_in)
            outputs_dutch = [
                DutchOutput(o.token, o.start_amount, o.start_amount, o.recipient) for o in outputs_dutch
            ]
        else:
            input_ = DutchInput(token_in, amount_in, amount_in)
        return ExclusiveDutchOrder(
            info=info,
            chain_id=chain_id,
            decay_start_time=exclusive_until if exclusive_until is not None else now,
            decay_end_time=(exclusive_until if exclusive_until is not None else now) + 120,
            exclusive_filler=exclusive_filler,
            exclusivity_override_bps=override_bps,
            input=input_,
            outputs=tuple(outputs_dutch),
        )
    if kind == "v2_dutch":
        start = exclusive_until if exclusive_until is not None else now
        order: Order = V2DutchOrder(
            info=info,
            chain_id=chain_id,
            cosigner=Account.from_key(cosigner_key).address,
            base_input=DutchInput(token_in, amount_in, high_in if exact_out else amount_in),
            base_outputs=tuple(
                DutchOutput(
                    o.token, o.start_amount, o.start_amount if exact_out else o.end_amount, o.recipient
                )
                for o in outputs_dutch
            ),
            cosigner_data=V2CosignerData(
                decay_start_time=start,
                decay_end_time=start + 120,
                exclusive_filler=exclusive_filler,
                exclusivity_override_bps=override_bps,
                input_amount=0,
                output_amounts=tuple(0 for _ in outputs_dutch),
            ),
        )
    elif kind == "v3_dutch":
        start = exclusive_until if exclusive_until is not None else block
        steps = NonlinearDutchDecay.from_points([2, 6, 10], [0, 0, 0])
        if exact_out:
            step = (high_in - amount_in) // 3
            input_curve = NonlinearDutchDecay.from_points([2, 6, 10], [-step, -2 * step, -3 * step])
            output_curve = NonlinearDutchDecay()
        else:
            input_curve = NonlinearDutchDecay()
            step = (amount_out - low_out) // 3
            output_curve = NonlinearDutchDecay(steps.relative_blocks, (step, 2 * step, 3 * step))
        outputs_v3 = [V3DutchOutput(token_out, amount_out, output_curve, recipient, low_out)]
        if extra_output:
            outputs_v3.append(V3DutchOutput(token_out, amount_out // 400, output_curve, OTHER, 0))
        order = V3DutchOrder(
            info=info,
            chain_id=chain_id,
            cosigner=Account.from_key(cosigner_key).address,
            starting_base_fee=10**9,
            base_input=V3DutchInput(token_in, amount_in, input_curve, high_in if exact_out else amount_in),
            base_outputs=tuple(outputs_v3),
            cosigner_data=V3CosignerData(
                decay_start_block=start,
                exclusive_filler=exclusive_filler,
                exclusivity_override_bps=override_bps,
                output_amounts=tuple(0 for _ in outputs_v3),
            ),
        )
    elif kind == "priority":
        outputs_p = [PriorityOutput(token_out, amount_out, 0 if exact_out else 1, recipient)]
        if extra_output:
            outputs_p.append(PriorityOutput(token_out, amount_out // 400, 0, OTHER))
        order = PriorityOrder(
            info=info,
            chain_id=chain_id,
            cosigner=Account.from_key(cosigner_key).address,
            auction_start_block=block,
            baseline_priority_fee_wei=10**12,  # above any tip a test sends: no scaling unless asked
            input=PriorityInput(token_in, amount_in, 1 if exact_out else 0),
            outputs=tuple(outputs_p),
            auction_target_block=block,  # the cosigner does not open it early
        )
    else:
        raise ValueError(kind)
    return order.cosign(cosigner_key) if cosign else order


# -- the SDK oracle's request shape -------------------------------------------------------------------
def _info(order: Order) -> dict[str, Any]:
    i = order.info
    return {
        "reactor": i.reactor,
        "swapper": i.swapper,
        "nonce": str(i.nonce),
        "deadline": str(i.deadline),
        "additionalValidationContract": i.additional_validation_contract,
        "additionalValidationData": "0x" + i.additional_validation_data.hex(),
    }


def _curve(curve: NonlinearDutchDecay) -> dict[str, Any]:
    return {"relativeBlocks": curve.blocks, "relativeAmounts": [str(a) for a in curve.relative_amounts]}


def sdk_request(order: Order, *, swapper_key: str | None = None, cosigner_key: str | None = None) -> dict:
    """The oracle request that builds `order` with the SDK (cosigned with `cosigner_key` if given)."""
    fields: dict[str, Any] = _info(order)
    cosigner_data: dict[str, Any] | None = None
    if isinstance(order, ExclusiveDutchOrder):
        fields |= {
            "decayStartTime": str(order.decay_start_time),
            "decayEndTime": str(order.decay_end_time),
            "exclusiveFiller": order.exclusive_filler,
            "exclusivityOverrideBps": str(order.exclusivity_override_bps),
            "input": {
                "token": order.input.token,
                "startAmount": str(order.input.start_amount),
                "endAmount": str(order.input.end_amount),
            },
            "outputs": [
                {
                    "token": o.token,
                    "startAmount": str(o.start_amount),
                    "endAmount": str(o.end_amount),
                    "recipient": o.recipient,
                }
                for o in order.outputs
            ],
        }
    elif isinstance(order, V2DutchOrder):
        d = order.cosigner_data
        fields |= {
            "cosigner": order.cosigner,
            "input": {
                "token": order.base_input.token,
                "startAmount": str(order.base_input.start_amount),
                "endAmount": str(order.base_input.end_amount),
            },
            "outputs": [
                {
                    "token": o.token,
                    "startAmount": str(o.start_amount),
                    "endAmount": str(o.end_amount),
                    "recipient": o.recipient,
                }
                for o in order.base_outputs
            ],
        }
        cosigner_data = {
            "decayStartTime": str(d.decay_start_time),
            "decayEndTime": str(d.decay_end_time),
            "exclusiveFiller": d.exclusive_filler,
            "exclusivityOverrideBps": str(d.exclusivity_override_bps),
            "inputOverride": str(d.input_amount),
            "outputOverrides": [str(a) for a in d.output_amounts],
        }
    elif isinstance(order, V3DutchOrder):
        d3 = order.cosigner_data
        i = order.base_input
        fields |= {
            "cosigner": order.cosigner,
            "startingBaseFee": str(order.starting_base_fee),
            "input": {
                "token": i.token,
                "startAmount": str(i.start_amount),
                "curve": _curve(i.curve),
                "maxAmount": str(i.max_amount),
                "adjustmentPerGweiBaseFee": str(i.adjustment_per_gwei_base_fee),
            },
            "outputs": [
                {
                    "token": o.token,
                    "startAmount": str(o.start_amount),
                    "curve": _curve(o.curve),
                    "recipient": o.recipient,
                    "minAmount": str(o.min_amount),
                    "adjustmentPerGweiBaseFee": str(o.adjustment_per_gwei_base_fee),
                }
                for o in order.base_outputs
            ],
        }
        cosigner_data = {
            "decayStartBlock": str(d3.decay_start_block),
            "exclusiveFiller": d3.exclusive_filler,
            "exclusivityOverrideBps": str(d3.exclusivity_override_bps),
            "inputOverride": str(d3.input_amount),
            "outputOverrides": [str(a) for a in d3.output_amounts],
        }
    elif isinstance(order, PriorityOrder):
        fields |= {
            "cosigner": order.cosigner,
            "auctionStartBlock": str(order.auction_start_block),
            "baselinePriorityFeeWei": str(order.baseline_priority_fee_wei),
            "input": {
                "token": order.input.token,
                "amount": str(order.input.amount),
                "mpsPerPriorityFeeWei": str(order.input.mps_per_priority_fee_wei),
            },
            "outputs": [
                {
                    "token": o.token,
                    "amount": str(o.amount),
                    "mpsPerPriorityFeeWei": str(o.mps_per_priority_fee_wei),
                    "recipient": o.recipient,
                }
                for o in order.outputs
            ],
        }
        cosigner_data = {"auctionTargetBlock": str(order.auction_target_block)}
    request: dict[str, Any] = {
        "kind": order.KIND,
        "chainId": order.chain_id,
        "permit2": order.permit2,
        "order": fields,
    }
    if swapper_key:
        request["swapperKey"] = swapper_key
    if cosigner_key and cosigner_data is not None:
        request |= {"cosignerData": cosigner_data, "cosignerKey": cosigner_key}
    return request
