"""amm.chain.sync: pools kept current from their logs quote exactly like pools read fresh from the chain.

The built-in chain is loaded from a state file, so anvil holds only its latest state (an eth_call at an older
block fails with BlockOutOfRangeError). Its early state is known all the same: before a pool was created it
was empty. So each pool starts empty (`before_creation`), every one of its ~500-1,100 logs (Initialize,
oracle growth, mints through the position manager, a week of router swaps, burns, collects) is applied, and
the result must equal the pool read at the last block: quotes, the quote-relevant state, and, because the
start was exact and every router swap replays exactly, the fee growth, the ticks' accumulators and the oracle
too (fastlane-bot #296: state drifting through event handling). A load at a real mid-history block, with
positions minted before it, runs on a bare anvil in tests/amm/v3/test_sync_anvil.py.
"""

from __future__ import annotations

import pytest

from amm.chain import artifacts
from amm.chain.devnet.spec import POOLS, PoolSpec
from amm.chain.logs import DecodedLog, decode_logs, fetch_logs
from amm.chain.models import load_v2_pair, load_v3_pool
from amm.chain.session import ChainSession
from amm.chain.sync import SyncDrift, V2Sync, V3Sync
from amm.errors import Revert
from amm.v2.pair import Pair
from amm.v3.pool import Pool

V3_POOLS = [p for p in POOLS if p.kind == "v3"]
V2_PAIRS = [p for p in POOLS if p.kind == "v2"]


def quotes(pool: Pool) -> list[object]:
    """Both directions, exact input and output, from 1 wei to beyond what the pool holds."""
    out: list[object] = []
    for zero_for_one in (True, False):
        held_in = pool.balance0 if zero_for_one else pool.balance1
        held_out = pool.balance1 if zero_for_one else pool.balance0
        for amount in [
            1,
            1000,
            *(held_in >> k for k in (20, 10, 5, 2, 0)),
            -1,
            *(-(held_out >> k) for k in (10, 3, 0)),
        ]:
            try:
                out.append(pool.quote(zero_for_one, amount or 1))
            except Revert as err:
                out.append(err.reason)
    return out


def quote_state(pool: Pool) -> tuple[object, ...]:
    """Everything a quote reads: price, tick, liquidity, each tick's liquidity, the bitmap."""
    ticks = {t: (i.liquidity_gross, i.liquidity_net, i.initialized) for t, i in pool.ticks.items()}
    return pool.sqrt_price_x96, pool.tick, pool.liquidity, ticks, pool.tick_bitmap, pool.fee_protocol


def v3_logs(devnet: ChainSession, address: str) -> list[DecodedLog]:
    raw = fetch_logs(devnet.node, address, 0, devnet.node.block_number(), use_cache=False)
    return decode_logs(devnet.node, artifacts.interface("UniswapV3Pool"), raw)


@pytest.mark.parametrize("spec", V3_POOLS, ids=lambda p: p.name)
def test_v3_pool_replayed_from_its_logs_equals_a_fresh_read(devnet: ChainSession, spec: PoolSpec) -> None:
    node = devnet.node
    synced = V3Sync.before_creation(node, spec.address)
    logs = v3_logs(devnet, spec.address)
    synced.apply_all(logs)
    fresh = load_v3_pool(node, spec.address, node.block_number())
    events = {log.event for log in logs}
    assert {"Initialize", "Mint", "Swap", "Burn", "Collect"} <= events, events
    assert synced.applied == len(logs) > 400
    synced.apply_all(logs[-100:])  # an overlapping fetch: already applied, skipped
    assert synced.applied == len(logs)
    p = synced.pool
    assert quote_state(p) == quote_state(fresh)
    assert quotes(p) == quotes(fresh)
    assert synced.fees_exact and not synced.unknown_positions
    assert (p.fee_growth_global0_x128, p.fee_growth_global1_x128, p.protocol_fees) == (
        fresh.fee_growth_global0_x128,
        fresh.fee_growth_global1_x128,
        fresh.protocol_fees,
    )
    assert p.ticks == fresh.ticks  # every accumulator of every tick
    assert p.slot0 == fresh.slot0
    assert p.observations[: p.observation_cardinality] == fresh.observations
    assert (p.balance0, p.balance1) == (fresh.balance0, fresh.balance1)


def test_dropping_one_swap_log_is_caught(devnet: ChainSession) -> None:
    """The comparison has teeth: without one swap in the middle, the next mint's amounts no longer match
    (SyncDrift), or the final state differs."""
    spec = V3_POOLS[0]
    logs = v3_logs(devnet, spec.address)
    swaps = [i for i, log in enumerate(logs) if log.event == "Swap"]
    missing = logs[: swaps[len(swaps) // 2]] + logs[swaps[len(swaps) // 2] + 1 :]
    synced = V3Sync.before_creation(devnet.node, spec.address)
    fresh = load_v3_pool(devnet.node, spec.address, devnet.node.block_number())
    try:
        synced.apply_all(missing)
    except SyncDrift:
        return
    assert quote_state(synced.pool) != quote_state(fresh) or quotes(synced.pool) != quotes(fresh)


def test_a_swap_no_reading_reproduces_takes_the_end_state_and_marks_fees_stale() -> None:
    def pool_with_liquidity() -> Pool:
        pool = Pool(3000, 60, address="0x" + "11" * 20)
        pool.initialize(2**96, timestamp=1)
        pool.mint("lp", -600, 600, 10**18, timestamp=1)
        return pool

    pool, twin = pool_with_liquidity(), pool_with_liquidity()
    synced = V3Sync(pool, 1)
    target = twin.quote(True, 10**15)
    twin.swap(True, 10**15, timestamp=20)
    odd = {  # the price, tick and liquidity of that swap, with amounts no reading of it gives
        "amount0": 10**15 + 7,
        "amount1": target.amount1,
        "sqrtPriceX96": target.sqrt_price_x96,
        "liquidity": target.liquidity,
        "tick": target.tick,
    }
    synced.apply(DecodedLog("Swap", odd, pool.address or "", 2, 0, "0x", timestamp=20))
    assert not synced.fees_exact
    assert quote_state(pool) == quote_state(twin)
    assert (pool.slot0, pool.observations) == (twin.slot0, twin.observations)  # the oracle write is exact
    assert pool.fee_growth_global0_x128 != twin.fee_growth_global0_x128  # fees: stale, as documented
    with pytest.raises(SyncDrift):  # a mint whose amounts disagree with the model's price
        synced.apply(
            DecodedLog(
                "Mint",
                {
                    "owner": "0x" + "22" * 20,
                    "tickLower": -60,
                    "tickUpper": 60,
                    "amount": 10**12,
                    "amount0": 1,
                    "amount1": 1,
                },
                pool.address or "",
                3,
                0,
                "0x",
                timestamp=21,
            )
        )


@pytest.mark.parametrize("spec", V2_PAIRS, ids=lambda p: p.name)
def test_v2_pair_replayed_from_its_logs_equals_a_fresh_read(devnet: ChainSession, spec: PoolSpec) -> None:
    node = devnet.node
    synced = V2Sync.before_creation(node, spec.address)
    assert synced.catch_up(node, use_cache=False) > 10
    fresh = load_v2_pair(node, spec.address)
    fields = (
        "reserve0",
        "reserve1",
        "block_timestamp_last",
        "price0_cumulative_last",
        "price1_cumulative_last",
    )
    assert [getattr(synced.pair, f) for f in (*fields, "total_supply")] == [
        getattr(fresh, f) for f in (*fields, "total_supply")
    ]
    for zero_for_one in (True, False):
        for amount in (1, 10**6, 10**18, 10**24):
            assert _v2_quote(synced.pair, amount, zero_for_one) == _v2_quote(fresh, amount, zero_for_one)


def _v2_quote(pair: Pair, amount: int, zero_for_one: bool) -> tuple[object, object]:
    def outcome(fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except Revert as err:
            return err.reason

    return outcome(pair.get_amount_out, amount, zero_for_one), outcome(
        pair.get_amount_in, amount, zero_for_one
    )
