"""The flow generator on the built-in chain: real, fillable orders of several kinds, both directions, a heavy
size tail, an informed share that trades toward the move it was told, and byte-for-byte reproducible."""

from __future__ import annotations

import copy
import statistics
from collections import Counter
from pathlib import Path

from eth_account import Account

from amm.chain.node import Node
from solver.flow import FlowConfig, FlowGenerator, GeneratedOrder, dev_account_key, read_orders, write_orders
from solver.intents.uniswapx import check_many
from solver.routing.universe import Universe

MOVES = {"WETH": 1.015, "WBTC": 0.99}  # what the caller says the next block's prices will be, relative


def _generator(chain: Node, universe: Universe, **config: object) -> FlowGenerator:
    """A generator on its own copy of the pristine universe (it refreshes it; the session's must stay put)."""
    return FlowGenerator(chain, FlowConfig(**config), universe=copy.deepcopy(universe))  # type: ignore[arg-type]


def _run(
    generator: FlowGenerator, chain: Node, blocks: int, *, informed: bool = True
) -> list[GeneratedOrder]:
    """`blocks` blocks of flow, 12 s apart (pinned, so a rerun from the same state sees the same chain)."""
    orders: list[GeneratedOrder] = []
    start = int(chain.block("latest")["timestamp"], 16)
    for i in range(blocks):
        fair = generator.prices()
        upcoming = {s: p * MOVES.get(s, 1.0) for s, p in fair.items()} if informed else None
        orders += generator.step(upcoming)
        chain.set_next_block_timestamp(start + 12 * (i + 1))
        chain.mine()
    return orders


def test_dev_keys_are_the_free_accounts(roles) -> None:
    assert [Account.from_key(dev_account_key(i)).address for i in (6, 7, 8, 9)] == roles.users


def test_generated_flow_is_real_fillable_and_shaped(chain: Node, universe: Universe) -> None:
    generator = _generator(chain, universe, seed=11, orders_per_block=5.0, informed_share=0.3, users=5)
    assert generator.prepare() == 5 * 5  # five users (one created and funded) x five tokens
    assert generator.prepare() == 0  # once
    orders = _run(generator, chain, blocks=40)
    assert len(orders) > 150

    # each is fillable now: funded, approved, signed, cosigned, in time (checked where it arrived)
    by_block: dict[int, list[GeneratedOrder]] = {}
    for g in orders:
        assert g.incoming.received_block is not None
        by_block.setdefault(g.incoming.received_block, []).append(g)
    for number, batch in by_block.items():
        block = chain.block(number + 1)
        rejections = check_many(
            [(g.incoming.order, g.incoming.signature) for g in batch],  # type: ignore[misc]
            chain=chain,
            now=int(block["timestamp"], 16),
            block_number=number + 1,
        )
        assert rejections == [[]] * len(batch)
    assert all(
        g.incoming.order.recover_cosigner() == generator.cosigner  # type: ignore[union-attr]
        for g in orders
        if g.incoming.kind != "dutch"
    )
    assert len({g.incoming.order.info.swapper for g in orders}) == 5  # type: ignore[union-attr]

    kinds = Counter(g.incoming.kind for g in orders)
    assert set(kinds) == {"dutch", "v2_dutch", "v3_dutch"} and min(kinds.values()) > 20
    directions = Counter((g.sells, g.buys) for g in orders)
    for a, b in (("USDC", "WETH"), ("WETH", "USDT"), ("DAI", "WETH"), ("WBTC", "WETH")):
        assert directions[(a, b)] > 0 and directions[(b, a)] > 0
    assert 0 < sum(g.exact_out for g in orders) < len(orders)
    sizes = [g.notional_usd for g in orders]
    assert max(sizes) / statistics.median(sizes) > 10  # the heavy tail

    informed = [g for g in orders if g.informed]
    assert abs(len(informed) / len(orders) - 0.3) < 0.1
    for g in informed:  # toward the move: buy what gains (WETH against all, but WBTC loses to WETH)
        assert g.buys == "WETH"


def test_informed_limits_come_from_the_next_price(chain: Node, universe: Universe) -> None:
    generator = _generator(
        chain, universe, seed=3, orders_per_block=20.0, informed_share=0.5, exact_out_share=0
    )
    generator.prepare()
    fair = generator.prices()
    orders = generator.step({s: p * MOVES.get(s, 1.0) for s, p in fair.items()})
    for g in orders:
        order = g.incoming.order
        assert order is not None
        resolved_late = order.resolve(timestamp=order.info.deadline - 1, block_number=10**9)
        amount_in, amount_out = resolved_late.input.amount, resolved_late.outputs[0].amount
        t_in, t_out = generator.universe.token(g.sells), generator.universe.token(g.buys)
        worth_now = (amount_out / 10**t_out.decimals * fair[g.buys]) / (
            amount_in / 10**t_in.decimals * fair[g.sells]
        )
        if g.informed:  # its limit is the next price plus up to 5 bp: what the pair's move says
            move = MOVES.get(g.sells, 1.0) / MOVES.get(g.buys, 1.0)
            assert move <= worth_now <= move * 1.0006
        else:  # start 5 bp better to 15 bp worse, then 30 to 100 bp of slippage
            assert 1 - 0.0116 < worth_now < 1 - 0.0025


def test_same_seed_same_bytes(chain: Node, universe: Universe, tmp_path: Path) -> None:
    first = _generator(chain, universe, seed=5, orders_per_block=3.0, informed_share=0.5)
    first.prepare()
    prepared = chain.snapshot()  # a revert consumes its snapshot: take it again for the third run
    a = _run(first, chain, blocks=6)
    chain.revert(prepared)
    prepared = chain.snapshot()
    b = _run(_generator(chain, universe, seed=5, orders_per_block=3.0, informed_share=0.5), chain, blocks=6)
    chain.revert(prepared)
    c = _run(_generator(chain, universe, seed=6, orders_per_block=3.0, informed_share=0.5), chain, blocks=6)
    assert len(a) > 5
    assert [(g.incoming.encoded, g.incoming.signature) for g in a] == [
        (g.incoming.encoded, g.incoming.signature) for g in b
    ]
    assert [g.incoming for g in a] == [g.incoming for g in b]
    assert [g.incoming.encoded for g in a] != [g.incoming.encoded for g in c]

    # a live run's recording replays as the same records
    write_orders(tmp_path / "flow.jsonl", [g.incoming for g in a])
    assert read_orders(tmp_path / "flow.jsonl") == ([g.incoming for g in a], [])


def test_without_next_prices_nobody_is_informed(chain: Node, universe: Universe) -> None:
    generator = _generator(chain, universe, seed=2, orders_per_block=10.0, informed_share=1.0)
    generator.prepare()
    orders = _run(generator, chain, blocks=3, informed=False)
    assert orders and not any(g.informed for g in orders)
