"""PoolLens (amm.chain.lens) reads exactly the state the raw batch reads, in a few calls, and steps aside on
nodes that do not apply eth_call state overrides.

The raw batch (`read_pool_states(..., lens=False)`) is the oracle: one eth_call per getter, bitmap word, tick
and observation. Every built-in pool is read both ways at several blocks, with swaps, new positions (new
ticks and bitmap words, on a 0.05% and a 0.01% pool), burns that clear ticks and an oracle that grows in
between; the states must be equal field by field, and the lens must have been used (lens=True raises
otherwise) in a small fraction of the calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from amm.chain import addresses as mainnet
from amm.chain import lens as pool_lens
from amm.chain.devnet.build import Roles
from amm.chain.devnet.spec import POOLS, PoolSpec, pool_by_name
from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.rpc import RpcClient
from amm.chain.state import PoolStates, read_pool_states, read_v3_state
from amm.chain.tokens import approve

V3_POOLS = [p for p in POOLS if p.kind == "v3"]
V2_PAIRS = [p for p in POOLS if p.kind == "v2"]
DEADLINE = 2**32 - 1
MAX128 = 2**128 - 1


def read_both(node: Node, block: int, *, known_spacing: bool) -> tuple[PoolStates, PoolStates]:
    spacings = {p.address: (p.tick_spacing if known_spacing else None) for p in V3_POOLS}
    pairs = [p.address for p in V2_PAIRS]
    batch = read_pool_states(node, spacings, pairs, block, lens=False)
    lensed = read_pool_states(node, spacings, pairs, block, lens=True)
    return batch, lensed


def assert_equal(batch: PoolStates, lensed: PoolStates) -> None:
    """Field by field first (a readable failure), then whole states (nothing left out)."""
    assert (lensed.block, lensed.timestamp) == (batch.block, batch.timestamp)
    assert lensed.v3.keys() == batch.v3.keys()
    for address, want in batch.v3.items():
        got = lensed.v3[address]
        for name in want.__dataclass_fields__:
            assert getattr(got, name) == getattr(want, name), (address, name)
        # same order, and the same types (True == 1 in Python, not in a repr)
        assert repr(got.ticks) == repr(want.ticks) and repr(got.bitmap) == repr(want.bitmap)
        assert repr(got.observations) == repr(want.observations)
    assert lensed.v3 == batch.v3 and lensed.v2 == batch.v2


def trade(node: Node, spec: PoolSpec, trader: str, fraction: int, state: Any) -> None:
    """Swap 1/fraction of what the pool holds one way, then back half of it, through the real router."""
    router = node.contract("SwapRouter", mainnet.SWAP_ROUTER)
    t0, t1 = spec.token0.address, spec.token1.address
    router.transact(
        "exactInputSingle",
        (t0, t1, spec.fee, trader, DEADLINE, state.balance0 // fraction, 0, 0),
        sender=trader,
    )
    router.transact(
        "exactInputSingle",
        (t1, t0, spec.fee, trader, DEADLINE, state.balance1 // (2 * fraction), 0, 0),
        sender=trader,
    )


def mint(node: Node, spec: PoolSpec, owner: str, lower: int, upper: int) -> dict[str, Any]:
    npm = node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    amounts = (100 * 10**spec.token0.decimals, 100 * 10**spec.token1.decimals)
    params = (
        spec.token0.address,
        spec.token1.address,
        spec.fee,
        lower,
        upper,
        *amounts,
        0,
        0,
        owner,
        DEADLINE,
    )
    (minted,) = npm.events(npm.transact("mint", params, sender=owner), "IncreaseLiquidity")
    return minted


def burn(node: Node, owner: str, minted: dict[str, Any]) -> None:
    npm = node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    npm.transact("decreaseLiquidity", (minted["tokenId"], minted["liquidity"], 0, 0, DEADLINE), sender=owner)
    npm.transact("collect", (minted["tokenId"], owner, MAX128, MAX128), sender=owner)


def test_lens_equals_the_batch_for_every_pool_at_several_blocks(chain: Node, roles: Roles) -> None:
    lp, trader = roles.users[0], roles.users[1]
    specs = [pool_by_name("USDC/WETH-500"), pool_by_name("DAI/USDC-100")]
    for spec in specs:
        for token in (spec.token0.address, spec.token1.address):
            approve(chain, token, lp, mainnet.NONFUNGIBLE_POSITION_MANAGER)
            approve(chain, token, trader, mainnet.SWAP_ROUTER)
    oracle = chain.contract("UniswapV3Pool", specs[0].address)
    blocks = [chain.block_number()]
    minted: dict[str, list[dict[str, Any]]] = {s.name: [] for s in specs}
    for round_ in range(3):
        if round_ == 1:
            cardinality_next = oracle.call("slot0")[4]
            oracle.transact("increaseObservationCardinalityNext", cardinality_next + 7, sender=trader)
        for spec in specs:
            state = read_v3_state(chain, spec.address, lens=False)
            sp, base = spec.tick_spacing, state.tick // spec.tick_spacing
            if minted[spec.name]:
                burn(chain, lp, minted[spec.name].pop(0))  # clears ticks nobody else uses
            # a narrow range at the price and a range order ~300 spacings up: a new bitmap word
            for lower, upper in ((base - 3 - round_, base + 4 + round_), (base + 300 + round_, base + 310)):
                minted[spec.name].append(mint(chain, spec, lp, lower * sp, upper * sp))
            trade(chain, spec, trader, 40 + round_, read_v3_state(chain, spec.address, lens=False))
        chain.mine()
        blocks.append(chain.block_number())

    first = last = None
    for block in blocks:
        batch, lensed = read_both(chain, block, known_spacing=block % 2 == 0)
        assert_equal(batch, lensed)
        assert lensed.cost.calls * 20 < batch.cost.calls, (lensed.cost, batch.cost)
        first = first or batch
        last = batch
    assert first is not None and last is not None
    for spec in specs:  # the blocks really differ where the lens must follow
        before, after = first.v3[spec.address], last.v3[spec.address]
        assert before.ticks.keys() != after.ticks.keys() and before.bitmap != after.bitmap
    grown, start = last.v3[specs[0].address], first.v3[specs[0].address]
    assert grown.observation_cardinality_next == start.observation_cardinality_next + 7
    assert grown.observations != start.observations  # swaps in new blocks wrote new observations
    assert pool_lens.supported(chain) is True


def test_lens_resumes_where_it_stopped(devnet, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny output cap and bitmap chunks the lens stops many times (inside the observations, between
    bitmap words) and resumes: the state is still the batch's, in more rounds."""
    node = devnet.node
    block = node.block_number()
    batch, roomy = read_both(node, block, known_spacing=True)
    monkeypatch.setattr(pool_lens, "MAX_BYTES", 1024)
    monkeypatch.setattr(pool_lens, "CHUNK_WORDS", 200)
    spacings = {p.address: p.tick_spacing for p in V3_POOLS}
    tight = read_pool_states(node, spacings, [p.address for p in V2_PAIRS], block, lens=True)
    assert_equal(batch, tight)
    assert tight.cost.requests > roomy.cost.requests + 5


class OverrideDropping(RpcClient):
    """A node that ignores eth_call's state override (as some providers do): the third parameter never
    reaches it; or, with `reject`, one that refuses it."""

    def __init__(self, url: str, *, reject: bool) -> None:
        super().__init__(url)
        self.reject = reject

    def batch_results(self, calls: Any, *, size: int = 500) -> list[Any]:
        def strip(method: str, params: list[Any]) -> tuple[str, list[Any]]:
            if method == "eth_call" and len(params) == 3:
                return (method, [*params[:2], {"0x0": "not an override"}] if self.reject else params[:2])
            return (method, params)

        return super().batch_results([strip(m, list(p)) for m, p in calls], size=size)


@pytest.mark.parametrize("reject", [False, True], ids=["ignores", "rejects"])
def test_nodes_without_state_overrides_get_the_raw_batch(devnet, reject: bool) -> None:
    node = Node(OverrideDropping(devnet.node.rpc.url, reject=reject))
    block = node.block_number()
    pools, pairs = [p.address for p in V3_POOLS], [p.address for p in V2_PAIRS]
    batch = read_pool_states(node, pools, pairs, block, lens=False)
    auto = read_pool_states(node, pools, pairs, block)
    assert auto.v3 == batch.v3 and auto.v2 == batch.v2
    assert pool_lens.supported(node) is False
    with pytest.raises(pool_lens.LensUnavailable):
        read_pool_states(node, [V3_POOLS[0].address], (), block, lens=True)
    calls = node.rpc.calls
    read_pool_states(node, [V3_POOLS[0].address], (), block)  # no second probe once it is known
    auto_calls = node.rpc.calls - calls
    assert auto_calls == read_pool_states(node, [V3_POOLS[0].address], (), block, lens=False).cost.calls


def test_not_a_pool_still_says_so(devnet) -> None:
    """The lens cannot read a token or an empty address; the fallback batch names what is wrong."""
    node = devnet.node
    with pytest.raises(ChainError, match="no UniswapV3Pool at"):
        read_pool_states(node, [mainnet.WETH])
    with pytest.raises(ChainError, match="no contract at"):
        read_pool_states(node, ["0x000000000000000000000000000000000000dEaD"])
    with pytest.raises(pool_lens.LensUnavailable):
        read_pool_states(node, [mainnet.WETH], lens=True)


def test_an_old_block_keeps_the_batchs_message_and_the_lens(devnet) -> None:
    """The built-in chain has no state before its last block: the lens fails there, the batch says so, and
    the node is not written off (the probe runs at latest)."""
    node = Node(RpcClient(devnet.node.rpc.url))
    with pytest.raises(ChainError, match="holds state only from block"):
        read_pool_states(node, [V3_POOLS[0].address], (), 1)
    assert pool_lens.supported(node) is True
    assert read_pool_states(node, [V3_POOLS[0].address], ()).cost.calls < 20
