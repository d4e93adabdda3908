"""Random arguments to the LP commands: every outcome is a result or a one-line error (exit 2), never a
traceback. Runs `amm`'s own entry point in-process, so an unhandled exception fails the test as itself."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from amm.cli import main

NASTY = [
    "",
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e309",
    "60",
    "0.05",
    "1m",
    "abc",
    "0x12",
    "1,nan",
    "3600-3000",
]
OPTIONS: dict[str, dict[str, list[str]]] = {
    "range": {
        "--vol": ["60%", "0.6", *NASTY],
        "--horizon": ["2d", "90min", "1mo", *NASTY],
        "--widths": ["1,5", "0.5", *NASTY],
        "--capital": ["5000", "5000 USDC", "2 WETH", "1 XYZ", *NASTY],
        "--noise-volume": ["0", "1000", *NASTY],
        "--seed": ["0", "7", *NASTY],
        "--block-time": ["12s", "15min", *NASTY],
        "--blocks": ["fixed", "poisson", *NASTY],
        "--range": ["3000-3600", *NASTY],
        "--plot": ["/no/such/dir/x.png", "x.gif", *NASTY],
        "--rank-by": ["fees", "lvr", *NASTY],
    },
    "lvr": {
        "--price": ["3000", *NASTY],
        "--vol": ["60%", *NASTY],
        "--fee": ["5bp", "0.05%", *NASTY],
        "--range": ["2700-3300", *NASTY],
        "--capital": ["10000", *NASTY],
        "--blocks": ["fixed", "poisson", *NASTY],
        "--block-time": ["12s", *NASTY],
    },
    "position": {
        "--nft": ["150", "999999999", "1" + "0" * 80, *NASTY],
        "--owner": ["0x" + "ab" * 20, *NASTY],
        "--vol": ["60%", *NASTY],
        "--block-time": ["12s", *NASTY],
    },
    "calibrate": {"--days": ["2d", "1m", *NASTY], "--widths": ["1,5", *NASTY], "--seed": ["1", *NASTY]},
    "positions": {
        "--owner": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x" + "00" * 20, *NASTY],
        "--status": ["closed", "open", *NASTY],
        "--block": ["latest", "500", *NASTY],
    },
    "pool": {
        "--pool": ["DAI/USDC-100", "0x" + "12" * 20, *NASTY],
        "--block": ["latest", "400", *NASTY],
        "--plot": ["/no/such/dir/x.png", *NASTY],
        "--quote-in": ["token0", *NASTY],
    },
}
CHEAP = {
    "range": ["--paths", "3", "--history-days", "2"],
    "calibrate": ["--paths", "3"],
    "positions": ["--owner", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"],  # overridden if drawn
}


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    chosen = draw(st.lists(st.sampled_from(sorted(OPTIONS[command])), min_size=1, max_size=3, unique=True))
    words = [command, *CHEAP.get(command, [])]
    for option in chosen:
        words += [option, draw(st.sampled_from(OPTIONS[command][option]))]
    return words


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=command_lines())
def test_no_traceback_for_any_arguments(
    argv: list[str], devnet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["amm", *argv, "--json"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    event(f"{argv[0]} exit {exit_info.value.code}")
    assert exit_info.value.code in (0, 2), (argv, captured.err)
    if exit_info.value.code == 2:
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("error:") and "Traceback" not in captured.err, (
            argv,
            captured.err,
        )
