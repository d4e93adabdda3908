"""The uninformed volume estimated from a pool's swaps matches what the built-in chain's builder traded.

The truth comes from the chain, not from the estimator: the builder sends every uninformed trade as
`exactInputSingle` with no price limit (`sqrtPriceLimitX96 = 0`), every arbitrage with its limit at the edge
of the fee band, so each Swap log's transaction says which it was. The estimator sees only the Swap logs.
"""

from __future__ import annotations

import pytest

from amm.analytics.flow import estimate_noise_volume
from amm.chain import artifacts
from amm.chain.devnet.spec import HISTORY, POOLS
from amm.chain.logs import decode_logs, fetch_logs
from amm.chain.session import ChainSession
from amm.lp.context import load_pool_context
from amm.lp.history import load_pool_history

V3_POOLS = [p.name for p in POOLS if p.kind == "v3"]


def uninformed_truth(devnet: ChainSession, name: str) -> tuple[float, float, float]:
    """(uninformed volume, total volume, days) in the quote token over the history's window, from calldata."""
    node = devnet.node
    ctx = load_pool_context(node, name)
    history = load_pool_history(node, ctx)
    pool = artifacts.interface("UniswapV3Pool")
    logs = fetch_logs(
        node,
        ctx.address,
        history.from_block,
        history.to_block,
        topics=["0x" + pool.event("Swap").topic.hex()],
    )
    swaps = decode_logs(node, pool, logs)
    hashes = sorted({s.transaction_hash for s in swaps})
    txs = dict(zip(hashes, node.rpc.batch([("eth_getTransactionByHash", [h]) for h in hashes]), strict=True))
    selector = artifacts.interface("SwapRouter").fn("exactInputSingle").selector
    quote_key = "amount0" if ctx.inverted else "amount1"
    noise = total = 0.0
    for swap in swaps:
        data = bytes.fromhex(txs[swap.transaction_hash]["input"][2:])
        assert data[:4] == selector, "the builder trades through exactInputSingle"
        limit = int.from_bytes(data[4 + 7 * 32 : 4 + 8 * 32], "big")  # params.sqrtPriceLimitX96
        size = abs(swap.args[quote_key]) / 10**ctx.quote.decimals
        total += size
        noise += size if limit == 0 else 0.0
    return noise, total, total / history.volume_quote_per_day


@pytest.mark.parametrize("name", V3_POOLS)
def test_noise_estimate_is_within_25_percent_of_what_the_builder_traded(
    devnet: ChainSession, name: str
) -> None:
    truth, total, days = uninformed_truth(devnet, name)
    assert truth > 0, "every built-in pool trades uninformed flow"
    history = load_pool_history(devnet.node, load_pool_context(devnet.node, name))
    estimate = history.noise_quote_per_day * days
    assert estimate <= total * (1 + 1e-12)
    assert abs(estimate / truth - 1) < 0.25, (name, estimate, truth, history.noise.basis())  # type: ignore[union-attr]


def test_the_old_estimate_was_zero_where_the_new_one_is_not(devnet: ChainSession) -> None:
    """The cross-check the issue found wanting: volume minus what net moves explain, clipped at 0."""
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    history = load_pool_history(devnet.node, ctx)
    assert history.volume_quote_per_day - history.flow_quote_per_day <= 0  # the old estimate: 0
    assert history.noise_quote_per_day > 0.01 * history.volume_quote_per_day


def test_block_time_of_the_built_in_chain_is_its_step(devnet: ChainSession) -> None:
    history = load_pool_history(devnet.node, load_pool_context(devnet.node, "USDC/WETH-500"))
    assert history.block_time == HISTORY.step_seconds


def test_estimate_never_exceeds_what_traded_and_falls_back_with_few_labels() -> None:
    # every block has one swap: nothing is labelled, so the estimate is the (zero) lower bound, said so
    lone = estimate_noise_volume([1, 2, 3, 4], [5.0, 6.0, 7.0, 8.0])
    assert lone.volume == 0.0 and "lower bound" in lone.basis()
    # all swaps after the first in their block are uninformed: two blocks of three swaps
    few = estimate_noise_volume([1, 1, 1, 2, 2, 2], [10.0, 1.0, 2.0, 20.0, 3.0, 4.0])
    assert few.volume == 10.0 and few.volume <= few.total_volume
    with pytest.raises(ValueError, match="chain order"):
        estimate_noise_volume([2, 1], [1.0, 1.0])
