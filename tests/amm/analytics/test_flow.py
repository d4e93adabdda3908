"""The uninformed-volume estimator on flow drawn from its own model, where the truth is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from amm.analytics.flow import estimate_noise_volume


def draw(seed: int, slots: int, arb_rate: float, noise_rate: float, arb_median: float, noise_median: float):
    """Blocks in which an arbitrage (first) and/or a noise trade arrive independently; lognormal sizes."""
    rng = np.random.default_rng(seed)
    blocks, sizes, noise = [], [], []
    for b in range(slots):
        if rng.random() < arb_rate:
            blocks.append(b)
            sizes.append(arb_median * np.exp(rng.normal(0, 1.0)))
            noise.append(False)
        if rng.random() < noise_rate:
            blocks.append(b)
            sizes.append(noise_median * np.exp(rng.normal(0, 1.0)))
            noise.append(True)
    s = np.array(sizes)
    return blocks, s, float(s[np.array(noise)].sum())


@pytest.mark.parametrize(
    ("arb_rate", "noise_rate", "arb_median"),
    [(0.9, 0.35, 200_000.0), (0.5, 0.35, 200_000.0), (0.25, 0.4, 300_000.0), (0.9, 0.1, 50_000.0)],
)
def test_estimate_recovers_the_noise_it_was_drawn_with(
    arb_rate: float, noise_rate: float, arb_median: float
) -> None:
    errors = []
    for seed in range(5):
        blocks, sizes, truth = draw(seed, 2000, arb_rate, noise_rate, arb_median, 20_000.0)
        est = estimate_noise_volume(blocks, sizes, n_blocks=2000)
        assert est.volume <= est.total_volume
        errors.append(est.volume / truth - 1)
    assert max(abs(e) for e in errors) < 0.25, errors  # the bar; measured: within 22%


def test_ignoring_lone_swaps_would_undercount() -> None:
    """The lower bound (swaps after a block's first) misses every noise trade alone in its block."""
    blocks, sizes, truth = draw(1, 2000, 0.5, 0.35, 200_000.0, 20_000.0)
    est = estimate_noise_volume(blocks, sizes, n_blocks=2000)
    labelled = float(sum(s for i, s in enumerate(sizes) if i and blocks[i] == blocks[i - 1]))
    assert labelled < 0.6 * truth < est.volume
