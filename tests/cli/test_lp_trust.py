"""`amm range`, `amm lvr`, `amm position`, `amm calibrate` as a user runs them: units, one market model,
stable rankings, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from amm.chain.devnet.spec import HISTORY
from amm.chain.session import ChainSession
from amm.lp.context import load_pool_context

README = Path(__file__).resolve().parents[2] / "README.md"
AMM = [sys.executable, "-m", "amm"]


def amm(*args: str, cache: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMM_CACHE_DIR": str(cache), "COLUMNS": str(columns)}
    return subprocess.run([*AMM, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def amm_json(*args: str, cache: Path) -> dict:
    result = amm(*args, "--json", cache=cache)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def readme_range_examples() -> list[list[str]]:
    """The README's forward `amm range` examples, without their plots."""
    section = README.read_text().split("## LP analytics")[1].split("\n## ")[0]
    examples = []
    for line in section.splitlines():
        if line.startswith("amm range ") and "--historical" not in line:
            words = shlex.split(line.split("  #")[0])[2:]
            if "--plot" in words:
                i = words.index("--plot")
                del words[i : i + 2]
            examples.append(words)
    return examples


def test_readme_has_the_range_examples() -> None:
    assert len(readme_range_examples()) == 2


@pytest.mark.parametrize("example", readme_range_examples(), ids=lambda e: e[1])
def test_readme_examples_pick_the_same_range_or_say_tied_for_5_seeds(
    example: list[str], devnet: ChainSession, tmp_path: Path
) -> None:
    picks = []
    for seed in range(5):
        got = amm_json("range", *example, "--seed", str(seed), cache=tmp_path)
        picks.append((got["analysis"]["best"], set(got["analysis"]["tied_with_best"])))
    for best, tied in picks:
        for other, _ in picks:
            assert other == best or other in tied, picks


def test_capital_names_its_token_and_is_converted(devnet: ChainSession, tmp_path: Path) -> None:
    got = amm_json(
        "range", "--pool", "WBTC/WETH-3000", "--paths", "4", "--capital", "50000", "USDC", cache=tmp_path
    )
    eth = load_pool_context(devnet.node, "USDC/WETH-500").price
    assert got["capital"]["token"] == "USDC"
    assert got["capital"]["in_quote"] == pytest.approx(50_000 / eth, rel=1e-9)  # WETH, not 50,000 WETH
    assert got["analysis"]["capital"] == pytest.approx(50_000 / eth, rel=1e-9)
    table = amm("range", "--pool", "WBTC/WETH-3000", "--paths", "4", "--capital", "2 WBTC", cache=tmp_path)
    assert table.returncode == 0 and "capital 2 WBTC at" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("range", "--vol", "60"), "ambiguous: 60 per year (6000%) or 60% (0.6)"),
        (("lvr", "--price", "3000", "--vol", "60%", "--fee", "0.05"), "--fee 0.05 is ambiguous"),
        (("range", "--horizon", "1m"), "write 1min (minutes) or 1mo (months)"),
        (("range", "--capital", "50000", "XYZ"), "no known pool prices XYZ in"),
        (("range", "--widths", "nan"), "positive, finite percentages"),
        (("range", "--widths", "inf"), "positive, finite percentages"),
        (("range", "--vol", "-0.5"), "must be positive"),
        (("range", "--noise-volume", "-1"), "--noise-volume must be a finite number >= 0"),
        (("range", "--seed", "-1"), "--seed must be >= 0"),
        (("range", "--blocks", "weekly"), "--blocks must be fixed or poisson"),
        (("position", "--nft", "-1"), "--nft': Input should be greater than or equal to 0"),
        (
            ("position", "--pool", "USDC/WETH-500", "--owner", "nobody", "--lower", "1", "--upper", "2"),
            "is not an address",
        ),
        (("range", "--plot", "/no/such/dir/out.png"), "no directory /no/such/dir"),
        (("range", "--plot", "out.gif"), "must end in .png, .svg, .pdf"),
        (("range", "--historical", "--horizon", "30d"), "longer than the 7.0 days of history"),
        (("pool", "--plot", "/no/such/dir/p.png"), "no directory /no/such/dir"),
        (("range", "--block", "yesterday"), "--block 'yesterday': give a block number or latest"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: tuple[str, ...], message: str, devnet, tmp_path: Path
) -> None:
    result = amm(*args, cache=tmp_path)
    assert result.returncode == 2, result.stderr
    text = re.sub(r"[│╭╮╰╯─]", " ", result.stderr)
    assert message in " ".join(text.split()), result.stderr
    assert "Traceback" not in result.stderr


def _csv(path: Path, times: np.ndarray, prices: np.ndarray) -> None:
    path.write_text(
        "timestamp,price\n" + "\n".join(f"{t:.0f},{p:.8g}" for t, p in zip(times, prices, strict=True))
    )


def test_millisecond_timestamps_are_detected_and_inverted_prices_refused(
    devnet: ChainSession, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    hours = 24 * 30
    seconds = 1_700_000_000 + np.arange(hours) * 3600.0
    prices = 3000 * np.exp(np.cumsum(rng.normal(0, 0.6 / math.sqrt(8760), hours)))
    ms = tmp_path / "ms.csv"
    _csv(ms, seconds * 1000, prices)
    got = amm_json("range", "--prices", str(ms), "--paths", "4", cache=tmp_path)
    assert "timestamps read as ms" in got["sigma_source"]
    assert abs(got["sigma"] - 0.6) < 0.1  # read as seconds, the clock would be 1000x off: σ/√1000
    inverted = tmp_path / "inverted.csv"
    _csv(inverted, seconds, 1 / prices)
    result = amm("range", "--prices", str(inverted), "--paths", "4", cache=tmp_path)
    assert (
        result.returncode == 2
        and "prices look inverted" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_position_on_a_chain_without_the_position_manager(tmp_path: Path) -> None:
    from amm.chain.anvil import Anvil  # noqa: PLC0415

    anvil = Anvil().start()  # an empty chain: no Uniswap at all
    try:
        for args in (("position", "--nft", "1"), ("positions", "--owner", "0x" + "11" * 20)):
            result = amm(*args, "--rpc-url", anvil.rpc.url, cache=tmp_path)
            assert result.returncode == 2 and "Traceback" not in result.stderr
            assert (
                "no NonfungiblePositionManager at 0xC36442b4a4522E871399CD717aBDD847Ab11FE88" in result.stderr
            )
    finally:
        anvil.stop()


def test_a_binary_price_file_is_one_line(devnet, tmp_path: Path) -> None:
    binary = tmp_path / "prices.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    result = amm("range", "--prices", str(binary), cache=tmp_path)
    assert result.returncode == 2 and "not a text CSV" in result.stderr and "Traceback" not in result.stderr


def test_one_market_model_in_range_lvr_and_position(devnet: ChainSession, tmp_path: Path) -> None:
    block = f"{HISTORY.step_seconds}-s blocks"
    for args in (
        ("range", "--paths", "4", "--horizon", "2d"),
        ("lvr", "--pool", "USDC/WETH-500"),
        ("position", "--nft", "150"),
    ):
        table = amm(*args, cache=tmp_path)
        assert table.returncode == 0, table.stderr
        assert block in table.stdout and "the chain's median block interval" in table.stdout, args
        data = amm_json(*args, cache=tmp_path)
        model = data["market_model"]
        assert model == {
            "blocks": "fixed",
            "block_time_seconds": HISTORY.step_seconds,
            "source": "the chain's median block interval",
        }
    poisson = amm_json(
        "range",
        "--paths",
        "4",
        "--horizon",
        "2d",
        "--blocks",
        "poisson",
        "--block-time",
        "12s",
        cache=tmp_path,
    )
    assert poisson["market_model"] == {"blocks": "poisson", "block_time_seconds": 12.0, "source": "given"}
    assert poisson["analysis"]["n_steps"] == 2 * 86400 // 12


def test_lvr_takes_price_vol_and_fee_from_a_pool(devnet: ChainSession, tmp_path: Path) -> None:
    ctx = load_pool_context(devnet.node, "USDC/WETH-500")
    got = amm_json("lvr", "--pool", "USDC/WETH-500", "--range", "3000-3700", cache=tmp_path)
    assert got["price"] == pytest.approx(ctx.price) and got["fee"] == 0.0005 and got["quote"] == "USDC"
    assert 0.45 < got["sigma"] < 0.75 and got["block_time"] == HISTORY.step_seconds
    assert (
        "in-range instantaneous" in got["units"]["lvr_per_year"] and got["units"]["price"] == "USDC per WETH"
    )
    text = amm("lvr", "--pool", "USDC/WETH-500", cache=tmp_path).stdout
    assert "LVR while in range, at this price (instantaneous)" in " ".join(text.split())


def test_every_json_figure_has_its_unit(devnet: ChainSession, tmp_path: Path) -> None:
    got = amm_json("range", "--paths", "4", "--horizon", "2d", cache=tmp_path)
    assert got["units"]["sigma"] == "per sqrt(year)" and got["units"]["noise_per_day"] == "USDC per day"
    assert got["analysis"]["units"]["price"] == "USDC per WETH (quote per base)"
    assert got["history"]["units"]["volatility.sigma, volatility.stderr"] == "per sqrt(year)"
    assert got["market_model"]["block_time_seconds"] == HISTORY.step_seconds


def test_historical_plot_says_what_it_replayed(devnet: ChainSession, tmp_path: Path) -> None:
    plot = tmp_path / "replay.svg"
    result = amm("range", "--historical", "--horizon", "3d", "--plot", str(plot), cache=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = plot.read_text()
    assert "one path: the last 3.0 days of" in svg and "replayed from today" in svg and "900-s blocks" in svg
    assert "one path: the last 3.0 days of" in result.stdout


def test_calibrate_reports_the_ratio(devnet: ChainSession, tmp_path: Path) -> None:
    got = amm_json("calibrate", "--pool", "USDC/WETH-500", "--paths", "60", cache=tmp_path)
    assert 0.8 < got["forward_over_realised"] < 1.25 and got["block_time_seconds"] == HISTORY.step_seconds
    assert any("12-s blocks" in line for line in got["explanation"])


@pytest.mark.parametrize(
    "args",
    [
        ("range", "--pool", "WBTC/WETH-3000", "--capital", "50000", "USDC", "--paths", "20"),
        ("range", "--pool", "DAI/USDC-100", "--capital", "5000000", "--paths", "20"),
        ("calibrate", "--pool", "WBTC/WETH-3000", "--paths", "20"),
        ("positions", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--status", "closed"),
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_tables_fit_100_columns_without_cutting_a_number(
    args: tuple[str, ...], devnet, tmp_path: Path
) -> None:
    result = amm(*args, cache=tmp_path, columns=100)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line[:1] in "┃│"]
    assert rows and max(len(line) for line in lines) <= 100
    assert not any("…" in line for line in lines)  # rich's mark of a cut cell
    assert all(line.rstrip()[-1] in "┃│" for line in rows)  # no row runs off the right edge
    wide = amm(*args, cache=tmp_path, columns=200).stdout
    numbers = set(re.findall(r"-?[\d,]+\.\d+", result.stdout))
    assert numbers and numbers <= set(re.findall(r"-?[\d,]+\.\d+", wide))  # nothing shown differs at 200
