"""The oracle-manipulation scenario on the built-in chain: what it reports is what the pool's `observe()`
and the attacker's balances say after its real swaps, read here independently with eth_calls."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from typing import Any

import pytest

from amm.chain import addresses as mainnet
from amm.chain.devnet.spec import pool_by_name
from amm.chain.node import Node
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.stress.config import ScenarioError, build, load_file
from solver.stress.oracle_manipulation import OracleManipulation, OracleManipulationConfig
from solver.stress.oracle_manipulation_chain import ATTACKER

MOVES = [0.05, 0.10, 0.25]


def engine_on(chain: Node, **tables: dict[str, Any]) -> OracleManipulation:
    data: dict[str, Any] = {
        "chain": {"rpc_url": chain.rpc.url, "block_spacing": 300},  # 6 blocks a window: quick
        "attack": {"target_moves": MOVES},
        "traders": {"count": 30},
        **tables,
    }
    return OracleManipulation(build(OracleManipulationConfig, data))


def consult_tick(chain: Node, pool: str, window: int, block: int) -> int:
    """OracleLibrary.consult's mean tick, from the pool's own observe() at `block`."""
    cumulatives, _ = chain.contract("UniswapV3Pool", pool).call("observe", [window, 0], block=block)
    delta = cumulatives[1] - cumulatives[0]
    tick = int(Fraction(delta, window))  # Solidity truncates toward zero
    return tick - 1 if delta < 0 and delta % window else tick


def balances(chain: Node, tokens: tuple[str, str], block: int) -> tuple[int, int]:
    erc20 = [chain.contract("MintableERC20", t) for t in tokens]
    return erc20[0].call("balanceOf", ATTACKER, block=block), erc20[1].call(
        "balanceOf", ATTACKER, block=block
    )


def attacker_gas(chain: Node, first: int, last: int) -> int:
    """Gas of every transaction the attacker sent in blocks first..last, from the receipts."""
    total = 0
    for n in range(first, last + 1):
        for tx in chain.rpc.call("eth_getBlockByNumber", [hex(n), True])["transactions"]:
            if tx["from"].lower() == ATTACKER.lower():
                total += int(chain.rpc.call("eth_getTransactionReceipt", [tx["hash"]])["gasUsed"], 16)
    return total


def test_the_reported_twap_move_and_cost_are_what_observe_and_the_balances_show(chain: Node) -> None:
    engine = engine_on(chain)
    cfg = engine.config
    window = cfg.oracle.window
    with engine.market() as (on_chain, market):
        attack = on_chain.attack(market, 0.10)
        base_tick = consult_tick(chain, market.pool, window, market.block)
        peak_tick = consult_tick(chain, market.pool, window, attack.peak_block)
        slot0 = chain.contract("UniswapV3Pool", market.pool).call("slot0", block=attack.peak_block)
        before = balances(chain, market.tokens, market.block)
        after = balances(chain, market.tokens, attack.blocks[-1].number)
        gas = attacker_gas(chain, attack.push_block, attack.unwind_block)
    assert base_tick == market.tick and peak_tick == attack.target_tick == attack.peak.twap_tick
    assert slot0[0] == get_sqrt_ratio_at_tick(attack.target_tick)  # the spot sat exactly at the target
    assert (before, after) == (
        attack.balances_before[:2],
        attack.balances_after[:2],
    ) and gas == attack.attacker_gas

    rows = [r for r in engine.run_seed(0)[0] if r["target_move"] == 0.10]  # the same attack, reverted after
    assert {r["book"] for r in rows} == {"venue_fund", "lp", "solver_inventory"}
    row = rows[0]
    sign = 1 if market.base_is_token0 else -1  # base token1: the token's price is the inverse tick
    assert (row["twap_tick_start"], row["twap_tick_peak"]) == (base_tick, peak_tick)
    assert row["twap_move"] == round(1.0001 ** (sign * (peak_tick - base_tick)) - 1, 6)
    assert abs(row["twap_move"] + 0.10) < 1e-4 and row["direction"] == "down"
    base_i = 0 if market.base_is_token0 else 1
    deltas = (after[base_i] - before[base_i], after[1 - base_i] - before[1 - base_i])
    assert (row["attacker_base_delta_raw"], row["attacker_usdc_delta_raw"]) == deltas
    assert row["attacker_gas"] == gas
    gas_usd = gas * cfg.attack.gas_price_gwei * 1e-9 * cfg.attack.eth_usd
    lost = -(
        Fraction(deltas[0], 10**cfg.pool.decimals) * Fraction(repr(cfg.pool.price))
        + Fraction(deltas[1], 10**6)
    )
    assert row["cost_usd"] == round(float(lost) + gas_usd, 2) and row["attacker_gas_usd"] == round(gas_usd, 2)
    assert row["cost_usd"] > row["attacker_gas_usd"] > 0 and row["liquidations"] > 0


def test_a_bigger_move_costs_more_and_liquidates_at_least_as_much(chain: Node) -> None:
    engine = engine_on(chain)
    for seed in (0, 1):
        rows = sorted(
            (r for r in engine.run_seed(seed)[0] if r["book"] == "venue_fund"), key=lambda r: r["target_move"]
        )
        assert [r["target_move"] for r in rows] == MOVES
        costs = [r["cost_usd"] for r in rows]
        assert costs == sorted(costs) and len(set(costs)) == len(costs)
        for small, big in pairwise(rows):
            assert big["liquidations"] >= small["liquidations"]
            assert big["liquidated_notional_usd"] >= small["liquidated_notional_usd"]
        assert rows[-1]["liquidations"] > 0
    by_book = {r["book"]: r for r in engine.run_seed(0)[0] if r["target_move"] == 0.25}
    assert by_book["lp"]["first_breach"] == "out_of_range"  # 25% down is past price / 1.3
    assert by_book["solver_inventory"]["first_breach"] == "oracle_deviation"


def test_run_seed_leaves_the_chain_as_it_found_it(chain: Node) -> None:
    pool = chain.contract("UniswapV3Pool", pool_by_name("USDC/WETH-500").address)
    usdc = chain.contract("MintableERC20", mainnet.USDC)

    def state() -> tuple[Any, ...]:
        head = chain.block()
        return (
            head["number"],
            head["hash"],
            pool.call("slot0"),
            usdc.call("totalSupply"),
            chain.balance(ATTACKER),
        )

    start = state()
    engine = engine_on(chain, attack={"target_moves": [0.05]})
    rows, _ = engine.run_seed(0)
    assert rows and state() == start
    assert chain.rpc.call("anvil_getAutomine") is True
    assert chain.code(engine.attacks()[0].pool) == b""  # the scenario's pool is gone again


@pytest.mark.parametrize(
    ("tables", "key"),
    [
        ({"pool": {"fee": 42}}, "pool.fee"),
        ({"attack": {"target_moves": [1.5]}}, "attack.target_moves"),
        ({"attack": {"target_move": 0.1}}, "attack.target_move"),
        ({"oracle": {"window": 1000}}, "oracle.window"),
        ({"venue": {"tick_size": 50.0}}, "venue.tick_size"),
        ({"traders": {"leverage_max": 20.0}}, "traders.leverage_max"),
    ],
)
def test_a_bad_config_is_refused_in_one_line_naming_the_key(tables: dict[str, Any], key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        OracleManipulation(build(OracleManipulationConfig, tables))
    message = str(info.value)
    assert "\n" not in message and message.startswith(key), message


def test_the_shipped_file_spells_out_the_engine_defaults() -> None:
    file = load_file("oracle-manipulation")
    assert (file.name, file.engine) == ("oracle-manipulation", "oracle-manipulation")
    assert build(OracleManipulationConfig, file.data) == OracleManipulationConfig()
