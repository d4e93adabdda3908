"""Defaults an LP can act on: widths scaled to the pool's own volatility, APRs that are the figures a year."""

from __future__ import annotations

import math

import pytest

from amm.chain.session import ChainSession
from amm.lp.context import load_pool_context
from amm.lp.history import load_pool_history
from amm.lp.study import RangeStudyConfig, default_widths, run_range_study


def test_default_widths_follow_the_typical_move() -> None:
    assert default_widths(0.6, 30) == (0.017, 0.043, 0.086, 0.17, 0.34, 0.69)  # σ√T = 17.2%
    assert default_widths(0.006, 30)[0] == pytest.approx(0.00017)


def test_a_stable_pool_gets_stable_widths_and_an_interior_best(devnet: ChainSession) -> None:
    """With fixed ±0.5%..±50% widths every DAI/USDC range but the narrowest never left range: the narrowest
    always won. Widths from σ√T put the best inside the grid, with narrower ranges that leave it."""
    ctx = load_pool_context(devnet.node, "DAI/USDC-100")
    study = run_range_study(ctx, RangeStudyConfig(paths=60), load_pool_history(devnet.node, ctx))
    finite = [r for r in study.analysis.results if math.isfinite(r.upper)]
    widths = sorted(r.upper / r.lower for r in finite)
    assert widths[-1] < 1.02  # every range within ±1%
    best = study.analysis.best
    assert widths[0] < best.upper / best.lower < widths[-1]
    assert any("σ√T" in note for note in study.notes)


def test_apr_is_the_mean_per_year_of_capital(devnet: ChainSession) -> None:
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    study = run_range_study(
        ctx, RangeStudyConfig(paths=20, horizon_days=10), load_pool_history(devnet.node, ctx)
    )
    row = study.to_dict()["analysis"]["results"][0]
    fees = row["metrics"]["fees"]["mean"]
    assert row["apr"]["fees"] == pytest.approx(fees / 10_000 / (10 / 365), rel=1e-12)
