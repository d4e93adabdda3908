"""`Order.resolve` equals the real reactors' resolution, on the built-in chain, for every kind.

The SDK's OrderQuoter (at its mainnet address) calls `executeWithCallback` on the order's reactor, which
resolves the order, pulls the input through Permit2 and hands the ResolvedOrder to the quoter, which reverts
with it. One `eth_call` per case, with block overrides (time, number, base fee) and a gas price, so
hundreds of randomised cases (decay windows, curves of up to 16 points, gas adjustment, exclusivity
overrides, cosigner overrides, priority scaling, invalid orders) run in one JSON-RPC batch per kind.
Where the reactor reverts, `resolve` must raise the same error.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from eth_account import Account
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain.errors import RpcError
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, approve
from solver.intents.uniswapx import (
    ZERO_ADDRESS,
    DutchInput,
    DutchOutput,
    ExclusiveDutchOrder,
    NonlinearDutchDecay,
    Order,
    OrderInfo,
    OrderReverts,
    PriorityInput,
    PriorityOrder,
    PriorityOutput,
    ResolvedOrder,
    V2CosignerData,
    V2DutchOrder,
    V3CosignerData,
    V3DutchInput,
    V3DutchOrder,
    V3DutchOutput,
    reactor_for,
)

from .factory import COSIGNER_KEY, OTHER, OTHER_KEY, SWAPPER, SWAPPER_KEY

QUOTER = mainnet.UNISWAPX_ORDER_QUOTER
CASES = 150  # per kind; each is one eth_call in a batch
ERRORS = [
    "DeadlineBeforeEndTime()",
    "DeadlinePassed()",
    "OrderEndTimeBeforeStartTime()",
    "InputAndOutputDecay()",
    "IncorrectAmounts()",
    "EndTimeBeforeStartTime()",
    "NoExclusiveOverride()",
    "InvalidCosignature()",
    "InvalidCosignerInput()",
    "InvalidCosignerOutput()",
    "InvalidDecayCurve()",
    "DeadlineReached()",
    "InvalidDeadline()",
    "OrderNotFillable()",
    "InputOutputScaling()",
    "InvalidGasPrice()",
    "SignatureExpired(uint256)",
]
ERROR_BY_SELECTOR = {keccak(text=e)[:4]: e.split("(")[0] for e in ERRORS}
TOKENS_IN = (mainnet.USDC, mainnet.DAI)
TOKENS_OUT = (mainnet.WETH, mainnet.WBTC, mainnet.USDT)
COSIGNER = Account.from_key(COSIGNER_KEY).address


@pytest.fixture
def swapper_approved(chain: Node) -> Node:
    for token in TOKENS_IN:
        approve(chain, token, SWAPPER, mainnet.PERMIT2, MAX_UINT256)
    return chain


class Case:
    def __init__(self, order: Order, *, timestamp: int, block: int, base_fee: int, priority_fee: int) -> None:
        self.order, self.timestamp, self.block = order, timestamp, block
        self.base_fee, self.priority_fee = base_fee, priority_fee


def _amount(rng: random.Random, scale: int) -> int:
    return rng.randint(1, scale)


def _exclusivity(rng: random.Random) -> tuple[str, int]:
    filler = rng.choice([ZERO_ADDRESS, QUOTER, OTHER])
    return filler, rng.choice([0, 0, rng.randint(1, 10_000)])


def _outputs(rng: random.Random, make: Callable[[str, int], object]) -> tuple:
    return tuple(make(rng.choice(TOKENS_OUT), _amount(rng, 10**20)) for _ in range(rng.randint(1, 3)))


def dutch_case(rng: random.Random, now: int, block: int) -> Case:
    t0 = now + rng.randint(-300, 300)
    t1 = t0 + rng.choice([0, 1, rng.randint(1, 2_000)])
    start_in = _amount(rng, 10**12)
    end_in = rng.choice([start_in, start_in, start_in + _amount(rng, 10**10), max(start_in - 1, 0)])

    def output(token: str, start: int) -> DutchOutput:
        end = rng.choice([start, rng.randint(0, start), start + 1 if rng.random() < 0.05 else start])
        return DutchOutput(token, start, end, rng.choice([SWAPPER, OTHER]))

    filler, bps = _exclusivity(rng)
    order = ExclusiveDutchOrder(
        info=OrderInfo(
            reactor_for("dutch", 31337), SWAPPER, rng.randint(0, 2**64), t1 + rng.randint(-3, 3_000)
        ),
        chain_id=31337,
        decay_start_time=t0,
        decay_end_time=t1,
        exclusive_filler=filler,
        exclusivity_override_bps=bps,
        input=DutchInput(rng.choice(TOKENS_IN), start_in, end_in),
        outputs=_outputs(rng, output),
    )
    return Case(order, timestamp=now + rng.randint(-400, 2_500), block=block, base_fee=1, priority_fee=0)


def v2_case(rng: random.Random, now: int, block: int) -> Case:
    t0 = now + rng.randint(-300, 300)
    t1 = t0 + (rng.choice([0, 1]) if rng.random() < 0.1 else rng.randint(1, 2_000))
    start_in = _amount(rng, 10**12)
    end_in = rng.choice([start_in, start_in + _amount(rng, 10**10)])

    def output(token: str, start: int) -> DutchOutput:
        return DutchOutput(token, start, rng.randint(0, start), rng.choice([SWAPPER, OTHER]))

    outputs = _outputs(rng, output)
    filler, bps = _exclusivity(rng)
    overrides = tuple(rng.choice([0, 0, 0, o.start_amount + rng.randint(0, 10**15)]) for o in outputs)
    if rng.random() < 0.1:  # a cosigner lowering an output, or sending too few amounts
        overrides = rng.choice([overrides[:-1], (outputs[0].start_amount - 1, *overrides[1:])])
    order = V2DutchOrder(
        info=OrderInfo(
            reactor_for("v2_dutch", 31337), SWAPPER, rng.randint(0, 2**64), t1 + rng.randint(-3, 3_000)
        ),
        chain_id=31337,
        cosigner=COSIGNER,
        base_input=DutchInput(rng.choice(TOKENS_IN), start_in, end_in),
        base_outputs=outputs,
        cosigner_data=V2CosignerData(
            t0, t1, filler, bps, rng.choice([0, 0, 0, rng.randint(1, start_in), start_in + 1]), overrides
        ),
    )
    order = order.cosign(COSIGNER_KEY if rng.random() < 0.95 else OTHER_KEY)
    return Case(order, timestamp=now + rng.randint(-400, 2_500), block=block, base_fee=1, priority_fee=0)


def _curve(rng: random.Random, scale: int) -> NonlinearDutchDecay:
    points = rng.choice([0, rng.randint(1, 16), rng.randint(1, 16), 17])
    blocks = sorted(rng.sample(range(0, 65_536 if rng.random() < 0.2 else 200), points))
    amounts = tuple(rng.randint(-scale // 4, scale) for _ in range(points))
    packed = sum(b << (16 * i) for i, b in enumerate(blocks[:16]))
    return NonlinearDutchDecay(packed, amounts)


def v3_case(rng: random.Random, now: int, block: int) -> Case:
    start_in = _amount(rng, 10**12)
    max_in = start_in + rng.choice([0, _amount(rng, 10**11)])
    exact_out = rng.random() < 0.5

    def output(token: str, start: int) -> V3DutchOutput:
        curve = NonlinearDutchDecay() if exact_out else _curve(rng, start // 2 + 1)
        adjust = rng.choice([0, 0, rng.randint(1, 10**15)])
        return V3DutchOutput(token, start, curve, rng.choice([SWAPPER, OTHER]), rng.randint(0, start), adjust)

    outputs = _outputs(rng, output)
    filler, bps = _exclusivity(rng)
    decay_start = block + rng.randint(-30, 30)
    overrides = tuple(
        rng.choice([0, 0, 0, 0, o.start_amount + rng.randint(0, 10**15), o.start_amount - 1]) for o in outputs
    )
    order = V3DutchOrder(
        info=OrderInfo(
            reactor_for("v3_dutch", 31337), SWAPPER, rng.randint(0, 2**64), now + rng.randint(-100, 5_000)
        ),
        chain_id=31337,
        cosigner=COSIGNER,
        starting_base_fee=rng.randint(0, 10**11),
        base_input=V3DutchInput(
            rng.choice(TOKENS_IN),
            start_in,
            _curve(rng, start_in // 2 + 1) if exact_out else NonlinearDutchDecay(),
            max_in,
            rng.choice([0, 0, rng.randint(1, 10**6)]),
        ),
        base_outputs=outputs,
        cosigner_data=V3CosignerData(
            decay_start, filler, bps, rng.choice([0, 0, 0, rng.randint(1, start_in), start_in + 1]), overrides
        ),
    )
    order = order.cosign(COSIGNER_KEY if rng.random() < 0.95 else OTHER_KEY)
    at_block = decay_start + rng.choice([rng.randint(-5, 40), rng.randint(0, 70_000)])
    return Case(
        order,
        timestamp=now + rng.randint(0, 100),
        block=at_block,
        base_fee=rng.randint(0, 10**11),
        priority_fee=0,
    )


def priority_case(rng: random.Random, now: int, block: int) -> Case:
    input_mps = rng.choice([0, 0, rng.randint(1, 10_000)])

    def output(token: str, amount: int) -> PriorityOutput:
        mps = rng.choice([0, rng.randint(1, 10_000)]) if input_mps == 0 or rng.random() < 0.1 else 0
        return PriorityOutput(token, amount, mps, rng.choice([SWAPPER, OTHER]))

    start = block + rng.randint(-5, 5)
    order = PriorityOrder(
        info=OrderInfo(
            reactor_for("priority", 31337), SWAPPER, rng.randint(0, 2**64), now + rng.randint(-100, 5_000)
        ),
        chain_id=31337,
        cosigner=rng.choice([ZERO_ADDRESS, COSIGNER]),
        auction_start_block=start,
        baseline_priority_fee_wei=rng.choice([0, rng.randint(0, 10**9)]),
        input=PriorityInput(rng.choice(TOKENS_IN), _amount(rng, 10**12), input_mps),
        outputs=_outputs(rng, output),
        auction_target_block=start - rng.randint(-2, 5),
    )
    order = order.cosign(COSIGNER_KEY if rng.random() < 0.9 else OTHER_KEY)
    return Case(
        order,
        timestamp=now + rng.randint(0, 100),
        block=block + rng.randint(-6, 6),
        base_fee=rng.randint(1, 10**10),
        priority_fee=rng.choice([0, rng.randint(0, 10**9), rng.randint(0, 10**13)]),
    )


MAKERS = {"dutch": dutch_case, "v2_dutch": v2_case, "v3_dutch": v3_case, "priority": priority_case}


def _quote_calls(node: Node, cases: list[Case]) -> list[object]:
    quote = node.contract("OrderQuoter", QUOTER).interface.fn("quote")
    calls = []
    for case in cases:
        data = quote.encode(case.order.encode(), case.order.sign(SWAPPER_KEY))
        tx = {
            "from": OTHER,  # funded: the gas price of priority cases is up to 10,000 gwei
            "to": QUOTER,
            "data": "0x" + data.hex(),
            "gasPrice": hex(case.base_fee + case.priority_fee),
            "gas": hex(10**7),
        }
        overrides = {"time": hex(case.timestamp), "number": hex(case.block), "baseFee": hex(case.base_fee)}
        calls.append(("eth_call", [tx, "latest", None, overrides]))
    replies = node.rpc.batch_results(calls)
    out = []
    for reply in replies:
        if isinstance(reply, RpcError):
            data = bytes.fromhex((reply.data or "0x")[2:])
            out.append(ERROR_BY_SELECTOR.get(data[:4], f"unknown revert {reply.data} {reply.rpc_message}"))
        else:
            out.append(quote.decode(bytes.fromhex(reply[2:])))
    return out


def _ours(case: Case) -> str | tuple:
    try:
        resolved: ResolvedOrder = case.order.resolve(
            timestamp=case.timestamp,
            block_number=case.block,
            base_fee=case.base_fee,
            priority_fee=case.priority_fee,
            filler=QUOTER,
        )
    except OrderReverts as err:
        return err.error or err.code
    return (
        (resolved.input.token.lower(), resolved.input.amount, resolved.input.max_amount),
        [(o.token.lower(), o.amount, o.recipient.lower()) for o in resolved.outputs],
        resolved.hash,
    )


@pytest.mark.parametrize("kind", list(MAKERS))
def test_resolution_equals_the_reactor(swapper_approved: Node, kind: str) -> None:
    node = swapper_approved
    latest = node.block()
    now, block = int(latest["timestamp"], 16), int(latest["number"], 16)
    rng = random.Random(f"uniswapx-{kind}")
    cases = [MAKERS[kind](rng, now, block) for _ in range(CASES)]
    chain = _quote_calls(node, cases)
    outcomes: dict[str, int] = {}
    for case, theirs in zip(cases, chain, strict=True):
        ours = _ours(case)
        if isinstance(theirs, tuple):
            _info, input_, outputs, _sig, order_hash = theirs
            theirs = (
                (input_[0].lower(), input_[1], input_[2]),
                [(t.lower(), amount, r.lower()) for t, amount, r in outputs],
                "0x" + order_hash.hex(),
            )
        assert ours == theirs, (case.order, case.timestamp, case.block, case.base_fee, case.priority_fee)
        key = theirs if isinstance(theirs, str) else "filled"
        outcomes[key] = outcomes.get(key, 0) + 1
    # the generator must exercise both sides: most cases resolve, and several reverts are covered
    assert outcomes.get("filled", 0) >= CASES // 3, outcomes
    assert len(outcomes) >= 3, outcomes
