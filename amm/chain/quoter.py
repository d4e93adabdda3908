"""QuoterV2 over raw JSON-RPC: many single-pool quotes in one batch, decoded, reverts as reason strings.

QuoterV2 quotes by running the pool's real swap inside an eth_call and reverting with the result, so it is
the chain's own answer to "what would this swap do now". `quote_many` asks it for any number of exact-input
or exact-output single-pool quotes in JSON-RPC batches, which is how the tests and the benchmark compare
`amm.v3.Pool.quote` with the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import RpcError
from amm.chain.node import Node
from amm.chain.rpc import block_tag

if TYPE_CHECKING:
    from amm.v3.quote import SwapQuote

UNEXPECTED = "Unexpected error"  # QuoterV2's reason when its swap callback rejects the swap


@dataclass(frozen=True)
class QuoteRequest:
    """One QuoterV2 single-pool quote. `amount` is the input (exact_input) or the output wanted; a limit of 0
    means none (QuoterV2 then uses MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1, and for exact output requires
    the whole amount to come out)."""

    token_in: str
    token_out: str
    fee: int
    amount: int
    exact_input: bool = True
    sqrt_price_limit_x96: int = 0

    @property
    def zero_for_one(self) -> bool:
        return int(self.token_in, 16) < int(self.token_out, 16)


@dataclass(frozen=True)
class QuoterResult:
    """QuoterV2's answer: the other side's amount (out for exact input, in for exact output), the price after,
    its initializedTicksCrossed (counted from the bitmap between the ticks before and after) and gas."""

    amount: int
    sqrt_price_x96_after: int
    initialized_ticks_crossed: int
    gas_estimate: int


def quoter_call(request: QuoteRequest, quoter: str = mainnet.QUOTER_V2, block: int | str = "latest") -> Any:
    """The eth_call (method, params) of one request, for RpcClient.call/batch."""
    fn = "quoteExactInputSingle" if request.exact_input else "quoteExactOutputSingle"
    params = (
        request.token_in,
        request.token_out,
        request.amount,
        request.fee,
        request.sqrt_price_limit_x96,
    )
    data = artifacts.interface("QuoterV2").encode(fn, params)
    return ("eth_call", [{"to": quoter, "data": "0x" + data.hex()}, block_tag(block)])


def decode_quote(raw: str) -> QuoterResult:
    """Decode a quoteExact{Input,Output}Single return value (four 32-byte words)."""
    words = [int(raw[i : i + 64], 16) for i in range(2, 2 + 4 * 64, 64)]
    return QuoterResult(*words)


def quote_many(
    node: Node,
    requests: Sequence[QuoteRequest],
    *,
    quoter: str = mainnet.QUOTER_V2,
    block: int | str = "latest",
) -> list[QuoterResult | str]:
    """QuoterV2's answer to every request, in JSON-RPC batches; a revert comes back as its reason string.

    The pool's own reasons pass through ('SPL', 'AS', ...); see `expected_answer` for QuoterV2's own.
    """
    tag = block_tag(block)
    answers = node.rpc.batch_results([quoter_call(r, quoter, tag) for r in requests])
    out: list[QuoterResult | str] = []
    for answer in answers:
        if isinstance(answer, RpcError):
            reason = answer.revert_reason
            if reason is None:
                raise answer
            out.append(reason)
        else:
            out.append(decode_quote(answer))
    return out


def expected_answer(request: QuoteRequest, quote: SwapQuote | str) -> tuple[int, int] | str:
    """What QuoterV2 answers to `request`, given the model's quote of the same swap (or its revert reason):
    (amount, sqrt_price_x96_after), or the reason QuoterV2 reverts with.

    QuoterV2 reverts 'Unexpected error' where its swap callback rejects the swap: an exact output that the
    pool cannot fill in full when no price limit is given, and a swap in which no token moves (through a
    range without liquidity). For exact input it reports the output even if a limit stopped the swap early
    (the input actually used is not reported).
    """
    if isinstance(quote, str):
        return quote
    zero_for_one = request.zero_for_one
    paid_in = quote.amount0 if zero_for_one else quote.amount1
    paid_out = -(quote.amount1 if zero_for_one else quote.amount0)
    if paid_in <= 0 and paid_out <= 0:
        return UNEXPECTED
    if not request.exact_input and request.sqrt_price_limit_x96 == 0 and paid_out != request.amount:
        return UNEXPECTED
    return (paid_out if request.exact_input else paid_in), quote.sqrt_price_x96
