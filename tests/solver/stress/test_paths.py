"""Price paths: deterministic for a seed, jumps with the configured statistics, market hours from the
calendar, the gap exactly at the reopening, and a proxy that starts at the close and ends at the reopening."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from solver.stress.paths import YEAR, GapModel, JumpDiffusion, ProxyModel, fit_gaps, market_path, schedule
from solver.venues import AlwaysOpen, USEquityCalendar

FRIDAY_1500_NY = datetime(2026, 1, 9, 20, 0, tzinfo=UTC)
MONDAY_1100_NY = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)


def weekend() -> object:
    return schedule(USEquityCalendar(), FRIDAY_1500_NY, MONDAY_1100_NY, step=300, closed_step=3600)


def test_the_schedule_lands_on_the_close_and_the_reopening_from_the_calendar() -> None:
    s = weekend()
    close = s.open.index(False)
    reopen = next(i for i in range(close, len(s.open)) if s.open[i])
    assert s.times[close] == datetime(2026, 1, 9, 21, 0, tzinfo=UTC)  # Friday 16:00 New York (EST)
    assert s.times[reopen] == datetime(2026, 1, 12, 14, 30, tzinfo=UTC)  # Monday 09:30 New York
    assert all(s.open[:close]) and not any(s.open[close:reopen]) and all(s.open[reopen:])
    widths = s.seconds()
    assert set(widths[:close]) == {300.0} and max(widths[close:reopen]) == 3600.0
    assert s.times[-1] == MONDAY_1100_NY


def test_a_seed_fixes_the_path_and_another_seed_changes_it() -> None:
    model = JumpDiffusion(vol=0.6, jump_rate=200.0, jump_mean=-0.01, jump_stdev=0.02)
    gap = GapModel("student-t", stdev=0.05, df=4)
    s = weekend()

    def path(seed: int) -> object:
        return market_path(np.random.default_rng(seed), s, 100.0, model, gap, ProxyModel())

    a, b, c = path(7), path(7), path(8)
    assert np.array_equal(a.underlying, b.underlying) and np.array_equal(a.proxy, b.proxy)
    assert a.gaps == b.gaps and a.jumps == b.jumps
    assert not np.array_equal(a.underlying, c.underlying) and a.gaps != c.gaps


def test_the_underlying_holds_while_closed_and_gaps_exactly_at_the_reopening() -> None:
    s = weekend()
    p = market_path(np.random.default_rng(1), s, 100.0, JumpDiffusion(vol=0.5), GapModel(size=-0.2))
    close = s.open.index(False)
    reopen = next(i for i in range(close, len(s.open)) if s.open[i])
    held = p.underlying[close - 1]
    assert np.all(p.underlying[close:reopen] == held)
    assert p.underlying[reopen] == pytest.approx(held * 0.8, rel=1e-12) and p.gaps == (-0.2,)
    # the proxy equals the underlying while open and bridges from the close towards the reopening price
    assert np.array_equal(p.proxy[:close], p.underlying[:close])
    assert np.array_equal(p.proxy[reopen:], p.underlying[reopen:])
    assert not np.array_equal(p.proxy[close:reopen], p.underlying[close:reopen])


def test_a_quiet_proxy_walks_the_straight_line_in_log_price_to_the_gap() -> None:
    s = weekend()
    p = market_path(
        np.random.default_rng(3), s, 100.0, JumpDiffusion(vol=0.0), GapModel(size=-0.2), ProxyModel(0, 0)
    )
    close = s.open.index(False)
    reopen = next(i for i in range(close, len(s.open)) if s.open[i])
    start, end = s.times[close - 1], s.times[reopen]
    for i in range(close, reopen):
        frac = (s.times[i] - start) / (end - start)
        assert p.proxy[i] == pytest.approx(100.0 * 0.8**frac, rel=1e-12)


def test_jumps_arrive_at_the_configured_rate_with_the_configured_size() -> None:
    # 200,000 one-hour steps at 100 jumps a year: about 2,283 jumps. With vol 0 a step's return is the
    # compensated drift plus its jumps, so steps with exactly one jump show the jump size itself.
    model = JumpDiffusion(vol=0.0, jump_rate=100.0, jump_mean=-0.02, jump_stdev=0.03)
    seconds = np.full(200_000, 3600.0)
    returns, counts = model.log_returns(np.random.default_rng(42), seconds)
    expected = 100.0 * 200_000 * 3600 / YEAR
    assert abs(counts.sum() - expected) < 4 * math.sqrt(expected)
    dt = 3600 / YEAR
    drift = -100.0 * (math.exp(-0.02 + 0.03**2 / 2) - 1) * dt
    assert np.allclose(returns[counts == 0], drift, rtol=0, atol=1e-15)
    single = returns[counts == 1] - drift
    n = single.size
    assert abs(single.mean() - (-0.02)) < 4 * 0.03 / math.sqrt(n)
    assert abs(single.std() - 0.03) < 0.002
    # the compensation makes the expected gross return e^r equal to 1 (drift 0), to sampling error
    gross = np.exp(returns)
    assert abs(gross.mean() - 1) < 4 * gross.std() / math.sqrt(gross.size)


def test_gbm_without_jumps_has_the_configured_volatility() -> None:
    returns, counts = JumpDiffusion(vol=0.4).log_returns(np.random.default_rng(5), np.full(100_000, 86_400.0))
    assert counts.sum() == 0
    assert returns.std() * math.sqrt(YEAR / 86_400) == pytest.approx(0.4, rel=0.02)


def test_gap_draws_and_a_fitted_student_t() -> None:
    rng = np.random.default_rng(11)
    assert GapModel(size=-0.1).draw(rng) == -0.1
    true = GapModel("student-t", mean=-0.01, stdev=0.05, df=5.0)
    gaps = [true.draw(rng) for _ in range(40_000)]
    fitted = fit_gaps(gaps)
    assert fitted.distribution == "student-t"
    assert fitted.mean == pytest.approx(-0.01, abs=0.002) and fitted.stdev == pytest.approx(0.05, rel=0.05)
    assert 3.5 < fitted.df < 9
    normal = fit_gaps([GapModel("normal", stdev=0.02).draw(rng) for _ in range(20_000)], "normal")
    assert normal.stdev == pytest.approx(0.02, rel=0.05)


def test_a_calendar_that_never_closes_has_no_gap() -> None:
    s = schedule(AlwaysOpen(), FRIDAY_1500_NY, MONDAY_1100_NY, step=3600, closed_step=3600)
    p = market_path(np.random.default_rng(0), s, 100.0, JumpDiffusion(), GapModel(size=-0.5))
    assert all(s.open) and p.gaps == ()
