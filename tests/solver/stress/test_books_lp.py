"""The LP's book: its mark is, to the wei, what burning and collecting the position on the pool model pays;
its IL, fees and breaches follow the price; its kill switch withdraws exactly and, in a crash, saves money."""

from __future__ import annotations

import copy
import math

import pytest

from amm.v3.constants import MAX_UINT128
from amm.v3.pool import Pool
from amm.v3.tick_math import get_sqrt_ratio_at_tick
from solver.stress.lp_book import LP_OWNER, LpBook, LpConfig
from solver.stress.stress_pools import PoolsConfig, arbitrage, build_universe, raw_price

START = {"USDC": 1.0, "WETH": 3000.0, "WBTC": 90_000.0}


def book(**config: float | bool) -> LpBook:
    universe = build_universe(PoolsConfig(positions=4), START)
    return LpBook(LpConfig(**config), universe, START)  # type: ignore[arg-type]


def prices(eth: float) -> dict[str, float]:
    return {**START, "WETH": eth}


def burn_everything(lp: LpBook) -> tuple[int, int]:
    """What the position pays out if burnt and collected now, on a copy of the pool model."""
    pool = copy.deepcopy(lp.pool)
    pool.burn(LP_OWNER, lp.tick_lower, lp.tick_upper, lp.liquidity)
    return pool.collect(LP_OWNER, lp.tick_lower, lp.tick_upper, MAX_UINT128, MAX_UINT128)


def test_the_position_is_minted_for_the_capital_around_the_price() -> None:
    lp = book(capital_usd=1_000_000.0, width=0.10)
    assert lp.tracker.start == pytest.approx(1_000_000.0, rel=1e-4)
    pool = lp.pool
    assert pool.positions[lp.key].liquidity == lp.liquidity > 0
    assert lp.tick_lower % pool.tick_spacing == 0 and lp.tick_upper % pool.tick_spacing == 0
    # USDC is token0: the pool quotes wei per micro-USDC, so +10% on WETH is the lower tick
    for eth, tick in ((3300.0, lp.tick_lower), (2700.0, lp.tick_upper)):
        bound = math.log(raw_price(lp.universe, lp.ref, prices(eth))) / math.log(1.0001)
        assert abs(bound - tick) <= pool.tick_spacing
    assert lp.in_range() and lp.il_usd == pytest.approx(0, abs=1.0)


def test_the_mark_is_what_burn_and_collect_would_pay_to_the_wei() -> None:
    lp = book()
    for n, eth in enumerate((2950.0, 3040.0, 2890.0, 3100.0), start=1):  # arbitrage both ways: fees accrue
        arbitrage(lp.universe, prices(eth), 60.0 * n)
        lp.mark(60.0 * n, prices(eth))
        principal, fees = lp.holdings()
        assert (principal[0] + fees[0], principal[1] + fees[1]) == burn_everything(lp)
        owed = lp.pool.positions[lp.key]
        assert (owed.tokens_owed0, owed.tokens_owed1) == fees  # the poke credited them, as the contract does
    assert fees[0] > 0 and fees[1] > 0 and lp.last["fees"] > 0
    usdc, weth = principal[0] + fees[0], principal[1] + fees[1]
    assert lp.last["value"] == pytest.approx(usdc / 1e6 + weth / 1e18 * 3100.0, rel=1e-12)
    assert lp.il_usd < 0  # a round trip away from the start: the position holds worse than the mint did
    assert lp.lvr_usd == 0.0  # no `record_arb` here


def test_lvr_is_the_positions_share_of_the_arbitrageurs_profit() -> None:
    lp = book()
    share = lp.liquidity / lp.pool.liquidity
    arb = arbitrage(lp.universe, prices(2900.0), 60.0)
    lp.record_arb(arb)
    taken = arb.trades[lp.ref.address].profit_usd
    assert lp.lvr_usd == pytest.approx(-share * taken) and lp.lvr_usd < 0


def test_leaving_the_range_and_passing_the_loss_limit_are_breaches() -> None:
    lp = book(width=0.05, max_loss_usd=10_000.0, kill_switch=False)
    for n, eth in enumerate((2950.0, 2900.0, 2800.0, 2700.0, 2600.0), start=1):
        arbitrage(lp.universe, prices(eth), 60.0 * n)
        lp.mark(60.0 * n, prices(eth))
    assert not lp.in_range() and lp.active
    assert lp.tracker.breaches["out_of_range"] == 180.0  # 2800: below the range (-5% of 3000 is 2850)
    assert "drawdown_limit" in lp.tracker.breaches
    row = lp.row()
    assert row["book"] == "lp" and row["in_range_end"] is False and row["killed_s"] is None
    assert row["in_range_share"] == pytest.approx(3 / 6)


def test_the_kill_switch_withdraws_exactly_and_saves_money_in_a_crash() -> None:
    universe = build_universe(PoolsConfig(positions=4), START)
    minted = LpBook(LpConfig(width=0.10, max_loss_usd=20_000.0), universe, START)
    books = {}
    for armed in (True, False):
        _, lp = copy.deepcopy((universe, minted))
        lp.kill_switch = armed
        for n in range(1, 21):  # -30% over 20 steps, linear in log
            p = prices(3000.0 * 0.7 ** (n / 20))
            lp.record_arb(arbitrage(lp.universe, p, 60.0 * n))
            if armed and lp.active and n > 1:
                expected = burn_everything(lp)
            lp.mark(60.0 * n, p)
            if armed and lp.killed_s == 60.0 * n:
                paid = (lp.held[0] + lp.collected_fees[0], lp.held[1] + lp.collected_fees[1])  # type: ignore[index]
                assert paid == expected  # the kill switch's burn + collect is the model's, to the wei
                pool = lp.pool
                assert isinstance(pool, Pool) and pool.positions[lp.key].liquidity == 0
                assert pool.liquidity == sum(
                    i.liquidity for (_, lo, hi), i in pool.positions.items() if lo <= pool.tick < hi
                )
        books[armed] = lp
    armed, disarmed = books[True], books[False]
    assert armed.killed_s is not None and armed.tracker.first_breach == ("drawdown_limit", armed.killed_s)
    assert disarmed.killed_s is None and disarmed.tracker.breaches["drawdown_limit"] == armed.killed_s
    assert armed.tracker.pnl > disarmed.tracker.pnl  # the kill switch saved money
    assert armed.row()["in_range_end"] is False
    sa, sb = get_sqrt_ratio_at_tick(armed.tick_lower), get_sqrt_ratio_at_tick(armed.tick_upper)
    assert not sa <= disarmed.pool.sqrt_price_x96 <= sb  # the crash left the range
