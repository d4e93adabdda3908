"""The `amm` CLI prints what the library computes: its JSON equals the library's result for the same inputs.

The CLI runs as a subprocess (as a user would run it) against its own built-in chain; the library runs in
this process against the session's chain. Both start from the same state file, so they must agree exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import ANY

import pytest

from amm.chain.positions import read_nft_position
from amm.chain.session import ChainSession
from amm.lp.context import load_pool_context
from amm.lp.history import load_pool_history
from amm.lp.lvr import lvr_figures
from amm.lp.position import position_report
from amm.lp.study import RangeStudyConfig, run_range_study

AMM = [sys.executable, "-m", "amm"]


def amm(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMM_CACHE_DIR": str(cache), "COLUMNS": "200"}
    return subprocess.run([*AMM, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def amm_json(*args: str, cache: Path) -> dict:
    result = amm(*args, "--json", cache=cache)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_range_json_equals_the_library(devnet: ChainSession, tmp_path: Path) -> None:
    args = (
        "--pool",
        "WBTC/WETH-3000",
        "--paths",
        "12",
        "--horizon",
        "3d",
        "--step",
        "60s",
        "--seed",
        "7",
        "--widths",
        "1,5,20",
        "--range",
        "25-35",
    )
    got = amm_json("range", *args, cache=tmp_path)
    ctx = load_pool_context(devnet.node, "WBTC/WETH-3000")
    history = load_pool_history(devnet.node, ctx)
    config = RangeStudyConfig(
        horizon_days=3, step_seconds=60, paths=12, seed=7, widths=(0.01, 0.05, 0.2), bounds=((25.0, 35.0),)
    )
    expected = run_range_study(ctx, config, history).to_dict()
    assert got.pop("capital") == {"amount": 10_000.0, "token": "WETH", "in_quote": 10_000.0, "usd": ANY}
    for result in (got, expected):  # the cost of reading (timings, calls) is all that may differ
        result.pop("seconds")
        result["pool"].pop("load")  # what reading cost (time, calls: a node's first read probes the lens)
    assert got == json.loads(json.dumps(expected))


def test_lvr_json_equals_the_library(tmp_path: Path) -> None:
    got = amm_json(
        "lvr", "--price", "3000", "--vol", "60%", "--range", "2700-3300", "--fee", "0.05%", cache=tmp_path
    )
    expected = lvr_figures(
        price=3000, sigma=0.6, lower=2700, upper=3300, fee=0.0005, blocks="fixed"
    ).to_dict()
    assert got.pop("market_model") == {"blocks": "fixed", "block_time_seconds": 12.0, "source": ANY}
    assert got.pop("pool") is None
    assert got == json.loads(json.dumps(expected))
    full = amm_json("lvr", "--price", "3000", "--vol", "0.6", cache=tmp_path)
    assert full["lvr_fraction_per_year"] == pytest.approx(0.6**2 / 8)  # σ²/8 of value for constant product


def test_pool_json_equals_the_library(devnet: ChainSession, tmp_path: Path) -> None:
    got = amm_json("pool", "--pool", "DAI/USDC-100", cache=tmp_path)
    ctx = load_pool_context(devnet.node, "DAI/USDC-100")
    expected = ctx.summary()
    for key in (
        "name",
        "address",
        "block",
        "price",
        "tick",
        "sqrt_price_x96",
        "liquidity",
        "initialized_ticks",
    ):
        assert got[key] == expected[key], key
    assert got["profile"] == json.loads(json.dumps(ctx.profile().to_dict()))


def test_position_json_equals_the_library(devnet: ChainSession, tmp_path: Path) -> None:
    got = amm_json("position", "--nft", "150", cache=tmp_path)
    record = read_nft_position(devnet.node, 150)
    expected = position_report(devnet.node, load_pool_context(devnet.node, record.pool), record).to_dict()
    assert got.pop("market_model")["blocks"] == "fixed" and "lvr_per_day" in got.pop("lvr_rate")
    assert got.pop("usd_per_quote") == 1.0  # USDC/WETH: quoted in USDC
    assert got == json.loads(json.dumps(expected))


def test_range_with_plot_prints_a_ranked_table_and_writes_a_png(tmp_path: Path) -> None:
    plot = tmp_path / "out.png"
    result = amm(
        "range",
        "--pool",
        "USDC/WETH-500",
        "--paths",
        "8",
        "--horizon",
        "2d",
        "--step",
        "60s",
        "--plot",
        str(plot),
        cache=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "ranked by pnl_vs_rebalancing" in result.stdout and "full range" in result.stdout
    ranks = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert ranks[:3] == ["1", "2", "3"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 30_000


@pytest.mark.parametrize(
    "command",
    ["pools", "pool", "range", "position", "positions", "lvr", "calibrate", "devnet build", "devnet serve"],
)
def test_every_command_teaches_by_example(command: str, tmp_path: Path) -> None:
    result = amm(*command.split(), "--help", cache=tmp_path)
    assert result.returncode == 0
    assert "Example" in result.stdout and "amm " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("range", "--pool", "FOO/BAR-500"), "no pool named 'FOO/BAR-500'"),
        (("range", "--pool", "USDC/WETH-v2"), "is a v2 pair"),
        (("position", "--nft", "999999"), "no position NFT #999999"),
        (("range", "--range", "3600-3000"), "need 0 < lower < upper"),
        (("range", "--widths", "abc"), "not a comma-separated list"),
        (("lvr", "--price", "-1", "--vol", "0.5"), "must be > 0"),
    ],
)
def test_bad_input_is_one_clear_message(args: tuple[str, ...], message: str, devnet, tmp_path: Path) -> None:
    result = amm(*args, cache=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr.replace("\n", " ").replace("│", " ").replace("  ", " ")
    assert "Traceback" not in result.stderr


def write_prices(path: Path, sigma: float, hours: int, seed: int = 3) -> None:
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    times = 1_700_000_000 + np.arange(hours) * 3600
    prices = 2000 * np.exp(np.cumsum(rng.normal(0, sigma / np.sqrt(8760), hours)))
    path.write_text(
        "timestamp,price\n" + "\n".join(f"{t},{p:.6f}" for t, p in zip(times, prices, strict=True))
    )


def test_range_on_a_price_file_replays_it_from_todays_price(devnet: ChainSession, tmp_path: Path) -> None:
    from amm.analytics.paths import load_price_csv  # noqa: PLC0415
    from amm.lp.history import history_from_prices  # noqa: PLC0415

    prices = tmp_path / "eth.csv"
    write_prices(prices, sigma=0.7, hours=24 * 60)
    got = amm_json(
        "range",
        "--pool",
        "USDC/WETH-500",
        "--prices",
        str(prices),
        "--historical",
        "--step",
        "1h",
        cache=tmp_path,
    )
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    history = history_from_prices(load_price_csv(prices), ctx)
    assert abs(history.volatility.sigma - 0.7) < 3 * history.volatility.stderr
    expected = run_range_study(ctx, RangeStudyConfig(historical=True, step_seconds=3600.0), history).to_dict()
    assert got.pop("capital")["token"] == "USDC"
    for result in (got, expected):
        result.pop("seconds")
        result["pool"].pop("load")  # what reading cost (time, calls: a node's first read probes the lens)
    assert got == json.loads(json.dumps(expected))
    assert got["analysis"]["price"] == pytest.approx(ctx.price)  # the path starts at today's price


def test_bad_price_file_names_the_line(devnet, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,price\n100,2\n100,3\n")
    result = amm("range", "--prices", str(bad), cache=tmp_path)
    assert result.returncode == 2 and f"{bad}:3: timestamps must strictly increase" in result.stderr
