"""anvil as a managed process, and the three ways a user's chain can fail: each a one-line error."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from amm.chain.anvil import Anvil, find_anvil, redact_url
from amm.chain.errors import AnvilDied, AnvilNotFound, NodeUnreachable
from amm.chain.rpc import RpcClient

AMM = [sys.executable, "-m", "amm"]


def run_amm(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AMM, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_starts_on_a_free_port_answers_and_stops_cleanly() -> None:
    with Anvil() as first, Anvil() as second:
        assert first.url != second.url
        assert first.rpc.call("eth_chainId") == "0x7a69"
        log = first.log_path
        process = first.process
        assert log is not None and log.exists()
    assert process is not None and process.poll() is not None
    assert not log.exists()


def test_npm_binary_is_found_without_path_or_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANVIL_BIN", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    path = find_anvil()
    assert "node_modules/@foundry-rs/anvil-" in str(path)


def test_anvil_bin_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = find_anvil()
    link = tmp_path / "my-anvil"
    link.symlink_to(real)
    monkeypatch.setenv("ANVIL_BIN", str(link))
    assert find_anvil() == link


def test_missing_anvil_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANVIL_BIN", "/nonexistent/anvil")
    with pytest.raises(AnvilNotFound) as raised:
        Anvil().start()
    message = str(raised.value)
    assert "\n" not in message and "make setup" in message and "/nonexistent/anvil" in message


def test_crashed_anvil_is_one_clear_line() -> None:
    anvil = Anvil().start()
    try:
        assert anvil.process is not None
        anvil.process.send_signal(signal.SIGKILL)
        anvil.process.wait()
        with pytest.raises(AnvilDied) as raised:
            anvil.rpc.call("eth_blockNumber")
        message = str(raised.value)
        assert "\n" not in message and "SIGKILL" in message and "while in use" in message
    finally:
        anvil.stop()


def test_anvil_that_dies_at_start_quotes_its_error() -> None:
    with pytest.raises(AnvilDied) as raised:
        Anvil(args=["--hardfork", "no-such-fork"]).start()
    message = str(raised.value)
    assert "\n" not in message and "at start" in message and "no-such-fork" in message


def test_bad_fork_url_is_one_line_and_hides_the_key() -> None:
    with pytest.raises(NodeUnreachable) as raised:
        Anvil(fork_url="http://127.0.0.1:9/v2/SECRET-KEY-123").start()
    message = str(raised.value)
    assert "\n" not in message and "SECRET-KEY-123" not in message and "127.0.0.1:9" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://eth-mainnet.g.alchemy.com/v2/abc123", "https://eth-mainnet.g.alchemy.com/…"),
        ("http://localhost:8545", "http://localhost:8545"),
        ("https://rpc.example/?apikey=zzz", "https://rpc.example/…"),
        ("not a url", "<invalid URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_cli_bad_fork_url() -> None:
    result = run_amm("pools", "--fork-url", "http://127.0.0.1:9/v2/SECRET")
    assert_one_line_error(result, r"^error: cannot use RPC URL http://127\.0\.0\.1:9/…: ")
    assert "SECRET" not in result.stderr


def test_cli_unreachable_rpc_url() -> None:
    assert_one_line_error(run_amm("pools", "--rpc-url", "http://127.0.0.1:9"), r"cannot use RPC URL")


def test_cli_not_a_url() -> None:
    assert_one_line_error(run_amm("pools", "--fork-url", "mainnet"), r"not an RPC URL")


def test_cli_missing_anvil(devnet) -> None:  # the state file exists; only the binary is missing
    result = run_amm("pools", env={"ANVIL_BIN": "/nonexistent/anvil"})
    assert_one_line_error(result, r"ANVIL_BIN=/nonexistent/anvil is not an executable file.*make setup")


@contextmanager
def serving() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`amm devnet serve` in a subprocess, with the banner line it prints first (URL and anvil pid)."""
    env = {**os.environ, "COLUMNS": "300"}
    process = subprocess.Popen(
        [*AMM, "devnet", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_crashed_anvil(devnet) -> None:
    """`amm devnet serve` whose node is killed exits 2 with one line naming the signal."""
    with serving() as (process, banner):
        match = re.search(r"anvil pid (\d+)", banner)
        assert match, banner
        os.kill(int(match.group(1)), signal.SIGKILL)
        _, stderr = process.communicate(timeout=30)
    result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert_one_line_error(result, r"anvil \(pid \d+\) was killed by SIGKILL while in use")


def test_fork_block_number_needs_fork_url() -> None:
    assert_one_line_error(run_amm("pools", "--fork-block-number", "5"), r"needs --fork-url")


def test_serve_prints_a_usable_url(devnet) -> None:
    with serving() as (process, banner):
        url = re.search(r"(http://127\.0\.0\.1:\d+)", banner)
        assert url, banner
        with RpcClient(url.group(1)) as rpc:
            assert int(rpc.call("eth_blockNumber"), 16) == devnet.manifest["block"]
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.returncode is not None and process.returncode in (0, 130)


def test_node_dies_with_the_process_that_started_it() -> None:
    """A script (or test run) killed with SIGKILL leaves no anvil behind."""
    script = (
        "from amm.chain.anvil import Anvil; a = Anvil().start(); print(a.process.pid, flush=True); input()"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    node_pid = int(owner.stdout.readline())
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(node_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(node_pid, signal.SIGKILL)
    pytest.fail(f"anvil {node_pid} outlived the process that started it")


def test_a_node_leaves_no_state_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # anvil moves states past its in-memory window to disk and never removes them (~100 MB per thousand
    # blocks per node); ours keeps none and runs in a scratch directory that stop() removes.
    monkeypatch.setenv("HOME", str(tmp_path))  # where anvil would write them: ~/.foundry/anvil/tmp
    with Anvil() as node:
        scratch = Path(node._cache_dir or "")
        assert scratch.is_dir()
        for _ in range(3):
            node.rpc.call("anvil_mine", [hex(400)])
        written = [p for p in (*tmp_path.rglob("*"), *scratch.rglob("*")) if p.is_file()]
        assert written == []
    assert not scratch.exists()
