"""The solver's books in a stress run, driven by hand on a small synthetic universe (no engine): a stuck hedge
widens or stops the stuck side, every raw unit is accounted, the kill switch stops fills, the perp hedge
offsets the inventory's move, and a seed fixes the rows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.core import HEDGE_HALTED
from solver.routing.synthetic import SyntheticToken, synthetic_universe
from solver.routing.universe import Universe
from solver.stress.perp_hedge import SOLVER, PerpConfig
from solver.stress.solver_book import SolverBook, SolverBookConfig

TOKENS = (
    SyntheticToken("USDC", 6, 1.0),
    SyntheticToken("WETH", 18, 3000.0),
    SyntheticToken("WBTC", 8, 90000.0),
)
PRICES = {"USDC": 1.0, "WETH": 3000.0, "WBTC": 90000.0}
# $100k of each token, a $10k band: one $30k order takes WETH out of its band
SMALL = SolverBookConfig(orders_per_step=0.0, start_inventory_usd=300_000.0, band_share=0.1)


def universe(seed: int = 3) -> Universe:
    return synthetic_universe(n_pools=8, seed=seed, tokens=TOKENS)


def book(config: SolverBookConfig, seed: int = 1, **kw) -> SolverBook:
    return SolverBook(config, universe(), PRICES, seed, **kw)


def filled(b: SolverBook) -> set[str]:
    return {o.hash for o in b.filled_orders}


def test_stuck_hedge_widens_the_stuck_side_by_the_factor_then_resumes() -> None:
    b = book(replace(SMALL, on_stuck="widen", widen_factor=3.0))
    weth = b.tokens["WETH"].address.lower()
    b.submit(b.order("WETH", "USDC", 30_000, 0.004))  # the solver buys 10 ETH: out of its band
    b.step(60, PRICES, 0, hedge_open=False)  # the hedge is needed and cannot execute
    assert b.counts["fills"] == 1 and b.counts["hedges_failed"] == 1
    assert b.halts()[weth][0] == "buy"  # long WETH, cannot sell: buying more WETH is the stuck side
    assert b.rows()[0]["first_breach"] == "hedge_stuck"

    adds = b.order("WETH", "USDC", 5_000, 0.0012)  # 12 bp of edge: clears 5 bp, not the widened 15 bp
    reduces = b.order("USDC", "WETH", 5_000, 0.0012)
    b.submit(adds, reduces)
    b.step(120, PRICES, 0, hedge_open=False)
    spreads = {d.orders[0].hash: bp for _, bp, d in b.decisions}
    assert spreads[reduces.hash] == pytest.approx(5.0)
    assert spreads[adds.hash] == pytest.approx(3.0 * spreads[reduces.hash])  # measured from decide's output
    assert b.trace_point()["half_spread_sides"]["WETH_buy"] == pytest.approx(15.0)
    assert b.trace_point()["half_spread_sides"]["WETH_sell"] == pytest.approx(5.0)
    assert reduces.hash in filled(b) and adds.hash not in filled(b)  # the widened side refused 12 bp

    b.step(180, PRICES, 0, hedge_open=True)  # the venue is back: the hedge executes, the halt lifts
    assert b.counts["hedges"] == 1 and not b.halts()
    again = b.order("WETH", "USDC", 5_000, 0.0012)
    b.submit(again)
    b.step(240, PRICES, 0, hedge_open=True)
    assert spreads_of(b, again.hash) == pytest.approx(5.0) and again.hash in filled(b)
    row = b.rows()[0]
    assert row["quote_half_spread_bp_max"] == pytest.approx(15.0) and row["stopped_s"] == 0


def spreads_of(b: SolverBook, order_hash: str) -> float | None:
    return next(bp for _, bp, d in b.decisions if d.orders[0].hash == order_hash)


def test_stuck_hedge_stops_the_stuck_side_until_the_hedge_executes() -> None:
    b = book(replace(SMALL, on_stuck="stop"))
    b.submit(b.order("WETH", "USDC", 30_000, 0.004))
    b.step(60, PRICES, 0, hedge_open=False)
    stuck_orders = []
    for t in (120, 180, 240):  # three closed steps: flow keeps arriving on both sides
        adds, reduces = b.order("WETH", "USDC", 3_000, 0.004), b.order("USDC", "WETH", 3_000, 0.004)
        stuck_orders.append(adds)
        b.submit(adds, reduces)
        b.step(t, PRICES, 0, hedge_open=False)
        assert reduces.hash in filled(b)  # the other side keeps quoting
    assert not filled(b) & {o.hash for o in stuck_orders}  # no fill added to the stuck side
    assert b.skips[HEDGE_HALTED] == 3
    assert b.trace_point()["half_spread_sides"]["WETH_buy"] is None
    b.step(300, PRICES, 0, hedge_open=True)  # reopened: the hedge executes
    resumed = b.order("WETH", "USDC", 3_000, 0.004)
    b.submit(resumed)
    b.step(360, PRICES, 0, hedge_open=True)
    assert resumed.hash in filled(b)
    assert b.rows()[0]["stopped_s"] == pytest.approx(
        240.0
    )  # stopped from the first failed hedge to reopening


def pool_holdings(u: Universe) -> dict[str, int]:
    held: dict[str, int] = {}
    for pool in u.pools:
        for token, amount in ((pool.token0, pool.model.balance0), (pool.token1, pool.model.balance1)):
            held[token.lower()] = held.get(token.lower(), 0) + amount
    return held


def test_every_raw_unit_of_fills_and_hedges_is_accounted() -> None:
    config = replace(SMALL, orders_per_step=4.0, order_usd=(1_000.0, 40_000.0), limit_slippage=0.01)
    b = book(config, seed=5)
    pools_before = pool_holdings(b.universe)
    for i in range(1, 41):
        prices = dict(PRICES, WETH=3000.0 * (1 + 0.002 * (i % 7 - 3)))
        b.step(60.0 * i, prices, 10**9, hedge_open=not 15 <= i < 25)
    assert b.counts["fills_routed"] and b.counts["fills_inventory"] and b.counts["hedges"]
    assert b.counts["hedges_failed"]
    pools_after = pool_holdings(b.universe)
    for key in b.balances:
        change = b.balances[key] - b.start_balances[key]
        assert sum(f.get(key, 0) for _, f in b.flows) == change
        swappers = sum(o.input.amount for o in b.filled_orders if o.input.token.lower() == key)
        swappers -= sum(out.amount for o in b.filled_orders for out in o.outputs if out.token.lower() == key)
        # conservation: what the solver gained came from the swappers or the pools, to the raw unit
        assert change == swappers - (pools_after[key] - pools_before[key])
        assert isinstance(b.balances[key], int)


def test_kill_switch_trips_at_max_loss_and_no_fill_follows() -> None:
    config = replace(SMALL, orders_per_step=3.0, hedge="none", max_loss_usd=5_000.0, limit_slippage=0.01)
    fills_after: dict[bool, int] = {}
    for kill in (True, False):
        b = book(config, seed=2, kill_switch=kill)
        tripped_at = None
        fills_at_trip = 0
        for i in range(1, 31):
            b.step(60.0 * i, dict(PRICES, WETH=3000.0 * (1 - 0.01 * i)), 0, hedge_open=True)
            if tripped_at is None and b.killed:
                tripped_at, fills_at_trip = 60.0 * i, b.counts["fills"]
        row = b.rows()[0]
        if kill:
            assert tripped_at is not None and row["first_breach"] == "max_loss"
            assert row["first_breach_s"] == tripped_at
            assert b.risk.pnl <= -5_000
            fills_after[kill] = b.counts["fills"] - fills_at_trip
        else:
            assert tripped_at is None and "max_loss" not in row["breaches"]
            fills_after[kill] = b.counts["fills"]
    assert fills_after[True] == 0
    assert fills_after[False] > 0  # the same flow kept filling without the kill switch


def test_perp_hedge_offsets_a_30pct_eth_crash_within_the_band() -> None:
    config = replace(SMALL, hedge="perp", perp=PerpConfig(tokens=("WETH",)))
    b = book(config)
    b.submit(b.order("WETH", "USDC", 60_000, 0.004))  # the solver buys 20 ETH
    b.step(600, PRICES, 0, hedge_open=True)
    weth = b.tokens["WETH"]
    deviation = b.deviation("WETH") / 10**weth.decimals
    market = b.perps["WETH"]
    assert market.position == pytest.approx(-deviation, abs=0.001)  # short what it holds beyond target
    pnl_start = market.pnl_usd
    for i in range(1, 11):  # -30% over ten 10-minute steps
        b.step(600 + 600 * i, dict(PRICES, WETH=3000.0 * (1 - 0.03 * i)), 0, hedge_open=True)
    move = 3000.0 * 0.7 - 3000.0
    weth_loss = deviation * move  # the hedged exposure's loss
    band = b.policies[weth.address.lower()].band / 10**weth.decimals
    perp_pnl = market.pnl_usd - pnl_start
    assert perp_pnl > 0 and weth_loss < 0
    assert abs(perp_pnl + weth_loss) <= band * abs(move)
    row = {r["book"]: r for r in b.rows()}
    assert row["perp_hedge"]["liquidation_distance_min"] > 0 and not row["perp_hedge"]["liquidated"]
    # funding paid to the solver's account has the sign the venue's premium gives a short
    venue = market.venue
    rate = venue.funding_state.last_rate
    assert rate != 0
    funding = venue.accounts[SOLVER].funding
    assert funding != 0 and (funding > 0) == (rate > 0)  # premium > 0: longs pay shorts
    assert row["perp_hedge"]["funding_usd"] == pytest.approx(market.funding_usd, abs=0.01)
    assert row["venue_fund"]["fund_end"] > 0


def run_rows(seed: int, hedge: str) -> list[dict]:
    config = replace(SMALL, orders_per_step=3.0, hedge=hedge, limit_slippage=0.01)
    b = book(config, seed=seed)
    for i in range(1, 25):
        b.step(60.0 * i, dict(PRICES, WETH=3000.0 * (1 - 0.004 * i)), 2 * 10**9, hedge_open=not 8 <= i < 14)
    return b.rows()


@pytest.mark.parametrize("hedge", ["router", "perp"])
def test_same_seed_same_rows(hedge: str) -> None:
    assert run_rows(4, hedge) == run_rows(4, hedge)
    assert run_rows(4, hedge) != run_rows(5, hedge)
